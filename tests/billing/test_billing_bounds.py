"""Bounds agree end to end: whatever one pushed record may say, its column stores and
billing prices as one line; a ticket whose work adds up beyond what an invoice holds is
refused cleanly (409 to staff, a warning event in a push) and a push never fails
because of billing."""

import json
from decimal import Decimal

import pytest
from sqlalchemy import Numeric

from billing import money
from billing.models import Invoice, InvoiceLine, LabourCategory
from server.models import Material, TimeEntry
from server.models import work as work_model
from sync import schemas
from tests.billing.test_whole_chain import MS, TABLES, record

TOP_QUANTITY = str(work_model.QUANTITY_LIMIT)
TOP_PRICE = str(work_model.UNIT_PRICE_LIMIT)


def push(shop, headers, changes: dict):
    body = {t: {"created": [], "updated": [], "deleted": []} for t in TABLES}
    for table, section in changes.items():
        body[table].update(section)
    return shop.client.post(
        "/api/sync/push?last_pulled_at=1",
        data=json.dumps(body),
        headers=headers,
        content_type="text/plain",
    )


def materials(ticket_id, count, quantity=TOP_QUANTITY, price=TOP_PRICE, prefix="m"):
    return [
        record(
            ticket_id,
            id=f"{prefix}-{ticket_id}-{n}",
            description="Gold-plated valve",
            quantity=quantity,
            unit="pc",
            unit_price=price,
            chargeable=True,
        )
        for n in range(count)
    ]


def signed_note(ticket_id, id=None):
    return record(
        ticket_id,
        id=id or f"note-{ticket_id}",
        signed_by="Zoë Łukasiewicz",
        signed_at=MS,
        signature_attachment_id=f"sig-{ticket_id}",
        work_summary="Done.",
    )


def events(shop, ticket_id, kind):
    return [e for e in shop.ticket_json(ticket_id)["events"] if e["kind"] == kind]


def invoices(shop, ticket_id):
    response = shop.client.get(
        f"/api/invoices?ticket_id={ticket_id}", headers=shop.headers(shop.staff)
    )
    return response.get_json()


def _limit(column) -> Decimal:
    """The largest magnitude a NUMERIC(p, s) column stores."""
    kind = column.type
    assert isinstance(kind, Numeric)
    return Decimal(10) ** (kind.precision - kind.scale) - Decimal(1).scaleb(-kind.scale)


def test_the_sync_schemas_limits_are_what_the_columns_store():
    quantity = schemas.DECIMALS["quantity"]
    price = schemas.DECIMALS["unit_price"]
    assert quantity[1] == work_model.QUANTITY_LIMIT <= _limit(Material.__table__.c.quantity)
    assert -quantity[0] == work_model.QUANTITY_LIMIT
    assert quantity[2] == Material.__table__.c.quantity.type.scale
    assert price[1] == work_model.UNIT_PRICE_LIMIT <= _limit(Material.__table__.c.unit_price)
    assert price[2] == Material.__table__.c.unit_price.type.scale
    minutes = schemas.TimeEntryPush.__annotations__["minutes"].__metadata__[0]
    assert minutes.le == work_model.MINUTES_LIMIT == -minutes.ge
    assert TimeEntry.__table__.c.minutes.type.python_type is int


def test_billings_limits_are_what_the_invoice_columns_store():
    lines = InvoiceLine.__table__.c
    assert money.MAX_AMOUNT == _limit(Invoice.__table__.c.gross_total) == _limit(lines.net)
    assert money.MAX_QUANTITY == _limit(lines.quantity)
    assert money.MAX_UNIT_PRICE == _limit(lines.unit_price)
    assert money.MAX_RATE == _limit(LabourCategory.__table__.c.hourly_rate)


def test_one_record_at_the_schemas_limits_is_one_billable_line_even_at_100_percent_vat():
    quantity, price = work_model.QUANTITY_LIMIT, work_model.UNIT_PRICE_LIMIT
    hours = money.labour_quantity_hours(work_model.MINUTES_LIMIT)
    for line in (
        money.LineInput("m", quantity, price, Decimal(100), "material", "C62"),
        money.LineInput("m", -quantity, price, Decimal(100), "material", "C62"),
        money.LineInput("l", hours, money.MAX_RATE, Decimal(100), "labour", "HUR"),
    ):
        _, totals = money.compute_invoice([line], "GBP")
        assert abs(totals.gross_total) <= money.MAX_AMOUNT


def test_an_invoice_beyond_the_bound_is_its_own_error():
    line = money.LineInput("m", Decimal(10**9), Decimal(10**5), Decimal(20), "material", "C62")
    with pytest.raises(money.AmountTooLarge):
        money.compute_invoice([line] * 10, "GBP")


def test_values_beyond_the_schemas_limits_are_a_422_naming_the_field(shop):
    ticket_id = shop.ticket()
    device = shop.make.headers(shop.contractor, device_id="handheld-1")
    too_dear = materials(ticket_id, 1, price=str(work_model.UNIT_PRICE_LIMIT + 1))
    too_many = materials(ticket_id, 1, quantity=str(work_model.QUANTITY_LIMIT + 1), prefix="q")

    for hostile in (too_dear, too_many):
        response = push(shop, device, {"materials": {"created": hostile}})
        assert response.status_code == 422
        assert "materials" in response.get_json()["errors"]
    assert events(shop, ticket_id, "material_used") == []


def test_a_note_over_work_at_the_schemas_limits_drafts_its_invoice(shop):
    ticket_id = shop.ticket()
    device = shop.make.headers(shop.contractor, device_id="handheld-1")
    hours = [record(ticket_id, id=f"te-{ticket_id}", minutes=work_model.MINUTES_LIMIT,
                    started_at=MS - 1000, ended_at=MS - 500, chargeable=True)]  # fmt: skip

    response = push(
        shop,
        device,
        {
            "materials": {"created": materials(ticket_id, 1)},
            "time_entries": {"created": hours},
            "delivery_notes": {"created": [signed_note(ticket_id)]},
        },
    )

    assert response.status_code == 200, response.get_json()
    [invoice] = invoices(shop, ticket_id)
    # 1,000,000 x 100,000.00 + 166.67 h x 52.50 (8,750.175, rounded) + call-out 45.00
    assert invoice["net_total"] == "100000008795.18"
    assert invoice["gross_total"] == "120000010554.22"


def test_a_push_whose_work_is_too_much_for_one_invoice_is_kept_and_staff_are_told(shop):
    """The hostile case: the schema's largest material, many times, then a note. The
    push commits every time (no 500 on retry); the draft is refused, not the push."""
    ticket_id = shop.ticket()
    device = shop.make.headers(shop.contractor, device_id="handheld-1")
    changes = {
        "materials": {"created": materials(ticket_id, 20)},
        "delivery_notes": {"created": [signed_note(ticket_id)]},
    }

    first = push(shop, device, changes)
    retry = push(shop, device, changes)

    assert first.status_code == 200, first.get_json()
    assert retry.status_code == 200, retry.get_json()
    assert invoices(shop, ticket_id) == []
    [warning] = events(shop, ticket_id, "invoice_not_drafted")
    assert warning["visibility"] == "staff"
    assert warning["data"]["code"] == "invoice_too_large"
    assert len(events(shop, ticket_id, "delivery_note_signed")) == 1
    [used] = events(shop, ticket_id, "material_used")
    assert len(used["data"]["entries"]) == 20
    verify = shop.client.get(f"/api/tickets/{ticket_id}/verify", headers=shop.headers(shop.staff))
    assert verify.get_json()["intact"] is True


def test_staff_drafting_work_too_large_for_one_invoice_is_a_409_problem(shop):
    ticket_id = shop.ticket()
    device = shop.make.headers(shop.contractor, device_id="handheld-1")
    pushed = push(shop, device, {"materials": {"created": materials(ticket_id, 20)}})
    assert pushed.status_code == 200

    response = shop.client.post(
        "/api/invoices", json={"ticket_id": ticket_id}, headers=shop.headers(shop.staff)
    )

    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "invoice_too_large"
    assert invoices(shop, ticket_id) == []


def test_a_billing_fault_of_any_kind_never_fails_the_push(shop, monkeypatch):
    from billing import service

    def broken(*args, **kwargs):
        raise ArithmeticError("a bug in billing")

    monkeypatch.setattr(service, "create_draft_invoice", broken)
    ticket_id = shop.ticket()
    device = shop.make.headers(shop.contractor, device_id="handheld-1")

    response = push(
        shop,
        device,
        {
            "materials": {"created": materials(ticket_id, 1, quantity="1", price="10")},
            "delivery_notes": {"created": [signed_note(ticket_id)]},
        },
    )

    assert response.status_code == 200, response.get_json()
    [warning] = events(shop, ticket_id, "invoice_not_drafted")
    assert warning["data"]["code"] == "billing_failed"
    assert events(shop, ticket_id, "delivery_note_signed")


def test_an_hourly_rate_the_column_cannot_store_is_a_422(shop):
    response = shop.client.post(
        "/api/billing/labour-categories",
        json={"name": "Too dear", "hourly_rate": "123456789012"},
        headers=shop.headers(shop.admin),
    )
    assert response.status_code == 422
