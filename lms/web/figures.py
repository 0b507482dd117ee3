"""The programme's figures: one page with filters, charts with a table beside each, CSV and XLSX
exports of the same figures (with a donor indicator sheet), a learner-level CSV for administrators,
and the administrator's page that limits a programme manager to a province or an organisation.

Who sees whose figures is ``access.figures_scope``; the figures themselves come from
``lms.services.figures``. Here they are labelled, and every cell about fewer than 5 people is shown
as "< 5" to anyone but an administrator, with the cells that would give it away
(``figures.hidden_cells``, complementary suppression): in the page, the charts and the exports
alike, since all of them are built from the one ``Report`` below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property

from babel import Locale
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, SelectField, StringField, SubmitField
from wtforms.fields import SelectChoice
from wtforms.validators import Optional, ValidationError

from lms import database, i18n
from lms.extensions import db
from lms.models.users import PROVINCES, User
from lms.services import ServiceError, access, audit, clock, exports, figures
from lms.web.charts import Bar, bars, line
from lms.web.demographics import AGE_LABELS, ORG_TYPE_LABELS, SEX_LABELS, WORK_ROLE_LABELS
from lms.web.forms import AUTO_DIRECTION, Form, LongSelect, province_label
from lms.web.language import current_locale

bp = Blueprint("figures", __name__, url_prefix="/figures")

HIDDEN = "< 5"
#: a cell of 5 or more hidden so that a small one cannot be worked out from a total
WITHHELD = _l("withheld")
NOT_GIVEN = _l("Not answered")


def _mask(people: int) -> str:
    """What a hidden cell shows: "< 5" for a small one, "withheld" for one hidden beside it."""
    return HIDDEN if 0 < people < access.SMALL_CELL else str(WITHHELD)


def _number(value: float) -> str:
    """``format_decimal`` for the page's ten thousand cells: not negative, a whole number or one
    decimal, every language of the interface writes it as Python does (Latin digits, a point, and
    from 1,000 a comma every three digits: ``_groups_as_python``), so only the others go through
    Babel (asserted in the tests)."""
    if 0 <= value < 10**15:
        whole = value == int(value)
        if whole or round(value, 1) == value:
            if value < 1000:
                return str(int(value)) if whole else repr(float(value))
            if _groups_as_python(i18n.LOCALES):
                return f"{int(value):,}" if whole else f"{float(value):,}"
    return format_decimal(value)


@cache
def _groups_as_python(locales: tuple[str, ...]) -> bool:
    """Does each of ``locales`` write numbers as Python's ``f"{n:,}"`` (the pattern ``#,##0.###``,
    a comma between groups of three, a point before the decimals, Latin digits)? Asked of all the
    interface's languages at once, so that a cell need not look up the page's."""
    return all(_as_python(Locale.parse(locale)) for locale in locales)


def _as_python(language: Locale) -> bool:
    pattern = language.decimal_formats.get(None)
    symbols = language.number_symbols.get(language.default_numbering_system, {})
    return (
        pattern is not None
        and pattern.pattern == "#,##0.###"
        and language.default_numbering_system == "latn"
        and symbols.get("group") == ","
        and symbols.get("decimal") == "."
    )


class FiltersForm(Form):
    """The page's filters, sent with GET: they change nothing."""

    class Meta:
        csrf = False

    course = SelectField(_l("Course"), validators=[Optional()])
    start = DateField(_l("Enrolled from"), validators=[Optional()])
    end = DateField(_l("Enrolled until"), validators=[Optional()])
    province = SelectField(_l("Province or territory"), validators=[Optional()])
    #: names people typed (districts, organisations, cohorts): each reads in its own direction
    district = SelectField(_l("District"), validators=[Optional()], render_kw={"dir": "auto"},
                           widget=LongSelect())  # fmt: skip
    organisation_type = SelectField(_l("Organisation type"), validators=[Optional()])
    organisation = SelectField(_l("Organisation"), validators=[Optional()],
                               render_kw={"dir": "auto"}, widget=LongSelect())  # fmt: skip
    cohort = SelectField(_l("Cohort"), validators=[Optional()], render_kw={"dir": "auto"},
                         widget=LongSelect())  # fmt: skip
    sex = SelectField(_l("Sex"), validators=[Optional()])
    age_band = SelectField(_l("Age"), validators=[Optional()])
    work_role = SelectField(_l("Role"), validators=[Optional()])

    def validate_start(self, field):
        _plausible(field)

    def validate_end(self, field):
        _plausible(field)
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_("The end date is before the start date."))


def _plausible(field) -> None:
    if field.data and not 2000 <= field.data.year <= 2100:
        raise ValidationError(_("Give a date between 2000 and 2100."))


def _any(label=None):
    return [SelectChoice("", label or _("All"))]


def _answer_choices(labels: dict) -> list[SelectChoice]:
    return (
        _any()
        + [SelectChoice(v, t) for v, t in labels.items()]
        + [SelectChoice(figures.NOT_GIVEN, NOT_GIVEN)]
    )


def filters_form(scope: access.FiguresScope, choices: figures.Choices) -> FiltersForm:
    catalog = current_app.extensions["lms.catalog"]
    form = FiltersForm(request.args)
    form.course.choices = _any() + [
        SelectChoice(c.slug, c.title_in(current_locale()), render_kw=AUTO_DIRECTION)
        for c in catalog
    ]
    provinces = [scope.province] if scope.province else list(PROVINCES)
    form.province.choices = _any() + [SelectChoice(p, province_label(p)) for p in provinces]
    form.district.choices = _any() + [
        SelectChoice(
            f"{p}{figures.DISTRICT_KEY}{d}", f"{d} ({province_label(p)})", render_kw=AUTO_DIRECTION
        )
        for p, d in choices.districts
    ]
    form.organisation_type.choices = _any() + [
        SelectChoice(v, t) for v, t in ORG_TYPE_LABELS.items()
    ]
    organisations = [scope.organisation] if scope.organisation else choices.organisations
    form.organisation.choices = _any() + [
        SelectChoice(o, o, render_kw=AUTO_DIRECTION) for o in organisations
    ]
    form.cohort.choices = _any() + [
        SelectChoice(str(i), name, render_kw=AUTO_DIRECTION) for i, name, _ in choices.cohorts
    ]
    form.sex.choices = _answer_choices(SEX_LABELS)
    form.age_band.choices = _answer_choices(AGE_LABELS)
    form.work_role.choices = _answer_choices(WORK_ROLE_LABELS)
    return form


def chosen_filters(form: FiltersForm) -> figures.Filters:
    value = lambda f: f.data or None  # noqa: E731
    district = value(form.district)
    province = value(form.province)
    if district is not None:
        province_of, _, district = district.partition(figures.DISTRICT_KEY)
        if province is not None and province != province_of:
            raise ValidationError(_("That district is not in the province chosen."))
        province = province_of
    return figures.Filters(
        course=value(form.course),
        start=form.start.data,
        end=form.end.data,
        province=province,
        district=district,
        organisation_type=value(form.organisation_type),
        organisation=value(form.organisation),
        cohort=int(form.cohort.data) if form.cohort.data else None,
        sex=value(form.sex),
        age_band=value(form.age_band),
        work_role=value(form.work_role),
    )


# --- figures as shown: labels, suppression ---------------------------------------------------------
@dataclass(frozen=True)
class Shown:
    """A row of figures as a viewer may see them: texts for the page and the exports."""

    label: str
    row: figures.Row
    dimension: str  #: "total" for everyone counted
    hidden: frozenset  #: ``figures.hidden_cells``: the cells this viewer may not see

    def hides(self, figure: str) -> bool:
        return (self.dimension, self.row.key, figure) in self.hidden

    @cached_property
    def values(self) -> tuple[str, ...]:
        """``value`` of each of ``COLUMNS``, in their order: a table row's cells."""
        return tuple(self.value(name) for name, _title in COLUMNS)

    def _mask(self, figure: str) -> str:
        return _mask(getattr(self.row, figure))

    def _people(self, name: str) -> str:
        return self._mask(name) if self.hides(name) else _number(getattr(self.row, name))

    def _about(self, base: str, text: str) -> str:
        """A figure about the people counted in ``base``: hidden with them."""
        if not getattr(self.row, base):
            return "—"
        return self._mask(base) if self.hides(base) else text

    def value(self, name: str) -> str:
        r = self.row
        if name in ("enrolled", "active", "completed", "passed", "certified", "paired",
                    "evaluated"):  # fmt: skip
            return self._people(name)
        if name in ("credited_hours", "online_hours", "workshop_hours"):
            seconds = getattr(r, name.replace("hours", "seconds"))
            return self._about("enrolled", _number(round(seconds / 3600, 1)))
        if name == "completion_rate":
            rate = r.completion_rate
            text = f"{_number(round(100 * rate))}%" if rate is not None else "—"
            # certified ÷ enrolled: hidden where either is
            if self.hides("certified") and r.enrolled:
                return self._mask("certified")
            return self._about("enrolled", text)
        if name in ("mean_pre", "mean_post", "mean_gain"):
            mean = getattr(r, name)
            text = "—" if mean is None else _number(round(mean, 1))
            return self._about("paired", text)
        mean = getattr(r, name)  # evaluation averages
        return self._about("evaluated", "—" if mean is None else _number(round(mean, 1)))

    def cell(self, name: str):
        """The value for a spreadsheet: a number, "< 5" where hidden, "" where there is none."""
        text = self.value(name)
        if text in (HIDDEN, str(WITHHELD), "—"):
            return "" if text == "—" else text
        r = self.row
        if name in ("credited_hours", "online_hours", "workshop_hours"):
            return round(getattr(r, name.replace("hours", "seconds")) / 3600, 2)
        if name == "completion_rate":
            return round(r.completion_rate, 4)
        value = getattr(r, name)
        return round(value, 2) if isinstance(value, float) else value

    def number(self, name: str) -> float | None:
        """The value to draw, or None where hidden."""
        r = self.row
        if name in ("enrolled", "certified", "completed", "active"):
            return None if self.hides(name) else getattr(r, name)
        if name in ("mean_pre", "mean_post"):
            return None if self.hides("paired") else getattr(r, name)
        raise KeyError(name)


#: (column name, heading) of the figures of a group, in the page's and the exports' order
COLUMNS = (
    ("enrolled", _l("Enrolled")),
    ("active", _l("Active in the period")),
    ("completed", _l("Completed all hours")),
    ("passed", _l("Passed all quizzes")),
    ("certified", _l("Certified")),
    ("completion_rate", _l("Completion rate (certified ÷ enrolled)")),
    ("credited_hours", _l("Hours credited")),
    ("online_hours", _l("Hours read online")),
    ("workshop_hours", _l("Hours in workshops")),
    ("paired", _l("Learners with pre-test and post-test")),
    ("mean_pre", _l("Mean pre-test %")),
    ("mean_post", _l("Mean post-test %")),
    ("mean_gain", _l("Mean gain (points)")),
    ("evaluated", _l("Evaluations")),
    ("satisfaction", _l("Satisfaction (1–5)")),
    ("usefulness", _l("Usefulness for work (1–5)")),
    ("confidence_before", _l("Confidence before (1–5)")),
    ("confidence_after", _l("Confidence after (1–5)")),
)
BREAKDOWNS = (
    ("province", _l("By province or territory")),
    ("district", _l("By district")),
    ("organisation_type", _l("By organisation type")),
    ("organisation", _l("By organisation")),
    ("sex", _l("By sex")),
    ("age_band", _l("By age")),
    ("work_role", _l("By role")),
    ("course", _l("By course")),
    ("cohort", _l("By cohort")),
)


@dataclass
class Report:
    """Everything the page and the exports show, already labelled and suppressed."""

    scope: access.FiguresScope
    filters: figures.Filters
    hidden: frozenset  #: ``figures.hidden_cells``: every cell this viewer may not see
    total: Shown
    groups: dict[str, list[Shown]]
    months: list[tuple[str, str, str]]  #: (YYYY-MM, enrolments, certificates) as shown
    month_numbers: list[tuple[str, int | None, int | None]]
    comments: list[tuple[str, str]]


def _label(dimension: str, key: str | None, cohorts: dict[int, str]) -> str:
    catalog = current_app.extensions["lms.catalog"]
    if key is None:
        return str(NOT_GIVEN)
    if dimension == "district":
        province, _, district = key.partition(figures.DISTRICT_KEY)
        return f"{district or _('No district given')} ({province_label(province)})"
    if dimension == "province":
        return province_label(key)
    if dimension == "organisation_type":
        return str(ORG_TYPE_LABELS.get(key, key))
    if dimension == "sex":
        return str(SEX_LABELS.get(key, key))
    if dimension == "age_band":
        return str(AGE_LABELS.get(key, key))
    if dimension == "work_role":
        return str(WORK_ROLE_LABELS.get(key, key))
    if dimension == "course":
        course = catalog.course(key)
        return course.title_in(current_locale()) if course else key
    if dimension == "cohort":
        return cohorts.get(int(key), key)
    if dimension == "organisation" and key == "":
        return _("No organisation given")
    return key


_ORDER = {
    "province": lambda key: PROVINCES.index(key) if key in PROVINCES else 99,
    "sex": lambda key: list(SEX_LABELS).index(key) if key in SEX_LABELS else 99,
    "age_band": lambda key: list(AGE_LABELS).index(key) if key in AGE_LABELS else 99,
    "work_role": lambda key: list(WORK_ROLE_LABELS).index(key) if key in WORK_ROLE_LABELS else 99,
}


def build_report(scope, filters, computed: figures.Figures, cohorts, comments) -> Report:
    hidden = figures.hidden_cells(computed, scope)
    groups = {}
    for dimension, _title in BREAKDOWNS:
        rows = computed.by.get(dimension, [])
        order = _ORDER.get(dimension)
        if order is not None:
            rows = sorted(rows, key=lambda r, order=order: order(r.key))
        else:
            rows = sorted(rows, key=lambda r: (-r.enrolled, r.key or ""))
        groups[dimension] = [
            Shown(_label(dimension, r.key, cohorts), r, dimension, hidden) for r in rows
        ]
    months, numbers = [], []
    for month, counts in computed.months.items():
        drawn = [
            None if ("month", month, figure) in hidden else n
            for figure, n in zip(("enrolled", "certified"), counts, strict=True)
        ]
        months.append((month, *(_mask(n) if d is None else _number(n)
                                for n, d in zip(counts, drawn, strict=True))))  # fmt: skip
        numbers.append((month, *drawn))
    if ("total", None, "evaluated") in hidden:
        comments = []  # a handful of comments could be told apart: none are shown
    return Report(
        scope, filters, hidden, Shown(_("Everyone counted"), computed.total, "total", hidden),
        groups, months, numbers, comments,
    )  # fmt: skip


def _rtl() -> bool:
    return current_locale() == "ur"


def charts(report: Report) -> dict:
    """The page's charts: bars by province, district, organisation type and sex, the monthly
    line, and the pre-test and post-test means by course."""
    rtl = _rtl()

    def people(dimension: str, limit: int = 15):
        items = report.groups[dimension][:limit]
        return [Bar(s.label, s.number("enrolled"), s.value("enrolled")) for s in items]

    prepost = []
    for shown in report.groups["course"]:
        prepost.append(Bar(shown.label, shown.number("mean_pre"), shown.value("mean_pre"), 0))
        prepost.append(Bar(shown.label, shown.number("mean_post"), shown.value("mean_post"), 1))
    months = [m for m, _, _ in report.month_numbers]
    return {
        "province": bars(_("People enrolled, by province or territory"), people("province"),
                         rtl=rtl),
        "district": bars(_("People enrolled, by district (the 15 largest)"), people("district"),
                         rtl=rtl),
        "organisation_type": bars(_("People enrolled, by organisation type"),
                                  people("organisation_type"), rtl=rtl),
        "sex": bars(_("People enrolled, by sex"), people("sex"), rtl=rtl),
        "prepost": bars(_("Mean pre-test and post-test score (%), by course"), prepost, rtl=rtl,
                        maximum=100),
        "months": line(
            _("Enrolments and certificates, by month"), months,
            [(_("Enrolments"), [e for _, e, _ in report.month_numbers],
              [e for _, e, _ in report.months]),
             (_("Certificates"), [c for _, _, c in report.month_numbers],
              [c for _, _, c in report.months])],
            rtl=rtl,
        ),
    }  # fmt: skip


def _scope_or_403() -> access.FiguresScope:
    scope = access.figures_scope(db.session, current_user)
    if scope is None:
        abort(403)
    return scope


def _refresh(catalog) -> None:
    """Bring the stored figures up to date in a transaction of its own that writes: a GET's
    transaction begins deferred (``lms.database``), and on SQLite one that read and then writes
    fails if another writer committed in between. The figures are then read in a new one."""
    db.session.commit()
    token = database.set_read_only(False)
    try:
        figures.refresh(db.session, catalog)
        db.session.commit()
    finally:
        database.reset_read_only(token)


def _report(scope):
    choices = figures.choices(db.session, scope)
    form = filters_form(scope, choices)
    if not form.validate():
        return form, None, choices
    try:
        chosen = chosen_filters(form)
    except ValidationError as error:
        form.form_errors.append(str(error))
        return form, None, choices
    catalog = current_app.extensions["lms.catalog"]
    _refresh(catalog)
    computed = figures.compute(db.session, catalog, scope, chosen)
    comments = figures.comments(db.session, scope, chosen)
    cohorts = {i: name for i, name, _ in choices.cohorts}
    return form, build_report(scope, chosen, computed, cohorts, comments), choices


@bp.route("/")
def dashboard():
    scope = _scope_or_403()
    form, report, _choices = _report(scope)
    if report is None:
        return render_template("figures/dashboard.html", form=form, report=None,
                               scope=scope), 400  # fmt: skip
    query = request.query_string.decode("ascii", "replace")
    return render_template(
        "figures/dashboard.html", form=form, report=report, scope=scope, charts=charts(report),
        columns=COLUMNS, breakdowns=BREAKDOWNS, query=query,
    )  # fmt: skip


# --- exports ---------------------------------------------------------------------------------------
def _figure_rows(report: Report) -> list[list]:
    header = [_("Group"), _("Name")] + [str(title) for _, title in COLUMNS]
    rows = [header, [_("Everyone counted"), ""] + [report.total.cell(c) for c, _ in COLUMNS]]
    for dimension, title in BREAKDOWNS:
        for shown in report.groups[dimension]:
            rows.append([str(title), shown.label] + [shown.cell(c) for c, _ in COLUMNS])
    return rows


def _month_rows(report: Report) -> list[list]:
    rows = [[_("Month"), _("Enrolments"), _("Certificates")]]
    for (month, enrolled, certified), (_month, shown_e, shown_c) in zip(
        report.month_numbers, report.months, strict=True
    ):
        rows.append([month, shown_e if enrolled is None else enrolled,
                     shown_c if certified is None else certified])  # fmt: skip
    return rows


#: the donor table's rows: (indicator, the figure counted for each column)
INDICATORS = (
    (_l("People enrolled"), "enrolled"),
    (_l("People active in the period"), "active"),
    (_l("People who completed all hours"), "completed"),
    (_l("People who passed every module quiz"), "passed"),
    (_l("People certified (trained)"), "certified"),
    (_l("People with a pre-test and a post-test"), "paired"),
    (_l("People who evaluated a course"), "evaluated"),
)


def indicator_rows(report: Report) -> list[list]:
    """Rows: indicator; columns: female, male, other or not stated, total (people)."""
    by_sex = {s.row.key: s.row for s in report.groups["sex"]}
    female, male = by_sex.get("female"), by_sex.get("male")
    header = [_("Indicator"), _("Female"), _("Male"), _("Other or not stated"), _("Total")]
    rows = [header]
    for title, name in INDICATORS:
        total = getattr(report.total.row, name)
        f = getattr(female, name) if female else 0
        m = getattr(male, name) if male else 0
        cells = [
            (("sex", "female", name), f),
            (("sex", "male", name), m),
            ((figures.SEX_OTHER, None, name), total - f - m),
            (("total", None, name), total),
        ]
        rows.append([str(title)] + [_mask(n) if c in report.hidden else n for c, n in cells])
    return rows


def _filename(kind: str) -> str:
    return f"programme-figures-{clock.now().strftime('%Y%m%d')}.{kind}"


def _download(body, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _filters_rows(report: Report) -> list[list]:
    f = report.filters
    shown = [[_("Filters"), ""]]
    for name in ("course", "start", "end", "province", "district", "organisation_type",
                 "organisation", "cohort", "sex", "age_band", "work_role"):  # fmt: skip
        value = getattr(f, name)
        if value is not None:
            shown.append([name, value.isoformat() if isinstance(value, date) else str(value)])
    return shown


@bp.route("/figures.csv")
def export_csv():
    scope = _scope_or_403()
    _form, report, _choices = _report(scope)
    if report is None:
        abort(400, _("Check the filters."))
    rows = (_filters_rows(report) + [[]] + _figure_rows(report) + [[]] + indicator_rows(report)
            + [[]] + _month_rows(report))  # fmt: skip
    return _download("\ufeff" + exports.csv_text(rows), "text/csv", _filename("csv"))


@bp.route("/figures.xlsx")
def export_xlsx():
    scope = _scope_or_403()
    _form, report, _choices = _report(scope)
    if report is None:
        abort(400, _("Check the filters."))
    sheets = [
        (_("Figures"), _figure_rows(report)),
        (_("Indicators"), indicator_rows(report)),
        (_("By month"), _month_rows(report)),
        (_("Filters"), _filters_rows(report)),
    ]
    if report.comments:
        sheets.append((_("Comments"), [[_("What to improve"), _("Other comments")]]
                       + [list(c) for c in report.comments]))  # fmt: skip
    return _download(exports.xlsx_bytes(sheets), exports.XLSX_MIMETYPE, _filename("xlsx"))


@bp.route("/learners.csv")
def learners_csv():
    """Every counted enrolment with the person's name: administrators only, audited."""
    scope = _scope_or_403()
    if not scope.personal_data:
        abort(403)
    _form, report, _choices = _report(scope)
    if report is None:
        abort(400, _("Check the filters."))
    catalog = current_app.extensions["lms.catalog"]
    rows = [list(figures.LEARNER_COLUMNS)]
    for r in figures.learner_rows(db.session, catalog, scope, report.filters):
        rows.append([
            v.isoformat() if hasattr(v, "isoformat") else v for v in r
        ])  # fmt: skip
    audit.record(db.session, current_user.id, "learner figures exported", "figures",
                 now=clock.now(), rows=len(rows) - 1)  # fmt: skip
    return _download("\ufeff" + exports.csv_text(rows), "text/csv", "programme-learners.csv")


# --- a programme manager's limit -------------------------------------------------------------------
class ScopeForm(Form):
    province = SelectField(_l("Limit to a province or territory"), validators=[Optional()])
    organisation = StringField(
        _l("Or limit to an organisation (its name as people give it)"),
        validators=[Optional()],
    )
    submit = SubmitField(_l("Save the limit"))


@bp.route("/managers/<int:user_id>", methods=["GET", "POST"])
def manager_scope(user_id: int):
    """An administrator limits a programme manager to a province or an organisation (or not)."""
    if current_user.role != "admin":
        abort(403)
    person = db.session.get(User, user_id)
    if person is None or person.role != "programme_manager":
        abort(404)
    form = ScopeForm(obj=person if request.method == "GET" else None)
    form.province.choices = [SelectChoice("", _("No limit"))] + [
        SelectChoice(p, province_label(p)) for p in PROVINCES
    ]
    if request.method == "GET":
        form.province.data = person.scope_province or ""
        form.organisation.data = person.scope_organisation or ""
    status = 200
    if form.validate_on_submit():
        try:
            from lms.services import people

            people.set_manager_scope(
                db.session, person, form.province.data or None,
                (form.organisation.data or "").strip() or None, by=current_user.id,
                now=clock.now(),
            )  # fmt: skip
        except ServiceError as error:
            form.form_errors.append(error.message)
            status = 400
        else:
            flash(_("The limit is saved."), "success")
            return redirect(url_for("admin.users", q=person.email))
    elif form.is_submitted():
        status = 400
    return render_template("figures/manager.html", form=form, person=person), status
