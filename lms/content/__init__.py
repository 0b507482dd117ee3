"""Courses and quizzes on disk -> an immutable, validated catalog. Knows nothing of Flask or the DB."""

from lms.content.catalog import Catalog
from lms.content.errors import ContentError, ContentInvalid
from lms.content.loader import check_content, load_catalog

__all__ = ["Catalog", "ContentError", "ContentInvalid", "check_content", "load_catalog"]
