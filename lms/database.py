"""Engine set-up shared by every process: SQLite pragmas and transaction begin modes.

SQLite in WAL mode lets readers run beside one writer. A transaction that first reads and then writes
fails at once with SQLITE_BUSY_SNAPSHOT if another writer committed in between, and the busy timeout
does not help. So transactions take the write lock at BEGIN (``BEGIN IMMEDIATE``) and wait their turn,
except where the caller declares it will only read (``set_read_only(True)``: the web layer does so
for GET and HEAD requests), which begin deferred and never block. PostgreSQL needs none of this.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from contextvars import ContextVar

from sqlalchemy import Table, delete, event, false
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

#: seconds a connection lives before it is replaced, pooled (``pool_recycle``) or held (below)
RECYCLE_SECONDS = 1800

_read_only: ContextVar[bool] = ContextVar("lms_read_only_transactions", default=False)


def set_read_only(value: bool):
    """For request hooks: returns a token for ``reset_read_only``."""
    return _read_only.set(value)


def reset_read_only(token) -> None:
    _read_only.reset(token)


def insert_for(dialect: str):
    """The ``insert`` construct with ``on_conflict_do_*`` for the dialect's name ("postgresql" or
    "sqlite")."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


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


def check_writable(engine: Engine, table: Table) -> None:
    """Raise the driver's error unless the database answers and accepts writes.

    A write statement on ``table`` that matches no row, rolled back: SQLite refuses it on a
    read-only file or connection, PostgreSQL in a read-only transaction or on a standby; nothing
    is changed.
    """
    with engine.connect() as connection:
        connection.execute(delete(table).where(false()))
        connection.rollback()


class Prepared:
    """A statement built once with SQLAlchemy Core, compiled once per dialect, and run on the DB-API
    cursor directly.

    For the few statements on the hottest paths (who is asking, on every request; the heartbeat's
    writes): SQLAlchemy's Connection and Result machinery costs several times such a statement
    (measured on SQLite: 230 µs against 40 µs). The statement is still SQLAlchemy's, compiled by
    its dialect, and bound values go through the same type conversions SQLAlchemy applies; rows
    come back as the driver returns them (SQLite gives booleans as 0/1).
    """

    def __init__(self, statement):
        self.statement = statement
        #: per dialect: SQL text, bind names in order (None: named), fixed values, converters,
        #: the names a caller must give
        self._compiled: dict[str, tuple] = {}
        self._results: dict[str, tuple] = {}  #: per dialect: each column's result processor

    def _compile(self, dialect):
        compiled = self.statement.compile(dialect=dialect)
        fixed, convert, required = {}, {}, set()
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                convert[name] = processor
            if bind.required:
                required.add(name)
            else:
                fixed[name] = bind.effective_value  # literals in the statement, e.g. coalesce(x, 0)
        order = tuple(compiled.positiontup) if compiled.positional else None
        self._compiled[dialect.name] = (compiled.string, order, fixed, convert, frozenset(required))
        return self._compiled[dialect.name]

    def _bind(self, dialect, params: dict):
        sql, order, fixed, convert, required = self._compiled.get(dialect.name) or self._compile(
            dialect
        )
        if not required <= params.keys():
            raise KeyError(f"missing parameters: {sorted(required - params.keys())}")
        values = {**fixed, **params}
        for name, processor in convert.items():
            values[name] = processor(values[name])
        if order is not None:
            return sql, tuple(values[name] for name in order)
        return sql, values

    def read(self, engine: Engine, params: dict) -> list[tuple]:
        """Every row, outside any transaction (SQLite connections are in autocommit mode, see
        ``_sqlite_connect``; PostgreSQL ones are switched to it).

        On the main thread, on the connection this process holds for such reads (``_HeldRead``):
        a request's principal is read on every page, and taking a connection from the pool and
        giving it back cost as much as the statement. Elsewhere (threads, pools other than a
        ``QueuePool``) on a pooled connection of its own."""
        sql, values = self._bind(engine.dialect, params)
        if threading.get_ident() == _MAIN_THREAD and type(engine.pool) is QueuePool:
            return _HELD.read(engine, sql, values)
        return _read_pooled(engine, sql, values)

    def read_typed(self, engine: Engine, params: dict) -> list[tuple]:
        """``read``, with each column converted as SQLAlchemy's Result would (dates, JSON)."""
        dialect = engine.dialect
        processors = self._results.get(dialect.name)
        if processors is None:
            processors = tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in self.statement.selected_columns
            )
            self._results[dialect.name] = processors
        return [
            tuple(
                value if p is None else p(value) for p, value in zip(processors, row, strict=True)
            )
            for row in self.read(engine, params)
        ]

    def run(self, connection: Connection | Transaction, params: dict) -> list[tuple]:
        """In ``connection``'s transaction (begun as usual, e.g. by ``Session.connection()``):
        the rows a statement returns (``RETURNING``), or an empty list."""
        sql, values = self._bind(connection.dialect, params)
        return _run(connection.dialect, connection.connection, sql, values, connection.invalidate)


def _read_pooled(engine: Engine, sql: str, values) -> list[tuple]:
    raw = engine.raw_connection()
    sqlite = engine.dialect.name == "sqlite"
    try:
        if not sqlite:
            raw.driver_connection.autocommit = True
        return _run(engine.dialect, raw, sql, values, raw.invalidate, rows=True)
    finally:
        if not sqlite and raw.is_valid:
            raw.driver_connection.autocommit = False
        raw.close()


_MAIN_THREAD = threading.main_thread().ident


class _HeldRead:
    """The one connection a process keeps for ``Prepared.read`` on its main thread.

    Taken from the engine's pool once and detached from it (SQLAlchemy's ``detach``: the pool
    forgets it, so it neither counts against the pool's size nor is handed to anyone else), in
    autocommit mode, so each statement sees what was committed before it. A gunicorn sync worker
    serves every request on its main thread: one connection per worker besides its pool. Threads
    (the development server makes one per request) never use it: a thread's connection would
    outlive the thread.

    Replaced when the engine's pool is not the one it came from (``engine.dispose()`` makes a new
    pool; each test app has its own engine), after ``RECYCLE_SECONDS`` as pooled connections are,
    and when the database drops it: the statement is then run once more on a new connection (a
    read changes nothing), so a database restart costs no request an error. A forked child never
    uses its parent's: it keeps a reference and makes its own, since closing or using a connection
    shared with another process would break the parent's.
    """

    def __init__(self) -> None:
        self._pool = None
        self._connection = None
        self._born = 0.0
        self._inherited: list = []  # a parent's connection, after a fork: never used or closed
        os.register_at_fork(after_in_child=self._forget)

    def read(self, engine: Engine, sql: str, values) -> list[tuple]:
        connection = self._connection
        if (
            connection is None
            or self._pool is not engine.pool
            or time.monotonic() - self._born > RECYCLE_SECONDS
        ):
            connection = self._connect(engine)
        dropped: list = []
        try:
            return _run(engine.dialect, connection, sql, values, dropped.append, rows=True)
        except engine.dialect.loaded_dbapi.Error:
            if not dropped:
                raise  # the statement failed; the connection is as good as before
        # the database closed it (a restart, an idle connection cut): once more on a new one
        dropped.clear()
        try:
            return _run(engine.dialect, self._connect(engine), sql, values, dropped.append,
                        rows=True)  # fmt: skip
        finally:
            if dropped:
                self.release()

    def _connect(self, engine: Engine):
        self.release()
        raw = engine.raw_connection()
        try:
            if engine.dialect.name != "sqlite":
                raw.driver_connection.autocommit = True
            raw.detach()
        except BaseException:
            raw.close()
            raise
        self._pool, self._connection, self._born = engine.pool, raw, time.monotonic()
        return raw

    def release(self) -> None:
        """Close the held connection (a new one is made on the next read)."""
        connection, self._connection, self._pool = self._connection, None, None
        if connection is not None:
            with contextlib.suppress(Exception):  # a broken one has nothing to give back
                connection.close()  # detached: really closed

    def _forget(self) -> None:
        if self._connection is not None:
            self._inherited.append(self._connection)
        self._connection, self._pool = None, None


_HELD = _HeldRead()


def release_held_read() -> None:
    """Close this process's connection for ``Prepared.read`` (before a preloading master forks;
    tests that trace the driver start and end with a new one)."""
    _HELD.release()


class Transaction:
    """A write transaction on a pooled DB-API connection, for ``Prepared`` statements alone.

    The heartbeat is the busiest write and runs four such statements: around them, an ORM session's
    transaction costs several times the statements themselves (SQLite: about 200 µs against 25 µs
    for BEGIN and COMMIT on the driver). ``Prepared.run`` accepts this object as it accepts a
    SQLAlchemy ``Connection``. On SQLite the write lock is taken at BEGIN (``BEGIN IMMEDIATE``, as
    for every write transaction here); PostgreSQL's driver begins on the first statement.

    Commits when the block ends normally, rolls back when it raises or when ``rollback()`` was
    called inside it::

        with Transaction(engine) as tx:
            rows = statement.run(tx, params)
    """

    def __init__(self, engine: Engine):
        self.dialect = engine.dialect
        self._engine = engine
        self._open = False

    def __enter__(self) -> Transaction:
        self.connection = self._engine.raw_connection()
        self._open = True
        if self.dialect.name == "sqlite":
            try:
                _run(self.dialect, self.connection, "BEGIN IMMEDIATE", (), self.invalidate)
            except BaseException:
                self.connection.close()
                raise
        return self

    def invalidate(self, error: BaseException | None = None) -> None:
        self.connection.invalidate(error)

    def rollback(self) -> None:
        """Give up everything this transaction wrote; the block then ends without a commit."""
        if self._open and self.connection.is_valid:
            self.connection.rollback()
        self._open = False

    def __exit__(self, exc_type, exc, traceback) -> None:
        try:
            if exc_type is None and self._open:
                self.connection.commit()
            else:
                self.rollback()
        finally:
            self._open = False
            self.connection.close()


def run_in_one_round_trip(
    engine: Engine, statements: list[tuple[Prepared, dict]], *, wait_for_disk: bool = True
) -> list[list]:
    """Run ``statements`` in one write transaction and return each one's rows.

    On PostgreSQL, BEGIN, the statements and COMMIT go to the server together (psycopg's pipeline
    mode) and come back in one round trip, where one at a time costs a round trip each: on a busy
    host each one waits for the server process to be scheduled. A statement that fails skips the
    rest and the transaction is rolled back; the error is raised. Elsewhere they run one after
    another in a ``Transaction``.

    ``wait_for_disk=False``: COMMIT answers before the write-ahead log reaches the disk
    (PostgreSQL's ``synchronous_commit = off`` for this transaction alone). Measured here, the
    flush costs 2-3 ms against 0.2 ms for the write itself. A PostgreSQL crash may then lose the
    last fraction of a second of such transactions, whole (never half of one); the database stays
    consistent."""
    if engine.dialect.name != "postgresql":
        with Transaction(engine) as tx:
            return [prepared.run(tx, params) for prepared, params in statements]
    bound = [prepared._bind(engine.dialect, params) for prepared, params in statements]
    raw = engine.raw_connection()
    conn = raw.driver_connection
    try:
        conn.autocommit = True  # BEGIN and COMMIT are sent as statements, in the same batch
        cursors = []
        try:
            with conn.pipeline():
                conn.execute("BEGIN")
                if not wait_for_disk:
                    conn.execute("SET LOCAL synchronous_commit TO OFF")
                for sql, values in bound:
                    cursor = conn.cursor()
                    cursor.execute(sql, values)
                    cursors.append(cursor)
                conn.execute("COMMIT")
            return [
                cursor.fetchall() if cursor.description is not None else [] for cursor in cursors
            ]
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, raw.dbapi_connection, None):
                raw.invalidate(error)
            elif conn.info.transaction_status != 0:  # not idle: the failed transaction is open
                conn.execute("ROLLBACK")
            raise
    finally:
        if raw.is_valid:
            conn.autocommit = False
        raw.close()


def _run(dialect, raw, sql: str, values, invalidate, *, rows: bool = False) -> list[tuple]:
    """``rows``: the statement is a query (``read``), so its rows are fetched without asking the
    cursor for a description first (psycopg builds one object per column for it: a fifth of a
    short query's cost on the client)."""
    cursor = None
    try:
        cursor = raw.cursor()  # fails too on a connection the database (or SQLite) closed
        cursor.execute(sql, values)
        if rows or cursor.description is not None:
            return cursor.fetchall()
        return []
    except dialect.loaded_dbapi.Error as error:
        if dialect.is_disconnect(error, raw.dbapi_connection, cursor):
            invalidate(error)  # as SQLAlchemy does: the pool drops a dead connection
        raise
    finally:
        if cursor is not None:
            cursor.close()
