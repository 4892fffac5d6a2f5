"""CI cannot pass with the browser tests silently skipped."""

import pytest

from tests.browser import conftest


def test_a_missing_browser_skips_with_the_install_command(monkeypatch):
    monkeypatch.delenv("FIELDLINE_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        conftest._unavailable(conftest.INSTALL)


def test_a_missing_browser_fails_where_browsers_are_required(monkeypatch):
    monkeypatch.setenv("FIELDLINE_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="required here"):
        conftest._unavailable(conftest.INSTALL)
