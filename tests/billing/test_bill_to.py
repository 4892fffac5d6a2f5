"""Bill-to parties through the API: customers, owners of blocks and units, who a ticket's
invoice bills, staff changing it until the invoice is issued, and the buyer carried into
the invoice JSON and its e-invoices."""

import pytest
from lxml import etree
from sqlalchemy import event

from server.extensions import db
from tests.billing.test_invoice_documents import refused
from tests.unit.billing.test_einvoice_xml import CII_SCHEMATRON, UBL_SCHEMATRON, schematron_errors

LANDLORD = {
    "name": "Harbour Estates Ltd",
    "address": "40 Dock Road\nBristol BS1 5AA",
    "email": "accounts@harbour.example",
    "vat_number": "gb 987 6543 21",
}


def customer(shop, **fields) -> dict:
    response = shop.client.post(
        "/api/billing/customers", json={**LANDLORD, **fields}, headers=shop.headers(shop.staff)
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def own(shop, place: str, place_id: int, customer_id) -> None:
    response = shop.client.put(
        f"/api/billing/{place}/{place_id}/owner",
        json={"customer_id": customer_id},
        headers=shop.headers(shop.staff),
    )
    assert response.status_code == 200, response.get_json()


def bill_to(shop, ticket_id, customer_id):
    return shop.client.put(
        f"/api/tickets/{ticket_id}/bill-to",
        json={"customer_id": customer_id},
        headers=shop.headers(shop.staff),
    )


def drafted(shop) -> tuple[int, dict]:
    ticket_id = shop.ticket()
    shop.log_time(ticket_id, 60)
    return ticket_id, shop.draft(ticket_id)


def test_staff_create_find_and_change_customers_with_a_normalised_vat_number(shop):
    created = customer(shop)
    customer(shop, name="Quayside Lettings", email="rent@quayside.example", vat_number=None)
    headers = shop.headers(shop.staff)

    assert created["vat_number"] == "GB987654321"
    found = shop.client.get("/api/billing/customers?q=HARBOUR", headers=headers).get_json()
    assert [c["name"] for c in found] == ["Harbour Estates Ltd"]
    by_email = shop.client.get("/api/billing/customers?q=quayside.ex", headers=headers)
    assert [c["name"] for c in by_email.get_json()] == ["Quayside Lettings"]
    changed = shop.client.patch(
        f"/api/billing/customers/{created['id']}",
        json={"address": "1 New Wharf, Bristol BS1 6AA", "vat_number": None},
        headers=headers,
    ).get_json()
    assert changed["address"] == "1 New Wharf, Bristol BS1 6AA" and changed["vat_number"] is None
    assert changed["name"] == "Harbour Estates Ltd"


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"vat_number": "123456789"}, "vat_number"),
        ({"email": "not-an-email"}, "email"),
        ({"name": "   "}, "name"),
        ({"address": ""}, "address"),
    ],
)
def test_a_customer_with_bad_details_is_refused_and_nothing_is_stored(shop, fields, field):
    headers = shop.headers(shop.staff)
    response = shop.client.post(
        "/api/billing/customers", json={**LANDLORD, **fields}, headers=headers
    )
    assert response.status_code == 422 and field in response.get_json()["errors"]
    assert shop.client.get("/api/billing/customers", headers=headers).get_json() == []


def test_tenants_and_contractors_cannot_see_or_make_customers(shop):
    for user in (shop.tenant, shop.contractor):
        headers = shop.headers(user)
        assert shop.client.get("/api/billing/customers", headers=headers).status_code == 403
        created = shop.client.post("/api/billing/customers", json=LANDLORD, headers=headers)
        assert created.status_code == 403
        assert shop.client.get(f"/api/tickets/{shop.ticket()}/bill-to",
                               headers=headers).status_code in (403, 404)  # fmt: skip


def test_a_ticket_bills_the_unit_owner_else_the_block_owner_else_the_reporting_tenant(shop):
    ticket_id, draft = drafted(shop)
    assert draft["bill_to"] == "Zoë Łukasiewicz"
    assert draft["buyer"]["address"] == "Flat 12, 14 Quay Street, Bristol"

    block_owner = customer(shop, name="Block Freeholder Ltd", vat_number=None)
    own(shop, "blocks", shop.block.id, block_owner["id"])
    assert shop.invoice(draft["id"])["bill_to"] == "Block Freeholder Ltd"

    landlord = customer(shop)
    own(shop, "units", shop.unit.id, landlord["id"])
    buyer = shop.invoice(draft["id"])["buyer"]
    assert buyer == {
        "name": "Harbour Estates Ltd",
        "address": "40 Dock Road\nBristol BS1 5AA",
        "email": "accounts@harbour.example",
        "vat_number": "GB987654321",
        "customer_id": landlord["id"],
    }
    view = shop.client.get(f"/api/tickets/{ticket_id}/bill-to", headers=shop.headers(shop.staff))
    assert view.get_json()["source"] == "unit_owner"

    own(shop, "units", shop.unit.id, None)
    assert shop.invoice(draft["id"])["bill_to"] == "Block Freeholder Ltd"


def test_staff_change_a_tickets_bill_to_and_the_timeline_says_old_and_new(shop):
    ticket_id, draft = drafted(shop)
    landlord = customer(shop)

    response = bill_to(shop, ticket_id, landlord["id"])

    assert response.status_code == 200 and response.get_json()["source"] == "ticket"
    assert shop.invoice(draft["id"])["buyer"]["vat_number"] == "GB987654321"
    [event] = [e for e in shop.ticket_json(ticket_id)["events"] if e["kind"] == "bill_to_changed"]
    assert event["data"] == {
        "from": {"name": "Zoë Łukasiewicz", "customer_id": None, "source": "reporter"},
        "to": {"name": "Harbour Estates Ltd", "customer_id": landlord["id"], "source": "ticket"},
    }
    back = bill_to(shop, ticket_id, None)
    assert back.get_json()["name"] == "Zoë Łukasiewicz"
    assert shop.invoice(draft["id"])["buyer"]["customer_id"] is None


def test_the_customers_details_follow_into_drafts_but_issued_invoices_keep_theirs(shop):
    landlord = customer(shop)
    own(shop, "units", shop.unit.id, landlord["id"])
    _, issued = drafted(shop)
    issued = shop.issue(issued["id"])
    _, draft = drafted(shop)

    shop.client.patch(
        f"/api/billing/customers/{landlord['id']}",
        json={"name": "Harbour Estates (Bristol) Ltd"},
        headers=shop.headers(shop.staff),
    )

    assert shop.invoice(draft["id"])["bill_to"] == "Harbour Estates (Bristol) Ltd"
    assert shop.invoice(issued["id"])["bill_to"] == "Harbour Estates Ltd"


def test_the_bill_to_cannot_change_once_the_invoice_is_issued_until_it_is_credited(shop):
    ticket_id, draft = drafted(shop)
    landlord = customer(shop)
    invoice = shop.issue(draft["id"])

    refused = bill_to(shop, ticket_id, landlord["id"])

    assert refused.status_code == 409 and refused.get_json()["code"] == "bill_to_locked"
    assert invoice["number"] in refused.get_json()["detail"]
    events = [e["kind"] for e in shop.ticket_json(ticket_id)["events"]]
    assert "bill_to_changed" not in events
    shop.client.post(f"/api/invoices/{invoice['id']}/credit-notes", json={"reason": "Wrong payer"},
                     headers=shop.headers(shop.staff))  # fmt: skip
    assert bill_to(shop, ticket_id, landlord["id"]).status_code == 200
    assert shop.draft(ticket_id)["bill_to"] == "Harbour Estates Ltd"


def test_an_unknown_customer_or_a_ticket_out_of_scope_changes_nothing(shop):
    ticket_id, draft = drafted(shop)
    unknown = bill_to(shop, ticket_id, 999999)
    assert unknown.status_code == 422 and "customer_id" in unknown.get_json()["errors"]
    outsider = shop.client.put(
        f"/api/tickets/{ticket_id}/bill-to",
        json={"customer_id": customer(shop)["id"]},
        headers=shop.headers(shop.outsider_staff),
    )
    assert outsider.status_code == 404
    assert shop.invoice(draft["id"])["bill_to"] == "Zoë Łukasiewicz"


CII = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


@pytest.mark.parametrize("flavor", ["cii", "ubl"])
def test_e_invoices_carry_the_customer_as_buyer_and_pass_the_en16931_schematron(shop, flavor):
    landlord = customer(shop)
    own(shop, "units", shop.unit.id, landlord["id"])
    _, draft = drafted(shop)
    invoice = shop.issue(draft["id"])

    xml = shop.client.get(
        f"/api/invoices/{invoice['id']}.xml?flavor={flavor}", headers=shop.headers(shop.staff)
    ).data

    assert b"Harbour Estates Ltd" in xml and b"GB987654321" in xml and b"BS1 5AA" in xml
    if flavor == "cii":
        buyer = etree.fromstring(xml).xpath("//ram:BuyerTradeParty", namespaces=CII)[0]
        assert buyer.xpath("string(ram:PostalTradeAddress/ram:CityName)", namespaces=CII) == (
            "Bristol"
        )
    stylesheet = CII_SCHEMATRON if flavor == "cii" else UBL_SCHEMATRON
    assert schematron_errors(xml, stylesheet) == []


def test_the_invoice_issued_webhook_names_the_customer(shop, receiver):
    shop.endpoint(receiver.url, event_types=["invoice.issued"])
    landlord = customer(shop)
    own(shop, "blocks", shop.block.id, landlord["id"])
    _, draft = drafted(shop)
    shop.issue(draft["id"])
    shop.run_worker()
    [sent] = receiver.verified()
    assert sent["event"]["data"]["bill_to"] == "Harbour Estates Ltd"


def test_listing_customers_costs_the_same_queries_for_3_or_30(shop):
    with shop.app.app_context():
        engine = db.engine

    def queries() -> int:
        statements = []

        def count(*_args):
            statements.append(1)

        event.listen(engine, "before_cursor_execute", count)
        try:
            listed = shop.client.get("/api/billing/customers?limit=500",
                                     headers=shop.headers(shop.staff))  # fmt: skip
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert listed.status_code == 200
        return len(statements)

    for n in range(3):
        customer(shop, name=f"Owner {n}")
    few = queries()
    for n in range(27):
        customer(shop, name=f"Owner {n + 3}")
    assert queries() == few


def test_the_database_refuses_to_change_an_issued_invoices_buyer(shop):
    _, draft = drafted(shop)
    invoice = shop.issue(draft["id"])
    for column, value in (
        ("buyer_address", "Elsewhere"),
        ("buyer_email", "x@example.test"),
        ("buyer_vat_number", "GB000000000"),
        ("customer_id", 1),
    ):
        sql = f"UPDATE invoices SET {column} = :v WHERE id = :id"
        assert refused(shop.app, sql, v=value, id=invoice["id"]), column
    assert shop.invoice(invoice["id"]) == invoice
