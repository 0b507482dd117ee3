"""``database.Prepared``: SQLAlchemy statements run on the driver cursor, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import bindparam, func, select

from lms import database
from lms.extensions import db
from lms.models.hours import LessonCredit
from lms.services import heartbeat
from tests.factories import enrol, make_user

KEY = "demo/01-basics/welcome"


def _credit(user_id: int, day: date, seconds: int):
    from sqlalchemy.dialects import postgresql, sqlite

    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    return insert(LessonCredit).values(
        user_id=user_id,
        course_slug="demo",
        module_slug="01-basics",
        lesson_key=KEY,
        day=bindparam("p_day"),
        seconds=seconds,
    )


def test_read_returns_rows_with_literals_and_typed_binds(app):
    user = make_user()
    enrol(user, "demo")
    # a Date bind (SQLite stores text: SQLAlchemy's conversion must be applied) and a literal
    # inside the statement (coalesce's 0)
    statement = select(func.coalesce(func.sum(LessonCredit.seconds), 0)).where(
        LessonCredit.user_id == bindparam("user_id"), LessonCredit.day == bindparam("day")
    )
    prepared = database.Prepared(statement)
    assert prepared.read(db.engine, {"user_id": user.id, "day": date(2026, 11, 23)}) == [(0,)]

    database.Prepared(_credit(user.id, date(2026, 11, 23), 40)).run(
        db.session.connection(), {"p_day": date(2026, 11, 23)}
    )
    db.session.commit()
    assert prepared.read(db.engine, {"user_id": user.id, "day": date(2026, 11, 23)}) == [(40,)]
    assert prepared.read(db.engine, {"user_id": user.id, "day": date(2026, 11, 22)}) == [(0,)]
    assert heartbeat.lesson_seconds(db.session, user.id, KEY) == 40  # the ORM reads what it wrote


def test_run_belongs_to_the_transaction_it_runs_in(app):
    user = make_user()
    enrol(user, "demo")
    database.Prepared(_credit(user.id, date(2026, 11, 23), 30)).run(
        db.session.connection(), {"p_day": date(2026, 11, 23)}
    )
    db.session.rollback()
    assert heartbeat.lesson_seconds(db.session, user.id, KEY) == 0


def test_a_missing_parameter_is_an_error_not_a_guess(app):
    prepared = database.Prepared(
        select(LessonCredit.seconds).where(LessonCredit.user_id == bindparam("u"))
    )
    with pytest.raises(KeyError):
        prepared.read(db.engine, {})


# --- database.Transaction: the heartbeat's own write transaction ------------------------------------
def _in_transaction(user_id: int, seconds: int, end) -> None:
    with database.Transaction(db.engine) as tx:
        database.Prepared(_credit(user_id, date(2026, 11, 23), seconds)).run(
            tx, {"p_day": date(2026, 11, 23)}
        )
        end(tx)


def _checked_out() -> int:
    return db.engine.pool.checkedout()


def _user_id() -> int:
    """A committed user's id, read before the commit: reading it after would begin a transaction
    in this test's session (on SQLite, one that holds the write lock)."""
    user_id = make_user().id
    db.session.commit()
    return user_id


def test_a_transaction_commits_when_its_block_ends(app):
    user_id = _user_id()
    before = _checked_out()
    _in_transaction(user_id, 25, lambda tx: None)
    assert _checked_out() == before  # the connection went back to the pool
    assert heartbeat.lesson_seconds(db.session, user_id, KEY) == 25


def test_a_transaction_rolls_back_on_request_and_on_error(app):
    user_id = _user_id()
    before = _checked_out()
    _in_transaction(user_id, 25, lambda tx: tx.rollback())

    def fail(tx):
        raise RuntimeError("a failure after the write")

    with pytest.raises(RuntimeError):
        _in_transaction(user_id, 35, fail)
    assert _checked_out() == before
    assert heartbeat.lesson_seconds(db.session, user_id, KEY) == 0


def test_a_bad_statement_rolls_the_transaction_back(app):
    user_id = _user_id()

    def twice(tx):  # the same key again: the second insert fails
        database.Prepared(_credit(user_id, date(2026, 11, 23), 25)).run(
            tx, {"p_day": date(2026, 11, 23)}
        )

    with pytest.raises(db.engine.dialect.loaded_dbapi.Error):
        _in_transaction(user_id, 25, twice)
    assert heartbeat.lesson_seconds(db.session, user_id, KEY) == 0


def test_on_sqlite_a_transaction_takes_the_write_lock_at_begin(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's locking")
    with database.Transaction(db.engine) as tx:
        assert tx.connection.in_transaction
        # a write lock is held: another connection cannot begin a write transaction
        other = db.engine.raw_connection()
        try:
            other.execute("PRAGMA busy_timeout=0")
            with pytest.raises(db.engine.dialect.loaded_dbapi.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.execute("PRAGMA busy_timeout=15000")
            other.close()


# --- the connection a process holds for reads on its main thread ----------------------------------
def _read_seconds(user_id: int) -> int:
    rows = database.Prepared(
        select(func.coalesce(func.sum(LessonCredit.seconds), 0)).where(
            LessonCredit.user_id == bindparam("user_id")
        )
    ).read(db.engine, {"user_id": user_id})
    return rows[0][0]


def _held():
    return database._HELD._connection


def _commit_credit(user_id: int, seconds: int, day: date = date(2026, 11, 23)) -> None:
    database.Prepared(_credit(user_id, day, seconds)).run(db.session.connection(), {"p_day": day})
    db.session.commit()


def test_reads_on_the_main_thread_share_one_connection_outside_the_pool(app):
    user_id = _user_id()
    before = _checked_out()
    assert _read_seconds(user_id) == 0
    held = _held()
    assert held is not None
    assert _checked_out() == before  # detached: not counted, not handed to anyone else
    _commit_credit(user_id, 40)  # committed by another connection after the first read
    assert _read_seconds(user_id) == 40  # autocommit: each read sees what was committed before it
    assert _held() is held
    _commit_credit(user_id, 20, date(2026, 11, 24))
    assert _read_seconds(user_id) == 60


def test_a_read_on_another_thread_takes_a_pooled_connection(app):
    import threading

    user_id = _user_id()
    _read_seconds(user_id)
    held = _held()
    before = _checked_out()
    seen = []

    def read():
        with app.app_context():
            seen.append(_read_seconds(user_id))

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    assert seen == [0]
    assert _held() is held
    assert _checked_out() == before  # the thread's connection went back to the pool


def test_a_new_pool_or_an_old_connection_means_a_new_held_connection(app, monkeypatch):
    user_id = _user_id()
    _read_seconds(user_id)
    first = _held()
    db.engine.dispose()  # a new pool: the held connection came from the old one
    assert _read_seconds(user_id) == 0
    second = _held()
    assert second is not first
    assert first.dbapi_connection is None  # closed, not left open
    monkeypatch.setattr(database, "RECYCLE_SECONDS", -1)
    _read_seconds(user_id)
    assert _held() is not second


def _drop(connection) -> None:
    """What a database restart does to an idle connection."""
    if db.engine.dialect.name == "sqlite":
        connection.dbapi_connection.close()
        return
    pid = connection.dbapi_connection.info.backend_pid
    with db.engine.connect() as other:
        other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")


def test_a_dropped_held_connection_costs_the_reader_nothing(app):
    user_id = _user_id()
    _commit_credit(user_id, 30)
    assert _read_seconds(user_id) == 30
    dropped = _held()
    _drop(dropped)
    assert _read_seconds(user_id) == 30  # run once more on a new connection
    assert _held() is not dropped
    assert _read_seconds(user_id) == 30


def test_a_failing_statement_keeps_the_held_connection(app):
    user_id = _user_id()
    _read_seconds(user_id)
    held = _held()
    with pytest.raises(db.engine.dialect.loaded_dbapi.Error):
        database.Prepared(select(func.no_such_function(1))).read(db.engine, {})
    assert _held() is held
    assert _read_seconds(user_id) == 0


def test_a_forked_child_never_uses_its_parents_held_connection(app):
    import os

    _read_seconds(_user_id())
    parent = _held()
    pid = os.fork()
    if pid == 0:  # the child: no cleanup, no finalizers (they would close shared connections)
        ok = _held() is None and parent in database._HELD._inherited
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert _held() is parent  # the parent's is untouched
    assert _read_seconds(_user_id()) == 0
