"""CSV rosters: read and check every row, show a preview, then import all rows or none.

Columns (header names as in the registration form, in any order, any case): full name, e-mail,
organisation type, organisation, job title, province, district. The file may be UTF-8 (with or
without a byte-order mark) or Windows-1252, as spreadsheets save it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from lms.content import Catalog
from lms.models.cohorts import Cohort, CohortMember, RosterUpload
from lms.models.enrolment import Enrolment
from lms.models.users import ORGANISATION_TYPES, PROVINCES, User
from lms.services import ServiceError, accounts
from lms.services.names import check_label, check_printed_name

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
_ORG_TYPES = {v.casefold(): v for v, _ in ORGANISATION_TYPES} | {
    label.casefold(): v for v, label in ORGANISATION_TYPES
}
_PROVINCES = {p.casefold(): p for p in PROVINCES}


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
            "This is not a CSV file (it holds binary data). Save it as CSV and try again."
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
        preview.errors.append((1, "The file is empty or is not CSV."))
        return preview
    names = [COLUMNS.get(h.strip().casefold()) for h in header]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        labels = ", ".join(c.replace("_", " ") for c in missing)
        preview.errors.append(
            (1, f"Missing column(s): {labels}. The first line must name the columns.")
        )
        return preview
    seen: dict[str, int] = {}
    try:
        for line, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(preview.rows) + len(preview.errors) >= MAX_ROWS:
                preview.errors.append((line, f"More than {MAX_ROWS} rows; split the file."))
                break
            data = {n: values[i].strip() for i, n in enumerate(names) if n and i < len(values)}
            problems = []
            if len(values) != len(header):
                problems.append(f"{len(values)} values for {len(header)} columns")
            if not data.get("full_name"):
                problems.append("no full name")
            for name in ("full_name", "organisation", "job_title", "district"):
                try:
                    check = check_printed_name if name == "full_name" else check_label
                    check(data.get(name, ""), name)
                except ServiceError as error:
                    problems.append(f"{name.replace('_', ' ')}: {error.message}")
            email = data.get("email", "")
            try:
                email = validate_email(email, check_deliverability=False).normalized.lower()
            except EmailNotValidError:
                problems.append(f"invalid e-mail {email!r}")
            org_type = _ORG_TYPES.get(data.get("organisation_type", "").casefold())
            if org_type is None:
                problems.append(f"unknown organisation type {data.get('organisation_type', '')!r}")
            province = _PROVINCES.get(data.get("province", "").casefold())
            if province is None:
                problems.append(f"unknown province {data.get('province', '')!r}")
            if email in seen:
                problems.append(f"e-mail {email} is also on line {seen[email]}")
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
        preview.errors.append((reader.line_num, f"This is not valid CSV ({error})."))
    if not preview.rows and not preview.errors:
        preview.errors.append((2, "The file has a header but no rows."))
    return preview


@dataclass(frozen=True)
class Imported:
    row: RosterRow
    new: bool
    setup_token: str | None  #: for new accounts: the one-time link's token (shown once)


def import_rows(
    session: Session,
    catalog: Catalog,
    cohort: Cohort,
    rows: list[RosterRow],
    *,
    by: int,
    now: datetime,
) -> list[Imported]:
    """Create missing accounts, enrol everyone and add them to the cohort. The caller commits all
    of it or rolls all of it back."""
    emails = [r.email for r in rows]
    existing = {
        u.email: u
        for chunk in range(0, len(emails), 500)
        for u in session.scalars(select(User).where(User.email.in_(emails[chunk : chunk + 500])))
    }
    tokens: dict[str, str] = {}
    new_rows = []
    for row in rows:
        if row.email in existing:
            continue
        token = secrets.token_urlsafe(24)
        tokens[row.email] = token
        new_rows.append(
            dict(email=row.email, full_name=row.full_name, organisation_type=row.organisation_type,
                 organisation=row.organisation, job_title=row.job_title, province=row.province,
                 district=row.district, role="learner", password_hash=NO_PASSWORD, active=True,
                 session_version=1, must_change_password=True, created_at=now,
                 setup_token_hash=token_hash(token), setup_expires_at=now + timedelta(days=LINK_DAYS))
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
    session.flush()
    return [Imported(r, r.email not in existing, tokens.get(r.email)) for r in rows]


def claim_upload(session: Session, upload_id: int) -> bool:
    """Delete a waiting upload before importing it; ``False`` if another request already did.

    The delete locks the row: a second request for the same upload waits until the first commits
    and then deletes nothing, so a file is imported once however often Confirm is pressed.
    """
    result = session.execute(delete(RosterUpload).where(RosterUpload.id == upload_id))
    return result.rowcount == 1


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def account_for_link(session: Session, token: str, *, now: datetime) -> User | None:
    user = session.scalar(select(User).where(User.setup_token_hash == token_hash(token)))
    if (
        user is None
        or user.setup_expires_at is None
        or user.setup_expires_at < now
        or not user.active
    ):
        return None
    return user


def use_link(session: Session, user: User, password: str) -> None:
    accounts.check_password_rules(password)
    user.set_password(password)
    user.setup_token_hash = None
    user.setup_expires_at = None
    user.must_change_password = False
    user.session_version += 1
    session.flush()
