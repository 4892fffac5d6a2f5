"""The invoice PDF is a sendable UK VAT invoice: what it must say, read back with pypdf
from the API's bytes, and the same bytes every time."""

import io
from datetime import date, timedelta

from pypdf import PdfReader

from tests.unit.delivery_notes.note_factories import make_png

PAYMENT_SETTINGS = {
    "AGENCY_COMPANY_NUMBER": "01234567",
    "BANK_NAME": "Northern Bank",
    "BANK_SORT_CODE": "20-00-00",
    "BANK_ACCOUNT_NUMBER": "55779911",
    "BANK_IBAN": "GB29NWBK60161331926819",
    "PAYMENT_TERMS_DAYS": 14,
}


def pdf_text(shop, invoice_id) -> tuple[bytes, str]:
    response = shop.client.get(f"/api/invoices/{invoice_id}.pdf", headers=shop.headers(shop.staff))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    return response.data, " ".join(text.split())  # one line: cells come out line by line


def day(value: date) -> str:
    return f"{value.day} {value:%b} {value.year}"


def issued(shop) -> dict:
    ticket_id = shop.ticket()
    shop.log_time(ticket_id, 95)  # 1.58 h
    shop.use_material(ticket_id, "Copper pipe", "1.5", "3.35", unit="m")
    shop.use_material(ticket_id, "Boiler", "1", "1234.5")
    return shop.issue(shop.draft(ticket_id)["id"])


def test_the_pdf_is_a_uk_vat_invoice_with_due_date_units_money_and_payment_details(shop):
    shop.app.config.update(PAYMENT_SETTINGS)
    invoice = issued(shop)

    _, text = pdf_text(shop, invoice["id"])

    assert f"VAT invoice {invoice['number']}" in text
    assert "VAT registration no. GB123456789" in text and "Company no. 01234567" in text
    issue_date = date.fromisoformat(invoice["issue_date"])
    assert invoice["due_date"] == (issue_date + timedelta(days=14)).isoformat()
    assert f"Tax point {day(issue_date)}" in text
    assert f"Due date {day(date.fromisoformat(invoice['due_date']))}" in text
    assert "Zoë Łukasiewicz" in text and "Flat 12" in text
    # Units in words, quantities and money at fixed decimals, thousands separated.
    assert "1.58 hours £52.50 20% £82.95" in text
    assert "1.50 m £3.35 20% £5.03" in text
    assert "1 each £1,234.50 20% £1,234.50" in text
    assert "HUR" not in text and "C62" not in text
    assert invoice["gross_total"] == "1640.98" and "Total due (GBP) £1,640.98" in text
    assert "20% £1,367.48 £273.50" in text  # VAT per rate: taxable and tax
    for detail in ("Northern Bank", "20-00-00", "55779911", "GB29NWBK60161331926819"):
        assert detail in text
    assert f"Payment reference {invoice['number']}" in text


def test_a_credit_note_says_credit_note_and_asks_for_no_payment(shop):
    invoice = issued(shop)
    note = shop.client.post(
        f"/api/invoices/{invoice['id']}/credit-notes",
        json={"reason": "Charged twice"},
        headers=shop.headers(shop.staff),
    ).get_json()

    _, text = pdf_text(shop, note["id"])

    assert f"Credit note {note['number']}" in text and "VAT invoice" not in text
    assert f"Credits invoice {invoice['number']}" in text and "Charged twice" in text
    assert "Total credited (GBP) -£1,640.98" in text and "Payment reference" not in text


def test_a_draft_says_it_is_a_draft_with_no_payment_details(shop):
    shop.app.config.update(PAYMENT_SETTINGS)
    ticket_id = shop.ticket()
    shop.log_time(ticket_id, 60)
    _, text = pdf_text(shop, shop.draft(ticket_id)["id"])
    assert "Draft VAT invoice" in text and "not a valid invoice" in text
    assert "Payment reference" not in text


def test_the_pdf_is_deterministic_and_prints_the_logo(shop, tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(make_png(400, 120))
    invoice = issued(shop)
    first, _ = pdf_text(shop, invoice["id"])
    shop.app.config["AGENCY_LOGO_PATH"] = str(logo)

    with_logo, _ = pdf_text(shop, invoice["id"])
    again, _ = pdf_text(shop, invoice["id"])

    assert with_logo == again and with_logo != first
    page = PdfReader(io.BytesIO(with_logo)).pages[0]
    assert len(page.images) == 1
    shop.app.config["AGENCY_LOGO_PATH"] = str(tmp_path / "missing.png")
    assert pdf_text(shop, invoice["id"])[0] == first
