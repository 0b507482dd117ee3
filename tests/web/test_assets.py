"""Static files: fingerprinted addresses, a year's cache, the right types; the Urdu font and its
stylesheet reach only Urdu pages."""

from __future__ import annotations

import re

import pytest

from lms.web.assets import Asset, fingerprint_urls, load_assets
from tests.conftest import soup

FONT = "fonts/NotoNastaliqUrdu-Regular.subset.woff2"


def _stylesheets(response) -> list[str]:
    return [link["href"] for link in soup(response).select("link[rel=stylesheet]")]


def test_english_pages_link_only_the_site_stylesheet(client):
    assert [href.split("?")[0] for href in _stylesheets(client.get("/courses"))] == [
        "/static/css/site.css"
    ]


def test_urdu_pages_add_the_urdu_stylesheet(client):
    client.set_cookie("lms_lang", "ur")
    hrefs = [href.split("?")[0] for href in _stylesheets(client.get("/courses"))]
    assert hrefs == ["/static/css/site.css", "/static/css/urdu.css"]


def test_the_urdu_stylesheet_names_the_font_with_its_fingerprint(app, client):
    client.set_cookie("lms_lang", "ur")
    href = _stylesheets(client.get("/courses"))[1]
    css = client.get(href).get_data(as_text=True)
    face = re.search(r"@font-face\s*\{(.*?)\}", css, re.S).group(1)
    assert "font-display: swap" in face
    version = app.extensions["lms.assets"][FONT].version
    url = re.search(r'url\("([^"]+\.woff2[^"]*)"\)', face).group(1)
    assert url == f"../fonts/NotoNastaliqUrdu-Regular.subset.woff2?v={version}"


def test_the_font_is_served_as_woff2_and_cached_for_a_year(app, client):
    version = app.extensions["lms.assets"][FONT].version
    response = client.get(f"/static/{FONT}?v={version}", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.mimetype == "font/woff2"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Content-Encoding" not in response.headers  # woff2 is compressed already
    assert response.data[:4] == b"wOF2"
    again = client.get(f"/static/{FONT}?v={version}", headers={"If-None-Match": f'"{version}"'})
    assert again.status_code == 304


def test_fonts_are_allowed_from_this_site_only(client):
    policy = dict(
        part.strip().split(" ", 1)
        for part in client.get("/").headers["Content-Security-Policy"].split(";")
    )
    assert policy["font-src"] == "'self'"


def test_web_font_types_do_not_depend_on_the_machine(tmp_path, monkeypatch):
    import mimetypes

    monkeypatch.setattr(mimetypes, "guess_type", lambda *a, **k: (None, None))
    (tmp_path / "a.woff2").write_bytes(b"wOF2")
    (tmp_path / "b.js").write_text("x")
    assets = load_assets(tmp_path)
    assert (
        assets["a.woff2"].mimetype == "font/woff2" and assets["b.js"].mimetype == "text/javascript"
    )


def test_a_stylesheet_fingerprint_changes_with_the_font_it_names(tmp_path):
    (tmp_path / "css").mkdir()
    (tmp_path / "fonts").mkdir()
    (tmp_path / "css" / "x.css").write_text("@font-face { src: url(../fonts/f.woff2) }")
    (tmp_path / "fonts" / "f.woff2").write_bytes(b"one")
    first = load_assets(tmp_path)
    (tmp_path / "fonts" / "f.woff2").write_bytes(b"two")
    second = load_assets(tmp_path)
    assert first["css/x.css"].version != second["css/x.css"].version
    assert f"f.woff2?v={second['fonts/f.woff2'].version})" in second["css/x.css"].body.decode()


@pytest.mark.parametrize(
    ("css", "expected"),
    [
        ("a { background: url('../img/i.svg') }", "a { background: url('../img/i.svg?v=v1') }"),
        ('a { background: url( "../img/i.svg" ) }', 'a { background: url("../img/i.svg?v=v1") }'),
        ("a { background: url(data:image/png;base64,AA) }", None),
        ("a { background: url(https://example.org/x.png) }", None),
        ("a { background: url(/static/img/i.svg) }", None),
    ],
)
def test_urls_in_stylesheets(css, expected):
    assets = {"img/i.svg": Asset(b"", None, "image/svg+xml", "v1")}
    assert fingerprint_urls(css, "css/site.css", assets) == (expected or css)


def test_a_stylesheet_naming_a_missing_file_stops_start_up():
    with pytest.raises(ValueError, match="names no static file"):
        fingerprint_urls("a { src: url(../fonts/none.woff2) }", "css/site.css", {})


def test_scripts_and_stylesheets_reach_phones_without_their_comments():
    """``lean`` drops comments on lines of their own and after code, and keeps what a string
    holds (a URL's ``//``, a ``/*`` inside a line)."""
    from lms.web.assets import lean

    script = (
        "/* What this file does.\n * More words.\n */\n"
        "(function () {\n"
        "  // a comment on its own line\n"
        '  var url = "https://example.org/a"; // after code\n'
        "  try { x(); } catch (e) { /* disabled */ }\n"
        "})();\n"
    )
    assert lean(script, "text/javascript") == (
        "(function () {\n"
        'var url = "https://example.org/a";\n'
        "try { x(); } catch (e) { /* disabled */ }\n"
        "})();\n"
    )
    css = "/* The site's look. */\nbody {\n  margin: 0; /* kept: inside a line */\n}\n"
    assert lean(css, "text/css") == "body {\nmargin: 0; /* kept: inside a line */\n}\n"
    assert lean("// not a script\n", "text/plain") == "// not a script\n"


def test_every_shipped_script_is_served_lean(app):
    from lms.web.assets import lean

    for name, asset in app.extensions["lms.assets"].items():
        if asset.mimetype in ("text/javascript", "text/css"):
            body = asset.body.decode()
            assert lean(body, asset.mimetype) == body, name
            assert "\n//" not in "\n" + body and "\n/*" not in "\n" + body, name
