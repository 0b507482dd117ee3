"""``database.Prepared``: SQLAlchemy statements run on the driver cursor, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import bindparam, func, select

from lms import database
from lms.extensions import db
from lms.models.hours import LessonCredit
from lms.services import hours
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
    assert hours.lesson_seconds(db.session, user.id, KEY) == 40  # the ORM reads what it wrote


def test_run_belongs_to_the_transaction_it_runs_in(app):
    user = make_user()
    enrol(user, "demo")
    database.Prepared(_credit(user.id, date(2026, 11, 23), 30)).run(
        db.session.connection(), {"p_day": date(2026, 11, 23)}
    )
    db.session.rollback()
    assert hours.lesson_seconds(db.session, user.id, KEY) == 0


def test_a_missing_parameter_is_an_error_not_a_guess(app):
    prepared = database.Prepared(
        select(LessonCredit.seconds).where(LessonCredit.user_id == bindparam("u"))
    )
    with pytest.raises(KeyError):
        prepared.read(db.engine, {})
