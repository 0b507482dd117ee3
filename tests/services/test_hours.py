"""The hours rule with an injected clock: caps, idle gaps, tabs, repeats, offline bursts; the ledger."""

from __future__ import annotations

import threading
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from lms.database import Transaction
from lms.extensions import db
from lms.models.hours import LessonCredit
from lms.services import ServiceError, adjustments, heartbeat, ledger, workshops
from lms.services.heartbeat import Heartbeat
from tests.factories import NOW, enrol

WELCOME = "demo/01-basics/welcome"  # 12 minutes
NEXT = "demo/01-basics/next-steps"  # 8 minutes


@pytest.fixture
def catalog(app):
    return app.extensions["lms.catalog"]


@pytest.fixture
def reader(learner):
    enrol(learner, "demo")
    return learner


class Tab:
    """A browser tab: its own id and sequence numbers, heartbeats at the times the test chooses."""

    def __init__(self, catalog, user, name="tab-a"):
        self.catalog, self.user, self.name, self.seq = catalog, user, name, 0

    def beat(self, at_seconds, seconds, lesson=WELCOME, *, catch_up=False, seq=None):
        if seq is None:
            self.seq += 1
            seq = self.seq
        result = heartbeat.record_heartbeat(
            db.session.connection(),
            self.catalog,
            self.user.id,
            Heartbeat(lesson, seconds, seq, self.name, catch_up),
            now=NOW + timedelta(seconds=at_seconds),
        )
        db.session.commit()
        return result.credited


def total(user, lesson=None) -> int:
    query = select(func.coalesce(func.sum(LessonCredit.seconds), 0)).where(
        LessonCredit.user_id == user.id
    )
    if lesson:
        query = query.where(LessonCredit.lesson_key == lesson)
    return db.session.scalar(query)


@pytest.mark.parametrize(
    ("reported", "elapsed_ms", "catch_up", "expected"),
    [
        (30, 30_000, False, 30),
        (30, 10_000, False, 10),  # faster than the clock allows
        (30, 9_600, False, 10),  # rounded to the nearest second
        (90, 200_000, False, 60),  # never more than 60 at once
        (600, 700_000, True, 600),  # a catch-up after a dropped connection
        (2000, 3_000_000, True, 900),  # ... up to 15 minutes
        (30, None, False, 30),  # the first heartbeat ever
        (30, 0, False, 0),
        (30, -5_000, False, 0),  # a clock that went backwards earns nothing
        (-4, 30_000, False, 0),
    ],
)
def test_the_rule(reported, elapsed_ms, catch_up, expected):
    assert heartbeat.credit_for(reported, elapsed_ms, catch_up=catch_up) == expected


def test_steady_reading_is_credited_in_full(catalog, reader):
    tab = Tab(catalog, reader)
    credited = [tab.beat(t, 30) for t in (30, 60, 90, 120)]
    assert credited == [30, 30, 30, 30]
    assert total(reader) == 120


def test_reported_seconds_beyond_the_clock_or_the_cap_are_cut(catalog, reader):
    tab = Tab(catalog, reader)
    tab.beat(0, 30)
    assert tab.beat(10, 30) == 10  # only 10 s passed
    assert tab.beat(500, 300) == 60  # an ordinary heartbeat never earns more than 60
    assert total(reader) == 100


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
    assert sum(credited) <= 300 + 1  # never more than the wall-clock time
    assert total(reader) <= 330 + 1


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
    assert tab.beat(5000, 5000, catch_up=True) == 90  # the rest of the lesson's 12 minutes
    assert total(reader, WELCOME) == 720


def test_a_lesson_never_earns_more_than_its_minutes(catalog, reader):
    tab = Tab(catalog, reader)
    for t in range(0, 60 * 30, 60):
        tab.beat(t, 60)
    assert total(reader, WELCOME) == 12 * 60
    assert tab.beat(60 * 31, 60, NEXT) == 60  # other lessons still count


def test_credit_is_kept_per_day(catalog, reader):
    tab = Tab(catalog, reader)
    tab.beat(0, 30)
    tab.beat(30, 30)
    tab.beat(86400, 30)
    tab.beat(86430, 30)
    rows = db.session.execute(
        select(LessonCredit.day, LessonCredit.seconds).order_by(LessonCredit.day)
    ).all()
    assert rows == [(NOW.date(), 60), (NOW.date() + timedelta(days=1), 60)]


def test_unknown_lesson_and_bad_seconds_are_refused(catalog, reader):
    for beat in (Heartbeat("demo/01-basics/nope", 30, 1, "t"), Heartbeat(WELCOME, -1, 1, "t"),
                 Heartbeat(WELCOME, 10**9, 1, "t")):  # fmt: skip
        with pytest.raises(ServiceError):
            heartbeat.record_heartbeat(db.session.connection(), catalog, reader.id, beat, now=NOW)
    assert total(reader) == 0


def _in_orm_session(catalog, user_id, beat, now):
    heartbeat.record_heartbeat(db.session.connection(), catalog, user_id, beat, now=now)
    db.session.commit()


def _in_own_transaction(catalog, user_id, beat, now):
    with Transaction(db.engine) as tx:  # as the heartbeat endpoint does for most heartbeats
        heartbeat.record_heartbeat(tx, catalog, user_id, beat, now=now)


@pytest.mark.parametrize("send", [_in_orm_session, _in_own_transaction])
def test_concurrent_heartbeats_from_two_tabs_never_exceed_the_wall_clock(
    app, catalog, reader, send
):
    """Threads send heartbeats for two tabs at the same instants; each instant earns once."""
    instants = list(range(30, 30 * 11, 30))  # 10 instants, 30 s apart: under both lesson caps
    Tab(catalog, reader, "warm").beat(0, 30)
    user_id = reader.id
    db.session.commit()  # end this thread's transaction (on SQLite it would hold the write lock)
    errors: list[BaseException] = []

    def tab(name: str) -> None:
        try:
            with app.app_context():
                for seq, at in enumerate(instants, 1):
                    lesson = WELCOME if name == "a" else NEXT
                    beat = Heartbeat(lesson, 30, seq, name)
                    send(catalog, user_id, beat, NOW + timedelta(seconds=at))
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
    # 30 s at t=0, then each 30 s step is earned exactly once, by whichever tab came first
    assert total(reader) == 30 + 30 * len(instants)


# --- the ledger ------------------------------------------------------------------------------------
def test_ledger_adds_online_workshops_and_adjustments_capped_per_module(
    app, catalog, reader, instructor
):
    course = catalog.course("demo")
    tab = Tab(catalog, reader)
    for t in range(0, 300, 30):
        tab.beat(t, 30)  # 300 s online in module 1
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
    )
    db.session.commit()
    summary = ledger.course_hours(db.session, course, reader.id)
    first, second = summary.modules
    assert (first.online_seconds, first.workshop_minutes, first.credited_seconds) == (300, 6, 660)
    assert (second.adjustment_minutes, second.credited_seconds) == (4, 240)
    assert summary.credited_seconds == 900 and summary.required_seconds == 1800

    adjustments.adjust(db.session, catalog, reader.id, course_slug="demo", module_slug="01-basics",
                 minutes=20, reason="Whole module taught in person", by=instructor.id, now=NOW)  # fmt: skip
    assert (
        ledger.course_hours(db.session, course, reader.id).module("01-basics").credited_seconds
        == 1200
    )


def test_marks_earn_by_status_and_edits_are_recorded(catalog, reader, instructor, admin):
    workshop = workshops.create_workshop(
        db.session, catalog, course_slug="demo", module_slug="01-basics", held_on=date(2026, 3, 3),
        starts_at=time(10), minutes=15, place="Lahore", facilitator="A", by=instructor.id, now=NOW,
    )  # fmt: skip
    m = workshops.mark(db.session, workshop, reader.id, status="present", by=instructor.id, now=NOW)
    assert m.minutes_attended == 15
    later = NOW + timedelta(hours=2)
    workshops.mark(
        db.session, workshop, reader.id, status="excused", remark="Flood", by=admin.id, now=later
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
        )
    with pytest.raises(ServiceError):
        workshops.mark(db.session, workshop, reader.id, status="asleep", by=admin.id, now=NOW)


def test_adjustments_need_a_reason_and_a_sane_size(catalog, reader, instructor):
    for minutes, reason in ((5, ""), (0, "a good reason"), (999, "a good reason")):
        with pytest.raises(ServiceError):
            adjustments.adjust(db.session, catalog, reader.id, course_slug="demo", module_slug="01-basics",
                         minutes=minutes, reason=reason, by=instructor.id, now=NOW)  # fmt: skip
