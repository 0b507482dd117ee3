"""Forms (Flask-WTF: every form carries a CSRF token, unless it is a search sent with GET).

Every form derives from ``Form``, which refuses control characters in every text field once, here
(PostgreSQL refuses a NUL, and nobody types one). Numbers are ``WholeNumberField``: ASCII digits in
the database's range. The register of a workshop, whose fields are named by learner, is read by
``read_register`` with the same rules.

Every label, description, choice and message is a lazy string (``_l``): it is looked up in the
page's language when the form renders or validates, not once at import. WTForms' own messages
("Not a valid date value.") come from our catalogue too (``LIBRARY_MESSAGES``). Stored values (a
province, an organisation type, a role) stay English; ``*_LABELS`` name them on the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import request
from flask_babel import get_translations
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from markupsafe import Markup, escape
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
from wtforms.widgets import Select

from lms.models.users import ORGANISATION_TYPES, PASSWORD_MAX, PASSWORD_MIN, PROVINCES
from lms.services.names import describe
from lms.web.demographics import DemographicFields
from lms.web.parsing import control_characters, is_digits, parse_id, whole_number

#: each province's name as a page shows it (the stored value is the English name)
PROVINCE_LABELS = {
    "Punjab": _l("Punjab"),
    "Sindh": _l("Sindh"),
    "Khyber Pakhtunkhwa": _l("Khyber Pakhtunkhwa"),
    "Balochistan": _l("Balochistan"),
    "Islamabad Capital Territory": _l("Islamabad Capital Territory"),
    "Gilgit-Baltistan": _l("Gilgit-Baltistan"),
    "Azad Jammu and Kashmir": _l("Azad Jammu and Kashmir"),
}
#: each organisation type's label as a page shows it (the English label is the model's)
ORGANISATION_TYPE_LABELS = {
    "government": _l("Government child protection"),
    "social-welfare": _l("Social welfare"),
    "police": _l("Police"),
    "ngo": _l("NGO or community organisation"),
    "residential-care": _l("Orphanage or residential care"),
    "education": _l("Education"),
    "health": _l("Health"),
    "other": _l("Other"),
}
#: each role's name as a page shows it (the stored value is the English word)
ROLE_LABELS = {
    "learner": _l("Learner"),
    "instructor": _l("Instructor"),
    "programme_manager": _l("Programme manager"),
    "admin": _l("Administrator"),
}
CHOOSE = _l("Choose…")
#: an option whose label people typed (an organisation) or the content wrote (a course's title)
AUTO_DIRECTION = {"dir": "auto"}

PROVINCE_CHOICES = [SelectChoice("", CHOOSE)] + [
    SelectChoice(p, PROVINCE_LABELS[p]) for p in PROVINCES
]
ORG_TYPE_CHOICES = [SelectChoice("", CHOOSE)] + [
    SelectChoice(value, ORGANISATION_TYPE_LABELS[value]) for value, _label in ORGANISATION_TYPES
]


class LongSelect(Select):
    """WTForms' ``<select>``, the same HTML, for menus of hundreds of options (the figures'
    districts, organisations and cohorts): an option whose only attribute is ``dir`` is written
    directly, not through ``html_params`` (the attributes in its order: dir, selected, value)."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        extra = choice.render_kw or {}
        if kwargs or not isinstance(choice.value, str) or set(extra) - {"dir"}:
            return super().render_option(choice, **kwargs)
        direction = f'dir="{escape(extra["dir"])}" ' if "dir" in extra else ""
        selected = "selected " if choice.selected else ""
        label = escape(choice.label or choice.value)
        value = escape(choice.value)
        return Markup(f'<option {direction}{selected}value="{value}">{label}</option>')  # noqa: S704 - escaped


def province_label(value: str) -> str:
    """A stored province as the page's language names it (an unknown value as it is)."""
    return str(PROVINCE_LABELS.get(value, value))


def organisation_type_label(value: str) -> str:
    return str(ORGANISATION_TYPE_LABELS.get(value, value))


def role_label(value: str) -> str:
    return str(ROLE_LABELS.get(value, value))


CONTROL_CHARACTER = _l(
    "Remove the invisible control character %(character)s from what you typed (it may have come "
    "with pasted text)."
)


def N_(message: str) -> str:  # noqa: N802 - the marker the extraction looks for
    return message


class _Plural:
    """``_Plural.ngettext(singular, plural)`` marks a plural message for the extraction only."""

    @staticmethod
    def ngettext(singular: str, plural: str) -> tuple[str, str]:
        return singular, plural


#: WTForms' and Flask-WTF's own messages that our fields and validators can show. ``Form`` looks
#: them up in our catalogue (WTForms has no Urdu one); they are listed here so that the extraction
#: keeps them in it.
LIBRARY_MESSAGES = (
    N_("This field is required."),
    N_("Not a valid choice."),
    N_("Invalid Choice: could not coerce."),
    N_("Not a valid date value."),
    N_("Not a valid time value."),
    N_("Not a valid integer value."),
    N_("Invalid email address."),
    N_("Field must be equal to %(other_name)s."),
    N_("Field must be between %(min)d and %(max)d characters long."),
    N_("Number must be at least %(min)s."),
    N_("Number must be at most %(max)s."),
    N_("Number must be between %(min)s and %(max)s."),
    N_("Invalid value, must be one of: %(values)s."),
    _Plural.ngettext(
        "Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.",
    ),
    _Plural.ngettext(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
    ),
    _Plural.ngettext(
        "Field must be exactly %(max)d character long.",
        "Field must be exactly %(max)d characters long.",
    ),
)


class _Catalogue:
    """What WTForms asks for its messages: our catalogue, in the page's language. (The message
    comes back unformatted: WTForms fills in ``%(min)d`` and the like itself.)"""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


_CATALOGUE = _Catalogue()


def plain_text(form, field) -> None:
    """The validator every text field gets from ``Form``: no control characters (a multi-line
    field may hold tabs and line breaks), no lone surrogates."""
    data = field.data
    if not isinstance(data, str):
        return
    found = control_characters(data, multiline=isinstance(field, TextAreaField))
    if found:
        raise ValidationError(CONTROL_CHARACTER % {"character": describe(found[0])})


def _is_typed_text(field) -> bool:
    # A password is never stored or searched as typed (only its hash), so any character may be in it.
    return isinstance(field, StringField) and not isinstance(field, PasswordField)


#: field types that a page may repeat (several forms on one page): they render without an id, so
#: the page has no duplicate ids; nothing labels them
_NO_ID_TYPES = frozenset({"CSRFTokenField", "HiddenField", "SubmitField"})


class Form(FlaskForm):
    """The base of every form: text fields refuse control characters (see ``plain_text``), and
    fields are read from a form post only. Hidden fields and buttons render without an id, so a
    page with several forms stays valid HTML. WTForms' own messages come from our catalogue, in
    the page's language (see ``LIBRARY_MESSAGES``)."""

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

        def get_translations(self, form):
            return _CATALOGUE

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


#: ``WholeNumberField``'s messages (it asks WTForms' ``gettext``, which is our catalogue)
NUMBER_MESSAGES = (
    N_("This number is too large."),
    N_("Type a whole number, with the digits 0 to 9."),
)


def course_choices(catalog) -> list[SelectChoice]:
    """A course menu that starts empty, so nobody gets a course they did not choose. (A title is
    content, in whichever script it is written: ``dir="auto"``.)"""
    return [SelectChoice("", _("Choose a course…"))] + [
        SelectChoice(c.slug, c.title, render_kw=AUTO_DIRECTION) for c in catalog
    ]


def _password(label) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            InputRequired(message=_l("Choose a password.")),
            Length(
                PASSWORD_MIN,
                PASSWORD_MAX,
                message=_l("Use %(min)d to %(max)d characters."),
            ),
        ],
        render_kw={"autocomplete": "new-password"},
        description=_l(
            "At least %(min)d characters. A short sentence is easy to remember.", min=PASSWORD_MIN
        ),
    )


def _password_again(label, message) -> PasswordField:
    """The second typing of a new password, which must match the form's ``password``."""
    return PasswordField(
        label,
        validators=[InputRequired(message=message), EqualTo("password", message=_PASSWORDS_DIFFER)],
        render_kw={"autocomplete": "new-password"},
    )


def _at_most(limit: int) -> Length:
    """At most ``limit`` characters, said in the page's language."""
    return Length(max=limit, message=_l("Use at most %(max)d characters."))


def _reason(limit: int = 1000) -> Length:
    return Length(
        min=5, max=limit, message=_l("Write %(min)d to %(max)d characters: a few words at least.")
    )


_EMAIL_NEEDED = _l("Enter an e-mail address.")
_TYPE_IT = _l("Fill in this field.")
_PASSWORDS_DIFFER = _l("The two passwords differ.")


class EmptyForm(Form):
    """For buttons that change something (enrol, log out): just the CSRF token."""


class ProfileFields(DemographicFields, Form):
    full_name = StringField(
        _l("Full name"),
        validators=[
            InputRequired(message=_l("Enter your full name.")),
            DataRequired(message=_l("Enter your full name.")),
            _at_most(120),
        ],
        description=_l(
            "As it should be printed on your certificate. Your instructors and the programme "
            "team see it."
        ),
        render_kw={"autocomplete": "name"},
    )
    organisation_type = SelectField(
        _l("Organisation type"),
        choices=ORG_TYPE_CHOICES,
        validators=[InputRequired(message=_l("Choose an organisation type."))],
        description=_l(
            "The programme reports how many people were trained in each kind of service; "
            "reports show only totals."
        ),
    )
    organisation = StringField(
        _l("Organisation name"),
        validators=[Optional(), _at_most(160)],
        render_kw={"autocomplete": "organization"},
        description=_l(
            "Optional. Your instructors and the programme team see it; reports show only totals."
        ),
    )
    job_title = StringField(
        _l("Job title"),
        validators=[Optional(), _at_most(120)],
        description=_l(
            "Optional. It helps your instructor plan the training; only they and the programme "
            "team see it."
        ),
    )
    province = SelectField(
        _l("Province or territory"),
        choices=PROVINCE_CHOICES,
        validators=[InputRequired(message=_l("Choose a province or territory."))],
        description=_l(
            "Where you work. Reports count trained people by province; they never show your name."
        ),
    )
    district = StringField(
        _l("District"),
        validators=[Optional(), _at_most(80)],
        description=_l(
            "Optional. Reports count trained people by district; they never show your name."
        ),
    )


class RegisterForm(ProfileFields):
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(message=_EMAIL_NEEDED),
            Email(message=_l("Enter a valid e-mail address.")),
            _at_most(254),
        ],
        render_kw={"autocomplete": "email"},
        description=_l(
            "You log in with it, and it lets you recover your account. Only your instructors and "
            "the programme team see it."
        ),
    )
    password = _password(_l("Password"))
    confirm = _password_again(_l("Password again"), _l("Type the password again."))
    submit = SubmitField(_l("Create account"))


class ProfileForm(ProfileFields):
    submit = SubmitField(_l("Save"))


class LoginForm(Form):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(message=_EMAIL_NEEDED), _at_most(254)],
        render_kw={"autocomplete": "email"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(message=_l("Enter your password.")), _at_most(PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Log in"))


class ChangePasswordForm(Form):
    current_password = PasswordField(
        _l("Current password"),
        validators=[
            InputRequired(message=_l("Enter your current password.")),
            _at_most(PASSWORD_MAX),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    password = _password(_l("New password"))
    confirm = _password_again(_l("New password again"), _l("Type the new password again."))
    submit = SubmitField(_l("Change password"))


class FirstPasswordForm(Form):
    """A learner added by an instructor chooses their own password at first login."""

    password = _password(_l("New password"))
    confirm = _password_again(_l("New password again"), _l("Type the new password again."))
    submit = SubmitField(_l("Save my password"))


class WorkshopForm(Form):
    module = SelectField(
        _l("Course and module"), validators=[InputRequired(message=_l("Choose a module."))]
    )
    held_on = DateField(_l("Date"), validators=[InputRequired(message=_l("Give the date."))])
    starts_at = TimeField(
        _l("Start time"), validators=[InputRequired(message=_l("Give the start time."))]
    )
    minutes = WholeNumberField(
        _l("Duration in minutes"),
        validators=[
            InputRequired(message=_l("Give the duration.")),
            NumberRange(1, 600),
        ],
    )
    place = StringField(
        _l("Place"),
        validators=[
            InputRequired(message=_l("Give the place.")),
            DataRequired(message=_l("Give the place.")),
            _at_most(160),
        ],
    )
    facilitator = StringField(
        _l("Facilitator"),
        validators=[
            InputRequired(message=_l("Give the facilitator's name.")),
            DataRequired(message=_l("Give the facilitator's name.")),
            _at_most(120),
        ],
    )
    submit = SubmitField(_l("Record the session"))


class AddLearnersForm(Form):
    emails = TextAreaField(
        _l("E-mail addresses, one per line"),
        validators=[
            InputRequired(message=_l("Give at least one e-mail address.")),
            _at_most(20000),
        ],
    )
    submit = SubmitField(_l("Add to the register"))


class AdjustmentForm(Form):
    module = SelectField(_l("Module"), validators=[InputRequired(message=_l("Choose a module."))])
    minutes = WholeNumberField(
        _l("Minutes (negative to remove)"),
        validators=[
            InputRequired(message=_l("Give the minutes.")),
            NumberRange(-600, 600),
        ],
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[InputRequired(message=_l("Give the reason.")), _reason()],
        description=_l("For example: paper register of the field workshop in Zhob, 12 March."),
    )
    submit = SubmitField(_l("Save the adjustment"))


class SearchForm(Form):
    """A search box sent with GET (``?q=``): the same checks as every other text field."""

    class Meta:
        csrf = False  # a search: GET, changes nothing

    q = StringField(_l("Search"), validators=[Optional()])

    def query(self) -> str:
        return (self.q.data or "")[:100]


class FindLearnerForm(Form):
    class Meta:
        csrf = False  # a search: GET, changes nothing

    email = EmailField(
        _l("Learner's e-mail"),
        validators=[InputRequired(message=_l("Give the learner's e-mail.")), _at_most(254)],
    )
    course = SelectField(_l("Course"), validators=[InputRequired(message=_l("Choose the course."))])


class RevokeForm(Form):
    reason = TextAreaField(
        _l("Reason (shown on the verification page)"),
        validators=[InputRequired(message=_l("Give the reason.")), _reason()],
    )
    submit = SubmitField(_l("Revoke"))


class CredentialForm(Form):
    """A signed credential to verify: pasted, or uploaded as its .jwt file (either will do)."""

    MAX_BYTES = 64 * 1024

    credential = TextAreaField(
        _l("Signed credential"),
        validators=[
            Optional(),
            Length(max=MAX_BYTES, message=_l("That is too long to be a credential.")),
        ],
    )
    file = FileField(
        _l("Or choose the .jwt file"),
        validators=[
            Optional(),
            FileSize(max_size=MAX_BYTES, message=_l("That file is too large to be a credential.")),
        ],
    )
    submit = SubmitField(_l("Check the credential"))


class BulkRevokeForm(Form):
    """Revoke the certificates ticked on the page, all with one reason."""

    reason = TextAreaField(
        _l("Reason for revoking the ticked certificates (shown on each verification page)"),
        validators=[InputRequired(message=_l("Give the reason.")), _reason()],
    )
    submit = SubmitField(_l("Revoke the ticked certificates"))


class EraseForm(Form):
    reason = TextAreaField(
        _l("Why is this account erased?"),
        validators=[InputRequired(message=_l("Give the reason.")), _reason()],
        description=_l(
            "For example: the person asked on 1 December by letter. Kept in the audit log."
        ),
    )
    withdraw = BooleanField(
        _l("Also revoke the person's certificates (they asked to withdraw them)")
    )
    confirm = BooleanField(
        _l("I understand that the name, e-mail and login are removed for good"),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )
    submit = SubmitField(_l("Erase this account"))


class CohortForm(Form):
    name = StringField(
        _l("Cohort name"),
        validators=[
            InputRequired(message=_l("Give the cohort a name.")),
            DataRequired(message=_l("Give the cohort a name.")),
            _at_most(160),
        ],
        description=_l("For example: ASI batch 14, Police Training College Quetta"),
    )
    course = SelectField(_l("Course"), validators=[InputRequired(message=_l("Choose the course."))])
    starts_on = DateField(
        _l("Start date"), validators=[InputRequired(message=_l("Give the start date."))]
    )
    ends_on = DateField(
        _l("End date"), validators=[InputRequired(message=_l("Give the end date."))]
    )
    organisation = SelectField(_l("Organisation"), validators=[Optional()])
    submit = SubmitField(_l("Create the cohort"))


class InstructorForm(Form):
    email = EmailField(
        _l("Co-instructor's e-mail"),
        validators=[InputRequired(message=_EMAIL_NEEDED), _at_most(254)],
    )
    submit = SubmitField(_l("Add co-instructor"))


def _certificate_languages() -> list[SelectChoice]:
    """English and Urdu named in themselves (as the language switch does), then both."""
    from lms import i18n

    return [
        SelectChoice("en", i18n.NATIVE_NAMES["en"], render_kw={"lang": "en"}),
        SelectChoice("ur", i18n.NATIVE_NAMES["ur"], render_kw={"lang": "ur", "dir": "rtl"}),
        SelectChoice("both", _l("English and Urdu, on one page")),
    ]


class CertificatesZipForm(Form):
    """The cohort's certificates as one ZIP of PDFs, in the language chosen."""

    language = SelectField(
        _l("Language of the certificates"),
        choices=_certificate_languages,
        validators=[InputRequired(message=_l("Choose the certificates' language."))],
    )


class RosterForm(Form):
    file = FileField(_l("CSV file"), validators=[FileRequired(message=_l("Choose a CSV file."))])
    submit = SubmitField(_l("Check the file"))


class AssignmentForm(Form):
    module = SelectField(
        _l("What to finish"),
        validators=[InputRequired(message=_l("Choose a module or the whole course."))],
    )
    due_on = DateField(_l("Due date"), validators=[InputRequired(message=_l("Give the due date."))])
    submit = SubmitField(_l("Save the assignment"))


class JoinForm(Form):
    code = StringField(
        _l("Join code"),
        validators=[InputRequired(message=_l("Type the join code.")), _at_most(20)],
        description=_l("The 8 letters and digits your instructor gave you."),
    )
    submit = SubmitField(_l("Join the cohort"))


class RoleForm(Form):
    role = SelectField(
        _l("Role"), choices=[SelectChoice(r, label) for r, label in ROLE_LABELS.items()]
    )
    submit = SubmitField(_l("Change role"))


class OrganisationForm(Form):
    name = StringField(
        _l("Name"),
        validators=[
            InputRequired(message=_l("Give the organisation's name.")),
            DataRequired(message=_l("Give the organisation's name.")),
            _at_most(160),
        ],
    )
    organisation_type = SelectField(
        _l("Type"),
        choices=ORG_TYPE_CHOICES,
        validators=[InputRequired(message=_l("Choose a type."))],
    )
    submit = SubmitField(_l("Add organisation"))


class ForgotPasswordForm(Form):
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(message=_l("Enter the e-mail address you log in with.")),
            Email(message=_l("Enter a valid e-mail address.")),
            _at_most(254),
        ],
        render_kw={"autocomplete": "email"},
    )
    submit = SubmitField(_l("Send me a link"))


class LinkCodeForm(Form):
    class Meta:
        csrf = False  # a look-up: GET, changes nothing

    code = StringField(
        _l("Code"),
        validators=[InputRequired(message=_l("Type the code from your slip.")), _at_most(40)],
        description=_l(
            "16 letters and digits, for example 7KQM-2D9X-H4TR-PV3A. Dashes and case do not matter."
        ),
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )


# --- the register of a workshop session: one status, minutes and remark per learner ------------
REGISTER_CHANGED = _l("The register was changed meanwhile. Reload the page and try again.")


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
            raise ValidationError(str(REGISTER_CHANGED))
        values = {
            name: formdata.getlist(f"{name}-{learner_id}")
            for name in ("status", "minutes", "remark")
        }
        if key != f"status-{learner_id}" or any(len(v) > 1 for v in values.values()):
            raise ValidationError(str(REGISTER_CHANGED))  # "status-007", or a field sent twice
        status = values["status"][0]
        minutes_text = (values["minutes"] or [""])[0].strip()
        minutes = whole_number(minutes_text, low=0) if minutes_text else None
        if minutes_text and minutes is None:
            raise ValidationError(_("Minutes attended must be a whole number, such as 45."))
        remark = (values["remark"] or [""])[0]
        for text in (status, remark):
            found = control_characters(text)
            if found:
                raise ValidationError(CONTROL_CHARACTER % {"character": describe(found[0])})
        rows.append(RegisterRow(learner_id, status, minutes, remark))
    return rows
