"""A programme manager filters the figures, downloads both exports, and the page passes axe."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from lms.extensions import db
from tests.e2e.test_browser import _assert_accessible, _log_in
from tests.factories import make_cohort, make_user


def test_a_programme_manager_filters_and_downloads(page: Page, live_server: str):
    teacher = make_user(role="instructor")
    sindh = [make_user(province="Sindh", district="Karachi", sex="female") for _ in range(6)]
    punjab = [make_user(province="Punjab", district="Lahore", sex="male") for _ in range(7)]
    make_cohort(teacher, sindh + punjab, name="Mixed batch")
    make_user(role="programme_manager", email="manager@example.org")
    db.session.close()  # no transaction of the test's own open while the server reads
    _log_in(page, live_server, "manager@example.org")
    page.get_by_role("link", name="Figures").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Programme figures")
    expect(page.locator("dl.summary div").first).to_contain_text("13")
    _assert_accessible(page, "figures page")

    page.get_by_label("Province or territory", exact=True).select_option("Sindh")
    page.get_by_label("Sex", exact=True).select_option("female")
    page.get_by_role("button", name="Show the figures").click()
    expect(page).to_have_url(re.compile("province=Sindh"))
    expect(page.locator("dl.summary div").first).to_contain_text("6")
    _assert_accessible(page, "figures page, filtered")

    with page.expect_download() as spreadsheet:
        page.get_by_role("link", name="These figures as a spreadsheet (XLSX)", exact=False).click()
    assert spreadsheet.value.suggested_filename.endswith(".xlsx")
    with open(spreadsheet.value.path(), "rb") as file:
        book = load_workbook(io.BytesIO(file.read()), read_only=True)
    indicators = [list(r) for r in book["Indicators"].iter_rows(values_only=True)]
    assert indicators[1] == ["People enrolled", 6, 0, 0, 6]

    with page.expect_download() as table:
        page.get_by_role("link", name="These figures as CSV").click()
    with open(table.value.path(), encoding="utf-8-sig") as file:
        rows = list(csv.reader(io.StringIO(file.read())))
    assert ["province", "Sindh"] in rows
    everyone = next(r for r in rows if r[:1] == ["Everyone counted"])
    assert everyone[2] == "6"
    assert not any("Lahore" in cell for row in rows for cell in row)
