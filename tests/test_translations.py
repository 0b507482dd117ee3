"""The interface in English and Urdu: every string a person reads goes through a translation call,
every message has its Urdu translation, and the learner's and public pages read as Urdu in Urdu.

Three checks, from the source to the page:

- the template scan: literal text in a template (outside Jinja tags, with the HTML tags taken off)
  and the visible attributes (alt, title, placeholder, aria-label, a button input's value, a meta
  description) hold no Latin letter outside a translation call;
- the catalogue: every message Babel extracts (``babel.cfg``, as ``make translations``) has an Urdu
  translation in ``messages.po`` or a fragment (``lms.i18n.read_catalogue``);
- the pages: each learner and public page of the access matrix (``tests.pagetour``), fetched in
  Urdu, says ``<html lang="ur" dir="rtl">`` and shows no run of two or more English words outside
  text marked as another language's (``lang="en"``, ``dir="auto"``/``"ltr"``, ``<bdi>``,
  ``<code>``, ``<kbd>``, a lesson's ``.prose``).

Work done side by side: another branch wraps the staff pages (teach, cohorts, admin), the forms'
labels and validators, the services' messages and the CLI. Until it merges, its files are listed in
``NOT_YET_WRAPPED`` and ``NOT_YET_WRAPPED_PY`` (the lead empties both when it merges), and text from
them that is not yet in a translation call is tolerated on the pages checked here.
"""

from __future__ import annotations

import ast
import re
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import write_po
from babel.support import Translations
from bs4 import BeautifulSoup
from flask_babel import force_locale
from jinja2 import Environment

from lms import i18n
from tests.pagetour import stops, url_of
from tests.web.test_access_matrix import _client_for

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
URDU = i18n.TRANSLATIONS / "ur" / "LC_MESSAGES" / "messages.po"

#: Templates another branch (wrapstaff) makes translatable; the lead empties this when it merges.
NOT_YET_WRAPPED: set[str] = set()
#: Python files the same branch makes translatable; the lead empties this when wrapstaff merges.
NOT_YET_WRAPPED_PY: set[str] = set()
#: Pages of that branch, by address (the join and welcome pages are its templates too); the lead
#: empties this when it merges.
NOT_YET_PAGES: tuple[str, ...] = ()

#: Text allowed in a template as it is, though it holds no translation call.
ALLOWED_TEXT = {"·", "›", "‹", "…"}
GETTEXT_CALLS = {"_", "gettext", "ngettext", "pgettext", "npgettext", "_l", "lazy_gettext", "N_"}
#: Calls and filters whose string arguments never reach the page as words.
NOT_SHOWN_CALLS = {"format_date", "format_datetime", "strftime", "url_for", "static_url", "label"}
VISIBLE_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label"}
LATIN = re.compile(r"[A-Za-z]")
HOLE = "\ue000"  # where a template has a tag: text on either side is checked apart


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def templates() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".html", ".txt"))


# --- the template scan ------------------------------------------------------------------------
class _TextFinder(HTMLParser):
    """Text and visible attributes of a template's literal HTML, with their lines."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skipping = 0

    def _check(self, text: str) -> None:
        line = self.getpos()[0]
        for piece in text.split(HOLE):  # each run of literal text between printed expressions
            shown = " ".join(piece.split())
            if shown and LATIN.search(shown) and shown not in ALLOWED_TEXT:
                self.found.append((line + piece[: LATIN.search(piece).start()].count("\n"), shown))
            line += piece.count("\n")

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skipping += 1
        values = dict(attrs)
        shown = set(VISIBLE_ATTRIBUTES)
        if tag == "input" and values.get("type") in ("submit", "button"):
            shown.add("value")
        if tag == "meta" and values.get("name") == "description":
            shown.add("content")
        for name, value in attrs:
            if value is not None and name in shown:
                self._check(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping:
            self._check(data)


def _untranslated_in(source: str) -> list[tuple[int, str]]:
    """(line, text) for each piece of text of a template not in a translation call."""
    env = Environment(extensions=["jinja2.ext.i18n", "jinja2.ext.do"])  # noqa: S701 - only lexes
    html: list[str] = []
    literals: list[tuple[int, str]] = []
    line = 1
    in_tag = in_trans = False
    first_name = False
    calls: list[str | None] = []
    previous = None
    for lineno, kind, value in env.lex(source):
        if kind in ("variable_begin", "block_begin"):
            in_tag, first_name, calls = True, kind == "block_begin", []
            html.append(HOLE)
        elif kind in ("variable_end", "block_end"):
            in_tag = False
        elif in_tag and kind == "name" and first_name:
            first_name = False
            if value == "trans":
                in_trans = True
            elif value == "endtrans":
                in_trans = False
        elif in_tag and kind == "operator" and value in "([{":
            calls.append(previous if value == "(" else None)
        elif in_tag and kind == "operator" and value in ")]}" and calls:
            calls.pop()
        elif in_tag and kind == "string":
            translated = any(c in GETTEXT_CALLS | NOT_SHOWN_CALLS for c in calls if c)
            text = value[1:-1]  # as written, between its quotes
            camel_case = re.fullmatch(r"(?:[A-Z][a-z]+){2,}", text)  # a class name: StringField
            if not translated and re.match(r"[A-Z][a-z]", text) and not camel_case:
                literals.append((lineno, text))
        elif kind == "data" and not in_trans:
            pad = lineno - line
            if pad > 0:
                html.append("\n" * pad)
                line = lineno
            html.append(value)
            line += value.count("\n")
        if in_tag and kind != "whitespace":
            previous = value if kind == "name" else None
    finder = _TextFinder()
    finder.feed("".join(html))
    finder.close()
    return sorted(finder.found + literals)


def test_not_yet_wrapped_names_files_that_exist():
    missing = {name for name in NOT_YET_WRAPPED | NOT_YET_WRAPPED_PY if not (ROOT / name).is_file()}
    assert missing == set(), "remove these from NOT_YET_WRAPPED(_PY)"


def test_every_template_text_is_in_a_translation_call():
    problems = []
    for path in templates():
        name = _relative(path)
        if name in NOT_YET_WRAPPED:
            continue
        problems += [
            f'{name}:{line}: "{text}"' for line, text in _untranslated_in(path.read_text())
        ]
    assert problems == [], "wrap these in _() or {% trans %}:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("<p>Hello</p>", [(1, "Hello")]),
        ('<p>{{ _("Hello") }}</p>', []),
        ("<p>\n{% trans %}Hello <b>{{ name }}</b>{% endtrans %}</p>", []),
        ('<a title="Open it" href="{{ url }}">{{ x }}</a>', [(1, "Open it")]),
        ('<input type="submit" value="Save">', [(1, "Save")]),
        ('<input type="hidden" name="next" value="Home">', []),
        ("<p>{{ n }} ·\n{{ m }} min</p>", [(2, "min")]),
        ('{% set title = "Issuing certificates" %}', [(1, "Issuing certificates")]),
        ('{{ d|format_date("dd MMMM y") }} {{ x == "Done" }}', [(1, "Done")]),
        ("<script>var a = 1;</script><p>&nbsp;·&amp; 42%</p>", []),
    ],
)
def test_the_scan_finds_text_outside_translation_calls(source, found):
    assert _untranslated_in(source) == found


# --- the catalogue --------------------------------------------------------------------------------
def extracted() -> dict[str, set[str]]:
    """msgid -> the files it comes from, as ``make translations`` extracts them."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "N_": None}
    found: dict[str, set[str]] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault(msgid, set()).add(Path(filename).as_posix())
    return found


def test_every_message_has_an_urdu_translation():
    catalogue = i18n.read_catalogue(URDU)
    waiting = NOT_YET_WRAPPED | NOT_YET_WRAPPED_PY
    missing = sorted(
        f"{msgid!r} ({', '.join(sorted(files))})"
        for msgid, files in extracted().items()
        if not files <= waiting
        and ((m := catalogue.get(msgid)) is None or not i18n.is_translated(m))
    )
    assert missing == [], (
        "translate these in lms/translations/ur/LC_MESSAGES/messages.po (or a fragment):\n"
        + "\n".join(missing)
    )


def test_urdu_translations_keep_their_placeholders():
    catalogue = i18n.read_catalogue(URDU)
    placeholder = re.compile(r"%\([a-z_]+\)[sd]|%%")
    wrong = []
    for message in catalogue:
        if not message.id or not i18n.is_translated(message):
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(placeholder.findall(ids[-1]))
        wrong += [f"{ids[0]!r}: {s!r}" for s in strings if set(placeholder.findall(s)) != wanted]
    assert wrong == []


# --- compiling with fragments ---------------------------------------------------------------------
def _po(path: Path, entries: list[tuple], *, fuzzy: set[str] = frozenset()) -> None:
    catalogue = Catalog(locale="ur")
    for msgid, msgstr in entries:
        flags = ["fuzzy"] if (msgid if isinstance(msgid, str) else msgid[0]) in fuzzy else []
        catalogue.add(msgid, msgstr, flags=flags)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        write_po(out, catalogue)


def _compiled(directory: Path) -> Translations:
    with (directory / "ur" / "LC_MESSAGES" / "messages.mo").open("rb") as mo:
        return Translations(mo)


def test_fragments_fill_what_messages_po_leaves_untranslated(tmp_path):
    po = tmp_path / "ur" / "LC_MESSAGES" / "messages.po"
    _po(po, [("Kept", "رکھا"), ("Empty", ""), ("Also empty", "")])
    _po(tmp_path / "ur" / "fragments" / "a.po", [
        ("Kept", "بدلا"), ("Empty", "خالی"), ("New", "نیا"),
        (("%(num)d lesson", "%(num)d lessons"), ("%(num)d سبق", "%(num)d اسباق")),
        ("Also empty", "مبہم"),
    ], fuzzy={"Also empty"})  # fmt: skip
    _po(tmp_path / "ur" / "fragments" / "b.po", [("New", "دوسرا"), ("Also empty", "دوسرا")])
    assert i18n.compile_catalogues(tmp_path) == [po.with_suffix(".mo")]
    t = _compiled(tmp_path)
    assert t.gettext("Kept") == "رکھا"  # messages.po's translation stays
    assert t.gettext("Empty") == "خالی"
    assert t.gettext("New") == "نیا"  # the first fragment by name wins
    assert t.gettext("Also empty") == "دوسرا"  # a fuzzy entry is no translation
    assert t.ngettext("%(num)d lesson", "%(num)d lessons", 3) == "%(num)d اسباق"
    assert i18n.compile_catalogues(tmp_path) == []  # up to date


def test_a_changed_or_removed_fragment_compiles_again(tmp_path):
    import os

    po = tmp_path / "ur" / "LC_MESSAGES" / "messages.po"
    _po(po, [("Empty", "")])
    fragment = tmp_path / "ur" / "fragments" / "a.po"
    _po(fragment, [("Empty", "خالی")])
    i18n.compile_catalogues(tmp_path)
    mo = po.with_suffix(".mo")
    old = mo.stat().st_mtime - 10
    os.utime(mo, (old, old))
    os.utime(po, (old - 10, old - 10))
    os.utime(fragment, (old - 10, old - 10))
    os.utime(fragment.parent, (old - 10, old - 10))
    assert i18n.compile_catalogues(tmp_path) == []
    fragment.unlink()
    assert i18n.compile_catalogues(tmp_path) == [mo]
    assert _compiled(tmp_path).gettext("Empty") == "Empty"


# --- formatting in the page's language ------------------------------------------------------------
@pytest.mark.parametrize(
    ("minutes", "english", "urdu"),
    [
        (150, "2 h 30 min", "2 گھنٹے 30 منٹ"),
        (45, "45 min", "45 منٹ"),
        (60, "1 h", "1 گھنٹہ"),
        (1050, "17 h 30 min", "17 گھنٹے 30 منٹ"),
        (0.4, "0 min", "0 منٹ"),
    ],
)
def test_format_minutes_speaks_the_page_language(app, minutes, english, urdu):
    from lms.formatting import format_minutes

    with app.test_request_context("/"):
        with force_locale("en"):
            assert format_minutes(minutes) == english
        with force_locale("ur"):
            assert format_minutes(minutes) == urdu
    assert format_minutes(minutes) == english  # outside a request: English


def test_dates_follow_the_page_language(app):
    rendered = app.jinja_env.from_string('{{ d|format_date("dd MMMM y") }}')
    with app.test_request_context("/"):
        with force_locale("en"):
            assert rendered.render(d=date(2028, 3, 2)) == "02 March 2028"
        with force_locale("ur"):
            assert rendered.render(d=datetime(2028, 3, 2, 9)) == "02 مارچ 2028"


def test_every_credential_message_of_ob3_has_a_translation():
    """The verifier (``lms.certificates.ob3``) says in English why it refuses a credential; the
    page shows it in its own language through ``verify.OB3_MESSAGES``."""
    from lms.web.verify import OB3_MESSAGES

    tree = ast.parse((ROOT / "lms" / "certificates" / "ob3.py").read_text())
    said = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in (
            "Verdict",
            "NotACredential",
        ):
            said |= {a.value for a in node.args if isinstance(a, ast.Constant)}
            said.discard(None)
    said = {s for s in said if isinstance(s, str) and " " in s}
    assert said and said <= OB3_MESSAGES.keys()


# --- the pages in Urdu ----------------------------------------------------------------------------
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ ,;:()/]+[A-Za-z][A-Za-z'’-]*)+")
#: what another language's text, marked as such, may be in
OTHER_LANGUAGE = "[lang=en], [dir=auto], [dir=ltr], bdi, code, kbd, script, style, .prose, title"


def _gettext_arguments(tree: ast.AST) -> set[int]:
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in GETTEXT_CALLS:
            inside |= {id(n) for arg in node.args for n in ast.walk(arg)}
    return inside


def not_yet_translated() -> set[str]:
    """Text of the files another branch wraps that is not in a translation call yet: string
    literals of its Python files and text of its templates (empty once it has merged)."""
    found = set()
    for name in NOT_YET_WRAPPED_PY:
        tree = ast.parse((ROOT / name).read_text())
        wrapped = _gettext_arguments(tree)
        found |= {
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in wrapped
        }
    for name in NOT_YET_WRAPPED:
        found |= {text for _line, text in _untranslated_in((ROOT / name).read_text())}
    return found


def _english_runs(text: str, tolerated: set[str]) -> list[str]:
    return [run for run in ENGLISH_RUN.findall(text) if not any(run in t for t in tolerated)]


def _page_problems(html: str, tolerated: set[str]) -> list[str]:
    page = BeautifulSoup(html, "html.parser")
    problems = []
    root = page.html
    if (root.get("lang"), root.get("dir")) != ("ur", "rtl"):
        problems.append(f'<html lang="{root.get("lang")}" dir="{root.get("dir")}">')
    if "چلڈرنز چیمپئنز" not in page.title.get_text():
        problems.append(f"title: {page.title.get_text()!r}")
    for element in page.select(OTHER_LANGUAGE):
        element.decompose()
    for element in page.find_all(True):
        for name in VISIBLE_ATTRIBUTES:
            problems += [f"{name}={r!r}" for r in _english_runs(element.get(name, ""), tolerated)]
    for text in page.find_all(string=True):
        problems += [repr(r) for r in _english_runs(str(text), tolerated)]
    return problems


def _content_texts(app) -> set[str]:
    """Course content (English in the test catalog): titles that attributes may name."""
    found = set()
    for course in app.extensions["lms.catalog"]:
        found |= {course.title, course.certificate_title}
        for module in course.modules:
            found.add(module.title)
            found |= {lesson.title for lesson in module.lessons}
    return found


def learner_and_public_stops():
    return [s for s in stops() if not url_of_template(s).startswith(NOT_YET_PAGES)]


def url_of_template(stop) -> str:
    from tests.web.test_access_matrix import MATRIX

    return MATRIX[("GET", stop.endpoint)][0]


def test_learner_and_public_pages_read_as_urdu(app):
    tolerated = not_yet_translated() | _content_texts(app)
    problems = []
    checked = 0
    for stop in learner_and_public_stops():
        client = _client_for(app, app.test_client(), stop.role)
        client.set_cookie(i18n.COOKIE, "ur")
        url = url_of(stop)
        response = client.get(url, headers={"Accept-Language": "ur"})
        if response.status_code != 200:
            problems.append(f"{stop.label} {url}: {response.status_code}")
            continue
        if response.mimetype != "text/html":
            continue  # a download (CSV, XLSX, PDF): its words are checked by its own tests
        checked += 1
        problems += [f"{stop.label} {url}: {p}" for p in _page_problems(response.text, tolerated)]
    assert checked > 20
    assert problems == [], "\n".join(problems)


def test_error_pages_read_as_urdu(client):
    client.set_cookie(i18n.COOKIE, "ur")
    for url in ("/no-such-page", "/courses/no-such-course"):
        response = client.get(url)
        assert response.status_code == 404
        assert _page_problems(response.text, set()) == []


def test_a_learners_pages_with_a_history_read_as_urdu(app, client, learner, admin, monkeypatch):
    """The pages above with something on them: hours, a certificate about to expire (the
    refresher), a reviewed quiz attempt, an attempt being taken, and the certificate's pages."""
    from lms.extensions import db
    from lms.services import certificates, clock
    from tests.conftest import log_in_quietly
    from tests.factories import NOW
    from tests.services.test_certificates import ISSUER, finished
    from tests.services.test_expiry import OPENS
    from tests.web.test_quiz import FULL, QUIZ, answer, start

    finished(learner)
    certificate = certificates.issue(
        db.session, app.extensions["lms.catalog"], ISSUER, learner.id, "demo", now=NOW
    )
    db.session.commit()
    monkeypatch.setattr(clock, "now", lambda: OPENS)
    log_in_quietly(client, learner)
    client.set_cookie(i18n.COOKIE, "ur")
    reviewed = start(client)
    assert (
        answer(client, reviewed, {**FULL, "q-tf": "False", "q-short": "wrong"}).status_code == 302
    )
    taking = start(client)
    pages = ["/dashboard", "/courses/demo", "/certificates", "/courses/demo/hours", QUIZ,
             f"/quiz/attempts/{reviewed}", f"/quiz/attempts/{taking}",
             f"/verify/{certificate.code}"]  # fmt: skip
    tolerated = not_yet_translated() | _content_texts(app)
    problems = []
    seen = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        seen[url] = BeautifulSoup(response.text, "html.parser")
        problems += [f"{url}: {p}" for p in _page_problems(response.text, tolerated)]
    assert seen["/dashboard"].select_one(".refreshers .refresher-quizzes")
    assert seen[f"/quiz/attempts/{reviewed}"].select_one(".reviewed.wrong .feedback")
    assert seen[f"/quiz/attempts/{taking}"].select_one("form.quiz select option")
    assert seen["/courses/demo/hours"].select("table td")
    log_in_quietly(client, admin)
    for url in ("/admin/certificates/", f"/admin/certificates/{certificate.id}"):
        response = client.get(url)
        assert response.status_code == 200, url
        problems += [f"{url}: {p}" for p in _page_problems(response.text, tolerated)]
    assert problems == [], "\n".join(problems)


# --- e-mail in the recipient's language -----------------------------------------------------------
@pytest.fixture
def outbox(monkeypatch) -> list[tuple[str, str, str]]:
    from lms import mail

    sent: list[tuple[str, str, str]] = []
    monkeypatch.setattr(mail, "mail_configured", lambda: True)
    monkeypatch.setattr(
        mail, "send_mail", lambda to, subject, body: sent.append((to, subject, body))
    )
    return sent


def test_a_reset_mail_is_in_the_language_of_the_profile(client, learner, outbox):
    from lms.extensions import db

    learner.locale = "ur"
    db.session.commit()
    client.post("/forgot", data={"email": learner.email}, headers={"Accept-Language": "en"})
    [(to, subject, body)] = outbox
    assert to == learner.email and subject == "نیا پاس ورڈ چنیں"
    assert f"محترم/محترمہ {learner.full_name}،" in body and "/reset/" in body


def test_without_a_profile_choice_a_mail_is_in_the_page_language(client, make_user, outbox):
    english, urdu = make_user(), make_user()
    client.post("/forgot", data={"email": english.email})
    client.set_cookie(i18n.COOKIE, "ur")
    client.post("/forgot", data={"email": urdu.email})
    assert [subject for _to, subject, _body in outbox] == [
        "Choose a new password",
        "نیا پاس ورڈ چنیں",
    ]
    assert "open this link within one hour" in outbox[0][2]


def test_registering_in_urdu_mails_in_urdu(client, outbox):
    from tests.factories import PASSWORD

    client.set_cookie(i18n.COOKIE, "ur")
    form = {"full_name": "Amina Khan", "email": "amina@example.org", "password": PASSWORD,
            "confirm": PASSWORD, "organisation_type": "ngo", "province": "Sindh"}  # fmt: skip
    assert client.post("/register", data=form).status_code == 302
    assert client.post("/register", data=form).status_code == 302  # the address has an account
    assert [subject for _to, subject, _body in outbox] == [
        "آپ کا اکاؤنٹ تیار ہے",
        "کسی نے آپ کے ای میل پتے سے رجسٹر کرنے کی کوشش کی",
    ]
