"""Downgrades never lose data silently.

A downgrade that drops a table or a column holding rows cannot keep them: the older schema has no
place for them. Such a downgrade first counts what it would delete and, if anything, refuses with a
message saying what and how to proceed, before it changes anything:

    flask --app lms db downgrade -x data-loss=allow <revision>

Revisions call these from inside ``downgrade()`` (the module is importable once env.py has run).
``tests/test_migrations.py`` steps a populated database down one revision at a time and checks that
each step either keeps every row and value that still has a place, or refuses and changes nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op


class DataLossRefused(RuntimeError):
    pass


def _allowed() -> bool:
    return context.get_x_argument(as_dictionary=True).get("data-loss") == "allow"


def refuse_to_lose(what: str, count_sql: str) -> None:
    """Refuse unless allowed when ``count_sql`` counts any row that the downgrade would delete."""
    if _allowed():
        return
    count = op.get_bind().execute(sa.text(count_sql)).scalar() or 0
    if count:
        raise DataLossRefused(
            f"Downgrading would delete {count} {what}. Nothing was changed. Back up the database, "
            "then run the downgrade again with `-x data-loss=allow`."
        )


def refuse_to_drop_rows(*tables: str) -> None:
    """Refuse unless allowed when any of ``tables`` holds a row."""
    for table in tables:
        refuse_to_lose(f"rows of table {table}", f'SELECT count(*) FROM "{table}"')
