"""Expiry, refresher, revocation and bulk tools on the pages: what learners, instructors,
administrators and the public see. The clock is fixed (``clock.now`` patched), never slept on."""

from __future__ import annotations

import io
import sys
import types
from datetime import datetime, timedelta

import pypdf
import pytest

from lms.certificates import codes
from lms.extensions import db
from lms.models.certificates import Certificate, CertificateEvent
from lms.services import certificates, clock
from tests.conftest import soup
from tests.factories import NOW, enrol, make_certificate, make_cohort, make_user
from tests.services.test_certificates import ISSUER, finished
from tests.services.test_expiry import EXPIRES, OPENS, quiz_at
from tests.smtp import free_port, mail_config

AFTER = EXPIRES + timedelta(days=1)


@pytest.fixture
def at(monkeypatch):
    """Set the time the pages see: ``at(moment)``."""

    def set_time(moment: datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: moment)

    return set_time


def text_of(response) -> str:
    return " ".join(soup(response).select_one("main").get_text(" ", strip=True).split())


def facts_of(page) -> dict[str, str]:
    return {dt.get_text(): dt.find_next_sibling("dd").get_text() for dt in page.select("dt")}


def verify_url(certificate) -> str:
    return f"/verify/{codes.grouped(certificate.code)}"


def test_verify_page_json_and_pdf_show_the_expiry(client, learner, at, app):
    certificate = make_certificate(learner, expires_at=EXPIRES)
    at(NOW)
    page = soup(client.get(verify_url(certificate)))
    assert page.select_one(".verdict.valid")
    facts = facts_of(page)
    assert facts["Valid until"] == "02 March 2028"
    body = client.get(verify_url(certificate) + ".json")
    assert body.status_code == 200 and body.get_json()["expires"] == EXPIRES.isoformat()

    at(AFTER)
    response = client.get(verify_url(certificate))
    assert response.status_code == 200
    verdict = soup(response).select_one(".verdict")
    assert verdict["class"] == ["verdict", "expired"]
    assert "expired" in verdict.get_text() and "revoked" not in verdict.get_text().lower()
    assert client.get(verify_url(certificate) + ".json").status_code == 200  # not 410: not revoked

    from lms.web.certificates import pdf_of

    with app.test_request_context():
        text = pypdf.PdfReader(io.BytesIO(pdf_of(certificate))).pages[0].extract_text()
    assert "valid until 02 March 2028" in text and "EXPIRED" in text and "REVOKED" not in text


def test_a_certificate_without_expiry_says_so(client, learner):
    certificate = make_certificate(learner)
    page = soup(client.get(verify_url(certificate)))
    facts = facts_of(page)
    assert facts["Valid until"] == "No expiry date"
    assert "expires" not in client.get(verify_url(certificate) + ".json").get_json()


def test_revoked_shows_as_revoked_with_the_reason_on_course_page_and_my_certificates(
    client, learner, login_as, admin
):
    enrol(learner, "demo")
    make_certificate(learner, expires_at=EXPIRES, revoked_at=NOW, revoked_by=admin.id,
                     revoked_reason="Attendance sheet was forged")  # fmt: skip
    login_as(learner)
    course = soup(client.get("/courses/demo")).select_one(".progress .verdict.revoked")
    assert course and "Attendance sheet was forged" in course.get_text()
    assert "issued." not in soup(client.get("/courses/demo")).select_one(".progress").get_text()
    mine = soup(client.get("/certificates")).select_one(".certificate .verdict")
    assert mine["class"] == ["verdict", "revoked"]
    assert "Attendance sheet was forged" in mine.get_text()


def test_dashboard_offers_the_refresher_from_60_days_before(client, app, learner, login_as, at):
    catalog = app.extensions["lms.catalog"]
    finished(learner)
    certificates.issue(db.session, catalog, ISSUER, learner.id, "demo", now=NOW)
    db.session.commit()
    login_as(learner)
    at(OPENS - timedelta(hours=1))
    assert soup(client.get("/dashboard")).select_one(".refreshers") is None
    at(OPENS)
    section = soup(client.get("/dashboard")).select_one(".refreshers")
    assert section is not None and "in 60 days" in section.get_text()
    items = [" ".join(li.get_text(" ").split()) for li in section.select(".refresher-quizzes li")]
    assert items == ["Module 1 quiz : to do", "Module 2 quiz : to do"]
    assert soup(client.get("/courses/demo")).select_one(".refresher")  # and on the course page

    quiz_at(learner, "01-basics", OPENS)
    section = soup(client.get("/dashboard")).select_one(".refreshers")
    assert "passed again" in section.select(".refresher-quizzes li")[0].get_text()
    at(AFTER)
    assert "expired on" in soup(client.get("/dashboard")).select_one(".refreshers").get_text()


def test_passing_the_last_refresher_quiz_on_the_site_renews(client, app, learner, login_as, at):
    from tests.web.test_quiz import fill

    catalog = app.extensions["lms.catalog"]
    finished(learner)
    old = certificates.issue(db.session, catalog, ISSUER, learner.id, "demo", now=NOW)
    db.session.commit()
    quiz_at(learner, "01-basics", OPENS)
    login_as(learner)
    at(OPENS + timedelta(days=1))
    attempt = client.post("/courses/demo/02-practice/quiz/start").headers["Location"]
    response = client.post(
        attempt, data=fill(soup(client.get(attempt)), {"p-1": "Observation home"})
    )
    assert response.status_code == 302
    flashes = [f.get_text() for f in soup(client.get(attempt)).select(".flash")]
    assert any("renewed certificate is ready" in f for f in flashes)
    renewed = db.session.query(Certificate).filter_by(renews_id=old.id).one()
    cards = soup(client.get("/certificates")).select(".certificate")
    assert renewed.serial in cards[0].get_text()  # the newest first
    assert f"Renewed by {renewed.serial}" in cards[1].get_text()
    assert "renewed it on" in text_of(client.get(verify_url(old)))
    assert soup(client.get("/dashboard")).select_one(".refreshers") is None


def test_admin_bulk_revocation_all_or_nothing(client, admin, login_as):
    first, second = make_certificate(make_user()), make_certificate(make_user())
    gone = make_certificate(make_user(), revoked_at=NOW, revoked_by=admin.id, revoked_reason="x")
    login_as(admin)
    page = soup(client.get("/admin/certificates/"))
    boxes = page.select("input[type=checkbox][name=certificate][form=bulk]")
    assert {b["value"] for b in boxes} == {str(first.id), str(second.id)}  # not the revoked one
    data = {
        "reason": "Training centre closed for fraud",
        "certificate": [str(first.id), str(gone.id)],
    }
    response = client.post("/admin/certificates/revoke", data=data)
    assert response.status_code == 409
    assert gone.serial in soup(response).select_one(".form-errors").get_text()
    db.session.expire_all()
    assert not db.session.get(Certificate, first.id).revoked
    assert (
        client.post("/admin/certificates/revoke", data={"reason": "Fraud found"}).status_code == 400
    )
    assert (
        client.post("/admin/certificates/revoke", data={"certificate": [str(first.id)]}).status_code
        == 400
    )
    data["certificate"] = [str(first.id), str(second.id)]
    assert client.post("/admin/certificates/revoke", data=data).status_code == 302
    db.session.expire_all()
    for c in (first, second):
        found = db.session.get(Certificate, c.id)
        assert found.revoked and found.revoked_reason == "Training centre closed for fraud"


def test_admin_certificate_page_shows_the_whole_history(client, app, admin, learner, login_as):
    catalog = app.extensions["lms.catalog"]
    finished(learner)
    issued = certificates.issue(db.session, catalog, ISSUER, learner.id, "demo", now=NOW)
    db.session.commit()
    login_as(admin)
    url = f"/admin/certificates/{issued.id}"
    assert (
        client.post(url + "/revoke", data={"reason": "Name misspelt by the registrar"}).status_code
        == 302
    )
    assert client.post(url + "/restore").status_code == 302
    page = soup(client.get(url))
    rows = [
        [td.get_text(strip=True) for td in tr.select("td")]
        for tr in page.select("table.history tbody tr")
    ]
    assert [r[1] for r in rows] == ["issued", "revoked", "restored"]
    assert rows[1][2:] == [admin.full_name, "Name misspelt by the registrar"]
    assert rows[0][2] == "The platform"
    assert db.session.query(CertificateEvent).count() == 3


def test_adding_learners_to_a_workshop_by_email_issues_the_certificate(
    client, app, instructor, learner, login_as
):
    from datetime import date, time

    from lms.models.hours import WorkshopSession
    from tests.services.test_certificates import adjust, quiz

    make_cohort(instructor, [learner])
    adjust(learner, "01-basics", 10)
    adjust(learner, "02-practice", 10)
    quiz(learner, "01-basics")
    quiz(learner, "02-practice")
    workshop = WorkshopSession(
        course_slug="demo", module_slug="01-basics", held_on=date(2026, 3, 1), starts_at=time(9),
        minutes=10, place="Quetta", facilitator="A", created_by=instructor.id, created_at=NOW,
    )  # fmt: skip
    db.session.add(workshop)
    db.session.commit()
    login_as(instructor)
    response = client.post(
        f"/teach/workshops/{workshop.id}/learners", data={"emails": learner.email}
    )
    assert response.status_code == 302
    assert db.session.query(Certificate).filter_by(user_id=learner.id).count() == 1


# --- the reminder command -------------------------------------------------------------------------
def test_send_reminders_without_a_mail_server(app, monkeypatch):
    from lms.cli import lms_cli

    monkeypatch.setitem(sys.modules, "lms.mail", None)  # no mail module: import fails
    result = app.test_cli_runner().invoke(lms_cli, ["send-reminders"], catch_exceptions=False)
    assert "No mail server is configured" in result.output


def test_send_reminders_mails_each_learner_once(app, learner, monkeypatch):
    from lms.cli import lms_cli

    make_certificate(learner, expires_at=EXPIRES)
    outbox = []
    mail = types.ModuleType("lms.mail")
    mail.mail_configured = lambda: True
    mail.send_mail = lambda to, subject, body: outbox.append((to, subject, body))
    monkeypatch.setitem(sys.modules, "lms.mail", mail)
    monkeypatch.setattr(clock, "now", lambda: OPENS + timedelta(hours=1))
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(lms_cli, ["send-reminders"], catch_exceptions=False)
    assert "Sent 0 reminder" in result.output
    [(to, subject, body)] = outbox
    assert to == learner.email and "expires soon" in subject
    assert "02 March 2028, in 60 days" in body and "http://127.0.0.1:5000/dashboard" in body


@pytest.fixture
def app_config(request):
    return mail_config(request)


def test_send_reminders_through_a_real_smtp_server(app, learner, mailbox, monkeypatch):
    """The command's whole path: lms.mail's SMTP client, the login, the message as received."""
    from lms.cli import lms_cli

    make_certificate(learner, expires_at=EXPIRES)
    monkeypatch.setattr(clock, "now", lambda: OPENS + timedelta(hours=1))
    runner = app.test_cli_runner()
    result = runner.invoke(lms_cli, ["send-reminders"], catch_exceptions=False)
    assert "Sent 1 reminder" in result.output
    assert runner.invoke(lms_cli, ["send-reminders"]).output.startswith("Sent 0 reminder")
    ((recipients, message),) = mailbox.messages
    assert recipients == [learner.email] and mailbox.logins == [(b"lms", b"s3cret:pass")]
    assert "expires soon" in message["Subject"] and "no-reply@lms.test" in message["From"]
    body = message.get_content()
    assert "02 March 2028, in 60 days" in body and "http://lms.test/dashboard" in body


def test_a_refused_reminder_is_tried_again_at_the_next_run(app, learner, mailbox, monkeypatch):
    from lms.cli import lms_cli

    make_certificate(learner, expires_at=EXPIRES)
    monkeypatch.setattr(clock, "now", lambda: OPENS + timedelta(hours=1))
    port = mailbox.port
    app.config["LMS_MAIL_URL"] = f"smtp://lms:s3cret%3Apass@127.0.0.1:{free_port()}"  # nobody
    runner = app.test_cli_runner()
    assert "1 failed" in runner.invoke(lms_cli, ["send-reminders"]).output
    assert mailbox.messages == []
    app.config["LMS_MAIL_URL"] = f"smtp://lms:s3cret%3Apass@127.0.0.1:{port}"
    assert "Sent 1 reminder" in runner.invoke(lms_cli, ["send-reminders"]).output
    assert len(mailbox.messages) == 1
