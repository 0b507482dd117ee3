"""Cohorts: join codes, members, CSV rosters, assignments, the progress matrix, administration."""

from __future__ import annotations

import contextlib
import io
import re
from datetime import date, timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from sqlalchemy import event, select

from lms.extensions import db
from lms.models.cohorts import AuditEvent, Cohort, CohortInvitation, CohortMember, RosterUpload
from lms.models.enrolment import Enrolment
from lms.models.hours import HoursAdjustment
from lms.models.users import User
from lms.services import clock, cohorts, ledger, quizzes, roster
from tests.conftest import soup
from tests.factories import NOW, PASSWORD, enrol, make_cohort, make_user
from tests.services.test_certificates import adjust, online, quiz

HEADER = "full name,e-mail,organisation type,organisation,job title,province,district\n"


@pytest.fixture
def today(monkeypatch):
    def set_to(day: date):
        monkeypatch.setattr(
            clock, "now", lambda: NOW.replace(year=day.year, month=day.month, day=day.day)
        )

    set_to(date(2026, 3, 10))
    return set_to


def test_instructor_creates_a_cohort_and_a_learner_joins_by_code(
    client, instructor, learner, login_as, today
):
    login_as(instructor)
    response = client.post("/teach/cohorts/new", data={
        "name": "ASI batch 14", "course": "demo", "starts_on": "2026-03-01", "ends_on": "2026-04-30",
        "organisation": "",
    })  # fmt: skip
    assert response.status_code == 302
    cohort = db.session.query(Cohort).one()
    page = soup(client.get(response.headers["Location"]))
    assert page.select_one(".join-code").get_text() == cohort.join_code
    login_as(learner)
    typed = cohort.join_code.lower()[:4] + " " + cohort.join_code.lower()[4:]
    assert client.post("/join", data={"code": typed}).status_code == 302
    assert db.session.query(CohortMember).filter_by(user_id=learner.id).count() == 1
    assert (
        db.session.query(Enrolment).filter_by(user_id=learner.id, course_slug="demo").count() == 1
    )


def test_wrong_and_expired_join_codes(client, instructor, learner, login_as, today):
    cohort = make_cohort(instructor, ends_on=date(2026, 3, 31))
    login_as(learner)
    response = client.post("/join", data={"code": "NOPE1234"})
    assert (
        response.status_code == 400 and "No cohort has this join code" in soup(response).get_text()
    )
    today(date(2026, 4, 1))
    response = client.post("/join", data={"code": cohort.join_code})
    assert response.status_code == 400 and "ended on 31 March 2026" in soup(response).get_text()
    assert db.session.query(CohortMember).count() == 0


def test_someone_without_an_account_registers_and_comes_back(client):
    page = soup(client.get("/join", query_string={"code": "ABCD1234"}))
    assert (
        page.select_one("main").find("a", string="Register")["href"]
        == "/register?next=/join?code%3DABCD1234"
    )


def _flashes(page) -> list[str]:
    return [f.get_text(" ", strip=True) for f in page.select(".flash")]


def test_an_instructor_only_invites_and_the_answer_is_the_same_with_or_without_an_account(
    client, instructor, learner, login_as
):
    with_account, without_account = make_cohort(instructor), make_cohort(instructor)
    login_as(instructor)
    answers = []
    for cohort, email in (
        (with_account, learner.email.upper()),
        (without_account, "nobody@example.org"),
    ):
        response = client.post(f"/teach/cohorts/{cohort.id}/members", data={"emails": email})
        assert response.status_code == 302
        page = soup(client.get(response.headers["Location"]))
        invited = [
            li.select_one(".invited-email").get_text() for li in page.select("ul.invitations li")
        ]
        assert invited == [email.lower()]
        assert page.select("ul.members li") == []
        answers.append(_flashes(page))
    assert answers[0] == answers[1] and answers[0]
    assert db.session.query(CohortMember).count() == 0
    assert db.session.query(Enrolment).count() == 0  # not even enrolled before accepting


def test_malformed_addresses_refuse_the_whole_list(client, instructor, learner, login_as):
    cohort = make_cohort(instructor)
    login_as(instructor)
    response = client.post(
        f"/teach/cohorts/{cohort.id}/members", data={"emails": f"{learner.email}\nnot-an-address"}
    )
    assert response.status_code == 400
    assert "not-an-address" in soup(response).select_one("#emails-error").get_text()
    assert db.session.query(CohortInvitation).count() == 0


def test_an_administrator_adds_people_who_have_an_account_all_or_none(
    client, instructor, admin, learner, login_as
):
    cohort = make_cohort(instructor)
    login_as(admin)
    url = f"/teach/cohorts/{cohort.id}/members"
    response = client.post(url, data={"emails": f"{learner.email}\nnobody@example.org"})
    assert response.status_code == 400
    assert db.session.query(CohortMember).count() == 0
    assert client.post(url, data={"emails": learner.email.upper()}).status_code == 302
    assert db.session.query(CohortMember).one().user_id == learner.id
    assert db.session.query(CohortInvitation).count() == 0


def _invite(client, cohort, email):
    response = client.post(f"/teach/cohorts/{cohort.id}/members", data={"emails": email})
    assert response.status_code == 302
    return db.session.query(CohortInvitation).filter_by(cohort_id=cohort.id, email=email).one().id


def test_the_learner_accepts_and_only_then_the_instructor_sees_them(
    client, instructor, learner, make_user, login_as, today
):
    theirs = make_cohort(make_user(role="instructor"), [learner], name="Their cohort")
    mine = make_cohort(instructor, name="Takeover cohort")
    login_as(instructor)
    invitation = _invite(client, mine, learner.email)
    learner_page = f"/teach/courses/demo/learners/{learner.id}"
    assert client.get(learner_page).status_code == 404
    adjustment = {"module": "demo/01-basics", "minutes": "30", "reason": "Not really there"}
    assert client.post(f"{learner_page}/adjustments", data=adjustment).status_code == 404
    assert learner.full_name not in soup(client.get(f"/teach/cohorts/{mine.id}")).get_text()
    assert learner.full_name not in client.get(f"/teach/cohorts/{mine.id}/matrix.csv").get_data(
        as_text=True
    )

    login_as(learner)
    item = soup(client.get("/dashboard")).select_one(".invitation")
    assert "Takeover cohort" in item.get_text() and item.find("button", string="Accept")
    assert db.session.query(HoursAdjustment).count() == 0
    response = client.post(f"/invitations/{invitation}/accept")
    assert response.status_code == 302
    assert {m.cohort_id for m in db.session.query(CohortMember)} == {theirs.id, mine.id}
    assert db.session.query(CohortInvitation).count() == 0
    assert soup(client.get("/dashboard")).select(".invitation") == []

    login_as(instructor)
    assert client.get(learner_page).status_code == 200
    members = soup(client.get(f"/teach/cohorts/{mine.id}")).select("ul.members li a")
    assert [a.get_text() for a in members] == [learner.full_name]


def test_the_learner_declines_and_the_cohort_cannot_pester_them(
    client, instructor, learner, login_as
):
    cohort = make_cohort(instructor)
    login_as(instructor)
    invitation = _invite(client, cohort, learner.email)
    login_as(learner)
    assert client.post(f"/invitations/{invitation}/decline").status_code == 302
    assert soup(client.get("/dashboard")).select(".invitation") == []
    assert client.post(f"/invitations/{invitation}/accept").status_code == 404
    login_as(instructor)
    client.post(f"/teach/cohorts/{cohort.id}/members", data={"emails": learner.email})
    row = soup(client.get(f"/teach/cohorts/{cohort.id}")).select_one("ul.invitations li")
    assert "declined" in row.get_text()
    assert db.session.query(CohortInvitation).one().declined_at is not None
    assert db.session.query(CohortMember).count() == 0


def test_an_instructor_withdraws_an_invitation(client, instructor, learner, make_user, login_as):
    cohort = make_cohort(instructor)
    login_as(instructor)
    invitation = _invite(client, cohort, learner.email)
    login_as(make_user(role="instructor"))  # not theirs to withdraw
    url = f"/teach/cohorts/{cohort.id}/invitations/{invitation}/withdraw"
    assert client.post(url).status_code == 404
    login_as(instructor)
    assert client.post(url).status_code == 302
    assert db.session.query(CohortInvitation).count() == 0
    login_as(learner)
    assert client.post(f"/invitations/{invitation}/accept").status_code == 404
    assert db.session.query(CohortMember).count() == 0


def test_only_the_invited_address_may_answer_and_an_ended_cohort_refuses(
    client, instructor, learner, make_user, login_as, today
):
    cohort = make_cohort(instructor, ends_on=date(2026, 3, 31))
    login_as(instructor)
    invitation = _invite(client, cohort, learner.email)
    login_as(make_user())
    assert client.post(f"/invitations/{invitation}/accept").status_code == 404
    assert client.post(f"/invitations/{invitation}/decline").status_code == 404
    login_as(learner)
    today(date(2026, 4, 1))
    response = client.post(f"/invitations/{invitation}/accept")
    assert response.status_code == 409 and "ended on 31 March 2026" in soup(response).get_text()
    assert db.session.query(CohortMember).count() == 0


def test_an_invitation_waits_for_someone_who_registers_later(client, instructor, login_as):
    cohort = make_cohort(instructor, name="Later cohort")
    login_as(instructor)
    _invite(client, cohort, "newcomer@example.org")
    client.post("/logout")
    newcomer = make_user(email="newcomer@example.org")
    login_as(newcomer)
    item = soup(client.get("/dashboard")).select_one(".invitation")
    assert "Later cohort" in item.get_text()


def test_joining_by_code_settles_an_invitation(client, instructor, learner, login_as, today):
    cohort = make_cohort(instructor)
    login_as(instructor)
    _invite(client, cohort, learner.email)
    login_as(learner)
    assert client.post("/join", data={"code": cohort.join_code}).status_code == 302
    assert db.session.query(CohortInvitation).count() == 0
    assert db.session.query(CohortMember).one().user_id == learner.id


# --- CSV rosters -----------------------------------------------------------------------------------
def upload(client, cohort, content: bytes, name: str = "roster.csv"):
    return client.post(
        f"/teach/cohorts/{cohort.id}/roster", data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("Amina Khan,amina@example,ngo,,,Sindh,\n", "invalid e-mail"),
        ("Amina Khan,amina@example.org,ngo,,,Sindhh,\n", "unknown province 'Sindhh'"),
        ("Amina Khan,amina@example.org,bank,,,Sindh,\n", "unknown organisation type 'bank'"),
        (",amina@example.org,ngo,,,Sindh,\n", "no full name"),
        ("Amina Khan,amina@example.org,ngo,,,Sindh\n", "6 values for 7 columns"),
        ("Amina Khan,amina@example.org,ngo,,,Sindh,\nA Khan,AMINA@example.org,ngo,,,Sindh,\n",
         "is also on line 2"),
    ],
)  # fmt: skip
def test_every_kind_of_bad_row_is_shown_and_nothing_imported(
    client, instructor, login_as, rows, message
):
    cohort = make_cohort(instructor)
    login_as(instructor)
    preview = client.get(upload(client, cohort, (HEADER + rows).encode()).headers["Location"])
    assert preview.status_code == 400
    errors = [li.get_text() for li in soup(preview).select(".row-errors li")]
    assert any(message in e for e in errors), errors
    assert not soup(preview).find("button", string=lambda s: s and s.startswith("Import"))
    upload_id = db.session.query(RosterUpload).one().id
    assert client.post(f"/teach/cohorts/{cohort.id}/roster/{upload_id}/confirm").status_code == 400
    assert db.session.query(User).count() == 1


def test_missing_column_and_not_csv(client, instructor, login_as):
    cohort = make_cohort(instructor)
    login_as(instructor)
    preview = client.get(
        upload(client, cohort, b"name,mail\nA,b@example.org\n").headers["Location"]
    )
    assert (
        "Missing column(s): full name, email" in soup(preview).select_one(".row-errors").get_text()
    )
    response = upload(client, cohort, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.png")
    assert response.status_code == 400
    assert "not a CSV file" in soup(response).get_text()


@pytest.mark.parametrize(
    ("encoding", "name"),
    [("utf-8-sig", "Zoë Qureshi"), ("cp1252", "José D'Souza"), ("utf-8", "آمنہ خان")],
)
def test_encodings_from_spreadsheets(client, instructor, login_as, encoding, name):
    cohort = make_cohort(instructor)
    login_as(instructor)
    content = (
        HEADER + f"{name},person@example.org,NGO or community organisation,,,Punjab,Lahore\n"
    ).encode(encoding)
    location = upload(client, cohort, content).headers["Location"]
    assert client.get(location).status_code == 200
    response = client.post(f"{location}/confirm")
    assert response.status_code == 200
    assert soup(response).select_one("table.links td").get_text() == name
    assert db.session.query(CohortInvitation).one().email == "person@example.org"


def _masked(html: str, *emails: str) -> str:
    """A page with what differs between two rosters by design masked: the addresses, the cohort's
    id, the upload's id (SQLite may or may not reuse a deleted row's id) and the invitation links'
    tokens."""
    for email in emails:
        html = html.replace(email, "EMAIL")
    html = re.sub(r"/teach/cohorts/\d+", "/teach/cohorts/ID", html)
    html = re.sub(r"/roster/\d+", "/roster/ID", html)
    return re.sub(r"/invitations/[0-9]+\.[\w-]+", "/invitations/TOKEN", html)


def _next_of(href: str, path: str) -> str:
    parts = urlsplit(href)
    assert parts.path == path, href
    return parse_qs(parts.query)["next"][0]


def test_an_instructors_roster_invites_every_row_alike_with_or_without_an_account(
    client, instructor, learner, login_as, driver_statements
):
    """The import's page, its links and the pages they lead to are the same, byte for byte once the
    addresses are masked, for an address that has an account and one that has none; so is the work
    the database does (no account is looked up, created or hashed)."""
    with_account = make_cohort(instructor, name="ASI batch 14")
    without_account = make_cohort(instructor, name="ASI batch 14")
    login_as(instructor)
    pages, links, statements = [], [], []
    for cohort, email in ((with_account, learner.email), (without_account, "new@example.org")):
        content = HEADER + f"Bilal Ahmed,{email},police,Police College,ASI,Balochistan,Quetta\n"
        location = upload(client, cohort, content.encode()).headers["Location"]
        assert "account" not in soup(client.get(location)).select_one("table.preview").get_text()
        driver_statements.clear()
        response = client.post(f"{location}/confirm")
        statements.append(len(driver_statements))
        assert response.status_code == 200
        page = soup(response)
        cells = [td.get_text() for td in page.select("table.links tbody td")]
        assert cells[:2] == ["Bilal Ahmed", email]
        assert re.fullmatch(r"http://127\.0\.0\.1:5000/invitations/\d+\.[\w-]+", cells[2])
        pages.append(_masked(response.get_data(as_text=True), email))
        links.append(cells[2].removeprefix("http://127.0.0.1:5000"))
    assert pages[0] == pages[1]
    assert statements[0] == statements[1], statements
    assert db.session.query(User).count() == 2  # the instructor and the learner: nobody new
    assert db.session.query(CohortMember).count() == db.session.query(Enrolment).count() == 0
    invited = {(i.cohort_id, i.email) for i in db.session.query(CohortInvitation)}
    assert invited == {(with_account.id, learner.email), (without_account.id, "new@example.org")}
    assert db.session.query(RosterUpload).count() == 0  # the file is not kept

    # the cohort's page lists both alike, with their links; the matrix shows neither
    for cohort, email, link in zip(
        (with_account, without_account), (learner.email, "new@example.org"), links, strict=True
    ):
        item = soup(client.get(f"/teach/cohorts/{cohort.id}")).select_one("ul.invitations li")
        assert item.select_one(".invited-email").get_text() == email
        assert "invited" in item.get_text() and "not yet accepted" in item.get_text()
        assert item.select_one("code.invitation-link").get_text().endswith(link)
        matrix = soup(client.get(f"/teach/cohorts/{cohort.id}/matrix"))
        assert matrix.select("table.matrix tbody tr") == []
        assert "1 person invited, not yet accepted" in matrix.select_one(".waiting").get_text()
    # the links' pages, before logging in, say the same to everyone
    client.post("/logout")
    client.get("/")  # shows the "logged out" message
    answers = [client.get(link) for link in links]
    assert [a.status_code for a in answers] == [200, 200]
    assert _masked(answers[0].get_data(as_text=True), links[0]) == _masked(
        answers[1].get_data(as_text=True), links[1]
    )


def test_an_existing_learner_accepts_through_the_link_and_only_then_is_seen(
    client, instructor, learner, make_user, login_as, today
):
    make_cohort(make_user(role="instructor"), [learner])  # enrolled in the course elsewhere
    cohort = make_cohort(instructor, name="ASI batch 14")
    login_as(instructor)
    location = upload(client, cohort, (HEADER + f"A Name,{learner.email},ngo,,,Punjab,\n").encode())
    page = soup(client.post(f"{location.headers['Location']}/confirm"))
    link = page.select_one("table.links code").get_text().removeprefix("http://127.0.0.1:5000")
    learner_page = f"/teach/courses/demo/learners/{learner.id}"
    assert client.get(learner_page).status_code == 404
    assert learner.full_name not in client.get(f"/teach/cohorts/{cohort.id}/matrix.csv").get_data(
        as_text=True
    )
    assert learner.full_name not in soup(client.get(f"/teach/cohorts/{cohort.id}")).get_text()

    client.post("/logout")
    anonymous = soup(client.get(link))
    log_in = anonymous.select_one("main").find("a", string="Log in")["href"]
    assert _next_of(log_in, "/login") == link
    assert not anonymous.find("button", string="Accept")
    response = client.post(log_in, data={"email": learner.email, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == link
    page = soup(client.get(link))
    assert "ASI batch 14" in page.select_one("main").get_text()
    accept = page.find("button", string="Accept").find_parent("form")["action"]
    assert client.post(accept).status_code == 302
    assert db.session.query(CohortMember).filter_by(cohort_id=cohort.id).one().user_id == learner.id
    assert client.get(link).status_code == 404  # settled: the link is spent

    login_as(instructor)
    assert client.get(learner_page).status_code == 200
    rows = soup(client.get(f"/teach/cohorts/{cohort.id}/matrix")).select("table.matrix tbody tr")
    assert [r.select_one("th").get_text() for r in rows] == [learner.full_name]


def test_a_new_person_registers_through_the_link_and_accepts(client, instructor, login_as, today):
    cohort = make_cohort(instructor, name="ASI batch 14")
    login_as(instructor)
    content = HEADER + "Sana Baloch,sana@example.org,police,,,Balochistan,Quetta\n"
    location = upload(client, cohort, content.encode()).headers["Location"]
    page = soup(client.post(f"{location}/confirm"))
    link = page.select_one("table.links code").get_text().removeprefix("http://127.0.0.1:5000")
    client.post("/logout")

    register = soup(client.get(link)).select_one("main").find("a", string="Register")["href"]
    assert _next_of(register, "/register") == link
    response = client.post(register, data={
        "full_name": "Sana Baloch", "email": "sana@example.org", "password": "a long passphrase 7",
        "confirm": "a long passphrase 7", "organisation_type": "police", "organisation": "",
        "job_title": "", "province": "Balochistan", "district": "Quetta",
    })  # fmt: skip
    assert response.status_code == 302
    log_in = response.headers["Location"]
    assert _next_of(log_in, "/login") == link
    response = client.post(
        log_in, data={"email": "sana@example.org", "password": "a long passphrase 7"}
    )
    assert response.headers["Location"] == link
    accept = soup(client.get(link)).find("button", string="Accept").find_parent("form")["action"]
    assert client.post(accept).status_code == 302
    sana = db.session.query(User).filter_by(email="sana@example.org").one()
    assert db.session.query(CohortMember).filter_by(cohort_id=cohort.id).one().user_id == sana.id
    assert db.session.query(CohortInvitation).count() == 0


def test_an_invitation_link_answers_only_its_address_and_only_while_it_waits(
    client, instructor, learner, make_user, login_as
):
    cohort = make_cohort(instructor)
    login_as(instructor)
    content = HEADER + f"A,{learner.email},ngo,,,Punjab,\nB,other@example.org,ngo,,,Punjab,\n"
    location = upload(client, cohort, content.encode()).headers["Location"]
    page = soup(client.post(f"{location}/confirm"))
    mine, other = (
        code.get_text().removeprefix("http://127.0.0.1:5000")
        for code in page.select("table.links code")
    )
    login_as(make_user())  # logged in with another address: told so, no buttons
    page = soup(client.get(mine))
    assert "sent to an e-mail address other than" in page.get_text()
    assert not page.find("button", string="Accept")
    number, signature = mine.removeprefix("/invitations/").split(".")
    for tampered in (f"{int(number) + 1}.{signature}", f"{number}.{signature[:-2]}xx", number,
                     "1.x", "²." + signature):  # fmt: skip
        assert client.get(f"/invitations/{quote(tampered)}").status_code == 404
    login_as(learner)
    decline = soup(client.get(mine)).find("button", string="Decline").find_parent("form")
    assert client.post(decline["action"]).status_code == 302
    assert client.get(mine).status_code == 404  # declined
    login_as(instructor)
    invitation = db.session.query(CohortInvitation).filter_by(email="other@example.org").one()
    url = f"/teach/cohorts/{cohort.id}/invitations/{invitation.id}/withdraw"
    assert client.post(url).status_code == 302
    assert client.get(other).status_code == 404  # withdrawn
    # importing the roster again: the declined row says so, and nobody is invited twice
    location = upload(client, cohort, content.encode()).headers["Location"]
    cells = [
        [td.get_text() for td in tr.select("td")]
        for tr in soup(client.post(f"{location}/confirm")).select("table.links tbody tr")
    ]
    assert cells[0][2].startswith("Declined earlier") and "/invitations/" in cells[1][2]
    assert db.session.query(CohortInvitation).count() == 2


def test_import_is_all_or_nothing_when_it_fails_midway(
    client, instructor, admin, login_as, monkeypatch
):
    cohort = make_cohort(instructor)
    login_as(admin)  # an administrator's roster creates accounts and members
    content = HEADER + "".join(f"Person {i},p{i}@example.org,ngo,,,Sindh,\n" for i in range(20))
    location = upload(client, cohort, content.encode()).headers["Location"]
    real = roster.insert

    def fail_on_members(table):
        if getattr(table, "__tablename__", "") == "cohort_member":
            raise RuntimeError("the database went away")
        return real(table)

    monkeypatch.setattr(roster, "insert", fail_on_members)
    with pytest.raises(RuntimeError):  # in production: a 500 page, and the transaction rolled back
        client.post(f"{location}/confirm")
    db.session.rollback()
    assert db.session.query(User).count() == 2  # only the instructor and the administrator
    assert db.session.query(Enrolment).count() == 0


# --- assignments and the matrix -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("setup", "day", "expected"),
    [
        ("nothing", date(2026, 3, 10), cohorts.NOT_STARTED),
        ("some time", date(2026, 3, 10), cohorts.IN_PROGRESS),
        ("attempted", date(2026, 3, 10), cohorts.IN_PROGRESS),
        ("nothing", date(2026, 3, 16), cohorts.OVERDUE),
        ("done", date(2026, 3, 16), cohorts.COMPLETE),
    ],
)
def test_assignment_status_with_an_injected_clock(app, learner, setup, day, expected):
    enrol(learner, "demo")
    if setup == "some time":
        online(learner, "01-basics", 3)
    if setup == "attempted":
        quiz(learner, "01-basics", passed=False)
    if setup == "done":
        online(learner, "01-basics", 20)
        quiz(learner, "01-basics")
    course = app.extensions["lms.catalog"].course("demo")
    summary = ledger.course_hours(db.session, course, learner.id)
    results = quizzes.results(db.session, learner.id, "demo")
    passed = {m for m, r in results.items() if r.passed}
    status = cohorts.assignment_status(
        summary, passed, set(results), "01-basics", date(2026, 3, 15), day
    )
    assert status == expected


def test_dashboard_shows_assignments(client, instructor, learner, login_as, today):
    cohort = make_cohort(instructor, [learner])
    login_as(instructor)
    assert client.post(f"/teach/cohorts/{cohort.id}/assignments",
                       data={"module": "01-basics", "due_on": "2026-03-05"}).status_code == 302  # fmt: skip
    login_as(learner)
    item = soup(client.get("/dashboard")).select_one(".assignment")
    assert (
        "Module 1: Basics" in item.get_text() and item.select_one(".status").get_text() == "overdue"
    )


def test_matrix_numbers_equal_the_hours_service_and_queries_do_not_grow(
    app, client, instructor, login_as, today
):
    small = [make_user() for _ in range(3)]
    large = [make_user() for _ in range(30)]
    for i, person in enumerate(small + large):
        enrol(person, "demo")
        online(person, "01-basics", i % 12)
        adjust(person, "02-practice", 1 + i % 9)
    quiz(small[0], "01-basics")
    c_small, c_large = make_cohort(instructor, small), make_cohort(instructor, large)
    login_as(instructor)
    page = soup(client.get(f"/teach/cohorts/{c_small.id}/matrix"))
    course = app.extensions["lms.catalog"].course("demo")
    for row, person in zip(
        page.select("table.matrix tbody tr"), sorted(small, key=lambda p: p.full_name), strict=True
    ):
        expected = ledger.course_hours(db.session, course, person.id)
        cells = [td.contents[0].strip() for td in row.select("td")[:2]]
        assert cells == [str(m.credited_minutes) for m in expected.modules]
        assert row.select("td")[2].get_text() == f"{expected.credited_hours:.1f}"

    counts = []
    for cohort in (c_small, c_large, c_small):
        statements: list[str] = []

        def listener(conn, cursor, statement, *args, seen=statements):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", listener)
        client.get(f"/teach/cohorts/{cohort.id}/matrix")
        event.remove(db.engine, "before_cursor_execute", listener)
        counts.append(len(statements))
    assert counts[1] == counts[2], counts  # 30 learners cost what 3 do


def _crowd(instructor, n: int, name: str):
    """A cohort of ``n`` learners, inserted in bulk, with some time on the first module."""
    from sqlalchemy import insert

    from lms.models.hours import LessonCredit
    from tests.factories import _password_hash

    people = [dict(email=f"{name}{i}@example.org", full_name=f"{name.title()} {i:04d}",
                   password_hash=_password_hash(), role="learner", organisation_type="ngo",
                   organisation="", job_title="", province="Sindh", district="", active=True,
                   session_version=1, must_change_password=False, created_at=NOW)
              for i in range(n)]  # fmt: skip
    db.session.execute(insert(User), people)
    ids = list(
        db.session.scalars(
            select(User.id).where(User.email.like(f"{name}%@example.org")).order_by(User.id)
        )
    )
    db.session.execute(
        insert(LessonCredit),
        [dict(user_id=i, course_slug="demo", module_slug="01-basics",
              lesson_key="demo/01-basics/welcome", day=NOW.date(), seconds=(i * 7) % 700)
         for i in ids],
    )  # fmt: skip
    db.session.commit()
    cohort = make_cohort(instructor, [db.session.get(User, i) for i in ids])
    return cohort, ids


def _matrix_pages(client, cohort, **query) -> tuple[list[list[str]], int]:
    """Follow the "Next" links from the first page: each page's learner names, and the
    statements the last page cost."""
    names, path, statements = [], f"/teach/cohorts/{cohort.id}/matrix", []
    params = dict(query)
    while path:
        statements.clear()

        def listener(conn, cursor, statement, *args, seen=statements):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", listener)
        response = client.get(path, query_string=params)
        event.remove(db.engine, "before_cursor_execute", listener)
        assert response.status_code == 200
        page = soup(response)
        names.append([a.get_text() for a in page.select("table.matrix tbody th a")])
        following = page.select_one('nav.pager a[rel="next"]')
        path, params = (following["href"], None) if following else (None, None)
    return names, len(statements)


def test_the_matrix_is_paged_and_every_learner_is_on_a_page_with_the_same_queries(
    client, instructor, login_as, today
):
    from lms.web.cohorts import MATRIX_PAGE

    small, small_ids = _crowd(instructor, 3, "few")
    large, large_ids = _crowd(instructor, 2 * MATRIX_PAGE + 7, "many")
    login_as(instructor)
    few, few_statements = _matrix_pages(client, small)
    pages, many_statements = _matrix_pages(client, large)
    assert few == [[f"Few {i:04d}" for i in range(3)]]
    assert [len(p) for p in pages] == [MATRIX_PAGE, MATRIX_PAGE, 7]
    everyone = [name for p in pages for name in p]
    assert everyone == [f"Many {i:04d}" for i in range(len(large_ids))]  # each once, by name
    assert few_statements == many_statements  # 207 learners over 3 pages cost what 3 do
    # one URL per kind of link: the learner links are right for every row
    page = soup(client.get(f"/teach/cohorts/{large.id}/matrix?page=3"))
    links = [a["href"] for a in page.select("table.matrix tbody th a")]
    assert links == [f"/teach/courses/demo/learners/{i}" for i in large_ids[-7:]]
    assert page.select_one("nav.pager strong[aria-current=page]").get_text() == "3"
    # the sort applies to the whole cohort and stays in the page links
    by_progress, _ = _matrix_pages(client, large, sort="progress")
    seconds = {f"Many {n:04d}": (i * 7) % 700 for n, i in enumerate(large_ids)}
    flat = [name for p in by_progress for name in p]
    assert sorted(flat) == sorted(everyone)
    assert [seconds[n] // 60 for n in flat] == sorted(seconds[n] // 60 for n in flat)
    # the CSV has every learner, whatever the page
    lines = client.get(f"/teach/cohorts/{large.id}/matrix.csv").get_data(as_text=True)
    assert len(lines.strip().splitlines()) == 1 + len(large_ids)


@pytest.mark.parametrize(("page", "status"), [("0", 400), ("x", 400), ("-1", 400), ("2", 404)])
def test_a_matrix_page_that_does_not_exist_is_a_4xx(client, instructor, login_as, page, status):
    cohort = make_cohort(instructor, [make_user()])
    login_as(instructor)
    response = client.get(f"/teach/cohorts/{cohort.id}/matrix", query_string={"page": page})
    assert response.status_code == status


def test_matrix_csv_filter_and_sort(client, instructor, login_as, today):
    behind, ahead = make_user(full_name="Behind Learner"), make_user(full_name="Ahead Learner")
    cohort = make_cohort(instructor, [behind, ahead])
    online(ahead, "01-basics", 12)
    adjust(ahead, "01-basics", 8)
    quiz(ahead, "01-basics")
    login_as(instructor)
    client.post(
        f"/teach/cohorts/{cohort.id}/assignments",
        data={"module": "01-basics", "due_on": "2026-03-05"},
    )
    overdue = soup(
        client.get(f"/teach/cohorts/{cohort.id}/matrix", query_string={"filter": "overdue"})
    )
    assert [a.get_text() for a in overdue.select("tbody th a")] == ["Behind Learner"]
    by_progress = soup(
        client.get(f"/teach/cohorts/{cohort.id}/matrix", query_string={"sort": "progress"})
    )
    assert [a.get_text() for a in by_progress.select("tbody th a")] == [
        "Behind Learner",
        "Ahead Learner",
    ]
    response = client.get(f"/teach/cohorts/{cohort.id}/matrix.csv")
    assert response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert (
        lines[1].startswith("Ahead Learner,")
        and ",20,0," in lines[1]
        and lines[1].endswith(",complete")
    )
    assert lines[2].startswith("Behind Learner,") and lines[2].endswith(",overdue")


def test_another_instructors_learners_stay_out_of_reach(
    client, instructor, learner, make_user, login_as
):
    other = make_cohort(make_user(role="instructor"), [learner])
    login_as(instructor)
    assert client.get(f"/teach/cohorts/{other.id}/matrix").status_code == 404
    assert client.get(f"/teach/cohorts/{other.id}/matrix.csv").status_code == 404
    assert client.get(f"/teach/courses/demo/learners/{learner.id}").status_code == 404
    assert [a.get_text() for a in soup(client.get("/teach/cohorts/")).select("tbody a")] == []


# --- administration -------------------------------------------------------------------------------
def test_admin_deactivates_and_changes_roles_and_the_audit_log_records_it(
    client, admin, learner, login_as
):
    from tests.factories import make_certificate

    make_certificate(learner)
    login_as(admin)
    assert client.post(f"/admin/users/{learner.id}/active", data={"active": "0"}).status_code == 302
    assert (
        client.post(f"/admin/users/{learner.id}/role", data={"role": "instructor"}).status_code
        == 302
    )
    assert client.post(f"/admin/users/{admin.id}/active", data={"active": "0"}).status_code == 409
    db.session.expire_all()
    person = db.session.get(User, learner.id)
    assert (person.active, person.role) == (False, "instructor")
    actions = [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert actions == ["deactivated", "role changed"]
    audit_page = soup(client.get("/admin/audit"))
    assert "role changed" in audit_page.get_text()
    client.post("/logout")
    response = client.post(
        "/login", data={"email": learner.email, "password": "correct horse battery"}
    )
    assert response.status_code == 401
    from lms.models.certificates import Certificate

    assert db.session.query(Certificate).filter_by(user_id=learner.id).count() == 1  # records stay


def test_organisations(client, admin, login_as):
    login_as(admin)
    assert (
        client.post(
            "/admin/organisations", data={"name": "Sahil", "organisation_type": "ngo"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            "/admin/organisations", data={"name": "sahil", "organisation_type": "ngo"}
        ).status_code
        == 400
    )
    assert "Sahil" in soup(client.get("/admin/organisations")).get_text()
    assert soup(client.get("/teach/cohorts/new")).find("option", string="Sahil")


def test_join_code_normalisation():
    assert cohorts.normalise_join_code("abcd-efgh") == "ABCDEFGH"
    assert cohorts.normalise_join_code(" o1il ") == "0111"
    assert timedelta  # imported for readers who extend these tests


# --- workshops for a cohort, bulk issuing, a learner's attempts ----------------------------------
def test_a_cohort_session_is_shared_by_co_instructors_and_fills_from_the_cohort(
    client, instructor, make_user, login_as
):
    members = [make_user(), make_user()]
    cohort = make_cohort(instructor, members)
    co = make_user(role="instructor", email="co@example.org")
    login_as(instructor)
    client.post(f"/teach/cohorts/{cohort.id}/instructors", data={"email": co.email})
    response = client.post(f"/teach/workshops/new?cohort={cohort.id}", data={
        "module": "demo/01-basics", "held_on": "2026-03-05", "starts_at": "10:00", "minutes": "15",
        "place": "Police Training College, Quetta", "facilitator": "Inspector Rahim",
    })  # fmt: skip
    assert response.status_code == 302
    register = response.headers["Location"]
    login_as(co)  # a co-instructor reaches the cohort's session
    assert client.post(f"{register}/cohort-members").status_code == 302
    from lms.models.hours import WorkshopMark

    assert {m.user_id for m in db.session.query(WorkshopMark)} == {m.id for m in members}
    assert soup(client.get(f"/teach/cohorts/{cohort.id}")).select(".workshops li")
    other = make_cohort(make_user(role="instructor"))
    assert client.get(f"/teach/workshops/new?cohort={other.id}").status_code == 404


def test_bulk_issuing_for_eligible_learners(client, instructor, make_user, login_as, today):
    from lms.models.certificates import Certificate
    from tests.services.test_certificates import finished

    done, behind = make_user(full_name="Done Learner"), make_user(full_name="Behind Learner")
    finished(done)
    cohort = make_cohort(instructor, [done, behind])
    login_as(instructor)
    response = client.post(f"/teach/cohorts/{cohort.id}/certificates")
    assert response.status_code == 302 and response.headers["Location"].startswith("/jobs/")
    issued = db.session.query(Certificate).all()
    assert [c.user_id for c in issued] == [done.id] and issued[0].issued_by == instructor.id
    page = soup(client.get(response.headers["Location"]))  # the job ran inline: no Redis here
    result = page.select_one(".job-result").get_text(" ", strip=True)
    assert "1 certificate issued" in result and "1 learner is not eligible yet" in result


def test_learner_page_shows_quiz_attempts(client, instructor, learner, login_as):
    make_cohort(instructor, [learner])
    quiz(learner, "01-basics", passed=False)
    quiz(learner, "01-basics", passed=True)
    login_as(instructor)
    rows = soup(client.get(f"/teach/courses/demo/learners/{learner.id}")).select(
        "table.attempts tbody tr"
    )
    assert [[td.get_text() for td in r.select("td")][-2:] for r in rows] == [
        ["40%", "not passed"],
        ["90%", "passed"],
    ]


# --- rosters: consent, binary files, double clicks, every row checked ---------------------------
def test_an_administrators_roster_adds_existing_accounts_directly(
    client, instructor, admin, learner, login_as
):
    cohort = make_cohort(instructor)
    login_as(admin)
    content = HEADER + f"Existing Person,{learner.email},ngo,,,Punjab,\n"
    location = upload(client, cohort, content.encode()).headers["Location"]
    assert client.post(f"{location}/confirm").status_code == 200
    assert db.session.query(CohortMember).one().user_id == learner.id
    assert db.session.query(CohortInvitation).count() == 0


def test_a_nul_after_the_first_4_kib_is_refused_before_anything_is_stored(
    client, instructor, login_as
):
    cohort = make_cohort(instructor)
    login_as(instructor)
    rows = "".join(f"Person {i},p{i}@example.org,ngo,,,Sindh,\n" for i in range(200))
    content = (HEADER + rows).encode() + b"Late Nul,late\x00@example.org,ngo,,,Sindh,\n"
    assert content.index(b"\x00") > 4096
    response = upload(client, cohort, content)
    assert response.status_code == 400
    assert "not a CSV file" in soup(response).select_one("#file-error").get_text()
    assert db.session.query(RosterUpload).count() == 0


def test_a_double_clicked_confirm_imports_once_and_answers_4xx(app, client, instructor, login_as,
                                                              monkeypatch):  # fmt: skip
    """Both requests run at once (on PostgreSQL they used to insert the same e-mails: a 500)."""
    import threading

    cohort = make_cohort(instructor)
    login_as(instructor)
    content = HEADER + "".join(f"Person {i},p{i}@example.org,ngo,,,Sindh,\n" for i in range(5))
    location = upload(client, cohort, content.encode()).headers["Location"]
    with client.session_transaction() as session:
        cookie = dict(session)
    token = client.csrf_token()
    both_inside = threading.Barrier(2)
    real = roster.import_rows

    def import_rows(*args, **kwargs):  # hold the first import until the second has had its go
        # a broken barrier: the second request is waiting for the upload's lock, as it should
        with contextlib.suppress(threading.BrokenBarrierError):
            both_inside.wait(2)
        return real(*args, **kwargs)

    monkeypatch.setattr(roster, "import_rows", import_rows)
    statuses, errors = [], []

    def click():
        try:
            with app.app_context():
                other = app.test_client()
                with other.session_transaction() as session:
                    session.update(cookie)
                response = other.post(f"{location}/confirm", data={"csrf_token": token}, csrf=False)
                statuses.append(response.status_code)
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert sorted(statuses)[0] == 200 and sorted(statuses)[1] in (404, 409), statuses
    db.session.expire_all()
    assert db.session.query(CohortInvitation).count() == 5
    assert db.session.query(User).filter(User.email.like("p%@example.org")).count() == 0


def test_the_preview_checks_every_row_of_a_20000_row_file(client, instructor, learner, login_as):
    """A bad row near the end is found (the preview once checked only the first 5,000), and every
    row is invited, an existing account far down the file like every other."""
    cohort = make_cohort(instructor)
    login_as(instructor)
    rows = [f"Person {i},p{i}@example.org,ngo,,,Sindh,\n" for i in range(roster.MAX_ROWS)]
    rows[19_990] = f"Existing Person,{learner.email},ngo,,,Punjab,\n"
    bad = rows.copy()
    bad[19_998] = "Bad Person,not-an-address,ngo,,,Sindh,\n"
    preview = client.get(
        upload(client, cohort, (HEADER + "".join(bad)).encode()).headers["Location"]
    )
    assert preview.status_code == 400
    errors = [li.get_text() for li in soup(preview).select(".row-errors li")]
    assert errors == ["Line 20000: invalid e-mail 'not-an-address'"]
    location = upload(client, cohort, (HEADER + "".join(rows)).encode()).headers["Location"]
    preview = client.get(location)
    assert preview.status_code == 200
    assert "20,000 rows can be imported" in soup(preview).get_text()
    response = client.post(f"{location}/confirm")  # a large roster: imported by a job
    assert response.status_code == 302 and response.headers["Location"].startswith("/jobs/")
    assert db.session.query(CohortInvitation).count() == roster.MAX_ROWS
    assert db.session.query(CohortMember).count() == 0
    assert db.session.query(User).count() == 2
    too_many = HEADER + "".join(rows) + "One More,one.more@example.org,ngo,,,Sindh,\n"
    preview = client.get(upload(client, cohort, too_many.encode()).headers["Location"])
    assert preview.status_code == 400 and "More than 20000 rows" in soup(preview).get_text()
