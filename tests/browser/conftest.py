"""Browser tests: Playwright for Python driving Debian's Chromium against a live
gunicorn server (the approach of tests/e2e), on SQLite or PostgreSQL as the rest of
the suite (TEST_DATABASE_URL).

Without /usr/bin/chromium or playwright the tests skip, with the install command as
the reason; FIELDLINE_REQUIRE_BROWSER=1 (set by .ci/run) turns that skip into a
failure, so CI cannot pass with the browser tests silently skipped.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import serve  # noqa: F401  (the live gunicorn server)
from tests.factories import PASSWORD
from tests.sync.conftest import world  # noqa: F401  (a small agency, one contractor)

CHROMIUM = "/usr/bin/chromium"
INSTALL = "apt-get install chromium && pip install playwright"
HERE = Path(__file__).parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
# FIELDLINE_CPU_THROTTLE=4 runs every page at a quarter of this machine's CPU speed
# (Chromium's CPU throttling through the DevTools protocol), like a mid-range phone.
THROTTLE = float(os.environ.get("FIELDLINE_CPU_THROTTLE", "1"))

# Collected before the page's own scripts: Content-Security-Policy violations.
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


def _unavailable(reason: str):
    if os.environ.get("FIELDLINE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required here but cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def playwright_instance():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable(INSTALL)
    if not os.path.exists(CHROMIUM):
        _unavailable(INSTALL)
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
    )
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def axe_source():
    if not AXE.exists():
        if not shutil.which("npm"):
            _unavailable("npm ci --prefix tests/browser (axe-core)")
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=HERE,
            check=True,
            timeout=300,
        )
    return AXE


@pytest.fixture
def phone(browser):
    """A phone-sized browser context (touch, 390 x 844 CSS px)."""
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="en-GB"
    )
    context.add_init_script(CSP_WATCH)
    context.set_default_timeout(15000)
    # Shown by pytest when a test fails: what the app said on the console.
    context.on(
        "console",
        lambda m: m.type in ("error", "warning") and print(f"[browser {m.type}] {m.text}"),
    )
    context.on("weberror", lambda e: print(f"[browser uncaught] {e.error}"))
    yield context
    context.close()


@pytest.fixture
def desktop(browser):
    """A desktop browser context for the console (1440 x 900 CSS px)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    context.add_init_script(CSP_WATCH)
    context.set_default_timeout(15000)
    context.on(
        "console",
        lambda m: m.type in ("error", "warning") and print(f"[browser {m.type}] {m.text}"),
    )
    yield context
    context.close()


def sign_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the one sign-in page, as a person would."""
    page.goto(base + "/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def new_page(context, throttle: float = THROTTLE):
    page = context.new_page()
    if throttle > 1:
        context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": throttle})
    return page


def check_axe(page, axe_path: Path) -> None:
    """No serious or critical axe-core violation on the page as it is now.

    The pages' CSP (`default-src 'self'`) refuses the inline script tag that
    `add_script_tag(path=...)` writes; the tests keep the CSP on, so when the tag is
    refused axe's source is evaluated through the DevTools protocol instead."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        try:
            page.add_script_tag(path=str(axe_path))
        except Exception:
            pass
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(axe_path.read_text())
            page.evaluate("() => { window.__cspViolations.length = 0 }")  # our own tag
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))"
    )
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    assert not bad, json.dumps(bad, indent=1)


def csp_violations(page) -> list:
    return page.evaluate("window.__cspViolations || []")


class Api:
    """The REST API, as the office and as the contractor (no device)."""

    def __init__(self, base: str):
        self.base = base
        self.tokens: dict[str, str] = {}

    def token(self, email: str) -> str:
        if email not in self.tokens:
            response = requests.post(
                f"{self.base}/api/auth/token",
                json={"email": email, "password": PASSWORD},
                timeout=10,
            )
            response.raise_for_status()
            self.tokens[email] = response.json()["access_token"]
        return self.tokens[email]

    def get(self, path: str, email: str = "staff@x.test", **kwargs):
        headers = {"Authorization": f"Bearer {self.token(email)}"}
        return requests.get(f"{self.base}{path}", headers=headers, timeout=20, **kwargs)

    def post(self, path: str, email: str = "staff@x.test", **kwargs):
        headers = {"Authorization": f"Bearer {self.token(email)}"}
        return requests.post(f"{self.base}{path}", headers=headers, timeout=20, **kwargs)

    def pull(self, email: str = "carl@x.test") -> dict:
        """Everything in the contractor's scope, as a fresh device would get it."""
        response = self.get("/api/sync/pull", email, params={"last_pulled_at": ""})
        assert response.status_code == 200, response.text
        return response.json()["changes"]
