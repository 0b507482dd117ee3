"""Static files, read and compressed once at start-up, served with a content fingerprint.

Templates link ``static_url("css/site.css")`` -> ``/static/css/site.css?v=<hash>``. A request carrying
the current fingerprint may be cached for a year (``immutable``), so a learner's phone fetches the CSS
and script once; a new release changes the fingerprint. Text files are stored gzipped as well.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
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


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    mimetype: str
    version: str


def load_assets(folder: Path) -> dict[str, Asset]:
    assets = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        body = path.read_bytes()
        mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".js":
            mimetype = "text/javascript"
        gz = gzip.compress(body, 9, mtime=0) if mimetype in COMPRESSIBLE else None
        if gz is not None and len(gz) >= len(body):
            gz = None
        version = hashlib.sha256(body).hexdigest()[:10]
        assets[path.relative_to(folder).as_posix()] = Asset(body, gz, mimetype, version)
    return assets


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
    elif asset.gzipped is not None and "gzip" in request.accept_encodings:
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
