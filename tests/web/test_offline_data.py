"""Time and answers from a dropping connection: the heartbeat sent by sendBeacon (its CSRF token in
the form body), the token refreshed by ``GET /api/csrf``, queued time of another reader refused,
and quiz saves and submissions carried out once per idempotency key."""

from __future__ import annotations

import pytest

from lms.extensions import db
from lms.models.hours import LessonCredit
from lms.models.quizzes import QuizAttempt, QuizRequest
from tests.conftest import soup
from tests.web.test_quiz import FULL, fill, start

WELCOME = "demo/01-basics/welcome"
KEY = "k3y-of-the-page-0001"


def credited() -> int:
    return sum(s for (s,) in db.session.query(LessonCredit.seconds).all())


def beacon(client, token: str | None, **fields):
    """A heartbeat as ``navigator.sendBeacon(url, URLSearchParams)`` sends it: a urlencoded form."""
    body = {"lesson": WELCOME, "seconds": "30", "seq": "1", "tab": "tab-12345", **fields}
    if token is not None:
        body["csrf_token"] = token
    return client.post("/api/heartbeat", data=body, csrf=False)


# --- the heartbeat ---------------------------------------------------------------------------------
def test_a_beacon_with_the_token_in_its_body_is_credited_once(client, reader, at):
    token = client.csrf_token()
    at(0)
    assert beacon(client, token, seq="1").get_json()["credited"] == 0  # starts the clock
    at(40)
    answer = beacon(client, token, seq="2", catch_up="true").get_json()
    assert answer["credited"] == 30 and not answer["repeated"]
    at(80)  # the page resends the record it kept (it never saw the beacon's answer)
    response = client.post("/api/heartbeat", json={"lesson": WELCOME, "seconds": 30, "seq": 2,
                                                   "tab": "tab-12345", "catch_up": True})  # fmt: skip
    assert response.get_json()["repeated"] and response.get_json()["credited"] == 0
    assert credited() == 30


@pytest.mark.parametrize("token", [None, "", "forged"])
def test_a_beacon_without_a_valid_token_is_refused(client, reader, at, token):
    client.csrf_token()
    at(0)
    beacon(client, client.csrf_token(), seq="1")
    at(30)
    response = beacon(client, token, seq="2")
    assert response.status_code == 400 and "expired" in response.get_json()["error"]
    assert credited() == 0


@pytest.mark.parametrize(
    "fields",
    [{"seconds": "²"}, {"seconds": "-1"}, {"seq": "0"}, {"seq": "1e3"}, {"catch_up": "yes"},
     {"owner": "x"}, {"tab": "<script>"}, {"seconds": ""}],
)  # fmt: skip
def test_bad_beacon_fields_get_a_json_400(client, reader, fields):
    response = beacon(client, client.csrf_token(), **fields)
    assert response.status_code == 400 and response.get_json()["error"]
    assert credited() == 0


def test_a_field_sent_twice_is_refused(client, reader):
    body = [("lesson", WELCOME), ("seconds", "30"), ("seconds", "60"), ("seq", "1"),
            ("tab", "tab-12345"), ("csrf_token", client.csrf_token())]  # fmt: skip
    from urllib.parse import urlencode

    response = client.post(
        "/api/heartbeat", data=urlencode(body), csrf=False,
        content_type="application/x-www-form-urlencoded",
    )  # fmt: skip
    assert response.status_code == 400


def test_time_queued_for_another_reader_is_never_credited_to_this_one(client, reader, at):
    at(0)
    body = {"lesson": WELCOME, "seconds": 30, "seq": 1, "tab": "tab-12345", "owner": reader.id}
    assert client.post("/api/heartbeat", json=body).status_code == 200
    at(30)
    response = client.post("/api/heartbeat", json=body | {"seq": 2, "owner": reader.id + 1})
    assert response.status_code == 409 and response.get_json()["error"]
    assert credited() == 0
    at(40)
    # the refused one did not move the clock
    assert client.post("/api/heartbeat", json=body | {"seq": 3}).get_json()["credited"] == 30


def test_the_lesson_page_names_its_reader(client, reader):
    page = soup(client.get("/courses/" + WELCOME))
    assert page.select_one("article[data-lesson]")["data-owner"] == str(reader.id)


def test_a_stale_token_is_replaced_from_api_csrf(client, reader, at):
    response = client.get("/api/csrf")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert data["owner"] == reader.id and data["token"]
    at(0)
    assert beacon(client, data["token"], seq="1").status_code == 200


def test_api_csrf_needs_a_login(client):
    response = client.get("/api/csrf")
    assert response.status_code == 401 and response.get_json()["error"]


# --- quiz requests, once per key -------------------------------------------------------------------
def _form(client, attempt_id: int, picks: dict, action: str = "submit", key: str | None = KEY):
    page = soup(client.get(f"/quiz/attempts/{attempt_id}"))
    data = fill(page, picks, action)
    if key is not None:
        data["request_key"] = [key]
    return data


def test_the_take_page_carries_a_new_key_each_time_and_the_script(client, reader):
    attempt_id = start(client)
    pages = [soup(client.get(f"/quiz/attempts/{attempt_id}")) for _ in range(2)]
    keys = [p.select_one("form.quiz input[name=request_key]")["value"] for p in pages]
    assert keys[0] != keys[1] and all(len(k) >= 16 for k in keys)
    form = pages[0].select_one("form.quiz")
    assert form["data-attempt"] == str(attempt_id)
    assert pages[0].select_one("script[src^='/static/js/quiz-offline.js']")
    status = pages[0].select_one(".quiz-status[role=status]")
    assert status.has_attr("hidden") and "back online" in status["data-queued"]


def test_the_same_submission_twice_grades_once_and_answers_the_same(client, reader):
    attempt_id = start(client)
    data = _form(client, attempt_id, FULL)
    first = client.post(f"/quiz/attempts/{attempt_id}", data=data)
    graded = db.session.get(QuizAttempt, attempt_id)
    score, submitted = graded.score, graded.submitted_at
    second = client.post(f"/quiz/attempts/{attempt_id}", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"] == f"/quiz/attempts/{attempt_id}"
    db.session.expire_all()
    assert db.session.query(QuizAttempt).count() == 1
    again = db.session.get(QuizAttempt, attempt_id)
    assert (again.score, again.submitted_at) == (score, submitted) and score == 100
    assert db.session.query(QuizRequest).filter_by(action="submit").count() == 1
    review = soup(client.get(f"/quiz/attempts/{attempt_id}"))
    assert "100%" in review.select_one(".flashes, main").get_text()


def test_another_key_on_a_submitted_attempt_is_refused(client, reader):
    attempt_id = start(client)
    other = _form(client, attempt_id, {"q-single": "Ignore"}, key="another-key-0000002")
    assert client.post(f"/quiz/attempts/{attempt_id}",
                       data=_form(client, attempt_id, FULL)).status_code == 302  # fmt: skip
    assert client.post(f"/quiz/attempts/{attempt_id}", data=other).status_code == 409
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt_id).score == 100


def test_the_script_gets_json_and_a_replay_gets_the_same(client, reader):
    attempt_id = start(client)
    data = _form(client, attempt_id, FULL)
    headers = {"Accept": "application/json"}
    first = client.post(f"/quiz/attempts/{attempt_id}", data=data, headers=headers)
    second = client.post(f"/quiz/attempts/{attempt_id}", data=data, headers=headers)
    assert first.get_json() == second.get_json() == {
        "url": f"/quiz/attempts/{attempt_id}", "submitted": True, "score": 100, "passed": True,
    }  # fmt: skip
    next_id = start_again(client, attempt_id)
    empty = _form(client, next_id, {}, key="empty-submission-01")
    refused = client.post(f"/quiz/attempts/{next_id}", data=empty, headers=headers)
    assert refused.status_code == 400 and refused.get_json()["error"]


def start_again(client, attempt_id: int) -> int:
    """A second attempt (the demo quiz allows them)."""
    response = client.post("/courses/demo/01-basics/quiz/start")
    assert response.status_code == 302
    new = int(response.headers["Location"].rsplit("/", 1)[1])
    assert new != attempt_id
    return new


def test_a_replayed_save_changes_nothing(client, reader):
    attempt_id = start(client)
    old = _form(client, attempt_id, {"q-single": "Ignore"}, "save", key="save-key-000000001")
    new = _form(client, attempt_id, {"q-single": "Listen"}, "save", key="save-key-000000002")
    headers = {"Accept": "application/json"}
    for data in (old, new, old):  # the first save resent after the second
        response = client.post(f"/quiz/attempts/{attempt_id}", data=data, headers=headers)
        assert response.get_json() == {"url": f"/quiz/attempts/{attempt_id}", "saved": True}
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.responses == {"q-single": "0"}  # "Listen", the newer answer
    assert db.session.query(QuizRequest).filter_by(action="save").count() == 2
    page = soup(client.get(f"/quiz/attempts/{attempt_id}"))
    assert not page.select(".flashes li, .flash")  # the script's saves flash nothing


def test_a_save_with_the_submissions_key_does_not_stop_the_submission(client, reader):
    attempt_id = start(client)
    save = _form(client, attempt_id, {"q-single": "Ignore"}, "save")
    assert client.post(f"/quiz/attempts/{attempt_id}", data=save).status_code == 302
    submit = _form(client, attempt_id, FULL)  # the page kept by the browser: the same key
    assert client.post(f"/quiz/attempts/{attempt_id}", data=submit).status_code == 302
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt_id).score == 100


@pytest.mark.parametrize("key", ["short", "x" * 65, "bad key with spaces!", "é" * 20])
def test_a_malformed_key_is_refused_and_nothing_is_kept(client, reader, key):
    attempt_id = start(client)
    response = client.post(f"/quiz/attempts/{attempt_id}", data=_form(client, attempt_id, FULL,
                                                                      key=key))  # fmt: skip
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt_id).submitted_at is None
    assert db.session.query(QuizRequest).count() == 0


def test_without_a_key_the_form_works_as_before(client, reader):
    attempt_id = start(client)
    data = _form(client, attempt_id, FULL, key=None)
    assert client.post(f"/quiz/attempts/{attempt_id}", data=data).status_code == 302
    assert client.post(f"/quiz/attempts/{attempt_id}", data=data).status_code == 409
