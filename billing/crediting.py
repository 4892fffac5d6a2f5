"""What a credit note credits: chosen lines or quantities of an invoice, never more than
is left uncredited of a line (what earlier credit notes credited is subtracted)."""

from decimal import Decimal

from sqlalchemy import select

from billing.models import Invoice, InvoiceLine
from server.errors import Invalid
from server.extensions import db

QUANTITY_PLACES = 3  # as quantities are exported (billing.exports)


def credited(invoice: Invoice, before_note: int | None = None) -> dict[int, Decimal]:
    """Line id -> the quantity issued credit notes credited of it (the line's own sign);
    `before_note`: only the notes issued before that one."""
    query = (
        select(InvoiceLine.credited_line_id, InvoiceLine.quantity)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(
            Invoice.credited_invoice_id == invoice.id,
            Invoice.kind == "credit_note",
            Invoice.status != "draft",
            InvoiceLine.credited_line_id.is_not(None),
        )
    )
    if before_note is not None:
        query = query.where(Invoice.id < before_note)
    done: dict[int, Decimal] = {}
    for line_id, quantity in db.session.execute(query):  # summed here: exact everywhere
        done[line_id] = done.get(line_id, Decimal(0)) - quantity  # notes negate quantities
    return done


def uncredited(invoice: Invoice) -> dict[int, Decimal]:
    """Line id -> the quantity not credited yet (same sign as the line's quantity)."""
    done = credited(invoice)
    return {line.id: line.quantity - done.get(line.id, Decimal(0)) for line in invoice.lines}


def choose(
    invoice: Invoice, left: dict[int, Decimal], requested: list[dict] | None
) -> list[tuple[InvoiceLine, Decimal]]:
    """The (line, quantity) pairs to credit; every line with something left by default.
    Quantities are given as magnitudes; a negative line (a reversal) is credited in its
    own direction. 422 for an unknown line, a repeated one, zero, or more than is left."""
    by_id = {line.id: line for line in invoice.lines}
    if not requested:
        chosen = [(line, left[line.id]) for line in invoice.lines if left[line.id]]
        if not chosen:
            raise Invalid("Nothing is left to credit on this invoice.", code="nothing_to_credit")
        return chosen
    chosen, errors, seen = [], {}, set()
    for index, item in enumerate(requested):
        line = by_id.get(item["line_id"])
        if line is None or item["line_id"] in seen:
            problem = "not a line of this invoice" if line is None else "given twice"
            errors[str(index)] = {"line_id": [problem]}
            continue
        seen.add(line.id)
        remaining = left[line.id]
        wanted = item.get("quantity")
        quantity = remaining if wanted is None else wanted.copy_sign(line.quantity)
        if wanted is not None and wanted == 0:
            errors[str(index)] = {"quantity": ["must be more than 0"]}
        elif wanted is not None and -wanted.normalize().as_tuple().exponent > QUANTITY_PLACES:
            errors[str(index)] = {"quantity": [f"at most {QUANTITY_PLACES} decimals"]}
        elif abs(quantity) > abs(remaining) or not remaining:
            errors[str(index)] = {
                "quantity": [f"only {abs(remaining)} of this line is left to credit"]
            }
        else:
            chosen.append((line, quantity))
    if errors:
        raise Invalid(
            "Some lines cannot be credited; see errors.",
            errors={"lines": errors},
            code="credit_exceeds_invoice",
        )
    return chosen
