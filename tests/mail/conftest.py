"""Fixtures for mail in and out: a real SMTP server (aiosmtpd) for what we send, a
real IMAP server (Dovecot) for what we receive, and a small agency to write to."""

import pytest

from tests.mail.dovecot import Mailbox, dovecot_server
from tests.mail.mailclient import INBOUND_SECRET


@pytest.fixture(scope="session")
def dovecot():
    try:
        with dovecot_server() as server:
            yield server
    except RuntimeError as problem:
        pytest.fail(str(problem), pytrace=False)


@pytest.fixture
def mailbox(dovecot) -> Mailbox:
    return Mailbox(dovecot.port)


@pytest.fixture
def inbound(app):
    """Replies are read: the MTA endpoint is on (and so Reply-To addresses are set)."""
    app.config["MAIL_INBOUND_SECRET"] = INBOUND_SECRET
    return INBOUND_SECRET
