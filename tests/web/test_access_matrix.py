"""Every route x {anonymous, learner, instructor, programme manager, admin}: the expected status.

The matrix is the reviewed statement of who may do what. A route added to the app without a row here
fails ``test_every_route_is_in_the_matrix``; a row for a route that no longer exists fails too.
Learners are enrolled in the demo course; requests carry a valid CSRF token and an empty form, so a
POST that needs fields answers 400 (refused input) rather than 403 (refused person).

A programme manager is a learner who also sees the programme's figures: enrolled in the demo
course like the learner, they get the learner's answer on every row that names no ``manager``.
"""

from __future__ import annotations

import pytest

from tests.factories import enrol, make_user

ROLES = ("anonymous", "learner", "instructor", "programme_manager", "admin")
LOGIN = 302  # anonymous visitors of a private page are sent to the login page


def row(url: str, anonymous: int, learner: int, instructor: int, admin: int, *,
        manager: int | None = None):  # fmt: skip
    return url, {
        "anonymous": anonymous,
        "learner": learner,
        "instructor": instructor,
        "programme_manager": learner if manager is None else manager,
        "admin": admin,
    }


LEARNER = "/teach/courses/demo/learners/{learner}"
CERTIFICATE = "/admin/certificates/{certificate}"
COHORT = "/teach/cohorts/{cohort}"
WORKSHOP = "/teach/workshops/{workshop}"

#: (method, endpoint) -> (url, {role: status}). {attempt} is another learner's quiz attempt.
MATRIX: dict[tuple[str, str], tuple[str, dict[str, int]]] = {
    # method, endpoint                    url                                   anon  learner instr admin
    ("GET", "assets.static"):        row("/static/css/site.css",                200, 200, 200, 200),
    ("GET", "site.index"):           row("/",                                   200, 302, 302, 302),
    ("GET", "site.healthz"):         row("/healthz",                            200, 200, 200, 200),
    ("GET", "auth.register"):        row("/register",                           200, 302, 302, 302),
    ("POST", "auth.register"):       row("/register",                           400, 302, 302, 302),
    ("GET", "auth.login"):           row("/login",                              200, 302, 302, 302),
    ("POST", "auth.login"):          row("/login",                              400, 302, 302, 302),
    ("POST", "auth.logout"):         row("/logout",                             LOGIN, 302, 302, 302),
    ("POST", "language.choose"):     row("/language",                           400, 400, 400, 400),
    # without LMS_MAIL_URL the page says who can help, and there is no form to post
    ("GET", "auth.forgot"):          row("/forgot",                             200, 302, 302, 302),
    ("POST", "auth.forgot"):         row("/forgot",                             404, 302, 302, 302),
    # {reset} is a valid e-mailed reset link of another account
    ("GET", "auth.reset"):           row("/reset/{reset}",                      200, 200, 200, 200),
    ("POST", "auth.reset"):          row("/reset/{reset}",                      400, 400, 400, 400),
    ("GET", "auth.profile"):         row("/account",                            LOGIN, 200, 200, 200),
    ("POST", "auth.profile"):        row("/account",                            LOGIN, 400, 400, 400),
    ("GET", "auth.change_password"): row("/account/password",                   LOGIN, 200, 200, 200),
    ("GET", "auth.my_records"):      row("/account/records.zip",                LOGIN, 200, 200, 200),
    ("POST", "auth.change_password"): row("/account/password",                  LOGIN, 400, 400, 400),
    ("GET", "learner.courses"):      row("/courses",                            200, 200, 200, 200),
    ("GET", "learner.course"):       row("/courses/demo",                       200, 200, 200, 200),
    ("POST", "learner.enrol"):       row("/courses/demo/enrol",                 LOGIN, 302, 302, 302),
    ("GET", "learner.dashboard"):    row("/dashboard",                          LOGIN, 200, 200, 200),
    ("GET", "learner.lesson"):       row("/courses/demo/01-basics/welcome",     LOGIN, 200, 200, 200),
    ("GET", "quiz.overview"):        row("/courses/demo/01-basics/quiz",        LOGIN, 200, 200, 200),
    ("POST", "quiz.start"):          row("/courses/demo/01-basics/quiz/start",  LOGIN, 302, 302, 302),
    ("GET", "quiz.attempt"):         row("/quiz/attempts/{attempt}",            LOGIN, 404, 404, 200),
    ("POST", "quiz.answer"):         row("/quiz/attempts/{attempt}",            LOGIN, 404, 404, 404),
    ("POST", "api.heartbeat"):       row("/api/heartbeat",                      401, 400, 400, 400),
    # reading offline: the service worker and the offline page hold nothing personal; the
    # printable module is for those who may read the course's lessons
    ("GET", "offline.service_worker"): row("/sw.js",                            200, 200, 200, 200),
    ("GET", "offline.offline"):      row("/offline",                            200, 200, 200, 200),
    ("GET", "offline.print_module"): row("/courses/demo/01-basics/print",       LOGIN, 200, 200, 200),
    # an empty form: neither "on" nor "off"
    ("POST", "offline.data_saver"):  row("/account/data-saver",                 LOGIN, 400, 400, 400),
    ("GET", "api.csrf"):             row("/api/csrf",                           401, 200, 200, 200),
    ("GET", "learner.my_hours"):     row("/courses/demo/hours",                 LOGIN, 200, 403, 403),
    ("GET", "teach.index"):          row("/teach/",                             LOGIN, 403, 200, 200),
    ("GET", "teach.find_learner"):   row("/teach/learners",                     LOGIN, 403, 400, 400),
    ("GET", "teach.new_workshop"):   row("/teach/workshops/new",                LOGIN, 403, 200, 200),
    ("POST", "teach.new_workshop"):  row("/teach/workshops/new",                LOGIN, 403, 400, 400),
    # {workshop} was recorded by another instructor: theirs and administrators' only
    ("GET", "teach.workshop"):       row("/teach/workshops/{workshop}",         LOGIN, 403, 404, 200),
    ("POST", "teach.add_learners"):  row("/teach/workshops/{workshop}/learners", LOGIN, 403, 404, 400),
    ("POST", "teach.save_marks"):    row("/teach/workshops/{workshop}/marks",   LOGIN, 403, 404, 302),
    # {learner} is enrolled in the demo course, in another instructor's cohort
    ("GET", "teach.learner"):        row(LEARNER,                               LOGIN, 403, 404, 200),
    ("POST", "teach.adjust"):        row(LEARNER + "/adjustments",              LOGIN, 403, 404, 400),
    ("POST", "teach.issue_certificate"): row(LEARNER + "/certificate",          LOGIN, 403, 404, 409),
    # the learner has attempts left at this quiz, so nobody can grant another yet
    ("POST", "teach.grant_attempt"): row(LEARNER + "/quizzes/02-practice/attempts", LOGIN, 403, 404, 409),
    ("GET", "certificates.mine"):    row("/certificates",                       LOGIN, 200, 200, 200),
    # {certificate} belongs to another learner; {code} is a valid certificate's code
    ("GET", "certificates.pdf"):     row("/certificates/{certificate}.pdf?lang=both", LOGIN, 404, 404, 200),
    ("GET", "certificates.credential_jwt"): row("/certificates/{certificate}.jwt", LOGIN, 404, 404, 200),
    ("GET", "certificates.credential_json"): row("/certificates/{certificate}.credential.json",
                                                 401, 404, 404, 200),
    ("GET", "admin_certificates.index"): row("/admin/certificates/",            LOGIN, 403, 403, 200),
    ("POST", "admin_certificates.revoke"): row(CERTIFICATE + "/revoke",         LOGIN, 403, 403, 400),
    ("POST", "admin_certificates.restore"): row(CERTIFICATE + "/restore",       LOGIN, 403, 403, 409),
    ("GET", "admin_certificates.show"): row(CERTIFICATE,                        LOGIN, 403, 403, 200),
    # no certificate ticked: refused, nothing revoked
    ("POST", "admin_certificates.revoke_many"): row("/admin/certificates/revoke", LOGIN, 403, 403, 400),
    ("GET", "verify.form"):          row("/verify",                             200, 200, 200, 200),
    ("GET", "verify.certificate"):   row("/verify/{code}",                      200, 200, 200, 200),
    ("GET", "verify.certificate_json"): row("/verify/{code}.json",              200, 200, 200, 200),
    ("GET", "verify.issuer"):        row("/badges/issuer.json",                 200, 200, 200, 200),
    ("GET", "verify.badge_class"):   row("/badges/demo.json",                   200, 200, 200, 200),
    ("GET", "verify.badge_image"):   row("/badges/demo.svg",                    200, 200, 200, 200),
    # an empty form: neither a pasted credential nor a file
    ("POST", "verify.credential"):   row("/verify/credential",                  400, 400, 400, 400),
    ("GET", "verify.issuer_v3"):     row("/badges/issuer-v3.json",              200, 200, 200, 200),
    ("GET", "verify.jwks"):          row("/badges/jwks.json",                   200, 200, 200, 200),
    ("GET", "verify.key"):           row("/badges/keys/{kid}.json",             200, 200, 200, 200),
    ("GET", "verify.status_list"):   row("/badges/status/1",                    200, 200, 200, 200),
    ("GET", "cohorts.index"):        row("/teach/cohorts/",                     LOGIN, 403, 200, 200),
    ("GET", "cohorts.new"):          row("/teach/cohorts/new",                  LOGIN, 403, 200, 200),
    ("POST", "cohorts.new"):         row("/teach/cohorts/new",                  LOGIN, 403, 400, 400),
    # {cohort} is another instructor's cohort; {roster} a CSV upload waiting in it
    ("GET", "cohorts.show"):         row(COHORT,                                LOGIN, 403, 404, 200),
    ("POST", "cohorts.add_instructor"): row(COHORT + "/instructors",            LOGIN, 403, 404, 400),
    ("POST", "cohorts.add_members"): row(COHORT + "/members",                   LOGIN, 403, 404, 400),
    ("POST", "cohorts.upload_roster"): row(COHORT + "/roster",                  LOGIN, 403, 404, 400),
    ("GET", "cohorts.preview"):      row("/teach/cohorts/{roster}",             LOGIN, 403, 404, 200),
    ("POST", "cohorts.confirm"):     row("/teach/cohorts/{roster}/confirm",     LOGIN, 403, 404, 200),
    ("POST", "cohorts.assign"):      row(COHORT + "/assignments",               LOGIN, 403, 404, 400),
    ("GET", "cohorts.matrix"):       row(COHORT + "/matrix",                    LOGIN, 403, 404, 200),
    ("GET", "cohorts.matrix_csv"):   row(COHORT + "/matrix.csv",                LOGIN, 403, 404, 200),
    ("POST", "cohorts.issue_certificates"): row(COHORT + "/certificates",       LOGIN, 403, 404, 302),
    ("POST", "cohorts.export_matrix"): row(COHORT + "/matrix/export",           LOGIN, 403, 404, 302),
    # {job} was started by another instructor and has a file: theirs and administrators' only
    ("GET", "jobs.show"):            row("/jobs/{job}",                         LOGIN, 404, 404, 200),
    ("GET", "jobs.status"):          row("/jobs/{job}.json",                    401, 404, 404, 200),
    ("GET", "jobs.download"):        row("/jobs/{job}/cohort-progress.csv",     LOGIN, 404, 404, 200),
    # an empty form names no language: 400 for whoever may ask (the ZIP is made by a job)
    ("POST", "cohorts.certificates_zip"): row(COHORT + "/certificates.zip",     LOGIN, 403, 404, 400),
    # {workshop} was not recorded for a cohort, so nobody can add "the cohort's learners"
    ("POST", "teach.add_cohort_members"): row(WORKSHOP + "/cohort-members",     LOGIN, 403, 404, 409),
    # {invitation} invites someone else to another instructor's cohort; {invited} is such an
    # invitation under its cohort's URL
    # {invitation_link} is the link of such an invitation: it asks anyone else to log in with the
    # invited address (or register with it), and shows no buttons to them
    ("GET", "join.invitation"):      row("/invitations/{invitation_link}",      200, 200, 200, 200),
    ("POST", "join.accept_invitation"): row("/invitations/{invitation}/accept",  LOGIN, 404, 404, 404),
    ("POST", "join.decline_invitation"): row("/invitations/{invitation}/decline", LOGIN, 404, 404, 404),
    ("POST", "cohorts.withdraw_invitation"): row(COHORT.replace("{cohort}", "{invited}") + "/withdraw",
                                                 LOGIN, 403, 404, 302),
    ("GET", "join.join"):            row("/join",                               200, 200, 200, 200),
    ("POST", "join.join"):           row("/join",                               401, 400, 400, 400),
    # {token} is a valid one-time link of a roster account
    ("GET", "join.welcome"):         row("/welcome/{token}",                    200, 200, 200, 200),
    ("POST", "join.welcome"):        row("/welcome/{token}",                    400, 400, 400, 400),
    ("GET", "join.welcome_code"):    row("/welcome",                            200, 200, 200, 200),
    # {learner} is in another instructor's cohort: only they (not this instructor) and admins
    ("POST", "teach.reset_link"):    row("/teach/learners/{learner}/reset-link", LOGIN, 403, 404, 200),
    ("POST", "admin.reset_link"):    row("/admin/users/{learner}/reset-link",   LOGIN, 403, 403, 200),
    ("GET", "admin.index"):          row("/admin/",                             LOGIN, 403, 403, 302),
    ("GET", "admin.users"):          row("/admin/users",                        LOGIN, 403, 403, 200),
    ("POST", "admin.change_role"):   row("/admin/users/{learner}/role",         LOGIN, 403, 403, 400),
    ("POST", "admin.set_active"):    row("/admin/users/{learner}/active",       LOGIN, 403, 403, 400),
    ("GET", "admin.erase"):          row("/admin/users/{learner}/erase",        LOGIN, 403, 403, 200),
    ("POST", "admin.erase"):         row("/admin/users/{learner}/erase",        LOGIN, 403, 403, 400),
    ("GET", "admin.organisations"):  row("/admin/organisations",                LOGIN, 403, 403, 200),
    ("POST", "admin.organisations"): row("/admin/organisations",                LOGIN, 403, 403, 400),
    ("GET", "admin.audit_log"):      row("/admin/audit",                        LOGIN, 403, 403, 200),
    # the programme's figures: instructors (their cohorts), programme managers and administrators
    ("GET", "figures.dashboard"): row("/figures/",                           LOGIN, 403, 200, 200, manager=200),  # noqa: E501
    ("GET", "figures.export_csv"): row("/figures/figures.csv",                LOGIN, 403, 200, 200, manager=200),  # noqa: E501
    ("GET", "figures.export_xlsx"): row("/figures/figures.xlsx",               LOGIN, 403, 200, 200, manager=200),  # noqa: E501
    ("GET", "figures.learners_csv"): row("/figures/learners.csv",               LOGIN, 403, 403, 200, manager=403),  # noqa: E501
    # {manager} is another programme manager: only administrators limit their figures
    ("GET", "figures.manager_scope"): row("/figures/managers/{manager}",        LOGIN, 403, 403, 200, manager=403),  # noqa: E501
    ("POST", "figures.manager_scope"): row("/figures/managers/{manager}",       LOGIN, 403, 403, 302, manager=403),  # noqa: E501
    # the pre-test, post-test and evaluation of a course: its enrolled learners'; {test} is
    # another learner's pre-test
    ("GET", "knowledge.overview"):   row("/courses/demo/pre-test",              LOGIN, 200, 403, 403),
    ("POST", "knowledge.start"):     row("/courses/demo/pre-test",              LOGIN, 302, 403, 403),
    ("GET", "knowledge.test"):       row("/tests/{test}",                       LOGIN, 404, 404, 404),
    ("POST", "knowledge.answer"):    row("/tests/{test}",                       LOGIN, 404, 404, 404),
    # the learner has not reached the last module: the evaluation is not open yet
    ("GET", "knowledge.evaluation"): row("/courses/demo/evaluation",            LOGIN, 200, 403, 403),
    ("POST", "knowledge.evaluation"): row("/courses/demo/evaluation",           LOGIN, 409, 403, 403),
    ("POST", "knowledge.demographics"): row("/account/demographics",            LOGIN, 302, 302, 302),
}  # fmt: skip


def someone_elses_attempt() -> int:
    from lms.extensions import db
    from lms.models.quizzes import QuizAttempt
    from tests.factories import NOW

    owner = make_user(role="learner")
    attempt = QuizAttempt(
        user_id=owner.id, course_slug="demo", module_slug="01-basics", number=1, seed=1,
        question_ids=["q-single"], pass_mark=70, content_version="x", started_at=NOW,
        responses={},
    )  # fmt: skip
    db.session.add(attempt)
    db.session.commit()
    return attempt.id


def someone_elses_workshop() -> int:
    from datetime import date, time

    from lms.extensions import db
    from lms.models.hours import WorkshopSession
    from tests.factories import NOW

    owner = make_user(role="instructor")
    workshop = WorkshopSession(
        course_slug="demo", module_slug="01-basics", held_on=date(2026, 3, 1), starts_at=time(9),
        minutes=60, place="Quetta", facilitator="A", created_by=owner.id, created_at=NOW,
    )  # fmt: skip
    db.session.add(workshop)
    db.session.commit()
    return workshop.id


def an_enrolled_learner() -> int:
    from tests.factories import make_cohort

    learner = make_user(role="learner")
    make_cohort(make_user(role="instructor"), [learner])
    return learner.id


def someone_elses_certificate():
    from tests.factories import make_certificate

    return make_certificate(make_user(role="learner"))


def someone_elses_cohort():
    from tests.factories import make_cohort

    return make_cohort(make_user(role="instructor"), [make_user()])


def a_waiting_roster() -> str:
    from lms.extensions import db
    from lms.models.cohorts import RosterUpload
    from tests.factories import NOW

    cohort = someone_elses_cohort()
    text = "full name,e-mail,organisation type,province\nAmina Khan,amina@example.org,ngo,Sindh\n"
    upload = RosterUpload(
        cohort_id=cohort.id, text=text, uploaded_by=cohort.created_by, uploaded_at=NOW
    )
    db.session.add(upload)
    db.session.commit()
    return f"{cohort.id}/roster/{upload.id}"


def someone_elses_invitation():
    from lms.extensions import db
    from lms.models.cohorts import CohortInvitation
    from tests.factories import NOW

    cohort = someone_elses_cohort()
    invitation = CohortInvitation(
        cohort_id=cohort.id, email=make_user().email, invited_by=cohort.created_by, invited_at=NOW
    )
    db.session.add(invitation)
    db.session.commit()
    return invitation


def someone_elses_invitation_link() -> str:
    from flask import current_app

    from lms.services import cohorts

    return cohorts.invitation_token(current_app.secret_key, someone_elses_invitation())


def a_setup_link() -> str:
    from datetime import timedelta

    from lms.extensions import db
    from lms.models.users import User
    from lms.services.roster import token_hash
    from tests.factories import NOW

    if (
        db.session.query(User)
        .filter_by(setup_token_hash=token_hash("a-valid-one-time-token"))
        .count()
    ):
        return "a-valid-one-time-token"  # made already for another role's request
    person = make_user()
    person.setup_token_hash = token_hash("a-valid-one-time-token")
    person.setup_expires_at = NOW + timedelta(days=3650)
    db.session.commit()
    return "a-valid-one-time-token"


def a_reset_link() -> str:
    from flask import current_app

    from lms.services import recovery

    return recovery.email_reset_token(current_app.config["SECRET_KEY"], make_user())


def the_signing_key_id() -> str:
    from flask import current_app

    return current_app.extensions["lms.keys"].signing_kid()


def someone_elses_job() -> int:
    from lms.extensions import db
    from lms.models.jobs import Job
    from tests.factories import NOW

    cohort = someone_elses_cohort()
    job = Job(
        kind="export-matrix", started_by=cohort.created_by, state="done", done=1, total=1,
        arguments={"cohort": cohort.id, "label": cohort.name}, result={"rows": 1}, runs=1,
        file_name="cohort-progress.csv", file_type="text/csv", file_data=b"Name\r\n",
        created_at=NOW, finished_at=NOW,
    )  # fmt: skip
    db.session.add(job)
    db.session.commit()
    return job.id


def someone_elses_test() -> int:
    from lms.extensions import db
    from lms.models.figures import KnowledgeTest
    from tests.factories import NOW

    owner = make_user(role="learner")
    enrol(owner, "demo")
    test = KnowledgeTest(
        user_id=owner.id, course_slug="demo", kind="pre", seed=1, choice_secret="c" * 64,
        question_ids=["m1.q-single"], content_version="x", started_at=NOW, responses={},
    )  # fmt: skip
    db.session.add(test)
    db.session.commit()
    return test.id


PLACEHOLDERS = {
    "test": someone_elses_test,
    "manager": lambda: make_user(role="programme_manager").id,
    "reset": a_reset_link,
    "job": someone_elses_job,
    "cohort": lambda: someone_elses_cohort().id,
    "roster": a_waiting_roster,
    "token": a_setup_link,
    "certificate": lambda: someone_elses_certificate().id,
    "code": lambda: someone_elses_certificate().code,
    "kid": the_signing_key_id,
    "attempt": someone_elses_attempt,
    "workshop": someone_elses_workshop,
    "learner": an_enrolled_learner,
    "invitation": lambda: someone_elses_invitation().id,
    "invitation_link": lambda: someone_elses_invitation_link(),
    "invited": lambda: "{0.cohort_id}/invitations/{0.id}".format(someone_elses_invitation()),
}


def url_for_row(method: str, endpoint: str) -> str:
    url = MATRIX[(method, endpoint)][0]
    values = {name: make() for name, make in PLACEHOLDERS.items() if "{" + name + "}" in url}
    return url.format(**values)


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
    if role in ("learner", "programme_manager"):
        enrol(user, "demo")
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}.{user.session_version}"
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "endpoint"), sorted(MATRIX))
def test_access(app, client, role, method, endpoint):
    expected = MATRIX[(method, endpoint)][1]
    url = url_for_row(method, endpoint)
    client = _client_for(app, client, role)
    response = client.open(url, method=method, data={} if method == "POST" else None)
    assert response.status_code == expected[role], response.get_data(as_text=True)[:300]
    if (
        expected[role] == LOGIN
        and role == "anonymous"
        and endpoint not in {"site.index", "auth.register", "auth.login"}
    ):
        assert response.headers["Location"].startswith("/login?next=")


# --- consent: an invited learner is out of an instructor's reach until they accept ---------------
ADJUSTMENT = {"module": "demo/01-basics", "minutes": "10", "reason": "Attended a briefing"}

#: (method, endpoint) -> (url, form, status while only invited, status once accepted). {learner} is
#: enrolled in the demo course in another instructor's cohort and invited to the viewer's cohort;
#: {workshop} is the viewer's session of the viewer's cohort.
INVITEE: dict[tuple[str, str], tuple[str, dict | None, int, int]] = {
    ("GET", "teach.learner"):            (LEARNER, None, 404, 200),
    ("POST", "teach.adjust"):            (LEARNER + "/adjustments", ADJUSTMENT, 404, 302),
    ("POST", "teach.issue_certificate"): (LEARNER + "/certificate", {}, 404, 409),
    ("POST", "teach.add_learners"):      (WORKSHOP + "/learners", {"emails": "{email}"}, 400, 302),
    ("POST", "teach.add_cohort_members"): (WORKSHOP + "/cohort-members", {}, 302, 302),
    ("GET", "cohorts.show"):             (COHORT, None, 200, 200),
    ("GET", "cohorts.matrix"):           (COHORT + "/matrix", None, 200, 200),
    ("GET", "cohorts.matrix_csv"):       (COHORT + "/matrix.csv", None, 200, 200),
    ("GET", "teach.find_learner"):       ("/teach/learners?course=demo&email={email}", None, 302, 302),
}  # fmt: skip


@pytest.fixture(params=["by e-mail", "by roster"])
def invitee(app, client, request):
    """The viewer (an instructor) has invited another instructor's learner to their cohort, by
    e-mail or on a CSV roster (with a row for someone without an account)."""
    from datetime import date, time

    from lms.extensions import db
    from lms.models.hours import WorkshopSession
    from lms.services import cohorts, roster
    from tests.factories import NOW, make_cohort

    learner = make_user(role="learner", full_name="Invited Learner")
    make_cohort(make_user(role="instructor"), [learner])
    viewer = make_user(role="instructor")
    cohort = make_cohort(viewer, ends_on=date(2099, 12, 31))
    if request.param == "by e-mail":
        cohorts.invite(db.session, cohort, [learner.email], by=viewer.id, now=NOW)
    else:
        text = (
            "full name,e-mail,organisation type,province\n"
            f"Typed Name,{learner.email},ngo,Sindh\nNo Account,nobody@example.org,ngo,Sindh\n"
        )
        catalog = app.extensions["lms.catalog"]
        roster.import_rows(db.session, catalog, cohort, roster.read(text).rows, by=viewer.id,
                           now=NOW)  # fmt: skip
    workshop = WorkshopSession(
        course_slug="demo", module_slug="01-basics", held_on=date(2026, 3, 1), starts_at=time(9),
        minutes=60, place="Quetta", facilitator="A", created_by=viewer.id, created_at=NOW,
        cohort_id=cohort.id,
    )  # fmt: skip
    db.session.add(workshop)
    db.session.commit()
    return viewer, learner, cohort, workshop


def _as(client, user):
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}.{user.session_version}"


@pytest.mark.parametrize("accepted", [False, True], ids=["invited", "accepted"])
@pytest.mark.parametrize(("method", "endpoint"), sorted(INVITEE))
def test_an_invitee_is_out_of_reach_until_they_accept(
    app, client, invitee, method, endpoint, accepted
):
    from lms.extensions import db
    from lms.models.cohorts import CohortInvitation
    from lms.models.hours import HoursAdjustment, WorkshopMark

    viewer, learner, cohort, workshop = invitee
    if accepted:
        _as(client, learner)
        invitation = db.session.query(CohortInvitation).filter_by(email=learner.email).one()
        assert client.post(f"/invitations/{invitation.id}/accept").status_code == 302
    _as(client, viewer)
    url, form, before, after = INVITEE[(method, endpoint)]
    url = url.format(
        learner=learner.id, cohort=cohort.id, workshop=workshop.id, email=learner.email
    )
    if form is not None:
        form = {k: v.format(email=learner.email) for k, v in form.items()}
    response = client.open(url, method=method, data=form)
    assert response.status_code == (after if accepted else before), response.get_data(True)[:300]
    body = response.get_data(as_text=True)
    if endpoint.startswith("cohorts."):  # the cohort's pages name them only once they are members
        assert (learner.full_name in body) is accepted
    if endpoint == "teach.find_learner":
        learner_page = LEARNER.format(learner=learner.id)
        assert response.headers["Location"].endswith(learner_page) is accepted
    db.session.expire_all()
    marked = db.session.query(WorkshopMark).count()
    if not accepted:  # nothing was done to them
        assert db.session.query(HoursAdjustment).count() == 0
        assert marked == 0
    elif endpoint.startswith("teach.add_"):
        assert marked == 1
