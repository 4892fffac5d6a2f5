"""Editing a draft before it is issued: lines changed, added, removed; its bill-to.

Every edit recomputes the draft's nets and totals with billing.money (the one place
that rounds), refreshes its warnings and leaves a staff-only timeline event saying
what changed. Issued invoices and credit notes never change (409 `invoice_not_draft`;
database triggers behind it). A line removed from a draft gives the time entry or
material it billed back: it can be drafted again later. Flush only.
"""

import json
from decimal import Decimal

from billing.billable_work import vat_rate
from billing.customers import set_ticket_bill_to
from billing.issue_checks import current_warnings
from billing.models import Invoice, InvoiceLine
from billing.money import LineInput, compute_invoice, to_str
from billing.service import get_visible_invoice, lock
from server.auth import Caller
from server.errors import Conflict, Invalid, NotFound
from server.extensions import db
from server.models import Ticket
from server.services.rules import check_staff
from server.services.timeline import append_event

DEFAULT_UNITS = {"labour": "HUR", "material": "C62", "callout": "C62"}
EDITABLE = ("description", "quantity", "unit_price")


def _open_draft(caller: Caller, invoice_id: int) -> tuple[Invoice, Ticket]:
    check_staff(caller)
    invoice = get_visible_invoice(caller, invoice_id)
    ticket = db.session.get(Ticket, invoice.ticket_id)
    lock(ticket, invoice)
    if invoice.status != "draft":
        raise Conflict(
            "An issued invoice never changes; credit it instead.", code="invoice_not_draft"
        )
    return invoice, ticket


def _line(invoice: Invoice, line_id: int) -> InvoiceLine:
    for line in invoice.lines:
        if line.id == line_id:
            return line
    raise NotFound("No such line on this invoice.", code="invoice_line_not_found")


def _recompute(invoice: Invoice) -> None:
    """Nets and totals from the lines as they are now (money.py rounds), and warnings."""
    try:
        inputs = [
            LineInput(
                line.description,
                line.quantity,
                line.unit_price,
                line.vat_rate,
                line.kind,
                line.unit_code,
            )
            for line in invoice.lines
        ]
        computed, totals = compute_invoice(inputs, invoice.currency)
    except ValueError as error:
        raise Invalid(f"The invoice cannot hold this line: {error}.") from None
    for line, result in zip(invoice.lines, computed, strict=True):
        line.net = result.net
    invoice.net_total = totals.net_total
    invoice.vat_total = totals.vat_total
    invoice.gross_total = totals.gross_total
    invoice.warnings = json.dumps(current_warnings(invoice))
    db.session.flush()


def _shown(value):
    """Decimals as the invoice JSON shows them ("18.5", "2"); text as it is."""
    if not isinstance(value, Decimal):
        return value
    text = to_str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


def _record(ticket, kind, caller, invoice, data) -> None:
    data = {"invoice_id": invoice.id, **data, "gross_total": to_str(invoice.gross_total)}
    append_event(ticket, kind, caller, data, visibility="staff")


def change_line(caller: Caller, invoice_id: int, line_id: int, changes: dict) -> Invoice:
    """Staff: change a draft line's description, quantity or unit price."""
    invoice, ticket = _open_draft(caller, invoice_id)
    line = _line(invoice, line_id)
    changed = {}
    for name in EDITABLE:
        if name in changes and changes[name] != getattr(line, name):
            changed[name] = [_shown(getattr(line, name)), _shown(changes[name])]
            setattr(line, name, changes[name])
    if changed:
        _recompute(invoice)
        _record(ticket, "invoice_line_changed", caller, invoice,
                {"line_id": line.id, "changes": changed})  # fmt: skip
    return invoice


def add_line(caller: Caller, invoice_id: int, fields: dict) -> Invoice:
    """Staff: add a line to a draft (at the end, at the invoice's VAT rate)."""
    invoice, ticket = _open_draft(caller, invoice_id)
    kind = fields["kind"]
    line = InvoiceLine(
        position=max((line.position for line in invoice.lines), default=0) + 1,
        kind=kind,
        description=fields["description"],
        quantity=fields["quantity"],
        unit_code=fields.get("unit_code") or DEFAULT_UNITS[kind],
        unit_price=fields["unit_price"],
        vat_rate=vat_rate(),
        net=Decimal(0),
    )
    invoice.lines.append(line)
    _recompute(invoice)
    _record(ticket, "invoice_line_added", caller, invoice, {
        "line_id": line.id,
        "kind": kind,
        "description": line.description,
        "quantity": _shown(line.quantity),
        "unit_price": _shown(line.unit_price),
    })  # fmt: skip
    return invoice


def remove_line(caller: Caller, invoice_id: int, line_id: int) -> Invoice:
    """Staff: remove a line from a draft; the work it billed can be drafted again."""
    invoice, ticket = _open_draft(caller, invoice_id)
    line = _line(invoice, line_id)
    invoice.lines.remove(line)
    db.session.flush()
    _recompute(invoice)
    _record(ticket, "invoice_line_removed", caller, invoice, {
        "line_id": line_id,
        "description": line.description,
        "quantity": _shown(line.quantity),
        "unit_price": _shown(line.unit_price),
    })  # fmt: skip
    return invoice


def change_bill_to(caller: Caller, invoice_id: int, customer_id: int | None) -> Invoice:
    """Staff: bill a draft (and its ticket) to another customer; None: the default rule."""
    invoice, ticket = _open_draft(caller, invoice_id)
    set_ticket_bill_to(caller, ticket, customer_id)  # refreshes this draft's buyer
    return invoice
