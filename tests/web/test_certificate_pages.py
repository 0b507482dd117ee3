"""Certificates on the web: automatic issuing, My certificates, PDF, verification, Open Badges, admin."""

from __future__ import annotations

import pytest

from lms.certificates import codes
from lms.extensions import db
from lms.models.certificates import Certificate
from tests.conftest import soup
from tests.factories import make_certificate, make_cohort
from tests.services.test_certificates import adjust, finished, online, quiz
from tests.web.test_quiz import FULL, fill

PERSONAL = ("@", "Test Organisation", "Social worker", "Lahore", "Punjab")


def text_of(response) -> str:
    return " ".join(soup(response).select_one("main").get_text(" ", strip=True).split())


def test_passing_the_last_quiz_issues_the_certificate_in_that_request(client, learner, login_as):
    from tests.factories import enrol

    enrol(learner, "demo")
    online(learner, "01-basics", 12)
    adjust(learner, "01-basics", 8)
    adjust(learner, "02-practice", 10)
    quiz(learner, "02-practice")
    login_as(learner)
    attempt = client.post("/courses/demo/01-basics/quiz/start").headers["Location"]
    response = client.post(attempt, data=fill(soup(client.get(attempt)), FULL))
    assert response.status_code == 302
    issued = db.session.query(Certificate).one()
    assert issued.user_id == learner.id and issued.issued_by is None
    page = soup(client.get(attempt))
    assert any("certificate is ready" in f.get_text() for f in page.select(".flash"))


def test_course_page_lists_what_is_missing(client, learner, login_as):
    from tests.factories import enrol

    enrol(learner, "demo")
    online(learner, "01-basics", 5)
    login_as(learner)
    items = [li.get_text() for li in soup(client.get("/courses/demo")).select(".missing li")]
    assert items == [
        "Module 1: 15 min to go; quiz not passed yet",
        "Module 2: 10 min to go; quiz not passed yet",
    ]


def test_my_certificates_and_the_pdf(client, learner, login_as):
    certificate = make_certificate(learner)
    login_as(learner)
    page = soup(client.get("/certificates"))
    card = page.select_one(".certificate")
    assert certificate.serial in card.get_text()
    link = card.find("a", string="English", hreflang="en")["href"]
    response = client.get(link)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert (
        response.headers["Content-Disposition"]
        == f'attachment; filename="{certificate.serial}.pdf"'
    )
    assert response.get_data().startswith(b"%PDF")


def test_someone_elses_pdf_is_404(client, learner, make_user, login_as):
    certificate = make_certificate(make_user())
    login_as(learner)
    assert client.get(f"/certificates/{certificate.id}.pdf").status_code == 404


def test_verify_a_valid_certificate_shows_only_what_it_shows(client, learner):
    certificate = make_certificate(learner)
    grouped = codes.grouped(certificate.code)
    typed = grouped.lower().replace("-", " ").replace("0", "o")
    response = client.get("/verify", query_string={"code": typed})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/verify/{grouped}"
    page = client.get(response.headers["Location"])
    text = text_of(page)
    assert soup(page).select_one(".verdict.valid")
    # for the service worker, as on every HTML page: nobody logged in, the page's language
    assert page.headers.getlist("LMS-Viewer") == [""]
    assert page.headers.getlist("Content-Language") == ["en"]
    for shown in (
        learner.full_name,
        "Demo Course",
        "0.5 hours",
        certificate.serial,
        "Module 2: Practice",
    ):
        assert shown in text
    for private in (learner.email, *PERSONAL):
        assert private not in text, private


def test_verify_revoked_and_unknown(client, learner, admin):
    certificate = make_certificate(learner)
    certificate.revoked_at = certificate.issued_at
    certificate.revoked_reason = "Issued in error"
    db.session.commit()
    page = client.get(f"/verify/{certificate.code}")
    assert page.status_code == 200
    assert "revoked" in soup(page).select_one(".verdict.revoked").get_text()
    assert "Issued in error" in text_of(page)
    unknown = client.get("/verify/7KQM-2D9X-H4TR-PV3A")
    assert unknown.status_code == 404 and soup(unknown).select_one(".verdict.unknown")
    bad = client.get("/verify", query_string={"code": "not a code"})
    assert bad.status_code == 400


def test_open_badges_documents(client, learner):
    certificate = make_certificate(learner)
    grouped = codes.grouped(certificate.code)
    assertion = client.get(f"/verify/{grouped}.json").get_json()
    for key in ("@context", "type", "id", "recipient", "badge", "verification", "issuedOn"):
        assert key in assertion, key
    assert assertion["@context"] == "https://w3id.org/openbadges/v2"
    assert assertion["type"] == "Assertion"
    assert assertion["id"] == f"http://127.0.0.1:5000/verify/{grouped}.json"
    assert assertion["verification"] == {"type": "hosted"}
    recipient = assertion["recipient"]
    assert recipient["type"] == "email" and recipient["hashed"] is True
    import hashlib

    expected = "sha256$" + hashlib.sha256((learner.email + recipient["salt"]).encode()).hexdigest()
    assert recipient["identity"] == expected
    assert learner.email not in str(assertion)

    badge = client.get("/badges/demo.json").get_json()
    for key in ("@context", "type", "id", "name", "description", "image", "criteria", "issuer"):
        assert key in badge, key
    assert badge["type"] == "BadgeClass" and assertion["badge"] == badge["id"]
    assert badge["description"] == "A tiny course used by the tests."  # no Markdown, no HTML
    issuer = client.get("/badges/issuer.json").get_json()
    for key in ("@context", "type", "id", "name", "url", "email"):
        assert key in issuer, key
    assert issuer["type"] == "Issuer" and badge["issuer"] == issuer["id"]
    image = client.get("/badges/demo.svg")
    assert image.status_code == 200 and image.mimetype == "image/svg+xml"
    assert client.get("/badges/nope.json").status_code == 404


def test_revoked_assertion_answers_410_with_the_reason(client, learner):
    certificate = make_certificate(learner)
    certificate.revoked_at = certificate.issued_at
    certificate.revoked_reason = "Issued in error"
    db.session.commit()
    response = client.get(f"/verify/{certificate.code}.json")
    assert response.status_code == 410
    assert response.get_json()["revoked"] is True
    assert response.get_json()["revocationReason"] == "Issued in error"
    assert client.get("/verify/7KQM2D9XH4TRPV3A.json").status_code == 404


def test_admin_searches_revokes_and_restores(client, learner, admin, login_as):
    certificate = make_certificate(learner)
    login_as(admin)
    for query in (
        learner.full_name.split()[0].lower(),
        certificate.serial,
        codes.grouped(certificate.code).lower(),
    ):
        cards = soup(client.get("/admin/certificates/", query_string={"q": query})).select(
            ".certificate"
        )
        assert len(cards) == 1, query
    url = f"/admin/certificates/{certificate.id}"
    assert client.post(f"{url}/revoke", data={"reason": ""}).status_code == 400
    assert (
        client.post(f"{url}/revoke", data={"reason": "Name misspelt; reissued"}).status_code == 302
    )
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).revoked_reason == "Name misspelt; reissued"
    assert client.post(f"{url}/revoke", data={"reason": "again and again"}).status_code == 409
    assert client.post(f"{url}/restore").status_code == 302
    db.session.expire_all()
    restored = db.session.get(Certificate, certificate.id)
    assert not restored.revoked and restored.code == certificate.code


def test_instructor_issues_for_an_eligible_learner(client, learner, instructor, login_as):
    finished(learner)
    make_cohort(instructor, [learner])
    login_as(instructor)
    url = f"/teach/courses/demo/learners/{learner.id}"
    assert soup(client.get(url)).find("button", string="Issue the certificate")
    assert client.post(f"{url}/certificate").status_code == 302
    issued = db.session.query(Certificate).one()
    assert issued.issued_by == instructor.id
    assert client.post(f"{url}/certificate").status_code == 302  # already issued: the same one
    assert db.session.query(Certificate).count() == 1


@pytest.mark.parametrize("path", ["/verify/{code}", "/verify/{code}.json"])
def test_verification_is_rate_limited(app_config, client, learner, path):
    certificate = make_certificate(learner)
    app = client.application
    app.config["LMS_VERIFY_LIMIT"] = "3 per minute"
    statuses = [client.get(path.format(code=certificate.code)).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]


def test_the_verification_page_is_one_statement_and_shows_a_revocation_at_once(
    client, learner, instructor, login_as, driver_statements
):
    """The public page reads the certificate (and its renewal) in one statement, outside any
    transaction; the page joined from pieces kept per process follows the row: revoked at once."""
    from lms.services import certificates, clock

    certificate = make_certificate(learner)
    path = f"/verify/{codes.grouped(certificate.code)}"
    first = client.get(path)
    assert first.status_code == 200 and "Valid certificate" in text_of(first)
    driver_statements.clear()
    again = client.get(path)
    assert again.get_data() == first.get_data()
    sent = [s for s in driver_statements if not s.startswith(("BEGIN", "COMMIT", "ROLLBACK"))]
    assert len(sent) == 1 and not any(s.startswith("BEGIN") for s in driver_statements), sent
    certificates.revoke(db.session, certificate, "issued in error", by=instructor.id,
                        now=clock.now())  # fmt: skip
    db.session.commit()
    revoked = soup(client.get(path))
    assert revoked.select_one(".verdict.revoked") and "issued in error" in revoked.get_text()
    login_as(learner)  # a logged-in viewer: their navigation and their own CSRF token
    page = soup(client.get(path))
    assert page.select_one("nav.site-nav form[action='/logout']")
    tokens = {i["value"] for i in page.select("input[name=csrf_token]")}
    assert len(tokens) == 1 and "\x00" not in next(iter(tokens))
