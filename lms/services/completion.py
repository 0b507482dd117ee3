"""What happens when a learner's progress changes: the one call every service makes after it
credits time, records a mark, adjusts hours or grades a quiz (DESIGN.md §2, Certificates).

In the same transaction as the change, it issues the first certificate when the change completed
the course, or the renewed one when it completed an open refresher. Views never issue on their
own account: a path that changes progress and forgets this call would leave a learner who has
done everything without a certificate.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from lms.content import Catalog
from lms.models.certificates import Certificate
from lms.services import certificates, renewal


def after_progress(
    session: Session,
    catalog: Catalog,
    issuer: certificates.Issuer,
    user_id: int,
    course_slug: str,
    *,
    now: datetime,
) -> Certificate | None:
    """The certificate this change issued (first or renewed), or None."""
    issued = certificates.issue_if_eligible(session, catalog, issuer, user_id, course_slug, now=now)
    if issued is not None:
        return issued
    return renewal.renew_if_done(session, catalog, issuer, user_id, course_slug, now=now)
