"""The back office in Chromium: release a quarantined mail onto a ticket, revoke a
device and see its next sync refused, renew a certificate and see its reminders stop.
Every page passes axe-core and breaks no CSP rule."""

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime, time, timedelta

from server.extensions import db
from server.models import OutboxMessage
from server.services import certificate_jobs
from tests.browser.conftest import check_axe, csp_violations, sign_in
from tests.mail.mailclient import INBOUND_SECRET, fresh_mail, post_raw


def _pull(base: str, access_token: str) -> tuple[int, dict]:
    """The device's sync pull over real HTTP: (status, body)."""
    request = urllib.request.Request(
        base + "/api/sync/pull", headers={"Authorization": f"Bearer {access_token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refusal:
        return refusal.code, json.loads(refusal.read())


def _reminders(app, day) -> int:
    with app.app_context():
        certificate_jobs.run(datetime.combine(day, time(12, tzinfo=UTC)))
        db.session.commit()
        return db.session.scalar(
            db.select(db.func.count(OutboxMessage.id)).where(
                OutboxMessage.dedupe_key.like("email:certificate:%")
            )
        )


def test_release_a_quarantined_mail_onto_a_ticket(desktop, serve, app, make, people, axe_source):
    ticket = make.ticket(people.tenant, people.block, people.unit, summary="Damp hallway ceiling")
    make.triage(ticket, people.manager)
    app.config["MAIL_INBOUND_SECRET"] = INBOUND_SECRET
    mail = fresh_mail("stranger@elsewhere.test", "Water in the hallway", "Water everywhere.")
    assert post_raw(app.test_client(), bytes(mail)).get_json()["status"] == "quarantined"
    base = serve()
    page = desktop.new_page()
    sign_in(page, base, people.manager.email)
    page.goto(base + "/mail/quarantine")
    check_axe(page, axe_source)
    page.get_by_role("link", name="Water in the hallway").click()
    page.get_by_role("heading", name="Water in the hallway").wait_for()
    page.get_by_label("Find a ticket").fill("hallway")
    page.get_by_role("button", name="Search").click()
    page.get_by_label(f"{ticket.ref} Damp hallway ceiling").check()
    check_axe(page, axe_source)
    page.get_by_role("button", name="Release onto ticket").click()
    page.wait_for_url(f"{base}/tickets/{ticket.id}")
    page.goto(base + "/mail/requests")
    check_axe(page, axe_source)
    page.goto(base + "/mail/quarantine")
    page.get_by_text("No quarantined mail.").wait_for()
    assert csp_violations(page) == []


def test_revoke_a_device_and_its_next_sync_is_refused(desktop, serve, make, people, axe_source):
    tokens = make.tokens(people.contractor, "van-phone")
    base = serve()
    assert _pull(base, tokens["access_token"])[0] == 200
    page = desktop.new_page()
    sign_in(page, base, people.manager.email)
    page.goto(base + "/devices")
    check_axe(page, axe_source)
    page.get_by_role("link", name="van-phone").click()
    check_axe(page, axe_source)
    page.get_by_role("button", name="Revoke device").click()
    page.get_by_text("Device revoked").wait_for()
    check_axe(page, axe_source)
    status, body = _pull(base, tokens["access_token"])
    assert status == 401 and body["code"] == "device_revoked"
    assert csp_violations(page) == []


def test_renew_a_certificate_and_its_reminders_stop(desktop, serve, app, make, people, axe_source):
    today = datetime.now(UTC).date()
    old = make.certificate(people.block, number="GAS-OLD", expires_on=today + timedelta(days=50))
    assert _reminders(app, today) == 1  # the 60-day reminder
    base = serve()
    page = desktop.new_page()
    sign_in(page, base, people.manager.email)
    page.goto(base + "/compliance")
    page.get_by_role("link", name="Gas safety").click()
    page.get_by_text("60-day reminder").wait_for()
    check_axe(page, axe_source)
    page.get_by_label("New certificate number").fill("GAS-NEW")
    page.get_by_label("Issued on").fill(today.isoformat())
    page.get_by_label("Expires on").fill((today - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Record renewal").click()
    page.get_by_role("alert").get_by_text("A certificate expires after it is issued.").wait_for()
    check_axe(page, axe_source)
    page.get_by_label("Expires on").fill((today + timedelta(days=365)).isoformat())
    page.get_by_role("button", name="Record renewal").click()
    page.get_by_text("Renewal recorded").wait_for()
    assert page.get_by_role("heading", name="Gas safety certificate GAS-NEW").is_visible()
    check_axe(page, axe_source)
    # The old expiry's 30- and 7-day reminders never come.
    assert _reminders(app, today + timedelta(days=21)) == 1
    assert _reminders(app, today + timedelta(days=45)) == 1
    page.goto(f"{base}/certificates/{old.id}")
    page.get_by_text("No more reminders about this one.").wait_for()
    page.goto(base + "/compliance")
    page.get_by_text("Nothing here.").first.wait_for()
    assert "GAS-OLD" not in page.content()
    check_axe(page, axe_source)
    for path in (f"/properties/{people.block.id}", f"/units/{people.unit.id}", "/properties"):
        page.goto(base + path)
        check_axe(page, axe_source)
    assert csp_violations(page) == []


def test_settings_pages_pass_axe(desktop, serve, people, axe_source):
    base = serve()
    page = desktop.new_page()
    sign_in(page, base, people.admin.email)
    page.goto(base + "/settings")
    check_axe(page, axe_source)
    page.get_by_label("Title").fill("Access needed")
    page.get_by_label("Text").fill("Please let us in.")
    page.get_by_role("button", name="Save response").click()
    page.get_by_text("Canned response saved.").wait_for()
    page.get_by_role("link", name="Access needed").click()
    check_axe(page, axe_source)
    page.get_by_role("button", name="Retire response").click()
    page.get_by_text("Canned response retired").wait_for()
    assert csp_violations(page) == []
