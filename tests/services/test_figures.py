"""The programme figures on a small hand-built data set: every number below is worked out by hand
from the rows made in ``programme`` (the demo course: module 1 has 20 minutes, module 2 has 10,
each a quiz)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time

import pytest
from flask import current_app
from sqlalchemy import literal, select

from lms.extensions import db
from lms.models.certificates import Certificate
from lms.models.figures import CourseEvaluation, KnowledgeTest
from lms.models.hours import HoursAdjustment, LessonCredit, WorkshopMark, WorkshopSession
from lms.models.quizzes import QuizAttempt
from lms.services import access, figures, ledger
from tests.factories import NOW, make_certificate, make_cohort, make_user

ADMIN = access.FiguresScope(suppress=False, personal_data=True)
APRIL = datetime(2026, 4, 10, 9, tzinfo=UTC)


def read(user, module: str, lesson: str, seconds: int, day=date(2026, 3, 2)) -> None:
    db.session.add(LessonCredit(user_id=user.id, course_slug="demo", module_slug=module,
                                lesson_key=f"demo/{module}/{lesson}", day=day, seconds=seconds))  # fmt: skip


def passed(user, module: str, *, ok: bool = True) -> None:
    number = db.session.query(QuizAttempt).filter_by(user_id=user.id, module_slug=module).count()
    db.session.add(QuizAttempt(
        user_id=user.id, course_slug="demo", module_slug=module, number=number + 1, seed=1,
        question_ids=[], pass_mark=70, content_version="x", started_at=NOW, submitted_at=NOW,
        responses={}, score=90 if ok else 40, passed=ok,
    ))  # fmt: skip


def took(user, kind: str, score: int) -> None:
    db.session.add(KnowledgeTest(user_id=user.id, course_slug="demo", kind=kind, seed=1,
                                 choice_secret="c" * 64, question_ids=[], content_version="x",
                                 started_at=NOW, submitted_at=NOW, responses={}, score=score))  # fmt: skip


def evaluated(user, *ratings: int, improve: str = "") -> None:
    s, u, b, a = ratings
    db.session.add(CourseEvaluation(user_id=user.id, course_slug="demo", satisfaction=s,
                                    usefulness=u, confidence_before=b, confidence_after=a,
                                    improve=improve, comments="", submitted_at=NOW))  # fmt: skip


@pytest.fixture
def programme(app):
    """Five learners of the demo course:

    A  Sindh, Karachi, female, Sahil (NGO): module 1 read in full (1200 s), module 2 at a
       workshop (10 min present); both quizzes passed; certified; pre 40, post 80; evaluation
       5/4/2/4.
    B  Sindh, Karachi, female, Sahil: module 1 read 1500 s (credited 1200), module 2 300 s; quiz 1
       passed, quiz 2 failed; pre 50, no post.
    C  Sindh, Hyderabad, male, Police Sindh: module 1 600 s + a 10-minute adjustment, module 2
       600 s; both quizzes passed; certificate revoked; pre 30, post 60; evaluation 3/5/1/3.
    D  Punjab, Lahore, male, Punjab Police: both modules read in full; both passed; certified;
       pre 60, post 90; evaluation 4/4/3/5.
    E  Punjab, Lahore, sex not given, Sahil: enrolled on 10 April, nothing else.

    Cohort K1 (taught by T) has A, B and C; cohort K2 (taught by T2) has D.
    """
    a = make_user(province="Sindh", district="Karachi", organisation="Sahil", sex="female",
                  age_band="25-34", work_role="social-worker")  # fmt: skip
    b = make_user(province="Sindh", district="Karachi", organisation="Sahil", sex="female",
                  age_band="35-44")  # fmt: skip
    c = make_user(province="Sindh", district="Hyderabad", organisation="Police Sindh", sex="male",
                  organisation_type="police", work_role="police")  # fmt: skip
    d = make_user(province="Punjab", district="Lahore", organisation="Punjab Police", sex="male",
                  organisation_type="police", work_role="police")  # fmt: skip
    e = make_user(province="Punjab", district="Lahore", organisation="Sahil")
    t, t2 = make_user(role="instructor"), make_user(role="instructor")
    k1 = make_cohort(t, [a, b, c], name="K1")
    k2 = make_cohort(t2, [d], name="K2")
    from lms.models.enrolment import Enrolment

    db.session.add(Enrolment(user_id=e.id, course_slug="demo", enrolled_at=APRIL))
    read(a, "01-basics", "welcome", 720)
    read(a, "01-basics", "next-steps", 480)
    workshop = WorkshopSession(course_slug="demo", module_slug="02-practice",
                               held_on=date(2026, 3, 5), starts_at=time(9), minutes=10,
                               place="Karachi", facilitator="T", created_by=t.id, created_at=NOW,
                               cohort_id=k1.id)  # fmt: skip
    db.session.add(workshop)
    db.session.flush()
    db.session.add(WorkshopMark(session_id=workshop.id, user_id=a.id, status="present",
                                minutes_attended=10, marked_by=t.id, marked_at=NOW))  # fmt: skip
    read(b, "01-basics", "welcome", 720)
    read(b, "01-basics", "next-steps", 480)
    read(b, "01-basics", "welcome", 300, day=date(2026, 3, 3))  # 1500 s on module 1
    read(b, "02-practice", "try-it", 300)
    read(c, "01-basics", "welcome", 600)
    db.session.add(HoursAdjustment(user_id=c.id, course_slug="demo", module_slug="01-basics",
                                   minutes=10, reason="paper register", created_by=t.id,
                                   created_at=NOW))  # fmt: skip
    read(c, "02-practice", "try-it", 600)
    read(d, "01-basics", "welcome", 720)
    read(d, "01-basics", "next-steps", 480)
    read(d, "02-practice", "try-it", 600, day=date(2026, 3, 20))
    for person in (a, c, d):
        passed(person, "01-basics")
        passed(person, "02-practice")
    passed(b, "01-basics")
    passed(b, "02-practice", ok=False)
    for person, pre, post in ((a, 40, 80), (b, 50, None), (c, 30, 60), (d, 60, 90)):
        took(person, "pre", pre)
        if post is not None:
            took(person, "post", post)
    evaluated(a, 5, 4, 2, 4, improve="More case studies")
    evaluated(c, 3, 5, 1, 3)
    evaluated(d, 4, 4, 3, 5)
    db.session.commit()
    make_certificate(a)
    make_certificate(c, revoked_at=NOW, revoked_reason="issued by mistake")
    make_certificate(d)
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "t": t, "t2": t2, "k1": k1, "k2": k2}


def compute(scope=ADMIN, **chosen) -> figures.Figures:
    catalog = current_app.extensions["lms.catalog"]
    figures.refresh(db.session, catalog)  # as the page does before it reads
    return figures.compute(db.session, catalog, scope, figures.Filters(**chosen))


def by(result: figures.Figures, dimension: str) -> dict:
    return {row.key: row for row in result.by.get(dimension, [])}


def test_every_total_figure(programme):
    total = compute().total
    assert total.enrolled == 5
    assert total.active == 4  # A, B, C, D: E did nothing
    assert total.completed == 3  # A (workshop), C (adjustment), D
    assert total.passed == 3  # A, C, D
    assert total.certified == 2  # A, D: C's certificate is revoked
    assert total.completion_rate == pytest.approx(2 / 5)
    assert total.credited_seconds == 1800 + 1500 + 1800 + 1800  # B's module 1 capped at 1200
    assert total.online_seconds == 1200 + 1800 + 1200 + 1800
    assert total.workshop_seconds == 600
    assert total.paired == 3 and total.pairs == 3  # B has no post-test
    assert total.mean_pre == pytest.approx((40 + 30 + 60) / 3)
    assert total.mean_post == pytest.approx((80 + 60 + 90) / 3)
    assert total.mean_gain == pytest.approx((40 + 30 + 30) / 3)
    assert total.evaluated == 3
    assert total.satisfaction == pytest.approx(4.0)
    assert total.usefulness == pytest.approx(13 / 3)
    assert total.confidence_before == pytest.approx(2.0)
    assert total.confidence_after == pytest.approx(4.0)


def test_breakdowns(programme):
    result = compute()
    provinces = by(result, "province")
    assert set(provinces) == {"Sindh", "Punjab"}
    sindh, punjab = provinces["Sindh"], provinces["Punjab"]
    assert (sindh.enrolled, sindh.active, sindh.completed, sindh.passed, sindh.certified) == (
        3, 3, 2, 2, 1,
    )  # fmt: skip
    assert sindh.credited_seconds == 5100
    assert (punjab.enrolled, punjab.active, punjab.completed, punjab.certified) == (2, 1, 1, 1)
    districts = by(result, "district")
    assert {k: r.enrolled for k, r in districts.items()} == {
        "Sindh/Karachi": 2, "Sindh/Hyderabad": 1, "Punjab/Lahore": 2,
    }  # fmt: skip
    assert {k: r.enrolled for k, r in by(result, "sex").items()} == {
        "female": 2, "male": 2, None: 1,
    }  # fmt: skip
    assert {k: r.certified for k, r in by(result, "sex").items()} == {
        "female": 1, "male": 1, None: 0,
    }  # fmt: skip
    assert {k: r.enrolled for k, r in by(result, "organisation_type").items()} == {
        "ngo": 3, "police": 2,
    }  # fmt: skip
    assert {k: r.enrolled for k, r in by(result, "organisation").items()} == {
        "Sahil": 3, "Police Sindh": 1, "Punjab Police": 1,
    }  # fmt: skip
    assert {k: r.enrolled for k, r in by(result, "work_role").items()} == {
        "social-worker": 1, "police": 2, None: 2,
    }  # fmt: skip
    assert {k: r.enrolled for k, r in by(result, "age_band").items()} == {
        "25-34": 1, "35-44": 1, None: 3,
    }  # fmt: skip


def test_pre_post_gain_per_course_and_cohort(programme):
    result = compute()
    course = by(result, "course")["demo"]
    assert (course.pairs, course.mean_gain) == (3, pytest.approx(100 / 3))
    cohorts = by(result, "cohort")
    k1, k2 = cohorts[str(programme["k1"].id)], cohorts[str(programme["k2"].id)]
    assert (k1.enrolled, k1.pairs, k1.mean_gain) == (3, 2, pytest.approx((40 + 30) / 2))
    assert (k2.enrolled, k2.pairs, k2.mean_gain) == (1, 1, pytest.approx(30))
    assert (k1.mean_pre, k1.mean_post) == (pytest.approx(35), pytest.approx(70))


def test_the_monthly_trend(programme):
    assert compute().months == {"2026-03": (4, 2), "2026-04": (1, 0)}


def test_filters(programme):
    assert compute(province="Sindh").total.enrolled == 3
    assert compute(province="Sindh", sex="female").total.enrolled == 2
    assert compute(sex=figures.NOT_GIVEN).total.enrolled == 1
    assert compute(district="Hyderabad", province="Sindh").total.completed == 1
    assert compute(organisation_type="police").total.certified == 1
    assert compute(organisation="Sahil").total.enrolled == 3
    assert compute(work_role="police", age_band=figures.NOT_GIVEN).total.enrolled == 2
    assert compute(cohort=programme["k1"].id).total.enrolled == 3
    assert compute(course="demo").total.enrolled == 5
    assert compute(course="no-such-course").total.enrolled == 0
    april = compute(start=date(2026, 4, 1))
    assert (april.total.enrolled, april.total.active) == (1, 0)
    march = compute(start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert march.total.enrolled == 4
    # active between the dates: a lesson read, a quiz submitted or a workshop attended then
    assert compute(start=date(2026, 3, 2), end=date(2026, 3, 2)).total.active == 4
    assert compute(start=date(2026, 3, 1), end=date(2026, 3, 1)).total.active == 0


def test_scopes(programme):
    sindh = compute(access.FiguresScope(province="Sindh"))
    assert sindh.total.enrolled == 3 and set(by(sindh, "province")) == {"Sindh"}
    sahil = compute(access.FiguresScope(organisation="Sahil"))
    assert sahil.total.enrolled == 3 and set(by(sahil, "province")) == {"Sindh", "Punjab"}
    teacher = compute(access.FiguresScope(taught_by=programme["t"].id))
    assert teacher.total.enrolled == 3 and set(by(teacher, "province")) == {"Sindh"}
    assert set(by(teacher, "cohort")) == {str(programme["k1"].id)}
    nobody = compute(access.FiguresScope(taught_by=programme["a"].id))
    assert nobody.total.enrolled == 0 and nobody.by == {} and nobody.months == {}


def test_suppression_rule():
    scope = access.FiguresScope()
    assert [scope.small(n) for n in (0, 1, 4, 5, 50)] == [False, True, True, False, False]
    assert not access.FiguresScope(suppress=False).small(1)


def test_the_sql_module_credit_is_the_ledgers(app):
    """``ledger.credited_seconds_sql`` gives ``ModuleHours.credited_seconds`` for every case."""
    module = current_app.extensions["lms.catalog"].module("demo", "01-basics")  # 20 minutes
    for online, workshop, adjustment in [(0, 0, 0), (600, 0, 0), (1200, 0, 0), (1500, 0, 0),
                                         (600, 10, 0), (0, 30, 0), (100, 0, -5), (900, 0, 5)]:  # fmt: skip
        python = ledger.ModuleHours(module, online, workshop, adjustment).credited_seconds
        total = online + 60 * (workshop + adjustment)
        sql = db.session.scalar(
            select(ledger.credited_seconds_sql(literal(total), literal(module.minutes * 60)))
        )
        assert sql == python, (online, workshop, adjustment)


def test_learner_rows_are_for_administrators_only(programme):
    catalog = current_app.extensions["lms.catalog"]
    with pytest.raises(PermissionError):
        figures.learner_rows(db.session, catalog, access.FiguresScope(), figures.Filters())
    figures.refresh(db.session, catalog)
    rows = list(figures.learner_rows(db.session, catalog, ADMIN, figures.Filters()))
    assert len(rows) == 5
    assert "satisfaction" not in figures.LEARNER_COLUMNS  # evaluations stay anonymous


def test_filters_count():
    assert figures.Filters().chosen == 0
    assert replace(figures.Filters(), province="Sindh", sex="male").chosen == 2


# --- complementary suppression ---------------------------------------------------------------------
def _cells(**values):
    return {(name, None, "enrolled"): n for name, n in values.items()}


def test_a_lone_hidden_cell_takes_the_next_smallest_with_it():
    """Female 3 (hidden), male 40, total 43: shown, male would give female away (43 - 40)."""
    small = access.FiguresScope().small
    values = _cells(total=43, female=3, male=40, another=0)
    members = [(k, None, "enrolled") for k in ("female", "male", "another")]
    hidden = figures.complementary(values, [(("total", None, "enrolled"), members)], small)
    assert hidden == {("female", None, "enrolled"), ("male", None, "enrolled")}
    # two cells already hidden: nothing more to hide
    values = _cells(total=47, female=3, male=40, another=4)
    assert figures.complementary(values, [(("total", None, "enrolled"), members)], small) == {
        ("female", None, "enrolled"), ("another", None, "enrolled"),
    }  # fmt: skip
    # nothing else to hide (the others are 0): the total goes
    values = _cells(total=3, female=3, male=0, another=0)
    assert ("total", None, "enrolled") in figures.complementary(
        values, [(("total", None, "enrolled"), members)], small
    )
    # an administrator sees everything
    assert not figures.complementary(values, [], access.FiguresScope(suppress=False).small)


def test_complements_reach_across_sets():
    """A district hidden alone in its province hides a second district; a province hidden alone
    among the provinces hides a second province, whose districts are then a set with a hidden
    total (nothing more to do there)."""
    small = access.FiguresScope().small
    cell = lambda name, key: (name, key, "enrolled")  # noqa: E731
    values = {cell("total", None): 30, cell("province", "Sindh"): 20, cell("province", "Punjab"): 7,
              cell("province", "Balochistan"): 3, cell("district", "Sindh/Karachi"): 18,
              cell("district", "Sindh/Hyderabad"): 2}  # fmt: skip
    sets = [
        (cell("total", None), [cell("province", p) for p in ("Sindh", "Punjab", "Balochistan")]),
        (cell("province", "Sindh"), [cell("district", "Sindh/Karachi"),
                                     cell("district", "Sindh/Hyderabad")]),
    ]  # fmt: skip
    hidden = figures.complementary(values, sets, small)
    assert hidden == {cell("province", "Balochistan"), cell("province", "Punjab"),
                      cell("district", "Sindh/Hyderabad"), cell("district", "Sindh/Karachi")}  # fmt: skip


def test_hidden_cells_of_the_figures(programme):
    """The hand-built programme seen by a programme manager: 5 people, so only the total's
    figures of 5 or more show; every row of 1 to 4 is hidden, and where a set would still show all
    but one hidden cell, a second goes."""
    result = compute(access.FiguresScope())
    hidden = figures.hidden_cells(result, access.FiguresScope())
    assert ("total", None, "enrolled") not in hidden  # 5
    # sex: female 2, male 2, not given 1 -- all hidden anyway
    assert {("sex", k, "enrolled") for k in ("female", "male", None)} <= hidden
    # the donor table's "other or not stated" is 1: hidden, and female and male with it
    assert (figures.SEX_OTHER, None, "enrolled") in hidden
    # the months: March 4 (hidden) and April 1 (hidden)
    assert {("month", m, "enrolled") for m in ("2026-03", "2026-04")} <= hidden
    assert figures.hidden_cells(result, ADMIN) == frozenset()


# --- the stored rows follow every change -------------------------------------------------------------
def test_the_stored_figures_follow_each_change_to_what_they_count(programme):
    """Each change to a row the figures count is seen by the next computation: the database's
    triggers mark the enrolment and the refresh computes it again (the same query as at first)."""
    from lms.models.figures import FiguresChange, FiguresEnrolment

    a, b, c, e = (programme[k] for k in "abce")
    assert compute().total.certified == 2
    db.session.commit()
    assert db.session.query(FiguresChange).count() == 0  # all seen
    assert db.session.query(FiguresEnrolment).count() == 5
    # E reads (a credit), C's certificate is reinstated, B passes quiz 2 and takes the post-test
    read(e, "01-basics", "welcome", 1200)
    certificate = db.session.query(Certificate).filter_by(user_id=c.id).one()
    certificate.revoked_at = None
    passed(b, "02-practice")
    took(b, "post", 70)
    db.session.commit()
    total = compute().total
    assert (total.active, total.certified, total.passed) == (5, 3, 4)
    assert total.credited_seconds == 1800 + 1500 + 1800 + 1800 + 1200
    assert (total.pairs, total.post_sum) == (4, 80 + 60 + 90 + 70)
    # a workshop session deleted takes A's 10 minutes with it (the marks go with their session)
    assert db.session.query(WorkshopMark).filter_by(user_id=a.id).count() == 1
    db.session.delete(db.session.query(WorkshopSession).one())
    db.session.commit()
    total = compute().total
    assert total.workshop_seconds == 0 and total.completed == 2  # A's module 2 is short now
    # a row computed for other content (a module's minutes changed) is computed again
    db.session.query(FiguresEnrolment).update(
        {"catalog_key": "older content", "credited_seconds": 1}
    )
    db.session.commit()
    assert compute().total.credited_seconds == 1800 + 1500 + 1800 + 1800 + 1200 - 600
    assert db.session.query(FiguresChange).count() == 0  # nothing left marked


def test_a_change_made_while_a_refresh_runs_is_not_lost(programme):
    """The refresh clears a mark only at the version it saw: a change made after it read the
    marks (here: between its statements) leaves the mark for the next refresh."""
    from lms.models.figures import FiguresChange

    catalog = current_app.extensions["lms.catalog"]
    compute()
    db.session.commit()
    e = programme["e"]
    read(e, "01-basics", "welcome", 60)
    db.session.flush()
    db.session.query(FiguresChange).update({"seen": FiguresChange.version})  # as its 2nd statement
    read(e, "01-basics", "next-steps", 60)  # a change after it: the version moves on
    db.session.flush()
    db.session.execute(
        FiguresChange.__table__.delete().where(FiguresChange.seen == FiguresChange.version)
    )
    assert db.session.query(FiguresChange).filter_by(user_id=e.id).count() == 1
    figures.refresh(db.session, catalog)
    assert db.session.query(FiguresChange).count() == 0
    assert compute(province="Punjab").total.online_seconds == 1800 + 120


@pytest.mark.parametrize(
    "chosen", [{}, {"province": "Sindh"}, {"start": date(2026, 3, 2), "end": date(2026, 3, 2)},
               {"cohort": "k1"}, {"sex": figures.NOT_GIVEN}],
)  # fmt: skip
def test_the_stored_rows_give_the_figures_the_raw_rows_give(programme, chosen):
    if "cohort" in chosen:
        chosen = {"cohort": programme["k1"].id}
    catalog = current_app.extensions["lms.catalog"]
    stored = compute(**chosen)
    live = figures.compute(db.session, catalog, ADMIN, figures.Filters(**chosen), live=True)
    assert stored == live


@pytest.mark.parametrize(
    "chosen", [{}, {"province": "Sindh"}, {"sex": figures.NOT_GIVEN}, {"course": "none-such"}]
)
def test_the_grouping_sets_give_the_rows_the_union_gives(programme, chosen):
    """PostgreSQL's one grouping of the breakdowns by a person's attribute (``GROUPING SETS``,
    which SQLite has not) returns the rows of the ``UNION ALL`` of one grouping each."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("GROUPING SETS: PostgreSQL only")
    catalog = current_app.extensions["lms.catalog"]
    figures.refresh(db.session, catalog)
    rows = {}
    for grouping_sets in (False, True):
        query = figures.statement(catalog, ADMIN, figures.Filters(**chosen),
                                  grouping_sets=grouping_sets)  # fmt: skip
        rows[grouping_sets] = sorted((tuple(r) for r in db.session.execute(query)), key=repr)
    assert rows[True] == rows[False]
    if "course" not in chosen:
        assert len({r[0] for r in rows[True]}) > 5
    else:  # nobody counted: the total alone, of nobody
        assert [r[:3] for r in rows[True]] == [("total", None, 0)]
