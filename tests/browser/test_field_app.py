"""The field app in Chromium (phone size) against a live server: a contractor's day
with no signal, then the sync, checked through the REST API."""

import io
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from server.services import tickets
from tests.browser.conftest import Api, check_axe, csp_violations, new_page
from tests.factories import PASSWORD
from tests.unit.delivery_notes.note_factories import make_png

pytestmark = pytest.mark.browser


def sign_in(page, base: str) -> None:
    page.goto(f"{base}/field/")
    page.get_by_label("Email address").fill("carl@x.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your jobs")).to_be_visible()


def synced(page) -> None:
    """The status line says everything was sent and a sync finished."""
    status = page.get_by_role("status").filter(has_text="Last sync")
    expect(status).to_contain_text("All work sent", timeout=30000)
    expect(status).not_to_contain_text("Last sync: never")
    expect(status).not_to_contain_text("Syncing")


def open_job(page, summary: str) -> None:
    page.get_by_role("link", name=re.compile(summary)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(summary)


def controlled(page) -> None:
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller")


def of_ticket(changes: dict, table: str, ticket_id: int) -> list:
    return [r for r in changes[table]["created"] if r["ticket_id"] == str(ticket_id)]


def test_a_day_offline_then_one_sync(world, serve, phone, axe_source):
    base = serve()
    api = Api(base)
    tap = world.ticket_id  # Leaking tap (normal)
    world.as_staff(tickets.triage, tap, type="repair", priority="normal", billing="chargeable")
    window = world.new_ticket("Broken window", assign_to=world.contractor_id)
    soon = datetime.now(UTC) + timedelta(hours=2)  # SLA warning shown
    world.as_staff(tickets.triage, window, type="repair", priority="high", deadline_at=soon)
    door = world.new_ticket("Door sticks", assign_to=world.contractor_id)

    page = new_page(phone)
    sign_in(page, base)
    synced(page)
    jobs = page.get_by_role("list", name="Your jobs").get_by_role("link")
    expect(jobs).to_have_count(3)
    # Priority first: the high-priority job leads.
    expect(jobs.first).to_contain_text("Broken window")
    expect(jobs.first).to_contain_text("Due in 2 h")
    check_axe(page, axe_source)
    controlled(page)

    # No signal: the app still opens, with its jobs.
    phone.set_offline(True)
    page.reload()
    expect(page.get_by_role("link", name=re.compile("Leaking tap"))).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Last sync")).to_contain_text("Offline")

    # Work on the door job; the office unassigns it meanwhile.
    open_job(page, "Door sticks")
    page.get_by_label("Hours worked").fill("0.5")
    page.get_by_role("button", name="Log hours").click()
    expect(page.get_by_text("Total 30 min")).to_be_visible()
    response = api.post(f"/api/tickets/{door}/assignments/{world.contractor_id}/end")
    assert response.status_code == 200, response.text

    # The leaking tap: hours, a material, a message, a photo, a signature, resolved.
    page.get_by_role("link", name="← Jobs").click()
    open_job(page, "Leaking tap")
    page.get_by_label("Hours worked").fill("1.5")
    page.get_by_label("What you did (optional)").fill("Replaced washer")
    page.get_by_role("button", name="Log hours").click()
    expect(page.get_by_text("1 h 30 min").first).to_be_visible()
    page.get_by_label("Material", exact=True).fill("Tap washer")
    page.get_by_label("Quantity").fill("2")
    page.get_by_label("Unit", exact=True).fill("each")
    page.get_by_label("Unit price in £ (optional)").fill("1.50")
    page.get_by_role("button", name="Add material").click()
    expect(page.get_by_text("Tap washer")).to_be_visible()
    page.get_by_label("Reply").fill("Washer replaced, no more drips.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Washer replaced, no more drips.")).to_be_visible()
    page.get_by_label("Take or add a photo").set_input_files(
        files=[{"name": "tap.png", "mimeType": "image/png", "buffer": make_png(64, 48)}]
    )
    expect(page.get_by_text("Waiting to upload")).to_be_visible()
    check_axe(page, axe_source)

    page.get_by_role("link", name="Get customer signature").click()
    expect(page.get_by_role("heading", name="Customer signature")).to_be_visible()
    check_axe(page, axe_source)
    page.get_by_label("Name of the person signing").fill("Zoë Łukasiewicz")
    pad = page.get_by_role("img", name=re.compile("Signature area")).bounding_box()
    page.mouse.move(pad["x"] + 30, pad["y"] + 120)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(pad["x"] + 30 + step * 25, pad["y"] + 120 - (step % 3) * 30, steps=3)
    page.mouse.up()
    page.get_by_role("button", name="Save signature").click()
    expect(page.get_by_text("signed by Zoë Łukasiewicz")).to_be_visible()
    # The signature is the customer's sign-off: the server resolves the job on it,
    # whatever its billing, so the app pushes no status of its own (no conflict).
    expect(page.get_by_text("The customer signed: the job is resolved")).to_be_visible()
    expect(page.get_by_role("button", name="Mark job resolved")).to_have_count(0)

    # Still there after closing the app at once with no signal (saved on each change).
    page.reload()
    expect(page.get_by_text("Washer replaced, no more drips.")).to_be_visible()
    status = page.get_by_role("status").filter(has_text="Last sync")
    expect(status).to_contain_text("not sent yet")

    # Back online; the first push's response is lost on the way back.
    pushes = []

    def drop_first_response(route):
        pushes.append(route.request.url)
        if len(pushes) == 1:
            route.fetch()  # the server records the push...
            route.abort("connectionreset")  # ...and the phone never hears back
        else:
            route.continue_()

    phone.route("**/api/sync/push*", drop_first_response)
    phone.set_offline(False)
    expect(status).to_contain_text("Could not reach Fieldline", timeout=30000)
    page.get_by_role("button", name="Sync now").click()
    synced(page)
    assert len(pushes) >= 2

    # The unassigned job left once its work was pushed.
    page.get_by_role("link", name="← Jobs").click()
    expect(page.get_by_role("link", name=re.compile("Door sticks"))).to_have_count(0)

    # Each record exactly once on the server.
    changes = api.pull()
    messages = [
        m for m in of_ticket(changes, "ticket_messages", tap) if m["body"].startswith("Washer")
    ]
    assert len(messages) == 1
    hours = of_ticket(changes, "time_entries", tap)
    assert [(h["minutes"], h["note"]) for h in hours] == [(90, "Replaced washer")]
    materials = of_ticket(changes, "materials", tap)
    assert [(m["description"], m["quantity"], m["unit_price"]) for m in materials] == [
        ("Tap washer", "2", "1.50")
    ]
    notes = of_ticket(changes, "delivery_notes", tap)
    assert len(notes) == 1 and notes[0]["signed_by"] == "Zoë Łukasiewicz"
    attachments = of_ticket(changes, "attachments", tap)
    assert sorted(a["content_type"] for a in attachments) == ["image/png", "image/png"]
    assert all(a["uploaded"] for a in attachments)
    timeline = api.get(f"/api/tickets/{tap}").json()
    assert timeline["status"] == "resolved"  # chargeable: closes when the invoice is paid
    kinds = [e["kind"] for e in timeline["events"]]
    assert kinds.count("time_logged") == 1 and kinds.count("material_used") == 1
    assert "sync_conflict" not in kinds  # nothing the office has to look at
    door_events = [e["kind"] for e in api.get(f"/api/tickets/{door}").json()["events"]]
    assert door_events.count("time_logged") == 1

    # The delivery note's PDF carries the signature image.
    pdf = api.get(f"/api/tickets/{tap}/delivery-notes/{notes[0]['id']}.pdf")
    assert pdf.status_code == 200, pdf.text
    page_one = PdfReader(io.BytesIO(pdf.content)).pages[0]
    assert "Łukasiewicz" in page_one.extract_text()
    assert len(page_one.images) >= 1

    # The PDF from the app itself (fetched with the device's token).
    open_job(page, "Leaking tap")
    expect(page.get_by_text(re.compile(r"Delivery note DN-"))).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile(r"Open DN-.* \(PDF\)")).click()
    assert download.value.suggested_filename == f"{notes[0]['number']}.pdf"
    from_app = PdfReader(download.value.path()).pages[0]
    assert "Łukasiewicz" in from_app.extract_text()
    assert csp_violations(page) == []


def test_a_revoked_phone_signs_in_again_and_keeps_its_work(world, serve, phone, axe_source):
    base = serve()
    api = Api(base)
    page = new_page(phone)
    sign_in(page, base)
    synced(page)
    device_key = page.evaluate("JSON.parse(localStorage.getItem('fieldline.deviceId'))")

    phone.set_offline(True)
    open_job(page, "Leaking tap")
    page.get_by_label("Hours worked").fill("2")
    page.get_by_role("button", name="Log hours").click()
    expect(page.get_by_text("2 h 00 min").first).to_be_visible()

    devices = api.get("/api/sync/devices").json()
    (device,) = [d for d in devices if d["device_id"] == device_key]
    assert api.post(f"/api/sync/devices/{device['id']}/revoke").status_code == 200

    phone.set_offline(False)
    expect(page.get_by_role("alert")).to_contain_text("The office signed this phone out")
    expect(page.get_by_text("Your unsent work is kept on this phone")).to_be_visible()
    check_axe(page, axe_source)
    assert of_ticket(api.pull(), "time_entries", world.ticket_id) == []

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    synced(page)
    hours = of_ticket(api.pull(), "time_entries", world.ticket_id)
    assert [h["minutes"] for h in hours] == [120]
    new_key = page.evaluate("JSON.parse(localStorage.getItem('fieldline.deviceId'))")
    assert new_key != device_key
    assert csp_violations(page) == []


def test_a_busy_server_is_left_alone_for_its_retry_after(world, serve, phone):
    base = serve()
    page = new_page(phone)
    pulls = []

    def busy_once(route):
        pulls.append(time.monotonic())
        if len(pulls) == 1:
            route.fulfill(
                status=503,
                headers={"Retry-After": "3", "Content-Type": "application/problem+json"},
                body='{"status": 503, "code": "database_unavailable"}',
            )
        else:
            route.continue_()

    phone.route("**/api/sync/pull*", busy_once)
    sign_in(page, base)
    status = page.get_by_role("status").filter(has_text="Last sync")
    expect(status).to_contain_text("Fieldline is busy. Trying again in 3 s.")
    synced(page)  # by itself, after the wait
    assert len(pulls) == 2 and pulls[1] - pulls[0] >= 2.9
    expect(page.get_by_role("link", name=re.compile("Leaking tap"))).to_be_visible()


def test_signing_out_with_unsent_work_warns_and_keeps_it(world, serve, phone, axe_source):
    base = serve()
    api = Api(base)
    page = new_page(phone)
    sign_in(page, base)
    synced(page)
    phone.set_offline(True)
    open_job(page, "Leaking tap")
    page.get_by_label("Reply").fill("On my way")
    page.get_by_role("button", name="Send reply").click()
    page.get_by_role("button", name="Start timer").click()
    page.get_by_role("button", name="Stop timer and log hours").click()
    expect(page.get_by_text("Total 1 min")).to_be_visible()
    page.get_by_role("link", name="← Jobs").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("alert")).to_contain_text("2 changes are not sent yet")
    check_axe(page, axe_source)
    page.get_by_role("button", name="Sign out anyway").click()
    expect(page.get_by_role("heading", name=re.compile("Sign in"))).to_be_visible()
    expect(page.get_by_text("Your unsent work is kept on this phone")).to_be_visible()

    # Someone else cannot sign in over it.
    phone.set_offline(False)
    page.get_by_label("Email address").fill("olga@x.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Sign in as carl@x.test to send it first")

    page.get_by_label("Email address").fill("carl@x.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    synced(page)
    changes = api.pull()
    bodies = [m["body"] for m in changes["ticket_messages"]["created"]]
    assert bodies.count("On my way") == 1
    assert [h["minutes"] for h in changes["time_entries"]["created"]] == [1]


def test_tokens_rotate_and_a_replayed_refresh_token_signs_the_phone_out(world, serve, phone):
    base = serve()
    api = Api(base)
    page = new_page(phone)
    sign_in(page, base)
    synced(page)
    stored = "JSON.parse(localStorage.getItem('fieldline.auth'))"
    first = page.evaluate(stored)

    # An access token the server no longer takes: the app rotates the pair and goes on.
    page.evaluate(
        "localStorage.setItem('fieldline.auth', JSON.stringify("
        "{...JSON.parse(localStorage.getItem('fieldline.auth')), access: 'not-a-token'}))"
    )
    world.staff_reply(world.ticket_id, "Parts arrive Tuesday")
    page.get_by_role("button", name="Sync now").click()
    open_job(page, "Leaking tap")
    expect(page.get_by_text("Parts arrive Tuesday")).to_be_visible()
    second = page.evaluate(stored)
    assert second["refresh"] != first["refresh"] and second["access"] != "not-a-token"

    # Someone replays the old refresh token: the server ends the device's sessions.
    replay = api.post("/api/auth/refresh", json={"refresh_token": first["refresh"]})
    assert replay.status_code == 401
    page.get_by_label("Reply").fill("Noted")
    page.get_by_role("button", name="Send reply").click()
    page.get_by_role("button", name="Sync now").click()
    expect(page.get_by_role("alert")).to_contain_text("Sign in again")
    expect(page.get_by_text("Your unsent work is kept on this phone")).to_be_visible()


def test_a_signature_resolves_included_work_without_a_conflict(world, serve, phone):
    base = serve()
    api = Api(base)
    assert api.get(f"/api/tickets/{world.ticket_id}").json()["billing"] != "chargeable"
    page = new_page(phone)
    sign_in(page, base)
    synced(page)
    open_job(page, "Leaking tap")
    page.get_by_role("link", name="Get customer signature").click()
    page.get_by_label("Name of the person signing").fill("Zoë Łukasiewicz")
    pad = page.get_by_role("img", name=re.compile("Signature area")).bounding_box()
    page.mouse.move(pad["x"] + 40, pad["y"] + 100)
    page.mouse.down()
    page.mouse.move(pad["x"] + 240, pad["y"] + 60, steps=8)
    page.mouse.up()
    page.get_by_role("button", name="Save signature").click()
    expect(page.get_by_text("The customer signed: the job is resolved")).to_be_visible()
    expect(page.get_by_role("button", name="Mark job resolved")).to_have_count(0)
    synced(page)
    ticket = api.get(f"/api/tickets/{world.ticket_id}").json()
    assert ticket["status"] in ("resolved", "closed")
    assert "sync_conflict" not in [e["kind"] for e in ticket["events"]]
    # Closed at once (included work): its assignment ends, so the job leaves the phone
    # and nothing is left to send.
    expect(page.get_by_text("All work sent")).to_be_visible()


def test_what_the_office_kept_is_shown_on_the_job_and_for_a_job_that_left(world, serve, phone):
    base = serve()
    api = Api(base)
    tap = world.ticket_id  # Leaking tap
    window = world.new_ticket("Broken window", assign_to=world.contractor_id)
    world.as_staff(tickets.triage, window, type="repair", priority="high")
    page = new_page(phone)
    sign_in(page, base)
    synced(page)

    # No signal: hours on the tap, the window marked resolved; reloaded at once.
    phone.set_offline(True)
    open_job(page, "Leaking tap")
    page.get_by_label("Hours worked").fill("1.5")
    page.get_by_role("button", name="Log hours").click()
    expect(page.get_by_text("Total 1 h 30 min")).to_be_visible()
    page.reload()
    expect(page.get_by_text("Total 1 h 30 min")).to_be_visible()
    page.get_by_role("link", name="← Jobs").click()
    open_job(page, "Broken window")
    page.get_by_role("button", name="Mark job resolved").click()
    expect(page.get_by_text("This job is resolved.")).to_be_visible()
    page.reload()
    expect(page.get_by_text("This job is resolved.")).to_be_visible()
    # Meanwhile the office closes the window job (which takes it off the contractor).
    world.as_staff(tickets.change_status, window, "closed")

    # The first push's answer is lost; the retry carries the hours with other content
    # (as a phone that edited them in between would).
    pushes = []

    def lose_first_then_edit(route):
        body = route.request.post_data
        if not pushes:
            route.fetch()
            route.abort("connectionreset")
        else:
            body = body.replace('"minutes":90', '"minutes":120')
            route.continue_(post_data=body)
        pushes.append(body)

    phone.route("**/api/sync/push*", lose_first_then_edit)
    page.get_by_role("link", name="← Jobs").click()
    phone.set_offline(False)
    status = page.get_by_role("status").filter(has_text="Last sync")
    expect(status).to_contain_text("Could not reach Fieldline", timeout=30000)
    page.get_by_role("button", name="Sync now").click()
    synced(page)
    assert '"minutes":120' in pushes[-1]

    # The window job left the phone; what happened to its status is said on the list.
    expect(page.get_by_role("link", name=re.compile("Broken window"))).to_have_count(0)
    gone = page.get_by_role("status").filter(has_text="Broken window")
    expect(gone).to_contain_text("You set the job to “Resolved”, but the office did not take it")
    expect(gone).to_contain_text("It is “Closed” at the office.")

    # The hours: the office kept the first version, and the phone shows both.
    open_job(page, "Leaking tap")
    notice = page.get_by_role("status").filter(has_text="The office changed this")
    expect(notice).to_contain_text("Your hours reached the office twice with different details")
    row = notice.get_by_role("row", name=re.compile("Time"))
    expect(row).to_contain_text("1 h 30 min")
    expect(row).to_contain_text("2 h 00 min")
    hours = of_ticket(api.pull(), "time_entries", tap)
    assert [h["minutes"] for h in hours] == [90]
    expect(page.get_by_text("Total 1 h 30 min")).to_be_visible()  # corrected by the pull

    expect(status).to_contain_text("The office kept its own version of 2 changes")
    notice.get_by_role("button", name="OK, got it").click()
    expect(page.get_by_text("Your hours reached the office twice")).to_have_count(0)
    expect(status).to_contain_text("The office kept its own version of 1 change (see the job)")
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Leaking tap")
    expect(page.get_by_text("Your hours reached the office twice")).to_have_count(0)
    assert csp_violations(page) == []


def test_every_kind_of_conflict_is_said_in_plain_words(world, serve, phone, axe_source):
    """The push answer's details (each kind as sync.conflicts.describe gives it; the
    server side is tested in tests/sync/test_conflict_details.py) become notices."""
    base = serve()
    tap = str(world.ticket_id)
    page = new_page(phone)
    sign_in(page, base)
    synced(page)

    def detail(kind, table, **extra):
        return {
            "ticket_id": tap,
            "table": table,
            "id": f"{table}-1",
            "kind": kind,
            "code": None,
            "number": None,
            "reason": "",
            "office": {},
            "phone": {},
            **extra,
        }

    details = [
        detail("held_for_review", "time_entries", code="held_for_review"),
        detail("delete_refused", "materials"),
        detail("note_not_applied", "delivery_notes", code="ticket_closed", number="DN-2026-000007"),
        detail(
            "note_not_applied",
            "delivery_notes",
            id="n-2",
            code="invoice_refused",
            number="DN-2026-000008",
            reason="The unit has no billing account.",
        ),
        detail(
            "edited_again",
            "ticket_messages",
            office={"body": "On my way", "visibility": "public"},
            phone={"body": "On my way, 10 min", "visibility": "team"},
        ),
    ]
    phone.route(
        "**/api/sync/push*",
        lambda route: route.fulfill(json={"conflicts": len(details), "details": details}),
    )
    open_job(page, "Leaking tap")
    page.get_by_label("Reply").fill("On my way")
    page.get_by_role("button", name="Send reply").click()
    page.get_by_role("button", name="Sync now").click()
    synced(page)

    notices = page.get_by_role("status").filter(has_text="The office changed this")
    expect(notices).to_have_count(5)
    expect(notices.nth(0)).to_contain_text(
        "Your hours reached the office after you were taken off this job. The office will "
        "check it before it counts."
    )
    expect(notices.nth(1)).to_contain_text("You deleted a material, but the office keeps")
    expect(notices.nth(2)).to_contain_text(
        "The office had already closed this job when your delivery note DN-2026-000007 "
        "arrived. The note is kept; the job stays closed."
    )
    expect(notices.nth(3)).to_contain_text(
        "Your delivery note DN-2026-000008 is kept, but the office could not act on it: "
        "the unit has no billing account."
    )
    expect(notices.nth(4)).to_contain_text("Your message reached the office twice")
    expect(notices.nth(4).get_by_role("row", name=re.compile("Message"))).to_contain_text(
        "On my way, 10 min"
    )
    expect(notices.nth(4).get_by_role("row", name=re.compile("Who sees it"))).to_contain_text(
        "Public"
    )
    status = page.get_by_role("status").filter(has_text="Last sync")
    expect(status).to_contain_text("The office kept its own version of 5 changes")
    check_axe(page, axe_source)
    assert csp_violations(page) == []


def test_a_photo_sent_with_a_message_reaches_the_office_on_that_message(world, serve, phone):
    base = serve()
    api = Api(base)
    page = new_page(phone)
    sign_in(page, base)
    synced(page)
    phone.set_offline(True)
    open_job(page, "Leaking tap")
    page.get_by_label("Reply").fill("Found this behind the panel.")
    page.get_by_label("Add a photo to this message").set_input_files(
        files=[{"name": "panel.png", "mimeType": "image/png", "buffer": make_png(80, 60)}]
    )
    expect(page.get_by_text("1 photo with this message")).to_be_visible()
    page.get_by_role("button", name="Send reply").click()
    with_message = page.get_by_role("list", name="Photos with this message")
    expect(with_message.get_by_role("img")).to_have_count(1)
    expect(with_message).to_contain_text("Waiting to upload")
    expect(page.get_by_text("No photos yet.")).to_be_visible()  # not among the job's photos
    page.reload()  # at once, offline: message and photo are on the phone
    expect(page.get_by_role("list", name="Photos with this message")).to_contain_text(
        "Waiting to upload"
    )

    phone.set_offline(False)
    page.get_by_role("button", name="Sync now").click()
    synced(page)
    expect(page.get_by_role("list", name="Photos with this message")).to_contain_text("Uploaded")
    changes = api.pull()
    [message] = [
        m
        for m in of_ticket(changes, "ticket_messages", world.ticket_id)
        if m["body"] == "Found this behind the panel."
    ]
    [photo] = of_ticket(changes, "attachments", world.ticket_id)
    assert photo["message_id"] == message["id"] and photo["uploaded"]
    assert csp_violations(page) == []
