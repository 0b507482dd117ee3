"""Accounts: register, log in and out, one message for every failed login, throttling, safe next,
profile and password changes, deactivated accounts."""

from __future__ import annotations

import pytest

from lms.extensions import db
from lms.models.users import User
from tests.conftest import PASSWORD, login, soup

REGISTRATION = {
    "full_name": "  Amina   Khan ",
    "email": "Amina.Khan@Example.org",
    "password": "a long enough password",
    "confirm": "a long enough password",
    "organisation_type": "residential-care",
    "organisation": "Hope Children's Home",
    "job_title": "Caregiver",
    "province": "Sindh",
    "district": "Karachi South",
}


def errors(response) -> list[str]:
    page = soup(response)
    return [e.get_text(" ", strip=True) for e in page.select(".error, .form-errors p")]


def test_register_creates_account_then_the_person_logs_in(client):
    response = client.post("/register", data=REGISTRATION)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    user = db.session.query(User).one()
    assert user.email == "amina.khan@example.org"
    assert user.full_name == "Amina Khan"
    assert user.role == "learner"
    assert user.password_hash.startswith("$argon2id$")
    page = soup(client.get("/login"))
    assert "Log in with your e-mail address" in page.select_one(".flash-success").get_text()
    response = client.post(
        "/login", data={"email": "amina.khan@example.org", "password": REGISTRATION["password"]}
    )
    assert response.headers["Location"] == "/dashboard"
    assert soup(client.get("/dashboard")).h1.get_text() == "My learning"


def test_register_keeps_next_for_the_login(client):
    response = client.post("/register?next=/join?code%3DABCD1234", data=REGISTRATION)
    assert response.headers["Location"] == "/login?next=/join?code%3DABCD1234"


def test_register_form_lists_the_fixed_choices(client):
    page = soup(client.get("/register"))
    provinces = [o["value"] for o in page.select("#province option") if o["value"]]
    assert provinces == [
        "Punjab",
        "Sindh",
        "Khyber Pakhtunkhwa",
        "Balochistan",
        "Islamabad Capital Territory",
        "Gilgit-Baltistan",
        "Azad Jammu and Kashmir",
    ]
    kinds = [o.get_text() for o in page.select("#organisation_type option") if o["value"]]
    assert "Orphanage or residential care" in kinds and len(kinds) == 8
    assert page.select_one("label[for=full_name]") is not None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"password": "short", "confirm": "short"}, "password"),
        ({"confirm": "something else entirely"}, "confirm"),
        ({"province": "Atlantis"}, "province"),
        ({"organisation_type": "pirates"}, "organisation_type"),
        ({"full_name": ""}, "full_name"),
        ({"full_name": "x" * 500}, "full_name"),
    ],
)
def test_register_rejects_bad_fields_with_400_and_saves_nothing(client, change, field):
    response = client.post("/register", data={**REGISTRATION, **change})
    assert response.status_code == 400
    page = soup(response)
    assert page.select_one(f"#{field}-error") is not None
    assert page.select_one(f"#{field}")["aria-invalid"] == "true"
    assert db.session.query(User).count() == 0


def test_register_with_a_taken_email_answers_as_a_new_registration(client, learner):
    """No account enumeration: the same status, the same redirect, the same message; nothing
    changes in the existing account."""
    hash_before = learner.password_hash
    new = client.post("/register", data={**REGISTRATION, "email": "someone.new@example.org"})
    new_page = soup(client.get("/login")).select_one(".flash-success").get_text()
    taken = client.post("/register", data={**REGISTRATION, "email": "LEARNER@example.org"})
    taken_page = soup(client.get("/login")).select_one(".flash-success").get_text()
    assert new.status_code == taken.status_code == 302
    assert new.headers["Location"] == taken.headers["Location"] == "/login"
    assert new_page == taken_page
    assert db.session.query(User).count() == 2
    db.session.refresh(learner)
    assert learner.password_hash == hash_before and learner.full_name != "Amina Khan"
    wrong = client.post(
        "/login", data={"email": learner.email, "password": REGISTRATION["password"]}
    )
    assert wrong.status_code == 401


def test_login_and_logout(client, learner):
    response = login(client, learner)
    assert response.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_unknown_email_and_wrong_password_get_the_same_answer(client, learner):
    wrong = client.post("/login", data={"email": learner.email, "password": "not the password"})
    unknown = client.post("/login", data={"email": "nobody@example.org", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert (
        errors(wrong)
        == errors(unknown)
        == ["That e-mail and password do not match an active account."]
    )


def test_deactivated_account_cannot_log_in_and_its_session_ends(client, learner):
    login(client, learner)
    learner.active = False
    db.session.commit()
    assert client.get("/dashboard").status_code == 302  # the open session no longer counts
    response = client.post("/login", data={"email": learner.email, "password": PASSWORD})
    assert response.status_code == 401


def test_login_is_throttled_per_account_and_address(client, learner, app):
    limit = int(app.config["LMS_LOGIN_PAIR_LIMIT"].split()[0])
    for _ in range(limit):
        client.post("/login", data={"email": learner.email, "password": "wrong password"})
    response = client.post("/login", data={"email": learner.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "wait a minute" in soup(response).select_one(".lead").get_text()


def test_login_is_throttled_per_address(client, app):
    from lms.web import throttle

    limit = int(app.config["LMS_LOGIN_LIMIT"].split()[0])
    with app.test_request_context():
        for _ in range(limit - 1):  # earlier failures from this address, in the limiter's storage
            throttle.fail("LMS_LOGIN_LIMIT", "127.0.0.1")
    assert (
        client.post("/login", data={"email": "one@example.org", "password": "x"}).status_code == 401
    )
    response = client.post("/login", data={"email": "another@example.org", "password": "x"})
    assert response.status_code == 429


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/courses/demo", "/courses/demo"),
        ("https://evil.example/", "/dashboard"),
        ("//evil.example/", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
        ("javascript:alert(1)", "/dashboard"),
        ("courses", "/dashboard"),
    ],
)
def test_next_only_goes_to_this_site(client, learner, target, expected):
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": learner.email, "password": PASSWORD},
    )
    assert response.headers["Location"] == expected


def test_protected_page_sends_anonymous_visitor_to_login_and_back(client, learner):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/account"
    response = client.post(
        "/login?next=/account", data={"email": learner.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/account"


def test_profile_edit(client, learner, login_as):
    login_as(learner)
    page = soup(client.get("/account"))
    assert page.select_one("#full_name")["value"] == learner.full_name
    response = client.post(
        "/account",
        data={
            "full_name": "Zainab Bibi",
            "organisation_type": "police",
            "organisation": "Police College",
            "job_title": "Inspector",
            "province": "Balochistan",
            "district": "Quetta",
        },
    )
    assert response.status_code == 302
    db.session.refresh(learner)
    assert (learner.full_name, learner.province, learner.email) == (
        "Zainab Bibi",
        "Balochistan",
        "learner@example.org",
    )
    bad = client.post(
        "/account", data={"full_name": "Z", "organisation_type": "police", "province": "Nowhere"}
    )
    assert bad.status_code == 400
    db.session.refresh(learner)
    assert learner.full_name == "Zainab Bibi"


def test_change_password_ends_other_sessions(app, client, learner):
    other = app.test_client()
    login(other, learner)
    login(client, learner)
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": "a brand new password",
            "confirm": "a brand new password",
        },
    )
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200  # this device stays logged in
    assert other.get("/dashboard").status_code == 302  # the other device is logged out
    client.post("/logout")
    login(client, learner, "a brand new password")


def test_change_password_needs_the_current_one(client, learner, login_as):
    login_as(learner)
    response = client.post(
        "/account/password",
        data={
            "current_password": "wrong",
            "password": "a brand new password",
            "confirm": "a brand new password",
        },
    )
    assert response.status_code == 400
    assert "current password is not right" in " ".join(errors(response))


def test_forced_password_change_at_first_login(client, make_user):
    user = make_user(must_change_password=True)
    response = login(client, user)
    assert response.headers["Location"] == "/account/password"
    assert client.get("/dashboard").headers["Location"] == "/account/password"
    page = soup(client.get("/account/password"))
    assert page.select_one("#current_password") is None
    response = client.post(
        "/account/password",
        data={
            "password": "my own new password",
            "confirm": "my own new password",
        },
    )
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200
    db.session.refresh(user)
    assert user.must_change_password is False
