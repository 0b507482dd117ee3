"""Every route x {anonymous, learner, instructor, admin}: the expected status.

The matrix is the reviewed statement of who may do what. A route added to the app without a row here
fails ``test_every_route_is_in_the_matrix``; a row for a route that no longer exists fails too.
Learners are enrolled in the demo course; requests carry a valid CSRF token and an empty form, so a
POST that needs fields answers 400 (refused input) rather than 403 (refused person).
"""

from __future__ import annotations

import pytest

from tests.factories import enrol, make_user

ROLES = ("anonymous", "learner", "instructor", "admin")
LOGIN = 302  # anonymous visitors of a private page are sent to the login page

#: (method, endpoint) -> (url, {role: status})
MATRIX: dict[tuple[str, str], tuple[str, dict[str, int]]] = {
    ("GET", "assets.static"): ("/static/css/site.css", dict.fromkeys(ROLES, 200)),
    ("GET", "site.index"): (
        "/",
        {"anonymous": 200, "learner": 302, "instructor": 302, "admin": 302},
    ),
    ("GET", "site.healthz"): ("/healthz", dict.fromkeys(ROLES, 200)),
    ("GET", "auth.register"): (
        "/register",
        {"anonymous": 200, "learner": 302, "instructor": 302, "admin": 302},
    ),
    ("POST", "auth.register"): (
        "/register",
        {"anonymous": 400, "learner": 302, "instructor": 302, "admin": 302},
    ),
    ("GET", "auth.login"): (
        "/login",
        {"anonymous": 200, "learner": 302, "instructor": 302, "admin": 302},
    ),
    ("POST", "auth.login"): (
        "/login",
        {"anonymous": 400, "learner": 302, "instructor": 302, "admin": 302},
    ),
    ("POST", "auth.logout"): (
        "/logout",
        {"anonymous": LOGIN, "learner": 302, "instructor": 302, "admin": 302},
    ),
    ("GET", "auth.profile"): (
        "/account",
        {"anonymous": LOGIN, "learner": 200, "instructor": 200, "admin": 200},
    ),
    ("POST", "auth.profile"): (
        "/account",
        {"anonymous": LOGIN, "learner": 400, "instructor": 400, "admin": 400},
    ),
    ("GET", "auth.change_password"): (
        "/account/password",
        {"anonymous": LOGIN, "learner": 200, "instructor": 200, "admin": 200},
    ),
    ("POST", "auth.change_password"): (
        "/account/password",
        {"anonymous": LOGIN, "learner": 400, "instructor": 400, "admin": 400},
    ),
    ("GET", "learner.courses"): ("/courses", dict.fromkeys(ROLES, 200)),
    ("GET", "learner.course"): ("/courses/demo", dict.fromkeys(ROLES, 200)),
    ("POST", "learner.enrol"): (
        "/courses/demo/enrol",
        {"anonymous": LOGIN, "learner": 302, "instructor": 302, "admin": 302},
    ),
    ("GET", "learner.dashboard"): (
        "/dashboard",
        {"anonymous": LOGIN, "learner": 200, "instructor": 200, "admin": 200},
    ),
    ("GET", "learner.lesson"): (
        "/courses/demo/01-basics/welcome",
        {"anonymous": LOGIN, "learner": 200, "instructor": 200, "admin": 200},
    ),
}


def _routes(app) -> set[tuple[str, str]]:
    return {
        (method, rule.endpoint)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_is_in_the_matrix(app):
    routes = _routes(app)
    assert routes - MATRIX.keys() == set(), "add these routes to the access matrix"
    assert MATRIX.keys() - routes == set(), "these matrix rows name routes that no longer exist"


def _client_for(app, client, role):
    if role == "anonymous":
        return client
    user = make_user(role=role)
    if role == "learner":
        enrol(user, "demo")
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}.{user.session_version}"
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "endpoint"), sorted(MATRIX))
def test_access(app, client, role, method, endpoint):
    url, expected = MATRIX[(method, endpoint)]
    client = _client_for(app, client, role)
    response = client.open(url, method=method, data={} if method == "POST" else None)
    assert response.status_code == expected[role], response.get_data(as_text=True)[:300]
    if (
        expected[role] == LOGIN
        and role == "anonymous"
        and endpoint not in {"site.index", "auth.register", "auth.login"}
    ):
        assert response.headers["Location"].startswith("/login?next=")
