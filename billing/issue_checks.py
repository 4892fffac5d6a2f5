"""What must be true before a draft is issued, and what a person should look at first.

Warnings are worked out from the draft's current lines, so an edit that fixes a price
also clears its warning: a labour line at 0.00 an hour, a material without a price,
no lines at all. Issuing refuses a draft with warnings unless staff force it (the
timeline keeps what was forced). A VAT-charging invoice needs the seller's VAT
registration number (`AGENCY_VAT_ID`); that cannot be forced.
"""

from decimal import Decimal

from flask import current_app

from billing.models import Invoice
from server.errors import Conflict


def current_warnings(invoice: Invoice) -> list[str]:
    """What to check before issuing, one sentence each, in line order."""
    if not invoice.lines:
        return ["The invoice has no lines."]
    warnings = []
    for number, line in enumerate(invoice.lines, start=1):
        if line.unit_price != 0 or line.quantity == 0:
            continue
        if line.kind == "labour":
            warnings.append(
                f"Line {number} ({line.description}): labour is billed at 0.00 an hour; "
                "give the contractor a labour category, set DEFAULT_HOURLY_RATE, or edit "
                "the line's price."
            )
        elif line.kind == "material":
            warnings.append(
                f"Line {number} ({line.description}): the material has no price; edit the "
                "line's price."
            )
    return warnings


def seller_vat_id_missing(invoice: Invoice) -> bool:
    charges_vat = any(line.vat_rate > Decimal(0) for line in invoice.lines)
    return charges_vat and not current_app.config.get("AGENCY_VAT_ID")


def issue_blockers(invoice: Invoice) -> bool:
    """Whether automatic issuing must leave this draft for a person."""
    return seller_vat_id_missing(invoice) or bool(current_warnings(invoice))


def check_issuable(invoice: Invoice, force: bool) -> list[str]:
    """Refuse to issue (409) what must not be issued; return the warnings that `force`
    overrode (empty when there were none)."""
    if seller_vat_id_missing(invoice):
        raise Conflict(
            "This invoice charges VAT, and a VAT invoice must show the seller's VAT "
            "registration number: set AGENCY_VAT_ID, then issue it.",
            code="seller_vat_id_missing",
        )
    warnings = current_warnings(invoice)
    if warnings and not force:
        raise Conflict(
            "The draft has warnings: fix its lines, or issue it anyway with "
            '{"force": true}. ' + " ".join(warnings),
            code="invoice_has_warnings",
            errors={"warnings": warnings},
        )
    return warnings
