"""A real SMTP server on loopback (aiosmtpd) for the tests that send mail.

A test module uses it by importing ``mailbox`` (the fixture) and overriding ``app_config`` with
``mail_config`` when the test asks for the mailbox."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Mailbox:
    def __init__(self):
        self.messages = []
        self.logins = []
        self.port = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        """Refuse any address at ``refused.example`` (a mailbox that does not exist); one at
        ``hangup.example`` loses the connection when its message is sent."""
        if address.endswith("@refused.example"):
            return "550 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if any(to.endswith("@hangup.example") for to in envelope.rcpt_tos):
            server.transport.close()  # the connection lost: nothing more is answered
            return "421 Closing"
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 Message accepted"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login, auth_data.password))
        ok = (auth_data.login, auth_data.password) == (b"lms", b"s3cret:pass")
        return AuthResult(success=ok)

    def body(self, index: int = -1) -> str:
        return self.messages[index][1].get_content()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mailbox():
    box = Mailbox()
    box.port = free_port()
    controller = Controller(
        box, hostname="127.0.0.1", port=box.port, authenticator=box.authenticate,
        auth_require_tls=False,
    )  # fmt: skip
    controller.start()
    yield box
    controller.stop()


def mail_config(request) -> dict:
    """The app settings that send mail to the test's mailbox (none if it has no mailbox)."""
    if "mailbox" not in request.fixturenames:
        return {}
    box = request.getfixturevalue("mailbox")
    return {
        "LMS_MAIL_URL": f"smtp://lms:s3cret%3Apass@127.0.0.1:{box.port}",
        "LMS_MAIL_FROM": "no-reply@lms.test",
        "LMS_PUBLIC_URL": "http://lms.test",
    }
