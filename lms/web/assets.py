"""Static files, read and compressed once at start-up, served with a content fingerprint.

Templates link ``static_url("css/site.css")`` -> ``/static/css/site.css?v=<hash>``. A request carrying
the current fingerprint may be cached for a year (``immutable``), so a learner's phone fetches the CSS
and script once; a new release changes the fingerprint. A stylesheet's ``url(...)`` of another static
file (the Urdu font) gets that file's fingerprint too, so fonts are cached the same way and a new font
changes the stylesheet's own fingerprint. Text files are stored gzipped as well.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, request
from werkzeug.wrappers import Response

from lms.web.guard import public

COMPRESSIBLE = {
    "text/css",
    "text/javascript",
    "application/javascript",
    "image/svg+xml",
    "text/plain",
    "application/json",
}
ONE_YEAR = 60 * 60 * 24 * 365
#: types the machine's mime.types may not know (Python's own table lacks the web fonts)
TYPES = {".js": "text/javascript", ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf"}
_CSS_URL = re.compile(r"""url\(\s*(["']?)([^"')?#\s]+)\1\s*\)""")
#: a comment on lines of its own (``/* ... */`` starting a line, in scripts and stylesheets) or a
#: ``// `` comment in a script, alone on its line or after code and a space; our files never put
#: either inside a string (tests/web/test_assets.py checks what the phone gets still works)
_COMMENT_BLOCK = re.compile(r"^\s*/\*.*?\*/[ \t]*\n", re.S | re.M)
_LINE_COMMENT = re.compile(r"(^\s*//.*\n|\s+// .*$)", re.M)


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    mimetype: str
    version: str


def lean(text: str, mimetype: str) -> str:
    """What a phone needs of a script or stylesheet: the code without its comments and
    indentation (the comments stay in the repository). Other files are returned as they are."""
    if mimetype not in ("text/javascript", "text/css"):
        return text
    text = _COMMENT_BLOCK.sub("", text)
    if mimetype == "text/javascript":
        text = _LINE_COMMENT.sub("", text)
    return "\n".join(line.strip() for line in text.splitlines() if line.strip()) + "\n"


def _asset(body: bytes, mimetype: str) -> Asset:
    gz = gzip.compress(body, 9, mtime=0) if mimetype in COMPRESSIBLE else None
    if gz is not None and len(gz) >= len(body):
        gz = None
    return Asset(body, gz, mimetype, hashlib.sha256(body).hexdigest()[:10])


def fingerprint_urls(css: str, name: str, assets: dict[str, Asset]) -> str:
    """``url(../fonts/x.woff2)`` in the stylesheet ``name`` -> ``url(../fonts/x.woff2?v=<hash>)``."""

    def versioned(match: re.Match) -> str:
        quote, target = match.group(1), match.group(2)
        if ":" in target or target.startswith("/"):
            return match.group(0)  # data: and absolute addresses stay as written
        asset = assets.get(posixpath.normpath(posixpath.join(posixpath.dirname(name), target)))
        if asset is None:
            raise ValueError(f"static/{name}: url({target}) names no static file")
        return f"url({quote}{target}?v={asset.version}{quote})"

    return _CSS_URL.sub(versioned, css)


def load_assets(folder: Path) -> dict[str, Asset]:
    assets: dict[str, Asset] = {}
    stylesheets = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        name = path.relative_to(folder).as_posix()
        mimetype = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
        if mimetype == "text/css":
            stylesheets.append((name, path))  # after the files they may name
            continue
        if mimetype == "text/javascript":
            body = lean(path.read_text(encoding="utf-8"), mimetype).encode()
        else:
            body = path.read_bytes()
        assets[name] = _asset(body, mimetype or "application/octet-stream")
    for name, path in stylesheets:
        css = fingerprint_urls(lean(path.read_text(encoding="utf-8"), "text/css"), name, assets)
        assets[name] = _asset(css.encode(), "text/css")
    return dict(sorted(assets.items()))


bp = Blueprint("assets", __name__)


@bp.route("/static/<path:filename>")
@public
def static(filename: str):
    asset = current_app.extensions["lms.assets"].get(filename)
    if asset is None:
        abort(404)
    etag = asset.version
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    elif asset.gzipped is not None and request.accepts_gzip:
        response = Response(asset.gzipped, mimetype=asset.mimetype)
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(asset.body, mimetype=asset.mimetype)
    response.set_etag(etag)
    response.headers["Vary"] = "Accept-Encoding"
    if request.args.get("v") == asset.version:
        response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    else:
        response.headers["Cache-Control"] = "public, no-cache"
    return response


def init_assets(app: Flask, folder: Path) -> None:
    app.extensions["lms.assets"] = assets = load_assets(folder)

    def static_url(filename: str) -> str:
        asset = assets.get(filename)
        if asset is None:
            raise KeyError(f"no static file {filename!r}")
        return f"/static/{filename}?v={asset.version}"

    app.jinja_env.globals["static_url"] = static_url
    app.register_blueprint(bp)
