"""A person's own records (download) and erasure on request (administrators)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, time

import pytest

from lms.extensions import db
from lms.models.cohorts import AuditEvent, CohortInvitation, RosterUpload
from lms.models.hours import LessonCredit, WorkshopMark, WorkshopSession
from lms.models.quizzes import QuizAttempt
from lms.models.users import User
from tests.conftest import login, soup
from tests.factories import NOW, PASSWORD, enrol, make_certificate, make_cohort, make_user


@pytest.fixture
def person(app):
    user = make_user(full_name='=HYPERLINK("http://evil.example")', email="amina@example.org")
    enrol(user, "demo")
    db.session.add(
        LessonCredit(user_id=user.id, course_slug="demo", module_slug="01-basics",
                     lesson_key="demo/01-basics/welcome", day=date(2026, 3, 2), seconds=420)
    )  # fmt: skip
    db.session.add(
        QuizAttempt(user_id=user.id, course_slug="demo", module_slug="01-basics", number=1,
                    seed=1, question_ids=["q-single"], pass_mark=70, content_version="x",
                    started_at=NOW, submitted_at=NOW, responses={}, score=80, passed=True)
    )  # fmt: skip
    db.session.commit()
    make_certificate(user, serial="DEMO-2026-000777")
    return user


def test_learner_downloads_own_records_as_json(client, person):
    other = make_user(email="someone.else@example.org")
    enrol(other, "demo")
    login(client, person)
    page = soup(client.get("/account"))
    links = {a["href"] for a in page.select("main a[download]")}
    assert links == {"/account/records.json", "/account/records.zip"}
    response = client.get("/account/records.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data())
    assert data["profile"]["email"] == "amina@example.org"
    assert [e["course"] for e in data["enrolments"]] == ["demo"]
    assert data["online_time"][0]["seconds"] == 420
    assert data["quiz_attempts"][0]["score"] == 80
    assert data["certificates"][0]["serial"] == "DEMO-2026-000777"
    assert "someone.else@example.org" not in response.get_data(as_text=True)


def test_learner_downloads_own_records_as_csv_files(client, person):
    login(client, person)
    response = client.get("/account/records.zip")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert set(archive.namelist()) >= {"profile.csv", "online_time.csv", "certificates.csv"}
    profile = dict(csv.reader(io.StringIO(archive.read("profile.csv").decode("utf-8-sig"))))
    assert profile["email"] == "amina@example.org"
    # a name typed as a formula reaches the spreadsheet as text
    assert profile["full_name"].startswith("'=")
    rows = list(csv.DictReader(io.StringIO(archive.read("online_time.csv").decode("utf-8-sig"))))
    assert rows[0]["seconds"] == "420"


def test_records_need_a_login(client):
    assert client.get("/account/records.json").status_code == 401  # a data URL: no redirect
    assert client.get("/account/records.zip").status_code == 302
    assert client.get("/account/records.xml").status_code == 404


def _erase(client, user, **form):
    return client.post(f"/admin/users/{user.id}/erase", data=form)


def test_admin_erases_a_person_keeping_certificates_and_figures(client, admin, person):
    instructor = make_user(role="instructor")
    cohort = make_cohort(instructor, [person])
    workshop = WorkshopSession(
        course_slug="demo", module_slug="01-basics", held_on=date(2026, 3, 1), starts_at=time(9),
        minutes=60, place="Quetta", facilitator="A", created_by=instructor.id, created_at=NOW,
        cohort_id=cohort.id,
    )  # fmt: skip
    db.session.add(workshop)
    db.session.flush()
    db.session.add(
        WorkshopMark(session_id=workshop.id, user_id=person.id, status="present",
                     minutes_attended=60, remark="Amina said her brother hits her",
                     marked_by=instructor.id, marked_at=NOW)
    )  # fmt: skip
    db.session.add(
        RosterUpload(cohort_id=cohort.id, uploaded_by=instructor.id, uploaded_at=NOW,
                     text="full name,e-mail\nAmina,AMINA@example.org\nBilal,bilal@example.org\n")
    )  # fmt: skip
    db.session.add(
        CohortInvitation(cohort_id=cohort.id, email="amina@example.org", invited_by=instructor.id,
                         invited_at=NOW)
    )  # fmt: skip
    db.session.commit()
    login(client, admin)
    page = soup(client.get(f"/admin/users/{person.id}/erase"))
    assert "DEMO-2026-000777" in page.select_one("main").get_text()

    response = _erase(client, person, reason="The person asked by letter", confirm="y")
    assert response.status_code == 302
    db.session.expire_all()
    erased = db.session.get(User, person.id)
    assert erased.erased_at is not None and not erased.active
    assert erased.email == f"erased-{person.id}@erased.invalid"
    assert erased.full_name == "Erased account" and erased.job_title == ""
    # what places the person in a figure stays; their hours and attempts stay
    assert (erased.province, erased.district, erased.organisation_type) == (
        "Punjab",
        "Lahore",
        "ngo",
    )
    assert db.session.query(LessonCredit).filter_by(user_id=person.id).count() == 1
    assert db.session.query(QuizAttempt).filter_by(user_id=person.id).count() == 1
    # free text about the person and their roster line are gone
    assert db.session.query(WorkshopMark).filter_by(user_id=person.id).one().remark == ""
    roster = db.session.query(RosterUpload).one().text
    assert "amina" not in roster.lower() and "bilal@example.org" in roster
    assert db.session.query(CohortInvitation).count() == 0
    # the certificate still verifies with the printed name
    verify = client.get("/verify/" + person_certificate_code(person))
    assert verify.status_code == 200
    assert soup(verify).select_one(".verdict.valid") is not None
    assert (
        soup(verify).select_one(".certificate-facts dd").get_text()
        == '=HYPERLINK("http://evil.example")'
    )
    event = db.session.query(AuditEvent).filter_by(action="account erased").one()
    assert event.target == f"user:{person.id}" and event.actor_id == admin.id
    assert "amina" not in json.dumps(event.details).lower()


def person_certificate_code(person) -> str:
    from lms.models.certificates import Certificate

    return db.session.query(Certificate).filter_by(user_id=person.id).one().code


def test_erased_person_cannot_log_in_and_their_session_ends(app, admin, person):
    learner_client = app.test_client()
    login(learner_client, person)
    assert learner_client.get("/dashboard").status_code == 200
    admin_client = app.test_client()
    login(admin_client, admin)
    assert _erase(admin_client, person, reason="Asked in person", confirm="y").status_code == 302
    assert learner_client.get("/dashboard").status_code == 302  # the old session is gone
    response = learner_client.post(
        "/login", data={"email": "amina@example.org", "password": PASSWORD}
    )
    assert response.status_code == 401


def test_erasure_can_withdraw_certificates(client, admin, person):
    login(client, admin)
    response = _erase(client, person, reason="Withdraw everything", withdraw="y", confirm="y")
    assert response.status_code == 302
    verify = soup(client.get("/verify/" + person_certificate_code(person)))
    assert "Withdraw everything" in verify.select_one(".verdict.revoked").get_text()


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({"reason": "The person asked"}, 400),  # not confirmed
        ({"reason": "", "confirm": "y"}, 400),  # no reason
        ({"reason": "x" * 1001, "confirm": "y"}, 400),
    ],
)
def test_erasure_refuses_incomplete_requests(client, admin, person, form, status):
    login(client, admin)
    response = _erase(client, person, **form)
    assert response.status_code == status
    assert soup(response).select(".error, .form-errors")
    db.session.expire_all()
    assert db.session.get(User, person.id).erased_at is None


def test_admin_cannot_erase_themselves_or_twice(client, admin, person):
    login(client, admin)
    assert _erase(client, admin, reason="Testing myself", confirm="y").status_code == 409
    assert _erase(client, person, reason="The person asked", confirm="y").status_code == 302
    again = _erase(client, person, reason="The person asked", confirm="y")
    assert again.status_code in (200, 409)
    assert db.session.query(AuditEvent).filter_by(action="account erased").count() == 1


def test_registration_explains_each_field(client):
    page = soup(client.get("/register"))
    for name in ("full_name", "email", "organisation_type", "organisation", "province", "district"):
        hint = page.select_one(f"#{name}-hint")
        assert hint is not None and len(hint.get_text().split()) >= 6, name
        assert page.select_one(f"#{name}")["aria-describedby"].startswith(f"{name}-hint")
