"""What a page prints for a value the database stores (a status, a role, a kind of event).

The stored values stay English codes; ``label(kind, value)`` (a template global) gives the word in
the page's language, or the value itself if it has no label.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from markupsafe import Markup

LABELS = {
    "role": {
        "learner": _l("learner"),
        "instructor": _l("instructor"),
        "programme_manager": _l("programme manager"),
        "admin": _l("admin"),
    },
    "certificate": {"valid": _l("valid"), "expired": _l("expired"), "revoked": _l("revoked")},
    "event": {
        "issued": _l("issued"),
        "revoked": _l("revoked"),
        "restored": _l("restored"),
        "renewed": _l("renewed"),
        "reminded": _l("reminded"),
    },
    "mark": {
        "present": _l("present"),
        "late": _l("late"),
        "absent": _l("absent"),
        "excused": _l("excused"),
    },
    "assignment": {
        "not started": _l("not started"),
        "in progress": _l("in progress"),
        "complete": _l("complete"),
        "overdue": _l("overdue"),
    },
}


def label(kind: str, value: str) -> str:
    """The word for ``value`` (one of ``LABELS[kind]``) in the page's language."""
    found = LABELS[kind].get(value)
    return str(found) if found is not None else value


def bdi(value) -> Markup:
    """``value`` (escaped) in ``<bdi>``: a name or code inside a sentence keeps its own direction
    (English in an Urdu sentence, Urdu in an English one)."""
    return Markup("<bdi>%s</bdi>") % value
