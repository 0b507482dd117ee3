"""Start-up: the catalog is compiled once per content (in memory and on disk), and a web process
imports nothing that only migrations or the command line need."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys

import pytest

from lms.config import ROOT
from lms.content import ContentInvalid, compiled, loader
from lms.content.catalog import Catalog
from tests.conftest import GOOD_CONTENT, make_app

LESSON = "courses/demo/01-basics/01-welcome.md"


@pytest.fixture
def content(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(GOOD_CONTENT, root)
    return root


@pytest.fixture
def builds(monkeypatch):
    """Counts how often the content is loaded, validated and rendered; starts with an empty memory."""
    monkeypatch.setattr(compiled, "_built", {})
    calls = []
    real = loader.load_catalog

    def counting(root, *args, **kwargs):
        calls.append(root)
        return real(root, *args, **kwargs)

    monkeypatch.setattr(loader, "load_catalog", counting)
    return calls


def _lesson_html(catalog: Catalog) -> str:
    return catalog.lesson("demo", "01-basics", "welcome").html


def test_the_catalog_is_built_once_per_process(content, tmp_path, builds):
    first = compiled.cached_catalog(content, tmp_path / "cache")
    again = compiled.cached_catalog(content, tmp_path / "cache")
    assert again is first
    assert len(builds) == 1


def test_a_new_process_reads_the_compiled_catalog_instead_of_building(content, tmp_path, builds):
    built = compiled.cached_catalog(content, tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("catalog-*.pickle"))) == 1
    compiled._built.clear()  # as a new process starts
    read = compiled.cached_catalog(content, tmp_path / "cache")
    assert len(builds) == 1
    assert read is not built
    assert read.version == built.version
    assert _lesson_html(read) == _lesson_html(built)
    assert [lesson.key for c in read for lesson in c.lessons] == [
        lesson.key for c in built for lesson in c.lessons
    ]
    assert read.module("demo", "01-basics").quiz == built.module("demo", "01-basics").quiz
    assert read.warnings == built.warnings


def test_a_changed_content_file_is_rebuilt(content, tmp_path, builds):
    before = compiled.cached_catalog(content, tmp_path / "cache")
    lesson = content / LESSON
    lesson.write_text(lesson.read_text() + "\nA sentence added after the cache was written.\n")
    compiled._built.clear()
    after = compiled.cached_catalog(content, tmp_path / "cache")
    assert len(builds) == 2
    assert "A sentence added after the cache was written." in _lesson_html(after)
    assert after.version != before.version
    assert len(list((tmp_path / "cache").glob("catalog-*.pickle"))) == 1  # the old one is gone


def test_broken_content_still_stops_start_up_with_file_and_line(content, tmp_path, builds):
    compiled.cached_catalog(content, tmp_path / "cache")
    lesson = content / LESSON
    lesson.write_text(lesson.read_text().replace("minutes: 12", "minutes: twelve"))
    compiled._built.clear()
    with pytest.raises(ContentInvalid) as raised:
        compiled.cached_catalog(content, tmp_path / "cache")
    assert any(str(e).startswith(f"{LESSON}:") for e in raised.value.errors), raised.value.errors
    with pytest.raises(ContentInvalid):  # and again: a failed build is never kept
        compiled.cached_catalog(content, tmp_path / "cache")


def test_a_change_to_the_loader_code_is_rebuilt(content, tmp_path, builds, monkeypatch):
    compiled.cached_catalog(content, tmp_path / "cache")
    compiled._built.clear()
    monkeypatch.setattr(compiled, "_CODE", b"another version of the loader")
    compiled.cached_catalog(content, tmp_path / "cache")
    assert len(builds) == 2


class _Exploit:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_a_tampered_or_damaged_cache_file_is_ignored_and_replaced(content, tmp_path, builds):
    cache = tmp_path / "cache"
    compiled.cached_catalog(content, cache)
    (path,) = cache.glob("catalog-*.pickle")
    for damage in (pickle.dumps(_Exploit()), b"not a pickle", pickle.dumps({"a": 1})):
        path.write_bytes(damage)
        compiled._built.clear()
        catalog = compiled.cached_catalog(content, cache)
        assert isinstance(catalog, Catalog)
        assert compiled._read(path).version == catalog.version  # written again
    assert len(builds) == 4


def test_an_unwritable_cache_folder_only_costs_the_cache(content, tmp_path, builds):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder should be")
    catalog = compiled.cached_catalog(content, blocked / "cache")
    assert catalog.course("demo") is not None
    assert compiled.cached_catalog(content, None) is catalog


def test_create_app_twice_builds_the_catalog_once(db_url, content, tmp_path, builds):
    config = {"LMS_CONTENT_DIR": str(content), "LMS_CACHE_DIR": str(tmp_path / "cache")}
    one, two = make_app(db_url, **config), make_app(db_url, **config)
    assert one.extensions["lms.catalog"] is two.extensions["lms.catalog"]
    assert len(builds) == 1


_WEB_PROCESS = """
import json, sys
from lms import create_app
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "LMS_CACHE_DIR": sys.argv[2],
                  "LMS_CONTENT_DIR": sys.argv[3]})
with app.test_client() as client:
    status = client.get("/courses").status_code  # a page of the catalog (no tables needed)
names = ("alembic", "flask_migrate", "lms.cli", "lms.content.gift", "markdown", "yaml",
         "psycopg", "email_validator")
print(json.dumps({"status": status, "imported": [n for n in names if n in sys.modules]}))
"""


@pytest.mark.slow
def test_a_web_process_imports_neither_alembic_nor_the_cli(content, tmp_path):
    """Alembic (Flask-Migrate), the CLI and GIFT are for the command line; python-markdown and
    PyYAML only when the compiled catalog has to be built; a SQLite site never loads psycopg;
    email_validator waits for the first address to check."""
    args = [f"sqlite:///{tmp_path / 'web.sqlite3'}", str(tmp_path / "cache"), str(content)]

    def run() -> dict:
        out = subprocess.run(
            [sys.executable, "-c", _WEB_PROCESS, *args],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return json.loads(out.strip().splitlines()[-1])

    cold = run()
    assert cold["imported"] == ["markdown", "yaml"]  # the first process built the catalog
    warm = run()
    assert warm == {"status": 200, "imported": []}


def test_flask_db_still_runs_flask_migrate(app):
    result = app.test_cli_runner().invoke(args=["db", "--help"])
    assert result.exit_code == 0, result.output
    assert "upgrade" in result.output
    result = app.test_cli_runner().invoke(args=["db", "heads"])
    assert result.exit_code == 0, result.output
    config = app.extensions["migrate"]  # Flask-Migrate's own, set up when the command ran
    assert type(config).__module__ == "flask_migrate"
    assert config.directory == str(ROOT / "migrations")
    script = config.migrate.get_config()
    assert script.get_main_option("script_location") == str(ROOT / "migrations")


_WSGI_PROCESS = """
import json
from lms.wsgi import app
pages = app.extensions["lms.lesson_pages"]
print(json.dumps(sorted(pages._pages)))
"""


@pytest.mark.slow
def test_gunicorns_master_renders_every_lesson_page_before_the_fork(content, tmp_path):
    """``lms.wsgi`` (what gunicorn --preload imports in the master) renders every lesson page in
    every language, so the workers share them; ``create_app`` alone renders none until asked."""
    from lms import i18n
    from lms.certificates.keys import new_key_set

    env = {
        "PATH": "/usr/bin:/bin",
        "LMS_ENV": "production",
        "LMS_SECRET_KEY": "a-test-secret-key-0123456789abcdef-0123456789",
        "LMS_SIGNING_KEY": new_key_set(),
        "LMS_DATABASE_URL": f"sqlite:///{tmp_path / 'wsgi.sqlite3'}",
        "LMS_CONTENT_DIR": str(content),
        "LMS_CACHE_DIR": str(tmp_path / "cache"),
    }
    out = subprocess.run(
        [sys.executable, "-c", _WSGI_PROCESS], env=env, cwd=ROOT, check=True,
        capture_output=True, text=True,
    ).stdout  # fmt: skip
    rendered = {tuple(pair) for pair in json.loads(out.strip().splitlines()[-1])}
    catalog = loader.load_catalog(content)
    keys = {lesson.key for course in catalog for lesson in course.lessons}
    assert rendered == {(locale, key) for locale in i18n.LOCALES for key in keys}


def test_a_lesson_page_is_rendered_when_first_asked_for(app):
    pages = app.extensions["lms.lesson_pages"]
    assert pages._pages == {}  # create_app renders none
    key = "demo/01-basics/welcome"
    page = pages.page("en", key)
    assert pages.page("en", key) is page
    assert set(pages._pages) == {("en", key)}
    assert pages.size("ur", key) > 0
    assert set(pages._pages) == {("en", key), ("ur", key)}


def test_a_lesson_that_is_not_in_the_catalog_has_no_page(app):
    pages = app.extensions["lms.lesson_pages"]
    for key in ("demo/01-basics/no-such-lesson", "no-such-course/01-basics/welcome"):
        with pytest.raises(KeyError):
            pages.page("en", key)
    assert pages._pages == {}
