"""Bad input gets a 4xx with a clear message, never a 500, and changes nothing (issue 21).

Each case here was a 500 found by fuzzing the running site (on SQLite, PostgreSQL or both): ids
too large for the database, digits of other scripts, deeply nested JSON, huge or malformed numbers
in forms, control characters in text (PostgreSQL refuses a NUL), names with invisible characters
or characters the certificate cannot print, a database that cannot be reached or refuses writes.
"""

from __future__ import annotations

import contextlib
import io
import threading
from datetime import date, time

import pytest
from sqlalchemy import event

from lms.certificates import codes
from lms.extensions import db
from lms.models.cohorts import Cohort, CohortInvitation, Organisation, RosterUpload
from lms.models.hours import WorkshopMark, WorkshopSession
from lms.models.users import User
from lms.web import parsing
from tests.conftest import Client, database_snapshot, make_app, soup
from tests.factories import NOW, PASSWORD, enrol, make_certificate, make_cohort, make_user

HUGE = "99999999999999999999999"
CONTROL = "control character"


@pytest.fixture
def unchanged(app):
    """Assert, at the end of the test, that the database holds exactly what it held at the start
    of the request-making part (call the fixture's value to take the "before" snapshot)."""
    taken = {}

    def before():
        taken["rows"] = database_snapshot()

    yield before
    if "rows" in taken:
        assert database_snapshot() == taken["rows"]


@pytest.fixture
def register(client, instructor, login_as):
    """An instructor's workshop session with one learner marked present; the instructor logged in."""
    learner = make_user(full_name="Amina Khan")
    cohort = make_cohort(instructor, [learner])
    workshop = WorkshopSession(
        course_slug="demo", module_slug="01-basics", held_on=date(2026, 3, 1), starts_at=time(9),
        minutes=20, place="Quetta", facilitator="A", created_by=instructor.id, created_at=NOW,
        cohort_id=cohort.id,
    )  # fmt: skip
    db.session.add(workshop)
    db.session.commit()
    db.session.add(
        WorkshopMark(session_id=workshop.id, user_id=learner.id, status="present",
                     minutes_attended=20, remark="", marked_by=instructor.id, marked_at=NOW)
    )  # fmt: skip
    db.session.commit()
    login_as(instructor)
    return workshop, learner, cohort


def message(response) -> str:
    return soup(response).select_one("main").get_text(" ", strip=True)


# --- numbers: ids in URLs and queries, digits of other scripts ------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        f"/certificates/{HUGE}.pdf",
        f"/quiz/attempts/{HUGE}",
        "/quiz/attempts/2147483648",  # one more than PostgreSQL's INTEGER holds
        "/quiz/attempts/²",
        "/quiz/attempts/٣",  # ARABIC-INDIC DIGIT THREE: int() reads it as 3
        f"/teach/workshops/{HUGE}",
        f"/teach/cohorts/{HUGE}/matrix",
        f"/teach/workshops/new?cohort={HUGE}",
        "/teach/workshops/new?cohort=99999999999999999999",
        "/teach/workshops/new?cohort=²",
        "/teach/workshops/new?cohort=٣",
        "/teach/workshops/new?cohort=-1",
        "/teach/workshops/new?cohort=1%00",
    ],
)
def test_ids_the_database_cannot_hold_are_404(client, admin, login_as, unchanged, url):
    login_as(admin)
    unchanged()
    assert client.get(url).status_code == 404


def test_a_real_cohort_id_still_works_and_ascii_digits_only(client, instructor, login_as):
    cohort = make_cohort(instructor)
    login_as(instructor)
    assert client.get(f"/teach/workshops/new?cohort={cohort.id}").status_code == 200
    assert client.get(f"/teach/cohorts/{cohort.id}").status_code == 200
    arabic_indic = "".join(chr(0x0660 + int(d)) for d in str(cohort.id))
    assert client.get(f"/teach/cohorts/{arabic_indic}").status_code == 404


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 12), ("0012", 12), ("-5", -5), ("2147483647", 2**31 - 1), ("2147483648", None),
     ("²", None), ("٣", None), ("1_000", None), ("+5", None), (" 5", None), ("", None),
     ("5\x00", None), ("9" * 5000, None), (None, None), (12, None)],
)  # fmt: skip
def test_whole_number_reads_ascii_digits_in_the_database_range(text, expected):
    assert parsing.whole_number(text) == expected


def test_ids_are_positive():
    assert parsing.parse_id("0") is None and parsing.parse_id("-1") is None
    assert parsing.parse_id("1") == 1


# --- JSON -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    ["[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000, "[" * 100_000,
     '{"lesson": ' + "[" * 40 + "]" * 40 + "}"],
)  # fmt: skip
def test_deeply_nested_json_is_a_json_400(client, learner, login_as, unchanged, body):
    enrol(learner)
    login_as(learner)
    unchanged()
    response = client.post(
        "/api/heartbeat", data=body, content_type="application/json",
        headers={"X-CSRFToken": client.csrf_token()},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.is_json and response.get_json()["error"]


def test_json_depth_counts_only_brackets_outside_strings():
    assert not parsing.json_depth_over('{"a": "' + "[" * 100 + '"}', 32)
    assert not parsing.json_depth_over('{"a": "\\"' + "[" * 100 + '"}', 32)
    assert parsing.json_depth_over("[" * 33 + "]" * 33, 32)
    assert not parsing.json_depth_over("[" * 32 + "]" * 32, 32)
    assert not parsing.json_depth_over("[[]]" * 100, 32)  # many, but shallow


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [("GET", "/api/heartbeat", 405), ("PUT", "/api/heartbeat", 405), ("GET", "/api/nothing", 404),
     ("POST", "/api/nothing", 404)],
)  # fmt: skip
def test_every_api_error_is_json(client, learner, login_as, method, url, status):
    login_as(learner)
    response = client.open(url, method=method, json={})
    assert response.status_code == status
    assert response.is_json and response.get_json()["error"]


def test_an_oversized_api_body_is_a_json_413(client, learner, login_as, app):
    login_as(learner)
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/api/heartbeat", json={"lesson": "x" * 2000})
    assert response.status_code == 413
    assert response.is_json


# --- numbers in forms ---------------------------------------------------------------------------
WORKSHOP = {"module": "demo/01-basics", "held_on": "2026-03-01", "starts_at": "09:00",
            "place": "Quetta", "facilitator": "A. Khan"}  # fmt: skip


@pytest.mark.parametrize(
    ("minutes", "shown"),
    [("99999999999999999999", "too large"), ("-99999999999999999999", "too large"),
     ("²", "digits 0 to 9"), ("٣", "digits 0 to 9"), ("1_0", "digits 0 to 9"),
     ("700", "between 1 and 600")],
)  # fmt: skip
def test_workshop_minutes_must_be_a_whole_number_in_range(
    client, instructor, login_as, unchanged, minutes, shown
):
    login_as(instructor)
    unchanged()
    response = client.post("/teach/workshops/new", data={**WORKSHOP, "minutes": minutes})
    assert response.status_code == 400
    assert shown in soup(response).select_one("#minutes-error").get_text()


def test_a_workshop_with_ascii_minutes_is_recorded(client, instructor, login_as):
    login_as(instructor)
    response = client.post("/teach/workshops/new", data={**WORKSHOP, "minutes": " 45 "})
    assert response.status_code == 302
    assert db.session.query(WorkshopSession).one().minutes == 45


@pytest.mark.parametrize("minutes", ["99999999999999999999", "-99999999999999999999", "²", "٣"])
def test_adjustment_minutes_must_be_a_whole_number(
    client, instructor, login_as, unchanged, minutes
):
    learner = make_user()
    make_cohort(instructor, [learner])
    login_as(instructor)
    unchanged()
    response = client.post(
        f"/teach/courses/demo/learners/{learner.id}/adjustments",
        data={"module": "demo/01-basics", "minutes": minutes, "reason": "Paper register"},
    )
    assert response.status_code == 400
    assert soup(response).select_one("#minutes-error") is not None


def _register_post(client, workshop, fields: dict | bytes):
    if isinstance(fields, bytes):
        body = b"csrf_token=" + client.csrf_token().encode() + b"&" + fields
        return client.post(
            f"/teach/workshops/{workshop.id}/marks", data=body,
            content_type="application/x-www-form-urlencoded", csrf=False,
        )  # fmt: skip
    return client.post(f"/teach/workshops/{workshop.id}/marks", data=fields)


@pytest.mark.parametrize(
    "fields",
    [
        {"status-²": "present"},
        {"status-٣": "present"},
        {f"status-{HUGE}": "late"},
        {"status-{id}": "late", "minutes-{id}": "99999999999999999999"},
        {"status-{id}": "late", "minutes-{id}": "²"},
        {"status-{id}": "late", "minutes-{id}": "-5"},
        {"status-{id}": ["late", "absent"], "minutes-{id}": "5"},
        {"status-{id}": "late", "minutes-{id}": ["5", "6"]},
        {"status-{id}": "absent", "remark-{id}": "sick\x00"},
        {"status-{id}": "absent\x00"},
        b"status-%ff=present",
        b"status-{id}=%ff%fe&minutes-{id}=%ff",
    ],
    ids=lambda fields: repr(fields)[:40],
)
def test_malformed_register_fields_are_refused_and_nothing_changes(
    client, register, unchanged, fields
):
    workshop, learner, _ = register
    if isinstance(fields, bytes):
        fields = fields.replace(b"{id}", str(learner.id).encode())
    else:
        fields = {k.replace("{id}", str(learner.id)): v for k, v in fields.items()}
    unchanged()
    response = _register_post(client, workshop, fields)
    assert response.status_code == 400
    assert soup(response).select_one(".form-errors, main .lead").get_text(strip=True)


def test_a_good_register_still_saves(client, register):
    workshop, learner, _ = register
    response = _register_post(
        client, workshop, {f"status-{learner.id}": "late", f"minutes-{learner.id}": "15",
                           f"remark-{learner.id}": "bus was late"},
    )  # fmt: skip
    assert response.status_code == 302
    mark = db.session.query(WorkshopMark).one()
    assert (mark.status, mark.minutes_attended, mark.remark) == ("late", 15, "bus was late")


# --- control characters in text --------------------------------------------------------------------
def test_nul_in_a_login_email_is_a_400(client, learner, unchanged):
    unchanged()
    response = client.post("/login", data={"email": "learner@example.org\x00", "password": "x"})
    assert response.status_code == 400
    assert CONTROL in soup(response).select_one("#email-error").get_text()


def test_a_password_may_hold_any_character(client, make_user):
    user = make_user(email="tab@example.org")
    user.set_password("tab\tin the password")
    db.session.commit()
    response = client.post(
        "/login", data={"email": "tab@example.org", "password": "tab\tin the password"}
    )
    assert response.status_code == 302


def test_nul_in_a_join_code(client, learner, login_as, unchanged):
    login_as(learner)
    unchanged()
    response = client.post("/join", data={"code": "ABCD\x00EFGH"})
    assert response.status_code == 400
    assert CONTROL in soup(response).select_one("#code-error").get_text()


@pytest.mark.parametrize("field", ["full_name", "organisation", "job_title", "district"])
def test_nul_in_a_profile_field(client, learner, login_as, unchanged, field):
    login_as(learner)
    unchanged()
    profile = {"full_name": "Amina Khan", "organisation_type": "ngo", "province": "Sindh",
               "organisation": "", "job_title": "", "district": ""}  # fmt: skip
    response = client.post("/account", data={**profile, field: "Some\x00thing"})
    assert response.status_code == 400
    assert CONTROL in soup(response).select_one(f"#{field}-error").get_text()
    assert "U+0000 (NULL)" in soup(response).select_one(f"#{field}-error").get_text()


@pytest.mark.parametrize(
    "url",
    ["/admin/users?q=a%00b", "/admin/certificates/?q=a%00b", "/admin/users?q=%01",
     "/teach/learners?email=a%00b@example.org&course=demo"],
)  # fmt: skip
def test_nul_in_a_search_box(client, admin, login_as, unchanged, url):
    login_as(admin)
    unchanged()
    response = client.get(url)
    assert response.status_code == 400
    assert CONTROL in message(response) or "e-mail" in message(response)


def test_search_boxes_still_find(client, admin, login_as):
    make_certificate(make_user(full_name="Bilal Ahmed"))
    login_as(admin)
    assert "Bilal Ahmed" in soup(client.get("/admin/users?q=bilal")).get_text()
    assert "Bilal Ahmed" in soup(client.get("/admin/certificates/?q=bilal")).get_text()


def test_nul_in_cohort_members_and_workshop_learners(client, register, unchanged):
    workshop, learner, cohort = register
    unchanged()
    emails = {"emails": f"{learner.email}\nsomeone\x00@example.org"}
    response = client.post(f"/teach/cohorts/{cohort.id}/members", data=emails)
    assert response.status_code == 400
    assert CONTROL in soup(response).get_text()
    response = client.post(f"/teach/workshops/{workshop.id}/learners", data=emails)
    assert response.status_code == 400
    assert CONTROL in soup(response).get_text()


def test_nul_in_a_revocation_reason(client, admin, login_as, unchanged):
    certificate = make_certificate(make_user())
    login_as(admin)
    unchanged()
    response = client.post(
        f"/admin/certificates/{certificate.id}/revoke", data={"reason": "Issued in error\x00"}
    )
    assert response.status_code == 400


def test_line_breaks_and_tabs_are_fine_in_a_text_area(client, admin, login_as):
    certificate = make_certificate(make_user())
    login_as(admin)
    response = client.post(
        f"/admin/certificates/{certificate.id}/revoke",
        data={"reason": "Issued in error:\r\n\tthe learner repeated a module."},
    )
    assert response.status_code == 302


# --- names: invisible characters, and characters the certificate cannot print -----------------------
PROFILE = {"organisation_type": "ngo", "province": "Sindh", "organisation": "", "job_title": "",
           "district": ""}  # fmt: skip


@pytest.mark.parametrize(
    ("name", "shown"),
    [("Ali exe.png\u202e\u202c Khan", "misleading order"), ("Ali\u2066 Khan", "misleading order"),
     ("Ali\u200b Khan", "U+200B (ZERO WIDTH SPACE)"), ("\ufeffAli Khan", "U+FEFF"),
     ("Ali\u2060Khan", "U+2060"), ("Ali\u200cKhan", "U+200C"),
     ("测试 🙂 Ünïcødé", "cannot print these characters: 测 试 🙂"), ("Đặng Văn", "ặ")],
)  # fmt: skip
def test_names_with_invisible_or_unprintable_characters_are_refused(
    client, learner, login_as, unchanged, name, shown
):
    login_as(learner)
    unchanged()
    response = client.post("/account", data={**PROFILE, "full_name": name})
    assert response.status_code == 400
    assert shown in soup(response).select_one("#full_name-error").get_text()


@pytest.mark.parametrize("name", ["Amina Khan", "آمنہ خان", "Zoë D'Souza", "Ali علی Khan",
                                  "نورالعین\u200cخان"])  # fmt: skip
def test_names_the_certificate_prints_are_accepted(client, learner, login_as, name):
    login_as(learner)
    response = client.post("/account", data={**PROFILE, "full_name": name})
    assert response.status_code == 302
    assert db.session.get(User, learner.id).full_name == name


def test_registration_refuses_a_direction_control_in_the_name(client, unchanged):
    unchanged()
    response = client.post("/register", data={
        **PROFILE, "full_name": "Ali exe.png\u202e Khan", "email": "ali@example.org",
        "password": PASSWORD, "confirm": PASSWORD,
    })  # fmt: skip
    assert response.status_code == 400
    assert "misleading order" in soup(response).select_one("#full_name-error").get_text()


def test_organisation_and_cohort_names_refuse_direction_controls(client, admin, login_as):
    login_as(admin)
    response = client.post(
        "/admin/organisations", data={"name": "Sahil\u202e", "organisation_type": "ngo"}
    )
    assert response.status_code == 400
    assert "misleading order" in soup(response).get_text()
    response = client.post("/teach/cohorts/new", data={
        "name": "Batch 14\u2067", "course": "demo", "starts_on": "2026-03-01",
        "ends_on": "2026-04-01", "organisation": "",
    })  # fmt: skip
    assert response.status_code == 400
    assert "misleading order" in soup(response).get_text()
    assert db.session.query(Organisation).count() == 0 and db.session.query(Cohort).count() == 0


ROSTER_HEADER = "full name,e-mail,organisation type,organisation,job title,province,district\n"


def _upload(client, cohort, content: bytes):
    return client.post(
        f"/teach/cohorts/{cohort.id}/roster", data={"file": (io.BytesIO(content), "roster.csv")},
        content_type="multipart/form-data",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "shown"),
    [("Ali exe.png\u202e Khan", "misleading order"), ("测试", "cannot print"),
     ("Ali\x01 Khan", "U+0001")],
)  # fmt: skip
def test_a_roster_refuses_names_the_certificate_cannot_print_as_typed(
    client, instructor, login_as, name, shown
):
    cohort = make_cohort(instructor)
    login_as(instructor)
    content = (ROSTER_HEADER + f"{name},ali@example.org,ngo,,,Sindh,\n").encode()
    preview = client.get(_upload(client, cohort, content).headers["Location"])
    assert preview.status_code == 400
    errors = " ".join(li.get_text() for li in soup(preview).select(".row-errors li"))
    assert shown in errors


def test_a_roster_with_a_nul_after_its_first_4_kib_is_not_csv(
    client, instructor, login_as, unchanged
):
    cohort = make_cohort(instructor)
    login_as(instructor)
    rows = "".join(f"Person {n},p{n}@example.org,ngo,,,Sindh,\n" for n in range(200))
    content = (ROSTER_HEADER + rows).encode()
    assert len(content) > 4096
    unchanged()
    response = _upload(client, cohort, content + b"Ali\x00,ali@example.org,ngo,,,Sindh,\n")
    assert response.status_code == 400
    assert "not a CSV file" in soup(response).get_text()


def test_a_double_clicked_roster_confirm_imports_once_and_never_500s(
    client, app, instructor, login_as, monkeypatch
):
    """Two Confirms of one upload at once: both have found the upload before either claims it."""
    from lms.services import roster

    cohort = make_cohort(instructor)
    login_as(instructor)
    content = (ROSTER_HEADER + "Bilal Ahmed,bilal@example.org,police,,,Punjab,\n").encode()
    location = _upload(client, cohort, content).headers["Location"]
    cookie = client.get_cookie("session").value
    token = client.csrf_token()
    both_read = threading.Barrier(2, timeout=3)
    real_claim = roster.claim_upload

    def claim_together(session, cohort, upload_id):
        # SQLite: the second request waits at BEGIN for the first to commit, so this times out
        with contextlib.suppress(threading.BrokenBarrierError):
            both_read.wait()
        return real_claim(session, cohort, upload_id)

    monkeypatch.setattr(roster, "claim_upload", claim_together)
    statuses = []

    def confirm():
        with app.app_context():
            other = app.test_client()
            other.set_cookie("session", cookie)
            response = other.post(f"{location}/confirm", data={"csrf_token": token})
            statuses.append(response.status_code)
            db.session.remove()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) in ([200, 404], [200, 409])
    invited = db.session.query(CohortInvitation).filter_by(cohort_id=cohort.id)
    assert [i.email for i in invited] == ["bilal@example.org"]
    assert db.session.query(RosterUpload).count() == 0


# --- the database unreachable, or refusing writes ----------------------------------------------------
UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2"


@pytest.fixture
def offline(db_url):
    app = make_app(db_url, SQLALCHEMY_DATABASE_URI=UNREACHABLE)
    app.test_client_class = Client
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_verify_and_login_say_the_service_is_unavailable(offline):
    client = offline.test_client()
    for response in (
        client.get(f"/verify/{codes.grouped(codes.new_code())}"),
        client.post("/login", data={"email": "a@example.org", "password": "x" * 12}),
    ):
        assert response.status_code == 503
        assert "unavailable" in soup(response).select_one("main").get_text()
        assert "OperationalError" not in response.get_data(as_text=True)


def test_a_logged_in_page_and_the_api_say_so_too(offline):
    client = offline.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1.1"
    response = client.get("/dashboard")
    assert response.status_code == 503
    assert soup(response).select_one("main h1")
    response = client.post("/api/heartbeat", json={})
    assert response.status_code == 503
    assert response.is_json and "unavailable" in response.get_json()["error"]


def test_healthz_when_the_database_is_unreachable(offline):
    response = offline.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unavailable"}


def test_healthz_when_the_database_refuses_writes(app, client):
    assert client.get("/healthz").status_code == 200

    def read_only(dbapi_connection, record):
        cursor = dbapi_connection.cursor()
        if db.engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA query_only = 1")
        else:
            cursor.execute("SET default_transaction_read_only = on")
            dbapi_connection.commit()
        cursor.close()

    db.session.remove()
    db.engine.dispose()
    event.listen(db.engine, "connect", read_only)
    try:
        response = client.get("/healthz")
    finally:
        event.remove(db.engine, "connect", read_only)
        db.session.remove()
        db.engine.dispose()
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unavailable"}
    assert "Error" not in response.get_data(as_text=True)
