"""The hours ledger: every figure of hours anywhere (dashboard, course page, "My hours",
certificates, instructor reports) comes from ``course_hours``/``hours_for_learners``: one rule, one
computation. A module's credit is ``min(module minutes, online + workshops + adjustments)``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import NamedTuple

from sqlalchemy import Integer, Select, String, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from lms.content.schema import Course, Module
from lms.models.hours import HoursAdjustment, LessonCredit, WorkshopMark, WorkshopSession
from lms.models.users import User


class ModuleHours:
    """One module's hours of one learner. A plain class with slots, the credit computed once: the
    progress matrix builds one per module for each of thousands of learners."""

    __slots__ = (
        "module",
        "online_seconds",
        "workshop_minutes",
        "adjustment_minutes",
        "credited_seconds",
    )

    def __init__(
        self, module: Module, online_seconds: int, workshop_minutes: int, adjustment_minutes: int
    ):
        self.module = module
        self.online_seconds = online_seconds
        self.workshop_minutes = workshop_minutes
        self.adjustment_minutes = adjustment_minutes
        #: min(module minutes, online + workshops + adjustments), never below zero
        total = online_seconds + 60 * (workshop_minutes + adjustment_minutes)
        self.credited_seconds = max(0, min(module.minutes * 60, total))

    def __repr__(self) -> str:
        return (
            f"ModuleHours({self.module.slug!r}, {self.online_seconds}, {self.workshop_minutes}, "
            f"{self.adjustment_minutes})"
        )

    @property
    def required_seconds(self) -> int:
        return self.module.minutes * 60

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


def credited_seconds_sql(total, required):
    """``ModuleHours.credited_seconds`` as a SQL expression, for figures summed in the database
    (``lms.services.figures``): ``min(required, max(0, total))`` over the module's online seconds
    plus its workshop and adjustment minutes in seconds. ``tests/services/test_figures.py``
    checks that the two give the same credit."""
    return case((total >= required, required), (total < 0, 0), else_=total)


@dataclass(frozen=True)
class CourseHours:
    course: Course
    modules: tuple[ModuleHours, ...]

    @cached_property
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

    @property
    def progress(self) -> Progress:
        """These hours as ``progress_of_learners`` gives them."""
        return Progress(
            self.credited_seconds,
            frozenset(m.module.slug for m in self.modules if m.complete),
            frozenset(m.module.slug for m in self.modules if m.credited_seconds),
        )

    @cached_property
    def _by_slug(self) -> dict[str, ModuleHours]:
        return {m.module.slug: m for m in self.modules}

    def module(self, slug: str) -> ModuleHours | None:
        return self._by_slug.get(slug)


def hours_for_learners(
    session: Session, course: Course, user_ids: Iterable[int], *, among: Select | None = None
) -> dict[int, CourseHours]:
    """The ledger of many learners in one course, in three queries whatever their number.
    ``among``: a query of (at least) these learners' ids, which the queries then filter by
    instead of a list of every id (a cohort of thousands)."""
    ids = list(user_ids)
    wanted = among if among is not None else ids
    online: dict[tuple[int, str], int] = defaultdict(int)
    workshops: dict[tuple[int, str], int] = defaultdict(int)
    adjustments: dict[tuple[int, str], int] = defaultdict(int)
    if ids:
        for user_id, module_slug, seconds in session.execute(
            select(LessonCredit.user_id, LessonCredit.module_slug, func.sum(LessonCredit.seconds))
            .where(LessonCredit.course_slug == course.slug, LessonCredit.user_id.in_(wanted))
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
            .where(WorkshopSession.course_slug == course.slug, WorkshopMark.user_id.in_(wanted))
            .group_by(WorkshopMark.user_id, WorkshopSession.module_slug)
        ):
            workshops[(user_id, module_slug)] = int(minutes)
        for user_id, module_slug, minutes in session.execute(
            select(
                HoursAdjustment.user_id,
                HoursAdjustment.module_slug,
                func.sum(HoursAdjustment.minutes),
            )
            .where(HoursAdjustment.course_slug == course.slug, HoursAdjustment.user_id.in_(wanted))
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


# --- whole cohorts, summed in the database --------------------------------------------------------
def module_bits(course: Course, module_slug):
    """A SQL expression giving each module of the course its own bit (1, 2, 4, ... in the course's
    order; 0 for a slug the course no longer has): summed over distinct modules, a set of modules
    as one integer, which ``modules_in`` reads back."""
    if len(course.modules) > 60:  # pragma: no cover - a course has about ten
        raise ValueError("too many modules for a set in one integer")
    return case(
        {m.slug: literal(1 << i, Integer) for i, m in enumerate(course.modules)},
        value=module_slug,
        else_=literal(0, Integer),
    )


_SETS: dict[tuple[int, int], frozenset[str]] = {}


def modules_in(course: Course, bits: int) -> frozenset[str]:
    """The slugs of the modules whose bits (``module_bits``) are set (kept per process: a cohort
    has few distinct sets)."""
    key = (id(course), int(bits))
    found = _SETS.get(key)
    if found is None:
        if len(_SETS) > 10_000:
            _SETS.clear()
        found = frozenset(m.slug for i, m in enumerate(course.modules) if bits >> i & 1)
        _SETS[key] = found
    return found


class Progress(NamedTuple):
    """One learner's hours in a course as a whole cohort's filters and sorts need them."""

    credited_seconds: int  #: ``CourseHours.credited_seconds``
    complete: frozenset[str]  #: slugs of the modules whose hours are complete
    started: frozenset[str]  #: slugs of the modules with any time credited


def progress_of_learners(session: Session, course: Course, among: Select) -> dict[int, Progress]:
    """``Progress`` of every learner ``among`` (a query of user ids) who has any hours in the
    course, in one query summed in the database: one row a learner, however many credit rows they
    have. The credit is ``credited_seconds_sql``, the same rule as ``ModuleHours`` (tests compare
    the two on SQLite and PostgreSQL). A learner missing from the result has no hours:
    ``no_progress``."""
    parts = union_all(
        select(
            LessonCredit.user_id.label("user_id"),
            LessonCredit.module_slug.label("module_slug"),
            func.sum(LessonCredit.seconds).label("seconds"),
        )
        .where(LessonCredit.course_slug == course.slug, LessonCredit.user_id.in_(among))
        .group_by(LessonCredit.user_id, LessonCredit.module_slug),
        select(
            WorkshopMark.user_id,
            WorkshopSession.module_slug,
            func.sum(WorkshopMark.minutes_attended) * 60,
        )
        .join(WorkshopSession, WorkshopSession.id == WorkshopMark.session_id)
        .where(WorkshopSession.course_slug == course.slug, WorkshopMark.user_id.in_(among))
        .group_by(WorkshopMark.user_id, WorkshopSession.module_slug),
        select(
            HoursAdjustment.user_id,
            HoursAdjustment.module_slug,
            func.sum(HoursAdjustment.minutes) * 60,
        )
        .where(HoursAdjustment.course_slug == course.slug, HoursAdjustment.user_id.in_(among))
        .group_by(HoursAdjustment.user_id, HoursAdjustment.module_slug),
    ).subquery()
    # the course's modules as a table: (slug, seconds required, bit); a slug the course no longer
    # has finds no row and counts for nothing, as in ``hours_for_learners``
    modules = union_all(
        *(
            select(
                literal(m.slug, String).label("slug"),
                literal(m.minutes * 60, Integer).label("required"),
                literal(1 << i, Integer).label("bit"),
            )
            for i, m in enumerate(course.modules)
        )
    ).subquery()
    per_module = (
        select(
            parts.c.user_id,
            modules.c.required,
            modules.c.bit,
            func.sum(parts.c.seconds).label("total"),
        )
        .join(modules, modules.c.slug == parts.c.module_slug)
        .group_by(parts.c.user_id, modules.c.slug, modules.c.required, modules.c.bit)
        .subquery()
    )
    credited = credited_seconds_sql(per_module.c.total, per_module.c.required)
    zero = literal(0, Integer)
    rows = session.execute(
        select(
            per_module.c.user_id,
            func.sum(credited),
            func.sum(case((credited >= per_module.c.required, per_module.c.bit), else_=zero)),
            func.sum(case((credited > 0, per_module.c.bit), else_=zero)),
        ).group_by(per_module.c.user_id)
    )
    always = no_progress(course).complete  # modules of no minutes are complete for everyone
    return {
        user_id: Progress(
            int(seconds), modules_in(course, complete) | always, modules_in(course, started)
        )
        for user_id, seconds, complete, started in rows
    }


def no_progress(course: Course) -> Progress:
    """The ``Progress`` of a learner with no hours in the course."""
    return Progress(0, frozenset(m.slug for m in course.modules if m.minutes == 0), frozenset())


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


def of_learner(session: Session, course: Course, user_id: int) -> Ledger:
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
