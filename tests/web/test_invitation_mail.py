"""Invitations told by e-mail, through a real SMTP server on loopback (aiosmtpd): each invited
address gets its invitation's link once, in its account's language, with the same words whether
or not it has an account; without a mail server nothing is sent and the page says so."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models.cohorts import CohortInvitation, CohortMember
from lms.services import clock, cohorts
from tests.conftest import soup
from tests.factories import make_cohort, make_user
from tests.smtp import Mailbox, mail_config
from tests.web.test_jobs import redis_queue  # noqa: F401 - the fixture

LINK = re.compile(r"http://lms\.test(/invitations/\S+)")


@pytest.fixture
def app_config(request):
    return mail_config(request)


def _invite(client, cohort, *emails):
    response = client.post(
        f"/teach/cohorts/{cohort.id}/members", data={"emails": "\n".join(emails)}
    )
    assert response.status_code == 302, response.status_code
    return soup(client.get(response.headers["Location"]))


def _messages(box: Mailbox) -> dict[str, tuple[str, str]]:
    return {to[0]: (m["Subject"], m.get_content()) for to, m in box.messages}


def test_each_invited_address_gets_its_link_the_same_words_with_or_without_an_account(
    client, instructor, learner, login_as, mailbox
):
    cohort = make_cohort(instructor, name="Lahore NGO staff, March", ends_on=date(2099, 6, 30))
    login_as(instructor)
    page = _invite(client, cohort, learner.email.upper(), "nobody@example.org")
    assert "Each new one is e-mailed its link" in page.select_one(".flash").get_text()
    sent = _messages(mailbox)
    assert sorted(sent) == ["learner@example.org", "nobody@example.org"]
    (subject, with_account), (subject_2, without_account) = (
        sent["learner@example.org"],
        sent["nobody@example.org"],
    )
    assert subject == subject_2 == "Invitation to join Lahore NGO staff, March"
    assert f"{instructor.full_name} invited this e-mail address" in with_account
    assert "register with it if you have no account yet" in with_account
    # nothing in the message depends on whether the address has an account, but the link
    assert LINK.sub("LINK", with_account) == LINK.sub("LINK", without_account)
    assert mailbox.messages[0][1]["From"].endswith("<no-reply@lms.test>")
    # the link is the invitation's own: its person accepts it there
    link = LINK.search(with_account).group(1)
    client.post("/logout", data={"csrf_token": ""})
    login_as(learner)
    invitation_page = soup(client.get(link))
    form = invitation_page.select_one("form[action$='/accept']")
    assert form is not None
    token = form.select_one("input[name=csrf_token]")["value"]
    assert client.post(form["action"], data={"csrf_token": token}).status_code == 302
    assert db.session.scalars(select(CohortMember.user_id)).all() == [learner.id]


def test_the_cohort_page_says_which_invitations_were_e_mailed(
    app, client, instructor, login_as, mailbox
):
    cohort = make_cohort(instructor)
    login_as(instructor)
    page = _invite(client, cohort, "told@example.org")
    assert "also sent its invitation's link by e-mail" in page.select_one("main").get_text()
    status = page.select_one("ul.invitations li .meta").get_text()
    assert "e-mailed, not yet accepted" in status


def test_an_instructors_roster_e_mails_every_invited_row_its_link(
    client, instructor, learner, login_as, mailbox
):
    from tests.web.test_cohorts import HEADER, upload

    cohort = make_cohort(instructor)
    login_as(instructor)
    content = (
        HEADER
        + f"Known Person,{learner.email},police,Police College,ASI,Punjab,Lahore\n"
        + "New Person,new.person@example.org,ngo,Sahil,Trainer,Sindh,Karachi\n"
    )
    location = upload(client, cohort, content.encode()).headers["Location"]
    imported = client.post(f"{location}/confirm")
    assert imported.status_code == 200
    page = soup(imported)
    assert "also sent its invitation's link by e-mail" in page.select_one(".notice").get_text()
    shown = [code.get_text() for code in page.select("table.links code")]
    sent = _messages(mailbox)
    assert sorted(sent) == sorted([learner.email, "new.person@example.org"])
    assert len(shown) == 2
    for link in shown:  # each row's link, as on the page, went by e-mail
        assert (
            sum(link.removeprefix("http://127.0.0.1:5000") in body for _s, body in sent.values())
            == 1
        )


def test_an_address_is_told_once_and_a_declined_one_never(
    client, instructor, learner, login_as, mailbox
):
    cohort = make_cohort(instructor)
    login_as(instructor)
    _invite(client, cohort, "first@example.org")
    _invite(client, cohort, "first@example.org", "second@example.org")
    assert [to for to, _m in mailbox.messages] == [["first@example.org"], ["second@example.org"]]
    declined = CohortInvitation(cohort_id=cohort.id, email=learner.email, invited_at=clock.now(),
                                declined_at=clock.now())  # fmt: skip
    db.session.add(declined)
    db.session.commit()
    _invite(client, cohort, learner.email)
    assert len(mailbox.messages) == 2
    # the task itself, run again, tells nobody twice
    from lms.web.cohorts import invitation_mail

    every = db.session.scalars(select(CohortInvitation.id)).all()
    invitation_mail(every, "en")
    assert len(mailbox.messages) == 2


def test_the_message_is_in_the_language_of_the_addresses_account(
    client, instructor, login_as, mailbox
):
    reader = make_user(email="urdu.reader@example.org", locale="ur")
    cohort = make_cohort(instructor, name="Karachi")
    login_as(instructor)
    _invite(client, cohort, reader.email, "no.account@example.org")
    sent = _messages(mailbox)
    urdu_subject, urdu_body = sent[reader.email]
    assert "Karachi" in urdu_subject and "Invitation" not in urdu_subject
    assert re.search("[\u0600-\u06ff]", urdu_body) and LINK.search(urdu_body)
    assert sent["no.account@example.org"][0] == "Invitation to join Karachi"  # the page's language


def test_a_mail_server_that_fails_leaves_the_page_as_it_was_and_a_new_invite_retries(
    app, client, instructor, login_as, mailbox
):
    cohort = make_cohort(instructor)
    login_as(instructor)
    working = app.config["LMS_MAIL_URL"]
    app.config["LMS_MAIL_URL"] = "smtp://127.0.0.1:9"  # nothing listens there
    page = _invite(client, cohort, "later@example.org")
    assert "Each new one is e-mailed its link" in page.select_one(".flash").get_text()
    invitation = db.session.scalars(select(CohortInvitation)).one()
    assert invitation.emailed_at is None  # not told: given back
    app.config["LMS_MAIL_URL"] = working
    _invite(client, cohort, "later@example.org")
    assert [to for to, _m in mailbox.messages] == [["later@example.org"]]


def test_an_address_the_server_refuses_is_left_untold_and_the_others_go(
    client, instructor, login_as, mailbox
):
    cohort = make_cohort(instructor)
    login_as(instructor)
    _invite(client, cohort, "gone@refused.example", "here@example.org")
    assert [to for to, _m in mailbox.messages] == [["here@example.org"]]
    told = dict(
        db.session.execute(select(CohortInvitation.email, CohortInvitation.emailed_at)).all()
    )
    assert told["gone@refused.example"] is None and told["here@example.org"] is not None


def test_a_connection_lost_part_way_marks_only_what_went(client, instructor, login_as, mailbox):
    cohort = make_cohort(instructor)
    login_as(instructor)
    _invite(client, cohort, "first@example.org", "x@hangup.example", "third@example.org")
    assert [to for to, _m in mailbox.messages] == [["first@example.org"]]
    told = dict(
        db.session.execute(select(CohortInvitation.email, CohortInvitation.emailed_at)).all()
    )
    assert told["first@example.org"] is not None
    assert told["x@hangup.example"] is None and told["third@example.org"] is None


def test_a_task_that_fails_leaves_the_invitations_untold_and_the_page_as_it_was(
    client, instructor, login_as, mailbox, monkeypatch
):
    from lms import mail

    def broken(messages):
        raise RuntimeError("the mail module broke")

    monkeypatch.setattr(mail, "send_all", broken)
    cohort = make_cohort(instructor)
    login_as(instructor)
    page = _invite(client, cohort, "someone@example.org")  # a 302 and its page, not a 500
    assert page.select_one("ul.invitations li .invited-email").get_text() == "someone@example.org"
    assert db.session.scalars(select(CohortInvitation.emailed_at)).all() == [None]


def test_the_invitations_are_committed_before_their_task_is_queued(
    app, client, instructor, login_as, mailbox, monkeypatch
):
    """The task runs elsewhere (a thread with its own app context and database connection, as
    an RQ worker would) the moment it is queued: it must find the invitations."""
    import threading

    import lms.jobs
    from lms.web.cohorts import invitation_mail

    def on_a_worker(name, *args, timeout=60):
        def run():
            with app.app_context():
                invitation_mail(*args)

        worker = threading.Thread(target=run)
        worker.start()
        worker.join(30)

    monkeypatch.setattr(lms.jobs, "later", on_a_worker)
    cohort = make_cohort(instructor)
    login_as(instructor)
    _invite(client, cohort, "first@example.org")
    assert [to for to, _m in mailbox.messages] == [["first@example.org"]]


def test_without_a_mail_server_no_task_runs_and_the_page_says_where_invitations_wait(
    client, instructor, login_as, monkeypatch
):
    import lms.jobs

    queued = []
    monkeypatch.setattr(lms.jobs, "later", lambda *args: queued.append(args))
    cohort = make_cohort(instructor)
    login_as(instructor)
    page = _invite(client, cohort, "someone@example.org")
    assert "on their dashboard" in page.select_one(".flash").get_text()
    assert queued == []


def test_claiming_an_invitation_for_mail_is_won_once(app, instructor):
    cohort = make_cohort(instructor)
    invited = cohorts.invite(db.session, cohort, ["a@example.org", "b@example.org"],
                             by=instructor.id, now=clock.now())  # fmt: skip
    ids = [i.id for i in invited.values()]
    assert [i.email for i in cohorts.claim_for_mail(db.session, ids, now=clock.now())] == [
        "a@example.org",
        "b@example.org",
    ]
    assert cohorts.claim_for_mail(db.session, ids, now=clock.now()) == []
    cohorts.release_mail_claim(db.session, ids[:1])
    assert [i.id for i in cohorts.claim_for_mail(db.session, ids, now=clock.now())] == ids[:1]


def test_with_a_queue_the_worker_sends_the_invitations(
    app,
    client,
    instructor,
    login_as,
    mailbox,
    redis_queue,  # noqa: F811
):
    from rq import SimpleWorker

    import lms.jobs

    cohort = make_cohort(instructor)
    login_as(instructor)
    _invite(client, cohort, "queued@example.org")
    assert redis_queue.count == 1 and mailbox.messages == []
    lms.jobs.run_worker(app, burst=True, worker_class=SimpleWorker)
    assert [to for to, _m in mailbox.messages] == [["queued@example.org"]]
    assert LINK.search(mailbox.body())


def test_a_large_roster_imported_by_a_job_e_mails_each_invitation_once(
    client, instructor, login_as, mailbox, monkeypatch
):
    """The import job (here inline, as with no queue) tells the rows it invited, a task per
    hundred; rows invited by an earlier import are not told again."""
    import lms.jobs
    from lms.services import jobs
    from tests.web.test_jobs import _job_id, _roster

    monkeypatch.setattr(jobs, "LARGE", 3)
    monkeypatch.setattr(lms.jobs, "INVITATIONS_A_TASK", 2)
    tasks = []
    later = lms.jobs.later
    monkeypatch.setattr(
        lms.jobs, "later", lambda name, *args, **kw: (tasks.append(args), later(name, *args, **kw))
    )
    cohort = make_cohort(instructor)
    login_as(instructor)
    client.post(f"{_roster(client, cohort, 3)}/confirm")  # in the request
    assert len(mailbox.messages) == 3
    job_id = _job_id(client.post(f"{_roster(client, cohort, 6)}/confirm"))
    assert soup(client.get(f"/jobs/{job_id}")).select_one(".notice") is not None
    told = sorted(to[0] for to, _m in mailbox.messages)
    assert told == sorted(f"p{n}@example.org" for n in range(6)), told
    assert [len(ids) for ids, _locale in tasks] == [2, 1, 2, 2, 2]  # 3 in the request, 6 in the job
