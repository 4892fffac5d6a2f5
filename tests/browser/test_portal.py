"""The tenant portal in Chromium on a phone, against a live server: a tenant reports a
problem with a photo (a refused file first: clear message, nothing stored), the
manager's API view has it, the manager replies publicly and adds a staff note, the
tenant sees the reply (on the ticket and in the feed) and never the note, replies,
closes and reopens; a tenant of another unit gets the 404 page for the ticket and its
photo. axe-core runs on every portal page and no page breaks the CSP."""

import io
import re

from PIL import Image

from tests.browser.conftest import Api, check_axe, csp_violations, sign_in

PUBLIC_REPLY = "Carl from Plumb Perfect will come on Tuesday morning."
STAFF_NOTE = "Staff only: check the warranty before paying for parts."


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 90), (30, 120, 200)).save(out, "PNG")
    return out.getvalue()


def test_a_tenant_reports_follows_and_answers_a_problem_on_a_phone(
    phone, serve, make, people, axe_source
):
    neighbour = make.tenant_in(make.unit(make.block()))
    base = serve()
    api = Api(base)
    page = phone.new_page()
    page.goto(base + "/")
    page.get_by_role("link", name="Forgotten your username or password?").click()
    page.get_by_role("heading", name="Forgotten your username or password?").wait_for()
    check_axe(page, axe_source)

    sign_in(page, base, people.tenant.email)
    assert page.url == base + "/portal"
    page.get_by_role("heading", name="Where you live").wait_for()
    check_axe(page, axe_source)

    page.get_by_role("navigation", name="Portal").get_by_role(
        "link", name="Report a problem"
    ).click()
    page.get_by_role("heading", name="Report a problem").wait_for()
    check_axe(page, axe_source)
    assert page.get_by_label(people.unit.name, exact=False).is_checked()  # my one home
    assert page.get_by_label("Email me when my tickets are updated").is_checked()
    page.get_by_label("What is the problem?").fill("Kitchen tap drips")
    page.get_by_label("Tell us more").fill("Day and night since Monday; the cupboard is wet.")
    page.get_by_label("Photos").set_input_files(
        [{"name": "tap.jpg", "mimeType": "image/jpeg", "buffer": b"<!doctype html><p>hi"}]
    )
    page.get_by_role("button", name="Send report").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert "“tap.jpg” is not a photo we can take" in page.get_by_role("alert").inner_text()
    check_axe(page, axe_source)
    assert api.get("/api/tickets", people.manager.email).json()["items"] == []

    page.get_by_label("Photos").set_input_files(
        [{"name": "tap.png", "mimeType": "image/png", "buffer": _png()}]
    )
    page.get_by_role("button", name="Send report").click()
    page.get_by_role("heading", name="Problem reported").wait_for()
    ref = page.locator(".panel__ref").inner_text()
    assert re.fullmatch(r"T-\d{6}", ref)
    check_axe(page, axe_source)

    listed = api.get("/api/tickets", people.manager.email).json()["items"]
    assert [(t["ref"], t["type"], t["priority"]) for t in listed] == [
        (ref, "new_enquiry", "unassigned")
    ]
    ticket_id = listed[0]["id"]
    files = api.get(f"/api/tickets/{ticket_id}/attachments", people.manager.email).json()
    assert [f["content_type"] for f in files] == ["image/png"]
    manager = people.manager.email
    triage = {"type": "repair", "priority": "normal"}
    assert api.post(f"/api/tickets/{ticket_id}/triage", manager, json=triage).ok
    for body, visibility in ((PUBLIC_REPLY, "public"), (STAFF_NOTE, "staff")):
        answer = api.post(
            f"/api/tickets/{ticket_id}/messages",
            manager,
            json={"body": body, "visibility": visibility},
        )
        assert answer.status_code == 201, answer.text

    page.get_by_role("link", name="Follow this ticket").click()
    page.get_by_text(PUBLIC_REPLY).wait_for()
    assert page.get_by_text("Waiting for you").first.is_visible()
    assert STAFF_NOTE not in page.content()
    photo = page.get_by_role("img", name=re.compile("Photo 1"))
    # The photo is lazy-loaded: bring it on screen, then wait for it to decode.
    photo.scroll_into_view_if_needed()
    assert photo.evaluate("img => img.decode().then(() => img.naturalWidth)") == 120
    photo_url = photo.get_attribute("src")
    check_axe(page, axe_source)

    page.get_by_label("Your message").fill("Tuesday morning is fine, thank you.")
    page.get_by_role("button", name="Send reply").click()
    page.get_by_text("Your reply has been sent.").wait_for()
    assert page.get_by_text("Tuesday morning is fine, thank you.").is_visible()
    page.get_by_role("button", name="Close the ticket: it is no longer needed").click()
    page.get_by_text("You have closed this ticket.").wait_for()
    page.get_by_role("button", name="Reopen the ticket").click()
    page.get_by_text("You have reopened this ticket").wait_for()
    check_axe(page, axe_source)
    statuses = api.get(f"/api/tickets/{ticket_id}", manager).json()
    assert statuses["status"] == "open"

    page.get_by_role("navigation", name="Portal").get_by_role("link", name="My tickets").click()
    page.get_by_role("link", name="Kitchen tap drips").wait_for()
    check_axe(page, axe_source)
    page.get_by_role("link", name=re.compile("Updates and emails")).click()
    page.get_by_text(PUBLIC_REPLY).wait_for()  # the reply in the feed; the note never
    assert STAFF_NOTE not in page.content()
    check_axe(page, axe_source)
    page.get_by_role("link", name=people.tenant.name).click()
    page.get_by_role("heading", name="Change your password").wait_for()
    check_axe(page, axe_source)
    assert csp_violations(page) == []
    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You have signed out.").wait_for()

    sign_in(page, base, neighbour.email)
    for url in (f"/portal/tickets/{ticket_id}", photo_url):
        answer = page.goto(base + url)
        assert answer.status == 404
        page.get_by_role("heading", name="Page not found").wait_for()
    check_axe(page, axe_source)
    assert csp_violations(page) == []
