"""The back office in Chromium: a manager issues a draft, records a partial and then a
full payment and sees the resolved ticket close; replays a failed ERP delivery to a
receiver on 127.0.0.1; every page passes axe-core and breaks no CSP rule."""

import json
import re

from billing.models import WebhookDelivery
from server import worker
from server.extensions import db
from server.models import Ticket
from tests.billing.conftest import receiver  # noqa: F401  (an ERP on 127.0.0.1)
from tests.browser.conftest import check_axe, csp_violations, sign_in
from tests.web.billing_world import (  # noqa: F401  (billing_app: the `app` fixture)
    BILLING_CONFIG,
    billing_app,
    draft_invoice,
    give_rate,
)
from tests.web.test_console_erp import make_endpoint


def _ticket_status(app, ticket_id) -> str:
    with app.app_context():
        status = db.session.get(Ticket, ticket_id).status
        db.session.remove()
        return status


def test_issue_pay_in_two_parts_and_the_ticket_closes(
    desktop, serve, make, people, axe_source, app, monkeypatch
):
    for name, value in BILLING_CONFIG.items():
        monkeypatch.setenv(name, "1" if value is True else value)
    give_rate(app, people.contractor)
    invoice_id, ticket_id = draft_invoice(app, make, people, status="resolved")
    base = serve()
    page = desktop.new_page()
    sign_in(page, base, people.manager.email)
    page.goto(base + "/billing/invoices")
    page.get_by_role("heading", name="Invoices").wait_for()
    check_axe(page, axe_source)
    page.get_by_role("link", name=f"Draft {invoice_id}").click()
    page.get_by_role("heading", name="Lines").wait_for()
    check_axe(page, axe_source)
    page.get_by_role("button", name="Issue invoice").click()
    notice = page.get_by_role("status").filter(has_text="issued")
    number = re.search(r"INV-\d{4}-\d{6}", notice.inner_text()).group(0)
    check_axe(page, axe_source)

    page.get_by_label("Amount (GBP)").fill("20.00")
    page.get_by_role("button", name="Record payment").click()
    page.get_by_text("Payment of 20.00 recorded; 40.00 is outstanding.").wait_for()
    assert _ticket_status(app, ticket_id) == "resolved"
    page.get_by_label("Amount (GBP)").fill("40.00")
    page.get_by_role("button", name="Record payment").click()
    page.get_by_text("Payment of 40.00 recorded; 0.00 is outstanding.").wait_for()
    assert page.get_by_text("Paid", exact=True).first.is_visible()
    assert page.get_by_text("Closed", exact=True).first.is_visible()  # the ticket's pill
    assert _ticket_status(app, ticket_id) == "closed"
    check_axe(page, axe_source)

    for path, heading in [
        ("/billing/aged-debt", "Aged debt"),
        ("/billing/rates", "Labour categories and rates"),
        ("/billing/customers", "Customers"),
        ("/exports", "Exports"),
        ("/erp/rejected-payments", "Rejected payment reports"),
    ]:
        page.goto(base + path)
        page.get_by_role("heading", name=heading, exact=True).wait_for()
        check_axe(page, axe_source)
    page.goto(base + "/billing/invoices?status=paid")
    assert page.get_by_role("link", name=number).is_visible()
    assert csp_violations(page) == []


def test_replay_a_failed_delivery_to_a_local_receiver(
    desktop,
    serve,
    make,
    people,
    axe_source,
    app,
    receiver,  # noqa: F811
):
    endpoint_id = make_endpoint(app, people.admin, url=receiver.url, description="Local ERP")
    with app.app_context():
        db.session.add(
            WebhookDelivery(
                endpoint_id=endpoint_id,
                event_type="invoice.paid",
                webhook_id="msg_replayed_once",
                payload=json.dumps({"type": "invoice.paid", "data": {}}),
                status="dead",
                attempts=10,
                replays=0,
                last_status_code=503,
                last_error="HTTP 503 Service Unavailable",
            )
        )
        db.session.commit()
    base = serve()
    page = desktop.new_page()
    sign_in(page, base, people.manager.email)
    page.goto(base + f"/erp/deliveries?endpoint_id={endpoint_id}")
    page.get_by_text("HTTP 503 Service Unavailable").wait_for()
    check_axe(page, axe_source)
    page.get_by_role("button", name="Replay invoice.paid msg_replayed_once").click()
    page.get_by_text("The event is queued to be sent again").wait_for()
    worker.run_once(app)
    assert [r["headers"]["webhook-id"] for r in receiver.requests] == ["msg_replayed_once"]
    page.reload()
    shown = page.get_by_role("row").filter(has_text="msg_replayed_once").inner_text()
    assert "Delivered" in shown and "replayed 1×" in shown
    check_axe(page, axe_source)

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, base, people.admin.email)
    page.goto(base + "/erp/endpoints")
    page.get_by_role("heading", name="ERP endpoints").wait_for()
    check_axe(page, axe_source)
    page.get_by_role("link", name="Local ERP").click()
    page.get_by_role("button", name="Send a test event").click()
    page.get_by_text("A test event is queued").wait_for()
    check_axe(page, axe_source)
    worker.run_once(app)
    assert len(receiver.requests) == 2
    assert csp_violations(page) == []
