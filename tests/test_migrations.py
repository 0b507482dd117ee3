"""The migrated schema equals the models (columns, indexes, CHECK constraints), on SQLite and on
PostgreSQL; migrations run both ways, and on a populated database every step down either keeps
every row and value that still has a place or refuses, changing nothing."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date, time

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import CheckConstraint, create_engine, inspect, text
from sqlalchemy.engine import make_url

from lms.config import ROOT
from lms.extensions import db
from lms.models import Base
from tests.conftest import make_app

MIGRATIONS = str(ROOT / "migrations")


@pytest.fixture
def empty_database(db_url, tmp_path) -> Iterator[str]:
    """A database of its own, empty, on the same server as the test database."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    name = f"lms_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _differences(engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": False}
        )
        return compare_metadata(context, Base.metadata)


#: words a database adds when it stores a CHECK expression (PostgreSQL casts, ANY(ARRAY[...]))
_NOISE = {"text", "character", "varying", "any", "array", "in"}


def _shape(sql: str) -> tuple[str, ...]:
    """A CHECK expression as the sorted words, literals and numbers it is made of."""
    tokens = re.findall(r"'[^']*'|\d+|[A-Za-z_]+", str(sql))
    return tuple(sorted(t.lower() for t in tokens if t.lower() not in _NOISE))


def _model_checks() -> dict[str, Counter]:
    checks: dict[str, Counter] = {}
    for table in Base.metadata.sorted_tables:
        shapes = Counter(
            _shape(c.sqltext) for c in table.constraints if isinstance(c, CheckConstraint)
        )
        if shapes:
            checks[table.name] = shapes
    return checks


def _database_checks(engine) -> dict[str, Counter]:
    inspector = inspect(engine)
    checks: dict[str, Counter] = {}
    for name in inspector.get_table_names():
        shapes = Counter(_shape(c["sqltext"]) for c in inspector.get_check_constraints(name))
        if shapes:
            checks[name] = shapes
    return checks


def test_migrations_build_exactly_the_models_and_run_both_ways(empty_database):
    app = make_app(empty_database)
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        assert _differences(db.engine) == []
        assert _database_checks(db.engine) == _model_checks()
        tables = set(inspect(db.engine).get_table_names())
        assert {t.name for t in Base.metadata.sorted_tables} <= tables

        downgrade(directory=MIGRATIONS, revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}

        upgrade(directory=MIGRATIONS)
        assert _differences(db.engine) == []
        db.engine.dispose()


def test_the_check_comparison_sees_a_value_added_in_python_only():
    """Adding a role to ROLES without a migration changes the model's CHECK shape."""
    from lms.models.users import User

    (role_check,) = [
        c for c in User.__table__.constraints
        if isinstance(c, CheckConstraint) and str(c.sqltext).startswith("role ")
    ]  # fmt: skip
    widened = str(role_check.sqltext).replace("'admin'", "'admin', 'auditor'")
    assert _shape(widened) != _shape(role_check.sqltext)
    postgres_form = (
        "((role)::text = ANY ((ARRAY['learner'::character varying, 'instructor'::character "
        "varying, 'programme_manager'::character varying, 'admin'::character varying])::text[]))"
    )
    assert _shape(postgres_form) == _shape(role_check.sqltext)


# --- a populated database ------------------------------------------------------------------------
def populate() -> None:
    """At least one row in every table, with every nullable link set, as the app would write them."""
    from lms.models.certificates import SerialCounter
    from lms.models.cohorts import (
        Assignment,
        AuditEvent,
        CohortInvitation,
        Organisation,
        RosterUpload,
    )
    from lms.models.figures import CourseEvaluation, FiguresEnrolment, KnowledgeTest
    from lms.models.hours import (
        HeartbeatTab,
        HoursAdjustment,
        LearnerClock,
        LessonCredit,
        MarkChange,
        WorkshopMark,
        WorkshopSession,
    )
    from lms.models.jobs import Job
    from lms.models.quizzes import QuizAttempt, QuizGrant, QuizRequest
    from tests.factories import NOW, make_certificate, make_cohort, make_user

    organisation = Organisation(name="Dar-ul-Aman Quetta", organisation_type="residential-care",
                                created_at=NOW)  # fmt: skip
    db.session.add(organisation)
    db.session.commit()
    instructor = make_user(role="instructor")
    learner = make_user(setup_token_hash="a" * 64, setup_expires_at=NOW, erased_at=NOW, locale="ur",
                        sex="female", age_band="25-34", work_role="social-worker",
                        demographics_asked_at=NOW)  # fmt: skip
    make_user(role="programme_manager", scope_province="Sindh", scope_organisation="Sahil")
    cohort = make_cohort(instructor, [learner], organisation_id=organisation.id)
    workshop = WorkshopSession(
        course_slug="demo", module_slug="01-basics", held_on=date(2026, 3, 1), starts_at=time(9),
        minutes=60, place="Quetta", facilitator="A", created_by=instructor.id, created_at=NOW,
        cohort_id=cohort.id,
    )  # fmt: skip
    db.session.add(workshop)
    db.session.flush()
    mark = WorkshopMark(session_id=workshop.id, user_id=learner.id, status="late",
                        minutes_attended=40, remark="came from duty", marked_by=instructor.id,
                        marked_at=NOW)  # fmt: skip
    db.session.add(mark)
    db.session.flush()
    db.session.add_all([
        MarkChange(mark_id=mark.id, changed_by=instructor.id, changed_at=NOW,
                   old_status="absent", old_minutes=0, new_status="late", new_minutes=40),
        LearnerClock(user_id=learner.id, last_at=1_772_000_000_000, last_credit=30),
        HeartbeatTab(user_id=learner.id, tab="tab-1", last_seq=7, seen_at=1_772_000_000_000),
        LessonCredit(user_id=learner.id, course_slug="demo", module_slug="01-basics",
                     lesson_key="demo/01-basics/welcome", day=date(2026, 3, 2), seconds=300),
        HoursAdjustment(user_id=learner.id, course_slug="demo", module_slug="01-basics",
                        minutes=15, reason="Read on paper", created_by=instructor.id,
                        created_at=NOW),
        QuizAttempt(user_id=learner.id, course_slug="demo", module_slug="01-basics", number=1,
                    seed=3, question_ids=["q-single"], pass_mark=70, content_version="x",
                    started_at=NOW, saved_at=NOW, submitted_at=NOW, responses={"q-single": "a"},
                    marks={"q-single": 1.0}, score=100, passed=True),
        QuizGrant(user_id=learner.id, course_slug="demo", module_slug="01-basics",
                  after_attempts=1, granted_by=instructor.id, granted_at=NOW),
        SerialCounter(course_code="DEMO", year=2026, last_number=1),
        KnowledgeTest(user_id=learner.id, course_slug="demo", kind="pre", seed=5,
                      choice_secret="c" * 64, question_ids=["m1.q-single"], content_version="x",
                      started_at=NOW, submitted_at=NOW, responses={"m1.q-single": "0"}, score=100),
        FiguresEnrolment(user_id=learner.id, course_slug="demo", catalog_key="0123456789abcdef",
                         completed=0, passed=1, certified_at=NOW, active=1, credited_seconds=1200,
                         online_seconds=300, workshop_seconds=2400, pre_score=100, post_score=None),
        CourseEvaluation(user_id=learner.id, course_slug="demo", satisfaction=5, usefulness=4,
                         confidence_before=2, confidence_after=4, improve="More cases",
                         comments="Thank you", submitted_at=NOW),
        Assignment(cohort_id=cohort.id, module_slug="01-basics", due_on=date(2026, 4, 1),
                   created_by=instructor.id, created_at=NOW),
        RosterUpload(cohort_id=cohort.id, text="full name,e-mail\n", uploaded_by=instructor.id,
                     uploaded_at=NOW),
        CohortInvitation(cohort_id=cohort.id, email="invited@example.org",
                         invited_by=instructor.id, invited_at=NOW, declined_at=NOW),
        AuditEvent(at=NOW, actor_id=instructor.id, action="marked", target="workshop:1",
                   details={"learner": learner.id}),
        Job(kind="export-matrix", key="roster:1", started_by=instructor.id,
            arguments={"cohort": cohort.id}, state="done", done=1, total=1, result={"rows": 1},
            error="none", file_name="a.csv", file_type="text/csv", file_data=b"a,b\r\n", runs=1,
            created_at=NOW, started_at=NOW, finished_at=NOW),
    ])  # fmt: skip
    db.session.commit()
    first = make_certificate(learner, issued_by=instructor.id, revoked_at=NOW,
                             revoked_reason="test", revoked_by=instructor.id,
                             expires_at=NOW)  # fmt: skip
    renewed = make_certificate(learner, generation=2, renews_id=first.id, expires_at=NOW)
    from lms.models.certificates import CertificateEvent, ExpiryReminder

    db.session.add_all([
        CertificateEvent(certificate_id=first.id, kind="revoked", at=NOW, by=instructor.id,
                         reason="test"),
        ExpiryReminder(certificate_id=renewed.id, user_id=learner.id, days_before=60,
                       due_on=NOW.date(), sent_at=NOW),
    ])  # fmt: skip
    attempt = db.session.query(QuizAttempt).filter_by(user_id=learner.id).one()
    db.session.add(QuizRequest(attempt_id=attempt.id, action="submit", key="k" * 22, at=NOW))
    db.session.commit()


def _snapshot(engine) -> dict[str, tuple[tuple[str, ...], Counter]]:
    """Every table's columns and its rows (as a multiset), but Alembic's own table."""
    inspector = inspect(engine)
    tables = {
        table: tuple(sorted(c["name"] for c in inspector.get_columns(table)))
        for table in inspector.get_table_names()
        if table != "alembic_version"
    }
    snapshot = {}
    with engine.connect() as conn:
        for table, columns in tables.items():
            quoted = ", ".join(f'"{c}"' for c in columns)
            rows = conn.execute(text(f'SELECT {quoted} FROM "{table}"')).all()
            snapshot[table] = (columns, Counter(tuple(map(repr, row)) for row in rows))
    return snapshot


def _lost(before, after) -> list[str]:
    """What a step dropped or changed that held data: tables with rows, columns with a value,
    values in surviving columns."""
    lost = []
    for table, (old_columns, old_rows) in before.items():
        if table not in after:
            if old_rows:
                lost.append(table)
            continue
        columns, rows = after[table]
        for gone in set(old_columns) - set(columns):
            i = old_columns.index(gone)
            if any(row[i] != "None" for row in old_rows):
                lost.append(f"{table}.{gone}")
        keep = [c for c in columns if c in old_columns]
        projected = Counter(
            tuple(row[old_columns.index(c)] for c in keep) for row in old_rows.elements()
        )
        now = Counter(tuple(row[columns.index(c)] for c in keep) for row in rows.elements())
        if projected != now:
            lost.append(table)
    return lost


def _current(engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_every_table_is_populated_for_the_downgrade_test(empty_database):
    app = make_app(empty_database)
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        populate()
        empty = [t for t, (_, rows) in _snapshot(db.engine).items() if not rows]
        assert empty == [], "give these tables a row in populate()"
        db.session.remove()
        db.engine.dispose()


def _refused(capfd) -> bool:
    """Flask-Migrate logs a refusing downgrade's message and exits 1, as `flask db` would."""
    return "Nothing was changed" in capfd.readouterr().err


def test_each_step_down_keeps_data_or_refuses_and_changes_nothing(empty_database, capfd):
    """From head to base, one revision at a time, on a populated database."""
    app = make_app(empty_database)
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        populate()
        db.session.remove()
        script = ScriptDirectory.from_config(
            app.extensions["migrate"].migrate.get_config(MIGRATIONS)
        )
        revisions = [r.revision for r in script.walk_revisions()]  # head first
        refused = 0
        for revision in revisions:
            assert _current(db.engine) == revision
            before = _snapshot(db.engine)
            capfd.readouterr()
            try:
                downgrade(directory=MIGRATIONS, revision="-1")
            except SystemExit:
                assert _refused(capfd)
                refused += 1
                assert _current(db.engine) == revision
                assert _snapshot(db.engine) == before, f"{revision} changed data, then refused"
                downgrade(directory=MIGRATIONS, revision="-1", x_arg=["data-loss=allow"])
                continue
            assert _lost(before, _snapshot(db.engine)) == [], f"{revision} lost data silently"
        assert _current(db.engine) is None
        assert refused, "a populated database should meet at least one refusal"

        upgrade(directory=MIGRATIONS)
        assert _differences(db.engine) == []
        db.engine.dispose()


def test_one_step_down_and_up_keeps_data_when_the_schema_allows(empty_database, capfd):
    """The latest revision's downgrade and upgrade leave the data as it was, or it refuses."""
    app = make_app(empty_database)
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        populate()
        db.session.remove()
        before = _snapshot(db.engine)
        try:
            downgrade(directory=MIGRATIONS, revision="-1")
        except SystemExit:
            assert _refused(capfd)
            assert _snapshot(db.engine) == before
        else:
            upgrade(directory=MIGRATIONS)
            assert _lost(before, _snapshot(db.engine)) == []
        db.engine.dispose()


def test_the_migrations_make_the_models_triggers(empty_database):
    """The triggers that mark an enrolment's figures changed (``lms.models.figures``) exist after
    the migrations as after ``create_all``: a later migration that rebuilds one of their tables
    (SQLite's batch mode copies a table and drops the old one, triggers and all) must make them
    again."""
    from lms.models.figures import trigger_names

    app = make_app(empty_database)
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            if db.engine.dialect.name == "postgresql":
                query = "SELECT DISTINCT trigger_name FROM information_schema.triggers"
            else:
                query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            names = sorted(n for (n,) in conn.exec_driver_sql(query) if n.startswith("figures_"))
        assert names == trigger_names()
        db.engine.dispose()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_the_figures_migration_writes_the_models_triggers_word_for_word(dialect):
    """The migration keeps its own copy of the trigger DDL (a migration is frozen in time); today
    it is the models' (``lms.models.figures.create_triggers``), statement for statement."""
    import importlib.util
    import types

    from lms.models.figures import create_triggers

    path = ROOT / "migrations" / "versions" / "20261202_figperf_figures_summary.py"
    spec = importlib.util.spec_from_file_location("figperf_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    executed: list[str] = []
    bind = types.SimpleNamespace(dialect=types.SimpleNamespace(name=dialect))
    module.op = types.SimpleNamespace(
        execute=executed.append, create_table=lambda *a, **k: None, f=lambda name: name,
        get_bind=lambda: bind,
    )  # fmt: skip
    module.upgrade()
    assert executed == create_triggers(dialect)


def _reloptions(engine, table: str) -> dict[str, str]:
    with engine.connect() as conn:
        (options,) = conn.exec_driver_sql(
            "SELECT reloptions FROM pg_class WHERE relname = %(t)s", {"t": table}
        ).one()
    return dict(option.split("=", 1) for option in options or [])


def test_the_figures_queue_is_vacuumed_by_count_after_the_migrations_as_after_create_all(
    empty_database, db_url
):
    """``figures_change`` is a queue: vacuumed and analysed after a fixed number of changes
    (``lms.models.figures.AUTOVACUUM``), whether the schema came from the migrations or from the
    models; the downgrade takes the settings off."""
    from lms.models.figures import AUTOVACUUM

    if make_url(db_url).get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no autovacuum")
    app = make_app(empty_database)
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        assert _reloptions(db.engine, "figures_change") == AUTOVACUUM
        downgrade(directory=MIGRATIONS, revision="offlinedata_20261202")
        assert _reloptions(db.engine, "figures_change") == {}
        db.engine.dispose()
    models = make_app(db_url)
    with models.app_context():
        assert _reloptions(db.engine, "figures_change") == AUTOVACUUM
        db.engine.dispose()
