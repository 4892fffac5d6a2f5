"""Without Dovecot the IMAP tests skip with the install command, except under .ci/run,
where a missing service fails the run."""

import pytest

from tests.mail import dovecot as dovecot_module
from tests.mail.conftest import running_dovecot


def test_a_machine_without_dovecot_skips_with_the_install_command(monkeypatch):
    monkeypatch.setattr(dovecot_module, "_binary", lambda: None)
    monkeypatch.delenv(dovecot_module.REQUIRE_SERVICES, raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        next(running_dovecot())
    assert "apt-get install -y dovecot-imapd" in str(skipped.value)


def test_under_ci_a_missing_dovecot_fails_instead(monkeypatch):
    monkeypatch.setattr(dovecot_module, "_binary", lambda: None)
    monkeypatch.setenv(dovecot_module.REQUIRE_SERVICES, "1")
    with pytest.raises(pytest.fail.Exception) as failed:
        next(running_dovecot())
    assert "apt-get install -y dovecot-imapd" in str(failed.value)
