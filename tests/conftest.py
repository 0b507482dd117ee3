"""Shared fixtures: the app on SQLite (default) or PostgreSQL (``LMS_TEST_DATABASE_URL``), a client
that sends CSRF tokens like a browser does, user factories and a login helper.

The schema is created once per run; after each test every table is emptied, so tests never see each
other's rows and may commit freely (the concurrency tests need real commits).
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import flask
import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from flask_wtf.csrf import generate_csrf
from sqlalchemy import create_engine, text

from lms import create_app, database
from lms.extensions import db
from lms.models import Base
from tests import factories
from tests.factories import PASSWORD
from tests.smtp import mailbox  # noqa: F401 - a real SMTP server on loopback, for any test

TESTS = Path(__file__).parent
GOOD_CONTENT = TESTS / "data" / "good"


# --- no network beyond loopback -------------------------------------------------------------------
_real_connect = socket.socket.connect


def _loopback_only(self, address):
    host = address[0] if isinstance(address, tuple) else None
    if host is not None and self.family in (socket.AF_INET, socket.AF_INET6):
        try:
            allowed = ipaddress.ip_address(host).is_loopback
        except ValueError:
            allowed = host == "localhost"
        if not allowed:
            raise RuntimeError(f"tests may not reach the network ({host})")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _no_network():
    socket.socket.connect = _loopback_only
    yield
    socket.socket.connect = _real_connect


# --- database ------------------------------------------------------------------------------------
def database_url(tmp_root: Path) -> str:
    return os.environ.get("LMS_TEST_DATABASE_URL") or f"sqlite:///{tmp_root / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def db_url(tmp_path_factory) -> str:
    url = database_url(tmp_path_factory.mktemp("db"))
    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        else:
            Base.metadata.drop_all(conn)
    import lms.models  # noqa: F401 - every table on the metadata

    with engine.begin() as conn:
        Base.metadata.create_all(conn)
    engine.dispose()
    return url


def empty_all_tables(engine) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


def database_snapshot() -> dict[str, list[str]]:
    """Every row of every table, in a stable order: equal snapshots mean nothing was written.

    Read in the test's session, between commits (on SQLite an open transaction holds the lock)."""
    db.session.commit()
    rows = {
        table.name: sorted(repr(tuple(row)) for row in db.session.execute(table.select()))
        for table in Base.metadata.sorted_tables
    }
    db.session.commit()
    return rows


def make_app(db_url: str, **overrides):
    config = {
        "TESTING": True,
        "LMS_ENV": "testing",
        "SECRET_KEY": "test-secret-key-not-for-production-use",
        "SQLALCHEMY_DATABASE_URI": db_url,
        "LMS_CONTENT_DIR": str(GOOD_CONTENT),
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def app_config() -> dict:
    """Override per module or test to change settings of the ``app`` fixture."""
    return {}


@pytest.fixture
def app(db_url, app_config) -> Iterator:
    app = make_app(db_url, **app_config)
    app.test_client_class = Client
    with app.app_context():
        yield app
        db.session.remove()
        empty_all_tables(db.engine)
        db.engine.dispose()


# --- client --------------------------------------------------------------------------------------
class Client(FlaskClient):
    """Adds the CSRF token to form posts and JSON requests, as the pages and scripts do.

    Pass ``csrf=False`` to send a request without it. Each request runs in its own application
    context, as on a real server (fresh ``g``, its own database session), and the test's own
    session ends its transaction around it, so the test sees what the request committed.
    """

    def csrf_token(self) -> str:
        with self.session_transaction() as session:
            if "csrf_token" not in session:
                session["csrf_token"] = hashlib.sha1(os.urandom(64)).hexdigest()  # noqa: S324
            raw = session["csrf_token"]
        # a fresh application context: its own ``g``, where Flask-WTF keeps the signed token
        with self.application.app_context(), self.application.test_request_context():
            flask.session["csrf_token"] = raw
            return generate_csrf()

    def open(self, *args, csrf: bool = True, **kwargs):
        method = kwargs.get("method", "GET").upper()
        if csrf and method not in ("GET", "HEAD", "OPTIONS"):
            if "json" in kwargs:
                headers = dict(kwargs.get("headers") or {})
                headers.setdefault("X-CSRFToken", self.csrf_token())
                kwargs["headers"] = headers
            else:
                data = kwargs.get("data")
                if data is None:
                    data = {}
                if isinstance(data, dict):
                    data = {**data}
                    data.setdefault("csrf_token", self.csrf_token())
                    kwargs["data"] = data
        db.session.commit()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.commit()
        return response


@pytest.fixture
def client(app) -> Client:
    return app.test_client()


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


# --- people --------------------------------------------------------------------------------------
@pytest.fixture
def make_user(app):
    return factories.make_user


@pytest.fixture
def learner(app):
    return factories.make_user(role="learner", email="learner@example.org")


@pytest.fixture
def instructor(app):
    return factories.make_user(role="instructor", email="instructor@example.org")


@pytest.fixture
def admin(app):
    return factories.make_user(role="admin", email="admin@example.org")


def login(client: Client, user, password: str = PASSWORD):
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def log_in_quietly(client: Client, user) -> Client:
    """Start a session for ``user`` without the password round trip (tests of login use ``login``)."""
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}.{user.session_version}"
        session["_fresh"] = True
    return client


@pytest.fixture
def login_as(client):
    return lambda user: log_in_quietly(client, user)


@pytest.fixture
def driver_statements(app, monkeypatch) -> list[str]:
    """Every statement that reaches the database driver while the test runs, however it was sent
    (the ORM, Core, or a ``database.Prepared`` statement on the driver cursor)."""
    statements: list[str] = []
    engine = db.engine
    # the connection held for ``Prepared.read`` is made again inside the test, so traced below
    database.release_held_read()
    if engine.dialect.name == "sqlite":
        from sqlalchemy import event

        def trace(dbapi_connection, record, proxy):
            dbapi_connection.set_trace_callback(statements.append)

        def untrace(dbapi_connection, record):
            dbapi_connection.set_trace_callback(None)

        event.listen(engine.pool, "checkout", trace)
        event.listen(engine.pool, "checkin", untrace)
        yield statements
        database.release_held_read()
        event.remove(engine.pool, "checkout", trace)
        event.remove(engine.pool, "checkin", untrace)
    else:
        import psycopg

        real_execute = psycopg.Cursor.execute

        def execute(self, query, *args, **kwargs):
            statements.append(query if isinstance(query, str) else query.as_string(self))
            return real_execute(self, query, *args, **kwargs)

        monkeypatch.setattr(psycopg.Cursor, "execute", execute)
        yield statements
