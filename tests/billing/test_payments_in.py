"""ERP in: signed payment reports mark invoices paid and close tickets; anything else is
refused without changing a thing."""

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from standardwebhooks import Webhook

from billing.models import Payment, WebhookDelivery
from server.extensions import db
from tests.billing.conftest import ENDPOINT_SECRET, ERP_SECRET


def resolved_invoice(shop, minutes=60) -> dict:
    """An issued invoice of a chargeable ticket whose work is resolved."""
    ticket_id = shop.ticket()
    shop.log_time(ticket_id, minutes)
    invoice = shop.issue(shop.draft(ticket_id)["id"])
    assert shop.set_status(ticket_id, "resolved").status_code == 200
    return invoice


def payments(shop) -> int:
    with shop.app.app_context():
        return db.session.scalar(select(func.count()).select_from(Payment))


def test_full_payment_marks_the_invoice_paid_and_closes_the_ticket(shop, receiver):
    shop.endpoint(receiver.url, event_types=["invoice.paid", "ticket.closed"])
    invoice = resolved_invoice(shop)

    response = shop.pay(invoice["number"], invoice["gross_total"])

    assert response.status_code == 200
    assert response.get_json() == {
        "status": "applied",
        "invoice_number": invoice["number"],
        "invoice_status": "paid",
        "amount_paid": invoice["gross_total"],
        "outstanding": "0.00",
    }
    paid = shop.invoice(invoice["id"])
    assert paid["status"] == "paid" and paid["paid_at"].startswith("2026-04-01T10:00:00")
    ticket = shop.ticket_json(invoice["ticket_id"])
    assert ticket["status"] == "closed"
    assert "payment_received" in [e["kind"] for e in ticket["events"]]
    with shop.app.app_context():
        queued = db.session.scalars(select(WebhookDelivery.event_type)).all()
    assert sorted(queued) == ["invoice.paid", "ticket.closed"]
    shop.run_worker()
    closed = [g["event"] for g in receiver.verified() if g["event"]["type"] == "ticket.closed"]
    assert closed[0]["data"]["ticket_id"] == invoice["ticket_id"]


def test_partial_payments_accumulate_in_any_order(shop):
    invoice = resolved_invoice(shop, minutes=120)  # 105.00 + 45.00 call-out, 180.00 gross
    assert invoice["gross_total"] == "180.00"

    first = shop.pay(invoice["number"], "100.00")
    assert first.get_json()["invoice_status"] == "partially_paid"
    assert shop.ticket_json(invoice["ticket_id"])["status"] == "resolved"
    second = shop.pay(invoice["number"], "80.00")

    assert second.get_json()["invoice_status"] == "paid"
    assert shop.invoice(invoice["id"])["amount_paid"] == "180.00"
    assert shop.ticket_json(invoice["ticket_id"])["status"] == "closed"


def test_a_paid_ticket_that_is_not_resolved_yet_stays_open_but_may_then_close(shop):
    ticket_id = shop.ticket()
    shop.log_time(ticket_id, 60)
    invoice = shop.issue(shop.draft(ticket_id)["id"])

    assert shop.pay(invoice["number"], invoice["gross_total"]).status_code == 200

    assert shop.ticket_json(ticket_id)["status"] != "closed"
    assert shop.set_status(ticket_id, "closed").status_code == 200


def test_a_duplicate_webhook_id_is_acknowledged_without_paying_twice(shop):
    invoice = resolved_invoice(shop)

    first = shop.pay(invoice["number"], "10.00", msg_id="msg_once")
    again = shop.pay(invoice["number"], "10.00", msg_id="msg_once")

    assert first.status_code == again.status_code == 200
    assert again.get_json() == {"status": "duplicate"}
    assert payments(shop) == 1
    assert shop.invoice(invoice["id"])["amount_paid"] == "10.00"


def test_bad_signatures_and_stale_or_future_timestamps_are_refused(shop):
    invoice = resolved_invoice(shop)
    number, amount = invoice["number"], invoice["gross_total"]

    wrong_key = shop.pay(number, amount, secret=ENDPOINT_SECRET)
    stale = shop.pay(number, amount, at=datetime.now(UTC) - timedelta(minutes=6))
    future = shop.pay(number, amount, at=datetime.now(UTC) + timedelta(minutes=6))
    unsigned = shop.client.post("/api/erp/payments", json={"invoice_number": number})

    codes = [r.get_json()["code"] for r in (wrong_key, stale, future, unsigned)]
    assert [r.status_code for r in (wrong_key, stale, future, unsigned)] == [401] * 4
    assert codes == [
        "webhook_bad_signature",
        "webhook_stale_timestamp",
        "webhook_stale_timestamp",
        "webhook_missing_headers",
    ]
    assert payments(shop) == 0


def test_a_body_changed_after_signing_is_refused(shop):
    invoice = resolved_invoice(shop)
    body = json.dumps(
        {"invoice_number": invoice["number"], "amount": "1.00", "currency": "GBP",
         "paid_at": "2026-04-01T10:00:00+00:00"}
    )  # fmt: skip
    now = datetime.now(UTC)
    signature = Webhook(ERP_SECRET).sign("msg_x", now, body)
    response = shop.client.post(
        "/api/erp/payments",
        data=body.replace("1.00", "9.00"),
        content_type="text/plain",
        headers={
            "webhook-id": "msg_x",
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature,
        },
    )
    assert response.status_code == 401 and payments(shop) == 0


def test_refused_payments_change_nothing_and_are_visible_to_staff(shop):
    invoice = resolved_invoice(shop)
    cases = {
        "overpayment": shop.pay(invoice["number"], "1000.00"),
        "unknown_invoice": shop.pay("INV-1999-999999", "1.00"),
        "currency_mismatch": shop.pay(invoice["number"], "1.00", currency="EUR"),
    }

    for code, response in cases.items():
        assert response.status_code == 422 and response.get_json()["code"] == code
    assert payments(shop) == 0
    after = shop.invoice(invoice["id"])
    assert after["status"] == "issued" and after["amount_paid"] == "0.00"
    assert shop.ticket_json(invoice["ticket_id"])["status"] == "resolved"
    rejected = shop.client.get(
        "/api/erp/rejected-payments", headers=shop.headers(shop.staff)
    ).get_json()
    assert sorted(r["code"] for r in rejected) == sorted(cases)
    # A refused report is not marked received: sent again once fixed, it applies.
    retried = shop.pay(invoice["number"], invoice["gross_total"])
    assert retried.status_code == 200


def test_a_refused_report_sent_again_is_refused_again_not_acknowledged(shop):
    invoice = resolved_invoice(shop)
    first = shop.pay(invoice["number"], "1000.00", msg_id="msg_over")
    again = shop.pay(invoice["number"], "1000.00", msg_id="msg_over")
    assert first.status_code == again.status_code == 422


def test_payments_on_credited_invoices_and_malformed_reports_are_refused(shop):
    invoice = resolved_invoice(shop)
    shop.client.post(
        f"/api/invoices/{invoice['id']}/credit-notes",
        json={"reason": "Cancelled"},
        headers=shop.headers(shop.staff),
    )
    credited = shop.pay(invoice["number"], "1.00")
    assert credited.status_code == 422 and credited.get_json()["code"] == "invoice_not_payable"

    malformed = shop.pay(invoice["number"], "1", body=json.dumps({"amount": 12.5}))
    assert malformed.status_code == 422
    assert {"invoice_number", "amount", "currency", "paid_at"} <= set(
        malformed.get_json()["errors"]
    )
    not_json = shop.pay(invoice["number"], "1", body="{nope")
    assert not_json.status_code == 400


def test_oversized_bodies_are_refused_before_anything_else(shop):
    shop.app.config["ERP_MAX_BODY_BYTES"] = 100
    response = shop.pay("INV-2026-000001", "1.00", body=json.dumps({"pad": "x" * 200}))
    assert response.status_code == 413


def test_without_an_inbound_secret_no_payment_is_accepted(shop):
    invoice = resolved_invoice(shop)
    shop.app.config["ERP_INBOUND_SECRET"] = ""
    response = shop.pay(invoice["number"], "1.00")
    assert response.status_code == 401 and response.get_json()["code"] == "erp_not_configured"
