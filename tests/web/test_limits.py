"""Limits that fit a classroom: failures are counted (per address, per account and address, and a
slower ceiling per account), successes are not, and a stranger cannot lock an owner out.

The tests run on the configured defaults, in the limiter's own storage (memory, or Redis db 5), with
no sleeping: every request of a test falls inside the limits' windows.
"""

from __future__ import annotations

from datetime import date

import pytest

from lms.extensions import db
from lms.models.cohorts import CohortMember
from tests.conftest import PASSWORD, make_app, soup
from tests.factories import make_cohort, make_user

CLASSROOM = "203.0.113.7"  # one college network behind NAT


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch):
    """These tests count requests, not hashing time: argon2 with the least work (tests only)."""
    from argon2 import PasswordHasher

    from lms.models import users

    monkeypatch.setattr(
        users, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


def cheaply_hashed(user):
    from lms.models.users import hash_password

    user.password_hash = hash_password(PASSWORD)
    db.session.commit()
    return user


def post(client, url, address, **data):
    return client.post(url, data=data, environ_base={"REMOTE_ADDR": address})


def log_in(client, email, password, address):
    return post(client, "/login", address, email=email, password=password)


def limit_of(app, setting: str) -> int:
    return int(app.config[setting].split()[0])


@pytest.mark.slow
def test_sixty_people_behind_one_address_register_join_and_log_in(app, instructor):
    cohort = make_cohort(instructor, [], ends_on=date(2099, 12, 31))
    for n in range(60):
        person = app.test_client()
        email, password = f"cadet{n}@police.example.org", f"cadet {n} reads every lesson"
        registered = post(
            person, "/register", CLASSROOM, full_name=f"Cadet {n}", email=email,
            password=password, confirm=password, organisation_type="police", province="Punjab",
        )  # fmt: skip
        assert registered.status_code == 302, n
        if n % 2:  # half of them mistype the password first
            assert log_in(person, email, "not my password", CLASSROOM).status_code == 401
        assert log_in(person, email, password, CLASSROOM).status_code == 302, n
        joined = post(person, "/join", CLASSROOM, code=cohort.join_code)
        assert joined.status_code == 302, n
    assert db.session.query(CohortMember).count() == 60

    # ... while a script from the same address trying passwords on one account is stopped,
    script = app.test_client()
    statuses = [log_in(script, "cadet0@police.example.org", f"guess {n}", CLASSROOM).status_code
                for n in range(8)]  # fmt: skip
    assert statuses == [401] * limit_of(app, "LMS_LOGIN_PAIR_LIMIT") + [429] * 3
    # ... and so is one trying a password on every account it can think of.
    statuses = [log_in(script, f"someone{n}@example.org", "password", CLASSROOM).status_code
                for n in range(limit_of(app, "LMS_LOGIN_LIMIT"))]  # fmt: skip
    assert statuses[-1] == 429 and statuses.count(401) == limit_of(app, "LMS_LOGIN_LIMIT") - 35


def test_a_stranger_cannot_lock_the_owner_out(client, learner, app):
    cheaply_hashed(learner)
    pair = limit_of(app, "LMS_LOGIN_PAIR_LIMIT")
    ceiling = limit_of(app, "LMS_LOGIN_ACCOUNT_LIMIT")
    strangers = [f"198.51.100.{n}" for n in range(ceiling // pair)]
    for address in strangers:
        for _ in range(pair):
            assert log_in(client, learner.email, "guess", address).status_code == 401
        assert log_in(client, learner.email, "guess", address).status_code == 429
    # The account is at its ceiling. A new address gets one try, not five:
    fresh = "198.51.100.200"
    assert log_in(client, learner.email, "guess", fresh).status_code == 401
    assert log_in(client, learner.email, PASSWORD, fresh).status_code == 429
    # The owner, from an address that has not failed, still gets in with the right password.
    owner = app.test_client()
    assert log_in(owner, learner.email, PASSWORD, "192.0.2.10").status_code == 302
    assert soup(owner.get("/dashboard")).h1.text == "My learning"
    # A stranger's address stays refused, even with the right password.
    assert log_in(app.test_client(), learner.email, PASSWORD, strangers[0]).status_code == 429


def test_successful_logins_do_not_use_the_address_allowance(client, app):
    from lms.web import throttle

    people = [make_user() for _ in range(3)]
    with app.test_request_context(environ_base={"REMOTE_ADDR": CLASSROOM}):
        for _ in range(limit_of(app, "LMS_LOGIN_LIMIT") - 1):  # failures so far, in the storage
            throttle.fail("LMS_LOGIN_LIMIT", CLASSROOM)
    for person in people:  # logging in does not count ...
        assert log_in(app.test_client(), person.email, PASSWORD, CLASSROOM).status_code == 302
    assert log_in(client, "nobody@example.org", "wrong", CLASSROOM).status_code == 401
    assert (
        log_in(client, "nobody@example.org", "wrong", CLASSROOM).status_code == 429
    )  # failing does
    assert log_in(client, people[0].email, PASSWORD, CLASSROOM).status_code == 429
    assert log_in(client, people[0].email, PASSWORD, "192.0.2.1").status_code == 302


def test_guessing_join_codes_is_stopped(client, learner, login_as, app):
    cohort = make_cohort(make_user(role="instructor"), [], ends_on=date(2099, 12, 31))
    login_as(learner)
    limit = limit_of(app, "LMS_JOIN_LIMIT")
    for n in range(limit):
        assert client.post("/join", data={"code": f"WRONG{n:03d}"}).status_code == 400
    refused = client.post("/join", data={"code": cohort.join_code})
    assert refused.status_code == 429
    assert db.session.query(CohortMember).count() == 0


def test_current_password_guesses_are_throttled(client, learner, login_as, app):
    login_as(learner)
    new = {"password": "a brand new password", "confirm": "a brand new password"}
    for _ in range(limit_of(app, "LMS_PASSWORD_CHECK_LIMIT")):
        wrong = client.post("/account/password", data={**new, "current_password": "guess"})
        assert wrong.status_code == 400
    right = client.post("/account/password", data={**new, "current_password": PASSWORD})
    assert right.status_code == 429
    db.session.refresh(learner)
    assert learner.check_password(PASSWORD)


@pytest.mark.parametrize("trusted", [0, 1])
def test_forwarded_addresses_count_only_from_trusted_proxies(db_url, trusted):
    from tests.conftest import Client

    app = make_app(db_url, LMS_TRUSTED_PROXIES=trusted)
    app.test_client_class = Client
    with app.app_context():
        try:
            person = make_user()
            client = app.test_client()
            via_proxy = {"REMOTE_ADDR": "127.0.0.1"}
            for _ in range(limit_of(app, "LMS_LOGIN_PAIR_LIMIT")):
                client.post("/login", data={"email": person.email, "password": "guess"},
                            environ_base=via_proxy, headers={"X-Forwarded-For": "198.51.100.1"})  # fmt: skip
            owner = client.post(
                "/login", data={"email": person.email, "password": PASSWORD},
                environ_base=via_proxy, headers={"X-Forwarded-For": "192.0.2.44"},
            )  # fmt: skip
            # Trusted: the owner is a different address. Not trusted: everyone is the proxy.
            assert owner.status_code == (302 if trusted else 429)
        finally:
            db.session.remove()
            from tests.conftest import empty_all_tables

            empty_all_tables(db.engine)
            db.engine.dispose()


REDIS_URL = "redis://127.0.0.1:6379/5"


@pytest.fixture
def redis_db5():
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()


@pytest.fixture
def app_config(request):
    if "redis_db5" in request.fixturenames:
        request.getfixturevalue("redis_db5")
        return {"RATELIMIT_STORAGE_URI": REDIS_URL}
    return {}


def test_limits_live_in_redis_and_every_process_shares_them(app, client, learner, redis_db5):
    from limits import parse_many
    from limits.storage import storage_from_string
    from limits.strategies import FixedWindowRateLimiter

    for _ in range(limit_of(app, "LMS_LOGIN_PAIR_LIMIT")):
        assert log_in(client, learner.email, "guess", CLASSROOM).status_code == 401
    assert log_in(client, learner.email, PASSWORD, CLASSROOM).status_code == 429
    assert any(b"LMS_LOGIN_PAIR_LIMIT" in key for key in redis_db5.keys("*"))
    # Another process, with its own connection to the same Redis, sees the same count.
    elsewhere = FixedWindowRateLimiter(storage_from_string(REDIS_URL))
    item = parse_many(app.config["LMS_LOGIN_PAIR_LIMIT"])[0]
    assert not elsewhere.test(item, "LMS_LOGIN_PAIR_LIMIT", learner.email, CLASSROOM)
    assert elsewhere.test(item, "LMS_LOGIN_PAIR_LIMIT", learner.email, "192.0.2.5")
    assert log_in(client, learner.email, PASSWORD, "192.0.2.5").status_code == 302
