"""Recovering access: e-mailed reset links through a real SMTP server on loopback (aiosmtpd), and
one-time links issued by an instructor, an administrator or the CLI (the roster's welcome links)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.cli import lms_cli
from lms.extensions import db
from lms.models.cohorts import AuditEvent
from lms.models.users import User
from lms.services import ServiceError, clock, recovery
from tests.conftest import PASSWORD, login, soup
from tests.factories import make_cohort, make_user
from tests.smtp import Mailbox, free_port, mail_config
from tests.web.test_jobs import redis_queue  # noqa: F401 - the fixture

NEW_PASSWORD = "a river runs past the school"


@pytest.fixture
def app_config(request):
    return mail_config(request)


def reset_link(box: Mailbox) -> str:
    found = re.search(r"http://lms\.test(/reset/\S+)", box.body())
    assert found, box.body()
    return found.group(1)


def choose(client, url: str, password: str = NEW_PASSWORD):
    return client.post(url, data={"password": password, "confirm": password})


# --- by e-mail -----------------------------------------------------------------------------------
def test_forgot_password_by_email_end_to_end(app, client, learner, mailbox):
    other_device = app.test_client()
    login(other_device, learner)
    assert other_device.get("/dashboard").status_code == 200
    response = client.post("/forgot", data={"email": "Learner@Example.org"})
    assert response.status_code == 200
    assert "If an account uses learner@example.org" in soup(response).select_one(".lead").text
    (recipients, message), = mailbox.messages  # fmt: skip
    assert recipients == ["learner@example.org"]
    assert message["Subject"] == "Choose a new password"
    assert "no-reply@lms.test" in message["From"]
    assert mailbox.logins == [(b"lms", b"s3cret:pass")]
    url = reset_link(mailbox)
    page = soup(client.get(url))
    assert page.h1.text == "Choose a new password" and learner.email in page.text
    response = choose(client, url)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert other_device.get("/dashboard").status_code == 302  # every other session ended
    refused = client.post("/login", data={"email": learner.email, "password": PASSWORD})
    assert refused.status_code == 401
    login(client, learner, NEW_PASSWORD)
    audit = db.session.scalars(select(AuditEvent)).all()
    assert [(e.action, e.actor_id, e.target) for e in audit] == [
        ("password set from a link", learner.id, f"user:{learner.id}")
    ]


def test_a_used_reset_link_is_refused_and_changes_nothing(client, learner, mailbox):
    client.post("/forgot", data={"email": learner.email})
    url = reset_link(mailbox)
    assert choose(client, url).status_code == 302
    db.session.refresh(learner)
    hash_after = learner.password_hash
    again = client.get(url)
    assert again.status_code == 404
    assert "has been used" in soup(again).select_one("main").text
    assert choose(client, url, "another sentence entirely").status_code == 404
    db.session.refresh(learner)
    assert learner.password_hash == hash_after


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, learner, mailbox):
    known = client.post("/forgot", data={"email": learner.email})
    unknown = client.post("/forgot", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    text = [soup(r).select_one(".lead").text for r in (known, unknown)]
    assert text[0].replace(learner.email, "X") == text[1].replace("nobody@example.org", "X")
    assert len(mailbox.messages) == 1


def test_a_reset_link_expires_after_an_hour(client, learner, mailbox, monkeypatch):
    client.post("/forgot", data={"email": learner.email})
    url = reset_link(mailbox)
    later = clock.now() + timedelta(minutes=61)
    monkeypatch.setattr(clock, "now", lambda: later)
    response = client.get(url)
    assert response.status_code == 404 and "more than an hour old" in response.get_data(True)
    assert choose(client, url).status_code == 404


def test_a_tampered_reset_link_is_refused(client, learner, mailbox):
    client.post("/forgot", data={"email": learner.email})
    url = reset_link(mailbox)
    assert client.get(url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")).status_code == 404


def test_weak_password_through_a_link_is_refused_with_the_reason(client, learner, mailbox):
    client.post("/forgot", data={"email": learner.email})
    url = reset_link(mailbox)
    response = choose(client, url, "password12")
    assert response.status_code == 400
    assert "commonly used" in soup(response).select_one("#password-error").text
    assert choose(client, url).status_code == 302  # the link still works after a refused try


def test_two_uses_of_one_reset_link_at_once_only_one_wins(app, learner):
    secret = app.config["SECRET_KEY"]
    token = recovery.email_reset_token(secret, learner)
    db.session.commit()
    first, second = (Session(db.engine, expire_on_commit=False) for _ in range(2))
    try:
        # Both requests read the link before either writes (one at a time: SQLite has one writer).
        a = recovery.account_for_reset_token(first, secret, token, now=clock.now())
        first.commit()
        b = recovery.account_for_reset_token(second, secret, token, now=clock.now())
        second.commit()
        assert a is not None and b is not None
        recovery.use_reset_token(first, a, NEW_PASSWORD, now=clock.now())
        first.commit()
        with pytest.raises(ServiceError, match="just been used"):
            recovery.use_reset_token(second, b, "the second password wins", now=clock.now())
        second.rollback()
    finally:
        first.close()
        second.close()
    db.session.expire_all()
    assert db.session.get(User, learner.id).check_password(NEW_PASSWORD)


def test_registration_tells_the_owner_by_email(client, learner, mailbox):
    form = {
        "full_name": "Someone Else", "password": "a long enough password",
        "confirm": "a long enough password", "organisation_type": "ngo", "province": "Sindh",
    }  # fmt: skip
    taken = client.post("/register", data={**form, "email": learner.email})
    new = client.post("/register", data={**form, "email": "new.person@example.org"})
    assert taken.status_code == new.status_code == 302
    assert taken.headers["Location"] == new.headers["Location"]
    subjects = {tuple(to): m["Subject"] for to, m in mailbox.messages}
    assert subjects == {
        ("learner@example.org",): "Someone tried to register with your address",
        ("new.person@example.org",): "Your account is ready",
    }
    assert "http://lms.test/forgot" in mailbox.body(0)


def test_reset_requests_are_limited_per_address_asked_for(client, learner, mailbox, app):
    limit = int(app.config["LMS_RESET_EMAIL_LIMIT"].split()[0])
    for email in (learner.email, "nobody@example.org"):  # the same for an unknown address
        for _ in range(limit):
            assert client.post("/forgot", data={"email": email}).status_code == 200
        assert client.post("/forgot", data={"email": email}).status_code == 429
    assert len(mailbox.messages) == limit


def test_unreachable_mail_server_still_answers_the_same(app, client, learner):
    app.config["LMS_MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"
    response = client.post("/forgot", data={"email": learner.email})
    assert response.status_code == 200 and "If an account uses" in response.get_data(True)


def test_without_a_mail_server_the_page_says_who_can_help(client, learner):
    page = soup(client.get("/forgot"))
    assert page.select_one("main form[method=post]") is None
    text = page.select_one("main").get_text(" ", strip=True)
    assert "your instructor" in text and "the programme team" in text
    refused = client.post("/forgot", data={"email": learner.email})
    assert refused.status_code == 404 and "does not send e-mail" in refused.get_data(True)
    login_page = soup(client.get("/login")).select_one("main").get_text(" ", strip=True)
    assert "Your instructor or the programme team can give you a one-time link" in login_page


def test_with_a_mail_server_the_login_page_sends_people_to_the_reset_form(client, mailbox):
    main = soup(client.get("/login")).select_one("main")
    assert main.select_one("a[href='/forgot']") is not None
    assert "can give you a one-time link" not in main.get_text(" ", strip=True)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.org", ("mail.example.org", 25, "", "", False, False)),
        ("smtp://u:p%40ss@mail.example.org:587?starttls=1",
         ("mail.example.org", 587, "u", "p@ss", False, True)),
        ("smtps://u:p@mail.example.org", ("mail.example.org", 465, "u", "p", True, False)),
    ],
)  # fmt: skip
def test_mail_url_forms(url, expected):
    from lms.mail import parse_mail_url

    server = parse_mail_url(url)
    assert (server.host, server.port, server.username, server.password, server.implicit_tls,
            server.starttls) == expected  # fmt: skip


@pytest.mark.parametrize("url", ["http://mail.example.org", "smtp://", "smtps://h?starttls=1"])
def test_a_bad_mail_url_stops_the_app(db_url, url):
    from lms.config import ConfigError
    from tests.conftest import make_app

    with pytest.raises(ConfigError, match="LMS_MAIL_URL"):
        make_app(db_url, LMS_MAIL_URL=url)


# --- one-time links issued by a person -----------------------------------------------------------
def issue_as(client, user, learner, via="teach"):
    from tests.conftest import log_in_quietly

    log_in_quietly(client, user)
    url = (
        f"/teach/learners/{learner.id}/reset-link"
        if via == "teach"
        else f"/admin/users/{learner.id}/reset-link"
    )
    return client.post(url)


def slip(response) -> tuple[str, str]:
    page = soup(response)
    link = page.select_one(".slip a")["href"]
    code = page.select(".slip .code-text strong")[0].text
    return link.removeprefix("http://127.0.0.1:5000"), code


def test_instructor_issues_a_link_for_a_learner_of_their_cohort(app, client, instructor, learner):
    make_cohort(instructor, [learner])
    hash_before = learner.password_hash
    device = app.test_client()
    login(device, learner)
    response = issue_as(client, instructor, learner)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    link, code = slip(response)
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", code)
    assert link == "/welcome/" + code.replace("-", "")
    db.session.refresh(learner)
    assert learner.password_hash == hash_before  # never shown, never set by the instructor
    (event,) = db.session.scalars(select(AuditEvent)).all()
    assert (event.action, event.actor_id, event.target, event.at) == (
        "reset link issued", instructor.id, f"user:{learner.id}", event.at,
    )  # fmt: skip
    assert event.details["days"] == 7 and event.at is not None
    # The learner types the code from the slip, any case, with or without dashes.
    anonymous = app.test_client()
    typed = anonymous.get("/welcome", query_string={"code": code.lower().replace("-", " ")})
    assert typed.status_code == 302 and typed.headers["Location"] == link
    assert "choose a new password" in soup(anonymous.get(link)).select_one("main p").text
    assert choose(anonymous, link).status_code == 302
    assert device.get("/dashboard").status_code == 302  # the learner's other sessions ended
    login(anonymous, learner, NEW_PASSWORD)
    used = app.test_client().get(link)
    assert used.status_code == 404 and "has been used" in used.get_data(True)


def test_an_issued_link_lasts_seven_days(app, client, instructor, learner, monkeypatch):
    make_cohort(instructor, [learner])
    link, _ = slip(issue_as(client, instructor, learner))
    anonymous = app.test_client()
    real_now = clock.now()
    monkeypatch.setattr(clock, "now", lambda: real_now + timedelta(days=6, hours=23))
    assert anonymous.get(link).status_code == 200
    monkeypatch.setattr(clock, "now", lambda: real_now + timedelta(days=7, minutes=1))
    assert anonymous.get(link).status_code == 404
    assert choose(anonymous, link).status_code == 404


def test_who_may_issue_a_link(app, client, instructor, learner):
    other_cohort_learner = make_user()
    make_cohort(make_user(role="instructor"), [other_cohort_learner])
    colleague = make_user(role="instructor")
    an_admin = make_user(role="admin")
    make_cohort(instructor, [learner, colleague, an_admin])
    for person, status in [(learner, 200), (other_cohort_learner, 404), (colleague, 404),
                           (an_admin, 404)]:  # fmt: skip
        assert issue_as(app.test_client(), instructor, person).status_code == status
    for person in (other_cohort_learner, colleague, instructor):
        assert issue_as(app.test_client(), an_admin, person, via="admin").status_code == 200
    assert issue_as(app.test_client(), learner, learner).status_code == 403


def test_reissuing_replaces_the_roster_welcome_link(app, client, instructor):
    person = make_user(must_change_password=True)
    person.password_hash = "!"  # a roster account: no password until the link is used
    code, fields = recovery.new_link_fields(now=clock.now(), days=30)
    person.setup_token_hash, person.setup_expires_at = fields.values()
    db.session.commit()
    make_cohort(instructor, [person])
    old = f"/welcome/{code}"
    assert client.get(old).status_code == 200
    response = issue_as(client, instructor, person)
    new, _ = slip(response)
    anonymous = app.test_client()
    assert anonymous.get(old).status_code == 404
    page = soup(anonymous.get(new))
    assert "created an account for you" in page.select_one("main").text
    assert choose(anonymous, new).status_code == 302
    login(anonymous, person, NEW_PASSWORD)


def test_a_deactivated_account_gets_no_link(client, admin):
    person = make_user(active=False)
    response = issue_as(client, admin, person, via="admin")
    assert response.status_code == 409 and "deactivated" in response.get_data(True)
    assert db.session.scalars(select(AuditEvent)).all() == []


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [
        ("7KQM-2D9X", 400, "not a whole code"),
        ("", 400, "Type the code"),
        ("0000-0000-0000-0000", 404, "not valid"),  # a well-formed code nobody was given
    ],
)
def test_a_wrong_code_gets_a_clear_message(client, code, status, message):
    response = client.get("/welcome", query_string={"code": code}, follow_redirects=True)
    assert response.status_code == status
    assert message in soup(response).select_one("main").text


def test_failed_link_lookups_are_limited_per_address(client, app):
    limit = int(app.config["LMS_LINK_LIMIT"].split()[0])
    for n in range(limit):
        assert client.get(f"/welcome/GUESS{n}").status_code == 404
    assert client.get("/welcome/GUESS-again").status_code == 429


def test_two_uses_of_one_issued_link_at_once_only_one_wins(app, learner):
    code = recovery.issue_link(db.session, learner, by=None, now=clock.now())
    db.session.commit()
    first, second = (Session(db.engine, expire_on_commit=False) for _ in range(2))
    try:
        a = recovery.account_for_link(first, code, now=clock.now())
        first.commit()
        b = recovery.account_for_link(second, code, now=clock.now())
        second.commit()
        recovery.use_link(first, a, NEW_PASSWORD, now=clock.now())
        first.commit()
        with pytest.raises(ServiceError):
            recovery.use_link(second, b, "the second password wins", now=clock.now())
        second.rollback()
    finally:
        first.close()
        second.close()
    db.session.expire_all()
    assert db.session.get(User, learner.id).check_password(NEW_PASSWORD)


def test_cli_prints_a_reset_link(app, client, admin):
    result = app.test_cli_runner().invoke(lms_cli, ["reset-link", "ADMIN@example.org"])
    assert result.exit_code == 0, result.output
    link = re.search(r"http://127\.0\.0\.1:5000(/welcome/[0-9A-Z]{16})", result.output).group(1)
    assert "type the code" in result.output
    db.session.expire_all()
    (event,) = db.session.scalars(select(AuditEvent)).all()
    assert (event.action, event.actor_id, event.details["via"]) == (
        "reset link issued",
        None,
        "cli",
    )
    assert choose(client, link).status_code == 302
    login(client, admin, NEW_PASSWORD)
    missing = app.test_cli_runner().invoke(lms_cli, ["reset-link", "nobody@example.org"])
    assert missing.exit_code != 0 and "No account" in missing.output


# --- off the request, on a queue -----------------------------------------------------------------
def test_with_a_queue_the_reset_mail_is_sent_by_the_worker_and_the_request_is_the_same_either_way(
    app,
    client,
    learner,
    mailbox,
    redis_queue,  # noqa: F811
):
    """``/forgot`` only queues the address (``lms.jobs.later``): a known and an unknown address
    cost the request the same one queued task and no mail; the worker looks the account up and
    sends the one message."""
    from rq import SimpleWorker

    import lms.jobs

    known = client.post("/forgot", data={"email": learner.email})
    assert redis_queue.count == 1
    unknown = client.post("/forgot", data={"email": "nobody@example.org"})
    assert redis_queue.count == 2 and mailbox.messages == []
    assert known.status_code == unknown.status_code == 200
    tasks = [job.args for job in redis_queue.jobs]
    assert tasks == [("reset", learner.email, "en"), ("reset", "nobody@example.org", "en")]
    email = learner.email
    db.session.commit()
    assert lms.jobs.run_worker(app, burst=True, worker_class=SimpleWorker) is True
    assert [m[0] for m in mailbox.messages] == [[email]]
    assert choose(client, reset_link(mailbox)).status_code == 302


def test_with_a_queue_registering_mails_from_the_worker(app, client, mailbox, redis_queue):  # noqa: F811
    from rq import SimpleWorker

    import lms.jobs
    from tests.web.test_auth import REGISTRATION

    make_user(email="taken@example.org")
    assert (
        client.post("/register", data={**REGISTRATION, "email": "taken@example.org"}).status_code
        == 302
    )
    assert (
        client.post("/register", data={**REGISTRATION, "email": "new@example.org"}).status_code
        == 302
    )
    assert redis_queue.count == 2 and mailbox.messages == []
    db.session.commit()
    lms.jobs.run_worker(app, burst=True, worker_class=SimpleWorker)
    assert sorted(m[0][0] for m in mailbox.messages) == ["new@example.org", "taken@example.org"]


def test_without_a_reachable_queue_the_mail_goes_out_in_the_request(app, client, learner, mailbox):
    app.config["LMS_REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    assert client.post("/forgot", data={"email": learner.email}).status_code == 200
    assert len(mailbox.messages) == 1
