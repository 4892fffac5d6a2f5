"""Rates, customers (bill-to parties), invoices and credit notes, payments, and the ERP
webhook tables.

An invoice is a draft (no number, lines may still be replaced or discarded) until it
is issued; from then on the database refuses any change to its content and lines
(triggers in migration 0006) and only `status`, `amount_paid`, `amount_credited` and
`paid_at` move.
Payments are append-only. Money columns are Numeric and always read as Decimal.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, utcnow

INVOICE_KINDS = ("invoice", "credit_note")
INVOICE_STATUSES = ("draft", "issued", "partially_paid", "paid", "credited")
LINE_KINDS = ("labour", "material", "callout")
DELIVERY_STATUSES = ("pending", "failed", "delivered", "dead")
EVENT_TYPES = ("invoice.issued", "invoice.credited", "invoice.paid", "ticket.closed")

# What no UPDATE may change once an invoice has left `draft` (the trigger lists the same).
CONTENT_COLUMNS = (
    "number",
    "kind",
    "credited_invoice_id",
    "ticket_id",
    "currency",
    "net_total",
    "vat_total",
    "gross_total",
    "issue_date",
    "due_date",
    "bill_to",
    "created_at",
    "issued_at",
    "reason",
    "customer_id",
    "buyer_address",
    "buyer_email",
    "buyer_vat_number",
)

Money = Numeric(14, 2)


class LabourCategory(Base):
    """A trade and its hourly rate; a contractor's `labour_category` points here."""

    __tablename__ = "labour_categories"
    __table_args__ = (CheckConstraint("hourly_rate >= 0", name="rate_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    hourly_rate: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Customer(Base):
    """Who pays for repairs: a landlord or owner, billed for the blocks and units it owns."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500))
    email: Mapped[str] = mapped_column(String(320))
    vat_number: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class BlockOwner(Base):
    """The customer billed for chargeable work in a block (unless its unit has an owner)."""

    __tablename__ = "block_owners"

    block_id: Mapped[int] = mapped_column(ForeignKey("blocks.id"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)


class UnitOwner(Base):
    """The customer (owner, landlord) billed for chargeable work in a unit."""

    __tablename__ = "unit_owners"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)


class TicketBillTo(Base):
    """Staff's choice of who pays for one ticket, over the owners of its unit and block."""

    __tablename__ = "ticket_bill_to"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)


class Invoice(Base):
    """An invoice or a credit note; `number` stays NULL until it is issued."""

    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint(f"kind IN {INVOICE_KINDS!r}", name="kind_known"),
        CheckConstraint(f"status IN {INVOICE_STATUSES!r}", name="status_known"),
        CheckConstraint("status = 'draft' OR number IS NOT NULL", name="issued_has_number"),
        CheckConstraint(
            "(kind = 'credit_note') = (credited_invoice_id IS NOT NULL)",
            name="credit_names_invoice",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(30), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="invoice")
    # The invoice a credit note credits (in full, or some of its lines: several notes).
    credited_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    delivery_note_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    currency: Mapped[str] = mapped_column(String(3))
    net_total: Mapped[Decimal] = mapped_column(Money)
    vat_total: Mapped[Decimal] = mapped_column(Money)
    gross_total: Mapped[Decimal] = mapped_column(Money)
    amount_paid: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    # Gross of the credit notes issued against this invoice (positive); moves after issue.
    amount_credited: Mapped[Decimal] = mapped_column(
        Money, default=Decimal(0), server_default=text("0")
    )
    issue_date: Mapped[date | None] = mapped_column()
    due_date: Mapped[date | None] = mapped_column()
    # The buyer as it was when issued (kept up to date while a draft): `bill_to` is the
    # name; the customer it came from, if any (else the tenant who reported, or the block).
    bill_to: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int | None] = mapped_column(index=True)  # no FK: see migration 0014
    buyer_address: Mapped[str] = mapped_column(String(500), default="")
    buyer_email: Mapped[str | None] = mapped_column(String(320))
    buyer_vat_number: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    # JSON list of what a person should check before issuing (missing rates or prices).
    warnings: Mapped[str] = mapped_column(Text, default="[]")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_at: Mapped[datetime | None] = mapped_column()
    paid_at: Mapped[datetime | None] = mapped_column()

    lines: Mapped[list["InvoiceLine"]] = relationship(
        order_by="InvoiceLine.position", cascade="all, delete-orphan", passive_deletes=True
    )


class InvoiceLine(Base):
    """One line as computed by billing.money: quantity × unit price, net rounded once."""

    __tablename__ = "invoice_lines"
    __table_args__ = (
        CheckConstraint(f"kind IN {LINE_KINDS!r}", name="kind_known"),
        Index("ix_invoice_lines_invoice_position", "invoice_id", "position", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    unit_code: Mapped[str] = mapped_column(String(10))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(16, 4))
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    net: Mapped[Decimal] = mapped_column(Money)
    # The work the line bills, so the same hours are never invoiced twice.
    time_entry_id: Mapped[str | None] = mapped_column(String(64), index=True)
    material_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # On a credit note: the invoice line it credits (some or all of its quantity).
    credited_line_id: Mapped[int | None] = mapped_column(ForeignKey("invoice_lines.id"), index=True)


PAYMENT_METHODS = ("bank_transfer", "card", "cash", "cheque", "other")
PAYMENT_SOURCES = ("erp", "staff")


class Payment(Base):
    """A payment the ERP reported or staff recorded (append-only)."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(f"source IN {PAYMENT_SOURCES!r}", name="source_known"),
        CheckConstraint(f"method IS NULL OR method IN {PAYMENT_METHODS!r}", name="method_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    paid_at: Mapped[datetime] = mapped_column()
    reference: Mapped[str | None] = mapped_column(String(200))
    webhook_id: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(10), default="erp", server_default="erp")
    method: Mapped[str | None] = mapped_column(String(20))  # by staff; the ERP says none
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    invoice: Mapped[Invoice] = relationship()


class RejectedPayment(Base):
    """A signed payment report the server refused (422), kept for staff to follow up."""

    __tablename__ = "rejected_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[str] = mapped_column(String(200), index=True)
    code: Mapped[str] = mapped_column(String(60))
    detail: Mapped[str] = mapped_column(String(1000))
    invoice_number: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReceivedWebhook(Base):
    """Ids of accepted inbound webhooks: a re-delivery of one is acknowledged, not applied."""

    __tablename__ = "received_webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[str] = mapped_column(String(200), unique=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class WebhookEndpoint(Base):
    """An ERP URL that receives our events, signed with its own `whsec_` secret."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    # After a rotation the old secret also signs deliveries until it expires, so the
    # receiver can move to the new one without refusing anything in between.
    previous_secret: Mapped[str | None] = mapped_column(String(200))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column()
    event_types: Mapped[str] = mapped_column(Text)  # JSON list
    description: Mapped[str | None] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One event for one endpoint; `webhook_id` is the same on every retry and replay."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(f"status IN {DELIVERY_STATUSES!r}", name="status_known"),
        Index("ix_webhook_deliveries_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(40))
    webhook_id: Mapped[str] = mapped_column(String(64), unique=True)
    payload: Mapped[str] = mapped_column(Text)  # the exact body, as signed and sent
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    replays: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column()
    last_status_code: Mapped[int | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column()

    endpoint: Mapped[WebhookEndpoint] = relationship()
