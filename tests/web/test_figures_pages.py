"""The figures page and its exports: what each role sees, small cells hidden from everyone but
administrators (page, charts and exports), a programme manager's limit, and a fixed number of
statements whatever the number of learners."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from lms.extensions import db
from tests.conftest import soup
from tests.factories import make_cohort, make_user
from tests.services.test_figures import programme  # noqa: F401 - the hand-built data set


def _summary(response) -> dict[str, str]:
    page = soup(response)
    return {
        d.dt.get_text(strip=True): d.dd.get_text(strip=True) for d in page.select("dl.summary div")
    }


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def _xlsx(response) -> dict[str, list[list]]:
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    return {sheet.title: [list(r) for r in sheet.iter_rows(values_only=True)] for sheet in book}


def test_an_administrator_sees_every_figure(client, login_as, programme):  # noqa: F811
    login_as(make_user(role="admin"))
    response = client.get("/figures/")
    assert response.status_code == 200
    summary = _summary(response)
    assert summary["Enrolled"] == "5"
    assert summary["Certified"] == "2"
    assert summary["Completion rate (certified ÷ enrolled)"] == "40%"
    assert summary["Hours credited"] == "1.9"  # 6,900 s
    assert summary["Mean gain (points)"] == "33.3"
    assert summary["Satisfaction (1–5)"] == "4"
    page = soup(response)
    charts = page.select("svg.chart[role=img]")
    assert len(charts) == 6
    assert all(c.title and c.title.get_text() and c.desc.get_text() for c in charts)
    province = page.select_one("#province-title").find_parent("section")
    assert "Sindh: 3" in province.svg.desc.get_text()
    rows = {tr.th.get_text(strip=True): [td.get_text() for td in tr.select("td")]
            for tr in province.select("table tbody tr")}  # fmt: skip
    assert rows["Sindh"][0] == "3" and rows["Punjab"][0] == "2"
    assert "More case studies" in page.select_one("ul.comments").get_text()
    assert page.find("a", href=lambda h: h and h.startswith("/figures/learners.csv"))


def test_small_cells_are_hidden_from_an_instructor_everywhere(client, login_as, programme):  # noqa: F811
    login_as(programme["t"])  # teaches K1: A, B and C
    response = client.get("/figures/")
    assert response.status_code == 200
    summary = _summary(response)
    assert summary["Enrolled"] == "< 5"
    assert summary["Hours credited"] == "< 5"
    assert summary["Mean gain (points)"] == "< 5"
    page = soup(response)
    for svg in page.select("svg.chart"):  # each value in the text alternative: hidden or none
        for item in svg.desc.get_text().split("; "):
            assert item.endswith(("< 5", "—")), item
        assert not svg.select("rect")  # no bar drawn for a hidden value
    assert not page.select("ul.comments")  # fewer than 5 evaluators: no comments shown
    assert not page.find("a", href=lambda h: h and h.startswith("/figures/learners.csv"))
    rows = _csv(client.get("/figures/figures.csv"))
    everyone = next(r for r in rows if r[:1] == ["Everyone counted"])
    assert everyone[2] == "< 5"
    sheets = _xlsx(client.get("/figures/figures.xlsx"))
    indicators = sheets["Indicators"]
    assert indicators[0] == ["Indicator", "Female", "Male", "Other or not stated", "Total"]
    assert indicators[1] == ["People enrolled", "< 5", "< 5", 0, "< 5"]
    assert "Comments" not in sheets


def test_the_donor_indicator_sheet(client, login_as, programme):  # noqa: F811
    login_as(make_user(role="admin"))
    sheets = _xlsx(client.get("/figures/figures.xlsx"))
    table = {row[0]: row[1:] for row in sheets["Indicators"][1:]}
    assert table["People enrolled"] == [2, 2, 1, 5]
    assert table["People certified (trained)"] == [1, 1, 0, 2]
    assert table["People who completed all hours"] == [1, 2, 0, 3]
    assert table["People with a pre-test and a post-test"] == [1, 2, 0, 3]
    assert sheets["By month"][1:] == [["2026-03", 4, 2], ["2026-04", 1, 0]]
    assert ["More case studies", None] in sheets["Comments"]
    figures_sheet = {(r[0], r[1]): r[2:] for r in sheets["Figures"][1:]}
    assert figures_sheet[("Everyone counted", None)][:6] == [5, 4, 3, 3, 2, 0.4]
    csv_rows = _csv(client.get("/figures/figures.csv?province=Sindh"))
    assert ["province", "Sindh"] in csv_rows
    assert next(r for r in csv_rows if r[:1] == ["Everyone counted"])[2] == "3"


@pytest.fixture
def two_provinces(app):
    """Six learners in Sindh and six in Punjab (Lahore, Punjab Police, cohort "Lahore batch")."""
    teacher = make_user(role="instructor")
    sindh = [make_user(province="Sindh", district="Karachi", organisation="Sahil",
                       sex="female" if i % 2 else "male") for i in range(6)]  # fmt: skip
    punjab = [make_user(province="Punjab", district="Lahore", organisation="Punjab Police",
                        sex="female") for i in range(6)]  # fmt: skip
    make_cohort(teacher, sindh, name="Karachi batch")
    make_cohort(teacher, punjab, name="Lahore batch")
    return sindh, punjab


def test_a_manager_limited_to_sindh_never_sees_a_punjab_figure(client, login_as, two_provinces):
    manager = make_user(role="programme_manager", province="Punjab", scope_province="Sindh")
    login_as(manager)
    for query in ("", "?province=Punjab", "?sex=female"):
        response = client.get("/figures/" + query)
        assert response.status_code in (200, 400)
        main = soup(response).select_one("main")  # (the header's language switch repeats the URL)
        text = str(main)
        for word in ("Punjab", "Lahore", "Punjab Police"):
            assert word not in text, (query, word)
        for export in ("/figures/figures.csv", "/figures/figures.xlsx"):
            answer = client.get(export + query)
            if answer.status_code != 200:
                continue
            if export.endswith(".csv"):
                cells = [c for row in _csv(answer) for c in row]
            else:
                cells = [c for rows in _xlsx(answer).values() for row in rows for c in row]
            assert not [c for c in cells if isinstance(c, str) and ("Punjab" in c or "Lahore" in c)]
    summary = _summary(client.get("/figures/"))
    assert summary["Enrolled"] == "6"  # Sindh's six, not twelve
    assert client.get("/figures/?province=Punjab").status_code == 400  # not a choice for them
    assert client.get("/figures/learners.csv").status_code == 403


def test_an_administrator_limits_a_manager(client, login_as, app):
    manager = make_user(role="programme_manager")
    login_as(make_user(role="admin"))
    response = client.post(f"/figures/managers/{manager.id}", data={"province": "Sindh"})
    assert response.status_code == 302
    db.session.refresh(manager)
    assert manager.scope_province == "Sindh"
    both = {"province": "Sindh", "organisation": "Sahil"}
    assert client.post(f"/figures/managers/{manager.id}", data=both).status_code == 400
    db.session.refresh(manager)
    assert (manager.scope_province, manager.scope_organisation) == ("Sindh", None)
    learner = make_user()
    assert client.get(f"/figures/managers/{learner.id}").status_code == 404


@pytest.mark.parametrize(
    "query", ["?start=2026-13-01", "?start=2026-05-01&end=2026-04-01", "?course=nope",
              "?district=Sindh/Lahore", "?cohort=abc", "?end=9999-12-31"],
)  # fmt: skip
def test_bad_filters_are_refused_with_a_message(client, login_as, app, query):
    login_as(make_user(role="admin"))
    response = client.get("/figures/" + query)
    assert response.status_code == 400
    assert soup(response).select(".error, .form-errors")
    assert client.get("/figures/figures.csv" + query).status_code == 400


def _statements(client, driver_statements) -> int:
    driver_statements.clear()
    assert client.get("/figures/?province=Sindh&sex=female").status_code == 200
    return len(driver_statements)


def test_the_page_sends_as_many_statements_for_many_learners_as_for_few(
    client, login_as, app, driver_statements
):
    login_as(make_user(role="programme_manager"))
    teacher = make_user(role="instructor")
    few = [make_user(province="Sindh", sex="female") for _ in range(2)]
    make_cohort(teacher, few)
    before = _statements(client, driver_statements)
    many = [make_user(province=p, sex="female") for p in ("Sindh", "Punjab") for _ in range(12)]
    make_cohort(teacher, many)
    assert _statements(client, driver_statements) == before


def test_an_administrator_can_make_someone_a_programme_manager(client, login_as, app):
    person = make_user(email="pm@example.org")
    login_as(make_user(role="admin"))
    page = soup(client.get("/admin/users", query_string={"q": "pm@example.org"}))
    options = [o["value"] for o in page.select(f"#role-{person.id} option")]
    assert options == ["learner", "instructor", "programme_manager", "admin"]
    assert client.post(f"/admin/users/{person.id}/role",
                       data={"role": "programme_manager"}).status_code == 302  # fmt: skip
    db.session.refresh(person)
    assert person.role == "programme_manager"
    page = soup(client.get("/admin/users", query_string={"q": "pm@example.org"}))
    assert page.find("a", href=f"/figures/managers/{person.id}")


@pytest.fixture
def nine_in_sindh(app):
    """Karachi: 3 women and 4 men; Hyderabad: 2 men. Female 3 is small and male 6 is not: shown,
    the 6 would give the 3 away (9 - 6); so would Karachi's 7 give Hyderabad's 2 away."""
    teacher = make_user(role="instructor")
    people = [make_user(province="Sindh", district="Karachi", organisation="Sahil", sex="female")
              for _ in range(3)]  # fmt: skip
    people += [make_user(province="Sindh", district="Karachi", organisation="Sahil", sex="male")
               for _ in range(4)]  # fmt: skip
    people += [make_user(province="Sindh", district="Hyderabad", organisation="Sahil", sex="male")
               for _ in range(2)]  # fmt: skip
    make_cohort(teacher, people, name="Sindh batch")
    return people


PERSON_GROUPS = ("By province or territory", "By district", "By organisation type",
                 "By organisation", "By sex", "By age", "By role")  # fmt: skip


def _no_lone_hidden_cell(table: list[list], total: list) -> None:
    """In rows that add up to ``total``, no column has exactly one hidden cell where the total
    shows: the total less the shown cells would be that cell."""
    for column, whole in enumerate(total):
        if whole in ("< 5", "withheld", "") or not isinstance(whole, int | str):
            continue
        cells = [row[column] for row in table]
        assert sum(c in ("< 5", "withheld") for c in cells) != 1, (column, total, table)


def test_no_hidden_count_can_be_worked_out_from_the_exports(client, login_as, nine_in_sindh):
    login_as(make_user(role="programme_manager"))
    rows = _csv(client.get("/figures/figures.csv"))
    header = next(i for i, r in enumerate(rows) if r[:1] == ["Group"])
    figures_rows = rows[header + 1 : rows.index([], header)]
    everyone = figures_rows[0][2:]
    assert everyone[0] == "9"
    for group in PERSON_GROUPS:
        _no_lone_hidden_cell([r[2:] for r in figures_rows if r[0] == group], everyone)
    by = {(r[0], r[1]): r[2] for r in figures_rows}
    assert by[("By sex", "Female")] == "< 5"  # 3
    assert by[("By sex", "Male")] == "withheld"  # 6, with it
    assert by[("By district", "Karachi (Sindh)")] == "withheld"  # 7, with Hyderabad's 2
    assert by[("By district", "Hyderabad (Sindh)")] == "< 5"
    assert by[("By province or territory", "Sindh")] == "9"
    sheets = _xlsx(client.get("/figures/figures.xlsx"))
    table = {row[0]: row[1:] for row in sheets["Indicators"][1:]}
    assert table["People enrolled"] == ["< 5", "withheld", 0, 9]
    for cells in table.values():
        _no_lone_hidden_cell([[c] for c in cells[:3]], [cells[3]])
    xlsx_rows = sheets["Figures"][1:]
    for group in PERSON_GROUPS:
        _no_lone_hidden_cell(
            [list(r[2:]) for r in xlsx_rows if r[0] == group], list(xlsx_rows[0][2:])
        )
    page = soup(client.get("/figures/"))
    sex = page.select_one("#sex-title").find_parent("section")
    assert "Female: < 5" in sex.svg.desc.get_text() and "Male: withheld" in sex.svg.desc.get_text()
    assert not sex.svg.select("rect")  # neither bar is drawn
    table_rows = {tr.th.get_text(strip=True): tr.td.get_text(strip=True)
                  for tr in sex.select("table tbody tr")}  # fmt: skip
    assert (table_rows["Female"], table_rows["Male"]) == ("< 5", "withheld")


@pytest.mark.parametrize("locale", ["en", "ur"])
def test_the_quick_number_format_is_babels(app, locale):
    from flask_babel import force_locale, format_decimal

    from lms.web.figures import _number

    values = [0, 1, 4, 5, 999, 1000, 1234, 56789, 0.5, 33.3, 4.0, 999.9, 1000.5, 12.25, -3, -0.5,
              1234567, 12345.6, 999999.9, 1000.0, 2187.6, -1234.5, 1234.56]  # fmt: skip
    with app.test_request_context(), force_locale(locale):
        assert [_number(v) for v in values] == [format_decimal(v) for v in values]


def test_the_long_menus_are_written_as_wtforms_writes_them(app):
    """``forms.LongSelect`` writes the HTML of WTForms' ``Select``: names people typed (quotes,
    ampersands, angle brackets), the chosen option, options with and without a direction."""
    from wtforms import Form as PlainForm
    from wtforms import SelectField
    from wtforms.fields import SelectChoice
    from wtforms.widgets import Select

    from lms.web.forms import AUTO_DIRECTION, LongSelect

    names = ['Al-"Noor" & <Sons>', "ادارہ", "", "Plain"]
    for chosen in ("Plain", 'Al-"Noor" & <Sons>', ""):

        class Menus(PlainForm):
            quick = SelectField(widget=LongSelect())
            slow = SelectField(widget=Select())

        form = Menus(data={"quick": chosen, "slow": chosen})
        for field in (form.quick, form.slow):
            field.choices = [SelectChoice("", "All")] + [
                SelectChoice(n, n or "—", render_kw=AUTO_DIRECTION) for n in names
            ]
        assert str(form.quick()).replace("quick", "slow") == str(form.slow())
