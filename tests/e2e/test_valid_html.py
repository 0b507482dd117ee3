"""Every page type, as every role that may see it, in English and in Urdu, is valid HTML by the Nu HTML
checker (one Java run for all of them)."""

from __future__ import annotations

import pytest

from tests.pagetour import nu_errors, stops, url_of
from tests.web.test_access_matrix import _client_for

LANGUAGES = ("en", "ur")


def _in_each_language(client, label: str, fetch) -> dict[str, str]:
    """``fetch()``'s page in each interface language (the ``lms_lang`` cookie), by label."""
    documents = {}
    for lang in LANGUAGES:
        client.set_cookie("lms_lang", lang)
        response = fetch()
        if response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            assert f'dir="{"rtl" if lang == "ur" else "ltr"}"' in html[:200], f"{label} in {lang}"
            documents[f"{label} in {lang}"] = html
    return documents


def test_every_page_is_valid_html(app):
    documents = {}
    for stop in stops():
        client = _client_for(app, app.test_client(), stop.role)
        url = url_of(stop)

        def fetch(url=url, client=client, stop=stop):
            response = client.get(url)
            assert response.status_code == 200, (
                f"{stop.label}: {url} answered {response.status_code}"
            )
            return response

        documents |= _in_each_language(client, f"{stop.label} ({url})", fetch)
    assert len(documents) > 60 and sum(" in ur" in label for label in documents) > 30
    errors = nu_errors(documents)
    assert errors == [], "\n".join(errors)


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<!doctype html><html lang=en><title>x</title><p id=a></p><p id=a></p>", "Duplicate ID"),
        (
            "<!doctype html><html lang=en><title>x</title><select required name=s><option value=a>a</select>",
            "select",
        ),
    ],
)
def test_the_checker_finds_errors(html, expected):
    errors = nu_errors({"sample": html})
    assert errors and expected.lower() in " ".join(errors).lower()


def test_the_signed_credential_pages_are_valid_html(app):
    """The verify page's answers to a POST (not in the page tour, which only GETs)."""
    from tests.factories import make_certificate, make_user

    client = _client_for(app, app.test_client(), "admin")
    certificate = make_certificate(make_user())
    token = client.get(f"/certificates/{certificate.id}.jwt").get_data(as_text=True)
    head, body, signature = token.split(".")
    documents = {}
    for label, text in [
        ("valid", token),
        ("forged", f"{head}.{body}x.{signature}"),
        ("bad input", "not a credential"),
    ]:

        def verify(text=text):
            response = client.post("/verify/credential", data={"credential": text})
            assert response.status_code in (200, 400)
            return response

        documents |= _in_each_language(client, label, verify)
    errors = nu_errors(documents)
    assert errors == [], "\n".join(errors)


def test_certificate_states_are_valid_html(app, monkeypatch):
    """The states the tour does not reach: lists with certificates in them, expired and revoked
    ones, an open refresher on the dashboard and the course page."""
    from datetime import timedelta

    from lms.extensions import db
    from lms.services import certificates, clock
    from tests.factories import NOW, make_certificate, make_user
    from tests.services.test_certificates import ISSUER, finished
    from tests.services.test_expiry import OPENS
    from tests.web.test_access_matrix import _client_for

    learner = make_user()
    finished(learner)
    certificates.issue(
        db.session, app.extensions["lms.catalog"], ISSUER, learner.id, "demo", now=NOW
    )
    db.session.commit()
    admin = make_user(role="admin")
    make_certificate(
        make_user(), revoked_at=NOW, revoked_reason="Issued in error", revoked_by=admin.id
    )
    monkeypatch.setattr(clock, "now", lambda: OPENS + timedelta(days=90))  # expired, refresher open
    documents = {}
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{learner.id}.{learner.session_version}"
    for url in ("/dashboard", "/courses/demo", "/certificates"):
        documents |= _in_each_language(client, f"learner {url}", lambda url=url: client.get(url))
    admin_client = _client_for(app, app.test_client(), "admin")
    documents |= _in_each_language(
        admin_client, "admin list", lambda: admin_client.get("/admin/certificates/")
    )
    for lang in LANGUAGES:
        assert 'class="refresher"' in documents[f"learner /dashboard in {lang}"]
        admin_list = documents[f"admin list in {lang}"]
        assert 'id="pick-' in admin_list and "verdict revoked" in admin_list
    assert nu_errors(documents) == []


def test_the_certificates_zip_job_pages_are_valid_html(app):
    """A cohort's certificates ZIP job, done with a file and done with nothing to put in it (the
    tour's job is another kind), and the matrix's form that starts it."""
    from lms.extensions import db
    from lms.models.users import User
    from tests.factories import make_certificate, make_cohort, make_user

    client = _client_for(app, app.test_client(), "instructor")
    with client.session_transaction() as session:
        instructor = db.session.get(User, int(session["_user_id"].split(".")[0]))
    holder = make_user(full_name="آمنہ خان")
    make_certificate(holder)
    full = make_cohort(instructor, [holder], name="ASI batch 15")
    empty = make_cohort(instructor, [make_user()], name="نیا گروپ")
    documents = {}
    for label, cohort, language in (("with a file", full, "both"), ("empty", empty, "ur")):
        response = client.post(f"/teach/cohorts/{cohort.id}/certificates.zip",
                               data={"language": language})  # fmt: skip
        assert response.status_code == 302
        page = response.headers["Location"]
        documents |= _in_each_language(
            client, f"ZIP job {label}", lambda page=page: client.get(page)
        )
    documents |= _in_each_language(
        client, "matrix", lambda: client.get(f"/teach/cohorts/{full.id}/matrix")
    )
    errors = nu_errors(documents)
    assert errors == [], "\n".join(errors)
