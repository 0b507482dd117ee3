"""Forms (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
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
)

from lms.models.users import ORGANISATION_TYPES, PASSWORD_MAX, PASSWORD_MIN, PROVINCES

PROVINCE_CHOICES = [SelectChoice("", "Choose…")] + [SelectChoice(p, p) for p in PROVINCES]
ORG_TYPE_CHOICES = [SelectChoice("", "Choose…")] + [
    SelectChoice(value, label) for value, label in ORGANISATION_TYPES
]


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


class EmptyForm(FlaskForm):
    """For buttons that change something (enrol, log out): just the CSRF token."""


class ProfileFields(FlaskForm):
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


class LoginForm(FlaskForm):
    email = EmailField(
        "E-mail", validators=[DataRequired(), Length(max=254)], render_kw={"autocomplete": "email"}
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired(), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Log in")


class ChangePasswordForm(FlaskForm):
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


class FirstPasswordForm(FlaskForm):
    """A learner added by an instructor chooses their own password at first login."""

    password = _password("New password")
    confirm = PasswordField(
        "New password again",
        validators=[InputRequired(), EqualTo("password", message="The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Save my password")


class WorkshopForm(FlaskForm):
    module = SelectField(
        "Course and module", validators=[InputRequired(message="Choose a module.")]
    )
    held_on = DateField("Date", validators=[InputRequired(message="Give the date.")])
    starts_at = TimeField("Start time", validators=[InputRequired(message="Give the start time.")])
    minutes = IntegerField(
        "Duration in minutes",
        validators=[InputRequired(message="Give the duration."), NumberRange(1, 600)],
    )
    place = StringField("Place", validators=[InputRequired(), DataRequired(), Length(max=160)])
    facilitator = StringField(
        "Facilitator", validators=[InputRequired(), DataRequired(), Length(max=120)]
    )
    submit = SubmitField("Record the session")


class AddLearnersForm(FlaskForm):
    emails = TextAreaField(
        "E-mail addresses, one per line",
        validators=[InputRequired(message="Give at least one e-mail address."), Length(max=20000)],
    )
    submit = SubmitField("Add to the register")


class AdjustmentForm(FlaskForm):
    module = SelectField("Module", validators=[InputRequired(message="Choose a module.")])
    minutes = IntegerField(
        "Minutes (negative to remove)",
        validators=[InputRequired(message="Give the minutes."), NumberRange(-600, 600)],
    )
    reason = TextAreaField(
        "Reason",
        validators=[InputRequired(message="Give the reason."), Length(min=5, max=1000)],
        description="For example: paper register of the field workshop in Zhob, 12 March.",
    )
    submit = SubmitField("Save the adjustment")


class FindLearnerForm(FlaskForm):
    class Meta:
        csrf = False  # a search: GET, changes nothing

    email = EmailField("Learner's e-mail", validators=[InputRequired(), Length(max=254)])
    course = SelectField("Course", validators=[InputRequired()])


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        "Reason (shown on the verification page)",
        validators=[InputRequired(), Length(min=5, max=1000)],
    )
    submit = SubmitField("Revoke")


class BulkRevokeForm(FlaskForm):
    """Revoke the certificates ticked on the page, all with one reason."""

    reason = TextAreaField(
        "Reason for revoking the ticked certificates (shown on each verification page)",
        validators=[InputRequired(), Length(min=5, max=1000)],
    )
    submit = SubmitField("Revoke the ticked certificates")


class EraseForm(FlaskForm):
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


class CohortForm(FlaskForm):
    name = StringField("Cohort name", validators=[InputRequired(), DataRequired(), Length(max=160)],
                       description="For example: ASI batch 14, Police Training College Quetta")  # fmt: skip
    course = SelectField("Course", validators=[InputRequired(message="Choose the course.")])
    starts_on = DateField("Start date", validators=[InputRequired(message="Give the start date.")])
    ends_on = DateField("End date", validators=[InputRequired(message="Give the end date.")])
    organisation = SelectField("Organisation", validators=[Optional()])
    submit = SubmitField("Create the cohort")


class InstructorForm(FlaskForm):
    email = EmailField("Co-instructor's e-mail", validators=[InputRequired(), Length(max=254)])
    submit = SubmitField("Add co-instructor")


class RosterForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired(message="Choose a CSV file.")])
    submit = SubmitField("Check the file")


class AssignmentForm(FlaskForm):
    module = SelectField(
        "What to finish", validators=[InputRequired(message="Choose a module or the whole course.")]
    )
    due_on = DateField("Due date", validators=[InputRequired(message="Give the due date.")])
    submit = SubmitField("Save the assignment")


class JoinForm(FlaskForm):
    code = StringField("Join code", validators=[InputRequired(), Length(max=20)],
                       description="The 8 letters and digits your instructor gave you.")  # fmt: skip
    submit = SubmitField("Join the cohort")


class RoleForm(FlaskForm):
    role = SelectField(
        "Role", choices=[SelectChoice(r, r) for r in ("learner", "instructor", "admin")]
    )
    submit = SubmitField("Change role")


class OrganisationForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(), DataRequired(), Length(max=160)])
    organisation_type = SelectField("Type", choices=ORG_TYPE_CHOICES,
                                    validators=[InputRequired(message="Choose a type.")])  # fmt: skip
    submit = SubmitField("Add organisation")
