"""Attendance hours: the heartbeat credit rule, workshop marks, adjustments, and the one ledger.

Every figure of hours anywhere (dashboard, course page, "My hours", certificates, instructor
reports) comes from ``course_hours``/``hours_for_learners``: one rule, one computation.

The heartbeat rule (DESIGN.md §2): a heartbeat reports active seconds; the server credits
``min(reported, seconds since this learner's last heartbeat, 60)`` (900 for a catch-up after the
connection dropped) to the lesson, never beyond the lesson's minutes. The learner's clock is one
row shared by all their tabs, updated in a single ``UPDATE ... RETURNING`` that computes the credit
from the old value; that row also serialises a learner's concurrent heartbeats, so the lesson cap
read that follows cannot race.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import BigInteger, Integer, bindparam, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from lms.content import Catalog
from lms.content.schema import Course, Module
from lms.database import Prepared, Transaction
from lms.models.hours import (
    MARK_STATUSES,
    HeartbeatTab,
    HoursAdjustment,
    LearnerClock,
    LessonCredit,
    MarkChange,
    WorkshopMark,
    WorkshopSession,
)
from lms.models.users import User
from lms.services import ServiceError, audit
from lms.services.enrolment import is_enrolled

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


# --- the ledger ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModuleHours:
    module: Module
    online_seconds: int
    workshop_minutes: int
    adjustment_minutes: int

    @property
    def required_seconds(self) -> int:
        return self.module.minutes * 60

    @property
    def credited_seconds(self) -> int:
        """min(module minutes, online + workshops + adjustments), never below zero."""
        total = self.online_seconds + 60 * (self.workshop_minutes + self.adjustment_minutes)
        return max(0, min(self.required_seconds, total))

    @property
    def credited_minutes(self) -> int:
        return self.credited_seconds // 60

    @property
    def missing_seconds(self) -> int:
        return self.required_seconds - self.credited_seconds

    @property
    def complete(self) -> bool:
        return self.missing_seconds == 0

    @property
    def percent(self) -> int:
        return (
            (100 * self.credited_seconds) // self.required_seconds if self.required_seconds else 100
        )


@dataclass(frozen=True)
class CourseHours:
    course: Course
    modules: tuple[ModuleHours, ...]

    @property
    def credited_seconds(self) -> int:
        return sum(m.credited_seconds for m in self.modules)

    @property
    def required_seconds(self) -> int:
        return self.course.required_minutes * 60

    @property
    def credited_hours(self) -> float:
        return self.credited_seconds / 3600

    @property
    def required_hours(self) -> float:
        return self.required_seconds / 3600

    @property
    def percent(self) -> int:
        return (
            (100 * self.credited_seconds) // self.required_seconds if self.required_seconds else 0
        )

    @property
    def complete(self) -> bool:
        return all(m.complete for m in self.modules)

    def module(self, slug: str) -> ModuleHours | None:
        return next((m for m in self.modules if m.module.slug == slug), None)


def hours_for_learners(
    session: Session, course: Course, user_ids: Iterable[int]
) -> dict[int, CourseHours]:
    """The ledger of many learners in one course, in three queries whatever their number."""
    ids = list(user_ids)
    online: dict[tuple[int, str], int] = defaultdict(int)
    workshops: dict[tuple[int, str], int] = defaultdict(int)
    adjustments: dict[tuple[int, str], int] = defaultdict(int)
    if ids:
        for user_id, module_slug, seconds in session.execute(
            select(LessonCredit.user_id, LessonCredit.module_slug, func.sum(LessonCredit.seconds))
            .where(LessonCredit.course_slug == course.slug, LessonCredit.user_id.in_(ids))
            .group_by(LessonCredit.user_id, LessonCredit.module_slug)
        ):
            online[(user_id, module_slug)] = int(seconds)
        for user_id, module_slug, minutes in session.execute(
            select(
                WorkshopMark.user_id,
                WorkshopSession.module_slug,
                func.sum(WorkshopMark.minutes_attended),
            )
            .join(WorkshopSession, WorkshopSession.id == WorkshopMark.session_id)
            .where(WorkshopSession.course_slug == course.slug, WorkshopMark.user_id.in_(ids))
            .group_by(WorkshopMark.user_id, WorkshopSession.module_slug)
        ):
            workshops[(user_id, module_slug)] = int(minutes)
        for user_id, module_slug, minutes in session.execute(
            select(
                HoursAdjustment.user_id,
                HoursAdjustment.module_slug,
                func.sum(HoursAdjustment.minutes),
            )
            .where(HoursAdjustment.course_slug == course.slug, HoursAdjustment.user_id.in_(ids))
            .group_by(HoursAdjustment.user_id, HoursAdjustment.module_slug)
        ):
            adjustments[(user_id, module_slug)] = int(minutes)
    return {
        user_id: CourseHours(
            course,
            tuple(
                ModuleHours(
                    m,
                    online[(user_id, m.slug)],
                    workshops[(user_id, m.slug)],
                    adjustments[(user_id, m.slug)],
                )
                for m in course.modules
            ),
        )
        for user_id in ids
    }


def course_hours(session: Session, course: Course, user_id: int) -> CourseHours:
    return hours_for_learners(session, course, [user_id])[user_id]


@dataclass(frozen=True)
class OnlineRow:
    day: date
    lesson_key: str
    seconds: int


@dataclass(frozen=True)
class WorkshopRow:
    mark: WorkshopMark
    workshop: WorkshopSession
    marked_by: str


@dataclass(frozen=True)
class AdjustmentRow:
    adjustment: HoursAdjustment
    by: str


@dataclass
class Ledger:
    hours: CourseHours
    online: list[OnlineRow] = field(default_factory=list)
    workshops: list[WorkshopRow] = field(default_factory=list)
    adjustments: list[AdjustmentRow] = field(default_factory=list)


def ledger(session: Session, course: Course, user_id: int) -> Ledger:
    """Everything behind a learner's hours in a course, for "My hours" and instructors."""
    result = Ledger(course_hours(session, course, user_id))
    for day, key, seconds in session.execute(
        select(LessonCredit.day, LessonCredit.lesson_key, LessonCredit.seconds)
        .where(LessonCredit.user_id == user_id, LessonCredit.course_slug == course.slug)
        .order_by(LessonCredit.day.desc(), LessonCredit.lesson_key)
    ):
        result.online.append(OnlineRow(day, key, seconds))
    for mark, workshop, name in session.execute(
        select(WorkshopMark, WorkshopSession, User.full_name)
        .join(WorkshopSession, WorkshopSession.id == WorkshopMark.session_id)
        .join(User, User.id == WorkshopMark.marked_by)
        .where(WorkshopMark.user_id == user_id, WorkshopSession.course_slug == course.slug)
        .order_by(WorkshopSession.held_on.desc())
    ):
        result.workshops.append(WorkshopRow(mark, workshop, name))
    for adjustment, name in session.execute(
        select(HoursAdjustment, User.full_name)
        .join(User, User.id == HoursAdjustment.created_by)
        .where(HoursAdjustment.user_id == user_id, HoursAdjustment.course_slug == course.slug)
        .order_by(HoursAdjustment.created_at.desc())
    ):
        result.adjustments.append(AdjustmentRow(adjustment, name))
    return result


# --- workshops and adjustments ---------------------------------------------------------------------
def create_workshop(
    session: Session,
    catalog: Catalog,
    *,
    course_slug: str,
    module_slug: str,
    held_on: date,
    starts_at: time,
    minutes: int,
    place: str,
    facilitator: str,
    by: int,
    now: datetime,
    cohort_id: int | None = None,
) -> WorkshopSession:
    module = catalog.module(course_slug, module_slug)
    if module is None:
        raise ServiceError("Choose a module of a course.", "module")
    if not 1 <= minutes <= 600:
        raise ServiceError("A session lasts from 1 to 600 minutes.", "minutes")
    if not place.strip() or not facilitator.strip():
        raise ServiceError("Give the place and the facilitator.", "place")
    workshop = WorkshopSession(
        course_slug=course_slug,
        module_slug=module_slug,
        held_on=held_on,
        starts_at=starts_at,
        minutes=minutes,
        place=place.strip(),
        facilitator=facilitator.strip(),
        cohort_id=cohort_id,
        created_by=by,
        created_at=now,
    )
    session.add(workshop)
    session.flush()
    return workshop


def earned_minutes(workshop: WorkshopSession, status: str, minutes_attended: int | None) -> int:
    if status not in MARK_STATUSES:
        raise ServiceError(f"A mark is one of: {', '.join(MARK_STATUSES)}.")
    if status == "present":
        return workshop.minutes
    if status == "late":
        if minutes_attended is None or not 1 <= minutes_attended <= workshop.minutes:
            raise ServiceError(
                f"For a late arrival, give the minutes attended (1 to {workshop.minutes})."
            )
        return minutes_attended
    return 0


def mark(
    session: Session,
    workshop: WorkshopSession,
    learner_id: int,
    *,
    status: str,
    minutes_attended: int | None = None,
    remark: str = "",
    by: int,
    now: datetime,
) -> WorkshopMark:
    """Mark (or re-mark) a learner; a change to an existing mark is recorded with who and when."""
    if not is_enrolled(session, learner_id, workshop.course_slug):
        raise ServiceError("That person is not enrolled in this course.")
    minutes = earned_minutes(workshop, status, minutes_attended)
    remark = (remark or "").strip()[:500]
    existing = session.scalar(
        select(WorkshopMark).where(
            WorkshopMark.session_id == workshop.id, WorkshopMark.user_id == learner_id
        )
    )
    if existing is None:
        created = WorkshopMark(
            session_id=workshop.id,
            user_id=learner_id,
            status=status,
            minutes_attended=minutes,
            remark=remark,
            marked_by=by,
            marked_at=now,
        )
        session.add(created)
        session.flush()
        audit.record(session, by, "marked", f"workshop:{workshop.id}", now=now,
                     learner=learner_id, status=status, minutes=minutes)  # fmt: skip
        return created
    if (existing.status, existing.minutes_attended, existing.remark) != (status, minutes, remark):
        session.add(
            MarkChange(
                mark_id=existing.id,
                changed_by=by,
                changed_at=now,
                old_status=existing.status,
                old_minutes=existing.minutes_attended,
                old_remark=existing.remark,
                new_status=status,
                new_minutes=minutes,
                new_remark=remark,
            )
        )
        existing.status, existing.minutes_attended, existing.remark = status, minutes, remark
        existing.marked_by, existing.marked_at = by, now
        session.flush()
        audit.record(session, by, "mark changed", f"workshop:{workshop.id}", now=now,
                     learner=learner_id, status=status, minutes=minutes)  # fmt: skip
    return existing


def adjust(
    session: Session,
    catalog: Catalog,
    learner_id: int,
    *,
    course_slug: str,
    module_slug: str,
    minutes: int,
    reason: str,
    by: int,
    now: datetime,
) -> HoursAdjustment:
    module = catalog.module(course_slug, module_slug)
    if module is None:
        raise ServiceError("Choose a module of the course.", "module")
    if not is_enrolled(session, learner_id, course_slug):
        raise ServiceError("That person is not enrolled in this course.")
    if minutes == 0 or abs(minutes) > module.minutes:
        raise ServiceError(
            f"Credit or remove between 1 and {module.minutes} minutes (the module's length).",
            "minutes",
        )
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ServiceError("Give the reason for the adjustment (a few words at least).", "reason")
    adjustment = HoursAdjustment(
        user_id=learner_id,
        course_slug=course_slug,
        module_slug=module_slug,
        minutes=minutes,
        reason=reason[:1000],
        created_by=by,
        created_at=now,
    )
    session.add(adjustment)
    session.flush()
    audit.record(session, by, "hours adjusted", f"user:{learner_id}", now=now,
                 course=course_slug, module=module_slug, minutes=minutes, reason=reason[:200])  # fmt: skip
    return adjustment


def mark_changes(session: Session, workshop_id: int) -> list[tuple[MarkChange, str, str]]:
    """The edit history of a session's marks: (change, learner name, changed by)."""
    learner = User.__table__.alias("learner")
    editor = User.__table__.alias("editor")
    return [
        (change, learner_name, editor_name)
        for change, learner_name, editor_name in session.execute(
            select(MarkChange, learner.c.full_name, editor.c.full_name)
            .join(WorkshopMark, WorkshopMark.id == MarkChange.mark_id)
            .join(learner, learner.c.id == WorkshopMark.user_id)
            .join(editor, editor.c.id == MarkChange.changed_by)
            .where(WorkshopMark.session_id == workshop_id)
            .order_by(MarkChange.changed_at.desc(), MarkChange.id.desc())
        )
    ]
