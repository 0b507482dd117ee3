"""Background jobs: the pages that start them, the job page and its JSON, idempotent reruns,
failures shown (never a 500), and a real RQ worker on Redis when ``LMS_TEST_REDIS_URL`` is set.

Without Redis (the default here and in ``make run``) a job runs inline, in the request that starts
it, through the same ``lms.services.jobs.run`` that a worker calls.
"""

from __future__ import annotations

import io
import os
import re
from datetime import date, time

import pytest

from lms.extensions import db
from lms.models.certificates import Certificate
from lms.models.cohorts import CohortInvitation, CohortMember, RosterUpload
from lms.models.hours import WorkshopMark, WorkshopSession
from lms.models.jobs import Job
from lms.models.users import User
from lms.services import jobs
from tests.conftest import soup
from tests.factories import NOW, enrol, make_cohort, make_user
from tests.services.test_certificates import ISSUER, finished

HEADER = "full name,e-mail,organisation type,organisation,job title,province,district\n"
REDIS_URL = os.environ.get("LMS_TEST_REDIS_URL")


def _job_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    match = re.fullmatch(r"/jobs/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def _job(job_id: int) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def _context() -> jobs.Context:
    from flask import current_app

    from lms.jobs import _context as context

    return context(current_app)


def _workshop(cohort, by) -> WorkshopSession:
    workshop = WorkshopSession(
        course_slug="demo", module_slug="01-basics", held_on=date(2026, 3, 1), starts_at=time(9),
        minutes=60, place="Quetta", facilitator="A", created_by=by.id, created_at=NOW,
        cohort_id=cohort.id,
    )  # fmt: skip
    db.session.add(workshop)
    db.session.commit()
    return workshop


def _roster(client, cohort, count: int) -> str:
    rows = "".join(f"Person {i},p{i}@example.org,ngo,,,Sindh,\n" for i in range(count))
    response = client.post(
        f"/teach/cohorts/{cohort.id}/roster",
        data={"file": (io.BytesIO((HEADER + rows).encode()), "roster.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    return response.headers["Location"]


# --- the pages -----------------------------------------------------------------------------------
def test_bulk_issuing_runs_as_a_job_whose_page_shows_the_result(client, instructor, login_as, app):
    done, behind = make_user(full_name="Done Learner"), make_user(full_name="Behind Learner")
    finished(done)
    cohort = make_cohort(instructor, [done, behind], name="Quetta cadets")
    login_as(instructor)
    job_id = _job_id(client.post(f"/teach/cohorts/{cohort.id}/certificates"))
    job = _job(job_id)
    assert (job.kind, job.state, job.started_by) == ("issue-certificates", "done", instructor.id)
    assert (job.done, job.total) == (2, 2)
    assert job.result["issued"] == 1 and job.result["not_eligible"] == 1
    page = soup(client.get(f"/jobs/{job_id}"))
    assert page.select_one("h1").get_text() == "Issuing certificates"
    assert "1 certificate issued to eligible learners of Quetta cadets" in page.select_one(
        ".job-result"
    ).get_text(" ", strip=True)
    assert page.select_one("progress") is None and not page.select("script[src*='job.js']")
    status = client.get(f"/jobs/{job_id}.json").get_json()
    assert status == {"state": "done", "done": 2, "total": 2, "finished": True,
                      "page": f"/jobs/{job_id}"}  # fmt: skip


def test_a_waiting_job_shows_a_progress_bar_its_script_and_a_plain_link(
    client, instructor, login_as
):
    job = jobs.create(db.session, jobs.EXPORT_MATRIX, by=instructor.id, total=40,
                      arguments={"cohort": 1, "label": "Cadets"}, now=NOW)  # fmt: skip
    job.state, job.done = "running", 10
    db.session.commit()
    login_as(instructor)
    page = soup(client.get(f"/jobs/{job.id}"))
    bar = page.select_one("section.job progress")
    assert (bar["max"], bar["value"]) == ("40", "10")
    assert page.select_one("[data-job-status]")["data-job-status"] == f"/jobs/{job.id}.json"
    assert page.select_one(f"a[href='/jobs/{job.id}']").get_text() == "Refresh this page"
    scripts = [script["src"] for script in page.select("script[src]")]
    assert any(src.startswith("/static/js/job.js") for src in scripts), scripts
    assert not page.select("script:not([src])")
    assert "10 of 40 done" in page.select_one(".job-state").get_text()
    assert client.get(f"/jobs/{job.id}.json").get_json()["finished"] is False


def test_only_the_starter_and_administrators_see_a_job(client, instructor, login_as):
    cohort = make_cohort(instructor, [make_user()])
    co = make_user(role="instructor")
    login_as(instructor)
    job_id = _job_id(client.post(f"/teach/cohorts/{cohort.id}/certificates"))
    client.post(f"/teach/cohorts/{cohort.id}/instructors", data={"email": co.email})
    login_as(co)  # a co-instructor of the same cohort: still not theirs
    for url in (f"/jobs/{job_id}", f"/jobs/{job_id}.json", f"/jobs/{job_id}/x.csv"):
        assert client.get(url).status_code == 404
    login_as(make_user(role="admin"))
    assert client.get(f"/jobs/{job_id}").status_code == 200
    assert client.get(f"/jobs/{job_id}/x.csv").status_code == 404  # this job has no file


def test_adding_the_whole_cohort_to_a_register_is_a_job(app, client, instructor, login_as):
    members = [make_user(), make_user(), make_user()]
    cohort = make_cohort(instructor, members, name="Sukkur staff")
    workshop = _workshop(cohort, instructor)
    from lms.services import workshops

    workshops.mark(db.session, workshop, members[0].id, status="absent", by=instructor.id, now=NOW,
                   catalog=app.extensions["lms.catalog"], issuer=ISSUER)  # fmt: skip
    db.session.commit()
    login_as(instructor)
    job_id = _job_id(client.post(f"/teach/workshops/{workshop.id}/cohort-members"))
    marks = {m.user_id: m.status for m in db.session.query(WorkshopMark)}
    assert marks == {members[0].id: "absent", members[1].id: "present", members[2].id: "present"}
    result = soup(client.get(f"/jobs/{job_id}")).select_one(".job-result").get_text(" ", strip=True)
    assert "2 learners of Sukkur staff added as present" in result
    assert "1 learner was on the register already" in result


def test_a_large_roster_is_imported_by_a_job_with_its_links(
    client, instructor, learner, login_as, monkeypatch
):
    monkeypatch.setattr(jobs, "LARGE", 3)
    cohort = make_cohort(instructor)
    login_as(instructor)
    small = _roster(client, cohort, 3)  # at the threshold: in the request, as before
    inline = soup(client.post(f"{small}/confirm"))
    inline_links = [code.get_text() for code in inline.select("table.links code")]
    location = _roster(client, cohort, 6)  # p0..p2 are invited already, p3..p5 not yet
    job_id = _job_id(client.post(f"{location}/confirm"))
    job = _job(job_id)
    assert (job.kind, job.state, job.done, job.total) == ("import-roster", "done", 6, 6)
    assert db.session.query(CohortInvitation).count() == 6
    assert db.session.query(CohortMember).count() == 0
    assert db.session.query(RosterUpload).count() == 0
    page = soup(client.get(f"/jobs/{job_id}"))
    links = [code.get_text() for code in page.select("table.links code")]
    assert len(links) == 6 and all("/invitations/" in link for link in links)
    assert links[:3] == inline_links  # an invitation keeps its link
    name = f"cohort-{cohort.id}-invitation-links.csv"
    assert page.select_one(f"a[href='/jobs/{job_id}/{name}']")
    download = client.get(f"/jobs/{job_id}/{name}")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert client.get(f"/jobs/{job_id}/other.csv").status_code == 404
    text = download.get_data(as_text=True)
    assert text.startswith("\ufeffLine,Name,E-mail,Invitation link") and links[5] in text
    # Confirm again: the same job, nothing imported twice
    again = client.post(f"{location}/confirm")
    assert again.status_code == 404  # the upload is gone with the import
    assert db.session.query(User).filter(User.email.like("p%@example.org")).count() == 0


def test_an_administrators_large_roster_gives_one_time_links(client, admin, login_as, monkeypatch):
    monkeypatch.setattr(jobs, "LARGE", 1)
    cohort = make_cohort(admin)
    login_as(admin)
    job_id = _job_id(client.post(f"{_roster(client, cohort, 2)}/confirm"))
    page = soup(client.get(f"/jobs/{job_id}"))
    links = [code.get_text() for code in page.select("table.links code")]
    assert len(links) == 2 and all("/welcome/" in link for link in links)
    assert db.session.query(CohortMember).count() == 2
    text = client.get(f"/jobs/{job_id}/cohort-{cohort.id}-one-time-links.csv").get_data(True)
    assert text.startswith("\ufeffLine,Name,E-mail,One-time link") and links[0] in text


def test_confirming_again_while_the_job_waits_leads_to_the_same_job(
    client, instructor, login_as, monkeypatch, app
):
    """With a queue, the upload stays until a worker imports it; a second Confirm finds the job."""
    monkeypatch.setattr(jobs, "LARGE", 1)
    started = []
    monkeypatch.setattr(jobs, "run", lambda session, context, job_id: started.append(job_id))
    cohort = make_cohort(instructor)
    login_as(instructor)
    location = _roster(client, cohort, 2)
    first = _job_id(client.post(f"{location}/confirm"))
    assert _job_id(client.post(f"{location}/confirm")) == first and started == [first]
    assert db.session.query(Job).count() == 1
    login_as(make_user(role="admin"))  # administrators may follow anyone's job
    assert _job_id(client.post(f"{location}/confirm")) == first
    from lms.models.cohorts import CohortInstructor

    co = make_user(role="instructor")  # a co-instructor may not see the job: a plain refusal
    db.session.add(CohortInstructor(cohort_id=cohort.id, user_id=co.id))
    db.session.commit()
    login_as(co)
    assert client.post(f"{location}/confirm").status_code == 409
    assert db.session.query(Job).count() == 1 and started == [first]


def test_a_large_cohort_prepares_its_csv_as_a_job(client, instructor, login_as, monkeypatch):
    monkeypatch.setattr(jobs, "LARGE", 1)
    cohort = make_cohort(instructor, [make_user(full_name="Bina"), make_user(full_name="Asad")])
    login_as(instructor)
    offer = client.get(f"/teach/cohorts/{cohort.id}/matrix.csv?sort=progress")
    assert offer.status_code == 200 and offer.mimetype == "text/html"
    form = soup(offer).select_one("main form[method=post]")
    assert form["action"] == f"/teach/cohorts/{cohort.id}/matrix/export?sort=progress"
    job_id = _job_id(client.post(form["action"]))
    assert _job(job_id).arguments["by_progress"] is True
    page = soup(client.get(f"/jobs/{job_id}"))
    name = f"cohort-{cohort.id}-progress.csv"
    assert page.select_one(f"a[href='/jobs/{job_id}/{name}']")
    download = client.get(f"/jobs/{job_id}/{name}")
    lines = download.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Name,E-mail,Module 1 minutes") and len(lines) == 3
    assert download.headers["Content-Disposition"] == (
        f'attachment; filename="cohort-{cohort.id}-progress.csv"'
    )
    monkeypatch.setattr(jobs, "LARGE", 500)  # a small cohort still gets the file at once
    small = client.get(f"/teach/cohorts/{cohort.id}/matrix.csv")
    assert small.mimetype == "text/csv"
    assert sorted(small.get_data(as_text=True).lstrip("\ufeff").splitlines()) == sorted(lines)


def test_the_csv_job_keeps_the_overdue_filter(client, instructor, login_as, monkeypatch):
    """A job's CSV lists the learners the page's filter lists (only the overdue ones here)."""
    from lms.services import clock
    from tests.services.test_certificates import online, quiz

    monkeypatch.setattr(jobs, "LARGE", 1)
    monkeypatch.setattr(clock, "now", lambda: NOW.replace(day=10))
    late, done = make_user(full_name="Bina"), make_user(full_name="Asad")
    for person in (late, done):
        enrol(person, "demo")
    online(done, "01-basics", 20)
    quiz(done, "01-basics")
    cohort = make_cohort(instructor, [late, done])
    login_as(instructor)
    assert client.post(f"/teach/cohorts/{cohort.id}/assignments",
                       data={"module": "01-basics", "due_on": "2026-03-05"}).status_code == 302  # fmt: skip
    job_id = _job_id(client.post(f"/teach/cohorts/{cohort.id}/matrix/export?filter=overdue"))
    assert _job(job_id).arguments["only_overdue"] is True
    body = client.get(f"/jobs/{job_id}/cohort-{cohort.id}-progress.csv").get_data(as_text=True)
    names = [line.split(",")[0] for line in body.lstrip("\ufeff").splitlines()[1:]]
    assert names == ["Bina"]


# --- failures are recorded and shown --------------------------------------------------------------
def test_a_failing_job_is_recorded_and_shown_never_a_500(client, instructor, login_as, monkeypatch):
    from lms.services import certificates

    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(certificates, "issue", broken)
    done = make_user()
    finished(done)
    cohort = make_cohort(instructor, [done])
    login_as(instructor)
    job_id = _job_id(client.post(f"/teach/cohorts/{cohort.id}/certificates"))
    job = _job(job_id)
    assert job.state == "failed" and job.error == jobs.UNEXPECTED and job.finished_at is not None
    response = client.get(f"/jobs/{job_id}")
    assert response.status_code == 200
    alert = soup(response).select_one("[role=alert]").get_text(" ", strip=True)
    assert "The job did not finish." in alert and "unexpected error" in alert
    assert "database on fire" not in response.get_data(as_text=True)
    assert client.get(f"/jobs/{job_id}.json").get_json()["state"] == "failed"
    assert db.session.query(Certificate).count() == 0


def test_a_job_whose_starter_lost_access_fails_with_a_reason(client, instructor, login_as):
    cohort = make_cohort(instructor, [make_user()])
    job = jobs.create(db.session, jobs.ISSUE_CERTIFICATES, by=make_user(role="instructor").id,
                      arguments={"cohort": cohort.id, "label": cohort.name}, now=NOW)  # fmt: skip
    db.session.commit()
    jobs.run(db.session, _context(), job.id)
    job = _job(job.id)
    assert job.state == "failed" and job.error == "This cohort is gone, or you no longer teach it."


def test_a_queue_that_is_down_fails_the_job_with_a_message(
    client, instructor, login_as, app, monkeypatch
):
    import lms.jobs

    def down(url):
        raise ConnectionError("no Redis")

    monkeypatch.setitem(app.config, "LMS_REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(lms.jobs, "queue", down)
    cohort = make_cohort(instructor, [make_user()])
    login_as(instructor)
    job_id = _job_id(client.post(f"/teach/cohorts/{cohort.id}/certificates"))
    assert _job(job_id).error == lms.jobs.QUEUE_DOWN
    assert (
        "could not be reached"
        in soup(client.get(f"/jobs/{job_id}")).select_one("[role=alert]").get_text()
    )


# --- idempotency: a job run again (a retry after a crash) does nothing twice --------------------
def test_issuing_twice_issues_once(app, instructor):
    learners = [make_user() for _ in range(3)]
    for person in learners[:2]:
        finished(person)
    cohort = make_cohort(instructor, learners)
    job = jobs.create(db.session, jobs.ISSUE_CERTIFICATES, by=instructor.id,
                      arguments={"cohort": cohort.id, "label": "x"}, now=NOW)  # fmt: skip
    db.session.commit()
    jobs.run(db.session, _context(), job.id)
    db.session.execute(Job.__table__.update().values(state="running"))  # as if it never finished
    db.session.commit()
    jobs.run(db.session, _context(), job.id)
    assert db.session.query(Certificate).count() == 2
    job = _job(job.id)
    assert job.state == "done" and job.runs == 2
    assert job.result == {"issued": 2, "not_eligible": 1, "after": max(u.id for u in learners)}


def test_a_run_that_crashed_half_way_resumes_and_issues_nothing_twice(app, instructor, monkeypatch):
    monkeypatch.setattr(jobs, "BATCH", 2)
    learners = [make_user() for _ in range(5)]
    for person in learners:
        finished(person)
    cohort = make_cohort(instructor, learners)
    job = jobs.create(db.session, jobs.ISSUE_CERTIFICATES, by=instructor.id,
                      arguments={"cohort": cohort.id, "label": "x"}, now=NOW)  # fmt: skip
    db.session.commit()
    from lms.services import certificates

    real, calls = certificates.issue, []

    def crash_on_the_third(*args, **kwargs):
        calls.append(args[3])
        if len(calls) == 3:
            raise SystemExit("the worker was killed")  # not an Exception: nothing records it
        return real(*args, **kwargs)

    monkeypatch.setattr(certificates, "issue", crash_on_the_third)
    with pytest.raises(SystemExit):
        jobs.run(db.session, _context(), job.id)
    db.session.rollback()
    assert db.session.query(Certificate).count() == 2  # the first batch was committed
    assert (_job(job.id).state, _job(job.id).done) == ("running", 2)
    monkeypatch.setattr(certificates, "issue", real)
    jobs.run(db.session, _context(), job.id)  # the retry
    assert db.session.query(Certificate).count() == 5
    job = _job(job.id)
    assert job.state == "done" and (job.done, job.total) == (5, 5) and job.result["issued"] == 5


def test_the_register_twice_marks_once(app, instructor):
    members = [make_user(), make_user()]
    cohort = make_cohort(instructor, members)
    workshop = _workshop(cohort, instructor)
    job = jobs.create(db.session, jobs.REGISTER_COHORT, by=instructor.id,
                      arguments={"workshop": workshop.id, "label": "x"}, now=NOW)  # fmt: skip
    db.session.commit()
    jobs.run(db.session, _context(), job.id)
    # someone changes a mark, then the job runs again (as after a crash): the change stays
    mark = db.session.query(WorkshopMark).filter_by(user_id=members[0].id).one()
    mark.status, mark.minutes_attended = "absent", 0
    db.session.execute(Job.__table__.update().values(state="running", result=None))
    db.session.commit()
    jobs.run(db.session, _context(), job.id)
    marks = {m.user_id: m.status for m in db.session.query(WorkshopMark)}
    assert marks == {members[0].id: "absent", members[1].id: "present"}
    assert _job(job.id).result["already"] == 2


def test_a_roster_job_run_twice_imports_once(app, client, instructor, login_as, learner):
    cohort = make_cohort(instructor)
    login_as(instructor)
    rows = f"New Person,new@example.org,ngo,,,Sindh,\nKnown,{learner.email},ngo,,,Punjab,\n"
    response = client.post(
        f"/teach/cohorts/{cohort.id}/roster",
        data={"file": (io.BytesIO((HEADER + rows).encode()), "roster.csv")},
        content_type="multipart/form-data",
    )
    upload_id = int(response.headers["Location"].rsplit("/", 1)[1])
    job = jobs.create(db.session, jobs.IMPORT_ROSTER, by=instructor.id, key=f"roster:{upload_id}",
                      arguments={"cohort": cohort.id, "upload": upload_id, "direct": False,
                                 "label": "x"}, now=NOW)  # fmt: skip
    db.session.commit()
    jobs.run(db.session, _context(), job.id)
    first = _job(job.id).result
    db.session.execute(Job.__table__.update().values(state="running"))
    db.session.commit()
    jobs.run(db.session, _context(), job.id)  # the upload is gone: nothing imported again
    job = _job(job.id)
    assert job.state == "failed" and "no longer waiting" in job.error
    assert db.session.query(User).filter_by(email="new@example.org").count() == 0
    assert db.session.query(CohortMember).count() == 0
    assert db.session.query(CohortInvitation).count() == 2
    assert first["rows"] == 2 and len(first["links"]) == 2
    jobs.run(db.session, _context(), job.id)  # a done job is never run again
    db.session.execute(Job.__table__.update().values(state="done"))
    db.session.commit()
    jobs.run(db.session, _context(), job.id)
    assert _job(job.id).runs == 3


def test_prune_deletes_jobs_finished_long_ago(app, instructor):
    from datetime import timedelta

    old = jobs.create(db.session, jobs.EXPORT_MATRIX, by=instructor.id, arguments={}, now=NOW)
    new = jobs.create(db.session, jobs.EXPORT_MATRIX, by=instructor.id, arguments={}, now=NOW)
    waiting = jobs.create(db.session, jobs.EXPORT_MATRIX, by=instructor.id, arguments={}, now=NOW)
    old.finished_at, new.finished_at = NOW - timedelta(days=31), NOW - timedelta(days=29)
    db.session.commit()
    assert jobs.prune(db.session, now=NOW) == 1
    db.session.commit()
    assert {j.id for j in db.session.query(Job)} == {new.id, waiting.id}


# --- a real RQ worker on Redis ---------------------------------------------------------------------
@pytest.fixture
def redis_queue(app):
    if not REDIS_URL:
        pytest.skip("set LMS_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/6) to run jobs on RQ")
    from redis import Redis

    import lms.jobs

    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except Exception as error:  # noqa: BLE001 - a clear failure, not a skip: the URL was given
        pytest.fail(f"LMS_TEST_REDIS_URL={REDIS_URL} does not answer: {error}")
    connection.flushdb()
    app.config["LMS_REDIS_URL"] = REDIS_URL
    yield lms.jobs.queue(REDIS_URL)
    connection.flushdb()
    connection.close()


def test_an_rq_worker_runs_the_job_and_the_result_is_in_the_database(
    app, client, instructor, login_as, redis_queue
):
    from rq import SimpleWorker

    import lms.jobs

    done = make_user()
    finished(done)
    cohort = make_cohort(instructor, [done, make_user()])
    login_as(instructor)
    job_id = _job_id(client.post(f"/teach/cohorts/{cohort.id}/certificates"))
    assert _job(job_id).state == "queued" and redis_queue.count == 1
    page = soup(client.get(f"/jobs/{job_id}"))
    assert "Waiting for its turn" in page.select_one(".job-state").get_text()
    assert page.select_one("progress") is not None
    assert db.session.query(Certificate).count() == 0
    done_id = done.id  # the worker ends the (shared, in-process) session, detaching the rows
    db.session.commit()
    assert lms.jobs.run_worker(app, burst=True, worker_class=SimpleWorker) is True
    job = _job(job_id)
    assert (job.state, job.done, job.total, job.runs) == ("done", 2, 2, 1)
    assert job.result["issued"] == 1
    assert db.session.query(Certificate).one().user_id == done_id
    assert client.get(f"/jobs/{job_id}.json").get_json()["finished"] is True
    # RQ runs it again (a retry after a crash, `rq requeue`): nothing is issued twice
    redis_queue.enqueue("lms.jobs.work", job_id)
    lms.jobs.run_worker(app, burst=True, worker_class=SimpleWorker)
    assert db.session.query(Certificate).count() == 1 and _job(job_id).runs == 1


@pytest.mark.slow
def test_the_worker_command_forks_a_child_per_job_with_the_app(
    app, client, instructor, login_as, redis_queue, db_url
):
    """``flask --app lms lms worker --burst`` as deployed: rq's forking worker, another process."""
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import GOOD_CONTENT

    cohort = make_cohort(instructor, [make_user(full_name="Bina")])
    login_as(instructor)
    job_id = _job_id(client.post(f"/teach/cohorts/{cohort.id}/matrix/export"))
    db.session.commit()
    env = {
        **os.environ,
        "LMS_ENV": "testing",
        "LMS_SECRET_KEY": "test-secret-key-not-for-production-use",
        "LMS_DATABASE_URL": db_url,
        "LMS_CONTENT_DIR": str(GOOD_CONTENT),
        "LMS_REDIS_URL": REDIS_URL,
    }
    flask = Path(sys.executable).with_name("flask")
    done = subprocess.run(
        [str(flask), "--app", "lms", "lms", "worker", "--burst"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    job = _job(job_id)
    assert job.state == "done", (job.error, done.stderr[-2000:])
    assert "Bina" in job.file_data.decode()


def test_the_worker_command_needs_a_queue(app):
    from lms.cli import lms_cli

    result = app.test_cli_runner().invoke(lms_cli, ["worker", "--burst"])
    assert result.exit_code == 1
    assert "LMS_REDIS_URL is not set" in result.output


def test_erasing_a_person_removes_their_lines_from_jobs(client, instructor, login_as, monkeypatch):
    from lms.services import erasure

    monkeypatch.setattr(jobs, "LARGE", 1)
    cohort = make_cohort(instructor)
    login_as(make_user(role="admin"))  # an administrator's roster creates the accounts
    job_id = _job_id(client.post(f"{_roster(client, cohort, 2)}/confirm"))
    export_id = _job_id(client.post(f"/teach/cohorts/{cohort.id}/matrix/export"))
    person = db.session.query(User).filter_by(email="p0@example.org").one()
    erasure.erase(db.session, person, reason="Asked to", withdraw_certificates=False,
                  by=make_user(role="admin").id, now=NOW)  # fmt: skip
    db.session.commit()
    roster_job, export = _job(job_id), _job(export_id)
    assert [link[2] for link in roster_job.result["links"]] == ["p1@example.org"]
    assert "p0@" not in roster_job.file_data.decode() and "p1@" in roster_job.file_data.decode()
    assert "p0@" not in export.file_data.decode() and "p1@" in export.file_data.decode()


def test_a_failed_roster_job_can_be_confirmed_again(client, instructor, login_as, monkeypatch):
    from lms.services import roster

    monkeypatch.setattr(jobs, "LARGE", 1)
    real = roster.import_rows

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(roster, "import_rows", broken)
    cohort = make_cohort(instructor)
    login_as(instructor)
    location = _roster(client, cohort, 2)
    failed = _job_id(client.post(f"{location}/confirm"))
    assert _job(failed).state == "failed" and _job(failed).key is None
    assert db.session.query(CohortInvitation).count() == 0  # all rows or none
    monkeypatch.setattr(roster, "import_rows", real)
    again = _job_id(client.post(f"{location}/confirm"))
    assert again != failed and _job(again).state == "done"
    assert db.session.query(CohortInvitation).count() == 2
