"""Figures and screenshots for docs/FIELD_APP.md (run explicitly, not part of the suite):

    pytest -n 0 -s tests/browser/measure_field_app.py

- bundle size (gzip -9 of what the phone downloads: app.js, app.css, index.html, sw.js)
- first sync of a contractor with 50 jobs (~700 records), in the browser
- cold open with no signal (a new tab, service worker and IndexedDB only)
- tap to visible feedback (log hours, save signature) at 4x CPU throttling
- phone-size screenshots into docs/screenshots/field-*.png (field-conflict.png: what
  the office kept, as test_field_app's conflict test provokes it)
"""

import gzip
import json
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from server.services import messages, tickets
from tests.browser.conftest import Api, new_page
from tests.browser.test_field_app import open_job, sign_in, synced

pytestmark = pytest.mark.browser

ROOT = Path(__file__).parents[2]
BUNDLE = ROOT / "web" / "static" / "field"
SHOTS = ROOT / "docs" / "screenshots"

# Summary, priority, deadline from now (hours).
SUMMARIES = [
    ("Boiler not firing, no hot water", "critical", -1),
    ("Leak under kitchen sink", "high", 3),
    ("Front door lock sticks", "normal", 50),
    ("Extractor fan noisy", "low", 240),
    ("Cracked window pane in bedroom", "high", 20),
    ("Radiator cold at the top", "normal", None),
]


def seed(world, api: Api, jobs: int, children: bool) -> list[int]:
    """`jobs` tickets assigned to Carl; with children, 8 messages, 3 hours and 2
    materials each (14 records a job: 50 jobs = 700 records)."""
    ids = []
    for n in range(jobs):
        summary, priority, hours = SUMMARIES[n % len(SUMMARIES)]
        ticket = world.new_ticket(summary, assign_to=world.contractor_id)
        deadline = None if hours is None else datetime.now(UTC) + timedelta(hours=hours)
        world.as_staff(
            tickets.triage, ticket, type="repair", priority=priority, deadline_at=deadline
        )
        ids.append(ticket)
        if not children:
            continue
        for m in range(8):
            if m % 3 == 2:
                with world.app.app_context():
                    from server.extensions import db

                    messages.post_message(
                        world.caller(world.tenant_id), ticket, f"Tenant note {m}", "public"
                    )
                    db.session.commit()
            else:
                world.staff_reply(ticket, f"Office update {m}", "team" if m % 3 else "public")
    if children:
        body = {
            t: {"created": [], "updated": [], "deleted": []}
            for t in (
                "tickets",
                "ticket_messages",
                "time_entries",
                "materials",
                "delivery_notes",
                "attachments",
            )
        }
        for ticket in ids:
            for h in range(3):
                body["time_entries"]["created"].append(
                    {
                        "id": str(uuid.uuid4()),
                        "ticket_id": str(ticket),
                        "started_at": 1795400000000 + h * 3600000,
                        "ended_at": 1795401800000 + h * 3600000,
                        "minutes": 30,
                        "chargeable": True,
                        "note": "Visit",
                        "created_at": 1795401800000 + h * 3600000,
                    }
                )
            for m in range(2):
                body["materials"]["created"].append(
                    {
                        "id": str(uuid.uuid4()),
                        "ticket_id": str(ticket),
                        "description": f"Part {m}",
                        "quantity": "1",
                        "unit": "each",
                        "unit_price": "4.20",
                        "chargeable": True,
                        "created_at": 1795401800000,
                    }
                )
        pushed = requests.post(
            f"{api.base}/api/sync/push?last_pulled_at=1",
            data=json.dumps(body),
            headers={"Authorization": f"Bearer {api.token('carl@x.test')}"},
            timeout=60,
        )
        assert pushed.status_code == 200, pushed.text
    return ids


def test_figures(world, serve, browser):
    base = serve()
    api = Api(base)
    seed(world, api, 49, children=True)  # + the world's own ticket = 50 jobs
    records = sum(len(v["created"]) for v in api.pull().values())
    figures = {"records_in_first_sync": records}

    files = ["app.js", "app.css", "index.html", "sw.js"]
    figures["bundle_bytes"] = sum((BUNDLE / f).stat().st_size for f in files)
    figures["bundle_gzip_bytes"] = sum(
        len(gzip.compress((BUNDLE / f).read_bytes(), 9)) for f in files
    )

    for rate in (1, 4):
        context = browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
        )
        page = new_page(context, throttle=rate)
        started = time.monotonic()
        sign_in(page, base)
        synced(page)
        expect(page.get_by_role("list", name="Your jobs").get_by_role("link")).to_have_count(50)
        figures[f"sign_in_to_50_jobs_listed_ms_x{rate}"] = round(
            (time.monotonic() - started) * 1000
        )
        figures[f"first_sync_ms_x{rate}"] = round(
            page.evaluate("performance.getEntriesByName('fieldline:sync')[0].duration")
        )
        page.close()  # at once: the app saves each change before showing it
        context.set_offline(True)
        opens = []
        for _ in range(5):
            page = new_page(context, throttle=rate)
            page.goto(f"{base}/field/")
            page.get_by_role("list", name="Your jobs").get_by_role("link").first.wait_for()
            opens.append(
                page.evaluate("performance.getEntriesByName('fieldline:jobs-shown')[0].startTime")
            )
            page.close()
        figures[f"cold_open_offline_ms_x{rate}"] = round(statistics.median(opens))
        figures[f"cold_open_offline_ms_x{rate}_all"] = [round(x) for x in opens]

        page = new_page(context, throttle=rate)
        page.goto(f"{base}/field/")
        page.get_by_role("list", name="Your jobs").get_by_role("link").first.click()
        page.get_by_role("heading", name="Hours").wait_for()
        page.evaluate(WATCH)
        taps = []
        for _ in range(5):
            page.get_by_label("Hours worked").fill("1")
            page.evaluate("window.__reset()")
            page.get_by_role("button", name="Log hours").click()
            page.wait_for_function("() => window.__listed != null")
            taps.append(page.evaluate("[__fb - __tap, __listed - __tap]"))
        figures[f"tap_log_hours_feedback_ms_x{rate}"] = round(statistics.median(t[0] for t in taps))
        figures[f"tap_log_hours_listed_ms_x{rate}"] = round(statistics.median(t[1] for t in taps))

        page.get_by_role("link", name="Get customer signature").click()
        page.get_by_label("Name of the person signing").fill("A Tenant")
        draw(page)
        page.evaluate(WATCH)
        page.evaluate("window.__reset()")
        page.get_by_role("button", name="Save signature").click()
        page.get_by_text("signed by A Tenant").first.wait_for()
        figures[f"tap_save_signature_feedback_ms_x{rate}"] = round(
            page.evaluate("window.__fb - window.__tap")
        )
        figures[f"save_signature_to_job_page_ms_x{rate}"] = round(
            page.evaluate("performance.now() - window.__tap")
        )
        context.close()
    print("\nFIELD APP FIGURES " + json.dumps(figures, indent=1))


# Time from the tap (click, capture phase) to the toast showing, and to the new
# entry's list item (the record saved and the list re-rendered).
WATCH = """
(() => {
  const toast = document.getElementById('toast');
  window.__reset = () => {
    toast.classList.remove('shown');
    window.__tap = null; window.__fb = null; window.__listed = null;
    const lists = document.querySelectorAll('.entries');
    window.__before = lists.length ? lists[0].children.length : 0;
  };
  if (window.__watching) return;
  window.__watching = true;
  document.addEventListener('click', () => { window.__tap = performance.now() }, true);
  new MutationObserver(() => {
    if (window.__tap != null && window.__fb == null && toast.classList.contains('shown'))
      window.__fb = performance.now();
  }).observe(toast, {attributes: true, childList: true, characterData: true, subtree: true});
  new MutationObserver(() => {
    const lists = document.querySelectorAll('.entries');
    if (window.__tap != null && window.__listed == null && lists.length
        && lists[0].children.length > window.__before) window.__listed = performance.now();
  }).observe(document.getElementById('main'), {childList: true, subtree: true});
})()
"""


def draw(page) -> None:
    pad = page.get_by_role("img", name="Signature area").bounding_box()
    x, y = pad["x"], pad["y"]
    strokes = [
        [(30, 130), (45, 70), (60, 140), (75, 80), (95, 135)],
        [(110, 120), (130, 90), (150, 125), (170, 95), (190, 120), (215, 100)],
        [(230, 140), (250, 60), (262, 140), (285, 110), (320, 118)],
    ]
    for stroke in strokes:
        page.mouse.move(x + stroke[0][0], y + stroke[0][1])
        page.mouse.down()
        for px, py in stroke[1:]:
            page.mouse.move(x + px, y + py, steps=6)
        page.mouse.up()


def test_screenshots(world, serve, browser):
    base = serve()
    api = Api(base)
    world.as_staff(
        tickets.triage,
        world.ticket_id,
        type="repair",
        priority="high",
        deadline_at=datetime.now(UTC) + timedelta(hours=6),
    )
    seed(world, api, 5, children=False)
    world.staff_reply(world.ticket_id, "Tenant is in after 2 pm; parking at the rear.", "team")
    with world.app.app_context():
        from server.extensions import db

        messages.post_message(
            world.caller(world.tenant_id), world.ticket_id, "It drips all night.", "public"
        )
        db.session.commit()
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
    )
    page = new_page(context, throttle=1)
    sign_in(page, base)
    synced(page)
    page.screenshot(path=SHOTS / "field-jobs.png")
    open_job(page, "Leaking tap")
    page.get_by_label("Hours worked").fill("1.25")
    page.get_by_label("What you did (optional)").fill("Replaced washer and O-ring")
    page.get_by_role("button", name="Log hours").click()
    page.get_by_label("Material", exact=True).fill("Tap washer")
    page.get_by_label("Quantity").fill("2")
    page.get_by_label("Unit", exact=True).fill("each")
    page.get_by_label("Unit price in £ (optional)").fill("1.50")
    page.get_by_role("button", name="Add material").click()
    page.get_by_text("Tap washer").wait_for()
    page.wait_for_timeout(2700)  # the toasts fade
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=SHOTS / "field-job.png")
    page.get_by_role("heading", name="Hours").scroll_into_view_if_needed()
    page.evaluate(
        "window.scrollBy(0, document.querySelector('#hours-h').getBoundingClientRect().top - 60)"
    )
    page.screenshot(path=SHOTS / "field-job-work.png")
    page.get_by_role("heading", name="Messages").evaluate("e => e.scrollIntoView()")
    page.evaluate("window.scrollBy(0, -60)")
    page.screenshot(path=SHOTS / "field-job-messages.png")
    page.get_by_role("link", name="Get customer signature").click()
    page.get_by_role("heading", name="Customer signature").wait_for()
    draw(page)
    page.screenshot(path=SHOTS / "field-signature.png")
    context.close()


def test_conflict_screenshot(world, serve, browser):
    window = world.new_ticket("Broken window", assign_to=world.contractor_id)
    world.as_staff(tickets.triage, window, type="repair", priority="high")
    base = serve()
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
    )
    page = new_page(context, throttle=1)
    sign_in(page, base)
    synced(page)
    context.set_offline(True)
    open_job(page, "Leaking tap")
    page.get_by_label("Hours worked").fill("1.5")
    page.get_by_role("button", name="Log hours").click()
    page.get_by_text("Total 1 h 30 min").wait_for()
    page.get_by_role("link", name="← Jobs").click()
    open_job(page, "Broken window")
    page.get_by_role("button", name="Mark job resolved").click()
    page.get_by_text("This job is resolved.").wait_for()
    world.as_staff(tickets.change_status, window, "closed")
    pushes = []

    def lose_first_then_edit(route):
        if not pushes:
            route.fetch()
            route.abort("connectionreset")
        else:
            body = route.request.post_data.replace('"minutes":90', '"minutes":120')
            route.continue_(post_data=body)
        pushes.append(1)

    context.route("**/api/sync/push*", lose_first_then_edit)
    page.get_by_role("link", name="← Jobs").click()
    context.set_offline(False)
    page.get_by_text("Could not reach Fieldline").first.wait_for(timeout=30000)
    page.get_by_role("button", name="Sync now").click()
    synced(page)
    page.get_by_text("It is “Closed” at the office.").wait_for()
    open_job(page, "Leaking tap")
    page.get_by_text("Your hours reached the office twice").wait_for()
    page.wait_for_timeout(2700)  # the toasts fade
    page.screenshot(path=SHOTS / "field-conflict.png")
    page.get_by_role("link", name="← Jobs").click()
    page.get_by_text("It is “Closed” at the office.").wait_for()
    page.screenshot(path=SHOTS / "field-conflict-jobs.png")
    context.close()
