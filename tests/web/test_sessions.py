"""Sessions end on the server (logout, new password, idle time); weak passwords are refused with a
reason; nothing tells whether an account exists; production refuses a secret key that is not random.
"""

from __future__ import annotations

import secrets

import pytest

from lms.config import ConfigError, secret_key_problem
from lms.extensions import db
from lms.models import users
from lms.models.users import User
from lms.services import accounts, clock
from lms.web import session as web_session
from tests.conftest import PASSWORD, login, soup
from tests.factories import make_user

REGISTRATION = {
    "full_name": "Amina Khan", "email": "amina@example.org", "organisation_type": "ngo",
    "province": "Sindh",
}  # fmt: skip


def test_a_copied_cookie_stops_working_after_logout(app, client, learner):
    login(client, learner)
    copied = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/dashboard").status_code == 200
    assert client.post("/logout").status_code == 302
    replayed = thief.get("/dashboard")
    assert replayed.status_code == 302 and replayed.headers["Location"].startswith("/login")
    login(client, learner)  # logging in again works as usual
    assert client.get("/dashboard").status_code == 200


def test_a_copied_cookie_stops_working_after_a_password_change(app, client, learner):
    login(client, learner)
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": "a brand new sentence",
              "confirm": "a brand new sentence"},
    )  # fmt: skip
    assert client.get("/dashboard").status_code == 200
    assert thief.get("/dashboard").status_code == 302


def test_an_idle_session_ends(app, client, learner, monkeypatch):
    start = 1_900_000_000
    monkeypatch.setattr(web_session, "_now_seconds", lambda: start)
    login(client, learner)
    idle = app.config["LMS_IDLE_SESSION_MINUTES"] * 60
    assert idle >= 2 * 60 * 60  # long enough to read a lesson
    # Reading keeps it alive: a request every few hours, each within the idle time.
    for step in (idle - 60, 2 * idle - 120):
        monkeypatch.setattr(web_session, "_now_seconds", lambda step=step: start + step)
        assert client.get("/dashboard").status_code == 200
    monkeypatch.setattr(web_session, "_now_seconds", lambda: start + 3 * idle)
    response = client.get("/dashboard")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.get("/courses/demo/01-basics/welcome").status_code == 302


def test_idle_time_is_configurable(db_url):
    from tests.conftest import make_app

    assert make_app(db_url, LMS_IDLE_SESSION_MINUTES=30).config["LMS_IDLE_SESSION_MINUTES"] == 30
    with pytest.raises(ConfigError, match="LMS_IDLE_SESSION_MINUTES"):
        make_app(db_url, LMS_IDLE_SESSION_MINUTES=0)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("aaaaaaaaaa", "one character repeated"),
        ("password12", "commonly used passwords"),
        ("1234567890", "run of neighbouring"),
        ("          ", "only spaces"),
        ("qwertyuiop", "run of neighbouring"),
        ("abcabcabcabc", "short pattern repeated"),
        ("sunshine2024!", "commonly used password with a few digits"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(client, password, reason):
    response = client.post(
        "/register", data={**REGISTRATION, "password": password, "confirm": password}
    )
    assert response.status_code == 400
    assert reason in soup(response).select_one("#password-error").get_text()
    assert db.session.query(User).count() == 0


def test_a_weak_new_password_is_refused_on_the_change_page(client, learner, login_as):
    login_as(learner)
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": "iloveyou123", "confirm": "iloveyou123"},
    )
    assert response.status_code == 400
    db.session.refresh(learner)
    assert learner.check_password(PASSWORD)


def test_the_common_password_list_ships_with_the_app():
    from lms.services import passwords

    listed = passwords.common_passwords()
    assert len(listed) > 19_000 and "password12" in listed
    assert passwords.weakness("a walk along the river ravi") is None


class CountingHasher:
    def __init__(self, real):
        self.real, self.verified = real, 0

    def verify(self, hash_, password):
        self.verified += 1
        return self.real.verify(hash_, password)

    def __getattr__(self, name):
        return getattr(self.real, name)


@pytest.mark.parametrize("kind", ["roster account without a password", "unknown", "wrong"])
def test_every_refused_login_runs_the_same_hash(app, monkeypatch, kind):
    person = make_user()
    if kind.startswith("roster"):
        person.password_hash = "!"
        db.session.commit()
    counting = CountingHasher(users._hasher)
    monkeypatch.setattr(users, "_hasher", counting)
    email = "nobody@example.org" if kind == "unknown" else person.email
    assert accounts.authenticate(db.session, email, "a guessed password", now=clock.now()) is None
    assert counting.verified == 1


@pytest.mark.parametrize(
    "key",
    [" " * 32, "a" * 32, "ab" * 20, "0123456789" * 4, "abcdefghijklmnopqrstuvwxyzabcdef",
     "password" * 5, "short-but-random-Q7x"],
)  # fmt: skip
def test_production_refuses_a_key_that_is_not_random(key):
    assert secret_key_problem(key) is not None


@pytest.mark.parametrize(
    "key", [secrets.token_urlsafe(48), secrets.token_hex(32), secrets.token_urlsafe(32)]
)
def test_production_accepts_a_generated_key(key):
    assert secret_key_problem(key) is None
