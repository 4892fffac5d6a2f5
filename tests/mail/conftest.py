"""Fixtures for mail in: a real IMAP server (Dovecot) and the MTA endpoint's secret. The
SMTP server (`smtp`) and the agency (`people`) come from tests/conftest.py."""

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
