"""Invoice verbs: draft, issue, credit, discard (payments: billing.invoice_payments). Flush only.

Numbers are taken from a counter row inside the issuing transaction
(`server.services.counters`), so they are gapless per series and year and in commit
order: a rolled-back issue gives its number back. Drafts have no number. Issued
documents are immutable (database triggers); corrections are credit notes.
"""

import json
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import exists, func, select

from billing import billable_work, crediting, money, webhook_events
from billing.customers import apply_buyer, buyer_for
from billing.issue_checks import check_issuable, current_warnings, issue_blockers
from billing.models import Invoice, InvoiceLine, LabourCategory, Payment
from billing.money import (
    AmountTooLarge,
    compute_invoice,
    credit_part,
    outstanding,
    to_str,
)
from billing.money import Line as MoneyLine
from server.auth import Caller
from server.db import utcnow
from server.errors import Conflict, NotFound
from server.extensions import db
from server.models import Ticket
from server.scope import get_visible_ticket, visible_tickets
from server.services.counters import next_value
from server.services.rules import check_staff
from server.services.tickets import close_if_due
from server.services.timeline import append_event

SERIES = {"invoice": "INV", "credit_note": "CN"}
UNPAID = ("draft", "issued", "partially_paid")
PAYABLE = ("issued", "partially_paid")
CREDITABLE = ("issued", "partially_paid", "paid")


# Rates ----------------------------------------------------------------------


def create_labour_category(caller: Caller | None, *, name: str, hourly_rate: Decimal):
    if db.session.scalar(select(LabourCategory.id).where(LabourCategory.name == name)):
        raise Conflict("A labour category with this name exists.", code="labour_category_exists")
    category = LabourCategory(name=name, hourly_rate=hourly_rate)
    db.session.add(category)
    db.session.flush()
    return category


def update_labour_category(
    caller: Caller | None, category_id: int, *, name: str, hourly_rate: Decimal
) -> LabourCategory:
    """Admin: rename a category or change its rate. Drafts made from now on bill the
    new rate; existing drafts and issued invoices keep the prices on their lines."""
    category = db.session.get(LabourCategory, category_id)
    if category is None:
        raise NotFound("No such labour category.", code="labour_category_not_found")
    taken = select(LabourCategory.id).where(
        LabourCategory.name == name, LabourCategory.id != category_id
    )
    if db.session.scalar(taken):
        raise Conflict("A labour category with this name exists.", code="labour_category_exists")
    category.name, category.hourly_rate = name, hourly_rate
    db.session.flush()
    return category


# Reading --------------------------------------------------------------------


def visible_invoices(caller: Caller):
    """Invoices of the tickets the caller may see (staff: departments and blocks)."""
    scope = visible_tickets(caller).with_only_columns(Ticket.id)
    return select(Invoice).where(Invoice.ticket_id.in_(scope))


def get_visible_invoice(caller: Caller, invoice_id: int) -> Invoice:
    invoice = db.session.scalar(visible_invoices(caller).where(Invoice.id == invoice_id))
    if invoice is None:
        raise NotFound("No such invoice.", code="invoice_not_found")
    return invoice


def list_invoices(caller: Caller, ticket_id: int | None = None) -> list[Invoice]:
    query = visible_invoices(caller).order_by(Invoice.id)
    if ticket_id is not None:
        query = query.where(Invoice.ticket_id == ticket_id)
    return db.session.scalars(query).all()


def money_lines(invoice: Invoice) -> list[MoneyLine]:
    return [
        MoneyLine(
            line.description,
            line.quantity,
            line.unit_price,
            line.vat_rate,
            line.kind,
            line.unit_code,
            line.net,
        )
        for line in invoice.lines
    ]


# Drafting -------------------------------------------------------------------


def lock(*rows) -> None:
    """Hold the rows (PostgreSQL) so writers queue; SQLite transactions are serial."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.flush()
        for row in rows:
            db.session.refresh(row, with_for_update=True)


def refresh_awaiting_payment(ticket: Ticket) -> None:
    """A chargeable ticket waits while any of its invoices is unpaid (drafts count); it
    is paid in full when one is paid and none is unpaid (the closing rule reads both)."""

    def any_invoice(*statuses: str) -> bool:
        condition = exists().where(
            Invoice.ticket_id == ticket.id,
            Invoice.kind == "invoice",
            Invoice.status.in_(statuses),
        )
        return bool(db.session.scalar(select(condition)))

    ticket.awaiting_payment = any_invoice(*UNPAID)
    ticket.paid_in_full = not ticket.awaiting_payment and any_invoice("paid")


def _add_lines(invoice: Invoice, lines, sources=None) -> None:
    computed, totals = compute_invoice(lines, invoice.currency)
    _store_lines(invoice, computed, totals, sources)


def _store_lines(invoice: Invoice, computed, totals, sources=None) -> None:
    invoice.net_total = totals.net_total
    invoice.vat_total = totals.vat_total
    invoice.gross_total = totals.gross_total
    for position, line in enumerate(computed, start=1):
        time_entry_id, material_id = sources[position - 1] if sources else (None, None)
        invoice.lines.append(
            InvoiceLine(
                position=position,
                kind=line.kind,
                description=line.description[:500],
                quantity=line.quantity,
                unit_code=line.unit_code,
                unit_price=line.unit_price,
                vat_rate=line.vat_rate,
                net=line.net,
                time_entry_id=time_entry_id,
                material_id=material_id,
            )
        )


def create_draft_invoice(
    ticket: Ticket, actor: Caller | None = None, *, delivery_note=None
) -> Invoice:
    """A draft from the ticket's chargeable work not yet invoiced (the caller holds the
    ticket). The ticket now waits for payment; with AUTO_ISSUE_INVOICES it is issued
    at once unless a rate or price was missing."""
    if ticket.billing != "chargeable":
        raise Conflict("Only chargeable tickets are invoiced.", code="ticket_not_chargeable")
    draft = billable_work.draft_lines(ticket)
    if not draft.lines:
        raise Conflict("There is no chargeable work to invoice.", code="nothing_to_invoice")
    invoice = Invoice(
        kind="invoice",
        ticket_id=ticket.id,
        delivery_note_id=delivery_note.id if delivery_note is not None else None,
        status="draft",
        currency=current_app.config["CURRENCY"],
        amount_paid=Decimal(0),
        created_at=utcnow(),
    )
    apply_buyer(invoice, buyer_for(ticket))
    try:
        _add_lines(invoice, draft.lines, draft.sources)
    except AmountTooLarge:
        raise Conflict(
            "The ticket's work adds up to more than one invoice can hold "
            f"({to_str(money.MAX_AMOUNT)}); check its materials and hours.",
            code="invoice_too_large",
        ) from None
    invoice.warnings = json.dumps(current_warnings(invoice))
    db.session.add(invoice)
    db.session.flush()
    refresh_awaiting_payment(ticket)
    data = {"invoice_id": invoice.id, "gross_total": to_str(invoice.gross_total)}
    if delivery_note is not None:
        data["delivery_note"] = delivery_note.number
    if draft.warnings:
        data["warnings"] = draft.warnings
    append_event(ticket, "invoice_drafted", actor, data, visibility="staff")
    if current_app.config["AUTO_ISSUE_INVOICES"] and not issue_blockers(invoice):
        issue(invoice, ticket, actor)
    return invoice


def draft_for_ticket(caller: Caller, ticket_id: int) -> Invoice:
    """Staff: draft an invoice by hand (e.g. again after a credit note)."""
    ticket = get_visible_ticket(caller, ticket_id, for_update=True)
    check_staff(caller)
    return create_draft_invoice(ticket, caller)


def discard_draft(caller: Caller, invoice_id: int) -> None:
    """Staff: throw a draft away; its work can be drafted again (with today's rates)."""
    invoice = get_visible_invoice(caller, invoice_id)
    ticket = db.session.get(Ticket, invoice.ticket_id)
    lock(ticket, invoice)
    if invoice.status != "draft":
        raise Conflict("Only a draft can be discarded.", code="invoice_not_draft")
    append_event(
        ticket, "invoice_discarded", caller, {"invoice_id": invoice.id}, visibility="staff"
    )
    db.session.delete(invoice)
    db.session.flush()
    refresh_awaiting_payment(ticket)


# Issuing --------------------------------------------------------------------


def _local_today():
    return utcnow().astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()


def _take_number(kind: str, year: int) -> str:
    prefix = SERIES[kind]
    return f"{prefix}-{year}-{next_value(f'invoice_series:{prefix}:{year}'):06d}"


def issue(invoice: Invoice, ticket: Ticket, actor: Caller | None) -> Invoice:
    """Give a locked draft its number and make it final."""
    if invoice.status != "draft":
        raise Conflict("This invoice is already issued.", code="invoice_not_draft")
    today = _local_today()
    invoice.number = _take_number(invoice.kind, today.year)
    invoice.issue_date = today
    if invoice.kind == "invoice":
        days = current_app.config["PAYMENT_TERMS_DAYS"]
        invoice.due_date = today + timedelta(days=days)
    invoice.issued_at = utcnow()
    invoice.status = "issued"
    db.session.flush()
    if invoice.kind == "invoice":
        append_event(
            ticket,
            "invoice_issued",
            actor,
            {
                "invoice_id": invoice.id,
                "number": invoice.number,
                "gross_total": to_str(invoice.gross_total),
                "currency": invoice.currency,
            },
            visibility="staff",
        )
        webhook_events.emit("invoice.issued", webhook_events.invoice_data(invoice, ticket))
    return invoice


def issue_invoice(caller: Caller, invoice_id: int, force: bool = False) -> Invoice:
    """Staff: issue a draft, refused while it has warnings unless `force` (recorded)."""
    invoice = get_visible_invoice(caller, invoice_id)
    ticket = db.session.get(Ticket, invoice.ticket_id)
    lock(ticket, invoice)
    if invoice.status != "draft":
        raise Conflict("This invoice is already issued.", code="invoice_not_draft")
    apply_buyer(invoice, buyer_for(ticket))
    forced = check_issuable(invoice, force)
    issue(invoice, ticket, caller)
    if forced:
        data = {"invoice_id": invoice.id, "number": invoice.number, "warnings": forced}
        append_event(ticket, "invoice_issued_with_warnings", caller, data, visibility="staff")
    return invoice


def credit_invoice(
    caller: Caller, invoice_id: int, reason: str, lines: list[dict] | None = None
) -> Invoice:
    """Issue a credit note for the whole invoice, or for chosen lines or quantities of it
    (`lines`: [{line_id, quantity?}], a quantity defaulting to all that is left of it).

    Its lines are the credited quantities negated at the same prices, so its totals are
    the exact negation of the credited part. When nothing is left to credit the invoice
    becomes `credited`: its work can be invoiced again, and the ticket stops waiting for
    payment unless another invoice of it is unpaid. A partial credit lowers what is
    outstanding; if payments already cover the rest, the invoice is paid."""
    invoice = get_visible_invoice(caller, invoice_id)
    ticket = db.session.get(Ticket, invoice.ticket_id)
    lock(ticket, invoice)
    if invoice.kind != "invoice":
        raise Conflict("A credit note cannot be credited.", code="invoice_not_creditable")
    if invoice.status not in CREDITABLE:
        detail = (
            "A draft has no effect yet: discard it instead."
            if invoice.status == "draft"
            else "This invoice is already credited."
        )
        raise Conflict(detail, code="invoice_not_creditable")
    left = crediting.uncredited(invoice)
    chosen = crediting.choose(invoice, left, lines)
    note = Invoice(
        kind="credit_note",
        credited_invoice_id=invoice.id,
        ticket_id=ticket.id,
        status="draft",
        currency=invoice.currency,
        amount_paid=Decimal(0),
        bill_to=invoice.bill_to,
        customer_id=invoice.customer_id,
        buyer_address=invoice.buyer_address,
        buyer_email=invoice.buyer_email,
        buyer_vat_number=invoice.buyer_vat_number,
        reason=reason,
        warnings="[]",
        created_at=utcnow(),
    )
    taken = {line.id: quantity for line, quantity in chosen}
    credited_lines = [line for line in invoice.lines if line.id in taken]
    computed, totals = credit_part(
        money_lines(invoice),
        [line.quantity - left[line.id] for line in invoice.lines],
        [taken.get(line.id, Decimal(0)) for line in invoice.lines],
        invoice.currency,
    )
    sources = [(line.time_entry_id, line.material_id) for line in credited_lines]
    _store_lines(note, computed, totals, sources)
    for note_line, line in zip(note.lines, credited_lines, strict=True):
        note_line.credited_line_id = line.id
    db.session.add(note)
    db.session.flush()
    issue(note, ticket, caller)
    invoice.amount_credited = invoice.amount_credited - note.gross_total
    whole = not any(left[line_id] - taken.get(line_id, 0) for line_id in left)
    due = outstanding(invoice.gross_total, invoice.amount_credited, invoice.amount_paid)
    settled = False
    if whole or (due <= 0 and invoice.amount_paid == 0):
        invoice.status = "credited"
    elif due <= 0 and invoice.status != "paid":
        invoice.status, settled = "paid", True
        invoice.paid_at = db.session.scalar(
            select(func.max(Payment.paid_at)).where(Payment.invoice_id == invoice.id)
        )
    db.session.flush()
    refresh_awaiting_payment(ticket)
    data = {
        "invoice_id": invoice.id,
        "number": invoice.number,
        "credit_note_id": note.id,
        "credit_note_number": note.number,
        "reason": reason,
        "credited": to_str(-note.gross_total),
        "outstanding": to_str(due if invoice.status != "credited" else Decimal("0.00")),
    }
    if not whole:
        data["lines"] = [
            {"line_id": line.id, "quantity": to_str(quantity.normalize())}
            for line, quantity in chosen
        ]
    append_event(ticket, "invoice_credited", caller, data, visibility="staff")
    webhook_events.emit(
        "invoice.credited", webhook_events.invoice_data(note, ticket, credited=invoice)
    )
    if settled:
        settle(invoice, ticket)
    return note


def settle(invoice: Invoice, ticket: Ticket) -> None:
    """Nothing is outstanding any more (the last payment, or a credit for the rest):
    `invoice.paid` out, and the closing rule decides whether the ticket closes now."""
    webhook_events.emit("invoice.paid", webhook_events.invoice_data(invoice, ticket))
    refresh_awaiting_payment(ticket)
    close_if_due(ticket, settled_by=f"Invoice {invoice.number}")
