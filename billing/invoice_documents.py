"""An invoice row as documents: the printable PDF and EN 16931 XML (CII or UBL).

An issued invoice's PDF is a Factur-X PDF (PDF/A-3 with the CII XML attached)
when the seller's VAT id is configured (`AGENCY_VAT_ID`, required by EN 16931);
otherwise, and for drafts, it is the plain PDF. Both are deterministic: the
factur-x package stamps the wall clock into the file, so that clock is pinned to
the invoice's issue time while it runs (under a lock: the pin is process-wide).
"""

import logging
import threading
from datetime import UTC, datetime
from decimal import Decimal

from flask import current_app

from billing import crediting, einvoice
from billing.invoice_pdf import InvoiceDocument, PaymentDetails, render_invoice_pdf
from billing.models import Invoice
from billing.money import Totals, compute_invoice, credit_part
from billing.service import money_lines
from server.errors import Conflict
from server.extensions import db
from server.models import Ticket

log = logging.getLogger(__name__)
FLAVORS = ("cii", "ubl")
_FACTURX_CLOCK = threading.Lock()


def _address_lines(text: str, limit: int = 3) -> tuple[str, ...]:
    parts = [p.strip() for p in (text or "").replace("\n", ",").split(",") if p.strip()]
    return tuple(parts[:limit])


def _totals(invoice: Invoice) -> Totals:
    """The VAT breakdown, recomputed from the stored lines (and checked against them);
    a credit note's from the invoice lines it credits and what was credited before it."""
    if invoice.kind == "credit_note" and all(line.credited_line_id for line in invoice.lines):
        original = db.session.get(Invoice, invoice.credited_invoice_id)
        done = crediting.credited(original, before_note=invoice.id)
        now = {line.credited_line_id: -line.quantity for line in invoice.lines}
        _, totals = credit_part(
            money_lines(original),
            [done.get(line.id, Decimal(0)) for line in original.lines],
            [now.get(line.id, Decimal(0)) for line in original.lines],
            invoice.currency,
        )
    else:  # an invoice, or a credit note from before partial credits (a full one)
        _, totals = compute_invoice(money_lines(invoice), invoice.currency)
    stored = (invoice.net_total, invoice.vat_total, invoice.gross_total)
    if (totals.net_total, totals.vat_total, totals.gross_total) != stored:
        raise RuntimeError(f"invoice {invoice.id}: stored totals disagree with its lines")
    return totals


def _context(invoice: Invoice):
    ticket = db.session.get(Ticket, invoice.ticket_id)
    credited = (
        db.session.get(Invoice, invoice.credited_invoice_id) if invoice.kind != "invoice" else None
    )
    return ticket, credited


def _logo() -> bytes | None:
    path = current_app.config.get("AGENCY_LOGO_PATH")
    if not path:
        return None
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        log.warning("AGENCY_LOGO_PATH %s cannot be read; invoices print without a logo", path)
        return None


def _setting(name: str) -> str:
    return str(current_app.config.get(name) or "").strip()


def document(invoice: Invoice) -> InvoiceDocument:
    config = current_app.config
    ticket, credited = _context(invoice)
    return InvoiceDocument(
        kind=invoice.kind,
        number=invoice.number,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        document_time=invoice.issued_at or invoice.created_at,
        currency=invoice.currency,
        seller_name=config["AGENCY_NAME"],
        seller_address_lines=_seller_address(),
        seller_vat_id=_setting("AGENCY_VAT_ID") or None,
        seller_company_number=_setting("AGENCY_COMPANY_NUMBER") or None,
        buyer_name=invoice.bill_to,
        buyer_address_lines=_address_lines(invoice.buyer_address, limit=6),
        buyer_email=invoice.buyer_email,
        buyer_vat_number=invoice.buyer_vat_number,
        ticket_ref=ticket.ref,
        ticket_summary=ticket.summary,
        lines=tuple(money_lines(invoice)),
        totals=_totals(invoice),
        credited_number=credited.number if credited is not None else None,
        reason=invoice.reason,
        payment=PaymentDetails(
            bank_name=_setting("BANK_NAME"),
            sort_code=_setting("BANK_SORT_CODE"),
            account_number=_setting("BANK_ACCOUNT_NUMBER"),
            iban=_setting("BANK_IBAN"),
        ),
        terms_days=config["PAYMENT_TERMS_DAYS"],
        logo_png=_logo(),
    )


def _seller_address() -> tuple[str, ...]:
    lines = list(_address_lines(current_app.config["AGENCY_ADDRESS"], limit=4))
    city = _setting("AGENCY_CITY")
    place = " ".join(p for p in (city, _setting("AGENCY_POSTCODE")) if p)
    if city and lines and lines[-1] == city:
        lines[-1] = place
    elif place and not any(place in line for line in lines):
        lines.append(place)
    return tuple(lines)


def e_invoice(invoice: Invoice) -> einvoice.EInvoice:
    """The EN 16931 snapshot of an issued invoice or credit note."""
    config = current_app.config
    if invoice.number is None:
        raise Conflict("A draft has no e-invoice; issue it first.", code="invoice_not_issued")
    if not config["AGENCY_VAT_ID"]:
        raise Conflict(
            "E-invoices need the seller's VAT id: set AGENCY_VAT_ID.",
            code="einvoice_not_configured",
        )
    ticket, credited = _context(invoice)
    buyer_lines, postcode, city = einvoice.split_address(invoice.buyer_address)
    seller = einvoice.Party(
        name=config["AGENCY_NAME"],
        address_lines=_address_lines(config["AGENCY_ADDRESS"]),
        postcode=config["AGENCY_POSTCODE"],
        city=config["AGENCY_CITY"],
        country_code=config["AGENCY_COUNTRY"],
        vat_id=config["AGENCY_VAT_ID"],
    )
    buyer = einvoice.Party(
        name=invoice.bill_to,
        address_lines=buyer_lines,
        postcode=postcode,
        city=city,
        country_code=config["AGENCY_COUNTRY"],
        vat_id=invoice.buyer_vat_number or None,
    )
    delivered = invoice.created_at.astimezone(UTC).date()
    return einvoice.EInvoice(
        number=invoice.number,
        type=invoice.kind,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        delivery_date=min(delivered, invoice.issue_date),
        currency=invoice.currency,
        seller=seller,
        buyer=buyer,
        lines=einvoice.lines_from_money(money_lines(invoice)),
        totals=_totals(invoice),
        payment_reference=invoice.number if invoice.kind == "invoice" else None,
        preceding_invoice_number=credited.number if credited is not None else None,
        preceding_invoice_date=credited.issue_date if credited is not None else None,
        payee_account=_setting("AGENCY_PAYEE_ACCOUNT") or _setting("BANK_IBAN") or None,
        notes=(f"Ticket {ticket.ref}",) + ((invoice.reason,) if invoice.reason else ()),
    )


def xml_bytes(invoice: Invoice, flavor: str) -> bytes:
    snapshot = e_invoice(invoice)
    return einvoice.cii_xml(snapshot) if flavor == "cii" else einvoice.ubl_xml(snapshot)


def pdf_bytes(invoice: Invoice) -> bytes:
    pdf = render_invoice_pdf(document(invoice))
    if invoice.number is None or not current_app.config["AGENCY_VAT_ID"]:
        return pdf
    return _facturx(pdf, e_invoice(invoice), invoice.issued_at)


def _facturx(pdf: bytes, snapshot: einvoice.EInvoice, when: datetime) -> bytes:
    import facturx.facturx as engine

    when = when.astimezone(UTC)
    clock = (engine._get_pdf_timestamp, engine._get_metadata_timestamp)
    with _FACTURX_CLOCK:
        engine._get_pdf_timestamp = lambda date=None: clock[0](date or when)
        engine._get_metadata_timestamp = lambda: when.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        try:
            return einvoice.facturx_pdf(pdf, snapshot)
        finally:
            engine._get_pdf_timestamp, engine._get_metadata_timestamp = clock
