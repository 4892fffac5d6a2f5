"""Invoices through the API: drafts from hours and materials, issuing, numbering, access,
credit notes, and the closing rule while an invoice is unpaid."""

from datetime import date

import pytest


def year() -> int:
    return date.today().year


def test_a_draft_bills_chargeable_hours_at_the_category_rate_and_materials_with_exact_totals(
    shop,
):
    ticket_id = shop.ticket()
    shop.log_time(ticket_id, 95)  # 1.58 h
    shop.log_time(ticket_id, 30, chargeable=False)
    shop.use_material(ticket_id, "Thermostatic valve 15 mm", "2", "18.50")
    shop.use_material(ticket_id, "Copper pipe", "1.5", "3.35", unit="m")

    invoice = shop.draft(ticket_id)

    assert invoice["status"] == "draft" and invoice["number"] is None
    assert [(line["kind"], line["quantity"], line["unit_price"], line["net"]) for line in
            invoice["lines"]] == [
        ("labour", "1.58", "52.50", "82.95"),
        ("material", "2", "18.50", "37.00"),
        ("material", "1.5", "3.35", "5.03"),
        ("callout", "1", "45.00", "45.00"),
    ]  # fmt: skip
    assert invoice["lines"][0]["description"] == "Labour 2026-03-12, Şükrü Ñúñez (Plumber)"
    assert invoice["lines"][0]["unit_code"] == "HUR"
    assert invoice["lines"][2]["unit_code"] == "MTR"
    assert (invoice["net_total"], invoice["vat_total"], invoice["gross_total"]) == (
        "169.98",
        "34.00",
        "203.98",
    )
    assert invoice["currency"] == "GBP" and invoice["warnings"] == []
    events = [e["kind"] for e in shop.ticket_json(ticket_id)["events"]]
    assert "invoice_drafted" in events


def test_a_chargeable_ticket_with_an_unpaid_invoice_cannot_be_closed(shop):
    ticket_id = shop.ticket()
    shop.log_time(ticket_id, 60)
    shop.draft(ticket_id)

    assert shop.set_status(ticket_id, "resolved").status_code == 200
    refused = shop.set_status(ticket_id, "closed")

    assert refused.status_code == 409
    assert refused.get_json()["code"] == "ticket_awaiting_payment"


def test_missing_rates_and_prices_become_zero_lines_with_warnings(shop, make):
    stranger = make.user("contractor", name="No Category")
    ticket_id = shop.ticket(contractor=stranger)
    shop.log_time(ticket_id, 60, contractor=stranger)
    shop.use_material(ticket_id, "Mystery part", "1", None)

    invoice = shop.draft(ticket_id)

    assert [line["net"] for line in invoice["lines"]] == ["0.00", "0.00", "45.00"]
    assert len(invoice["warnings"]) == 2
    assert "No Category" in invoice["warnings"][0]
    assert "labour is billed at 0.00 an hour" in invoice["warnings"][0]
    assert "Mystery part" in invoice["warnings"][1] and "no price" in invoice["warnings"][1]


def test_the_default_hourly_rate_applies_to_contractors_without_a_category(shop, make):
    shop.app.config["DEFAULT_HOURLY_RATE"] = "40"
    stranger = make.user("contractor", name="No Category")
    ticket_id = shop.ticket(contractor=stranger)
    shop.log_time(ticket_id, 90, contractor=stranger)

    invoice = shop.draft(ticket_id)

    assert invoice["lines"][0]["net"] == "60.00" and invoice["warnings"] == []


def test_issuing_gives_gapless_numbers_per_year_and_drafts_get_none(shop):
    first = shop.issued_invoice()
    ticket_id = shop.ticket()
    shop.log_time(ticket_id, 30)
    draft = shop.draft(ticket_id)
    second = shop.issued_invoice()
    third = shop.issue(draft["id"])

    assert [first["number"], second["number"], third["number"]] == [
        f"INV-{year()}-000001",
        f"INV-{year()}-000002",
        f"INV-{year()}-000003",
    ]
    assert third["status"] == "issued" and third["issue_date"] == date.today().isoformat()
    assert third["due_date"] is not None


def test_an_issued_invoice_cannot_be_issued_again_or_discarded(shop):
    invoice = shop.issued_invoice()
    headers = shop.headers(shop.staff)

    again = shop.client.post(f"/api/invoices/{invoice['id']}/issue", headers=headers)
    discard = shop.client.delete(f"/api/invoices/{invoice['id']}", headers=headers)

    assert again.status_code == 409 and again.get_json()["code"] == "invoice_not_draft"
    assert discard.status_code == 409


def test_work_is_invoiced_once_and_a_discarded_draft_gives_it_back(shop):
    ticket_id = shop.ticket()
    shop.log_time(ticket_id, 60)
    draft = shop.draft(ticket_id)
    headers = shop.headers(shop.staff)

    twice = shop.client.post("/api/invoices", json={"ticket_id": ticket_id}, headers=headers)
    assert twice.status_code == 409 and twice.get_json()["code"] == "nothing_to_invoice"

    assert shop.client.delete(f"/api/invoices/{draft['id']}", headers=headers).status_code == 204
    assert shop.client.get(f"/api/invoices/{draft['id']}", headers=headers).status_code == 404
    assert shop.draft(ticket_id)["gross_total"] == draft["gross_total"]


def test_included_tickets_are_not_invoiced(shop):
    ticket_id = shop.ticket(billing="included")
    shop.log_time(ticket_id, 60)
    response = shop.client.post(
        "/api/invoices", json={"ticket_id": ticket_id}, headers=shop.headers(shop.staff)
    )
    assert response.status_code == 409
    assert response.get_json()["code"] == "ticket_not_chargeable"


def test_a_credit_note_negates_the_invoice_with_its_own_number(shop):
    ticket_id = shop.ticket()
    shop.log_time(ticket_id, 95)
    shop.use_material(ticket_id, "Valve", "2", "18.50")
    invoice = shop.issue(shop.draft(ticket_id)["id"])

    response = shop.client.post(
        f"/api/invoices/{invoice['id']}/credit-notes",
        json={"reason": "Wrong customer"},
        headers=shop.headers(shop.staff),
    )

    assert response.status_code == 201
    note = response.get_json()
    assert note["kind"] == "credit_note" and note["number"] == f"CN-{year()}-000001"
    assert note["credited_invoice_id"] == invoice["id"] and note["reason"] == "Wrong customer"
    for name in ("net_total", "vat_total", "gross_total"):
        assert note[name] == "-" + invoice[name]
    assert [line["quantity"] for line in note["lines"]] == ["-1.58", "-2", "-1"]
    assert [line["unit_price"] for line in note["lines"]] == ["52.50", "18.50", "45.00"]
    assert shop.invoice(invoice["id"])["status"] == "credited"
    # Nothing is owed any more: the ticket may close; the work may be invoiced again.
    assert shop.set_status(ticket_id, "resolved").status_code == 200
    assert shop.draft(ticket_id)["gross_total"] == invoice["gross_total"]


def test_an_invoice_is_credited_once_and_drafts_are_not_credited(shop):
    invoice = shop.issued_invoice()
    headers = shop.headers(shop.staff)
    url = f"/api/invoices/{invoice['id']}/credit-notes"
    assert shop.client.post(url, json={"reason": "x"}, headers=headers).status_code == 201
    again = shop.client.post(url, json={"reason": "x"}, headers=headers)
    assert again.status_code == 409 and again.get_json()["code"] == "invoice_not_creditable"

    ticket_id = shop.ticket()
    shop.log_time(ticket_id, 10)
    draft = shop.draft(ticket_id)
    response = shop.client.post(
        f"/api/invoices/{draft['id']}/credit-notes", json={"reason": "x"}, headers=headers
    )
    assert response.status_code == 409


@pytest.mark.parametrize("role", ["tenant", "contractor"])
def test_tenants_and_contractors_may_not_see_invoices(shop, role):
    invoice = shop.issued_invoice()
    user = shop.tenant if role == "tenant" else shop.contractor
    headers = shop.headers(user)
    assert shop.client.get(f"/api/invoices/{invoice['id']}", headers=headers).status_code == 403
    assert shop.client.get("/api/invoices", headers=headers).status_code == 403


def test_staff_see_only_invoices_of_tickets_in_their_scope(shop):
    invoice = shop.issued_invoice()
    outsider = shop.headers(shop.outsider_staff)

    assert shop.client.get(f"/api/invoices/{invoice['id']}", headers=outsider).status_code == 404
    assert shop.client.get("/api/invoices", headers=outsider).get_json() == []
    listed = shop.client.get(
        f"/api/invoices?ticket_id={invoice['ticket_id']}", headers=shop.headers(shop.admin)
    ).get_json()
    assert [i["number"] for i in listed] == [invoice["number"]]


def test_only_admins_set_rates(shop):
    response = shop.client.post(
        "/api/billing/labour-categories",
        json={"name": "Electrician", "hourly_rate": "60"},
        headers=shop.headers(shop.staff),
    )
    assert response.status_code == 403
    bad = shop.client.post(
        "/api/billing/labour-categories",
        json={"name": "Electrician", "hourly_rate": 60.5},
        headers=shop.headers(shop.admin),
    )
    assert bad.status_code == 422 and "hourly_rate" in bad.get_json()["errors"]


def test_auto_issue_issues_drafts_without_warnings(shop):
    shop.app.config["AUTO_ISSUE_INVOICES"] = True
    ticket_id = shop.ticket()
    shop.log_time(ticket_id, 60)
    assert shop.draft(ticket_id)["number"] == f"INV-{year()}-000001"
