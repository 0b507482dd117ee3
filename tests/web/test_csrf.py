"""Every state-changing route refuses a request without a CSRF token: 400, and nothing changes."""

from __future__ import annotations

import pytest

from lms.extensions import db
from lms.models.enrolment import Enrolment
from lms.models.users import User
from tests.conftest import soup
from tests.factories import make_user
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
