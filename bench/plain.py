"""The baseline of the lesson page's overhead: a plain Flask app, no extensions and no hooks, whose
one route returns the lesson page's bytes: its gzip body and the same response headers, copied from
the app (``BENCH_PLAIN_RESPONSE``: a JSON file of headers and the body, written by bench.overhead).
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from flask import Flask, Response

app = Flask(__name__)
_saved = json.loads(Path(os.environ["BENCH_PLAIN_RESPONSE"]).read_text())
_body = base64.b64decode(_saved["body"])
_headers = [tuple(pair) for pair in _saved["headers"]]


@app.route("/plain")
def plain() -> Response:
    return Response(_body, headers=_headers)
