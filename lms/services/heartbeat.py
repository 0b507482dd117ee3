"""The heartbeat: online reading time credited to a lesson (DESIGN.md §2, Attendance hours).

**The rule.** A heartbeat reports the active seconds since the page's last acknowledged one. The
server credits ``min(reported, whole seconds elapsed on this learner's clock, 60)`` (900 for a
catch-up after the connection dropped), never beyond the lesson's minutes. The clock
(``LearnerClock``) is one row per learner, shared by all their tabs:

- the first heartbeat ever only starts it (credit 0: no earlier heartbeat shows that time passed);
- after that, each heartbeat moves it on by the *whole* seconds elapsed since it (at most one
  second behind the heartbeat: the remainder is carried to the next one), whatever the credit;
- a heartbeat at or before the clock (requests of two processes out of order) earns nothing.

So the clock only ever moves by whole seconds and each credit is at most the seconds it moved:
whatever the spacing, the number of tabs or the order of arrival, a learner's credit never exceeds
the time between their first heartbeat and their latest. Credit and clock are computed from the old
clock value in one ``UPDATE ... RETURNING``; that row lock also serialises a learner's concurrent
heartbeats, so the lesson-cap read that follows cannot race. A repeated (tab, sequence number)
earns nothing; the tab rows are pruned by ``prune_tabs`` (``flask --app lms lms prune``).

**The two paths**, both in ``record``: most heartbeats run as prepared statements in a
``database.Transaction`` of their own (no ORM session: it costs several times these statements).
On SQLite they run statement by statement (``_Statements``: no round trips, the database is in
the process); on PostgreSQL the whole rule is one statement (``_PG_BEAT``) after the clock row is
locked, and BEGIN, both and COMMIT travel in one round trip (``database.run_in_one_round_trip``;
one at a time they cost six). Both are held to the same specification by the tests. A heartbeat
whose time may complete the course (every quiz passed) is credited in the ORM session instead,
so that the certificate is issued in the same transaction. The own transaction must begin before
anything uses the ORM session: on SQLite that session's transaction holds the write lock, and the
heartbeat's ``BEGIN IMMEDIATE`` would wait out the busy timeout. ``record`` refuses to start
otherwise (``HeartbeatOrderError``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Date,
    Integer,
    String,
    bindparam,
    case,
    delete,
    func,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, scoped_session

from lms.content import Catalog
from lms.content.schema import Lesson
from lms.database import Prepared, Transaction, insert_for, run_in_one_round_trip
from lms.models.hours import HeartbeatTab, LearnerClock, LessonCredit
from lms.services import ServiceError, certificates, completion

CAP_SECONDS = 60
CATCH_UP_SECONDS = 15 * 60
MAX_REPORTED_SECONDS = 24 * 60 * 60
#: a tab not heard from for this long is forgotten by ``prune_tabs``: its sequence number only
#: stops a retried request from being counted twice, and the clock bounds even that
TAB_KEPT = timedelta(hours=24)


#: PostgreSQL: whether a heartbeat's COMMIT waits for the disk. It does not: the flush costs ten
#: times the heartbeat's write, and a database crash can then lose at most the last fraction of a
#: second of heartbeats, each whole (its credit and the learner's clock together, so the next
#: heartbeat is judged against the clock as it was). A heartbeat that may issue a certificate
#: takes the ORM path, which waits as every other write does.
WAIT_FOR_DISK = False


class HeartbeatOrderError(RuntimeError):
    """``record`` was called after something began a transaction in the ORM session."""


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def _ms(moment: datetime) -> int:
    """Epoch milliseconds, in integer arithmetic (a float timestamp may be a millisecond off)."""
    return (moment - _EPOCH) // _MS


@dataclass(frozen=True)
class Heartbeat:
    lesson_key: str
    seconds: int
    seq: int
    tab: str
    catch_up: bool = False


@dataclass(frozen=True)
class HeartbeatResult:
    credited: int  #: seconds added to the lesson by this heartbeat
    lesson_seconds: int  #: the lesson's credited seconds now, all days together
    repeated: bool = False


def lesson_seconds_query(user_id, lesson_key):
    """A learner's credited seconds on one lesson, all days together, as a statement that a bigger
    query may also take as a column (the lesson page asks it together with who is asking)."""
    return select(func.coalesce(func.sum(LessonCredit.seconds), 0)).where(
        LessonCredit.user_id == user_id, LessonCredit.lesson_key == lesson_key
    )


_LESSON_SECONDS = lesson_seconds_query(bindparam("user_id"), bindparam("lesson_key"))


def lesson_seconds(session_or_conn, user_id: int, lesson_key: str) -> int:
    """A learner's credited seconds on one lesson, all days together (one indexed query)."""
    return session_or_conn.execute(
        _LESSON_SECONDS, {"user_id": user_id, "lesson_key": lesson_key}
    ).scalar_one()


class _Statements:
    """The heartbeat's statements, built once per dialect with bind parameters and run as
    ``database.Prepared`` statements: building SQL expressions, and SQLAlchemy's execution
    machinery, cost more than running these small statements, and on SQLite the time between
    BEGIN IMMEDIATE and COMMIT is what limits heartbeats per second."""

    def __init__(self, dialect: str):
        insert = insert_for(dialect)
        now = bindparam("p_now", type_=BigInteger)
        self.tab_advance = Prepared(
            update(HeartbeatTab)
            .where(
                HeartbeatTab.user_id == bindparam("p_user_id"),
                HeartbeatTab.tab == bindparam("p_tab"),
                HeartbeatTab.last_seq < bindparam("p_seq", type_=BigInteger),
            )
            .values(last_seq=bindparam("p_seq"), seen_at=now)
            .returning(HeartbeatTab.last_seq)
        )
        self.tab_insert = Prepared(
            insert(HeartbeatTab)
            .values(
                user_id=bindparam("p_user_id"),
                tab=bindparam("p_tab"),
                last_seq=bindparam("p_seq"),
                seen_at=now,
            )
            .on_conflict_do_nothing()
            .returning(HeartbeatTab.last_seq)
        )
        # min(reported, 60 or 900), from the request
        bounded = bindparam("p_bounded", type_=Integer)
        clock = LearnerClock.last_at
        whole = (now - clock) // 1000  # whole seconds elapsed on the clock (used when now > clock)
        # Both values from the old clock, in one statement (SQL evaluates every SET on the old row).
        self.clock_update = Prepared(
            update(LearnerClock)
            .where(LearnerClock.user_id == bindparam("p_user_id"))
            .values(
                last_credit=case(
                    (clock.is_(None), 0),
                    (now <= clock, 0),
                    (whole < bounded, whole),
                    else_=bounded,
                ),
                # by whole seconds, never backwards: the remainder counts towards the next one
                last_at=case(
                    (clock.is_(None), now),
                    (now <= clock, clock),
                    else_=clock + whole * 1000,
                ),
            )
            .returning(LearnerClock.last_credit)
        )
        self.clock_insert = Prepared(  # the first heartbeat ever starts the clock and earns 0
            insert(LearnerClock)
            .values(user_id=bindparam("p_user_id"), last_at=now, last_credit=0)
            .on_conflict_do_nothing()
            .returning(LearnerClock.last_credit)
        )
        self.credit_upsert = Prepared(
            insert(LessonCredit)
            .values(
                user_id=bindparam("p_user_id"),
                course_slug=bindparam("p_course"),
                module_slug=bindparam("p_module"),
                lesson_key=bindparam("p_lesson_key"),
                day=bindparam("p_day"),
                seconds=bindparam("p_add", type_=Integer),
            )
            .on_conflict_do_update(
                index_elements=["user_id", "lesson_key", "day"],
                set_={"seconds": LessonCredit.seconds + bindparam("p_add", type_=Integer)},
            )
        )
        self.lesson_seconds = Prepared(_LESSON_SECONDS)


#: PostgreSQL: the learner's clock row locked first, so that the statement after it reads every
#: earlier heartbeat of this learner committed (READ COMMITTED takes a snapshot per statement).
#: No row before the learner's first heartbeat: that one earns nothing, so nothing can be stale.
_PG_LOCK = Prepared(
    text("SELECT 1 FROM learner_clock WHERE user_id = :p_user_id FOR UPDATE").bindparams(
        bindparam("p_user_id", type_=Integer)
    )
)

#: PostgreSQL: the whole rule in one statement, the same rule as ``_Statements`` step by step
#: (tests/services/test_hours.py runs both against the same specification). ``p_fast``: on the
#: fast path nothing is written when every quiz of the course is passed (``go`` is false): the
#: caller then credits in the ORM session, where the certificate can be issued.
_PG_BEAT = Prepared(
    text(
        """
WITH passed AS (
    SELECT count(DISTINCT module_slug) AS n FROM quiz_attempt
    WHERE user_id = :p_user_id AND course_slug = :p_course AND passed
      AND module_slug = ANY(:p_quizzes)
), go AS (
    SELECT NOT (:p_fast AND (SELECT n FROM passed) = :p_quiz_count) AS yes
), tab AS (
    INSERT INTO heartbeat_tab (user_id, tab, last_seq, seen_at)
    SELECT :p_user_id, :p_tab, :p_seq, :p_now FROM go WHERE go.yes
    ON CONFLICT (user_id, tab) DO UPDATE SET last_seq = excluded.last_seq,
        seen_at = excluded.seen_at
    WHERE heartbeat_tab.last_seq < excluded.last_seq
    RETURNING 1
), clock AS (
    INSERT INTO learner_clock AS c (user_id, last_at, last_credit)
    SELECT :p_user_id, :p_now, 0 WHERE EXISTS (SELECT 1 FROM tab)
    ON CONFLICT (user_id) DO UPDATE SET
        last_credit = CASE
            WHEN c.last_at IS NULL OR :p_now <= c.last_at THEN 0
            ELSE LEAST((:p_now - c.last_at) / 1000, :p_bounded) END,
        last_at = CASE
            WHEN c.last_at IS NULL THEN :p_now
            WHEN :p_now <= c.last_at THEN c.last_at
            ELSE c.last_at + (:p_now - c.last_at) / 1000 * 1000 END
    RETURNING last_credit
), before AS (
    SELECT coalesce(sum(seconds), 0) AS s FROM lesson_credit
    WHERE user_id = :p_user_id AND lesson_key = :p_lesson_key
), added AS (
    SELECT GREATEST(0, LEAST(clock.last_credit, :p_lesson_seconds - before.s)) AS n
    FROM clock, before
), credit AS (
    INSERT INTO lesson_credit (user_id, course_slug, module_slug, lesson_key, day, seconds)
    SELECT :p_user_id, :p_course, :p_module, :p_lesson_key, :p_day, n FROM added WHERE n > 0
    ON CONFLICT (user_id, lesson_key, day) DO UPDATE
        SET seconds = lesson_credit.seconds + excluded.seconds
)
SELECT (SELECT yes FROM go), EXISTS (SELECT 1 FROM tab), coalesce((SELECT n FROM added), 0),
    (SELECT s FROM before)
"""
    ).bindparams(
        bindparam("p_user_id", type_=Integer),
        bindparam("p_course", type_=String),
        bindparam("p_module", type_=String),
        bindparam("p_lesson_key", type_=String),
        bindparam("p_lesson_seconds", type_=Integer),
        bindparam("p_quizzes", type_=ARRAY(String)),
        bindparam("p_quiz_count", type_=Integer),
        bindparam("p_fast", type_=Boolean),
        bindparam("p_tab", type_=String),
        bindparam("p_seq", type_=BigInteger),
        bindparam("p_now", type_=BigInteger),
        bindparam("p_bounded", type_=Integer),
        bindparam("p_day", type_=Date),
    )
)

_STATEMENTS: dict[str, _Statements] = {}


def _first(rows: list[tuple]):
    """The first column of the first row, or None."""
    return rows[0][0] if rows else None


def _statements(conn) -> _Statements:
    name = conn.dialect.name
    if name not in _STATEMENTS:
        _STATEMENTS[name] = _Statements(name)
    return _STATEMENTS[name]


def record(
    session: Session | scoped_session,
    catalog: Catalog,
    issuer: certificates.Issuer,
    user_id: int,
    beat: Heartbeat,
    *,
    now: datetime,
) -> HeartbeatResult:
    """Credit one heartbeat, and issue the certificate if its time completes the course; commits.

    Call it before anything uses ``session`` in the request (see the module's docstring): it
    raises ``HeartbeatOrderError`` if a transaction is already begun there, rather than wait for
    that transaction's lock. Raises ``ServiceError`` for an unknown lesson or impossible seconds.
    """
    if isinstance(session, scoped_session):
        session = session()  # the request's own session (Flask-SQLAlchemy's ``db.session``)
    if session.in_transaction():
        raise HeartbeatOrderError(
            "heartbeat.record must run before anything uses the ORM session: a transaction is "
            "already begun there (on SQLite it holds the write lock the heartbeat waits for). "
            "Commit or close the session first, or check access without it."
        )
    lesson = catalog.lesson_by_key(beat.lesson_key)
    if lesson is None:
        raise ServiceError(_("There is no such lesson."))
    if not 0 <= beat.seconds <= MAX_REPORTED_SECONDS:
        raise ServiceError(_("seconds must be between 0 and %(max)d.", max=MAX_REPORTED_SECONDS))
    course = catalog.course(lesson.course_slug)

    # Most heartbeats: prepared statements in a transaction of their own, no ORM session.
    engine = session.get_bind()
    if engine.dialect.name == "postgresql":  # BEGIN, two statements, COMMIT: one round trip
        params = _pg_params(course, lesson, user_id, beat, now, fast=True)
        _result, ((go, advanced, added, before),) = run_in_one_round_trip(
            engine, [(_PG_LOCK, params), (_PG_BEAT, params)], wait_for_disk=WAIT_FOR_DISK
        )
        if go:
            return HeartbeatResult(added, before + added, repeated=not advanced)
    else:
        with Transaction(engine) as tx:
            result = _credit(tx, lesson, user_id, beat, now)
            if not result.credited or not certificates.quizzes_all_passed(tx, course, user_id):
                return result
            tx.rollback()  # this time may complete the course: credit it again below

    # In the ORM session, so that the certificate is issued in the transaction that completes the
    # last requirement (exactly once, DESIGN.md §2). Committed here: on SQLite the write lock is
    # held until then, and the response need not wait for it.
    try:
        conn = session.connection()
        if conn.dialect.name == "postgresql":
            params = _pg_params(course, lesson, user_id, beat, now, fast=False)
            _PG_LOCK.run(conn, params)
            ((_go, advanced, added, before),) = _PG_BEAT.run(conn, params)
            result = HeartbeatResult(added, before + added, repeated=not advanced)
        else:
            result = _credit(conn, lesson, user_id, beat, now)
        if result.credited:
            completion.after_progress(
                session, catalog, issuer, user_id, lesson.course_slug, now=now
            )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


def _pg_params(course, lesson: Lesson, user_id: int, beat: Heartbeat, now: datetime, *, fast: bool):
    quizzes = [m.slug for m in course.modules if m.quiz is not None]
    return {
        "p_user_id": user_id,
        "p_course": lesson.course_slug,
        "p_module": lesson.module_slug,
        "p_lesson_key": lesson.key,
        "p_lesson_seconds": lesson.seconds,
        "p_quizzes": quizzes,
        "p_quiz_count": len(quizzes),
        "p_fast": fast,
        "p_tab": beat.tab,
        "p_seq": beat.seq,
        "p_now": _ms(now),
        "p_bounded": _bounded(beat),
        "p_day": now.date(),
    }


def _bounded(beat: Heartbeat) -> int:
    """min(reported, 60), or min(reported, 900) for a catch-up."""
    return min(beat.seconds, CATCH_UP_SECONDS if beat.catch_up else CAP_SECONDS)


def _credit(
    conn: Connection | Transaction, lesson: Lesson, user_id: int, beat: Heartbeat, now: datetime
) -> HeartbeatResult:
    """The rule, in ``conn``'s transaction: the tab, the clock and the lesson's time, then the
    credit if there is one (an insert more on a tab's first heartbeat, and on a learner's)."""
    sql = _statements(conn)
    params = {"p_user_id": user_id, "p_tab": beat.tab, "p_seq": beat.seq, "p_now": _ms(now)}

    # 1. A repeated (tab, sequence number) earns nothing.
    if not sql.tab_advance.run(conn, params) and not sql.tab_insert.run(conn, params):
        before = _first(
            sql.lesson_seconds.run(conn, {"user_id": user_id, "lesson_key": lesson.key})
        )
        return HeartbeatResult(0, before, repeated=True)

    # 2. The learner's clock, shared by all their tabs; its row lock serialises their heartbeats.
    params["p_bounded"] = _bounded(beat)
    credit = _first(sql.clock_update.run(conn, params))
    if credit is None:  # the first heartbeat ever
        credit = _first(sql.clock_insert.run(conn, params))
        if credit is None:  # another request created the clock a moment ago
            credit = _first(sql.clock_update.run(conn, params))

    # 3. Never beyond the lesson's minutes.
    before = _first(sql.lesson_seconds.run(conn, {"user_id": user_id, "lesson_key": lesson.key}))
    add = max(0, min(credit, lesson.seconds - before))
    if add:
        sql.credit_upsert.run(
            conn,
            {
                "p_user_id": user_id,
                "p_course": lesson.course_slug,
                "p_module": lesson.module_slug,
                "p_lesson_key": lesson.key,
                "p_day": now.date(),
                "p_add": add,
            },
        )
    return HeartbeatResult(add, before + add)


def prune_tabs(session: Session, *, now: datetime, batch: int = 5000) -> int:
    """Forget tabs not heard from in ``TAB_KEPT``; returns how many. For the maintenance command:
    the heartbeat itself never deletes (it would add a statement to the busiest write). Commits
    every ``batch`` rows, so that heartbeats wait for SQLite's write lock a moment at most."""
    cutoff = _ms(now - TAB_KEPT)
    old = (
        select(HeartbeatTab.user_id, HeartbeatTab.tab)
        .where(HeartbeatTab.seen_at < cutoff)
        .limit(batch)
    )
    removed = 0
    while True:
        count = session.execute(
            delete(HeartbeatTab)
            .where(tuple_(HeartbeatTab.user_id, HeartbeatTab.tab).in_(old))
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
        removed += count
        if count < batch:
            return removed
