"""What a certificate's page prints: a plain copy of the issued snapshot (no database objects).

Kept apart from ``pdf`` so that importing it does not load fpdf2 at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
