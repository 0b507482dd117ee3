"""Every state-changing route refuses a request without a CSRF token: 400, and nothing changes."""

from __future__ import annotations

import pytest

from lms.extensions import db
from lms.models.enrolment import Enrolment
from lms.models.users import User
from tests.conftest import log_in_quietly, soup
from tests.factories import enrol, make_user
from tests.web.test_access_matrix import MATRIX, url_for_row

STATE_CHANGING = sorted(
    (method, endpoint) for method, endpoint in MATRIX if method not in ("GET", "HEAD", "OPTIONS")
)


def test_the_list_covers_every_state_changing_route(app):
    routes = {
        (method, rule.endpoint)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"GET", "HEAD", "OPTIONS"}
    }
    assert routes == set(STATE_CHANGING)


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "admin"])
@pytest.mark.parametrize(("method", "endpoint"), STATE_CHANGING)
def test_missing_token_is_refused(app, client, method, endpoint, logged_in):
    url = url_for_row(method, endpoint)
    if logged_in:
        user = make_user(role="admin")
        with client.session_transaction() as session:
            session["_user_id"] = f"{user.id}.{user.session_version}"
    users_before = db.session.query(User).count()
    enrolments_before = db.session.query(Enrolment).count()
    response = client.open(url, method=method, data={"email": "x@example.org"}, csrf=False)
    assert response.status_code == 400
    assert db.session.query(User).count() == users_before
    assert db.session.query(Enrolment).count() == enrolments_before


def test_wrong_token_is_refused_with_a_readable_page(client):
    response = client.post("/login", data={"csrf_token": "forged", "email": "a@b.org"}, csrf=False)
    assert response.status_code == 400
    message = soup(response).select_one("main").get_text(" ", strip=True)
    assert "form" in message.lower() and "again" in message.lower()


def test_json_without_token_gets_a_json_400(client):
    response = client.post("/login", json={"email": "a@b.org"}, csrf=False)
    assert response.status_code == 400


def test_a_beacon_needs_the_token_in_its_body(client, learner, login_as):
    """``navigator.sendBeacon`` cannot set the X-CSRFToken header: the heartbeat takes the token
    as the form field ``csrf_token``, checked by Flask-WTF as any form's; never without one."""
    from lms.models.hours import HeartbeatTab

    enrol(learner, "demo")
    login_as(learner)
    body = {"lesson": "demo/01-basics/welcome", "seconds": "30", "seq": "1", "tab": "tab-12345"}
    for token in (None, "", "forged", client.csrf_token() + "x"):
        sent = body if token is None else body | {"csrf_token": token}
        response = client.post("/api/heartbeat", data=sent, csrf=False)
        assert response.status_code == 400 and "expired" in response.get_json()["error"]
    assert db.session.query(HeartbeatTab).count() == 0
    response = client.post("/api/heartbeat", data=body | {"csrf_token": client.csrf_token()},
                           csrf=False)  # fmt: skip
    assert response.status_code == 200
    assert db.session.query(HeartbeatTab).count() == 1


def test_the_token_from_api_csrf_is_the_sessions(client, learner, login_as):
    enrol(learner, "demo")
    login_as(learner)
    token = client.get("/api/csrf").get_json()["token"]
    body = {"lesson": "demo/01-basics/welcome", "seconds": 30, "seq": 1, "tab": "tab-12345"}
    response = client.post("/api/heartbeat", json=body, headers={"X-CSRFToken": token}, csrf=False)
    assert response.status_code == 200
    other = make_user()  # another browser, logged in as someone else: that token is not theirs
    enrol(other, "demo")
    browser = log_in_quietly(client.application.test_client(), other)
    response = browser.post("/api/heartbeat", json=body, headers={"X-CSRFToken": token},
                            csrf=False)  # fmt: skip
    assert response.status_code == 400
