"""Forms (Flask-WTF: every form carries a CSRF token, unless it is a search sent with GET).

Every form derives from ``Form``, which refuses control characters in every text field once, here
(PostgreSQL refuses a NUL, and nobody types one). Numbers are ``WholeNumberField``: ASCII digits in
the database's range. The register of a workshop, whose fields are named by learner, is read by
``read_register`` with the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from lms.models.users import ORGANISATION_TYPES, PASSWORD_MAX, PASSWORD_MIN, PROVINCES, ROLES
from lms.services.names import describe
from lms.web.demographics import DemographicFields
from lms.web.parsing import control_characters, is_digits, parse_id, whole_number

PROVINCE_CHOICES = [SelectChoice("", "Choose…")] + [SelectChoice(p, p) for p in PROVINCES]
ORG_TYPE_CHOICES = [SelectChoice("", "Choose…")] + [
    SelectChoice(value, label) for value, label in ORGANISATION_TYPES
]


CONTROL_CHARACTER = (
    "Remove the invisible control character {character} from what you typed (it may have come "
    "with pasted text)."
)


def plain_text(form, field) -> None:
    """The validator every text field gets from ``Form``: no control characters (a multi-line
    field may hold tabs and line breaks), no lone surrogates."""
    data = field.data
    if not isinstance(data, str):
        return
    found = control_characters(data, multiline=isinstance(field, TextAreaField))
    if found:
        raise ValidationError(CONTROL_CHARACTER.format(character=describe(found[0])))


def _is_typed_text(field) -> bool:
    # A password is never stored or searched as typed (only its hash), so any character may be in it.
    return isinstance(field, StringField) and not isinstance(field, PasswordField)


#: field types that a page may repeat (several forms on one page): they render without an id, so
#: the page has no duplicate ids; nothing labels them
_NO_ID_TYPES = frozenset({"CSRFTokenField", "HiddenField", "SubmitField"})


class Form(FlaskForm):
    """The base of every form: text fields refuse control characters (see ``plain_text``), and
    fields are read from a form post only. Hidden fields and buttons render without an id, so a
    page with several forms stays valid HTML."""

    class Meta:
        def render_field(self, field, render_kw):
            if field.type in _NO_ID_TYPES and "id" not in render_kw:
                render_kw = {**render_kw, "id": False}
            return super().render_field(field, render_kw)

        def wrap_formdata(self, form, formdata):
            # Flask-WTF would fill a form from a JSON body, and a JSON list or a nested object
            # there is a 500. The pages post forms; a JSON body fills no field (the form refuses).
            if request.is_json and not isinstance(formdata, MultiDict):
                return None
            return super().wrap_formdata(form, formdata)

    def validate(self, extra_validators=None) -> bool:
        extra = {name: list(validators) for name, validators in (extra_validators or {}).items()}
        for name, field in self._fields.items():
            if _is_typed_text(field):
                extra.setdefault(name, []).append(plain_text)
        return super().validate(extra_validators=extra)


class WholeNumberField(IntegerField):
    """An integer typed in ASCII digits (``²``, ``٣``, ``1_000`` and ``+5`` are refused), within
    the database's integer range; give its own range with ``NumberRange``."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = valuelist[0].strip() if isinstance(valuelist[0], str) else valuelist[0]
        self.data = whole_number(text)
        if self.data is None:
            raise ValueError(
                self.gettext("This number is too large.")
                if is_digits(text)
                else self.gettext("Type a whole number, with the digits 0 to 9.")
            )


def course_choices(catalog) -> list[SelectChoice]:
    """A course menu that starts empty, so nobody gets a course they did not choose."""
    return [SelectChoice("", "Choose a course…")] + [SelectChoice(c.slug, c.title) for c in catalog]


def _password(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            InputRequired(),
            Length(
                PASSWORD_MIN,
                PASSWORD_MAX,
                message=f"Use {PASSWORD_MIN} to {PASSWORD_MAX} characters.",
            ),
        ],
        render_kw={"autocomplete": "new-password"},
        description=f"At least {PASSWORD_MIN} characters. A short sentence is easy to remember.",
    )


class EmptyForm(Form):
    """For buttons that change something (enrol, log out): just the CSRF token."""


class ProfileFields(DemographicFields, Form):
    full_name = StringField(
        "Full name",
        validators=[
            InputRequired(message="Enter your full name."),
            DataRequired(message="Enter your full name."),
            Length(max=120),
        ],
        description="As it should be printed on your certificate. Your instructors and the "
        "programme team see it.",
        render_kw={"autocomplete": "name"},
    )
    organisation_type = SelectField(
        "Organisation type",
        choices=ORG_TYPE_CHOICES,
        validators=[InputRequired(message="Choose an organisation type.")],
        description="The programme reports how many people were trained in each kind of service; "
        "reports show only totals.",
    )
    organisation = StringField(
        "Organisation name",
        validators=[Optional(), Length(max=160)],
        render_kw={"autocomplete": "organization"},
        description="Optional. Your instructors and the programme team see it; reports show "
        "only totals.",
    )
    job_title = StringField(
        "Job title",
        validators=[Optional(), Length(max=120)],
        description="Optional. It helps your instructor plan the training; only they and the "
        "programme team see it.",
    )
    province = SelectField(
        "Province or territory",
        choices=PROVINCE_CHOICES,
        validators=[InputRequired(message="Choose a province or territory.")],
        description="Where you work. Reports count trained people by province; they never "
        "show your name.",
    )
    district = StringField(
        "District",
        validators=[Optional(), Length(max=80)],
        description="Optional. Reports count trained people by district; they never show your "
        "name.",
    )


class RegisterForm(ProfileFields):
    email = EmailField(
        "E-mail",
        validators=[
            DataRequired(),
            Email(message="Enter a valid e-mail address."),
            Length(max=254),
        ],
        render_kw={"autocomplete": "email"},
        description="You log in with it, and it lets you recover your account. Only your "
        "instructors and the programme team see it.",
    )
    password = _password("Password")
    confirm = PasswordField(
        "Password again",
        validators=[InputRequired(), EqualTo("password", message="The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Create account")


class ProfileForm(ProfileFields):
    submit = SubmitField("Save")


class LoginForm(Form):
    email = EmailField(
        "E-mail", validators=[DataRequired(), Length(max=254)], render_kw={"autocomplete": "email"}
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired(), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Log in")


class ChangePasswordForm(Form):
    current_password = PasswordField(
        "Current password",
        validators=[InputRequired(), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    password = _password("New password")
    confirm = PasswordField(
        "New password again",
        validators=[InputRequired(), EqualTo("password", message="The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Change password")


class FirstPasswordForm(Form):
    """A learner added by an instructor chooses their own password at first login."""

    password = _password("New password")
    confirm = PasswordField(
        "New password again",
        validators=[InputRequired(), EqualTo("password", message="The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Save my password")


class WorkshopForm(Form):
    module = SelectField(
        "Course and module", validators=[InputRequired(message="Choose a module.")]
    )
    held_on = DateField("Date", validators=[InputRequired(message="Give the date.")])
    starts_at = TimeField("Start time", validators=[InputRequired(message="Give the start time.")])
    minutes = WholeNumberField(
        "Duration in minutes",
        validators=[InputRequired(message="Give the duration."), NumberRange(1, 600)],
    )
    place = StringField("Place", validators=[InputRequired(), DataRequired(), Length(max=160)])
    facilitator = StringField(
        "Facilitator", validators=[InputRequired(), DataRequired(), Length(max=120)]
    )
    submit = SubmitField("Record the session")


class AddLearnersForm(Form):
    emails = TextAreaField(
        "E-mail addresses, one per line",
        validators=[InputRequired(message="Give at least one e-mail address."), Length(max=20000)],
    )
    submit = SubmitField("Add to the register")


class AdjustmentForm(Form):
    module = SelectField("Module", validators=[InputRequired(message="Choose a module.")])
    minutes = WholeNumberField(
        "Minutes (negative to remove)",
        validators=[InputRequired(message="Give the minutes."), NumberRange(-600, 600)],
    )
    reason = TextAreaField(
        "Reason",
        validators=[InputRequired(message="Give the reason."), Length(min=5, max=1000)],
        description="For example: paper register of the field workshop in Zhob, 12 March.",
    )
    submit = SubmitField("Save the adjustment")


class SearchForm(Form):
    """A search box sent with GET (``?q=``): the same checks as every other text field."""

    class Meta:
        csrf = False  # a search: GET, changes nothing

    q = StringField("Search", validators=[Optional()])

    def query(self) -> str:
        return (self.q.data or "")[:100]


class FindLearnerForm(Form):
    class Meta:
        csrf = False  # a search: GET, changes nothing

    email = EmailField("Learner's e-mail", validators=[InputRequired(), Length(max=254)])
    course = SelectField("Course", validators=[InputRequired()])


class RevokeForm(Form):
    reason = TextAreaField(
        "Reason (shown on the verification page)",
        validators=[InputRequired(), Length(min=5, max=1000)],
    )
    submit = SubmitField("Revoke")


class CredentialForm(Form):
    """A signed credential to verify: pasted, or uploaded as its .jwt file (either will do)."""

    MAX_BYTES = 64 * 1024

    credential = TextAreaField(
        "Signed credential",
        validators=[
            Optional(),
            Length(max=MAX_BYTES, message="That is too long to be a credential."),
        ],
    )
    file = FileField(
        "Or choose the .jwt file",
        validators=[
            Optional(),
            FileSize(max_size=MAX_BYTES, message="That file is too large to be a credential."),
        ],
    )
    submit = SubmitField("Check the credential")


class BulkRevokeForm(Form):
    """Revoke the certificates ticked on the page, all with one reason."""

    reason = TextAreaField(
        "Reason for revoking the ticked certificates (shown on each verification page)",
        validators=[InputRequired(), Length(min=5, max=1000)],
    )
    submit = SubmitField("Revoke the ticked certificates")


class EraseForm(Form):
    reason = TextAreaField(
        "Why is this account erased?",
        validators=[InputRequired(), Length(min=5, max=1000)],
        description="For example: the person asked on 1 December by letter. Kept in the audit log.",
    )
    withdraw = BooleanField("Also revoke the person's certificates (they asked to withdraw them)")
    confirm = BooleanField(
        "I understand that the name, e-mail and login are removed for good",
        validators=[DataRequired(message="Tick the box to confirm.")],
    )
    submit = SubmitField("Erase this account")


class CohortForm(Form):
    name = StringField("Cohort name", validators=[InputRequired(), DataRequired(), Length(max=160)],
                       description="For example: ASI batch 14, Police Training College Quetta")  # fmt: skip
    course = SelectField("Course", validators=[InputRequired(message="Choose the course.")])
    starts_on = DateField("Start date", validators=[InputRequired(message="Give the start date.")])
    ends_on = DateField("End date", validators=[InputRequired(message="Give the end date.")])
    organisation = SelectField("Organisation", validators=[Optional()])
    submit = SubmitField("Create the cohort")


class InstructorForm(Form):
    email = EmailField("Co-instructor's e-mail", validators=[InputRequired(), Length(max=254)])
    submit = SubmitField("Add co-instructor")


class RosterForm(Form):
    file = FileField("CSV file", validators=[FileRequired(message="Choose a CSV file.")])
    submit = SubmitField("Check the file")


class AssignmentForm(Form):
    module = SelectField(
        "What to finish", validators=[InputRequired(message="Choose a module or the whole course.")]
    )
    due_on = DateField("Due date", validators=[InputRequired(message="Give the due date.")])
    submit = SubmitField("Save the assignment")


class JoinForm(Form):
    code = StringField("Join code", validators=[InputRequired(), Length(max=20)],
                       description="The 8 letters and digits your instructor gave you.")  # fmt: skip
    submit = SubmitField("Join the cohort")


class RoleForm(Form):
    role = SelectField("Role", choices=[SelectChoice(r, r) for r in ROLES])
    submit = SubmitField("Change role")


class OrganisationForm(Form):
    name = StringField("Name", validators=[InputRequired(), DataRequired(), Length(max=160)])
    organisation_type = SelectField("Type", choices=ORG_TYPE_CHOICES,
                                    validators=[InputRequired(message="Choose a type.")])  # fmt: skip
    submit = SubmitField("Add organisation")


class ForgotPasswordForm(Form):
    email = EmailField(
        "E-mail",
        validators=[
            DataRequired(message="Enter the e-mail address you log in with."),
            Email(message="Enter a valid e-mail address."),
            Length(max=254),
        ],
        render_kw={"autocomplete": "email"},
    )
    submit = SubmitField("Send me a link")


class LinkCodeForm(Form):
    class Meta:
        csrf = False  # a look-up: GET, changes nothing

    code = StringField(
        "Code",
        validators=[InputRequired(message="Type the code from your slip."), Length(max=40)],
        description="16 letters and digits, for example 7KQM-2D9X-H4TR-PV3A. Dashes and case do "
        "not matter.",
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )


# --- the register of a workshop session: one status, minutes and remark per learner ------------
REGISTER_CHANGED = "The register was changed meanwhile. Reload the page and try again."


@dataclass(frozen=True)
class RegisterRow:
    learner_id: int
    status: str
    minutes: int | None
    remark: str


def read_register(formdata, on_register: set[int]) -> list[RegisterRow]:
    """The rows of a submitted register (``status-<id>``, ``minutes-<id>``, ``remark-<id>``).

    Raises ``ValidationError`` with a message for the person: a learner who is not on the register
    (or an id that is not one), a field sent twice, minutes that are not a whole number (in the
    database's range: how many a mark may hold is the hours service's rule), or a control character.
    """
    rows = []
    for key in formdata:
        if not key.startswith("status-"):
            continue
        learner_id = parse_id(key.removeprefix("status-"))
        if learner_id is None or learner_id not in on_register:
            raise ValidationError(REGISTER_CHANGED)
        values = {
            name: formdata.getlist(f"{name}-{learner_id}")
            for name in ("status", "minutes", "remark")
        }
        if key != f"status-{learner_id}" or any(len(v) > 1 for v in values.values()):
            raise ValidationError(REGISTER_CHANGED)  # "status-007", or a field sent twice
        status = values["status"][0]
        minutes_text = (values["minutes"] or [""])[0].strip()
        minutes = whole_number(minutes_text, low=0) if minutes_text else None
        if minutes_text and minutes is None:
            raise ValidationError("Minutes attended must be a whole number, such as 45.")
        remark = (values["remark"] or [""])[0]
        for text in (status, remark):
            found = control_characters(text)
            if found:
                raise ValidationError(CONTROL_CHARACTER.format(character=describe(found[0])))
        rows.append(RegisterRow(learner_id, status, minutes, remark))
    return rows
