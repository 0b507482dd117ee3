"""Outgoing mail: ``send_mail`` (one message) and ``send_all`` (many, on one connection), over the
standard library's smtplib.

``LMS_MAIL_URL`` says where to send: ``smtp://user:password@host:587?starttls=1``, ``smtps://...:465``
or ``smtp://host:25`` (user and password percent-encoded). Unset, the site sends no mail and the
pages say who can help instead. Pages do not call ``send_mail`` themselves: they queue the task that
does (``lms.jobs.later``, e.g. ``lms.web.auth.account_mail``), which an RQ worker runs, or the
request itself when no queue is configured.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app

TIMEOUT_SECONDS = 10


class MailError(RuntimeError):
    """The mail server could not be reached or refused the message. ``unsent``: the addresses of
    ``send_all``'s messages that did not go (those before them did)."""

    def __init__(self, message: str, unsent: list[str] | tuple[str, ...] = ()):
        super().__init__(message)
        self.unsent = list(unsent)


#: what refuses one message and leaves the connection usable for the next: a recipient or sender
#: refused (a 5xx, a rate limit), the content refused, an address the server cannot take (one
#: with non-ASCII letters on a server without SMTPUTF8), or headers that cannot be written
_ONE_REFUSED = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
    smtplib.SMTPNotSupportedError,
    ValueError,  # UnicodeError too
)


@dataclass(frozen=True)
class MailServer:
    host: str
    port: int
    username: str
    password: str
    implicit_tls: bool
    starttls: bool


def parse_mail_url(url: str) -> MailServer:
    """``smtp://`` or ``smtps://`` URL -> settings; ``ValueError`` with a readable message."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("LMS_MAIL_URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("LMS_MAIL_URL has no host name")
    try:
        port = parts.port
    except ValueError as error:
        raise ValueError(f"LMS_MAIL_URL has a bad port: {error}") from None
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    starttls = query.get("starttls", "0").lower() in ("1", "true", "yes", "on")
    implicit = parts.scheme == "smtps"
    if implicit and starttls:
        raise ValueError("LMS_MAIL_URL: smtps:// is TLS already; leave out ?starttls=1")
    return MailServer(
        host=parts.hostname,
        port=port or (465 if implicit else 25),
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        implicit_tls=implicit,
        starttls=starttls,
    )


def mail_configured() -> bool:
    return bool(current_app.config.get("LMS_MAIL_URL"))


def send_mail(to: str, subject: str, body: str) -> None:
    """Send one plain-text message to one address, from ``LMS_MAIL_FROM``. Raises ``MailError``."""
    try:
        refused = send_all([(to, subject, body)])
    except MailError as error:
        raise MailError(f"mail to {to} was not sent: {error.__cause__}") from error.__cause__
    if refused:
        raise MailError(f"mail to {to} was not sent: {refused[0][1]}")


def send_all(messages: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """Send each ``(to, subject, body)`` on one connection, in order; return ``(to, reason)`` for
    each message refused on its own (the others went). Raises ``MailError`` when the server cannot
    be reached or the connection fails part-way; its ``unsent`` names the messages that did not
    go (a message counts as sent once the server accepted it; a failing goodbye changes nothing).
    """
    if not messages:
        return []
    server = parse_mail_url(current_app.config["LMS_MAIL_URL"])
    sender = current_app.config["LMS_MAIL_FROM"]
    context = ssl.create_default_context()
    refused: list[tuple[str, str]] = []
    done = 0
    try:
        if server.implicit_tls:
            smtp = smtplib.SMTP_SSL(
                server.host, server.port, timeout=TIMEOUT_SECONDS, context=context
            )
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS)
        try:
            if server.starttls:
                smtp.starttls(context=context)
            if server.username:
                smtp.login(server.username, server.password)
            for to, subject, body in messages:
                try:
                    smtp.send_message(_message(sender, to, subject, body))
                except _ONE_REFUSED as error:
                    refused.append((to, str(error)))
                    with contextlib.suppress(smtplib.SMTPException, OSError):
                        smtp.rset()  # a refused MAIL or RCPT leaves a transaction half open
                done += 1
        finally:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()
            smtp.close()
    except (OSError, smtplib.SMTPException) as error:
        unsent = [to for to, _subject, _body in messages[done:]]
        raise MailError(f"mail was not sent: {error}", unsent) from error
    return refused


def _message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((current_app.config["LMS_ISSUER_NAME"], sender))
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=sender.partition("@")[2])
    # the same transfer encoding whatever the language, so no filter treats Urdu mail apart
    message.set_content(body, cte="quoted-printable")
    return message
