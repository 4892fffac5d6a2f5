"""Drafts are editable before they are issued (lines changed, added, removed; totals
recomputed exactly; every edit on the timeline), issued invoices never; issuing refuses
a draft with warnings unless forced, and a VAT invoice without the seller's VAT id."""

import pytest


def edit(shop, method, path, body=None):
    return shop.client.open(path, method=method, json=body, headers=shop.headers(shop.staff))


def kinds(shop, ticket_id) -> list[str]:
    return [e["kind"] for e in shop.ticket_json(ticket_id)["events"]]


def events(shop, ticket_id, kind) -> list[dict]:
    return [e["data"] for e in shop.ticket_json(ticket_id)["events"] if e["kind"] == kind]


def priced_draft(shop) -> tuple[int, dict]:
    ticket_id = shop.ticket()
    shop.log_time(ticket_id, 90)  # 1.5 h x 52.50 = 78.75
    shop.use_material(ticket_id, "Thermostatic valve 15 mm", "2", "18.50")
    return ticket_id, shop.invoice(shop.draft(ticket_id)["id"])


def test_changing_a_lines_quantity_and_price_recomputes_the_totals_and_is_recorded(shop):
    ticket_id, draft = priced_draft(shop)
    valve = draft["lines"][1]

    change = {"quantity": "3", "unit_price": "19.99", "description": "TRV 15 mm"}
    response = edit(shop, "PATCH", f"/api/invoices/{draft['id']}/lines/{valve['id']}", change)

    assert response.status_code == 200, response.get_json()
    invoice = response.get_json()
    assert (invoice["lines"][1]["description"], invoice["lines"][1]["net"]) == (
        "TRV 15 mm",
        "59.97",
    )
    # 78.75 + 59.97 + call-out 45.00 = 183.72; VAT 36.744 -> 36.74
    assert (invoice["net_total"], invoice["vat_total"], invoice["gross_total"]) == (
        "183.72", "36.74", "220.46",
    )  # fmt: skip
    [event] = events(shop, ticket_id, "invoice_line_changed")
    assert event["changes"] == {
        "description": ["Thermostatic valve 15 mm", "TRV 15 mm"],
        "quantity": ["2", "3"],
        "unit_price": ["18.5", "19.99"],
    }
    assert event["gross_total"] == "220.46" and event["line_id"] == valve["id"]
    assert shop.invoice(draft["id"]) == invoice


def test_lines_can_be_added_and_removed_and_removed_work_can_be_drafted_again(shop):
    ticket_id, draft = priced_draft(shop)
    labour = draft["lines"][0]

    added = edit(shop, "POST", f"/api/invoices/{draft['id']}/lines",
                 {"description": "Skip hire", "quantity": "1", "unit_price": "120"})  # fmt: skip
    assert added.status_code == 201, added.get_json()
    assert added.get_json()["lines"][-1]["unit_code"] == "C62"
    assert added.get_json()["net_total"] == "280.75"  # 78.75 + 37.00 + 45.00 + 120.00

    removed = edit(shop, "DELETE", f"/api/invoices/{draft['id']}/lines/{labour['id']}")
    assert removed.status_code == 200
    invoice = removed.get_json()
    assert [line["description"] for line in invoice["lines"]] == [
        "Thermostatic valve 15 mm", "Call-out", "Skip hire",
    ]  # fmt: skip
    assert (invoice["net_total"], invoice["vat_total"], invoice["gross_total"]) == (
        "202.00", "40.40", "242.40",
    )  # fmt: skip
    assert kinds(shop, ticket_id).count("invoice_line_added") == 1
    [gone] = events(shop, ticket_id, "invoice_line_removed")
    assert gone["description"] == labour["description"] and gone["gross_total"] == "242.40"
    # The hours are no longer on an invoice: a new draft bills them (with a call-out).
    again = shop.draft(ticket_id)
    assert [line["kind"] for line in again["lines"]] == ["labour", "callout"]


def test_an_added_labour_line_is_billed_in_hours(shop):
    _, draft = priced_draft(shop)
    added = edit(shop, "POST", f"/api/invoices/{draft['id']}/lines",
                 {"kind": "labour", "description": "Extra hour", "quantity": "1.25",
                  "unit_price": "52.50"})  # fmt: skip
    line = added.get_json()["lines"][-1]
    assert (line["unit_code"], line["quantity"], line["net"]) == ("HUR", "1.25", "65.63")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"quantity": "0"}, "quantity"),
        ({"quantity": 2}, "quantity"),
        ({"unit_price": "-1"}, "unit_price"),
        ({"unit_price": "1.23456"}, "unit_price"),
        ({"description": "  "}, "description"),
        ({}, "_schema"),
    ],
)
def test_a_bad_line_change_is_refused_and_changes_nothing(shop, body, field):
    ticket_id, draft = priced_draft(shop)
    line = draft["lines"][1]
    response = edit(shop, "PATCH", f"/api/invoices/{draft['id']}/lines/{line['id']}", body)
    assert response.status_code == 422 and field in response.get_json()["errors"]
    assert shop.invoice(draft["id"]) == draft
    assert "invoice_line_changed" not in kinds(shop, ticket_id)


def test_a_line_of_another_invoice_is_not_found(shop):
    _, first = priced_draft(shop)
    _, second = priced_draft(shop)
    other = second["lines"][0]["id"]
    response = edit(shop, "PATCH", f"/api/invoices/{first['id']}/lines/{other}",
                    {"quantity": "1"})  # fmt: skip
    assert response.status_code == 404 and response.get_json()["code"] == "invoice_line_not_found"
    assert shop.invoice(second["id"]) == second


def test_issued_invoices_cannot_be_edited(shop):
    ticket_id, draft = priced_draft(shop)
    invoice = shop.issue(draft["id"])
    line = invoice["lines"][0]["id"]
    for method, path, body in (
        ("PATCH", f"/api/invoices/{invoice['id']}/lines/{line}", {"quantity": "9"}),
        ("POST", f"/api/invoices/{invoice['id']}/lines",
         {"description": "x", "quantity": "1", "unit_price": "1"}),
        ("DELETE", f"/api/invoices/{invoice['id']}/lines/{line}", None),
        ("PUT", f"/api/invoices/{invoice['id']}/bill-to", {"customer_id": None}),
    ):  # fmt: skip
        response = edit(shop, method, path, body)
        assert response.status_code == 409, (method, path)
        assert response.get_json()["code"] == "invoice_not_draft"
    assert shop.invoice(invoice["id"]) == invoice


def test_tenants_contractors_and_staff_out_of_scope_cannot_edit_a_draft(shop):
    _, draft = priced_draft(shop)
    path = f"/api/invoices/{draft['id']}/lines/{draft['lines'][0]['id']}"
    for user, status in ((shop.tenant, 403), (shop.contractor, 403), (shop.outsider_staff, 404)):
        response = shop.client.patch(path, json={"quantity": "9"}, headers=shop.headers(user))
        assert response.status_code == status
    assert shop.invoice(draft["id"]) == draft


def test_changing_a_drafts_bill_to_through_the_invoice_bills_the_ticket_to_that_customer(shop):
    ticket_id, draft = priced_draft(shop)
    landlord = shop.client.post(
        "/api/billing/customers",
        json={"name": "Harbour Estates Ltd", "address": "40 Dock Road, Bristol BS1 5AA",
              "email": "accounts@harbour.example"},
        headers=shop.headers(shop.staff),
    ).get_json()  # fmt: skip

    response = edit(shop, "PUT", f"/api/invoices/{draft['id']}/bill-to",
                    {"customer_id": landlord["id"]})  # fmt: skip

    assert response.status_code == 200
    assert response.get_json()["buyer"]["address"] == "40 Dock Road, Bristol BS1 5AA"
    assert "bill_to_changed" in kinds(shop, ticket_id)


# Issuing ----------------------------------------------------------------------


def zero_rated_draft(shop, make) -> tuple[int, dict]:
    stranger = make.user("contractor", name="No Category")
    ticket_id = shop.ticket(contractor=stranger)
    shop.log_time(ticket_id, 60, contractor=stranger)
    shop.use_material(ticket_id, "Mystery part", "1", None)
    return ticket_id, shop.draft(ticket_id)


def test_issuing_a_draft_with_warnings_is_refused_with_the_warnings_listed(shop, make):
    ticket_id, draft = zero_rated_draft(shop, make)

    refused = edit(shop, "POST", f"/api/invoices/{draft['id']}/issue")

    assert refused.status_code == 409
    problem = refused.get_json()
    assert problem["code"] == "invoice_has_warnings"
    assert problem["errors"]["warnings"] == draft["warnings"] and len(draft["warnings"]) == 2
    assert shop.invoice(draft["id"])["status"] == "draft"
    assert "invoice_issued" not in kinds(shop, ticket_id)


def test_fixing_the_prices_clears_the_warnings_and_the_draft_issues(shop, make):
    _, draft = zero_rated_draft(shop, make)
    for line in draft["lines"][:2]:
        edit(shop, "PATCH", f"/api/invoices/{draft['id']}/lines/{line['id']}",
             {"unit_price": "40"})  # fmt: skip
    assert shop.invoice(draft["id"])["warnings"] == []
    assert edit(shop, "POST", f"/api/invoices/{draft['id']}/issue").status_code == 200


def test_forcing_the_issue_records_the_warnings_on_the_timeline(shop, make):
    ticket_id, draft = zero_rated_draft(shop, make)

    response = edit(shop, "POST", f"/api/invoices/{draft['id']}/issue", {"force": True})

    assert response.status_code == 200 and response.get_json()["status"] == "issued"
    [forced] = events(shop, ticket_id, "invoice_issued_with_warnings")
    assert forced["warnings"] == draft["warnings"]
    assert forced["number"] == response.get_json()["number"]


def test_a_draft_without_lines_warns_and_needs_force(shop):
    _, draft = priced_draft(shop)
    invoice = draft
    for line in draft["lines"]:
        invoice = edit(shop, "DELETE", f"/api/invoices/{draft['id']}/lines/{line['id']}").get_json()
    assert invoice["warnings"] == ["The invoice has no lines."]
    assert invoice["gross_total"] == "0.00"
    refused = edit(shop, "POST", f"/api/invoices/{draft['id']}/issue", {"force": False})
    assert refused.get_json()["code"] == "invoice_has_warnings"


def test_a_vat_invoice_is_not_issued_without_the_sellers_vat_id_even_when_forced(shop):
    shop.app.config["AGENCY_VAT_ID"] = ""
    ticket_id, draft = priced_draft(shop)

    for body in (None, {"force": True}):
        refused = edit(shop, "POST", f"/api/invoices/{draft['id']}/issue", body)
        assert refused.status_code == 409
        assert refused.get_json()["code"] == "seller_vat_id_missing"
        assert "AGENCY_VAT_ID" in refused.get_json()["detail"]
    assert shop.invoice(draft["id"])["number"] is None

    shop.app.config["VAT_RATE"] = "0"
    zero_ticket = shop.ticket()
    shop.log_time(zero_ticket, 60)
    assert shop.issue(shop.draft(zero_ticket)["id"])["vat_total"] == "0.00"


def test_auto_issue_leaves_a_draft_with_warnings_or_without_a_seller_vat_id(shop, make):
    shop.app.config["AUTO_ISSUE_INVOICES"] = True
    _, warned = zero_rated_draft(shop, make)
    assert warned["status"] == "draft"
    shop.app.config["AGENCY_VAT_ID"] = ""
    ticket_id = shop.ticket()
    shop.log_time(ticket_id, 60)
    assert shop.draft(ticket_id)["status"] == "draft"
    shop.app.config["AGENCY_VAT_ID"] = "GB123456789"
    ticket_id = shop.ticket()
    shop.log_time(ticket_id, 60)
    assert shop.draft(ticket_id)["status"] == "issued"


def test_issue_takes_only_a_boolean_force(shop):
    _, draft = priced_draft(shop)
    response = edit(shop, "POST", f"/api/invoices/{draft['id']}/issue", {"force": "maybe"})
    assert response.status_code == 422 and "force" in response.get_json()["errors"]
    assert shop.invoice(draft["id"])["status"] == "draft"
