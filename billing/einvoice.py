"""EN 16931 e-invoices (Factur-X/CII, UBL 2.1, Factur-X PDF) for ERPs that ingest them.

Pure: an `EInvoice` snapshot in, bytes out; the XML is written by the
`factur-x` package from its "BT-…" data dict (keys are EN 16931 business
terms, see facturx/generate_xml.py) and checked against the XSD as it is made.
factur-x's schematron check is switched off: it POSTs to a Saxon server and
passes silently when none answers.

Signs: money.py represents a credit note with negated quantities, so its
totals are negative in our ledger. An EN 16931 credit note (type 381) states
the same amounts as positive numbers and lets the type code carry the
direction, so the writer flips every quantity and amount of a credit note
(prices are never negative, BR-27).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from facturx import generate_from_binary
from facturx.generate_xml import generate_cii_xml, generate_ubl_xml

from billing.money import Line, Totals, minor_unit, to_str

__all__ = [
    "EInvoice",
    "EInvoiceLine",
    "Party",
    "cii_xml",
    "data_dict",
    "facturx_pdf",
    "lines_from_money",
    "split_address",
    "ubl_xml",
    "vat_category",
]

LEVEL = "en16931"
TYPE_CODES = {"invoice": "380", "credit_note": "381"}  # UNTDID 1001
# UNTDID 4461: 30 credit transfer (needs the account, BR-61); 1 not defined.
PAYMENT_MEANS_TRANSFER = "30"
PAYMENT_MEANS_UNDEFINED = "1"
_RATE_PLACES = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Party:
    """Seller or buyer as printed on the invoice."""

    name: str
    address_lines: tuple[str, ...]
    postcode: str
    city: str
    country_code: str  # ISO 3166-1 alpha-2, e.g. "GB"
    vat_id: str | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("party name is required")
        if len(self.address_lines) > 3:
            raise ValueError("EN 16931 has at most three address lines")
        if len(self.country_code) != 2 or not self.country_code.isupper():
            raise ValueError("country_code must be ISO 3166-1 alpha-2")


@dataclass(frozen=True, slots=True)
class EInvoiceLine:
    """One invoice line in EN 16931 terms (BG-25)."""

    id: str
    name: str
    quantity: Decimal
    unit_code: str
    net_price: Decimal
    net_amount: Decimal
    vat_rate: Decimal
    vat_category: str = "S"

    def __post_init__(self) -> None:
        if self.vat_category != vat_category(self.vat_rate):
            raise ValueError("vat_category must be S for a positive rate and Z for 0 %")


@dataclass(frozen=True, slots=True)
class EInvoice:
    """Snapshot of an issued invoice or credit note, amounts as money.py made them."""

    number: str
    type: Literal["invoice", "credit_note"]
    issue_date: date
    due_date: date | None
    # BT-72, the day the work was done. Required: factur-x writes an empty
    # (xsi:nil) delivery block without it, which the CII XSD refuses.
    delivery_date: date
    currency: str
    seller: Party
    buyer: Party
    lines: tuple[EInvoiceLine, ...]
    totals: Totals
    payment_reference: str | None = None
    preceding_invoice_number: str | None = None
    preceding_invoice_date: date | None = None
    payee_account: str | None = None  # IBAN or account id, for credit transfer
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.type not in TYPE_CODES:
            raise ValueError(f"type must be one of {sorted(TYPE_CODES)}")
        minor_unit(self.currency)
        if not self.lines:
            raise ValueError("an e-invoice has at least one line (BR-16)")
        if self.type == "credit_note":
            if not self.preceding_invoice_number:
                raise ValueError("a credit note names the invoice it credits")
            if self.totals.gross_total > 0:
                raise ValueError(
                    "credit note totals are expected as money.py computes them "
                    "from credit_note_lines (negative)"
                )
        if self.seller.vat_id is None:
            raise ValueError("the seller's VAT id is required (BR-S-02, BR-Z-02)")
        _check_sums(self)


def vat_category(rate: Decimal) -> str:
    """UNCL 5305 category for a domestic rate: S standard, Z zero-rated."""
    return "S" if rate > 0 else "Z"


_UK_POSTCODE = re.compile(r"(?:^|\s)([A-Z]{1,2}[0-9][0-9A-Z]?\s*[0-9][A-Z]{2})$", re.IGNORECASE)


def split_address(text: str) -> tuple[tuple[str, ...], str, str]:
    """Address lines (three at most), postcode and city of a free-text UK address:
    "12 River Lane, London E1 6AN" -> (("12 River Lane",), "E1 6AN", "London")."""
    parts = [p.strip() for p in text.replace("\n", ",").split(",") if p.strip()]
    postcode = city = ""
    if parts and (found := _UK_POSTCODE.search(parts[-1])):
        postcode = found.group(1).upper()
        city = parts.pop()[: found.start(1)].strip()
        if not city and len(parts) > 1:
            city = parts.pop()
    if len(parts) > 3:  # EN 16931 has three address lines: the rest joins the third
        parts = [*parts[:2], ", ".join(parts[2:])]
    return tuple(parts), postcode, city


def lines_from_money(lines: Sequence[Line]) -> tuple[EInvoiceLine, ...]:
    """EN 16931 lines from money.compute_invoice's lines, numbered from 1."""
    return tuple(
        EInvoiceLine(
            id=str(number),
            name=line.description,
            quantity=line.quantity,
            unit_code=line.unit_code,
            net_price=line.unit_price,
            net_amount=line.net,
            vat_rate=line.vat_rate,
            vat_category=vat_category(line.vat_rate),
        )
        for number, line in enumerate(lines, start=1)
    )


def _check_sums(invoice: EInvoice) -> None:
    """Refuse a snapshot whose lines and totals disagree (BR-CO-10/14/15, BR-S-08)."""
    totals = invoice.totals
    if sum((line.net_amount for line in invoice.lines), Decimal(0)) != totals.net_total:
        raise ValueError("line net amounts don't add up to the net total")
    if sum((row.tax for row in totals.breakdown), Decimal(0)) != totals.vat_total:
        raise ValueError("the VAT breakdown doesn't add up to the VAT total")
    if totals.net_total + totals.vat_total != totals.gross_total:
        raise ValueError("gross total is not net + VAT")
    by_rate: dict[Decimal, Decimal] = {}
    for line in invoice.lines:
        rate = line.vat_rate.quantize(_RATE_PLACES)
        by_rate[rate] = by_rate.get(rate, Decimal(0)) + line.net_amount
    breakdown = {row.rate.quantize(_RATE_PLACES): row.taxable for row in totals.breakdown}
    if by_rate != breakdown:
        raise ValueError("the VAT breakdown doesn't match the lines' rates and nets")


def _rate(rate: Decimal) -> str:
    return to_str(rate.quantize(_RATE_PLACES))


def _party(party: Party) -> dict[str, Any]:
    result: dict[str, Any] = {
        "name": party.name,
        "postcode": party.postcode,
        "city": party.city,
        "country_code": party.country_code,
    }
    for key, line in zip(("addr_l1", "addr_l2", "addr_l3"), party.address_lines, strict=False):
        result[key] = line
    if party.vat_id:
        result["vat_identifier"] = party.vat_id
    return result


def data_dict(invoice: EInvoice) -> dict[str, Any]:
    """The factur-x data dict (EN 16931 BT/BG keys) for `invoice`; a fresh dict each call."""
    sign = -1 if invoice.type == "credit_note" else 1

    def amount(value: Decimal) -> str:
        return to_str(sign * value)

    totals = invoice.totals
    result: dict[str, Any] = {
        "BT-1": invoice.number,
        "BT-2": invoice.issue_date,
        "BT-3": TYPE_CODES[invoice.type],
        "BT-5": invoice.currency,
        "BT-72": invoice.delivery_date,
        "BG-4": _party(invoice.seller),
        "BG-7": _party(invoice.buyer),
        "BG-23": [
            {
                "BT-116": amount(row.taxable),
                "BT-117": amount(row.tax),
                "BT-118": vat_category(row.rate),
                "BT-119": _rate(row.rate),
            }
            for row in totals.breakdown
        ],
        "BG-25": [
            {
                "BT-126": line.id,
                "BT-129": amount(line.quantity),
                "BT-130": line.unit_code,
                "BT-131": amount(line.net_amount),
                "BT-146": to_str(line.net_price),
                "BT-151": line.vat_category,
                "BT-152": _rate(line.vat_rate),
                "BT-153": line.name,
            }
            for line in invoice.lines
        ],
        "BT-106": amount(totals.net_total),
        "BT-109": amount(totals.net_total),
        "BT-110": amount(totals.vat_total),
        "BT-112": amount(totals.gross_total),
        "BT-115": amount(totals.gross_total),
    }
    if invoice.due_date:
        result["BT-9"] = invoice.due_date
    if invoice.notes:
        result["BG-1"] = [{"BT-22": note} for note in invoice.notes]
    if invoice.payment_reference or invoice.payee_account:
        # UBL carries the payment reference inside PaymentMeans, which needs a code.
        result["BT-81"] = (
            PAYMENT_MEANS_TRANSFER if invoice.payee_account else PAYMENT_MEANS_UNDEFINED
        )
    if invoice.payment_reference:
        result["BT-83"] = invoice.payment_reference
    if invoice.payee_account:
        result["BT-84"] = invoice.payee_account
    if invoice.preceding_invoice_number:
        preceding: dict[str, Any] = {"BT-25": invoice.preceding_invoice_number}
        if invoice.preceding_invoice_date:
            preceding["BT-26"] = invoice.preceding_invoice_date
        result["BG-3"] = [preceding]
    return result


def cii_xml(invoice: EInvoice) -> bytes:
    """Factur-X (UN/CEFACT CII D16B) XML at the EN 16931 profile, XSD-checked."""
    # factur-x mutates the dict it is given: data_dict() builds a fresh one.
    return generate_cii_xml(
        data_dict(invoice),
        level=LEVEL,
        check_xsd=True,
        check_schematron=False,
    )


def ubl_xml(invoice: EInvoice) -> bytes:
    """UBL 2.1 Invoice or CreditNote XML at the EN 16931 profile, XSD-checked."""
    return generate_ubl_xml(
        data_dict(invoice),
        level=LEVEL,
        check_xsd=True,
        check_schematron=False,
    )


def facturx_pdf(pdf_bytes: bytes, invoice: EInvoice) -> bytes:
    """`pdf_bytes` (fonts embedded, for PDF/A) with the CII XML attached as Factur-X."""
    return generate_from_binary(
        pdf_bytes,
        cii_xml(invoice),
        flavor="factur-x",
        level=LEVEL,
        check_xsd=False,  # cii_xml already checked it
        check_schematron=False,
        lang="en-GB",
    )
