"""What a certificate's page prints: a plain copy of the issued snapshot (no database objects).

Kept apart from ``pdf`` so that importing it does not load fpdf2 at start-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from werkzeug.utils import secure_filename

#: the PDF's versions: English, Urdu, both on one page (the ``lang`` of a download's address)
PDF_LANGUAGES = ("en", "ur", "both")
#: each version's file name after the serial
PDF_SUFFIXES = {"en": "", "ur": "-ur", "both": "-en-ur"}
#: the most of a holder's name a file name in a ZIP carries
NAME_IN_FILE = 40


@dataclass(frozen=True)
class CertificateView:
    """What the page prints: a copy of the certificate's snapshot (no database objects here)."""

    name: str
    certificate_title: str
    course_title: str
    minutes: int
    modules: tuple[str, ...]
    issued_at: datetime
    serial: str
    code: str
    issuer_name: str
    signatory_name: str
    signatory_title: str
    verify_url: str
    status: str = "valid"  #: valid, expired or revoked (``services.certificates.status``)
    expires_at: datetime | None = None  #: None: never expires
    #: the course's title in Urdu (course.yaml ``translations``), for the Urdu side; None: the
    #: Urdu side prints the English title
    course_title_ur: str | None = None
    #: the modules' lines in Urdu (each translated title the course's content has now), for the
    #: Urdu side; None: the Urdu side prints the English lines as issued
    modules_ur: tuple[str, ...] | None = None


def module_line(module) -> str:
    """A module as the certificate's snapshot records it (English, as issued)."""
    return f"Module {module.number}: {module.title}"


def modules_in(course, snapshot: Sequence[str], locale: str) -> tuple[str, ...]:
    """The snapshot's module lines in ``locale``: each line still naming one of the course's modules
    as it is now gets the module's translated title (course.yaml) in that language's wording; a
    line the content no longer has (a module renamed since) stays as issued."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    current = {module_line(m): m for m in course.modules} if course is not None else {}
    lines = []
    with force_locale(locale):
        for line in snapshot:
            module = current.get(line)
            lines.append(
                _("Module %(number)s: %(title)s", number=module.number,
                  title=module.title_in(locale))
                if module is not None and module.title_in(locale) != module.title
                else line
            )  # fmt: skip
    return tuple(lines)


def view_of(found, *, verify_url: str, status: str, course=None) -> CertificateView:
    """The page of certificate row ``found``: its snapshot, its status now, and the Urdu titles
    the course's content gives now (``course``; the snapshot holds the English ones): the
    course's and each module's still in the course."""
    translated = course.title_in("ur") if course is not None else None
    modules_ur = modules_in(course, found.modules, "ur")
    return CertificateView(
        name=found.name,
        certificate_title=found.certificate_title,
        course_title=found.course_title,
        minutes=found.minutes,
        modules=tuple(found.modules),
        issued_at=found.issued_at,
        serial=found.serial,
        code=found.code,
        issuer_name=found.issuer_name,
        signatory_name=found.signatory_name,
        signatory_title=found.signatory_title,
        verify_url=verify_url,
        status=status,
        expires_at=found.expires_at,
        course_title_ur=translated if translated and translated != course.title else None,
        modules_ur=modules_ur if modules_ur != tuple(found.modules) else None,
    )


def pdf_file_name(serial: str, name: str, language: str) -> str:
    """A certificate PDF's name in a cohort's ZIP: the serial (unique, so no two files collide),
    then the ASCII letters and digits of the holder's name as typed, never transliterated
    (``secure_filename``: accents are dropped, Urdu script leaves nothing, so an Urdu name gives
    the serial alone), then the version, e.g. ``DEMO-2026-000001-Amina_Khan-ur.pdf``."""
    safe = secure_filename(name)[:NAME_IN_FILE].strip("._-")
    return f"{serial}{'-' + safe if safe else ''}{PDF_SUFFIXES[language]}.pdf"
