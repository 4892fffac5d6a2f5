"""What an issued invoice is made of can never change (database triggers), and the
documents made from it: deterministic PDF (Factur-X once issued), CII and UBL XML."""

import io
import time

import pytest
from facturx import get_xml_from_pdf, xml_check_xsd
from pypdf import PdfReader
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from server.extensions import db


def execute(app, sql: str, **params) -> None:
    with app.app_context():
        try:
            db.session.execute(text(sql), params)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise


def refused(app, sql: str, **params) -> bool:
    try:
        execute(app, sql, **params)
    except DatabaseError:
        return True
    return False


def test_the_database_refuses_to_change_an_issued_invoice_or_its_lines(shop):
    invoice = shop.issued_invoice()
    app, invoice_id = shop.app, invoice["id"]

    for column, value in (("gross_total", "1.00"), ("number", "INV-X"), ("bill_to", "Someone")):
        sql = f"UPDATE invoices SET {column} = :v WHERE id = :id"
        assert refused(app, sql, v=value, id=invoice_id), column
    assert refused(app, "UPDATE invoices SET status = 'draft' WHERE id = :id", id=invoice_id)
    assert refused(app, "DELETE FROM invoices WHERE id = :id", id=invoice_id)
    assert refused(app, "UPDATE invoice_lines SET net = 0 WHERE invoice_id = :id", id=invoice_id)
    assert refused(app, "DELETE FROM invoice_lines WHERE invoice_id = :id", id=invoice_id)
    assert refused(
        app,
        "INSERT INTO invoice_lines (invoice_id, position, kind, description, quantity, "
        "unit_code, unit_price, vat_rate, net) VALUES (:id, 99, 'callout', 'Extra', 1, 'C62', "
        "10, 20, 10)",
        id=invoice_id,
    )
    assert shop.invoice(invoice_id) == invoice


def test_payment_state_of_an_issued_invoice_may_change_and_drafts_are_editable(shop):
    invoice = shop.issued_invoice()
    execute(shop.app, "UPDATE invoices SET amount_paid = 1 WHERE id = :id", id=invoice["id"])
    ticket_id = shop.ticket()
    shop.log_time(ticket_id, 30)
    draft = shop.draft(ticket_id)
    execute(shop.app, "UPDATE invoice_lines SET description = 'x' WHERE invoice_id = :id",
            id=draft["id"])  # fmt: skip
    assert shop.invoice(invoice["id"])["amount_paid"] == "1.00"


def test_payments_are_append_only(shop):
    invoice = shop.issued_invoice()
    assert shop.pay(invoice["number"], "10.00").status_code == 200
    assert refused(shop.app, "UPDATE payments SET amount = 1")
    assert refused(shop.app, "DELETE FROM payments")


def get(shop, path):
    return shop.client.get(path, headers=shop.headers(shop.staff))


def test_the_invoice_pdf_is_deterministic_and_carries_the_cii_xml_once_issued(shop):
    ticket_id = shop.ticket()
    shop.log_time(ticket_id, 95)
    shop.use_material(ticket_id, "Zoë's valve", "2", "18.50")
    draft = shop.draft(ticket_id)
    draft_pdf = get(shop, f"/api/invoices/{draft['id']}.pdf")
    assert draft_pdf.status_code == 200 and draft_pdf.mimetype == "application/pdf"
    assert "Draft VAT invoice" in PdfReader(io.BytesIO(draft_pdf.data)).pages[0].extract_text()

    invoice = shop.issue(draft["id"])
    first = get(shop, f"/api/invoices/{invoice['id']}.pdf")
    time.sleep(1.1)  # PDF dates have one-second resolution: a clock leak would show
    second = get(shop, f"/api/invoices/{invoice['id']}.pdf")

    assert first.status_code == 200 and first.data == second.data
    page = PdfReader(io.BytesIO(first.data)).pages[0].extract_text()
    assert invoice["number"] in page and invoice["gross_total"] in page and "Zoë's valve" in page
    name, xml = get_xml_from_pdf(first.data, check_xsd=True)
    assert name == "factur-x.xml" and invoice["number"].encode() in xml


@pytest.mark.parametrize("flavor", ["cii", "ubl"])
def test_issued_invoices_and_credit_notes_export_as_valid_en16931_xml(shop, flavor):
    invoice = shop.issued_invoice()
    note = shop.client.post(
        f"/api/invoices/{invoice['id']}/credit-notes",
        json={"reason": "Duplicate"},
        headers=shop.headers(shop.staff),
    ).get_json()

    for document in (invoice, note):
        response = get(shop, f"/api/invoices/{document['id']}.xml?flavor={flavor}")
        assert response.status_code == 200 and response.mimetype == "application/xml"
        check = "factur-x" if flavor == "cii" else "ubl"
        assert xml_check_xsd(response.data, flavor=check, level="en16931")
        assert document["number"].encode() in response.data
    assert invoice["number"].encode() in get(shop, f"/api/invoices/{note['id']}.xml").data


def test_drafts_have_no_e_invoice_and_a_missing_vat_id_is_explained(shop):
    ticket_id = shop.ticket()
    shop.log_time(ticket_id, 30)
    draft = shop.draft(ticket_id)
    response = get(shop, f"/api/invoices/{draft['id']}.xml")
    assert response.status_code == 409 and response.get_json()["code"] == "invoice_not_issued"

    invoice = shop.issue(draft["id"])
    shop.app.config["AGENCY_VAT_ID"] = ""
    response = get(shop, f"/api/invoices/{invoice['id']}.xml")
    assert response.get_json()["code"] == "einvoice_not_configured"
    plain = get(shop, f"/api/invoices/{invoice['id']}.pdf")
    assert plain.status_code == 200
    assert get_xml_from_pdf(plain.data, check_xsd=False) == (False, False)
