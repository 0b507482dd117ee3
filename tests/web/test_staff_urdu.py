"""The staff side in Urdu: every teaching, cohort and administration page, the forms and the
services' messages.

A page in Urdu is ``<html lang="ur" dir="rtl">`` and its visible text (in ``<main>``, and the labels
read aloud) holds no run of two Latin words outside what is not interface text: text people typed
and course content, which the pages isolate (``dir="auto"``, ``<bdi>``), code (``<code>``) and
anything marked ``lang="en"``. Course and module titles come from the content (translated by the
content pipeline, not this catalogue), so they are set aside too.
"""

from __future__ import annotations

import io
import re
from datetime import date, time

import pytest
from bs4 import BeautifulSoup, NavigableString, Tag
from flask_babel import LazyString, force_locale

from lms import i18n
from lms.extensions import db
from lms.models.hours import WorkshopSession
from lms.services import (
    ServiceError,
    adjustments,
    cohorts,
    people,
    recovery,
    workshops,
)
from lms.web import forms
from lms.web.certificates import issuer
from tests.factories import NOW, make_certificate, make_cohort, make_user
from tests.pagetour import stops, url_of
from tests.services.test_certificates import online, quiz
from tests.web.test_access_matrix import _client_for

STAFF = ("teach.", "cohorts.", "admin.", "join.")
#: attributes a screen reader reads out or a browser shows
SPOKEN = ("aria-label", "title", "placeholder", "alt")
ARABIC = re.compile(r"[\u0600-\u06FF]")
LATIN = re.compile(r"[A-Za-z]")
BREAK = "\u2029"  # where an isolated element stood: a run of Latin words cannot cross it
ISOLATED = re.compile("\u2068[^\u2069]*\u2069")  # FSI … PDI: <bdi> in plain text (titles, labels)
#: elements that end a run of words (inline ones, such as <a> and <strong>, do not)
_BLOCK_NAMES = (
    "address article aside blockquote br button dd div dl dt fieldset figure footer form h1 h2 "
    "h3 h4 h5 h6 header label legend li main nav ol optgroup option p section select table tbody "
    "td th thead tr ul"
)
BLOCKS = frozenset(_BLOCK_NAMES.split())
#: signs that separate the items of a line ("CPSA · ماڈیول 1 · Quetta")
SEPARATORS = frozenset({"·", "–", "—", "|", "/"})


def _exempt(tag: Tag) -> bool:
    return (
        tag.name in ("bdi", "code", "kbd", "samp", "script", "style", "template")
        or tag.get("dir") == "auto"
        or str(tag.get("lang", "")).startswith("en")
        or (tag.name == "input" and tag.get("type") not in ("submit", "button"))
        or tag.name == "textarea"
    )


def _texts(node, out: list[str]) -> None:
    for child in node.children:
        if isinstance(child, NavigableString):
            if type(child) is NavigableString:  # not a comment or a doctype
                out.append(str(child))
        elif isinstance(child, Tag):
            if _exempt(child):
                out.append(BREAK)
                continue
            edge = BREAK if child.name in BLOCKS else ""
            out.append(edge)
            out.extend(BREAK + child.get(a, "") + BREAK for a in SPOKEN if child.get(a))
            if child.name == "input":
                out.append(BREAK + child.get("value", "") + BREAK)
            _texts(child, out)
            out.append(edge)


def latin_runs(text: str, content: list[str]) -> list[str]:
    """Runs of two or more Latin words (words without Arabic letters; digits and signs neither
    count nor break a run), after setting aside the content's titles."""
    text = ISOLATED.sub(BREAK, text)
    for title in content:
        text = text.replace(title, BREAK)
    found = []
    for segment in text.split(BREAK):
        run: list[str] = []
        for word in segment.split() + [BREAK]:
            word = BREAK if word in SEPARATORS else word
            if word != BREAK and not ARABIC.search(word) and not LATIN.search(word):
                continue  # "2026", "%", "(": neutral
            if word != BREAK and LATIN.search(word) and not ARABIC.search(word):
                run.append(word)
                continue
            if len(run) >= 2:
                found.append(" ".join(run))
            run = []
    return found


def english_left(html: str, content: list[str]) -> list[str]:
    page = BeautifulSoup(html, "html.parser")
    out: list[str] = []
    _texts(page.find("main"), out)
    title = page.title.get_text() if page.title else ""
    out += [BREAK, title.rsplit(" · ", 1)[0]]
    return latin_runs("".join(out), content)


def _content_titles(app) -> list[str]:
    titles = []
    for course in app.extensions["lms.catalog"]:
        titles += [course.title, course.code]
        titles += [m.title for m in course.modules]
    return sorted(titles, key=len, reverse=True)


def _assert_urdu(response, label: str, content: list[str]) -> list[str]:
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    problems = []
    if (page.html.get("lang"), page.html.get("dir")) != ("ur", "rtl"):
        problems.append(f"{label}: <html lang={page.html.get('lang')} dir={page.html.get('dir')}>")
    problems += [f"{label}: {run!r}" for run in english_left(str(page), content)]
    return problems


def test_the_check_finds_english_and_spares_what_is_isolated():
    html = (
        "<html lang='ur' dir='rtl'><title>گروپ · Children's Champions</title><main>"
        "<p>ماڈیول 1 · <bdi>Amina Khan</bdi> <span dir='auto'>Quetta cadets</span></p>"
        "<p><code>full name, e-mail</code> <b>Save the</b> marks</p>"
        "<input type='submit' value='Record session'><input name='q' value='two words'>"
        "<nav aria-label='Pages of people'></nav><p>CPSA · 2026 · PDF</p></main></html>"
    )
    assert english_left(html, []) == ["Save the marks", "Record session", "Pages of people"]


def _in_urdu(client, user) -> None:
    """``client`` is logged in as ``user`` and has chosen Urdu (the ``lms_lang`` cookie)."""
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}.{user.session_version}"
    client.set_cookie(i18n.COOKIE, "ur")


def _every_staff_stop():
    return [stop for stop in stops() if stop.endpoint.startswith(STAFF)]


def test_every_staff_page_is_in_urdu(app, client):
    """Each staff page of the access matrix, as each role that may see it, in Urdu."""
    content = _content_titles(app)
    problems = []
    for stop in _every_staff_stop():
        viewer = _client_for(app, app.test_client(), stop.role)
        viewer.set_cookie(i18n.COOKIE, "ur")
        url = url_of(stop)
        response = viewer.get(url)
        assert response.status_code == 200, f"{stop.label}: {url}"
        problems += _assert_urdu(response, f"{stop.label} ({url})", content)
    assert problems == [], "\n".join(problems)


@pytest.fixture
def busy(app):
    """An administrator who teaches a cohort with everything a page can show: learners with hours,
    quiz attempts, adjustments and a revoked certificate, invitations, assignments, a workshop
    whose marks were changed, an organisation and audit events."""
    catalog = app.extensions["lms.catalog"]
    admin = make_user(role="admin", full_name="Nadia Programme Admin")
    amina = make_user(full_name="Amina Khan", district="Quetta")
    bilal = make_user(full_name="بلال احمد", province="Sindh")
    cohort = make_cohort(
        admin, [amina, bilal], name="ASI batch 14 Quetta", ends_on=date(2099, 1, 1)
    )
    online(amina, "01-basics", 5)
    quiz(amina, "01-basics", passed=False)
    quiz(amina, "01-basics", passed=True)
    adjustments.adjust(db.session, catalog, amina.id, course_slug="demo", module_slug="02-practice",
                       minutes=10, reason="Paper register of the Zhob workshop", by=admin.id,
                       now=NOW, issuer=issuer())  # fmt: skip
    make_certificate(bilal, revoked_at=NOW, revoked_reason="Issued by mistake", revoked_by=admin.id)
    cohorts.invite(db.session, cohort, ["invited.person@example.org"], by=admin.id, now=NOW)
    cohorts.set_assignment(db.session, catalog, cohort, "01-basics", date(2026, 3, 10), by=admin.id,
                           now=NOW)  # fmt: skip
    cohorts.set_assignment(
        db.session, catalog, cohort, None, date(2099, 1, 1), by=admin.id, now=NOW
    )
    workshop = workshops.create_workshop(
        db.session, catalog, course_slug="demo", module_slug="01-basics", held_on=date(2026, 3, 1),
        starts_at=time(9), minutes=60, place="Police Lines Quetta", facilitator="Sana Baloch",
        by=admin.id, now=NOW, cohort_id=cohort.id,
    )  # fmt: skip
    for status in ("present", "late"):
        workshops.mark(db.session, workshop, amina.id, status=status, minutes_attended=30,
                       remark="Bus was late", by=admin.id, now=NOW, catalog=catalog,
                       issuer=issuer())  # fmt: skip
    people.add_organisation(db.session, "Sahil Islamabad", "ngo", now=NOW)
    people.change_role(db.session, make_user(), "instructor", by=admin.id, now=NOW)
    db.session.commit()
    return admin, cohort, workshop, amina


def test_staff_pages_full_of_data_are_in_urdu(app, client, busy):
    admin, cohort, workshop, amina = busy
    content = _content_titles(app)
    _in_urdu(client, admin)
    pages = [
        "/teach/", f"/teach/workshops/{workshop.id}", f"/teach/courses/demo/learners/{amina.id}",
        "/teach/cohorts/", f"/teach/cohorts/{cohort.id}", f"/teach/cohorts/{cohort.id}/matrix",
        "/admin/users", "/admin/organisations", "/admin/audit", f"/admin/users/{amina.id}/erase",
        f"/teach/workshops/new?cohort={cohort.id}",
    ]  # fmt: skip
    problems = []
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        problems += _assert_urdu(response, url, content)
    # pages answering a form: a roster preview with problems, a one-time link, refused input
    bad = "full name,e-mail,organisation type,province\nAmina,not-an-address,bank,Sindhh\n"
    upload = client.post(f"/teach/cohorts/{cohort.id}/roster",
                         data={"file": (io.BytesIO(bad.encode()), "roster.csv")})  # fmt: skip
    answers = {
        "roster preview": client.get(upload.headers["Location"]),
        "one-time link": client.post(f"/admin/users/{amina.id}/reset-link"),
        "refused cohort": client.post("/teach/cohorts/new", data={"name": ""}),
        "refused marks": client.post(f"/teach/workshops/{workshop.id}/marks",
                                     data={f"status-{amina.id}": "late", f"minutes-{amina.id}": "x"}),
    }  # fmt: skip
    for label, response in answers.items():
        assert response.status_code in (200, 400), label
        problems += _assert_urdu(response, label, content)
    assert problems == [], "\n".join(problems)


def test_a_roster_with_problems_says_them_in_urdu(app, client, busy):
    admin, cohort, _workshop, _amina = busy
    _in_urdu(client, admin)
    bad = "full name,e-mail,organisation type,province\nAmina,not-an-address,bank,Sindhh\n"
    upload = client.post(f"/teach/cohorts/{cohort.id}/roster",
                         data={"file": (io.BytesIO(bad.encode()), "roster.csv")})  # fmt: skip
    page = BeautifulSoup(client.get(upload.headers["Location"]).data, "html.parser")
    problems = page.select_one(".row-errors li").get_text()
    assert problems == (
        "سطر 2: غلط ای میل 'not-an-address'; ادارے کی نامعلوم قسم 'bank'; نامعلوم صوبہ 'Sindhh'"
    )


def _fields(form_class):
    return {
        name: value
        for klass in form_class.__mro__
        for name, value in vars(klass).items()
        if hasattr(value, "field_class")
    }


def test_every_form_field_label_and_description_is_translatable():
    """Labels, descriptions, choices and validators' messages are lazy strings: they are looked up
    in the page's language when the form renders, not once when the module is imported."""
    plain = []
    form_classes = [
        value
        for value in vars(forms).values()
        if isinstance(value, type) and issubclass(value, forms.Form) and value is not forms.Form
    ]
    assert len(form_classes) > 20
    for form_class in form_classes:
        for name, field in _fields(form_class).items():
            where = f"{form_class.__name__}.{name}"
            label = field.args[0] if field.args else field.kwargs.get("label")
            hidden = field.field_class.__name__ in ("HiddenField", "CSRFTokenField")
            if not hidden and not isinstance(label, LazyString):
                plain.append(f"{where}: label {label!r}")
            description = field.kwargs.get("description")
            if description and not isinstance(description, LazyString):
                plain.append(f"{where}: description {description!r}")
            choices = field.kwargs.get("choices") or []
            for choice in choices() if callable(choices) else choices:
                # a language is named in itself, as the language switch names it
                native = choice.label in i18n.NATIVE_NAMES.values()
                if not isinstance(choice.label, LazyString) and not native:
                    plain.append(f"{where}: choice {choice.label!r}")
            for validator in field.kwargs.get("validators") or []:
                message = getattr(validator, "message", None)
                if message is not None and not isinstance(message, LazyString):
                    plain.append(f"{where}: {type(validator).__name__} message {message!r}")
    assert plain == [], "\n".join(plain)


def test_the_choices_name_the_provinces_and_types_in_urdu_and_keep_their_values(app):
    from lms.models.users import ORGANISATION_TYPES, PROVINCES

    assert list(forms.PROVINCE_LABELS) == list(PROVINCES)
    assert [str(forms.ORGANISATION_TYPE_LABELS[v]) for v, _ in ORGANISATION_TYPES] == [
        label for _, label in ORGANISATION_TYPES
    ]  # the English labels are the model's (the roster import reads them)
    with app.test_request_context(), force_locale("ur"):
        shown = [str(choice.label) for choice in forms.PROVINCE_CHOICES]
    assert shown == ["منتخب کریں…", "پنجاب", "سندھ", "خیبر پختونخوا", "بلوچستان", "اسلام آباد کیپیٹل ٹیریٹری",
                     "گلگت بلتستان", "آزاد جموں و کشمیر"]  # fmt: skip


def test_wtforms_own_messages_come_in_the_pages_language(app, client, make_user, login_as):
    login_as(make_user(role="instructor"))
    client.set_cookie(i18n.COOKIE, "ur")
    response = client.post("/teach/workshops/new", data={"module": "", "held_on": "2026-13-45",
                                                          "minutes": "700", "place": "x" * 161})  # fmt: skip
    page = BeautifulSoup(response.data, "html.parser")
    assert response.status_code == 400
    assert page.select_one("#held_on-error").get_text() == "یہ تاریخ درست نہیں۔"
    assert page.select_one("#minutes-error").get_text() == "عدد 1 اور 600 کے درمیان ہونا چاہیے۔"
    assert page.select_one("#place-error").get_text() == "زیادہ سے زیادہ 160 حروف استعمال کریں۔"


def test_service_errors_come_out_in_the_language_of_the_request(app):
    catalog = app.extensions["lms.catalog"]
    cohort = make_cohort(make_user(role="instructor"), ends_on=date(2026, 3, 1))
    for locale, expected in (
        ("en", "This cohort ended on 1 March 2026. Ask your instructor."),
        ("ur", "یہ گروپ 1 مارچ 2026 کو ختم ہو گیا۔ اپنے انسٹرکٹر سے رابطہ کریں۔"),
    ):
        with app.test_request_context(), force_locale(locale):
            with pytest.raises(ServiceError) as raised:
                cohorts.join(db.session, catalog, make_user().id, cohort.join_code,
                             today=date(2026, 3, 2), now=NOW)  # fmt: skip
            assert raised.value.message == expected
            with pytest.raises(ServiceError) as raised:
                recovery.issue_link(db.session, make_user(active=False), by=None, now=NOW)
            assert (
                raised.value.message
                == {
                    "en": "This account is deactivated. Reactivate it first.",
                    "ur": "یہ اکاؤنٹ غیر فعال ہے۔ پہلے اسے دوبارہ فعال کریں۔",
                }[locale]
            )


def test_a_refused_join_code_is_said_in_urdu_on_the_page(client, make_user, login_as):
    login_as(make_user())
    client.set_cookie(i18n.COOKIE, "ur")
    response = client.post("/join", data={"code": "NOSUCH99"})
    error = BeautifulSoup(response.data, "html.parser").select_one("#code-error").get_text()
    assert response.status_code == 400
    assert error == "یہ شمولیت کا کوڈ کسی گروپ کا نہیں۔ اپنے انسٹرکٹر سے تصدیق کریں۔"


def test_a_job_speaks_the_language_of_the_page_that_started_it(app, client, login_as):
    """The progress CSV prepared by a job has its column names in the starter's language."""
    from lms.models.jobs import Job
    from lms.services import jobs

    instructor = make_user(role="instructor")
    cohort = make_cohort(instructor, [make_user(full_name="Amina Khan")])
    login_as(instructor)
    client.set_cookie(i18n.COOKIE, "ur")
    response = client.post(f"/teach/cohorts/{cohort.id}/matrix/export")
    assert response.status_code == 302
    job = db.session.query(Job).one()
    assert job.kind == jobs.EXPORT_MATRIX and job.arguments["locale"] == "ur"
    header = job.file_data.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("نام,ای میل,ماڈیول 1 کے منٹ")
    client.set_cookie(i18n.COOKIE, "en")
    english = client.get(f"/teach/cohorts/{cohort.id}/matrix.csv").get_data(as_text=True)
    assert english.lstrip("\ufeff").startswith("Name,E-mail,Module 1 minutes")


def test_the_cli_speaks_urdu_when_asked(app, monkeypatch):
    from lms.cli import lms_cli

    user = make_user(email="locked@example.org")
    monkeypatch.setenv("LMS_CLI_LOCALE", "ur")
    result = app.test_cli_runner().invoke(lms_cli, ["reset-link", user.email])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("locked@example.org کے لیے ایک بار استعمال ہونے والا لنک (")
    monkeypatch.setenv("LMS_CLI_LOCALE", "fr")  # not a language of the interface: English
    result = app.test_cli_runner().invoke(lms_cli, ["reset-link", "nobody@example.org"])
    assert "No account has the e-mail address nobody@example.org." in result.output


def test_the_stored_audit_action_stays_english_and_the_page_says_it_in_urdu(app, client, busy):
    from lms.models.cohorts import AuditEvent

    admin = busy[0]
    actions = {e.action for e in db.session.query(AuditEvent)}
    assert "role changed" in actions  # data: the same whatever language the admin reads
    _in_urdu(client, admin)
    page = BeautifulSoup(client.get("/admin/audit").data, "html.parser")
    assert "کردار بدلا گیا" in [row.select("td")[2].get_text() for row in page.select("tbody tr")]


def test_names_in_messages_are_isolated_and_escaped(app, client, busy):
    admin, cohort, _workshop, _amina = busy
    other = make_user(role="instructor", full_name="<b>Zara</b> Ali")
    _in_urdu(client, admin)
    response = client.post(f"/teach/cohorts/{cohort.id}/instructors", data={"email": other.email})
    flash = BeautifulSoup(client.get(response.headers["Location"]).data, "html.parser").select_one(
        ".flash"
    )
    assert flash.select_one("bdi").get_text() == "<b>Zara</b> Ali"
    assert flash.get_text() == "<b>Zara</b> Ali اب اس گروپ کو بھی پڑھاتے ہیں۔"


def test_a_workshop_session_records_its_place_as_typed(app, busy):
    workshop = db.session.get(WorkshopSession, busy[2].id)
    assert (
        workshop.place == "Police Lines Quetta"
    )  # typed text is stored as typed, never translated
