"""The hours rule through the SQL that production runs, with an injected clock: caps, idle gaps,
tabs, repeats, offline bursts, heartbeats at any spacing (hypothesis), pruning; the ledger."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import replace
from datetime import date, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from lms.extensions import db
from lms.models.hours import HeartbeatTab, LessonCredit
from lms.models.quizzes import QuizAttempt
from lms.services import ServiceError, adjustments, certificates, heartbeat, ledger, workshops
from lms.services.heartbeat import Heartbeat, HeartbeatOrderError
from tests.factories import NOW, enrol, make_user

WELCOME = "demo/01-basics/welcome"  # 12 minutes (an hour in ``LongWelcome``)
NEXT = "demo/01-basics/next-steps"  # 8 minutes
TRY = "demo/02-practice/try-it"  # 10 minutes
ISSUER = certificates.Issuer("Children's Champions Programme", "Dr A. Signatory", "Director")


@pytest.fixture
def catalog(app):
    return app.extensions["lms.catalog"]


class LongWelcome:
    """The test catalog, with the welcome lesson lasting an hour: longer than both caps, so that a
    test sees the 60-second and the 15-minute caps rather than the lesson's."""

    def __init__(self, catalog, minutes: int = 60):
        self._catalog = catalog
        self._long = replace(catalog.lesson_by_key(WELCOME), minutes=minutes)

    def lesson_by_key(self, key: str):
        return self._long if key == WELCOME else self._catalog.lesson_by_key(key)

    def __getattr__(self, name: str):
        return getattr(self._catalog, name)


@pytest.fixture
def long_catalog(catalog):
    return LongWelcome(catalog)


@pytest.fixture
def reader(learner):
    enrol(learner, "demo")
    return learner


def pass_every_quiz(user_id: int) -> None:
    """From now on every credited heartbeat of this learner takes the ORM path."""
    for number, module in enumerate(("01-basics", "02-practice"), 1):
        db.session.add(QuizAttempt(user_id=user_id, course_slug="demo", module_slug=module,
                                   number=number, seed=1, question_ids=[], pass_mark=70,
                                   content_version="t", started_at=NOW, submitted_at=NOW,
                                   responses={}, marks={}, score=90, passed=True))  # fmt: skip
    db.session.commit()


@pytest.fixture
def orm_credits(monkeypatch) -> list[int]:
    """The learners whose heartbeat was credited in the ORM session (the path that may issue)."""
    calls: list[int] = []
    real = certificates.issue_if_eligible

    def spy(session, catalog, issuer, user_id, *args, **kwargs):
        calls.append(user_id)
        return real(session, catalog, issuer, user_id, *args, **kwargs)

    monkeypatch.setattr(certificates, "issue_if_eligible", spy)
    return calls


class Tab:
    """A browser tab: its own id and sequence numbers, heartbeats at the times the test chooses,
    each sent as the heartbeat endpoint sends it (``heartbeat.record``)."""

    def __init__(self, catalog, user, name="tab-a"):
        self.catalog, self.user_id, self.name, self.seq = catalog, user.id, name, 0

    def beat(self, at_seconds, seconds, lesson=WELCOME, *, catch_up=False, seq=None, ms=None):
        if seq is None:
            self.seq += 1
            seq = self.seq
        moment = NOW + (
            timedelta(milliseconds=ms) if ms is not None else timedelta(seconds=at_seconds)
        )
        db.session.commit()  # a request begins with nothing open in the ORM session
        result = heartbeat.record(
            db.session,
            self.catalog,
            ISSUER,
            self.user_id,
            Heartbeat(lesson, seconds, seq, self.name, catch_up),
            now=moment,
        )
        return result.credited


def total(user_or_id, lesson=None) -> int:
    user_id = getattr(user_or_id, "id", user_or_id)
    query = select(func.coalesce(func.sum(LessonCredit.seconds), 0)).where(
        LessonCredit.user_id == user_id
    )
    if lesson:
        query = query.where(LessonCredit.lesson_key == lesson)
    return db.session.scalar(query)


@pytest.mark.parametrize(
    ("reported", "elapsed_ms", "catch_up", "expected"),
    [
        (30, 30_000, False, 30),
        (30, 10_000, False, 10),  # faster than the clock allows
        (30, 9_600, False, 9),  # whole seconds only: the 0.6 s counts towards the next one
        (90, 200_000, False, 60),  # never more than 60 at once
        (600, 700_000, True, 600),  # a catch-up after a dropped connection
        (2000, 3_000_000, True, 900),  # ... up to 15 minutes
        (30, 0, False, 0),
        (30, -5_000, False, 0),  # a clock that went backwards earns nothing
        (0, 30_000, False, 0),  # the page saw no activity
        (30, None, False, 0),  # the first heartbeat ever: no time is seen to have passed
        (900, None, True, 0),  # ... even if it says it is a catch-up
    ],
)
def test_the_rule(long_catalog, reader, reported, elapsed_ms, catch_up, expected):
    tab = Tab(long_catalog, reader)
    if elapsed_ms is not None:
        assert tab.beat(0, 0, ms=0) == 0  # starts the learner's clock
    credited = tab.beat(0, reported, catch_up=catch_up, ms=elapsed_ms or 0)
    assert credited == expected
    assert total(reader) == expected


def test_a_first_catch_up_earns_nothing_then_only_the_time_since(long_catalog, reader):
    tab = Tab(long_catalog, reader)
    assert tab.beat(0, 900, catch_up=True) == 0
    assert tab.beat(600, 900, catch_up=True) == 600
    # a new tab shares the learner's clock: its first heartbeat earns the time since the last one
    assert Tab(long_catalog, reader, "tab-b").beat(630, 900, catch_up=True) == 30


def test_heartbeats_closer_than_a_second_earn_no_more_than_the_time_passed(catalog, reader):
    """A script posting every 510 ms used to earn 19 s in 10.2 s (each interval rounded up)."""
    tab = Tab(catalog, reader)
    credited = [tab.beat(0, 1, ms=510 * n) for n in range(21)]
    assert sum(credited) == 10 == total(reader)  # 10.2 s passed: the 0.2 s waits for the next


def test_the_caps_on_a_lesson_longer_than_both(long_catalog, reader):
    tab = Tab(long_catalog, reader)
    tab.beat(0, 0)
    assert tab.beat(300, 300) == 60  # an ordinary heartbeat: 60 s at most
    assert tab.beat(1500, 1200, catch_up=True) == 900  # a catch-up: 15 minutes at most
    assert tab.beat(2200, 600, catch_up=True) == 600
    assert [tab.beat(t, 900, catch_up=True) for t in (3100, 4000, 4900, 5800)] == [
        900, 900, 240, 0,
    ]  # fmt: skip
    assert total(reader, WELCOME) == 3600  # the lesson's hour, not more


def test_steady_reading_is_credited_in_full(catalog, reader):
    tab = Tab(catalog, reader)
    credited = [tab.beat(t, 30) for t in (0, 30, 60, 90, 120)]
    assert credited == [0, 30, 30, 30, 30]
    assert total(reader) == 120


def test_reported_seconds_beyond_the_clock_or_the_cap_are_cut(catalog, reader):
    tab = Tab(catalog, reader)
    tab.beat(0, 30)
    assert tab.beat(10, 30) == 10  # only 10 s passed
    assert tab.beat(500, 300) == 60  # an ordinary heartbeat never earns more than 60
    assert total(reader) == 70


def test_an_idle_gap_earns_only_what_the_page_reports(catalog, reader):
    tab = Tab(catalog, reader)
    tab.beat(0, 30)
    assert tab.beat(3600, 0) == 0  # the page saw no activity for an hour
    assert tab.beat(3630, 30) == 30


def test_two_tabs_share_one_clock(catalog, reader):
    a, b = Tab(catalog, reader, "tab-a"), Tab(catalog, reader, "tab-b")
    a.beat(0, 30)
    credited = []
    for t in range(30, 301, 30):
        credited.append(a.beat(t, 30))
        credited.append(b.beat(t + 1, 30, NEXT))
    assert sum(credited) <= 301  # never more than the wall-clock time
    assert total(reader) == sum(credited)


def test_a_repeated_sequence_number_earns_nothing(catalog, reader):
    tab = Tab(catalog, reader)
    tab.beat(0, 30)
    assert tab.beat(30, 30, seq=5) == 30
    assert tab.beat(60, 30, seq=5) == 0
    assert tab.beat(90, 30, seq=4) == 0  # nor an old one
    assert tab.beat(120, 30, seq=6) == 30


def test_an_offline_burst_is_credited_as_one_catch_up(catalog, reader):
    tab = Tab(catalog, reader)
    tab.beat(0, 30)
    # offline for ten minutes of reading; the page sends the total when the connection is back
    assert tab.beat(630, 600, catch_up=True) == 600
    # a stale tab cannot claim more than 15 minutes, nor more than the time that passed
    assert tab.beat(5000, 5000, catch_up=True) == 120  # the rest of the lesson's 12 minutes
    assert total(reader, WELCOME) == 720


def test_a_lesson_never_earns_more_than_its_minutes(catalog, reader):
    tab = Tab(catalog, reader)
    for t in range(0, 60 * 30, 60):
        tab.beat(t, 60)
    assert total(reader, WELCOME) == 12 * 60
    assert tab.beat(60 * 31, 60, NEXT) == 60  # other lessons still count


def test_credit_is_kept_per_day(catalog, reader):
    tab = Tab(catalog, reader)
    for t in (0, 30, 60, 86400, 86430):
        tab.beat(t, 30)
    rows = db.session.execute(
        select(LessonCredit.day, LessonCredit.seconds).order_by(LessonCredit.day)
    ).all()
    assert rows == [(NOW.date(), 60), (NOW.date() + timedelta(days=1), 60)]


def test_unknown_lesson_and_bad_seconds_are_refused(catalog, reader):
    user_id = reader.id
    for beat in (Heartbeat("demo/01-basics/nope", 30, 1, "t"), Heartbeat(WELCOME, -1, 1, "t"),
                 Heartbeat(WELCOME, 10**9, 1, "t")):  # fmt: skip
        db.session.commit()
        with pytest.raises(ServiceError):
            heartbeat.record(db.session, catalog, ISSUER, user_id, beat, now=NOW)
    assert total(reader) == 0


def test_a_heartbeat_after_the_orm_session_began_fails_at_once(catalog, reader):
    """On SQLite it would wait out the busy timeout for the write lock this session holds."""
    user_id = reader.id  # reading the id begins a transaction in the session
    assert db.session().in_transaction()
    with pytest.raises(HeartbeatOrderError, match="before anything uses the ORM session"):
        heartbeat.record(db.session, catalog, ISSUER, user_id, Heartbeat(WELCOME, 30, 1, "t"),
                         now=NOW)  # fmt: skip
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(HeartbeatTab)) == 0


@pytest.mark.parametrize("orm_path", [False, True], ids=["own transaction", "ORM session"])
def test_concurrent_heartbeats_from_two_tabs_never_exceed_the_wall_clock(
    app, catalog, reader, orm_path, orm_credits
):
    """Threads send heartbeats for two tabs at the same instants; each instant earns once."""
    instants = list(range(30, 30 * 11, 30))  # 10 instants, 30 s apart: under both lesson caps
    user_id = reader.id
    if orm_path:
        pass_every_quiz(user_id)
    Tab(catalog, reader, "warm").beat(0, 30)
    db.session.commit()  # end this thread's transaction (on SQLite it would hold the write lock)
    errors: list[BaseException] = []

    def tab(name: str) -> None:
        try:
            with app.app_context():
                for seq, at in enumerate(instants, 1):
                    lesson = WELCOME if name == "a" else NEXT
                    beat = Heartbeat(lesson, 30, seq, name)
                    heartbeat.record(db.session, catalog, ISSUER, user_id, beat,
                                     now=NOW + timedelta(seconds=at))  # fmt: skip
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=tab, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    db.session.expire_all()
    # the first heartbeat starts the clock; then each 30 s step is earned exactly once, by
    # whichever tab came first
    assert total(user_id) == 30 * len(instants)
    assert bool(orm_credits) == orm_path  # the path the test meant


# --- any spacing: hypothesis over the SQL path ------------------------------------------------------
STEPS = st.lists(
    st.tuples(
        st.one_of(  # milliseconds since the previous heartbeat: close, far, or out of order
            st.integers(0, 2_500), st.integers(0, 20 * 60_000), st.integers(-3_000, 0)
        ),
        st.integers(0, 1_200),  # reported seconds
        st.booleans(),  # catch-up
        st.sampled_from(["tab-a", "tab-b", "tab-c"]),
        st.sampled_from([WELCOME, NEXT, TRY]),
        st.integers(0, 5).map(lambda n: n == 0),  # resend the tab's last sequence number
    ),
    min_size=1,
    max_size=25,
)


def expected_credits(steps, lesson_seconds) -> list[int]:
    """DESIGN.md §2 written out independently of the code, as the specification to compare to."""
    clock, at, seqs, credited = None, 0, {}, defaultdict(int)
    out = []
    for gap, reported, catch_up, tab, lesson, resend in steps:
        at += gap
        seq = seqs.get(tab, 0) + (0 if resend and tab in seqs else 1)
        if seq <= seqs.get(tab, 0):
            out.append(0)
            continue
        seqs[tab] = seq
        if clock is None:
            clock, credit = at, 0
        elif at <= clock:
            credit = 0
        else:
            whole = (at - clock) // 1000
            credit = min(reported, 900 if catch_up else 60, whole)
            clock += whole * 1000
        add = max(0, min(credit, lesson_seconds[lesson] - credited[lesson]))
        credited[lesson] += add
        out.append(add)
    return out


@pytest.mark.parametrize("orm_path", [False, True], ids=["own transaction", "ORM session"])
@settings(
    max_examples=30,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_no_spacing_of_heartbeats_earns_more_than_the_time_passed(
    long_catalog, orm_path, orm_credits, steps
):
    orm_credits.clear()
    learner = make_user()
    enrol(learner)
    if orm_path:
        pass_every_quiz(learner.id)
    tabs = {name: Tab(long_catalog, learner, name) for name in ("tab-a", "tab-b", "tab-c")}
    at, moments, credits = 0, [], []
    for gap, reported, catch_up, name, lesson, resend in steps:
        at += gap
        moments.append(at)
        tab = tabs[name]
        seq = tab.seq if resend and tab.seq else None
        credits.append(tab.beat(0, reported, lesson, catch_up=catch_up, seq=seq, ms=at))
    seconds = {key: long_catalog.lesson_by_key(key).seconds for key in (WELCOME, NEXT, TRY)}
    assert credits == expected_credits(steps, seconds)
    assert sum(credits) <= (max(moments) - moments[0]) // 1000  # never more than the time passed
    assert total(learner.id) == sum(credits)  # and what was acknowledged is what is stored
    assert bool(orm_credits) == (orm_path and sum(credits) > 0)  # the path the test meant


# --- pruning ---------------------------------------------------------------------------------------
def _tabs() -> set[str]:
    return set(db.session.scalars(select(HeartbeatTab.tab)))


def test_prune_forgets_tabs_silent_for_a_day_and_nothing_else(catalog, reader):
    old = [Tab(catalog, reader, f"old-tab-{n}") for n in range(5)]
    for n, tab in enumerate(old):
        tab.beat(n, 1)
    recent = Tab(catalog, reader, "recent-tab")
    recent.beat(2 * 86400, 1)
    db.session.commit()
    removed = heartbeat.prune_tabs(db.session, now=NOW + timedelta(days=2, hours=1), batch=2)
    assert removed == 5
    assert _tabs() == {"recent-tab"}
    # the rule goes on: a live tab earns its time, the learner's clock is untouched
    assert recent.beat(2 * 86400 + 30, 30) == 30
    assert heartbeat.prune_tabs(db.session, now=NOW + timedelta(days=2, hours=1)) == 0


# --- the ledger ------------------------------------------------------------------------------------
def test_ledger_adds_online_workshops_and_adjustments_capped_per_module(
    app, catalog, reader, instructor
):
    course = catalog.course("demo")
    tab = Tab(catalog, reader)
    for t in range(0, 330, 30):
        tab.beat(t, 30)  # 300 s online in module 1 (the first heartbeat starts the clock)
    workshop = workshops.create_workshop(
        db.session, catalog, course_slug="demo", module_slug="01-basics", held_on=date(2026, 3, 3),
        starts_at=time(10), minutes=10, place="Police Training College, Quetta",
        facilitator="Inspector Rahim", by=instructor.id, now=NOW,
    )  # fmt: skip
    workshops.mark(
        db.session,
        workshop,
        reader.id,
        status="late",
        minutes_attended=6,
        by=instructor.id,
        now=NOW,
        catalog=catalog,
        issuer=ISSUER,
    )
    adjustments.adjust(
        db.session,
        catalog,
        reader.id,
        course_slug="demo",
        module_slug="02-practice",
        minutes=4,
        reason="Paper register, field workshop in Zhob",
        by=instructor.id,
        now=NOW,
        issuer=ISSUER,
    )
    db.session.commit()
    summary = ledger.course_hours(db.session, course, reader.id)
    first, second = summary.modules
    assert (first.online_seconds, first.workshop_minutes, first.credited_seconds) == (300, 6, 660)
    assert (second.adjustment_minutes, second.credited_seconds) == (4, 240)
    assert summary.credited_seconds == 900 and summary.required_seconds == 1800

    adjustments.adjust(db.session, catalog, reader.id, course_slug="demo", module_slug="01-basics",
                 minutes=20, reason="Whole module taught in person", by=instructor.id, now=NOW,
                 issuer=ISSUER)  # fmt: skip
    assert (
        ledger.course_hours(db.session, course, reader.id).module("01-basics").credited_seconds
        == 1200
    )


def test_marks_earn_by_status_and_edits_are_recorded(catalog, reader, instructor, admin):
    workshop = workshops.create_workshop(
        db.session, catalog, course_slug="demo", module_slug="01-basics", held_on=date(2026, 3, 3),
        starts_at=time(10), minutes=15, place="Lahore", facilitator="A", by=instructor.id, now=NOW,
    )  # fmt: skip
    m = workshops.mark(
        db.session,
        workshop,
        reader.id,
        status="present",
        by=instructor.id,
        now=NOW,
        catalog=catalog,
        issuer=ISSUER,
    )
    assert m.minutes_attended == 15
    later = NOW + timedelta(hours=2)
    workshops.mark(
        db.session,
        workshop,
        reader.id,
        status="excused",
        remark="Flood",
        by=admin.id,
        now=later,
        catalog=catalog,
        issuer=ISSUER,
    )
    assert m.minutes_attended == 0
    [(change, learner_name, editor_name)] = workshops.mark_changes(db.session, workshop.id)
    assert (change.old_status, change.old_minutes, change.new_status, change.new_minutes) == (
        "present",
        15,
        "excused",
        0,
    )
    assert change.changed_at == later and editor_name == admin.full_name
    with pytest.raises(ServiceError, match="minutes attended"):
        workshops.mark(
            db.session,
            workshop,
            reader.id,
            status="late",
            minutes_attended=99,
            by=admin.id,
            now=NOW,
            catalog=catalog,
            issuer=ISSUER,
        )
    with pytest.raises(ServiceError):
        workshops.mark(
            db.session,
            workshop,
            reader.id,
            status="asleep",
            by=admin.id,
            now=NOW,
            catalog=catalog,
            issuer=ISSUER,
        )


def test_adjustments_need_a_reason_and_a_sane_size(catalog, reader, instructor):
    for minutes, reason in ((5, ""), (0, "a good reason"), (999, "a good reason")):
        with pytest.raises(ServiceError):
            adjustments.adjust(db.session, catalog, reader.id, course_slug="demo", module_slug="01-basics",
                         minutes=minutes, reason=reason, by=instructor.id, now=NOW,
                         issuer=ISSUER)  # fmt: skip


def test_a_cohorts_progress_summed_in_the_database_is_the_ledgers(catalog, instructor):
    """``ledger.progress_of_learners`` (one query, summed by the database) and
    ``quizzes.passed_of_learners`` agree with the ledger and the quiz results learner by learner:
    online time, workshops, adjustments both ways, caps, a module the course no longer has."""
    from lms.models.cohorts import CohortMember
    from lms.models.hours import HoursAdjustment, WorkshopMark, WorkshopSession
    from lms.services import quizzes
    from tests.factories import make_cohort
    from tests.services.test_certificates import adjust, online, quiz

    course = catalog.course("demo")
    people = [make_user() for _ in range(7)]
    for person in people:
        enrol(person, "demo")
    nothing, some, capped, workshop, negative, gone, done = people
    online(some, "01-basics", 3)
    online(capped, "01-basics", 12)
    adjust(capped, "01-basics", 30)  # beyond the module's 20 minutes
    session = WorkshopSession(course_slug="demo", module_slug="02-practice", held_on=NOW.date(),
                              starts_at=time(10), minutes=60, place="Quetta", facilitator="A",
                              created_by=instructor.id, created_at=NOW)  # fmt: skip
    db.session.add(session)
    db.session.flush()
    db.session.add(WorkshopMark(session_id=session.id, user_id=workshop.id, status="late",
                                minutes_attended=4, marked_by=instructor.id, marked_at=NOW))  # fmt: skip
    online(negative, "02-practice", 2)
    adjust(negative, "02-practice", -5)  # below zero: nothing, not less than nothing
    db.session.add(HoursAdjustment(user_id=gone.id, course_slug="demo", module_slug="retired",
                                   minutes=50, reason="t", created_by=gone.id, created_at=NOW))  # fmt: skip
    online(done, "01-basics", 12)
    adjust(done, "01-basics", 8)
    adjust(done, "02-practice", 10)
    quiz(done, "01-basics")
    quiz(some, "01-basics", passed=False)
    db.session.commit()
    cohort = make_cohort(instructor, people)
    members = select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)
    ids = [p.id for p in people]

    summed = ledger.progress_of_learners(db.session, course, members)
    hours = ledger.hours_for_learners(db.session, course, ids)
    for person in people:
        assert summed.get(person.id, ledger.no_progress(course)) == hours[person.id].progress
    assert nothing.id not in summed and gone.id not in summed  # a retired module counts nothing
    assert summed[done.id].complete == {"01-basics", "02-practice"}
    assert summed[capped.id].credited_seconds == 20 * 60

    tried = quizzes.passed_of_learners(db.session, course, members)
    results = quizzes.results_of(db.session, "demo", ids)
    for person in people:
        passed, attempted = tried.get(person.id, (frozenset(), frozenset()))
        assert passed == {m for m, r in results[person.id].items() if r.passed}
        assert attempted == set(results[person.id])
