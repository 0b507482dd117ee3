"""An instructor creates a cohort, imports a CSV roster (which invites), assigns a module, a learner
accepts through their invitation link, and the instructor reads the matrix."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.test_browser import _assert_accessible, _log_in, _log_out
from tests.factories import PASSWORD, make_user

ROSTER = (
    "full name,e-mail,organisation type,organisation,job title,province,district\n"
    "Bilal Ahmed,bilal@example.org,police,Police Training College,ASI,Balochistan,Quetta\n"
    "Sana Baloch,sana@example.org,Police,Police Training College,ASI,Balochistan,Quetta\n"
)


def _days_from_today(days: int) -> str:
    """A date the form accepts, relative to the server's clock (the tests run on any day)."""
    from datetime import date, timedelta

    return (date.today() + timedelta(days=days)).isoformat()


def test_cohort_roster_assignment_matrix(page: Page, live_server: str):
    make_user(role="instructor", email="trainer@example.org")
    make_user(email="bilal@example.org", full_name="Bilal Ahmed")  # Sana has no account
    _log_in(page, live_server, "trainer@example.org")
    page.get_by_role("link", name="Teaching").click()
    page.get_by_role("link", name="Cohorts").click()
    page.get_by_role("link", name="Create a cohort").click()
    page.get_by_label("Cohort name").fill("ASI batch 14")
    page.get_by_label("Course").select_option(label="Demo Course")
    page.get_by_label("Start date").fill(_days_from_today(-30))
    page.get_by_label("End date").fill(_days_from_today(180))
    page.get_by_role("button", name="Create the cohort").click()
    expect(page.locator(".flash")).to_contain_text("join code")
    _assert_accessible(page, "cohort page")

    page.get_by_label("CSV file").set_input_files(
        {"name": "roster.csv", "mimeType": "text/csv", "buffer": ROSTER.encode()}
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the roster")
    _assert_accessible(page, "roster preview")
    confirms = []
    page.on("request", lambda r: confirms.append(r) if r.url.endswith("/confirm") else None)
    page.get_by_role("button", name="Import all 2 rows").dblclick()  # sent once: its answer stays
    expect(page.get_by_role("heading", level=1)).to_have_text("Roster imported")
    links = page.locator("table.links tbody tr")
    expect(links).to_have_count(2)  # a link for each row, whether or not it has an account
    expect(links.locator("code")).to_have_count(2)
    assert len(confirms) == 1
    _assert_accessible(page, "roster imported, with invitation links")
    bilal_link = links.filter(has_text="bilal@example.org").locator("code").inner_text()

    page.get_by_role("link", name="ASI batch 14").click()
    expect(page.locator("ul.invitations li")).to_have_count(2)
    page.get_by_label("What to finish").select_option(label="Module 1: Basics")
    page.get_by_label("Due date").fill(_days_from_today(30))  # not overdue, whatever today is
    page.get_by_role("button", name="Save the assignment").click()
    expect(page.locator(".flash")).to_contain_text("assignment is saved")
    page.get_by_role("link", name="Progress matrix").click()
    expect(page.locator("table.matrix tbody tr")).to_have_count(0)  # nobody has accepted yet
    expect(page.locator(".waiting")).to_contain_text("2 people invited, not yet accepted")
    matrix_url = page.url
    _log_out(page)

    # Bilal opens his link (on the server's own address), logs in and accepts
    page.goto(live_server + bilal_link.removeprefix("http://127.0.0.1:5000"))
    expect(page.locator("main h2")).to_have_text("ASI batch 14")
    _assert_accessible(page, "invitation link, before logging in")
    page.locator("main").get_by_role("link", name="Log in").click()
    page.get_by_label("E-mail").fill("bilal@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invitation to a cohort")
    _assert_accessible(page, "invitation link, logged in")
    page.get_by_role("button", name="Accept").click()
    expect(page.locator(".flash")).to_contain_text("You have joined ASI batch 14")
    _log_out(page)

    _log_in(page, live_server, "trainer@example.org")
    page.goto(matrix_url)
    rows = page.locator("table.matrix tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Bilal Ahmed")
    expect(rows.first).to_contain_text("not started")
    expect(page.locator(".waiting")).to_contain_text("1 person invited, not yet accepted")
    _assert_accessible(page, "progress matrix")


def test_grant_one_more_quiz_attempt_on_a_phone(page: Page, live_server: str):
    from lms.extensions import db
    from tests.factories import make_cohort
    from tests.web.test_quiz_grants import use_attempts

    page.set_viewport_size({"width": 360, "height": 740})
    trainer = make_user(role="instructor", email="grants@example.org")
    learner = make_user(email="out-of-tries@example.org", full_name="Sana Baloch")
    make_cohort(trainer, [learner])
    use_attempts(learner, 2)
    url = f"{live_server}/teach/courses/demo/learners/{learner.id}"
    db.session.close()  # no transaction of the test's own open while the server writes
    _log_in(page, live_server, "grants@example.org")
    page.goto(url)
    _assert_accessible(page, "learner page with a quiz to grant")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="Allow one more attempt").click()
    expect(page.locator(".flash")).to_contain_text(
        "Sana Baloch may take the Module 2 quiz once more"
    )
    _log_out(page)
    _log_in(page, live_server, "out-of-tries@example.org")
    page.goto(f"{live_server}/courses/demo/02-practice/quiz")
    expect(page.locator(".granted")).to_have_text(
        "Your instructor has allowed you one more attempt."
    )
    _assert_accessible(page, "quiz overview with a granted attempt")
    expect(page.get_by_role("button", name="Try again")).to_be_visible()


def test_an_invited_learner_accepts_on_their_dashboard(page: Page, live_server: str):
    make_user(role="instructor", email="trainer@example.org")
    make_user(role="learner", email="amina@example.org", full_name="Amina Khan")
    _log_in(page, live_server, "trainer@example.org")
    page.goto(f"{live_server}/teach/cohorts/new")
    page.get_by_label("Cohort name").fill("NGO batch 3")
    page.get_by_label("Course").select_option(label="Demo Course")
    page.get_by_label("Start date").fill(_days_from_today(-30))
    page.get_by_label("End date").fill(_days_from_today(180))
    page.get_by_role("button", name="Create the cohort").click()
    cohort_url = page.url
    page.get_by_label("E-mail addresses, one per line").fill("amina@example.org")
    page.get_by_role("button", name="Send the invitations").click()
    expect(page.locator(".flash")).to_contain_text("Invitations are sent")
    expect(page.locator("ul.invitations li")).to_contain_text("amina@example.org")
    expect(page.locator("main")).not_to_contain_text("Amina Khan")
    _assert_accessible(page, "cohort page with an invitation")
    _log_out(page)

    _log_in(page, live_server, "amina@example.org")
    page.goto(f"{live_server}/dashboard")
    invitation = page.locator(".invitation")
    expect(invitation).to_contain_text("NGO batch 3")
    _assert_accessible(page, "dashboard with an invitation")
    invitation.get_by_role("button", name="Accept").click()
    expect(page.locator(".flash")).to_contain_text("You have joined NGO batch 3")
    _log_out(page)

    _log_in(page, live_server, "trainer@example.org")
    page.goto(cohort_url)
    expect(page.locator("ul.members li")).to_contain_text("Amina Khan")


def test_bulk_issuing_leads_to_a_job_page_that_follows_the_job(page: Page, live_server: str):
    """The matrix's bulk issuing lands on the job's page; a job still running there is followed
    by static/js/job.js (no inline script under the CSP) until its result shows."""
    from lms.extensions import db
    from lms.models.jobs import Job
    from lms.services import jobs
    from tests.factories import NOW, make_cohort

    trainer = make_user(role="instructor", email="issuer@example.org")
    cohort = make_cohort(trainer, [make_user(full_name="Behind Learner")], name="ASI batch 15")
    cohort_id = cohort.id
    running = jobs.create(db.session, jobs.EXPORT_MATRIX, by=trainer.id, total=4,
                          arguments={"cohort": cohort_id, "label": "ASI batch 15"}, now=NOW)  # fmt: skip
    running.state, running.done = "running", 1
    db.session.commit()
    running_id = running.id
    db.session.close()  # no transaction of the test's own open while the server writes
    _log_in(page, live_server, "issuer@example.org")
    page.goto(f"{live_server}/teach/cohorts/{cohort_id}/matrix")
    page.get_by_role("button", name="Issue certificates to every eligible learner").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Issuing certificates")
    expect(page.locator(".job-result")).to_contain_text("0 certificates issued")
    expect(page.locator(".job-result")).to_contain_text("1 learner is not eligible yet")
    _assert_accessible(page, "job page, done")

    page.goto(f"{live_server}/jobs/{running_id}")
    expect(page.locator("section.job progress")).to_have_attribute("value", "1")
    _assert_accessible(page, "job page, running")
    db.session.execute(
        Job.__table__.update()
        .where(Job.id == running_id)
        .values(done=3, file_name="x.csv", file_type="text/csv", file_data=b"Name\r\n")
    )
    db.session.commit()
    expect(page.locator("section.job progress")).to_have_attribute("value", "3", timeout=15_000)
    db.session.execute(
        Job.__table__.update().where(Job.id == running_id).values(state="done", result={"rows": 3})
    )
    db.session.commit()
    db.session.close()
    expect(page.get_by_role("link", name="Download the progress CSV")).to_be_visible(timeout=15_000)


def test_the_certificates_zip_in_urdu_from_the_matrix(page: Page, live_server: str):
    """The instructor picks Urdu in the matrix's form; the job's page (inline here, no Redis)
    offers the ZIP, which holds the Urdu PDFs under their serials."""
    import zipfile

    from lms.extensions import db
    from tests.factories import make_certificate, make_cohort

    trainer = make_user(role="instructor", email="zipper@example.org")
    holder = make_user(full_name="Bilal Ahmed")
    certificate = make_certificate(holder)
    cohort = make_cohort(trainer, [holder], name="ASI batch 16")
    cohort_id, serial = cohort.id, certificate.serial
    db.session.close()
    _log_in(page, live_server, "zipper@example.org")
    page.goto(f"{live_server}/teach/cohorts/{cohort_id}/matrix")
    page.get_by_label("Language of the certificates").select_option("ur")
    page.get_by_role("button", name="Prepare every certificate (ZIP of PDFs)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Preparing the certificates (ZIP of PDFs)"
    )
    expect(page.locator(".job-result")).to_contain_text("Each certificate is in Urdu.")
    _assert_accessible(page, "certificates ZIP job, done")
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download the certificates (ZIP)").click()
    with zipfile.ZipFile(waiting.value.path()) as archive:
        names = archive.namelist()
    assert names == [f"{serial}-Bilal_Ahmed-ur.pdf"]
