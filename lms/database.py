"""Engine set-up shared by every process: SQLite pragmas and transaction begin modes.

SQLite in WAL mode lets readers run beside one writer. A transaction that first reads and then writes
fails at once with SQLITE_BUSY_SNAPSHOT if another writer committed in between, and the busy timeout
does not help. So transactions take the write lock at BEGIN (``BEGIN IMMEDIATE``) and wait their turn,
except where the caller declares it will only read (``read_only()``: the web layer does so for GET and
HEAD requests), which begin deferred and never block. PostgreSQL needs none of this.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import Engine

_read_only: ContextVar[bool] = ContextVar("lms_read_only_transactions", default=False)


@contextlib.contextmanager
def read_only():
    token = _read_only.set(True)
    try:
        yield
    finally:
        _read_only.reset(token)


def set_read_only(value: bool):
    """For request hooks: returns a token for ``reset_read_only``."""
    return _read_only.set(value)


def reset_read_only(token) -> None:
    _read_only.reset(token)


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, connection_record):
    if not _is_sqlite(dbapi_connection):
        return
    dbapi_connection.isolation_level = None  # SQLAlchemy's begin hook below emits BEGIN itself
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection):
    if connection.dialect.name != "sqlite":
        return
    connection.exec_driver_sql("BEGIN" if _read_only.get() else "BEGIN IMMEDIATE")


def single_read(engine: Engine):
    """A connection for one quick read outside any transaction the request may open later.

    On PostgreSQL it runs in autocommit (one round trip instead of BEGIN, SELECT, ROLLBACK); SQLite
    takes a deferred, read-only transaction, which costs nothing.
    """
    conn = engine.connect()
    if conn.dialect.name != "sqlite":
        conn.execution_options(isolation_level="AUTOCOMMIT")
    return _ReadOnly(conn)


class _ReadOnly(contextlib.AbstractContextManager):
    def __init__(self, conn):
        self.conn = conn
        self.token = None

    def __enter__(self):
        self.token = _read_only.set(True)
        return self.conn

    def __exit__(self, *exc):
        try:
            self.conn.close()
        finally:
            _read_only.reset(self.token)
