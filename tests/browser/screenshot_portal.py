"""Phone-size screenshots of the tenant portal for docs/screenshots/portal-*.png, taken
from a running demo (run explicitly, not part of the suite):

    fieldline demo --port 8977 &
    python -m tests.browser.screenshot_portal http://127.0.0.1:8977

It signs in as the demo tenant, looks at every portal page, reports a problem with a
photo (so the demo gains one ticket per run) and shows a refused upload.
"""

import io
import sys
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

SHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
TENANT, PASSWORD = "zoe@demo.fieldline", "fieldline-demo"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (70, 110, 160)).save(out, "PNG")
    return out.getvalue()


def shoot(base: str, out: Path = SHOTS) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    taken = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        context = browser.new_context(
            viewport={"width": 390, "height": 844}, device_scale_factor=1, is_mobile=True
        )
        page = context.new_page()

        def snap(name: str) -> None:
            path = out / f"portal-{name}.png"
            page.screenshot(path=str(path), full_page=True)
            taken.append(path)

        page.goto(base + "/")
        snap("sign-in")
        page.get_by_role("link", name="Forgotten your username or password?").click()
        snap("forgotten")
        page.goto(base + "/")
        page.get_by_label("Email address").fill(TENANT)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(base + "/portal")
        snap("home")
        page.get_by_role("link", name="Report a problem").first.click()
        snap("report")
        page.get_by_label("What is the problem?").fill("Bathroom extractor fan")
        page.get_by_label("Tell us more").fill(
            "The fan in the bathroom has stopped. The mirror stays fogged for an hour."
        )
        page.get_by_label("Photos").set_input_files(
            [{"name": "page.jpg", "mimeType": "image/jpeg", "buffer": b"<html>not a photo"}]
        )
        page.get_by_role("button", name="Send report").click()
        snap("report-refused")
        page.get_by_label("Photos").set_input_files(
            [{"name": "fan.png", "mimeType": "image/png", "buffer": png()}]
        )
        page.get_by_role("button", name="Send report").click()
        page.get_by_role("heading", name="Problem reported").wait_for()
        snap("reported")
        page.get_by_role("link", name="My tickets").click()
        snap("tickets")
        page.get_by_role("link", name="Leaking kitchen tap").click()
        snap("ticket")
        page.goto(base + "/portal/tickets")
        page.get_by_role("link", name="Bathroom extractor fan").first.click()
        snap("ticket-new")
        page.goto(base + "/portal/updates")
        snap("updates")
        page.get_by_role("link", name="Zoë Łukasiewicz").click()
        snap("password")
        browser.close()
    return taken


if __name__ == "__main__":
    for path in shoot(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8977"):
        print(path)
