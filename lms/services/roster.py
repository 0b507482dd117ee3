"""CSV rosters: read and check every row, show a preview, then import all rows or none.

Columns (header names as in the registration form, in any order, any case): full name, e-mail,
organisation type, organisation, job title, province, district. The file may be UTF-8 (with or
without a byte-order mark) or Windows-1252, as spreadsheets save it.

Consent: an instructor's roster invites every row (``cohorts.invite``) and creates no account: each
row gets an invitation link, and the person joins when they accept it (logged in; someone without
an account registers first). Accounts are never looked up for it, so the preview, the answer and
the time it takes are the same whatever the addresses. An administrator's roster adds everyone
directly and creates the missing accounts, each with a one-time link to choose a password.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from lms.content import Catalog
from lms.models.cohorts import Cohort, CohortInvitation, CohortMember, RosterUpload
from lms.models.enrolment import Enrolment
from lms.models.users import ORGANISATION_TYPES, PROVINCES, User
from lms.services import ServiceError, cohorts
from lms.services.emails import checked_email
from lms.services.names import check_label, check_printed_name
from lms.services.recovery import new_link_fields, token_hash  # noqa: F401 - token_hash: tests

COLUMNS = {
    "full name": "full_name",
    "e-mail": "email",
    "email": "email",
    "organisation type": "organisation_type",
    "organization type": "organisation_type",
    "organisation": "organisation",
    "organization": "organisation",
    "job title": "job_title",
    "province": "province",
    "district": "district",
}
REQUIRED = ("full_name", "email", "organisation_type", "province")
MAX_ROWS = 20_000
LINK_DAYS = 30
#: not an argon2 hash: no password matches it until the person sets one through their link
NO_PASSWORD = "!"  # noqa: S105
_ORG_TYPES = {v.casefold(): v for v, _label in ORGANISATION_TYPES} | {
    label.casefold(): v for v, label in ORGANISATION_TYPES
}
_PROVINCES = {p.casefold(): p for p in PROVINCES}
#: the checked fields as a row's problems name them
_FIELD_NAMES = {
    "full_name": _l("full name"),
    "organisation": _l("organisation"),
    "job_title": _l("job title"),
    "district": _l("district"),
}


@dataclass(frozen=True)
class RosterRow:
    line: int
    full_name: str
    email: str
    organisation_type: str
    organisation: str
    job_title: str
    province: str
    district: str


@dataclass
class Preview:
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  #: (line, message)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def decode(raw: bytes) -> str:
    if b"\x00" in raw:  # anywhere: PostgreSQL refuses a NUL in text, and no CSV file holds one
        raise ValueError(
            _("This is not a CSV file (it holds binary data). Save it as CSV and try again.")
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def read(text: str) -> Preview:
    preview = Preview()
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        preview.errors.append((1, _("The file is empty or is not CSV.")))
        return preview
    names = [COLUMNS.get(h.strip().casefold()) for h in header]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        labels = ", ".join(c.replace("_", " ") for c in missing)  # as the header must say them
        preview.errors.append(
            (1, _("Missing column(s): %(columns)s. The first line must name the columns.",
                  columns=labels))
        )  # fmt: skip
        return preview
    seen: dict[str, int] = {}
    try:
        for line, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(preview.rows) + len(preview.errors) >= MAX_ROWS:
                preview.errors.append(
                    (line, _("More than %(count)d rows; split the file.", count=MAX_ROWS))
                )
                break
            data = {n: values[i].strip() for i, n in enumerate(names) if n and i < len(values)}
            problems = []
            if len(values) != len(header):
                problems.append(
                    _("%(values)d values for %(columns)d columns", values=len(values),
                      columns=len(header))
                )  # fmt: skip
            if not data.get("full_name"):
                problems.append(_("no full name"))
            for name in ("full_name", "organisation", "job_title", "district"):
                try:
                    check = check_printed_name if name == "full_name" else check_label
                    check(data.get(name, ""), name)
                except ServiceError as error:
                    problems.append(
                        _("%(field)s: %(problem)s", field=_FIELD_NAMES[name], problem=error.message)
                    )
            typed = data.get("email", "")
            email = checked_email(typed)
            if email is None:
                problems.append(_("invalid e-mail %(email)s", email=repr(typed)))
            org_type = _ORG_TYPES.get(data.get("organisation_type", "").casefold())
            if org_type is None:
                typed = repr(data.get("organisation_type", ""))
                problems.append(_("unknown organisation type %(type)s", type=typed))
            province = _PROVINCES.get(data.get("province", "").casefold())
            if province is None:
                typed = repr(data.get("province", ""))
                problems.append(_("unknown province %(province)s", province=typed))
            if email in seen:
                problems.append(
                    _("e-mail %(email)s is also on line %(line)d", email=email, line=seen[email])
                )
            if problems:
                preview.errors.append((line, "; ".join(problems)))
                continue
            seen[email] = line
            preview.rows.append(
                RosterRow(line, " ".join(data["full_name"].split())[:120], email, org_type,
                          data.get("organisation", "")[:160], data.get("job_title", "")[:120],
                          province, data.get("district", "")[:80])
            )  # fmt: skip
    except csv.Error as error:
        preview.errors.append(
            (reader.line_num, _("This is not valid CSV (%(error)s).", error=error))
        )
    if not preview.rows and not preview.errors:
        preview.errors.append((2, _("The file has a header but no rows.")))
    return preview


@dataclass(frozen=True)
class Imported:
    """One row's outcome. An instructor's roster: its ``invitation`` (``None`` only for an address
    that is a member already). An administrator's: whether it created the account, and its token."""

    row: RosterRow
    invitation: CohortInvitation | None = None
    new: bool = False
    setup_token: str | None = None  #: a new account's one-time link token (shown once)


MEMBER, DECLINED = "member", "declined"


def invitation_lines(imported: list[Imported], url_of: Callable[[CohortInvitation], str]):
    """An instructor's import as shown and saved: ``[line, name, e-mail, link, note]`` per row, the
    same for every address that is invited. ``note`` is "" with the invitation's link, ``MEMBER``
    for a member already, or ``DECLINED`` for an invitation declined earlier (both without a link,
    and both already on the cohort's page)."""
    lines = []
    for i in imported:
        r, invitation = i.row, i.invitation
        if invitation is None:
            lines.append([r.line, r.full_name, r.email, "", MEMBER])
        elif invitation.declined_at is not None:
            lines.append([r.line, r.full_name, r.email, "", DECLINED])
        else:
            lines.append([r.line, r.full_name, r.email, url_of(invitation), ""])
    return lines


def claim_upload(session: Session, cohort: Cohort, upload_id: int) -> RosterUpload | None:
    """The waiting upload, locked for this transaction, or ``None`` if it is gone.

    A second Confirm (a double click) waits here until the first has committed, then finds the
    upload deleted, so a file is imported once and the second request gets a clear answer rather
    than a unique-key error. (SQLite takes the write lock at BEGIN, which serialises them anyway.)
    """
    return session.scalar(
        select(RosterUpload)
        .where(RosterUpload.id == upload_id, RosterUpload.cohort_id == cohort.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def import_rows(
    session: Session,
    catalog: Catalog,
    cohort: Cohort,
    rows: list[RosterRow],
    *,
    by: int,
    now: datetime,
    direct: bool = False,
) -> list[Imported]:
    """Invite every row to the cohort; ``direct`` (administrators): create the missing accounts,
    enrol everyone and add them. The caller commits all of it or rolls all of it back."""
    emails = [r.email for r in rows]
    if not direct:
        invitations: dict[str, CohortInvitation] = {}
        for chunk in range(0, len(emails), 500):
            invitations |= cohorts.invite(session, cohort, emails[chunk : chunk + 500], by=by,
                                          now=now)  # fmt: skip
        return [Imported(r, invitation=invitations.get(r.email)) for r in rows]
    existing = {
        email
        for chunk in range(0, len(emails), 500)
        for email in session.scalars(
            select(User.email).where(User.email.in_(emails[chunk : chunk + 500]))
        )
    }
    tokens: dict[str, str] = {}
    new_rows = []
    for row in rows:
        if row.email in existing:
            continue
        token, link = new_link_fields(now=now, days=LINK_DAYS)
        tokens[row.email] = token
        new_rows.append(
            dict(email=row.email, full_name=row.full_name, organisation_type=row.organisation_type,
                 organisation=row.organisation, job_title=row.job_title, province=row.province,
                 district=row.district, role="learner", password_hash=NO_PASSWORD, active=True,
                 session_version=1, must_change_password=True, created_at=now, **link)
        )  # fmt: skip
    if new_rows:
        session.execute(insert(User), new_rows)
    ids = {
        u.email: u.id
        for chunk in range(0, len(emails), 500)
        for u in session.execute(
            select(User.email, User.id).where(User.email.in_(emails[chunk : chunk + 500]))
        )
    }
    enrolled = set(
        session.scalars(
            select(Enrolment.user_id).where(Enrolment.course_slug == cohort.course_slug)
        )
    )
    members = set(
        session.scalars(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id))
    )
    new_enrolments = [
        dict(user_id=ids[e], course_slug=cohort.course_slug, enrolled_at=now)
        for e in dict.fromkeys(emails) if ids[e] not in enrolled
    ]  # fmt: skip
    new_members = [
        dict(cohort_id=cohort.id, user_id=ids[e], added_at=now, added_by=by)
        for e in dict.fromkeys(emails) if ids[e] not in members
    ]  # fmt: skip
    if new_enrolments:
        session.execute(insert(Enrolment), new_enrolments)
    if new_members:
        session.execute(insert(CohortMember), new_members)
    for chunk in range(0, len(emails), 500):  # members now: their invitations are settled
        session.execute(
            delete(CohortInvitation).where(
                CohortInvitation.cohort_id == cohort.id,
                CohortInvitation.email.in_(emails[chunk : chunk + 500]),
            )
        )
    session.flush()
    return [Imported(r, new=r.email not in existing, setup_token=tokens.get(r.email)) for r in rows]
