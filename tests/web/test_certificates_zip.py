"""A cohort's certificates as one ZIP of PDFs, prepared by a job: the language the instructor
chooses (English, Urdu or both on one page), safe file names, revoked and outside certificates
left out, a result kept on the job row (so it survives a worker restart), and a file that only the
instructor who asked for it may download.

Without Redis the job runs inline, in the request that starts it; with ``LMS_TEST_REDIS_URL`` an RQ
worker runs it as in production.
"""

from __future__ import annotations

import io
import zipfile

import pypdf
import pytest

from lms.certificates.view import NAME_IN_FILE, pdf_file_name
from lms.extensions import db
from lms.models.jobs import Job
from lms.models.users import User
from lms.services import access, cohorts, jobs
from tests.conftest import soup
from tests.factories import NOW, make_certificate, make_cohort, make_user
from tests.pdftext import missing_urdu
from tests.web.test_jobs import REDIS_URL, _context, _job, _job_id, redis_queue  # noqa: F401


@pytest.fixture
def cohort(instructor):
    members = [
        make_user(full_name="Amina Khan"),
        make_user(full_name="آمنہ خان"),
        make_user(full_name="José Müller"),
        make_user(full_name="Revoked Person"),
        make_user(full_name="No Certificate"),
    ]
    cohort = make_cohort(instructor, members, name="Quetta cadets")
    for member in members[:3]:
        make_certificate(member)
    make_certificate(members[3], revoked_at=NOW, revoked_by=instructor.id, revoked_reason="wrong")
    make_certificate(make_user(full_name="Outsider"))  # not a member of the cohort
    return cohort


def held_serials(cohort) -> dict[str, str]:
    """{holder's name: serial} of the cohort's members' certificates that are not revoked."""
    from lms.models.certificates import Certificate

    members = cohorts.member_ids(db.session, cohort)
    return {
        c.name: c.serial
        for c in db.session.query(Certificate).filter(Certificate.user_id.in_(members))
        if not c.revoked
    }


def prepare(client, cohort, language: str, **extra) -> int:
    return _job_id(
        client.post(
            f"/teach/cohorts/{cohort.id}/certificates.zip", data={"language": language, **extra}
        )  # fmt: skip
    )


def archive_of(client, job_id: int) -> zipfile.ZipFile:
    page = soup(client.get(f"/jobs/{job_id}"))
    link = page.select_one("a.button[download]")
    assert link is not None, page.select_one("main").get_text(" ", strip=True)
    response = client.get(link["href"])
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "private, no-store"
    return zipfile.ZipFile(io.BytesIO(response.data))


def text_of(archive: zipfile.ZipFile, name: str) -> str:
    return " ".join(pypdf.PdfReader(io.BytesIO(archive.read(name))).pages[0].extract_text().split())


# --- the form and the job ---------------------------------------------------------------------------
def test_the_matrix_offers_the_three_languages_in_a_posted_form(
    client, instructor, login_as, cohort
):
    login_as(instructor)
    page = soup(client.get(f"/teach/cohorts/{cohort.id}/matrix"))
    form = page.select_one("form.certificates-zip")
    assert (
        form["method"] == "post"
        and form["action"] == f"/teach/cohorts/{cohort.id}/certificates.zip"
    )
    assert form.select_one("input[name=csrf_token]") is not None
    select = form.select_one("select[name=language]")
    label = form.select_one(f"label[for={select['id']}]")
    assert label.get_text(strip=True) == "Language of the certificates"
    options = {o["value"]: o for o in select.select("option")}
    assert list(options) == ["en", "ur", "both"]
    assert options["ur"].get_text() == "اردو" and options["ur"]["lang"] == "ur"
    assert options["en"].has_attr("selected")  # the page's language
    assert not page.select(f"a[href$='/cohorts/{cohort.id}/certificates.zip']")  # no GET link


def test_the_english_zip_is_made_by_a_job_with_safe_names(client, instructor, login_as, cohort):
    login_as(instructor)
    job_id = prepare(client, cohort, "en")
    job = _job(job_id)
    assert (job.kind, job.state, job.started_by) == ("certificates-zip", "done", instructor.id)
    assert (job.done, job.total) == (3, 3)
    assert job.result == {"certificates": 3, "language": "en"}
    assert job.file_name == f"cohort-{cohort.id}-certificates.zip"
    page = soup(client.get(f"/jobs/{job_id}"))
    assert page.select_one("h1").get_text() == "Preparing the certificates (ZIP of PDFs)"
    result = " ".join(page.select_one(".job-result").get_text().split())
    assert "The ZIP is ready: 3 certificates of Quetta cadets." in result
    assert "Each certificate is in English." in result
    assert page.select_one(".job-result bdi").get_text() == "Quetta cadets"
    serials = held_serials(cohort)
    archive = archive_of(client, job_id)
    assert sorted(archive.namelist()) == sorted([
        f"{serials['Amina Khan']}-Amina_Khan.pdf",
        f"{serials['آمنہ خان']}.pdf",  # Urdu script leaves nothing: the serial alone
        f"{serials['José Müller']}-Jose_Muller.pdf",
    ])  # fmt: skip
    for name in archive.namelist():
        text = text_of(archive, name)
        assert "This certifies that" in text and name[:16] in text


@pytest.mark.parametrize(
    ("language", "suffix", "english", "urdu"),
    [("ur", "-ur", False, True), ("both", "-en-ur", True, True)],
)
def test_the_zip_in_urdu_or_both(
    client, instructor, login_as, cohort, language, suffix, english, urdu
):
    login_as(instructor)
    job_id = prepare(client, cohort, language)
    assert _job(job_id).file_name == f"cohort-{cohort.id}-certificates{suffix}.zip"
    archive = archive_of(client, job_id)
    serial = held_serials(cohort)["Amina Khan"]
    name = f"{serial}-Amina_Khan{suffix}.pdf"
    assert name in archive.namelist() and len(archive.namelist()) == 3
    text = text_of(archive, name)
    assert ("This certifies that" in text) == english
    assert (missing_urdu(text, "تصدیق کی جاتی ہے کہ") == "") == urdu


def test_the_urdu_page_names_the_result_in_urdu_and_defaults_to_urdu(
    client, instructor, login_as, cohort
):
    instructor.locale = "ur"
    db.session.commit()
    login_as(instructor)
    page = soup(client.get(f"/teach/cohorts/{cohort.id}/matrix"))
    assert page.select_one("select[name=language] option[selected]")["value"] == "ur"


def test_a_cohort_without_certificates_says_so_and_offers_no_file(client, instructor, login_as):
    empty = make_cohort(instructor, [make_user()], name="New cohort")
    login_as(instructor)
    job_id = prepare(client, empty, "en")
    job = _job(job_id)
    assert job.state == "done" and job.file_name is None and job.result["certificates"] == 0
    page = soup(client.get(f"/jobs/{job_id}"))
    assert "nothing to put in a ZIP" in page.select_one(".job-result").get_text(" ", strip=True)
    assert page.select_one("a[download]") is None


# --- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "data",
    [{}, {"language": ""}, {"language": "fr"}, {"language": "UR"}, {"language": "en\x00"},
     {"language": "ur "}, {"language": "x" * 5000},
     {"language": "٣"}, {"language": "both;"}],
    ids=["none", "empty", "fr", "upper", "nul", "space", "long", "digit", "tail"],
)  # fmt: skip
def test_a_bad_language_is_a_clear_400_and_starts_nothing(
    client, instructor, login_as, cohort, data
):
    login_as(instructor)
    response = client.post(f"/teach/cohorts/{cohort.id}/certificates.zip", data=data)
    assert response.status_code == 400
    message = soup(response).select_one("main").get_text(" ", strip=True)
    assert "language" in message.lower() or "choice" in message.lower()
    assert db.session.query(Job).count() == 0


def test_the_language_sent_twice_is_the_first_as_in_every_form(
    client, instructor, login_as, cohort
):
    login_as(instructor)
    job_id = prepare(client, cohort, ["ur", "en"])
    assert _job(job_id).arguments["language"] == "ur"


def test_without_a_csrf_token_nothing_starts(client, instructor, login_as, cohort):
    login_as(instructor)
    response = client.post(f"/teach/cohorts/{cohort.id}/certificates.zip",
                           data={"language": "en"}, csrf=False)  # fmt: skip
    assert response.status_code == 400 and db.session.query(Job).count() == 0


def test_the_old_get_address_no_longer_makes_a_zip_in_the_request(
    client, instructor, login_as, cohort
):
    login_as(instructor)
    assert client.get(f"/teach/cohorts/{cohort.id}/certificates.zip").status_code == 405
    assert db.session.query(Job).count() == 0


@pytest.mark.parametrize(
    "name",
    [
        "Amina Khan",
        "آمنہ خان",
        "José Müller",
        "../../etc/passwd",
        "a/b\\c",
        "CON",
        "  ",
        "",
        "Zainab\u202eexe.pdf",
        "x" * 300,
        "Ali\x00Raza",
        "محمد Ali",
    ],
)
def test_file_names_are_the_serial_and_ascii_only(name):
    for language, suffix in (("en", ""), ("ur", "-ur"), ("both", "-en-ur")):
        file_name = pdf_file_name("DEMO-2026-000001", name, language)
        assert file_name.startswith("DEMO-2026-000001") and file_name.endswith(f"{suffix}.pdf")
        assert file_name.isascii() and file_name.isprintable()
        assert "/" not in file_name and "\\" not in file_name and ".." not in file_name
        assert len(file_name) <= len("DEMO-2026-000001-") + NAME_IN_FILE + len("-en-ur.pdf")


# --- who may see it -----------------------------------------------------------------------------
def test_only_the_instructor_who_asked_may_see_or_download_it(client, instructor, login_as, cohort):
    login_as(instructor)
    job_id = prepare(client, cohort, "en")
    job = _job(job_id)
    download = f"/jobs/{job_id}/{job.file_name}"
    assert client.get(download).status_code == 200
    co = make_user(role="instructor")
    client.post(f"/teach/cohorts/{cohort.id}/instructors", data={"email": co.email})
    others = {
        "co-instructor": co,
        "another instructor": make_user(role="instructor"),
        "administrator": make_user(role="admin"),
        "a member of the cohort": db.session.get(User, cohorts.member_ids(db.session, cohort)[0]),
    }
    for who, user in others.items():
        login_as(user)
        for url in (f"/jobs/{job_id}", f"/jobs/{job_id}.json", download):
            assert client.get(url).status_code == 404, (who, url)
    client.post("/logout")
    assert client.get(download).status_code == 302  # to the login page
    assert client.get(f"/jobs/{job_id}.json").status_code == 401
    assert jobs.CERTIFICATES_ZIP in access.STARTER_ONLY_JOBS


def test_an_administrators_own_zip_job_is_theirs(client, admin, instructor, login_as, cohort):
    login_as(admin)
    job_id = prepare(client, cohort, "both")
    assert client.get(f"/jobs/{job_id}/{_job(job_id).file_name}").status_code == 200
    login_as(instructor)  # who teaches the cohort, but did not ask
    assert client.get(f"/jobs/{job_id}").status_code == 404


# --- idempotent, and kept on the row -----------------------------------------------------------
def test_asking_again_while_it_waits_leads_to_the_same_job(client, instructor, login_as, cohort):
    key = f"certificates-zip:{cohort.id}:ur:{instructor.id}"
    arguments = {"cohort": cohort.id, "label": cohort.name, "language": "ur"}
    waiting = jobs.create(db.session, jobs.CERTIFICATES_ZIP, by=instructor.id, key=key, now=NOW,
                          arguments=arguments)  # fmt: skip
    db.session.commit()
    login_as(instructor)
    assert prepare(client, cohort, "ur") == waiting.id
    assert db.session.query(Job).count() == 1
    other = prepare(client, cohort, "en")  # another language is another ZIP
    assert other != waiting.id and _job(other).state == "done"


def test_two_requests_at_the_same_moment_make_one_job(
    client, instructor, login_as, cohort, monkeypatch
):
    """Both looked for a waiting job and found none; the second one's insert meets the key."""
    key = f"certificates-zip:{cohort.id}:en:{instructor.id}"
    other = jobs.create(db.session, jobs.CERTIFICATES_ZIP, by=instructor.id, key=key, now=NOW,
                        arguments={"cohort": cohort.id, "label": "x", "language": "en"})  # fmt: skip
    db.session.commit()
    real, calls = jobs.find_by_key, []

    def find_by_key(session, wanted):
        calls.append(wanted)
        return None if len(calls) == 1 else real(session, wanted)  # the first look finds none

    monkeypatch.setattr(jobs, "find_by_key", find_by_key)
    login_as(instructor)
    assert prepare(client, cohort, "en") == other.id
    assert calls == [key, key] and db.session.query(Job).count() == 1


def test_a_run_that_crashed_half_way_runs_again_to_the_same_file(
    app, client, instructor, login_as, cohort, monkeypatch
):
    login_as(instructor)
    job_id = prepare(client, cohort, "en")
    first = _job(job_id)
    names, data = zipfile.ZipFile(io.BytesIO(first.file_data)).namelist(), first.file_data
    # as if the worker died half-way: the row is "running", part done, no file yet
    first.state, first.done, first.file_data, first.file_name = "running", 1, None, None
    db.session.commit()
    monkeypatch.setattr(jobs, "PDF_STEP", 1)
    jobs.run(db.session, _context(), job_id)
    again = _job(job_id)
    assert (again.state, again.done, again.total, again.runs) == ("done", 3, 3, 2)
    assert zipfile.ZipFile(io.BytesIO(again.file_data)).namelist() == names
    assert len(again.file_data) == len(data)
    jobs.run(db.session, _context(), job_id)  # a done job is left alone
    assert _job(job_id).runs == 2


def test_a_teacher_who_lost_the_cohort_gets_a_reason_not_a_file(
    client, instructor, login_as, cohort
):
    from lms.models.cohorts import CohortInstructor

    job = jobs.create(db.session, jobs.CERTIFICATES_ZIP, by=instructor.id, now=NOW,
                      arguments={"cohort": cohort.id, "label": cohort.name, "language": "en"})  # fmt: skip
    db.session.query(CohortInstructor).filter_by(user_id=instructor.id).delete()
    db.session.commit()
    jobs.run(db.session, _context(), job.id)
    failed = _job(job.id)
    assert failed.state == "failed" and failed.file_data is None
    assert "no longer teach it" in failed.error


def test_an_rq_worker_makes_the_zip_and_the_page_offers_it_after_a_restart(
    app,
    client,
    instructor,
    login_as,
    cohort,
    redis_queue,  # noqa: F811
):
    from rq import SimpleWorker

    import lms.jobs

    login_as(instructor)
    job_id = prepare(client, cohort, "ur")
    assert _job(job_id).state == "queued" and redis_queue.count == 1
    page = soup(client.get(f"/jobs/{job_id}"))
    assert page.select_one("progress") is not None and page.select_one("a[download]") is None
    db.session.commit()
    assert lms.jobs.run_worker(app, burst=True, worker_class=SimpleWorker) is True
    # the worker is gone (burst); the file is on the row, not in the worker or in Redis
    redis_queue.connection.flushdb()
    archive = archive_of(client, job_id)
    assert len(archive.namelist()) == 3
    assert all(name.endswith("-ur.pdf") for name in archive.namelist())
