"""Payments, from the ERP or recorded by staff, through one function: partial payments
add up; the one that settles an invoice marks it paid, emits `invoice.paid` and lets
the closing rule close a resolved chargeable ticket."""

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from billing.models import Invoice, Payment
from billing.money import outstanding, parse_amount, to_str
from billing.service import PAYABLE, get_visible_invoice, lock, settle
from server.auth import Caller
from server.db import utcnow
from server.errors import DomainError, Invalid
from server.extensions import db
from server.models import Ticket
from server.services.rules import check_staff
from server.services.timeline import append_event

# A payment recorded by hand may be dated a little ahead (time zones), not in the future.
FUTURE_SLACK = timedelta(days=1)


class PaymentRefused(DomainError):
    """A payment that cannot be applied; nothing was changed."""

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
    """Apply a payment the ERP reported (by invoice number)."""
    invoice = db.session.scalar(
        select(Invoice).where(Invoice.number == invoice_number, Invoice.kind == "invoice")
    )
    if invoice is None:
        raise PaymentRefused(f"No invoice {invoice_number!r}.", code="unknown_invoice")
    ticket = db.session.get(Ticket, invoice.ticket_id)
    lock(ticket, invoice)
    return apply_payment(
        invoice,
        ticket,
        None,
        amount=amount,
        currency=currency,
        paid_at=paid_at,
        reference=reference,
        webhook_id=webhook_id,
    )


def record_staff_payment(
    caller: Caller,
    invoice_id: int,
    *,
    amount: str,
    currency: str,
    method: str,
    paid_at: datetime,
    reference: str | None = None,
) -> Payment:
    """Staff record a payment on an invoice in their scope (bank transfer, card, cash...)."""
    invoice = get_visible_invoice(caller, invoice_id)
    check_staff(caller)
    ticket = db.session.get(Ticket, invoice.ticket_id)
    lock(ticket, invoice)
    if invoice.kind != "invoice":
        raise PaymentRefused(
            f"{invoice.number} is a credit note; it takes no payments.", code="invoice_not_payable"
        )
    if paid_at > utcnow() + FUTURE_SLACK:
        raise Invalid("A payment cannot be dated in the future.", errors={"paid_at": ["future"]})
    return apply_payment(
        invoice,
        ticket,
        caller,
        amount=amount,
        currency=currency,
        paid_at=paid_at,
        reference=reference,
        method=method,
    )


def apply_payment(
    invoice: Invoice,
    ticket: Ticket,
    actor: Caller | None,
    *,
    amount: str,
    currency: str,
    paid_at: datetime,
    reference: str | None,
    method: str | None = None,
    webhook_id: str | None = None,
) -> Payment:
    """The payment rules, for the ERP and staff alike (the caller holds ticket and invoice):
    the invoice's currency, a positive amount, an issued invoice, never more than is
    outstanding. Anything that cannot be applied raises before a single row is written."""
    if currency != invoice.currency:
        raise PaymentRefused(
            f"Invoice {invoice.number or invoice.id} is in {invoice.currency}, not {currency}.",
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
            f"Invoice {invoice.number or invoice.id} is {invoice.status}; it takes no payments.",
            code="invoice_not_payable",
        )
    due = outstanding(invoice.gross_total, invoice.amount_credited, invoice.amount_paid)
    if value > due:
        raise PaymentRefused(
            f"{to_str(value)} is more than the {to_str(max(due, Decimal('0.00')))} outstanding on "
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
        source="erp" if actor is None else "staff",
        method=method,
        recorded_by_id=actor.user.id if actor is not None else None,
        received_at=utcnow(),
    )
    db.session.add(payment)
    invoice.amount_paid = invoice.amount_paid + value
    settled = value == due
    invoice.status = "paid" if settled else "partially_paid"
    if settled:
        invoice.paid_at = max(paid_at, *_earlier_payments(invoice))
    db.session.flush()
    data = {
        "invoice_id": invoice.id,
        "number": invoice.number,
        "amount": to_str(value),
        "currency": currency,
        "reference": reference,
        "source": payment.source,
        "outstanding": to_str(due - value),
    }
    if method:
        data["method"] = method
    append_event(ticket, "payment_received", actor, data, visibility="staff")
    if settled:
        settle(invoice, ticket)
    return payment


def _earlier_payments(invoice: Invoice) -> list[datetime]:
    # Payments may be reported out of order: the invoice is paid when the last one was.
    return list(db.session.scalars(select(Payment.paid_at).where(Payment.invoice_id == invoice.id)))


def payments_of(invoice: Invoice) -> list[Payment]:
    return db.session.scalars(
        select(Payment).where(Payment.invoice_id == invoice.id).order_by(Payment.id)
    ).all()
