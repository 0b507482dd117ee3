"""E-mail addresses typed into a list or a roster: one rule for what counts as one and how it is
stored (email_validator's normal form, lower case; ``accounts.normalise_email`` is the lookup key
of an address already checked). email_validator is imported on first use, not by every web
process at start-up."""

from __future__ import annotations


def checked_email(typed: str) -> str | None:
    """The address as stored, or None when ``typed`` is not an e-mail address (no DNS look-up)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(typed, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None
