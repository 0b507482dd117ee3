"""Every page type, as every role that may see it, is valid HTML by the Nu HTML checker."""

from __future__ import annotations

import pytest

from tests.pagetour import nu_errors, stops, url_of
from tests.web.test_access_matrix import _client_for


def test_every_page_is_valid_html(app):
    documents = {}
    for stop in stops():
        client = _client_for(app, app.test_client(), stop.role)
        url = url_of(stop)
        response = client.get(url)
        assert response.status_code == 200, f"{stop.label}: {url} answered {response.status_code}"
        if response.mimetype == "text/html":
            documents[f"{stop.label} ({url})"] = response.get_data(as_text=True)
    assert len(documents) > 30
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
        response = client.post("/verify/credential", data={"credential": text})
        assert response.status_code in (200, 400)
        documents[label] = response.get_data(as_text=True)
    errors = nu_errors(documents)
    assert errors == [], "\n".join(errors)
