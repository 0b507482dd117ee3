"""Every route, fuzzed: malformed path parameters, query strings, form bodies and JSON, sent as
every role with a valid session and CSRF token. No answer may be a 5xx (or raise), an answer under
``/api/`` that is an error must be JSON, and a 4xx must leave the database exactly as it was.

How it reaches the code behind each route:

- the routes come from ``app.url_map`` itself, so a route added tomorrow is fuzzed tomorrow;
- path parameters are real ids, slugs and codes from a seeded set of rows (so handlers run past
  their look-ups) or malformed values (huge, negative, other scripts' digits, NUL, long, unicode);
- the names a view reads are learned as it runs: request.args, request.form and JSON bodies are
  recording mappings here, so ``int(request.args["n"])`` in a new view is sent ``n=²`` next time;
- form bodies start from the forms the site's own pages render (every GET page, as every role),
  with plausible values, then some fields are replaced by malformed ones, dropped or repeated.

``hypothesis`` draws the requests (derandomized, a bounded number per route, no shrinking: every
failing request is collected and reported as it was sent). ``test_the_fuzzer_finds_an_unchecked_int``
proves on a few deliberately broken routes that this test fails when it should.
"""

from __future__ import annotations

import io
import re
import traceback
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time
from urllib.parse import quote, urlencode, urlsplit

import pytest
from argon2 import PasswordHasher
from bs4 import BeautifulSoup
from flask import Flask, abort, current_app, has_request_context, request
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import event
from werkzeug.datastructures import ImmutableMultiDict

from lms import LmsRequest
from lms.certificates import codes
from lms.extensions import db
from lms.models.cohorts import Organisation, RosterUpload
from lms.models.hours import WorkshopMark, WorkshopSession
from lms.models.users import User
from lms.services import cohorts, quizzes
from lms.services.roster import token_hash
from lms.web.guard import public
from lms.web.parsing import BoundedJSONProvider
from tests import factories
from tests.conftest import Client, database_snapshot, empty_all_tables, make_app
from tests.factories import NOW, PASSWORD, make_certificate, make_cohort, make_user

ROLES = ("anonymous", "learner", "instructor", "admin")
CODE = codes.new_code()  #: the seeded certificate's verification code
#: requests per route: enough to try each role with real and malformed values, few enough that
#: the whole file runs in well under a minute
EXAMPLES = {"GET": 8, "POST": 14}
FAST_LIMITS = {
    "LMS_LOGIN_LIMIT": "100000 per minute",
    "LMS_LOGIN_ACCOUNT_LIMIT": "100000 per minute",
    "LMS_VERIFY_LIMIT": "100000 per minute",
}

NASTY = [
    "99999999999999999999999", "2147483648", "9223372036854775808", "-1", "0", "-0", "00",
    "²", "٣", "۳", "１", "1e3", "0x1F", "1_000", "+5", " 7", "7 ", "1.5", "NaN", "",
    "\x00", "a\x00b", "\x01", "\x7f", "\u202e", "\u200b", "\ufeff", "🙂", "测试", "آمنہ",
    "x" * 3000, "../../etc/passwd", "<script>alert(1)</script>", "' OR 1=1 --", "%00", "%",
    "null", "true", "[]", "{}", "\r\n", "a/b", "*",
]  # fmt: skip
NASTY_TEXT = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=12),
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats() | NASTY_TEXT | st.sampled_from(["\ud800", 2**63, 2**53 + 1]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                  max_size=3),
    max_leaves=6,
)  # fmt: skip
#: what a plausible value looks like for an empty field of each input type
PLAUSIBLE = {
    "email": "learner@example.org", "password": PASSWORD, "date": "2026-03-02", "time": "09:00",
    "number": "15", "text": "Quetta training hall", "search": "learner", "textarea":
    "Paper register of the field workshop in Zhob.",
}  # fmt: skip


#: values that broke views before, tried in every place a view reads (see ``Fuzzer.sweep``)
TRAPS = ["²", "٣", "99999999999999999999999", "2147483648", "-1", "abc", "a\x00b", "x" * 3000]
#: every field of a form at once
ALL_AT_ONCE = ["²", "٣", "99999999999999999999999", "a\x00b", "x" * 3000]
#: one field at a time: what PostgreSQL refuses, and what int() and str.isdigit let through
ONE_AT_A_TIME = ["Paper\x00register", "²", "99999999999999999999999"]
JSON_TRAPS = ["²", 10**30, 2**31, -1, 1.5, None, [], {}, "a\x00b", "\ud800", True]
#: plausible values for the JSON keys views read (the heartbeat's), as the lesson page sends them
JSON_PLAUSIBLE = {"lesson": ["demo/01-basics/welcome"], "tab": ["tab-12345"], "seconds": [30, 0],
                  "seq": [1, 2], "catch_up": [True, False], "owner": [1, 2]}  # fmt: skip


# --- recording what views read --------------------------------------------------------------------
#: endpoint -> {"args" | "form" | "json": names read}
READS: defaultdict[str, defaultdict[str, set]] = defaultdict(lambda: defaultdict(set))


def _note(mapping, key) -> None:
    if not has_request_context() or not isinstance(key, str) or request.endpoint is None:
        return
    where = "args" if mapping is request.__dict__.get("args") else "form"
    READS[request.endpoint][where].add(key)


class RecordingMultiDict(ImmutableMultiDict):
    """``request.args``, ``request.form`` and ``request.files`` that remember which names were read."""

    def __getitem__(self, key):
        _note(self, key)
        return super().__getitem__(key)

    def __contains__(self, key):
        _note(self, key)
        return super().__contains__(key)

    def get(self, key, default=None, type=None):  # noqa: A002 - MultiDict's own signature
        _note(self, key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        _note(self, key)
        return super().getlist(key, type)


class RecordingRequest(LmsRequest):  # the app's own request class, recording
    parameter_storage_class = RecordingMultiDict


class RecordingDict(dict):
    """A JSON object that remembers which keys the view read."""

    def _seen(self, key):
        if has_request_context() and request.endpoint and isinstance(key, str):
            READS[request.endpoint]["json"].add(key)

    def get(self, key, default=None):
        self._seen(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self._seen(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._seen(key)
        return super().__contains__(key)


class RecordingJSONProvider(BoundedJSONProvider):
    def loads(self, s, **kwargs):
        return super().loads(s, object_hook=RecordingDict, **kwargs)


def instrument(app: Flask) -> None:
    app.request_class = RecordingRequest
    app.json = RecordingJSONProvider(app)
    app.test_client_class = Client


# --- which requests wrote: only they need the database compared -----------------------------------
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|TRUNCATE)\b", re.I)


class WriteWatch:
    """Notes whether any statement that could change the database reached the driver (by the ORM,
    Core or a ``database.Prepared`` statement): a request that sent none changed nothing, and its
    answer needs no snapshot of every table to prove it."""

    def __init__(self, engine):
        self.engine = engine
        self.wrote = False

    def saw(self, sql) -> None:
        if not self.wrote and _WRITE.match(sql if isinstance(sql, str) else str(sql)):
            self.wrote = True

    def __enter__(self):
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine.pool, "checkout", self._trace)
            event.listen(self.engine.pool, "checkin", self._untrace)
        else:
            import psycopg

            self._patched = [(psycopg.Cursor, n, getattr(psycopg.Cursor, n))
                             for n in ("execute", "executemany")]  # fmt: skip
            for cls, name, real in self._patched:
                setattr(cls, name, self._spy(real))
        return self

    def __exit__(self, *exc):
        if self.engine.dialect.name == "sqlite":
            event.remove(self.engine.pool, "checkout", self._trace)
            event.remove(self.engine.pool, "checkin", self._untrace)
        else:
            for cls, name, real in self._patched:
                setattr(cls, name, real)

    def _trace(self, dbapi_connection, record, proxy):
        dbapi_connection.set_trace_callback(self.saw)

    @staticmethod
    def _untrace(dbapi_connection, record):
        dbapi_connection.set_trace_callback(None)

    def _spy(self, real):
        def execute(cursor, query, *args, **kwargs):
            self.saw(query if isinstance(query, str) else getattr(query, "as_string", str)(cursor))
            return real(cursor, query, *args, **kwargs)

        return execute


# --- the seeded rows behind real ids --------------------------------------------------------------
@dataclass
class Seed:
    users: dict[str, int]  #: role -> user id
    values: dict[str, str]  #: URL argument name -> a real value


def seed() -> Seed:
    """A learner in an instructor's cohort, with a workshop mark, a certificate, an open quiz
    attempt, a roster upload waiting and an invitation to another cohort; an administrator; a
    one-time link; an organisation."""
    learner = make_user(role="learner", email="learner@example.org", full_name="Amina Khan")
    instructor = make_user(role="instructor", email="instructor@example.org")
    admin = make_user(role="admin", email="admin@example.org")
    cohort = make_cohort(instructor, [learner])
    db.session.add(Organisation(name="Sahil", organisation_type="ngo", created_at=NOW))
    workshop = WorkshopSession(
        course_slug="demo", module_slug="01-basics", held_on=date(2026, 3, 1), starts_at=time(9),
        minutes=20, place="Quetta", facilitator="A. Khan", created_by=instructor.id,
        created_at=NOW, cohort_id=cohort.id,
    )  # fmt: skip
    db.session.add(workshop)
    db.session.flush()
    db.session.add(
        WorkshopMark(session_id=workshop.id, user_id=learner.id, status="present",
                     minutes_attended=20, remark="", marked_by=instructor.id, marked_at=NOW)
    )  # fmt: skip
    upload = RosterUpload(
        cohort_id=cohort.id, uploaded_by=instructor.id, uploaded_at=NOW,
        text="full name,e-mail,organisation type,province\nBilal Ahmed,bilal@example.org,police,"
        "Punjab\n",
    )  # fmt: skip
    db.session.add(upload)
    catalog = current_app.extensions["lms.catalog"]
    attempt = quizzes.start_or_resume(
        db.session, catalog, learner.id, "demo", "01-basics", now=NOW, seed=7
    )
    invited_to = make_cohort(instructor, name="Second batch")
    invitation = cohorts.invite(db.session, invited_to, [learner.email], by=instructor.id, now=NOW)
    link = cohorts.invitation_token(current_app.secret_key, invitation[learner.email])
    newcomer = make_user(email="newcomer@example.org", must_change_password=True)
    newcomer.setup_token_hash = token_hash("a-valid-one-time-token")
    newcomer.setup_expires_at = NOW.replace(year=2100)
    db.session.commit()
    certificate = make_certificate(learner, code=CODE)
    return Seed(
        users={"learner": learner.id, "instructor": instructor.id, "admin": admin.id},
        values={
            "course_slug": "demo", "module_slug": "01-basics", "lesson_slug": "welcome",
            "attempt_id": str(attempt.id), "certificate_id": str(certificate.id),
            "cohort_id": str(cohort.id), "workshop_id": str(workshop.id),
            "learner_id": str(learner.id), "user_id": str(learner.id),
            "upload_id": str(upload.id), "code": certificate.code, "token":
            "a-valid-one-time-token", "filename": "css/site.css", "link": link,
        },
    )  # fmt: skip


# --- the fuzzer -----------------------------------------------------------------------------------
_ARGUMENT = re.compile(r"<(?:([a-zA-Z_]+)(?:\([^)]*\))?:)?([a-zA-Z_][a-zA-Z0-9_]*)>")


@dataclass
class Failure:
    role: str
    method: str
    url: str
    body: object
    problem: str

    def __str__(self) -> str:
        body = repr(self.body)
        return f"{self.method} {self.url} as {self.role} with {body[:300]}: {self.problem}"


@dataclass
class Fuzzer:
    app: Flask
    client: Client
    seeded: Seed
    #: (method, endpoint) -> forms the site's pages render for it: [(enctype, {name: [values]})]
    forms: defaultdict[tuple[str, str], list] = field(default_factory=lambda: defaultdict(list))
    #: (method, endpoint) -> the roles whose pages render a form for it
    form_roles: defaultdict[tuple[str, str], set] = field(default_factory=lambda: defaultdict(set))
    #: ("GET", endpoint) -> the roles whose request reached the view (not sent away or refused)
    reached: defaultdict[tuple[str, str], set] = field(default_factory=lambda: defaultdict(set))
    failures: list[Failure] = field(default_factory=list)

    #: role -> the session cookie of a fresh session (logged in, with a CSRF token), and its token
    cookies: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    #: the database as the last request left it
    rows: dict | None = None

    # -- sending one request, and judging the answer
    def start_sessions(self) -> None:
        """A session per role, made once (and again after the rows are seeded afresh)."""
        self.cookies.clear()
        for role in ROLES:
            self.client.delete_cookie("session")
            with self.client.session_transaction() as session:
                if role != "anonymous":
                    user = db.session.get(User, self.seeded.users[role])
                    session["_user_id"] = f"{user.id}.{user.session_version}"
            self.tokens[role] = self.client.csrf_token()
            self.cookies[role] = self.client.get_cookie("session").value
        self.rows = database_snapshot()

    def send(self, role: str, method: str, url: str, *, query: str = "", **kwargs):
        self.client.set_cookie("session", self.cookies[role])
        token = self.tokens[role]
        if "json" in kwargs:
            kwargs["headers"] = {"X-CSRFToken": token}
        elif isinstance(kwargs.get("data"), dict):
            kwargs["data"].setdefault("csrf_token", token)
        elif isinstance(kwargs.get("data"), bytes):
            kwargs["data"] = kwargs["data"].replace(b"{csrf_token}", token.encode())
        body = kwargs.get("data", kwargs.get("json"))
        shown_url = url + ("?" + query if query else "")
        watch = WriteWatch(db.engine)
        try:
            with watch:
                response = self.client.open(
                    url, method=method, query_string=query, csrf=False, **kwargs
                )
        except Exception:  # noqa: BLE001 - any exception out of a view is the bug we look for
            db.session.rollback()
            problem = traceback.format_exc(limit=-4)
            self.failures.append(Failure(role, method, shown_url, body, problem))
            self.rows = database_snapshot()
            return None
        status = response.status_code
        before, problem = self.rows, None
        if watch.wrote:
            self.rows = database_snapshot()
        if status >= 500:
            problem = f"answered {status}"
        elif status >= 400 and url.startswith("/api/") and not response.is_json:
            problem = f"answered {status} as {response.mimetype}, not JSON"
        elif status >= 400 and self.rows != before:
            problem = f"answered {status} but changed the database"
        if problem:
            self.failures.append(Failure(role, method, shown_url, body, problem))
        return response

    # -- learning the forms from the site's own pages
    def discover(self) -> None:
        adapter = self.app.url_map.bind("localhost")
        for rule in sorted(self.app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in rule.methods or rule.endpoint == "assets.static":
                continue
            url = self.path(rule, {})
            for role in ROLES:
                response = self.send(role, "GET", url)
                if response is not None and response.status_code not in (302, 401, 403):
                    self.reached[("GET", rule.endpoint)].add(role)
                if response is None or response.mimetype != "text/html":
                    continue
                page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
                for form in page.find_all("form"):
                    method = (form.get("method") or "GET").upper()
                    action = urlsplit(form.get("action") or url).path
                    try:
                        endpoint, _ = adapter.match(action, method=method)
                    except Exception:  # noqa: BLE001, S112 - a form to another site: not ours
                        continue
                    found = (form.get("enctype", ""), self._fields(form))
                    if found not in self.forms[(method, endpoint)]:
                        self.forms[(method, endpoint)].append(found)
                    self.form_roles[(method, endpoint)].add(role)

    @staticmethod
    def _fields(form) -> dict[str, list[str]]:
        fields: dict[str, list[str]] = {}
        for element in form.find_all(["input", "select", "textarea"]):
            name = element.get("name")
            if not name:
                continue
            kind = element.get("type", element.name).lower()
            if element.name == "select":
                values = [o.get("value", o.get_text()) for o in element.find_all("option")]
            elif kind in ("checkbox", "radio"):
                values = [element.get("value", "on")]
            elif kind == "submit":
                values = [element.get("value", "")]
            elif kind == "file":
                values = ["<file>"]
            else:
                text = element.get_text() if element.name == "textarea" else element.get("value")
                values = [text or PLAUSIBLE.get(kind, PLAUSIBLE["text"])]
            fields.setdefault(name, [])
            fields[name] += [v for v in values if v not in fields[name]]
        return fields

    # -- building requests
    def path(self, rule, chosen: dict[str, str]) -> str:
        def value(match):
            converter, name = match.groups()
            text = chosen.get(name, self.seeded.values.get(name, "1"))
            return quote(text, safe="/" if converter == "path" else "")

        return _ARGUMENT.sub(value, rule.rule)

    def draw_path(self, data, rule) -> str:
        chosen = {}
        for name in sorted(rule.arguments):
            real = self.seeded.values.get(name)
            options = [st.just(real)] * 2 if real is not None else []
            chosen[name] = data.draw(st.one_of(*options, NASTY_TEXT), label=name)
        return self.path(rule, chosen)

    def draw_query(self, data, method: str, endpoint: str) -> str:
        pairs = []
        if method == "GET" and self.forms.get(("GET", endpoint)):  # a search form: its fields
            _, fields = data.draw(st.sampled_from(self.forms[("GET", endpoint)]), label="form")
            names = sorted(n for n in fields if n != "csrf_token")
            pairs += self._spoil(data, names, fields, NASTY_TEXT).items()
        names = sorted(READS[endpoint]["args"]) or ["q"]  # what the view read, as it ran
        chosen = data.draw(st.lists(st.sampled_from(names), max_size=3), label="query names")
        if data.draw(st.integers(0, 3), label="a name nobody reads") == 0:
            chosen.append(data.draw(NASTY_TEXT, label="name"))
        pairs += [(n, data.draw(NASTY_TEXT, label=n)) for n in chosen]
        query = urlencode(pairs, doseq=True)
        if data.draw(st.booleans(), label="invalid UTF-8 in the query"):
            query += "&" + data.draw(st.sampled_from(["q=%ff%fe", "%ff=1", "cohort=%c2"]))
        return query

    def draw_body(self, data, method: str, endpoint: str, url: str):
        """Keyword arguments for ``Client.open``: a form (mostly), JSON, or raw bytes.

        A form or JSON object starts plausible (as the page would send it), then ``k`` of its
        fields are spoiled (a malformed value, left out, or sent twice): with ``k = 0`` the request
        should succeed, with one spoiled field the handler runs up to that field's checks."""
        kinds = ["json"] * 4 + ["form", "raw"] if url.startswith("/api/") else ["form"] * 4 + [
            "json", "raw"]  # fmt: skip
        kind = data.draw(st.sampled_from(kinds), label="body kind")
        if kind == "raw":
            raw = data.draw(st.sampled_from([b"%ff=%fe", b"status-%ff=present", b"\xff\xfe=1",
                                             b"email=a%00b", b"a=1&a=2&a=3"]))  # fmt: skip
            return {"data": b"csrf_token={csrf_token}&" + raw,
                    "content_type": "application/x-www-form-urlencoded"}  # fmt: skip
        if kind == "json":
            if data.draw(st.integers(0, 5), label="not an object") == 0:
                return {"json": data.draw(JSON_VALUES, label="json")}
            keys = sorted(READS[endpoint]["json"] | {"id"})
            plausible = {k: JSON_PLAUSIBLE.get(k, [1, "x"]) for k in keys}
            body = self._spoil(data, keys, plausible, JSON_VALUES)
            return {"json": {k: v for k, v in body.items() if not isinstance(v, list)}}
        enctype, fields = data.draw(st.sampled_from(self.forms.get((method, endpoint)) or [("", {})]),
                                    label="form")  # fmt: skip
        names = sorted((set(fields) | READS[endpoint]["form"]) - {"csrf_token"})
        plausible = {n: fields.get(n) or [PLAUSIBLE["text"]] for n in names}
        form = self._spoil(data, names, plausible, NASTY_TEXT)
        for name, value in form.items():
            if value == "<file>":
                content = data.draw(st.sampled_from(self._files()), label="file")
                form[name] = (io.BytesIO(content), "roster.csv")
        if data.draw(st.integers(0, 3), label="an extra field") == 0:
            form[data.draw(NASTY_TEXT, label="extra name") or "x"] = data.draw(NASTY_TEXT)
        if "multipart" in enctype:
            return {"data": form, "content_type": "multipart/form-data"}
        return {"data": form}

    @staticmethod
    def _spoil(data, names: list[str], plausible: dict[str, list], nasty) -> dict:
        body = {n: data.draw(st.sampled_from(plausible[n]), label=n) for n in names}
        k = data.draw(st.sampled_from([0, 1, 1, 1, 2, 3]), label="fields spoiled")
        spoiled = data.draw(st.lists(st.sampled_from(names), max_size=k, unique=True)
                            if names else st.just([]), label="which")  # fmt: skip
        for name in spoiled:
            how = data.draw(st.sampled_from(["nasty", "nasty", "drop", "twice"]), label=name)
            if how == "drop":
                del body[name]
            elif how == "twice":  # a list: the form sends the name twice (JSON leaves it out)
                body[name] = [body[name], data.draw(nasty, label=name)]
            else:
                body[name] = data.draw(nasty, label=name)
        return body

    @staticmethod
    def _files() -> list[bytes]:
        header = b"full name,e-mail,organisation type,organisation,job title,province,district\n"
        return [
            header + b"Bilal Ahmed,bilal@example.org,police,,,Punjab,\n",
            header + "Ali\u202e Khan,ali@example.org,ngo,,,Sindh,\n".encode(),
            header + b"A,a@example.org,ngo,,,Sindh,\n" * 3 + b"\x00",
            header + b"\xff\xfe\x00\x01",
            b"",
            b"\x89PNG\r\n\x1a\n",
            header + b'"unclosed,quote\n',
        ]

    # -- one route
    def fuzz(self, rule, method: str, examples: int) -> None:
        endpoint = rule.endpoint
        seen_by = sorted(self.form_roles.get((method, endpoint), set()))

        @settings(
            max_examples=examples, derandomize=True, database=None, deadline=None,
            phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        @given(st.data())
        def run(data):
            roles = ROLES if not seen_by or data.draw(st.integers(0, 3)) == 0 else seen_by
            role = data.draw(st.sampled_from(roles), label="role")
            url = self.draw_path(data, rule)
            query = self.draw_query(data, method, endpoint)
            kwargs = (
                {} if method in ("GET", "HEAD") else self.draw_body(data, method, endpoint, url)
            )
            self.send(role, method, url, query=query, **kwargs)

        run()
        self.sweep(rule, method)

    def sweep(self, rule, method: str) -> None:
        """Besides the random requests, the values that broke views before, in every place a
        view reads, as a role that reaches it: in each field of its forms and each query
        parameter and JSON key it read, one at a time with the rest plausible; in every field at
        once; and in the ids of fields named by id."""
        endpoint = rule.endpoint
        reached = self.reached.get((method, endpoint)) or self.form_roles.get((method, endpoint))
        role = next(r for r in ("instructor", "learner", "admin", "anonymous") if r in (
            reached or ROLES))  # fmt: skip
        url = self.path(rule, {})

        def send(fields: dict, query: dict | None = None, enctype: str = "") -> None:
            if method == "GET":
                self.send(role, method, url, query=urlencode({**fields, **(query or {})}))
                return
            multipart = {"content_type": "multipart/form-data"} if "multipart" in enctype else {}
            self.send(role, method, url, query=urlencode(query or {}), data=fields, **multipart)

        forms = self.forms.get((method, endpoint)) or [("", {})]
        for index, (enctype, fields) in enumerate(forms):
            names = [n for n, v in fields.items() if n != "csrf_token" and v != ["<file>"]]
            base = {n: next((v for v in fields[n] if v), fields[n][0]) for n in names}
            for name in names if index == 0 else ():  # the first of a route's forms
                for trap in ONE_AT_A_TIME:
                    send(base | {name: trap}, enctype=enctype)
            for trap in ALL_AT_ONCE:
                send(dict.fromkeys(names, trap), enctype=enctype)
            # fields named by id (the register's "status-12"): the id spoiled, the value plausible
            numbered = [(n, m.group(1)) for n in names if (m := re.fullmatch(r"(.*\D)\d+", n))]
            for trap in TRAPS if numbered else ():
                send(
                    base | {prefix + trap: base[name] for name, prefix in numbered}, enctype=enctype
                )
        enctype, fields = forms[0]
        base = {n: next((v for v in vs if v), vs[0]) for n, vs in fields.items()
                if n != "csrf_token" and vs != ["<file>"]}  # fmt: skip
        for name in sorted(READS[endpoint]["args"] - set(base if method == "GET" else ())):
            for trap in TRAPS:
                send(base, {name: trap}, enctype)
        keys = sorted(READS[endpoint]["json"])
        for key in keys if method != "GET" else ():
            for trap in JSON_TRAPS:
                body = {k: JSON_PLAUSIBLE.get(k, [1])[0] for k in keys} | {key: trap}
                self.send(role, method, url, json=body)


def fuzz_app(app: Flask, client: Client, rules=None) -> list[Failure]:
    """Fuzz ``rules`` (every rule of the app, after learning the forms of every page, unless
    given); the failures found."""
    seeded = seed()
    fuzzer = Fuzzer(app, client, seeded)
    fuzzer.start_sessions()
    clean = fuzzer.rows
    if rules is None:
        fuzzer.discover()
    for rule in sorted(rules or app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            examples = EXAMPLES.get(method, EXAMPLES["POST"])
            fuzzer.fuzz(rule, method, examples * (3 if rule.rule.startswith("/api/") else 1))
            if fuzzer.rows != clean:  # the route changed things: start the next one afresh
                db.session.remove()
                empty_all_tables(db.engine)
                assert seed() == seeded, "seeding again must give the same ids"
                fuzzer.start_sessions()
                clean = fuzzer.rows
    return fuzzer.failures


@pytest.fixture
def fast_passwords(monkeypatch):
    """Cheap argon2 parameters: the fuzzer logs in and registers hundreds of times."""
    from lms.models import users

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(users, "_hasher", cheap)
    monkeypatch.setattr(factories, "_password_hash", lambda: cheap.hash(PASSWORD))
    users._dummy_hash.cache_clear()
    yield
    users._dummy_hash.cache_clear()


@pytest.fixture
def fuzz_target(db_url, fast_passwords):
    app = make_app(db_url, **FAST_LIMITS)
    instrument(app)
    with app.app_context():
        yield app
        db.session.remove()
        empty_all_tables(db.engine)
        db.engine.dispose()


def report(failures: list[Failure]) -> str:
    lines = [str(f) for f in failures[:40]]
    return f"{len(failures)} bad answers:\n" + "\n\n".join(lines)


def test_no_route_answers_5xx_or_changes_data_on_4xx(fuzz_target):
    READS.clear()
    client = fuzz_target.test_client()
    failures = fuzz_app(fuzz_target, client)
    assert not failures, report(failures)
    # the fuzzer reached the handlers, not only the doors: it learned what they read
    assert any(name.startswith("minutes-") for name in READS["teach.save_marks"]["form"])
    assert {"lesson", "seconds", "seq"} <= READS["api.heartbeat"]["json"]
    assert {"lesson", "seconds", "seq"} <= READS["api.heartbeat"]["form"]  # a beacon's body
    assert "request_key" in READS["quiz.answer"]["form"]
    assert "cohort" in READS["teach.new_workshop"]["args"]


# --- the fuzzer fails when it should ---------------------------------------------------------------
def _broken_routes(app: Flask) -> None:
    """Routes with the mistakes the fuzzer must catch, added before the app serves anything."""

    @public
    def unchecked_query():
        return str(int(request.args.get("page", "1")) + 1)  # "²" -> ValueError -> 500

    @public
    def unchecked_path(raw: str):
        return str(int(raw))

    def unchecked_form():
        return str(int(request.form.get("count", "0")))

    def writes_then_refuses():
        db.session.add(Organisation(name="Half applied", organisation_type="ngo", created_at=NOW))
        db.session.commit()
        abort(400, "Refused, but only after saving something.")

    app.add_url_rule("/broken/query", "broken.query", unchecked_query)
    app.add_url_rule("/broken/path/<raw>", "broken.path", unchecked_path)
    app.add_url_rule("/broken/form", "broken.form", unchecked_form, methods=["POST"])
    app.add_url_rule("/broken/half", "broken.half", writes_then_refuses, methods=["POST"])


def test_the_fuzzer_finds_an_unchecked_int(db_url, fast_passwords):
    app = make_app(db_url, **FAST_LIMITS)
    _broken_routes(app)
    instrument(app)
    with app.app_context():
        try:
            READS.clear()
            broken = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("broken.")]
            assert broken[0] in list(app.url_map.iter_rules())  # the main test would fuzz them
            failures = fuzz_app(app, app.test_client(), broken)
        finally:
            db.session.remove()
            empty_all_tables(db.engine)
            db.engine.dispose()
    found = {(f.url.split("?")[0].rsplit("/", 1)[0], f.problem.splitlines()[-1]) for f in failures}
    problems = " ".join(f.problem for f in failures)
    assert any(f.url.startswith("/broken/query?") for f in failures), report(failures)
    assert any(f.url.startswith("/broken/path/") for f in failures), report(failures)
    assert any(f.url.startswith("/broken/form") for f in failures), report(failures)
    assert any(
        f.url.startswith("/broken/half") and "changed the database" in f.problem for f in failures
    ), report(failures)
    assert "ValueError" in problems, found
