"""Reading invoices for the back office: a filtered, cursor-paged list and the aged
debt table. Both start from `service.visible_invoices` (the caller's scope), so a
page never decides visibility itself.

Aged debt is one aggregate query: what is outstanding on issued, unpaid invoices,
summed per customer in buckets of days since the invoice was issued. Sums are taken
in whole minor units (rounded cents), so SQLite's floating NUMERIC adds up exactly.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import case, func, select

from billing.models import INVOICE_KINDS, INVOICE_STATUSES, Invoice
from billing.service import PAYABLE, visible_invoices
from server.auth import Caller
from server.db import utcnow
from server.extensions import db
from server.models import Ticket
from server.schemas.ids import id_field
from server.schemas.times import Day

BUCKETS = ("0-30", "31-60", "61-90", "90+")


class InvoiceFilterSchema(Schema):
    """The back office's invoice filters (query string)."""

    status = fields.String(validate=validate.OneOf(INVOICE_STATUSES))
    kind = fields.String(validate=validate.OneOf(INVOICE_KINDS))
    issued_from = Day()
    issued_to = Day()
    block = id_field(strict=False)
    customer = id_field(strict=False)
    overdue = fields.Boolean()
    cursor = id_field(strict=False)
    limit = fields.Integer(strict=False, load_default=50, validate=validate.Range(min=1, max=200))

    @validates_schema
    def _ordered(self, data, **kwargs):
        if data.get("issued_from") and data.get("issued_to"):
            if data["issued_from"] > data["issued_to"]:
                raise ValidationError("must be on or before the end date", "issued_from")


def local_today() -> date:
    return utcnow().astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()


def filtered(caller: Caller, filters: dict):
    """The caller's invoices narrowed by `filters` (InvoiceFilterSchema), newest first."""
    query = visible_invoices(caller)
    for name in ("status", "kind"):
        if filters.get(name):
            query = query.where(getattr(Invoice, name) == filters[name])
    if filters.get("issued_from"):
        query = query.where(Invoice.issue_date >= filters["issued_from"])
    if filters.get("issued_to"):
        query = query.where(Invoice.issue_date <= filters["issued_to"])
    if filters.get("block"):
        in_block = select(Ticket.id).where(Ticket.block_id == filters["block"])
        query = query.where(Invoice.ticket_id.in_(in_block))
    if filters.get("customer"):
        query = query.where(Invoice.customer_id == filters["customer"])
    if filters.get("overdue"):
        query = query.where(
            Invoice.kind == "invoice",
            Invoice.status.in_(PAYABLE),
            Invoice.due_date < local_today(),
        )
    return query.order_by(Invoice.id.desc())


def invoice_page(caller: Caller, filters: dict) -> dict:
    """One page of invoices: {items, tickets (id -> Ticket), next_cursor}. The cursor is
    the last id shown; the next page holds older ones, so pages never overlap."""
    limit = filters.get("limit", 50)
    query = filtered(caller, filters)
    if filters.get("cursor"):
        query = query.where(Invoice.id < filters["cursor"])
    rows = db.session.scalars(query.limit(limit + 1)).all()
    items = rows[:limit]
    ids = {invoice.ticket_id for invoice in items}
    tickets = {}
    if ids:
        tickets = {t.id: t for t in db.session.scalars(select(Ticket).where(Ticket.id.in_(ids)))}
    return {
        "items": items,
        "tickets": tickets,
        "next_cursor": items[-1].id if len(rows) > limit else None,
    }


@dataclass(frozen=True)
class DebtRow:
    customer_id: int | None
    name: str
    buckets: tuple[Decimal, ...]  # in BUCKETS order
    invoices: int

    @property
    def total(self) -> Decimal:
        return sum(self.buckets, Decimal("0.00"))


def aged_debt(caller: Caller, today: date | None = None) -> list[DebtRow]:
    """Outstanding per customer in buckets of days since issue (0-30, 31-60, 61-90,
    over 90), largest debt first; one query."""
    today = today or local_today()
    cents = func.round((Invoice.gross_total - Invoice.amount_credited - Invoice.amount_paid) * 100)
    bounds = [today - timedelta(days=days) for days in (30, 60, 90)]
    conditions = [
        Invoice.issue_date >= bounds[0],
        (Invoice.issue_date < bounds[0]) & (Invoice.issue_date >= bounds[1]),
        (Invoice.issue_date < bounds[1]) & (Invoice.issue_date >= bounds[2]),
        Invoice.issue_date < bounds[2],
    ]
    sums = [func.sum(case((condition, cents), else_=0)) for condition in conditions]
    query = (
        visible_invoices(caller)
        .with_only_columns(Invoice.customer_id, Invoice.bill_to, func.count(Invoice.id), *sums)
        .where(Invoice.kind == "invoice", Invoice.status.in_(PAYABLE))
        .group_by(Invoice.customer_id, Invoice.bill_to)
    )
    rows = [
        DebtRow(
            customer_id,
            name,
            tuple((Decimal(str(int(value or 0))) / 100).quantize(Decimal("0.01")) for value in b),
            count,
        )
        for customer_id, name, count, *b in db.session.execute(query)
    ]
    return sorted(rows, key=lambda row: (-row.total, row.name))
