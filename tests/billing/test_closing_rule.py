"""The closing rule through the HTTP API (SPEC §2): a signed note resolves any ticket;
included work closes when resolved; chargeable work closes the moment it is resolved
and its invoice is paid in full, in either order, by the ERP or by staff; a credit
releases the wait without closing. Every close sends `ticket.closed`."""

import uuid

import pytest

from tests.billing.test_whole_chain import MS, push, record

RESOLUTIONS = ("note", "staff", "device")


class Chain:
    """One chargeable or included ticket of the shop, moved through the API."""

    def __init__(self, shop, billing="chargeable"):
        self.shop = shop
        self.id = shop.ticket(billing=billing)
        self.device = shop.make.headers(shop.contractor, device_id=f"dev-{uuid.uuid4().hex[:6]}")

    @property
    def status(self) -> str:
        return self.shop.ticket_json(self.id)["status"]

    def events(self, kind: str) -> list[dict]:
        return [e for e in self.shop.ticket_json(self.id)["events"] if e["kind"] == kind]

    def work(self, minutes=60) -> None:
        self.shop.log_time(self.id, minutes)

    def resolve(self, how: str) -> None:
        if how == "note":
            note = f"note-{uuid.uuid4().hex[:8]}"
            push(self.shop, self.device, {"delivery_notes": {"created": [record(
                self.id, id=note, signed_by="Zoë Łukasiewicz", signed_at=MS,
                signature_attachment_id=f"sig-{note}", work_summary="Done.")]}})  # fmt: skip
        elif how == "device":
            push(self.shop, self.device, {"tickets": {"updated": [
                {"id": str(self.id), "status": "resolved"}]}})  # fmt: skip
        else:
            response = self.shop.set_status(self.id, "resolved", self.shop.staff)
            assert response.status_code == 200, response.get_json()

    def invoice(self) -> dict:
        """The ticket's invoice, drafted (by the note, or by hand) and issued."""
        listed = self.shop.client.get(
            f"/api/invoices?ticket_id={self.id}", headers=self.shop.headers(self.shop.staff)
        ).get_json()
        drafts = [i for i in listed if i["status"] == "draft"]
        draft = drafts[0] if drafts else self.shop.draft(self.id)
        return self.shop.issue(draft["id"])

    def pay(self, invoice: dict, amount: str, by: str = "erp"):
        if by == "erp":
            return self.shop.pay(invoice["number"], amount)
        return staff_payment(self.shop, invoice["id"], amount)


def staff_payment(shop, invoice_id, amount, *, user=None, key=None, **fields):
    body = {"amount": amount, "currency": "GBP", "method": "bank_transfer",
            "paid_at": "2026-04-01T10:00:00+00:00", **fields}  # fmt: skip
    headers = shop.headers(user or shop.staff)
    if key is not None:
        headers["Idempotency-Key"] = key
    return shop.client.post(f"/api/invoices/{invoice_id}/payments", json=body, headers=headers)


def closed_events(shop) -> list[dict]:
    deliveries = shop.client.get(
        "/api/erp/deliveries?event_type=ticket.closed", headers=shop.headers(shop.staff)
    ).get_json()
    return [d["payload"]["data"] for d in deliveries]


@pytest.fixture
def erp(shop):
    """An ERP endpoint, so every event is written as a delivery we can read back."""
    shop.endpoint("http://127.0.0.1:9/hooks")
    return shop


@pytest.mark.parametrize("how", RESOLUTIONS)
@pytest.mark.parametrize("payer", ["erp", "staff"])
def test_resolved_chargeable_work_closes_the_moment_its_invoice_is_paid_in_full(erp, how, payer):
    chain = Chain(erp)
    chain.work(60)
    invoice = chain.invoice() if how != "note" else None
    chain.resolve(how)
    invoice = invoice or chain.invoice()
    assert chain.status == "resolved"
    assert erp.ticket_json(chain.id)["awaiting_payment"] is True

    assert chain.pay(invoice, "40.00", by=payer).status_code in (200, 201)
    assert chain.status == "resolved"  # partly paid: it still waits
    assert chain.pay(invoice, "63.00", by="staff" if payer == "erp" else "erp").status_code in (
        200,
        201,
    )  # 1 h x 52.50 + 45.00 call-out = 97.50, + 20 % VAT = 117.00; 103.00 paid
    assert chain.status == "resolved"
    last = chain.pay(invoice, "14.00", by=payer)
    assert last.status_code in (200, 201), last.get_json()

    ticket = erp.ticket_json(chain.id)
    assert ticket["status"] == "closed"
    assert (ticket["awaiting_payment"], ticket["paid_in_full"]) == (False, True)
    closed = chain.events("status_changed")[-1]
    assert closed["data"] == {
        "from": "resolved",
        "to": "closed",
        "reason": f"Invoice {invoice['number']} paid in full; the work was resolved.",
    }
    assert [e["ticket_id"] for e in closed_events(erp)] == [chain.id]


@pytest.mark.parametrize("how", RESOLUTIONS)
def test_chargeable_work_paid_before_it_is_resolved_closes_when_it_is_resolved(erp, how):
    chain = Chain(erp)
    chain.work(60)
    invoice = chain.invoice()
    assert chain.pay(invoice, "117.00").get_json()["invoice_status"] == "paid"
    assert chain.status not in ("resolved", "closed")
    assert erp.ticket_json(chain.id)["paid_in_full"] is True

    chain.resolve(how)

    assert chain.status == "closed"
    moves = [(e["data"]["to"], e["data"].get("reason")) for e in chain.events("status_changed")]
    assert moves[-1] == ("closed", "Resolved; its invoice is paid in full.")
    assert [e["ticket_id"] for e in closed_events(erp)] == [chain.id]


def test_a_signed_note_resolves_a_chargeable_ticket_and_says_so(erp):
    chain = Chain(erp)
    chain.work(30)
    chain.resolve("note")

    ticket = erp.ticket_json(chain.id)
    assert ticket["status"] == "resolved" and ticket["awaiting_payment"] is True
    [resolved] = chain.events("status_changed")
    assert resolved["data"]["reason"].startswith("Signed delivery note DN-")
    assert resolved["author_role"] == "contractor"
    kinds = [e["kind"] for e in erp.ticket_json(chain.id)["events"]]
    assert kinds.index("invoice_drafted") < kinds.index("status_changed")
    assert closed_events(erp) == []


@pytest.mark.parametrize("how", RESOLUTIONS)
def test_included_work_closes_when_resolved_with_or_without_a_note(erp, how):
    chain = Chain(erp, billing="included")
    chain.resolve(how)
    assert chain.status == "closed"
    assert [e["ticket_id"] for e in closed_events(erp)] == [chain.id]


def test_an_overpayment_is_refused_and_the_ticket_keeps_waiting(erp):
    chain = Chain(erp)
    chain.work(60)
    invoice = chain.invoice()
    chain.resolve("staff")

    by_erp = chain.pay(invoice, "117.01")
    by_staff = staff_payment(erp, invoice["id"], "117.01")

    assert (by_erp.status_code, by_erp.get_json()["code"]) == (422, "overpayment")
    assert (by_staff.status_code, by_staff.get_json()["code"]) == (422, "overpayment")
    assert erp.invoice(invoice["id"])["amount_paid"] == "0.00"
    assert chain.status == "resolved"
    assert closed_events(erp) == []


def test_a_partial_payment_alone_never_closes_and_closing_by_hand_is_refused(erp):
    chain = Chain(erp)
    chain.work(60)
    invoice = chain.invoice()
    chain.resolve("note")
    assert chain.pay(invoice, "100.00", by="staff").status_code == 201

    refused = erp.set_status(chain.id, "closed", erp.staff)

    assert (refused.status_code, refused.get_json()["code"]) == (409, "ticket_awaiting_payment")
    assert erp.invoice(invoice["id"])["status"] == "partially_paid"
    assert erp.invoice(invoice["id"])["outstanding"] == "17.00"
    assert chain.status == "resolved"


def test_a_credited_invoice_releases_the_wait_without_closing_then_staff_close(erp):
    chain = Chain(erp)
    chain.work(60)
    invoice = chain.invoice()
    chain.resolve("staff")
    credited = erp.client.post(
        f"/api/invoices/{invoice['id']}/credit-notes",
        json={"reason": "Wrong flat"},
        headers=erp.headers(erp.staff),
    )
    assert credited.status_code == 201

    ticket = erp.ticket_json(chain.id)
    assert ticket["status"] == "resolved"
    assert (ticket["awaiting_payment"], ticket["paid_in_full"]) == (False, False)
    refused = chain.pay(invoice, "117.00")
    assert refused.get_json()["code"] == "invoice_not_payable"
    assert erp.set_status(chain.id, "closed", erp.staff).status_code == 200
    assert [e["ticket_id"] for e in closed_events(erp)] == [chain.id]


def test_a_credited_invoice_can_be_invoiced_again_and_the_new_one_closes_the_ticket(erp):
    chain = Chain(erp)
    chain.work(60)
    first = chain.invoice()
    chain.resolve("note")
    erp.client.post(
        f"/api/invoices/{first['id']}/credit-notes",
        json={"reason": "Wrong rate"},
        headers=erp.headers(erp.staff),
    )
    again = chain.invoice()
    assert again["gross_total"] == "117.00" and again["id"] != first["id"]
    assert erp.ticket_json(chain.id)["awaiting_payment"] is True

    chain.pay(again, "117.00", by="staff")

    assert chain.status == "closed"


def test_reopening_a_ticket_that_waits_for_payment_keeps_its_invoice(erp):
    chain = Chain(erp)
    chain.work(60)
    chain.resolve("note")
    invoice = chain.invoice()
    reopened = erp.set_status(chain.id, "open", erp.tenant)
    assert reopened.status_code == 200

    assert erp.invoice(invoice["id"])["status"] == "issued"
    assert erp.ticket_json(chain.id)["awaiting_payment"] is True
    chain.pay(invoice, "117.00")
    assert chain.status == "open"  # paid, but the work is not done: it stays open
    chain.resolve("staff")
    assert chain.status == "closed"


def test_the_manager_is_told_when_a_ticket_closes_on_payment(erp):
    chain = Chain(erp)
    chain.work(60)
    chain.resolve("note")
    invoice = chain.invoice()

    chain.pay(invoice, "117.00")

    feed = erp.client.get("/api/notifications", headers=erp.headers(erp.staff)).get_json()
    items = feed["items"] if isinstance(feed, dict) else feed
    closing = [n for n in items if n["ticket_id"] == chain.id and "closed" in n["title"].lower()]
    assert closing, items
    assert invoice["number"] in closing[0]["body"]


def test_included_work_with_a_grace_period_is_closed_by_the_worker(erp):
    erp.app.config["INCLUDED_CLOSE_GRACE_SECONDS"] = 3600
    chain = Chain(erp, billing="included")
    chain.resolve("note")
    assert chain.status == "resolved"
    erp.run_worker()
    assert chain.status == "resolved"
    erp.run_worker(days_ahead=1 / 12)
    assert chain.status == "closed"


def test_a_chargeable_ticket_with_nothing_to_invoice_stays_resolved_for_staff_to_close(erp):
    chain = Chain(erp)
    chain.resolve("note")  # no chargeable work: no draft

    assert chain.status == "resolved"
    assert chain.events("invoice_not_drafted")
    erp.run_worker()
    assert chain.status == "resolved"  # nothing was paid, so nothing closes it by itself
    assert erp.set_status(chain.id, "closed", erp.staff).status_code == 200
