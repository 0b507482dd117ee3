"""The heartbeat: online reading time credited to a lesson (DESIGN.md §2, Attendance hours).

A heartbeat reports active seconds; the server credits
``min(reported, seconds since this learner's last heartbeat, 60)`` (900 for a catch-up after the
connection dropped) to the lesson, never beyond the lesson's minutes. The learner's clock is one
row shared by all their tabs, updated in a single ``UPDATE ... RETURNING`` that computes the credit
from the old value; that row also serialises a learner's concurrent heartbeats, so the lesson cap
read that follows cannot race.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, Integer, bindparam, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from lms.content import Catalog
from lms.database import Prepared, Transaction
from lms.models.hours import HeartbeatTab, LearnerClock, LessonCredit
from lms.services import ServiceError

CAP_SECONDS = 60
CATCH_UP_SECONDS = 15 * 60
MAX_REPORTED_SECONDS = 24 * 60 * 60


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


# --- the rule, as a plain function (the SQL below computes the same) -------------------------------
def credit_for(reported: int, elapsed_ms: int | None, *, catch_up: bool = False) -> int:
    """Seconds a heartbeat earns before the lesson cap. ``elapsed_ms`` None: the first heartbeat."""
    bounded = max(0, min(reported, CATCH_UP_SECONDS if catch_up else CAP_SECONDS))
    if elapsed_ms is None:
        return bounded
    if elapsed_ms <= 0:
        return 0
    return min(bounded, (elapsed_ms + 500) // 1000)


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
    ``database.Prepared`` statements in the request's transaction: building SQL expressions, and
    SQLAlchemy's execution machinery, cost more than running these small statements, and on SQLite
    the time between BEGIN IMMEDIATE and COMMIT is what limits heartbeats per second."""

    def __init__(self, dialect: str):
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
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
        bounded = bindparam("p_bounded", type_=Integer)
        elapsed_s = (now - LearnerClock.last_at + 500) // 1000
        # The credit is computed from the old clock value and the clock moved, in one statement.
        self.clock_update = Prepared(
            update(LearnerClock)
            .where(LearnerClock.user_id == bindparam("p_user_id"))
            .values(
                last_credit=case(
                    (LearnerClock.last_at.is_(None), bounded),
                    (now <= LearnerClock.last_at, 0),
                    (elapsed_s < bounded, elapsed_s),
                    else_=bounded,
                ),
                # never backwards: two processes' requests may arrive out of order
                last_at=case((LearnerClock.last_at < now, now), else_=LearnerClock.last_at),
            )
            .returning(LearnerClock.last_credit)
        )
        self.clock_insert = Prepared(
            insert(LearnerClock)
            .values(user_id=bindparam("p_user_id"), last_at=now, last_credit=bounded)
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


_STATEMENTS: dict[str, _Statements] = {}


def _first(rows: list[tuple]):
    """The first column of the first row, or None."""
    return rows[0][0] if rows else None


def _lesson_params(user_id: int, lesson_key: str) -> dict:
    return {"user_id": user_id, "lesson_key": lesson_key}


def _statements(conn) -> _Statements:
    name = conn.dialect.name
    if name not in _STATEMENTS:
        _STATEMENTS[name] = _Statements(name)
    return _STATEMENTS[name]


def record_heartbeat(
    conn: Connection | Transaction,
    catalog: Catalog,
    user_id: int,
    beat: Heartbeat,
    *,
    now: datetime,
) -> HeartbeatResult:
    """Credit one heartbeat in ``conn``'s transaction (the caller commits): a ``Transaction`` on
    the hot path, or ``session.connection()`` where an ORM session must share it."""
    lesson = catalog.lesson_by_key(beat.lesson_key)
    if lesson is None:
        raise ServiceError("There is no such lesson.")
    if not 0 <= beat.seconds <= MAX_REPORTED_SECONDS:
        raise ServiceError(f"seconds must be between 0 and {MAX_REPORTED_SECONDS}.")
    sql = _statements(conn)
    params = {"p_user_id": user_id, "p_tab": beat.tab, "p_seq": beat.seq, "p_now": _ms(now)}

    # 1. A repeated (tab, sequence number) earns nothing.
    if not sql.tab_advance.run(conn, params) and not sql.tab_insert.run(conn, params):
        before = _first(sql.lesson_seconds.run(conn, _lesson_params(user_id, lesson.key)))
        return HeartbeatResult(0, before, repeated=True)

    # 2. The learner's clock, shared by all their tabs; its row lock serialises their heartbeats.
    params["p_bounded"] = max(
        0, min(beat.seconds, CATCH_UP_SECONDS if beat.catch_up else CAP_SECONDS)
    )
    credit = _first(sql.clock_update.run(conn, params))
    if credit is None:  # the first heartbeat ever
        credit = _first(sql.clock_insert.run(conn, params))
        if credit is None:  # another request created the clock a moment ago
            credit = _first(sql.clock_update.run(conn, params))

    # 3. Never beyond the lesson's minutes.
    before = _first(sql.lesson_seconds.run(conn, _lesson_params(user_id, lesson.key)))
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
