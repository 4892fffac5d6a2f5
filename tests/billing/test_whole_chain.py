"""The whole chain, each step through the real interfaces: a handheld pushes hours,
materials, the customer's signature and the signed note through /api/sync/push ->
billing drafts the invoice -> staff issue it -> the worker delivers `invoice.issued`
to the ERP -> the ERP reports the payment, signed -> the ticket closes and the ERP
hears `ticket.closed`. The included counterpart closes on resolution alone."""

import base64
import hashlib
import json
from datetime import UTC, datetime

from tests.unit.delivery_notes.note_factories import make_png

SIGNED = datetime(2026, 3, 12, 14, 0, tzinfo=UTC)
MS = int(SIGNED.timestamp() * 1000)
TABLES = ("tickets", "ticket_messages", "time_entries", "materials", "delivery_notes",
          "attachments")  # fmt: skip


def record(ticket_id, **fields) -> dict:
    return {"ticket_id": str(ticket_id), "created_at": MS, "_status": "created", "_changed": "",
            **fields}  # fmt: skip


def push(shop, headers, changes: dict):
    body = {t: {"created": [], "updated": [], "deleted": []} for t in TABLES}
    for table, section in changes.items():
        body[table].update(section)
    response = shop.client.post(
        "/api/sync/push?last_pulled_at=1",
        data=json.dumps(body),
        headers=headers,
        content_type="text/plain",
    )
    assert response.status_code == 200, response.get_json()
    return response


def visit(shop, ticket_id, device) -> None:
    """What the handheld sends after a visit: 95 minutes, two valves, a signed note
    (signature bytes uploaded separately), and the ticket resolved."""
    png = make_png(300, 100)
    digest = hashlib.sha256(png).digest()
    signature = f"sig-{ticket_id}"
    push(
        shop,
        device,
        {
            "time_entries": {"created": [record(
                ticket_id, id=f"te-{ticket_id}", started_at=MS - 6_000_000, ended_at=MS - 300_000,
                minutes=95, chargeable=True, note="Replaced the valve")]},
            "materials": {"created": [record(
                ticket_id, id=f"mat-{ticket_id}", description="Thermostatic valve 15 mm",
                quantity="2", unit="pc", unit_price="18.50", chargeable=True)]},
            "attachments": {"created": [record(
                ticket_id, id=signature, message_id=None, filename="signature.png",
                content_type="image/png", sha256=digest.hex(), size=len(png))]},
            "delivery_notes": {"created": [record(
                ticket_id, id=f"note-{ticket_id}", signed_by="Zoë Łukasiewicz", signed_at=MS,
                signature_attachment_id=signature, work_summary="Valve replaced, no leaks.")]},
            "tickets": {"updated": [{"id": str(ticket_id), "status": "resolved"}]},
        },
    )  # fmt: skip
    upload = shop.client.put(
        f"/api/sync/attachments/{signature}",
        data=png,
        headers={
            **device,
            "Content-Type": "image/png",
            "Content-Digest": f"sha-256=:{base64.b64encode(digest).decode()}:",
        },
    )
    assert upload.status_code == 201, upload.get_json()


def test_hours_and_a_signed_note_become_a_paid_invoice_and_a_closed_ticket(shop, receiver):
    shop.endpoint(receiver.url)
    ticket_id = shop.ticket()
    device = shop.make.headers(shop.contractor, device_id="handheld-1")

    visit(shop, ticket_id, device)

    [draft] = shop.client.get(
        f"/api/invoices?ticket_id={ticket_id}", headers=shop.headers(shop.staff)
    ).get_json()
    assert draft["status"] == "draft" and draft["delivery_note_id"] == f"note-{ticket_id}"
    # 1.58 h x 52.50 = 82.95; 2 x 18.50 = 37.00; call-out 45.00; VAT 20 % of 164.95
    assert (draft["net_total"], draft["vat_total"], draft["gross_total"]) == (
        "164.95",
        "32.99",
        "197.94",
    )
    ticket = shop.ticket_json(ticket_id)
    assert ticket["status"] == "resolved"
    kinds = [e["kind"] for e in ticket["events"]]
    assert kinds.index("delivery_note_signed") < kinds.index("invoice_drafted")
    assert "sync_conflict" not in kinds
    # The contractor cannot close it: it is chargeable and unpaid.
    refused = shop.set_status(ticket_id, "closed")
    assert refused.get_json()["code"] == "ticket_awaiting_payment"

    invoice = shop.issue(draft["id"])
    shop.run_worker()

    [issued] = receiver.verified()
    assert issued["event"]["type"] == "invoice.issued"
    assert issued["event"]["data"]["number"] == invoice["number"]
    assert issued["event"]["data"]["gross_total"] == "197.94"

    paid = shop.pay(invoice["number"], "197.94", msg_id="msg_bank_1")
    assert paid.status_code == 200 and paid.get_json()["invoice_status"] == "paid"
    assert shop.pay(invoice["number"], "197.94", msg_id="msg_bank_1").get_json() == {
        "status": "duplicate"
    }
    assert shop.ticket_json(ticket_id)["status"] == "closed"
    shop.run_worker()

    events = [g["event"] for g in receiver.verified()]
    assert [e["type"] for e in events] == ["invoice.issued", "invoice.paid", "ticket.closed"]
    assert events[2]["data"] == {
        "billing": "chargeable",
        "closed_at": events[2]["data"]["closed_at"],
        "links": {"json": f"https://fieldline.example/api/tickets/{ticket_id}"},
        "status": "closed",
        "ticket_id": ticket_id,
        "ticket_ref": ticket["ref"],
    }
    verify = shop.client.get(f"/api/tickets/{ticket_id}/verify", headers=shop.headers(shop.staff))
    assert verify.get_json()["intact"] is True


def test_an_included_ticket_closes_on_resolution_without_an_invoice(shop, receiver):
    shop.endpoint(receiver.url, event_types=["ticket.closed"])
    ticket_id = shop.ticket(billing="included")
    device = shop.make.headers(shop.contractor, device_id="handheld-1")

    visit(shop, ticket_id, device)

    assert shop.ticket_json(ticket_id)["status"] == "closed"
    listed = shop.client.get(
        f"/api/invoices?ticket_id={ticket_id}", headers=shop.headers(shop.staff)
    ).get_json()
    assert listed == []
    shop.run_worker()
    assert [g["event"]["type"] for g in receiver.verified()] == ["ticket.closed"]
