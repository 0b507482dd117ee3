"""Courses and quizzes on disk -> an immutable, validated catalog. Knows nothing of Flask or the DB.

The loader (and python-markdown with it) is imported only when content is actually loaded: a process
that reads its catalog from the compiled cache (``lms.content.compiled``) never needs it.
"""

from lms.content.catalog import Catalog
from lms.content.errors import ContentError, ContentInvalid, ContentWarning

_LOADER = {"ContentReport", "check_content", "inspect_content", "load_catalog"}

__all__ = [
    "Catalog",
    "ContentError",
    "ContentInvalid",
    "ContentReport",
    "ContentWarning",
    "check_content",
    "inspect_content",
    "load_catalog",
]


def __getattr__(name: str):
    if name in _LOADER:
        from lms.content import loader

        return getattr(loader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
