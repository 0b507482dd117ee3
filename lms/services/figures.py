"""The programme's figures: who enrolled, who was active, who completed, what they learned and what
they thought, counted by province, district, organisation, sex, age band, role, course and cohort.

One SQL statement computes every figure of the page, whatever the number of learners (GROUP BY in
the database): a common table of one row per enrolment in the viewer's scope and the filters
(``facts``), one row per person (``people``), and a ``UNION ALL`` of grouped counts over them; on
PostgreSQL the breakdowns by a person's attribute are one ``GROUPING SETS`` of them (SQLite has
none: there each is a grouping of its own, the same rows). Hours follow the ledger's rule (its SQL form,
``ledger.credited_seconds_sql``), completion the catalog's modules and quizzes; whose enrolments
count is ``access.figures_population`` (the one policy point).

Figures count unique people. A person enrolled in two courses counts once in "enrolled" (and once
per course in the course and cohort tables). Evaluations are averaged; no row here ever names who
wrote one. Which cells a viewer may not see is ``hidden_cells``: the small ones
(``access.FiguresScope.small``) and their complements, so that no hidden cell is a shown total less
the shown cells beside it.

The dates select the people who enrolled between them; their progress is counted as it stands.
"Active" means a lesson read, a quiz submitted or a workshop attended between the dates (without
dates: ever, so "started").
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import (
    Integer,
    String,
    and_,
    case,
    cast,
    delete,
    exists,
    extract,
    func,
    literal,
    null,
    or_,
    select,
    text,
    true,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from lms.content import Catalog
from lms.database import insert_for
from lms.models.certificates import Certificate
from lms.models.cohorts import Cohort, CohortMember
from lms.models.enrolment import Enrolment
from lms.models.figures import CourseEvaluation, FiguresChange, FiguresEnrolment, KnowledgeTest
from lms.models.hours import HoursAdjustment, LessonCredit, WorkshopMark, WorkshopSession
from lms.models.quizzes import QuizAttempt
from lms.models.users import User
from lms.services import access
from lms.services.ledger import credited_seconds_sql

#: a filter value for "the person did not answer" (sex, age band, role)
NOT_GIVEN = "none"
#: the breakdowns, in the order of the page; each is a person's attribute but course and cohort
PERSON_DIMENSIONS = (
    "province",
    "district",
    "organisation_type",
    "organisation",
    "sex",
    "age_band",
    "work_role",
)
ENROLMENT_DIMENSIONS = ("course", "cohort")
MONTHS = ("enrolled_month", "certified_month")
#: a district's key: its province, this, its name (no province has a "/" in its name)
DISTRICT_KEY = "/"


@dataclass(frozen=True)
class Filters:
    """What the page's filter form chose; ``None``: any."""

    course: str | None = None
    start: date | None = None
    end: date | None = None
    province: str | None = None
    district: str | None = None
    organisation_type: str | None = None
    organisation: str | None = None
    cohort: int | None = None
    sex: str | None = None  #: a value of ``SEXES`` or ``NOT_GIVEN``
    age_band: str | None = None
    work_role: str | None = None

    @property
    def chosen(self) -> int:
        return sum(getattr(self, f.name) is not None for f in fields(self))


@dataclass(frozen=True)
class Row:
    """The figures of one group of people (everyone, a province, a cohort ...)."""

    key: str | None
    enrolled: int = 0  #: people
    active: int = 0
    completed: int = 0  #: every module's hours credited
    passed: int = 0  #: every module quiz passed
    certified: int = 0  #: holding a certificate that is not revoked
    credited_seconds: int = 0  #: hours credited (each module capped at its hours)
    online_seconds: int = 0  #: reading time credited online
    workshop_seconds: int = 0  #: workshop attendance
    paired: int = 0  #: people with both a pre-test and a post-test
    pairs: int = 0  #: pre-test and post-test pairs (one per person and course)
    pre_sum: int = 0
    post_sum: int = 0
    evaluated: int = 0  #: people who evaluated a course
    evaluations: int = 0
    satisfaction_sum: int = 0
    usefulness_sum: int = 0
    confidence_before_sum: int = 0
    confidence_after_sum: int = 0

    @property
    def completion_rate(self) -> float | None:
        """Certified, as a share of those enrolled."""
        return self.certified / self.enrolled if self.enrolled else None

    def _mean(self, total: int, count: int) -> float | None:
        return total / count if count else None

    @property
    def mean_pre(self) -> float | None:
        return self._mean(self.pre_sum, self.pairs)

    @property
    def mean_post(self) -> float | None:
        return self._mean(self.post_sum, self.pairs)

    @property
    def mean_gain(self) -> float | None:
        """Mean of post-test minus pre-test score, in percentage points, over the pairs."""
        return self._mean(self.post_sum - self.pre_sum, self.pairs)

    @property
    def satisfaction(self) -> float | None:
        return self._mean(self.satisfaction_sum, self.evaluations)

    @property
    def usefulness(self) -> float | None:
        return self._mean(self.usefulness_sum, self.evaluations)

    @property
    def confidence_before(self) -> float | None:
        return self._mean(self.confidence_before_sum, self.evaluations)

    @property
    def confidence_after(self) -> float | None:
        return self._mean(self.confidence_after_sum, self.evaluations)


@dataclass
class Figures:
    total: Row
    #: dimension -> its rows, in the database's order (the caller sorts for show)
    by: dict[str, list[Row]] = field(default_factory=dict)
    #: YYYY-MM -> (enrolments that month, certificates first issued that month)
    months: dict[str, tuple[int, int]] = field(default_factory=dict)


_SUMS = [f.name for f in fields(Row) if f.name != "key"]


# --- the statement ---------------------------------------------------------------------------------
def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _in_period(column, filters: Filters, *, is_day: bool):
    """Was ``column`` (a date, or a timestamp when not ``is_day``) between the filter's dates?"""
    conditions = []
    if filters.start is not None:
        conditions.append(column >= (filters.start if is_day else _day_start(filters.start)))
    if filters.end is not None:
        end = filters.end
        conditions.append(column <= end if is_day else column < _day_start(end + timedelta(days=1)))
    return and_(true(), *conditions) if conditions else None


def _flag(condition):
    if condition is None:
        return literal(1)
    return case((condition, 1), else_=0)


def _answer(column, value: str | None):
    if value is None:
        return None
    return column.is_(None) if value == NOT_GIVEN else column == value


def population(scope: access.FiguresScope, filters: Filters, *, inline: bool = False):
    """The enrolments counted: in the viewer's scope and matching the filters. A CTE, computed
    once however many parts of the statement read it; or (``inline``) a subquery, whose rows
    PostgreSQL estimates from the tables (a CTE's it guesses), for the joins with the large
    tables: so it groups them by hashing, not by sorting a million rows."""
    enrolment, user = Enrolment.__table__, User.__table__
    conditions = [access.figures_population(scope, enrolment, user)]
    if filters.course is not None:
        conditions.append(enrolment.c.course_slug == filters.course)
    enrolled = _in_period(enrolment.c.enrolled_at, filters, is_day=False)
    if enrolled is not None:
        conditions.append(enrolled)
    for name in ("province", "district", "organisation_type", "organisation"):
        value = getattr(filters, name)
        if value is not None:
            conditions.append(user.c[name] == value)
    for name in ("sex", "age_band", "work_role"):
        condition = _answer(user.c[name], getattr(filters, name))
        if condition is not None:
            conditions.append(condition)
    if filters.cohort is not None:
        conditions.append(
            exists(
                select(CohortMember.user_id)
                .join(Cohort, Cohort.id == CohortMember.cohort_id)
                .where(
                    CohortMember.cohort_id == filters.cohort,
                    CohortMember.user_id == enrolment.c.user_id,
                    Cohort.course_slug == enrolment.c.course_slug,
                )
            )
        )
    query = (
        select(
            enrolment.c.user_id,
            enrolment.c.course_slug,
            enrolment.c.enrolled_at,
            *(user.c[name] for name in PERSON_DIMENSIONS),
        )
        .select_from(enrolment.join(user, user.c.id == enrolment.c.user_id))
        .where(*conditions)
    )
    return query.subquery("counted") if inline else query.cte("pop")


def _required_seconds(catalog: Catalog, course_slug, module_slug):
    """A module's minutes in seconds, from the catalog; NULL for a module it no longer has."""
    whens = [
        (and_(course_slug == c.slug, module_slug == m.slug), m.minutes * 60)
        for c in catalog
        for m in c.modules
    ]
    return case(*whens, else_=null()) if whens else null()


def _per_course(catalog: Catalog, course_slug, value_of) -> object:
    whens = [(course_slug == c.slug, value_of(c)) for c in catalog]
    return case(*whens, else_=null()) if whens else null()


def _quizzed(catalog: Catalog, course_slug, module_slug):
    whens = [
        and_(course_slug == c.slug, module_slug == m.slug)
        for c in catalog
        for m in c.modules
        if m.quiz is not None
    ]
    return case(*((w, 1) for w in whens), else_=0) if whens else literal(0)


def _active(filters: Filters, user_id, course_slug):
    """Did the learner read a lesson, submit a quiz or attend a workshop of the course between
    the filter's dates (without dates: ever)? The one definition of "active", for the stored
    flag (no dates) and for a period chosen on the page."""
    lc, wm, ws, qa = (LessonCredit.__table__, WorkshopMark.__table__, WorkshopSession.__table__,
                      QuizAttempt.__table__)  # fmt: skip
    read = select(lc.c.id).where(lc.c.user_id == user_id, lc.c.course_slug == course_slug)
    attended = (
        select(wm.c.id)
        .join(ws, ws.c.id == wm.c.session_id)
        .where(wm.c.user_id == user_id, ws.c.course_slug == course_slug, wm.c.minutes_attended > 0)
    )
    submitted = select(qa.c.id).where(
        qa.c.user_id == user_id, qa.c.course_slug == course_slug, qa.c.submitted_at.is_not(None)
    )
    for query, column, is_day in ((read, lc.c.day, True), (attended, ws.c.held_on, True),
                                  (submitted, qa.c.submitted_at, False)):  # fmt: skip
        period = _in_period(column, filters, is_day=is_day)
        if period is not None:
            query = query.where(period)
        yield exists(query)


def _active_flag(filters: Filters, user_id, course_slug):
    return case((or_(*_active(filters, user_id, course_slug)), 1), else_=0)


def catalog_key(course) -> str:
    """What a stored row's figures depend on in the catalog: the course's modules, their minutes
    and which have a quiz. Content that changes any of them makes every row of the course stale."""
    shape = [(m.slug, m.minutes, m.quiz is not None) for m in course.modules]
    return hashlib.sha256(repr(shape).encode()).hexdigest()[:16]


def progress_query(catalog: Catalog, pop, counted):
    """One row per enrolment of ``pop`` (a CTE of user_id, course_slug; ``counted``: the same rows
    as an inline subquery, for the joins with the large tables): its progress as the figures
    count it, in ``FiguresEnrolment``'s columns. Hours follow the ledger's rule (its SQL form,
    ``ledger.credited_seconds_sql``), completion the catalog's modules and quizzes. The rows the
    figures page reads are this query's (``refresh``): there is no other copy of it."""
    counted_on = lambda table_user, table_course: and_(  # noqa: E731
        counted.c.user_id == table_user, counted.c.course_slug == table_course
    )
    on = lambda table_user, table_course: and_(  # noqa: E731
        pop.c.user_id == table_user, pop.c.course_slug == table_course
    )
    lc, wm, ws, adj = (
        LessonCredit.__table__,
        WorkshopMark.__table__,
        WorkshopSession.__table__,
        HoursAdjustment.__table__,
    )
    zero = literal(0)
    # the raw rows of the counted learners (one pass over each table), grouped once by module
    online = select(
        lc.c.user_id,
        lc.c.course_slug,
        lc.c.module_slug,
        lc.c.seconds.label("seconds"),
        lc.c.seconds.label("online"),
        zero.label("workshop"),
    ).join(counted, counted_on(lc.c.user_id, lc.c.course_slug))
    attended = wm.c.minutes_attended * 60
    workshops = (
        select(wm.c.user_id, ws.c.course_slug, ws.c.module_slug, attended, zero, attended)
        .join(ws, ws.c.id == wm.c.session_id)
        .join(counted, counted_on(wm.c.user_id, ws.c.course_slug))
    )
    adjusted = select(
        adj.c.user_id, adj.c.course_slug, adj.c.module_slug, adj.c.minutes * 60, zero, zero
    ).join(counted, counted_on(adj.c.user_id, adj.c.course_slug))
    src = union_all(online, workshops, adjusted).subquery("sources").c
    per_module = (
        select(
            src.user_id,
            src.course_slug,
            src.module_slug,
            func.sum(src.seconds).label("total"),
            func.sum(src.online).label("online"),
            func.sum(src.workshop).label("workshop"),
            _required_seconds(catalog, src.course_slug, src.module_slug).label("required"),
        )
        .group_by(src.user_id, src.course_slug, src.module_slug)
        .subquery("per_module")
    )  # fmt: skip
    pm = per_module.c
    required = pm.required
    hours = (
        select(
            pm.user_id,
            pm.course_slug,
            func.sum(case((required.is_(None), 0), else_=credited_seconds_sql(pm.total, required)))
            .label("credited"),
            func.sum(case((and_(required.is_not(None), pm.total >= required), 1), else_=0))
            .label("full_modules"),
            func.sum(pm.online).label("online"),
            func.sum(pm.workshop).label("workshop"),
        )
        .group_by(pm.user_id, pm.course_slug)
        .subquery("hours")
    )  # fmt: skip
    qa = QuizAttempt.__table__
    per_quiz = (  # a module's quiz: passed by any attempt
        select(
            qa.c.user_id,
            qa.c.course_slug,
            func.max(
                case((and_(qa.c.passed.is_(True),
                           _quizzed(catalog, qa.c.course_slug, qa.c.module_slug) == 1), 1),
                     else_=0)
            ).label("passed"),
        )
        .join(counted, counted_on(qa.c.user_id, qa.c.course_slug))
        .group_by(qa.c.user_id, qa.c.course_slug, qa.c.module_slug)
        .subquery("per_quiz")
    )  # fmt: skip
    quizzes = (
        select(
            per_quiz.c.user_id,
            per_quiz.c.course_slug,
            func.sum(per_quiz.c.passed).label("passed_modules"),
        )
        .group_by(per_quiz.c.user_id, per_quiz.c.course_slug)
        .subquery("quizzes")
    )
    cert = Certificate.__table__
    certified = (
        select(cert.c.user_id, cert.c.course_slug, func.min(cert.c.issued_at).label("first_at"))
        .join(counted, counted_on(cert.c.user_id, cert.c.course_slug))
        .where(cert.c.revoked_at.is_(None))
        .group_by(cert.c.user_id, cert.c.course_slug)
        .subquery("certified")
    )
    kt = KnowledgeTest.__table__
    tests = (
        select(
            kt.c.user_id,
            kt.c.course_slug,
            func.max(case((kt.c.kind == "pre", kt.c.score), else_=null())).label("pre"),
            func.max(case((kt.c.kind == "post", kt.c.score), else_=null())).label("post"),
        )
        .join(counted, counted_on(kt.c.user_id, kt.c.course_slug))
        .where(kt.c.submitted_at.is_not(None))
        .group_by(kt.c.user_id, kt.c.course_slug)
        .subquery("tests")
    )
    modules = _per_course(catalog, pop.c.course_slug, lambda c: len(c.modules))
    quizzed = _per_course(
        catalog, pop.c.course_slug, lambda c: sum(m.quiz is not None for m in c.modules)
    )
    full = func.coalesce(hours.c.full_modules, 0)
    return (
        select(
            pop.c.user_id,
            pop.c.course_slug,
            func.coalesce(_per_course(catalog, pop.c.course_slug, catalog_key), "")
            .label("catalog_key"),
            case((and_(modules.is_not(None), full == modules), 1), else_=0).label("completed"),
            case(
                (and_(quizzed.is_not(None), func.coalesce(quizzes.c.passed_modules, 0) >= quizzed),
                 1),
                else_=0,
            ).label("passed"),
            certified.c.first_at.label("certified_at"),
            _active_flag(Filters(), pop.c.user_id, pop.c.course_slug).label("active"),
            func.coalesce(hours.c.credited, 0).label("credited_seconds"),
            func.coalesce(hours.c.online, 0).label("online_seconds"),
            func.coalesce(hours.c.workshop, 0).label("workshop_seconds"),
            tests.c.pre.label("pre_score"),
            tests.c.post.label("post_score"),
        )
        .select_from(pop)
        .outerjoin(hours, on(hours.c.user_id, hours.c.course_slug))
        .outerjoin(quizzes, on(quizzes.c.user_id, quizzes.c.course_slug))
        .outerjoin(certified, on(certified.c.user_id, certified.c.course_slug))
        .outerjoin(tests, on(tests.c.user_id, tests.c.course_slug))
        .where(true())  # (SQLite reads "INSERT ... SELECT ... FROM x ON CONFLICT" as a join's ON)
    )  # fmt: skip


_STORED = [c.name for c in FiguresEnrolment.__table__.columns]


def _insert(session: Session, table):
    return insert_for(session.get_bind().dialect.name)(table)


def refresh(session: Session, catalog: Catalog) -> None:
    """Bring ``FiguresEnrolment`` up to date: the enrolments without a row, or with a row for
    other content, are marked changed; every changed enrolment is computed again
    (``progress_query``) and its mark cleared unless it changed again meanwhile. Four statements
    whatever the number of enrolments; the work is in proportion to the changes since the last
    refresh (every enrolment the first time, or after the content changed a course's modules)."""
    _tune(session)
    enrolment, stored, change = (Enrolment.__table__, FiguresEnrolment.__table__,
                                 FiguresChange.__table__)  # fmt: skip
    current = _per_course(catalog, enrolment.c.course_slug, catalog_key)
    missing = (
        select(enrolment.c.user_id, enrolment.c.course_slug, literal(1))
        .select_from(enrolment.outerjoin(stored, and_(
            stored.c.user_id == enrolment.c.user_id,
            stored.c.course_slug == enrolment.c.course_slug)))
        .where(or_(stored.c.user_id.is_(None),
                   stored.c.catalog_key.is_distinct_from(func.coalesce(current, ""))))
    )  # fmt: skip
    session.execute(
        _insert(session, change)
        .from_select(["user_id", "course_slug", "version"], missing)
        .on_conflict_do_nothing(index_elements=["user_id", "course_slug"])
    )
    session.execute(update(change).values(seen=change.c.version))
    changed = lambda: (  # noqa: E731
        select(enrolment.c.user_id, enrolment.c.course_slug)
        .join(change, and_(change.c.user_id == enrolment.c.user_id,
                           change.c.course_slug == enrolment.c.course_slug))
    )  # fmt: skip
    upsert = _insert(session, stored).from_select(
        _STORED, progress_query(catalog, changed().cte("changed"), changed().subquery("counted"))
    )
    session.execute(
        upsert.on_conflict_do_update(
            index_elements=["user_id", "course_slug"],
            set_={name: upsert.excluded[name] for name in _STORED[2:]},
        )
    )
    session.execute(delete(change).where(change.c.seen == change.c.version))


def facts_cte(catalog: Catalog, scope: access.FiguresScope, filters: Filters, *, live=False):
    """One row per counted enrolment: the person's attributes and their progress in the course,
    read from ``FiguresEnrolment`` (``refresh`` first); "active" from the raw rows when the
    filters choose a period. ``live``: the progress computed from the raw rows instead, as the
    stored rows are (the tests compare the two; the benchmark times both)."""
    pop = population(scope, filters)
    if live:
        counted = population(scope, filters, inline=True)
        stored = progress_query(catalog, pop, counted).subquery("live")
    else:
        stored = FiguresEnrolment.__table__
    s = stored.c
    ev = CourseEvaluation.__table__
    if filters.start is None and filters.end is None:
        active = func.coalesce(s.active, 0)
    else:
        active = _active_flag(filters, pop.c.user_id, pop.c.course_slug)
    paired = and_(s.pre_score.is_not(None), s.post_score.is_not(None))
    on = lambda table_user, table_course: and_(  # noqa: E731
        pop.c.user_id == table_user, pop.c.course_slug == table_course
    )
    facts = (
        select(
            pop.c.user_id,
            pop.c.course_slug,
            pop.c.enrolled_at,
            func.coalesce(s.completed, 0).label("completed"),
            func.coalesce(s.passed, 0).label("passed"),
            case((s.certified_at.is_not(None), 1), else_=0).label("certified"),
            s.certified_at,
            active.label("active"),
            func.coalesce(s.credited_seconds, 0).label("credited_seconds"),
            func.coalesce(s.online_seconds, 0).label("online_seconds"),
            func.coalesce(s.workshop_seconds, 0).label("workshop_seconds"),
            case((paired, 1), else_=0).label("pairs"),
            case((paired, s.pre_score), else_=0).label("pre_sum"),
            case((paired, s.post_score), else_=0).label("post_sum"),
            s.pre_score,
            s.post_score,
            case((ev.c.id.is_not(None), 1), else_=0).label("evaluations"),
            func.coalesce(ev.c.satisfaction, 0).label("satisfaction_sum"),
            func.coalesce(ev.c.usefulness, 0).label("usefulness_sum"),
            func.coalesce(ev.c.confidence_before, 0).label("confidence_before_sum"),
            func.coalesce(ev.c.confidence_after, 0).label("confidence_after_sum"),
        )
        .select_from(pop)
        .outerjoin(stored, on(s.user_id, s.course_slug))
        .outerjoin(ev, on(ev.c.user_id, ev.c.course_slug))
        .cte("facts")
    )
    return pop, facts


#: how each enrolment-level figure becomes a person's: flags by MAX (did it in any course), sums by SUM
_PERSON_MAX = ("active", "completed", "passed", "certified")
_PERSON_SUM = (
    "credited_seconds", "online_seconds", "workshop_seconds", "pairs", "pre_sum", "post_sum",
    "evaluations", "satisfaction_sum", "usefulness_sum", "confidence_before_sum",
    "confidence_after_sum",
)  # fmt: skip


def _sums(source, *, people: bool):
    """The aggregate columns of one group, in ``_SUMS`` order, over ``facts`` or ``people``."""
    c = source.c
    total = lambda column: func.coalesce(func.sum(column), 0)  # noqa: E731
    return [
        func.count().label("enrolled"),
        total(c.active),
        total(c.completed),
        total(c.passed),
        total(c.certified),
        total(c.credited_seconds),
        total(c.online_seconds),
        total(c.workshop_seconds),
        total(case((c.pairs > 0, 1), else_=0)) if people else total(c.pairs),
        total(c.pairs),
        total(c.pre_sum),
        total(c.post_sum),
        total(case((c.evaluations > 0, 1), else_=0)) if people else total(c.evaluations),
        total(c.evaluations),
        total(c.satisfaction_sum),
        total(c.usefulness_sum),
        total(c.confidence_before_sum),
        total(c.confidence_after_sum),
    ]


def _month(column):
    return cast(
        cast(extract("year", column), Integer) * 100 + cast(extract("month", column), Integer),
        String,
    )


def _person_keys(people) -> list[tuple[str, object]]:
    """(dimension, key) of each breakdown by a person's attribute, over ``people``."""
    keys = []
    for name in PERSON_DIMENSIONS:
        key = people.c[name]
        if name == "district":  # a district is named within its province
            key = people.c.province + literal(DISTRICT_KEY) + people.c.district
        keys.append((name, key))
    return keys


def _person_branches(people, *, grouping_sets: bool) -> list:
    """Everyone counted and each breakdown by a person's attribute: one ``SELECT`` a grouping
    (the ``UNION ALL`` every database runs), or (``grouping_sets``, PostgreSQL) one ``SELECT``
    with ``GROUPING SETS``, which reads the people once and evaluates each row's figures once
    for all eight groupings instead of once for each."""
    none = cast(null(), String)
    keys = _person_keys(people)
    if not grouping_sets:
        return [select(literal("total"), none, *_sums(people, people=True))] + [
            select(literal(name), cast(key, String), *_sums(people, people=True)).group_by(key)
            for name, key in keys
        ]
    grouped = lambda key: func.grouping(key) == 0  # noqa: E731 - the row is of this key's set
    dimension = case(*((grouped(key), literal(name)) for name, key in keys), else_="total")
    shown_key = case(*((grouped(key), cast(key, String)) for _, key in keys), else_=none)
    sets = func.grouping_sets(tuple_(), *(tuple_(key) for _, key in keys))
    return [select(dimension, shown_key, *_sums(people, people=True)).group_by(sets)]


def _count_only():
    """The columns of ``_sums`` when only the count is read (the months): the others 0."""
    return [func.count().label("enrolled"), *(literal(0) for _ in _SUMS[1:])]


def statement(
    catalog: Catalog,
    scope: access.FiguresScope,
    filters: Filters,
    *,
    live=False,
    grouping_sets=False,
):
    """The one statement behind every figure: rows of (dimension, key, *sums). ``grouping_sets``
    (PostgreSQL's, not SQLite's): the breakdowns by a person's attribute in one grouping."""
    _, facts = facts_cte(catalog, scope, filters, live=live)
    f = facts.c
    user = User.__table__
    people = (  # one row a person; their attributes come with their id (grouped by the key)
        select(
            user.c.id.label("user_id"),
            *(user.c[name] for name in PERSON_DIMENSIONS),
            *(func.max(f[name]).label(name) for name in _PERSON_MAX),
            # integers (a sum of integers is a bigint, and a sum of bigints PostgreSQL adds as numeric)
            *(cast(func.sum(f[name]), Integer).label(name) for name in _PERSON_SUM),
        )
        .select_from(facts.join(user, user.c.id == f.user_id))
        .group_by(user.c.id)
        .cte("people")
    )
    branches = _person_branches(people, grouping_sets=grouping_sets)
    branches.append(
        select(literal("course"), cast(f.course_slug, String), *_sums(facts, people=False))
        .group_by(f.course_slug)
    )  # fmt: skip
    member = CohortMember.__table__
    cohort = Cohort.__table__
    branches.append(
        select(literal("cohort"), cast(cohort.c.id, String), *_sums(facts, people=False))
        .select_from(facts)
        .join(member, member.c.user_id == f.user_id)
        .join(cohort, and_(cohort.c.id == member.c.cohort_id, cohort.c.course_slug == f.course_slug))
        .group_by(cohort.c.id)
    )  # fmt: skip
    # the months: only how many (enrolments, certificates) is read
    enrolled_month = _month(f.enrolled_at)
    branches.append(
        select(literal("enrolled_month"), enrolled_month, *_count_only())
        .group_by(enrolled_month)
    )  # fmt: skip
    certified_month = _month(f.certified_at)
    branches.append(
        select(literal("certified_month"), certified_month, *_count_only())
        .where(f.certified_at.is_not(None))
        .group_by(certified_month)
    )  # fmt: skip
    return union_all(*branches)


def _tune(session: Session) -> None:
    """On PostgreSQL, for this transaction: no JIT compilation (it cost more than the whole
    statement) and memory enough to group in memory rather than on disk. SQLite needs neither."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true)")
        )


def _has_grouping_sets(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def compute(
    session: Session,
    catalog: Catalog,
    scope: access.FiguresScope,
    filters: Filters,
    *,
    live: bool = False,
) -> Figures:
    """Every figure for this viewer and these filters, in one query over the stored rows: call
    ``refresh`` first (the web layer does, in a transaction of its own)."""
    _tune(session)
    total = Row(None)
    by: dict[str, list[Row]] = defaultdict(list)
    months: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    query = statement(catalog, scope, filters, live=live, grouping_sets=_has_grouping_sets(session))
    for dimension, key, *sums in session.execute(query):
        row = Row(key, *(int(v or 0) for v in sums))
        if dimension == "total":
            total = row
        elif dimension == "enrolled_month":
            months[_month_label(key)][0] = row.enrolled
        elif dimension == "certified_month":
            months[_month_label(key)][1] = row.enrolled
        else:
            by[dimension].append(row)
    return Figures(total, dict(by), {month: tuple(months[month]) for month in sorted(months)})


def _month_label(key: str) -> str:
    number = int(key)
    return f"{number // 100:04d}-{number % 100:02d}"


# --- around the figures ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Choices:
    """What the filter form offers this viewer: districts, organisations and cohorts in scope."""

    districts: list[tuple[str, str]]  #: (province, district)
    organisations: list[str]
    cohorts: list[tuple[int, str, str]]  #: (id, name, course slug)


def choices(session: Session, scope: access.FiguresScope) -> Choices:
    """Two queries: the places (province, district, organisation) of the people with an enrolment
    in scope, read from the people once, each grouping of them once; and the cohorts."""
    enrolment, user = Enrolment.__table__, User.__table__
    counted = exists(
        select(enrolment.c.id).where(
            enrolment.c.user_id == user.c.id, access.figures_population(scope, enrolment, user)
        )
    )
    places = session.execute(
        select(user.c.province, user.c.district, user.c.organisation)
        .where(counted)
        .group_by(user.c.province, user.c.district, user.c.organisation)
    ).all()
    districts = sorted({(p, d) for p, d, _ in places if d})
    organisations = sorted({o for _, _, o in places if o})
    cohorts = [tuple(r) for r in session.execute(access.figures_cohorts(scope))]
    return Choices(districts, organisations, cohorts)


def comments(
    session: Session, scope: access.FiguresScope, filters: Filters, limit: int = 200
) -> list[tuple[str, str]]:
    """What evaluators wrote (what to improve, other comments), without who or when: sorted by
    the text, so the order says nothing about the writer."""
    pop = population(scope, filters)
    ev = CourseEvaluation.__table__
    rows = session.execute(
        select(ev.c.improve, ev.c.comments)
        .join(pop, and_(pop.c.user_id == ev.c.user_id, pop.c.course_slug == ev.c.course_slug))
        .where((ev.c.improve != "") | (ev.c.comments != ""))
        .order_by(ev.c.improve, ev.c.comments)
        .limit(limit)
    ).all()
    return [(improve, comment) for improve, comment in rows]


LEARNER_COLUMNS = (
    "full_name", "email", "course_slug", "enrolled_at", "province", "district",
    "organisation_type", "organisation", "sex", "age_band", "work_role", "credited_seconds",
    "completed", "passed", "certified", "pre_score", "post_score",
)  # fmt: skip


def learner_rows(session: Session, catalog: Catalog, scope: access.FiguresScope, filters: Filters):
    """One row per counted enrolment with the person's name and e-mail, for administrators only
    (the caller checks ``scope.personal_data``). Evaluations are never part of it."""
    if not scope.personal_data:
        raise PermissionError("the learner-level export is for administrators")
    _, facts = facts_cte(catalog, scope, filters)
    user = User.__table__
    f = facts.c
    query = (
        select(
            user.c.full_name, user.c.email, f.course_slug, f.enrolled_at,
            *(user.c[name] for name in PERSON_DIMENSIONS),
            f.credited_seconds, f.completed, f.passed, f.certified, f.pre_score, f.post_score,
        )
        .join(user, user.c.id == f.user_id)
        .order_by(user.c.full_name, user.c.id, f.course_slug)
    )  # fmt: skip
    return session.execute(query)


# --- small cells: which figures a viewer may not see -----------------------------------------------
#: the figures that count people, each hidden when small (the others follow their base: hours
#: and rates the people enrolled, means the people paired or the people who evaluated)
COUNTS = ("enrolled", "active", "completed", "passed", "certified", "paired", "evaluated")
#: the donor table's "other or not stated": every answer on sex but female and male
SEX_OTHER = "sex_other"
#: a cell: (dimension or "total" or "month" or SEX_OTHER, key, figure)
Cell = tuple[str, str | None, str]


def complementary(
    values: dict[Cell, int],
    sets: list[tuple[Cell, list[Cell]]],
    small,
    sums: dict[Cell, list[Cell]] | None = None,
) -> frozenset[Cell]:
    """The cells to hide: each small one (``small(n)``), and in every set of cells that add up to a
    shown total, when exactly one is hidden, the next smallest too (or, when none is left to hide,
    the total), so that no hidden cell is the total less the shown ones. Repeated until nothing
    changes, since a cell hidden in one set is a total or a member of another.

    ``sums`` are totals that no one cell shows but the reader can add up (the course rows'
    enrolments, which the months share out): hidden as soon as one of their members is."""
    sums = sums or {}
    hidden = {cell for cell, n in values.items() if small(n)}
    changed = True
    while changed:
        changed = False
        for total, members in sums.items():
            if total not in hidden and any(m in hidden for m in members):
                hidden.add(total)
                changed = True
        for total, members in sets:
            present = [m for m in members if m in values]
            if total in hidden or sum(m in hidden for m in present) != 1:
                continue
            shown = [m for m in present if m not in hidden and values[m] > 0]
            if not shown and total in sums:  # a sum is hidden by hiding one of its members
                shown = [m for m in sums[total] if m not in hidden and values.get(m, 0) > 0]
            if shown:
                hidden.add(min(shown, key=lambda m: (values[m], str(m))))
            else:
                hidden.add(total)
            changed = True
    return frozenset(hidden)


def hidden_cells(result: Figures, scope: access.FiguresScope) -> frozenset[Cell]:
    """Every figure of ``result`` that ``scope`` may not see: small cells and their complements.
    The one place that decides; the page, its charts and every export ask it.

    Sets that add up: each breakdown by a person's attribute sums to everyone counted; a
    province's districts to the province; the donor table's female, male and "other or not
    stated" to everyone, and its "other" to the answers it groups; the months' enrolments and
    certificates to the course rows'."""
    if not scope.suppress:
        return frozenset()
    values: dict[Cell, int] = {}
    sets: list[tuple[Cell, list[Cell]]] = []
    sums: dict[Cell, list[Cell]] = {}
    rows = {name: result.by.get(name, []) for name in (*PERSON_DIMENSIONS, *ENROLMENT_DIMENSIONS)}
    for figure in COUNTS:
        total = ("total", None, figure)
        values[total] = getattr(result.total, figure)
        for name, group in rows.items():
            for row in group:
                values[(name, row.key, figure)] = getattr(row, figure)
        for name in PERSON_DIMENSIONS:
            sets.append((total, [(name, row.key, figure) for row in rows[name]]))
        for province in rows["province"]:
            inside = [
                ("district", r.key, figure)
                for r in rows["district"]
                if (r.key or "").partition(DISTRICT_KEY)[0] == province.key
            ]
            sets.append((("province", province.key, figure), inside))
        by_sex = {row.key: row for row in rows["sex"]}
        other = (SEX_OTHER, None, figure)
        values[other] = values[total] - sum(
            getattr(by_sex[k], figure) for k in ("female", "male") if k in by_sex
        )
        sets.append((total, [("sex", "female", figure), ("sex", "male", figure), other]))
        sets.append((other, [("sex", k, figure) for k in by_sex if k not in ("female", "male")]))
    for index, figure in enumerate(("enrolled", "certified")):
        courses = ("courses", None, figure)
        sums[courses] = [("course", row.key, figure) for row in rows["course"]]
        values[courses] = sum(values[c] for c in sums[courses])
        months = []
        for month, counts in result.months.items():
            values[("month", month, figure)] = counts[index]
            months.append(("month", month, figure))
        sets.append((courses, months))
    return complementary(values, sets, scope.small, sums)
