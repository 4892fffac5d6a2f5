"""Render the web pages from the demo data into docs/screenshots/ (run explicitly):

    python tests/browser/render_screenshots.py

Loads the demo into a throwaway instance (`fieldline demo --no-serve`), serves it with
`fieldline serve`, signs in as each demo role through the sign-in page and saves each
page in PAGES: the console at desktop size, the portal and the field app at phone size.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).parents[2]
SHOTS = ROOT / "docs" / "screenshots"
PASSWORD = "fieldline-demo"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}

# (file name, who signs in, path, viewport)
PAGES = [
    ("console-dashboard.png", "maria.manager@demo.fieldline", "/dashboard", DESKTOP),
    ("console-queue.png", "maria.manager@demo.fieldline", "/tickets", DESKTOP),
    ("console-ticket.png", "maria.manager@demo.fieldline", "/tickets/1", DESKTOP),
    ("console-triage.png", "maria.manager@demo.fieldline", "/tickets/2", DESKTOP),
    ("console-people.png", "admin@demo.fieldline", "/people", DESKTOP),
    ("console-reports.png", "maria.manager@demo.fieldline", "/reports", DESKTOP),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(instance: str) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "INSTANCE_PATH": instance}
    subprocess.run(["fieldline", "demo", "--no-serve"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        ["fieldline", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server, base
        except OSError:
            time.sleep(0.1)
    server.kill()
    sys.exit("the demo server did not start")


def main() -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as instance:
        server, base = serve(instance)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path="/usr/bin/chromium", args=["--no-sandbox"]
                )
                for name, email, path, viewport in PAGES:
                    context = browser.new_context(
                        viewport=viewport,
                        device_scale_factor=2 if viewport is PHONE else 1,
                        locale="en-GB",
                    )
                    page = context.new_page()
                    page.goto(base + "/")
                    page.get_by_label("Email address").fill(email)
                    page.get_by_label("Password").fill(PASSWORD)
                    page.get_by_role("button", name="Sign in").click()
                    page.wait_for_load_state()
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    page.screenshot(path=str(SHOTS / name), full_page=viewport is not PHONE)
                    print(f"{name}: {path} as {email}")
                    context.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
