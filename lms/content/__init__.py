"""Courses and quizzes on disk -> an immutable, validated catalog. Knows nothing of Flask or the DB."""

from lms.content.catalog import Catalog
from lms.content.errors import ContentError, ContentInvalid, ContentWarning
from lms.content.loader import ContentReport, check_content, inspect_content, load_catalog

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
