"""Partial credit notes: chosen lines or quantities of an issued invoice, with a reason;
totals exactly negated for the credited part; never more than is left of a line; the
invoice's credited and outstanding amounts follow."""

from sqlalchemy import func, select

from billing.models import Invoice
from server.extensions import db


def credit(shop, invoice_id, lines=None, reason="Goodwill"):
    body = {"reason": reason} if lines is None else {"reason": reason, "lines": lines}
    return shop.client.post(
        f"/api/invoices/{invoice_id}/credit-notes", json=body, headers=shop.headers(shop.staff)
    )


def line(invoice, kind) -> dict:
    [found] = [item for item in invoice["lines"] if item["kind"] == kind]
    return found


def credit_notes(shop) -> int:
    with shop.app.app_context():
        query = select(func.count()).where(Invoice.kind == "credit_note")
        return db.session.scalar(query)


def test_crediting_part_of_a_line_negates_exactly_that_part(shop):
    invoice = shop.issued_invoice(60)  # 1 h x 52.50 + 45.00 call-out, VAT 20 %: 117.00
    labour = line(invoice, "labour")

    response = credit(shop, invoice["id"], [{"line_id": labour["id"], "quantity": "0.5"}])

    assert response.status_code == 201, response.get_json()
    note = response.get_json()
    assert (note["net_total"], note["vat_total"], note["gross_total"]) == (
        "-26.25",
        "-5.25",
        "-31.50",
    )
    [credited] = note["lines"]
    assert (credited["quantity"], credited["net"]) == ("-0.5", "-26.25")
    assert credited["credited_line_id"] == labour["id"]
    after = shop.invoice(invoice["id"])
    assert after["status"] == "issued"
    assert (after["amount_credited"], after["outstanding"]) == ("31.50", "85.50")
    events = shop.ticket_json(invoice["ticket_id"])["events"]
    [event] = [e for e in events if e["kind"] == "invoice_credited"]
    assert event["data"]["lines"] == [{"line_id": labour["id"], "quantity": "0.5"}]
    assert event["data"]["outstanding"] == "85.50"


def test_no_line_is_credited_beyond_what_is_left_of_it(shop):
    invoice = shop.issued_invoice(60)
    labour = line(invoice, "labour")
    assert credit(shop, invoice["id"], [{"line_id": labour["id"], "quantity": "0.6"}]).status_code
    before = credit_notes(shop)

    refused = credit(shop, invoice["id"], [{"line_id": labour["id"], "quantity": "0.41"}])

    assert refused.status_code == 422
    body = refused.get_json()
    assert body["code"] == "credit_exceeds_invoice"
    assert body["errors"] == {
        "lines": {"0": {"quantity": ["only 0.4000 of this line is left to credit"]}}
    }
    assert credit_notes(shop) == before
    assert shop.invoice(invoice["id"])["amount_credited"] == "37.80"


def test_bad_credit_lines_are_refused_and_nothing_is_stored(shop):
    invoice = shop.issued_invoice(60)
    other = shop.issued_invoice(30)
    labour = line(invoice, "labour")
    cases = [
        [{"line_id": line(other, "labour")["id"]}],
        [{"line_id": labour["id"]}, {"line_id": labour["id"]}],
        [{"line_id": labour["id"], "quantity": "0"}],
        [{"line_id": labour["id"], "quantity": "-1"}],
        [{"line_id": labour["id"], "quantity": 0.5}],
        [],
    ]
    for lines in cases:
        response = credit(shop, invoice["id"], lines)
        assert response.status_code == 422, lines
    assert credit_notes(shop) == 0
    assert shop.invoice(invoice["id"])["status"] == "issued"


def test_crediting_what_is_left_credits_the_invoice_and_gives_its_work_back(shop):
    invoice = shop.issued_invoice(60)
    labour = line(invoice, "labour")
    credit(shop, invoice["id"], [{"line_id": labour["id"], "quantity": "0.25"}])

    rest = credit(shop, invoice["id"]).get_json()

    assert [(item["kind"], item["quantity"]) for item in rest["lines"]] == [
        ("labour", "-0.75"),
        ("callout", "-1"),
    ]
    after = shop.invoice(invoice["id"])
    assert after["status"] == "credited"
    assert (after["amount_credited"], after["outstanding"]) == ("117.00", "0.00")
    again = credit(shop, invoice["id"])
    assert again.get_json()["code"] == "invoice_not_creditable"
    redrafted = shop.draft(invoice["ticket_id"])
    assert redrafted["gross_total"] == "117.00"


def test_a_full_credit_without_lines_is_exactly_the_invoice_negated(shop):
    ticket_id = shop.ticket()
    shop.log_time(ticket_id, 95)
    shop.use_material(ticket_id, "Valve", "3.333", "18.50")
    invoice = shop.issue(shop.draft(ticket_id)["id"])

    note = credit(shop, invoice["id"]).get_json()

    for total in ("net_total", "vat_total", "gross_total"):
        assert note[total] == "-" + invoice[total]
    assert [item["net"] for item in note["lines"]] == [
        "-" + item["net"] for item in invoice["lines"]
    ]
    assert shop.invoice(invoice["id"])["status"] == "credited"


def test_a_partial_credit_that_leaves_nothing_to_pay_settles_and_closes_the_ticket(shop):
    invoice = shop.issued_invoice(60)
    ticket_id = invoice["ticket_id"]
    assert shop.set_status(ticket_id, "resolved").status_code == 200
    assert shop.pay(invoice["number"], "54.00").status_code == 200

    credit(shop, invoice["id"], [{"line_id": line(invoice, "labour")["id"]}])  # 63.00

    after = shop.invoice(invoice["id"])
    assert (after["status"], after["outstanding"]) == ("paid", "0.00")
    assert after["paid_at"].startswith("2026-04-01T10:00:00")
    assert shop.ticket_json(ticket_id)["status"] == "closed"


def test_crediting_a_paid_invoice_shows_what_is_owed_back(shop):
    invoice = shop.issued_invoice(60)
    shop.pay(invoice["number"], "117.00")

    credit(shop, invoice["id"], [{"line_id": line(invoice, "callout")["id"]}])  # 54.00

    after = shop.invoice(invoice["id"])
    assert (after["status"], after["amount_credited"], after["outstanding"]) == (
        "paid",
        "54.00",
        "-54.00",
    )


def test_credit_notes_in_parts_add_up_to_the_invoice_and_print(shop):
    invoice = shop.issued_invoice(60)
    labour = line(invoice, "labour")
    parts = [credit(shop, invoice["id"], [{"line_id": labour["id"], "quantity": "0.25"}])]
    parts.append(credit(shop, invoice["id"]))  # 0.75 h and the call-out: rounding differs

    notes = [part.get_json() for part in parts]
    assert [n["gross_total"] for n in notes] == ["-15.76", "-101.24"]
    after = shop.invoice(invoice["id"])
    assert (after["status"], after["amount_credited"]) == ("credited", "117.00")
    for note in notes:
        for suffix in (".pdf", ".xml?flavor=cii", ".xml?flavor=ubl"):
            document = shop.client.get(
                f"/api/invoices/{note['id']}{suffix}", headers=shop.headers(shop.staff)
            )
            assert document.status_code == 200, (suffix, document.get_data()[:300])
