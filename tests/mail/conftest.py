"""Fixtures for mail in: a real IMAP server (Dovecot) and the MTA endpoint's secret. The
SMTP server (`smtp`) and the agency (`people`) come from tests/conftest.py."""

import os

import pytest

from tests.mail.dovecot import REQUIRE_SERVICES, Mailbox, NotInstalled, dovecot_server
from tests.mail.mailclient import INBOUND_SECRET


def running_dovecot():
    """A real Dovecot. Not installed: the tests that need it skip, saying how to install
    it, except under .ci/run (REQUIRE_SERVICES), which installs it and fails instead."""
    try:
        with dovecot_server() as server:
            yield server
    except NotInstalled as missing:
        if os.environ.get(REQUIRE_SERVICES):
            pytest.fail(str(missing), pytrace=False)
        pytest.skip(str(missing))
    except RuntimeError as problem:
        pytest.fail(str(problem), pytrace=False)


@pytest.fixture(scope="session")
def dovecot():
    yield from running_dovecot()


@pytest.fixture
def mailbox(dovecot) -> Mailbox:
    return Mailbox(dovecot.port)


@pytest.fixture
def inbound(app):
    """Replies are read: the MTA endpoint is on (and so Reply-To addresses are set)."""
    app.config["MAIL_INBOUND_SECRET"] = INBOUND_SECRET
    return INBOUND_SECRET
