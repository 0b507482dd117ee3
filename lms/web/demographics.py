"""The optional questions for the programme's figures (sex, age band, role of work): their labels,
the form fields that registration and the profile add, and the one-time question on the dashboard.

Each field says in one sentence why it is asked. Not answering is always possible; "Prefer not to
say" is an answer, a blank is none.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.fields import SelectChoice
from wtforms.validators import Optional

from lms.models.users import AGE_BANDS, ORGANISATION_TYPES, SEXES, WORK_ROLES

SEX_LABELS = {
    "female": _l("Female"),
    "male": _l("Male"),
    "another": _l("Another"),
    "unstated": _l("Prefer not to say"),
}
AGE_LABELS = {
    "under-25": _l("Under 25"),
    "25-34": _l("25–34"),
    "35-44": _l("35–44"),
    "45-54": _l("45–54"),
    "55-plus": _l("55 and over"),
}
WORK_ROLE_LABELS = {
    "child-protection-officer": _l("Child protection officer"),
    "social-worker": _l("Social worker or case worker"),
    "police": _l("Police officer or cadet"),
    "teacher": _l("Teacher"),
    "residential-care": _l("Residential care staff"),
    "ngo-worker": _l("NGO or community worker"),
    "other": _l("Other"),
}
ORG_TYPE_LABELS = {
    "government": _l("Government child protection"),
    "social-welfare": _l("Social welfare"),
    "police": _l("Police"),
    "ngo": _l("NGO or community organisation"),
    "residential-care": _l("Orphanage or residential care"),
    "education": _l("Education"),
    "health": _l("Health"),
    "other": _l("Other"),
}
assert set(SEX_LABELS) == set(SEXES) and set(AGE_LABELS) == set(AGE_BANDS)
assert set(WORK_ROLE_LABELS) == set(WORK_ROLES)
assert set(ORG_TYPE_LABELS) == {v for v, _ in ORGANISATION_TYPES}

NOT_ANSWERED = _l("Not answered")


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice("", NOT_ANSWERED)] + [SelectChoice(v, t) for v, t in labels.items()]


class DemographicFields:
    """Mixed into the registration and profile forms (and the dashboard's question); a blank
    answer is ``""`` (``answers`` turns it into None)."""

    sex = SelectField(
        _l("Sex"),
        choices=_choices(SEX_LABELS),
        validators=[Optional()],
        description=_l(
            "Optional. The programme reports how many women and men were trained; reports show "
            "only totals, never your name."
        ),
    )
    age_band = SelectField(
        _l("Age"),
        choices=_choices(AGE_LABELS),
        validators=[Optional()],
        description=_l(
            "Optional. It shows which age groups the training reaches; reports show only totals."
        ),
    )
    work_role = SelectField(
        _l("Your role"),
        choices=_choices(WORK_ROLE_LABELS),
        validators=[Optional()],
        description=_l(
            "Optional. It shows which services the training reaches; reports show only totals."
        ),
    )


def answers(form) -> dict[str, str | None]:
    """The three answers of a form with these fields; None where not answered."""
    return {name: getattr(form, name).data or None for name in ("sex", "age_band", "work_role")}
