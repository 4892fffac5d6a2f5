"""Payments the ERP reported: partial payments add up; the one that settles an invoice
marks it paid, emits `invoice.paid` and closes a resolved chargeable ticket."""

from datetime import datetime

from sqlalchemy import select

from billing import webhooks
from billing.models import Invoice, Payment
from billing.money import parse_amount, to_str
from billing.service import PAYABLE, lock, refresh_awaiting_payment
from server.db import utcnow
from server.errors import DomainError, Invalid
from server.extensions import db
from server.models import Ticket
from server.services.tickets import apply_status
from server.services.timeline import append_event


class PaymentRefused(DomainError):
    """A signed payment report that cannot be applied; nothing was changed."""

    status, code, title = 422, "payment_refused", "Payment refused"


def record_payment(
    *,
    invoice_number: str,
    amount: str,
    currency: str,
    paid_at: datetime,
    reference: str | None,
    webhook_id: str | None,
) -> Payment:
    """Apply a payment the ERP reported. Partial payments add up; the one that settles
    the invoice marks it paid and closes a resolved ticket. Anything that cannot be
    applied raises PaymentRefused before a single row is written."""
    invoice = db.session.scalar(
        select(Invoice).where(Invoice.number == invoice_number, Invoice.kind == "invoice")
    )
    if invoice is None:
        raise PaymentRefused(f"No invoice {invoice_number!r}.", code="unknown_invoice")
    ticket = db.session.get(Ticket, invoice.ticket_id)
    lock(ticket, invoice)
    if currency != invoice.currency:
        raise PaymentRefused(
            f"Invoice {invoice.number} is in {invoice.currency}, not {currency}.",
            code="currency_mismatch",
        )
    try:
        value = parse_amount(amount, invoice.currency)
    except ValueError as error:
        raise Invalid("Not a valid amount.", errors={"amount": [str(error)]}) from None
    if value <= 0:
        raise Invalid("Not a valid amount.", errors={"amount": ["must be positive"]})
    if invoice.status not in PAYABLE and invoice.status != "paid":
        raise PaymentRefused(
            f"Invoice {invoice.number} is {invoice.status}; it takes no payments.",
            code="invoice_not_payable",
        )
    outstanding = invoice.gross_total - invoice.amount_paid
    if value > outstanding:
        raise PaymentRefused(
            f"{to_str(value)} is more than the {to_str(outstanding)} outstanding on "
            f"{invoice.number}.",
            code="overpayment",
        )
    payment = Payment(
        invoice_id=invoice.id,
        amount=value,
        currency=currency,
        paid_at=paid_at,
        reference=reference,
        webhook_id=webhook_id,
        received_at=utcnow(),
    )
    db.session.add(payment)
    invoice.amount_paid = invoice.amount_paid + value
    settled = invoice.amount_paid == invoice.gross_total
    invoice.status = "paid" if settled else "partially_paid"
    if settled:
        invoice.paid_at = max(paid_at, *_earlier_payments(invoice))
    db.session.flush()
    append_event(
        ticket,
        "payment_received",
        None,
        {
            "invoice_id": invoice.id,
            "number": invoice.number,
            "amount": to_str(value),
            "currency": currency,
            "reference": reference,
            "outstanding": to_str(invoice.gross_total - invoice.amount_paid),
        },
        visibility="staff",
    )
    if settled:
        _settled(invoice, ticket)
    return payment


def _earlier_payments(invoice: Invoice) -> list[datetime]:
    # Payments may be reported out of order: the invoice is paid when the last one was.
    return list(db.session.scalars(select(Payment.paid_at).where(Payment.invoice_id == invoice.id)))


def _settled(invoice: Invoice, ticket: Ticket) -> None:
    webhooks.emit("invoice.paid", webhooks.invoice_data(invoice, ticket))
    refresh_awaiting_payment(ticket)
    if not ticket.awaiting_payment and ticket.status == "resolved":
        # `ticket.closed` goes out from the flush hook, like every other close.
        apply_status(ticket, "closed", None, f"Invoice {invoice.number} paid in full.")
