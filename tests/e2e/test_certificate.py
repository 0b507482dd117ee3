"""A learner who has finished downloads the certificate; its QR address opens the valid page."""

from __future__ import annotations

import io
import re

import pypdf
from playwright.sync_api import Page, expect

from lms.extensions import db
from lms.services import certificates
from tests.e2e.test_browser import _assert_accessible, _log_in
from tests.factories import NOW, make_user
from tests.services.test_certificates import ISSUER, finished


def test_download_and_verify(app, page: Page, live_server: str):
    app.config["LMS_PUBLIC_URL"] = live_server  # what the QR code points to
    learner = make_user(email="done@example.org", full_name="Bilal Ahmed")
    finished(learner)
    certificates.issue(
        db.session, app.extensions["lms.catalog"], ISSUER, learner.id, "demo", now=NOW
    )
    db.session.commit()

    _log_in(page, live_server, "done@example.org")
    page.goto(f"{live_server}/certificates")
    _assert_accessible(page, "my certificates")
    with page.expect_download() as download:
        page.get_by_role("link", name="English", exact=True).click()
    data = download.value.path().read_bytes()
    text = pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "Bilal Ahmed" in text
    url = re.search(r"(http://127\.0\.0\.1:\d+/verify/[0-9A-Z-]+)", text).group(1)

    page.goto(url)
    expect(page.locator(".verdict.valid")).to_contain_text("Valid certificate")
    expect(page.locator(".certificate-facts")).to_contain_text("Bilal Ahmed")
    _assert_accessible(page, "verification page")
    page.goto(f"{live_server}/verify")
    _assert_accessible(page, "verification form")
