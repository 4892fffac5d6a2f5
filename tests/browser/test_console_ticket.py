"""The ticket page in Chromium (issue #21): a manager triages a new tenant report from
the dashboard, replies publicly with a canned response, adds a staff-only note and
assigns a contractor; the tenant's API shows the reply and not the note; a contractor's
device push appears on the open page by its 20-second poll. Triage works by keyboard
alone; axe-core finds nothing serious; no CSP violation."""

import json
import time
import uuid

import requests

from server.extensions import db
from server.services import settings
from tests.browser.conftest import check_axe, csp_violations, sign_in
from tests.factories import PASSWORD, as_caller

CANNED = "Thank you for reporting this. An engineer will contact you to book a visit."


def token(base: str, email: str, device_id: str | None = None) -> str:
    body = {"email": email, "password": PASSWORD}
    if device_id:
        body |= {"device_id": device_id, "device_name": "Carl's phone"}
    answer = requests.post(f"{base}/api/auth/token", json=body, timeout=10)
    answer.raise_for_status()
    return answer.json()["access_token"]


def push_message(base: str, email: str, ticket_id: int, body: str) -> None:
    """What the field app sends when the contractor writes a team note on the device."""
    now = int(time.time() * 1000)
    record = {
        "id": str(uuid.uuid4()),
        "ticket_id": str(ticket_id),
        "body": body,
        "visibility": "team",
        "author_id": "",
        "created_at": now,
        "_status": "created",
        "_changed": "",
    }
    changes = {"ticket_messages": {"created": [record], "updated": [], "deleted": []}}
    answer = requests.post(
        f"{base}/api/sync/push?last_pulled_at={now}",
        data=json.dumps(changes),
        headers={
            "Authorization": f"Bearer {token(base, email, 'carls-phone')}",
            "Content-Type": "text/plain",
        },
        timeout=20,
    )
    assert answer.status_code == 200, answer.text


def keyboard_focus(page, element_id: str, limit: int = 80) -> None:
    """Tab through the page until `element_id` has the focus (keyboard only)."""
    for _ in range(limit):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} is not reachable with Tab")


def test_a_manager_handles_a_new_report_on_the_ticket_page(
    app, desktop, serve, make, people, axe_source
):
    report = make.ticket(people.tenant, people.block, people.unit, summary="Boiler makes a bang")
    with app.app_context():
        settings.create_canned_response(
            as_caller(people.admin), title="Visit will be booked", body=CANNED
        )
        db.session.commit()
    base = serve()
    page = desktop.new_page()
    sign_in(page, base, people.manager.email)
    untriaged = page.get_by_role("region", name="New reports to triage")
    untriaged.get_by_role("link", name="Boiler makes a bang").click()
    page.get_by_role("heading", name="Boiler makes a bang").wait_for()
    assert page.url == f"{base}/tickets/{report.id}"
    page.get_by_text("Set type and priority before anything else").wait_for()
    check_axe(page, axe_source)

    # Triage by keyboard alone: Tab to each field, type to choose, Enter to send.
    keyboard_focus(page, "f-triage-type")
    page.keyboard.type("Repair")
    page.keyboard.press("Tab")
    page.keyboard.type("High")
    keyboard_focus(page, "")  # past the deadline field to the button
    assert page.evaluate("document.activeElement.textContent") == "Save triage"
    page.keyboard.press("Enter")
    page.get_by_text("Triaged: repair, high priority.").wait_for()
    assert page.get_by_text("triaged the report: type repair, priority high").is_visible()

    # A public reply from a canned response, edited before sending.
    page.get_by_label("Insert a canned response").select_option(label="Visit will be booked")
    box = page.get_by_label("Message")
    assert box.input_value() == CANNED
    box.press("End")
    box.type(" Thursday suits us.")
    assert page.get_by_label("Public – the tenant and contractors see it").is_checked()
    page.get_by_role("button", name="Send").click()
    page.get_by_text("Reply sent.").wait_for()

    # A staff-only note: the badge and tint say so.
    page.get_by_label("Staff only – never shown to tenants or contractors").check()
    page.get_by_label("Message").fill("Tenant is in rent arrears; do not promise extras.")
    page.get_by_role("button", name="Send").click()
    page.get_by_text("Staff-only note added.").wait_for()
    note = page.locator(".entry--staff-only", has_text="rent arrears")
    assert "Staff only" in note.text_content()

    # Assign the contractor from the picker.
    page.get_by_label("Assign a contractor").select_option(
        label="Carl Plumber – no trade set · 0 active jobs"
    )
    page.get_by_role("button", name="Assign", exact=True).click()
    page.get_by_text("Carl Plumber is assigned.").wait_for()
    check_axe(page, axe_source)

    # The tenant, through the API: the reply is there, the note is not.
    tenant = {"Authorization": f"Bearer {token(base, people.tenant.email)}"}
    answer = requests.get(f"{base}/api/tickets/{report.id}/messages", headers=tenant, timeout=10)
    bodies = [m["body"] for m in answer.json()["items"]]
    assert bodies == [CANNED + " Thursday suits us."]
    detail = requests.get(f"{base}/api/tickets/{report.id}", headers=tenant, timeout=10).text
    assert "rent arrears" not in detail

    # The contractor's device pushes a note; the open page shows it by its poll.
    push_message(base, people.contractor.email, report.id, "On site, the flue is blocked.")
    pushed = page.locator("#timeline .entry--contractor", has_text="the flue is blocked")
    pushed.wait_for(timeout=30000)  # polled every 20 s, no reload
    words = pushed.text_content()
    assert "Team" in words and "Contractor" in words and "Carl Plumber" in words
    page.get_by_role("link", name="Refresh").click()  # and on demand
    pushed.wait_for()
    check_axe(page, axe_source)
    assert csp_violations(page) == []
