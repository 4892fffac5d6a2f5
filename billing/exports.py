"""Back-office CSV exports, streamed: memory stays flat however many rows there are.

Rows are read with `yield_per` (a server-side cursor on PostgreSQL) as plain tuples,
written through `csv` into a small buffer and handed out in chunks. UTF-8 (no BOM),
a header row, ISO 8601 dates and times (UTC), decimal strings, and every cell through
`csv_safety.safe_cell` (a cell starting with = + - @ is escaped; plain negative
numbers stay numbers). The date range is in the agency's TIMEZONE, both ends
inclusive: tickets, time entries and materials by their creation time, invoices and
their lines by issue date (drafts are not exported).
"""

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from billing.csv_safety import safe_cell
from billing.models import Invoice, InvoiceLine
from billing.money import price_str, to_str
from server.db import utcnow
from server.extensions import db
from server.models import Block, Department, Material, Ticket, TimeEntry, Unit, User
from server.services import sla

KINDS = ("tickets", "time_entries", "materials", "invoices", "invoice_lines", "xero_invoices")
BATCH = 2000
CHUNK_BYTES = 64 * 1024


def _window(column, start: date | None, end: date | None, *, is_date: bool = False):
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    conditions = []
    if start is not None:
        conditions.append(column >= (start if is_date else datetime.combine(start, time(), tz)))
    if end is not None:
        after = end + timedelta(days=1)
        conditions.append(column < (after if is_date else datetime.combine(after, time(), tz)))
    return conditions


def _tickets(scope, start, end) -> tuple[list[str], Select]:
    manager, reporter = aliased(User), aliased(User)
    header = [
        "id",
        "ref",
        "created_at",
        "status",
        "type",
        "priority",
        "billing",
        "summary",
        "block",
        "unit",
        "department",
        "manager",
        "reporter",
        "bill_to",
        "resolved_at",
        "closed_at",
        "awaiting_payment",
        "paid_in_full",
        *SLA_HEADER,
    ]
    query = (
        select(
            Ticket.id,
            Ticket.ref,
            Ticket.created_at,
            Ticket.status,
            Ticket.type,
            Ticket.priority,
            Ticket.billing,
            Ticket.summary,
            Block.name,
            Unit.name,
            Department.name,
            manager.name,
            reporter.name,
            Ticket.bill_to,
            Ticket.resolved_at,
            Ticket.closed_at,
            Ticket.awaiting_payment,
            Ticket.paid_in_full,
            Ticket.first_response_at,
        )
        .join(Block, Block.id == Ticket.block_id)
        .outerjoin(Unit, Unit.id == Ticket.unit_id)
        .outerjoin(Department, Department.id == Ticket.department_id)
        .outerjoin(manager, manager.id == Ticket.manager_id)
        .outerjoin(reporter, reporter.id == Ticket.reporter_id)
        .where(*_window(Ticket.created_at, start, end))
        .order_by(Ticket.id)
    )
    return header, _scoped(query, scope), None, _sla_cells


# The SLA columns of the tickets export: the clocks as the live SLA state derives them
# (server.services.sla.states, one implementation), as of the export's start.
SLA_HEADER = (
    "first_response_at",
    "first_response_business_minutes",
    "first_response_due_at",
    "first_response_breached",
    "first_response_breached_at",
    "resolution_due_at",
    "resolution_breached",
    "resolution_breached_at",
    "time_to_resolve_business_minutes",
    "time_to_resolve_hours",
)


def _clock_cells(clock, *, taken: bool) -> tuple:
    if clock is None:
        return (None, None, None, None)
    breached = None if clock.target_seconds is None else clock.breached
    minutes = clock.elapsed_business_seconds // 60 if taken and clock.met_at else None
    return (minutes, clock.due_at, breached, clock.breached_at)


def _sla_cells(partition) -> list[tuple]:
    """The SLA cells of a partition of ticket rows, with their status changes read in
    one query. Row positions: 0 id, 2 created_at, 5 priority, 14 resolved_at, last
    first_response_at."""
    now = utcnow()
    tickets = [
        SimpleNamespace(id=row[0], created_at=row[2], priority=row[5], first_response_at=row[-1])
        for row in partition
    ]
    states = sla.states(tickets, now)
    cells = []
    for ticket, row in zip(tickets, partition, strict=True):
        state = states.get(ticket.id)
        response = _clock_cells(state and state.first_response, taken=True)
        resolution = _clock_cells(state and state.resolution, taken=True)
        resolved_at = row[14]
        hours = (
            None
            if resolved_at is None
            else (Decimal(int((resolved_at - row[2]).total_seconds())) / 3600).quantize(
                Decimal("0.01")
            )
        )
        cells.append(
            (
                ticket.first_response_at,
                response[0],
                response[1],
                response[2],
                response[3],
                resolution[1],
                resolution[2],
                resolution[3],
                resolution[0],
                hours,
            )
        )
    return cells


def _time_entries(scope, start, end) -> tuple[list[str], Select]:
    header = [
        "id",
        "ticket_ref",
        "contractor_id",
        "contractor",
        "started_at",
        "ended_at",
        "minutes",
        "chargeable",
        "note",
        "created_at",
        "received_at",
    ]
    query = (
        select(
            TimeEntry.id,
            Ticket.ref,
            TimeEntry.contractor_id,
            User.name,
            TimeEntry.started_at,
            TimeEntry.ended_at,
            TimeEntry.minutes,
            TimeEntry.chargeable,
            TimeEntry.note,
            TimeEntry.created_at,
            TimeEntry.received_at,
        )
        .join(Ticket, Ticket.id == TimeEntry.ticket_id)
        .join(User, User.id == TimeEntry.contractor_id)
        .where(*_window(TimeEntry.created_at, start, end))
        .order_by(TimeEntry.created_at, TimeEntry.id)
    )
    return header, _scoped(query, scope)


def _materials(scope, start, end) -> tuple[list[str], Select]:
    header = [
        "id",
        "ticket_ref",
        "contractor_id",
        "contractor",
        "description",
        "quantity",
        "unit",
        "unit_price",
        "chargeable",
        "created_at",
        "received_at",
    ]
    query = (
        select(
            Material.id,
            Ticket.ref,
            Material.contractor_id,
            User.name,
            Material.description,
            Material.quantity,
            Material.unit,
            Material.unit_price,
            Material.chargeable,
            Material.created_at,
            Material.received_at,
        )
        .join(Ticket, Ticket.id == Material.ticket_id)
        .join(User, User.id == Material.contractor_id)
        .where(*_window(Material.created_at, start, end))
        .order_by(Material.created_at, Material.id)
    )
    return header, _scoped(query, scope)


def _scoped(query: Select, scope) -> Select:
    """`scope` is a WHERE clause over Ticket (server.scope.ticket_scope), or None: all."""
    return query if scope is None else query.where(scope)


def _issued(query: Select, scope, start, end) -> Select:
    window = _window(Invoice.issue_date, start, end, is_date=True)
    return _scoped(query.where(Invoice.number.is_not(None), *window), scope)


def _invoices(scope, start, end) -> tuple[list[str], Select]:
    credited = aliased(Invoice)
    header = [
        "number",
        "kind",
        "status",
        "issue_date",
        "due_date",
        "ticket_ref",
        "bill_to",
        "currency",
        "net_total",
        "vat_total",
        "gross_total",
        "amount_paid",
        "amount_credited",
        "credited_invoice",
        "issued_at",
        "paid_at",
    ]
    query = (
        select(
            Invoice.number,
            Invoice.kind,
            Invoice.status,
            Invoice.issue_date,
            Invoice.due_date,
            Ticket.ref,
            Invoice.bill_to,
            Invoice.currency,
            Invoice.net_total,
            Invoice.vat_total,
            Invoice.gross_total,
            Invoice.amount_paid,
            Invoice.amount_credited,
            credited.number,
            Invoice.issued_at,
            Invoice.paid_at,
        )
        .join(Ticket, Ticket.id == Invoice.ticket_id)
        .outerjoin(credited, credited.id == Invoice.credited_invoice_id)
        .order_by(Invoice.issue_date, Invoice.id)
    )
    return header, _issued(query, scope, start, end)


def _invoice_lines(scope, start, end) -> tuple[list[str], Select]:
    header = [
        "invoice_number",
        "invoice_kind",
        "issue_date",
        "currency",
        "position",
        "kind",
        "description",
        "quantity",
        "unit_code",
        "unit_price",
        "vat_rate",
        "net",
        "time_entry_id",
        "material_id",
    ]
    query = (
        select(
            Invoice.number,
            Invoice.kind,
            Invoice.issue_date,
            Invoice.currency,
            InvoiceLine.position,
            InvoiceLine.kind,
            InvoiceLine.description,
            InvoiceLine.quantity,
            InvoiceLine.unit_code,
            InvoiceLine.unit_price,
            InvoiceLine.vat_rate,
            InvoiceLine.net,
            InvoiceLine.time_entry_id,
            InvoiceLine.material_id,
        )
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .join(Ticket, Ticket.id == Invoice.ticket_id)
        .order_by(Invoice.issue_date, Invoice.id, InvoiceLine.position)
    )
    return header, _issued(query, scope, start, end)


def _xero_invoices(scope, start, end) -> tuple[list[str], Select]:
    """Xero's sales invoice import: one row per line; a credit note has negative
    quantities, which Xero imports as a credit note."""
    header = [
        "ContactName",
        "InvoiceNumber",
        "InvoiceDate",
        "DueDate",
        "Description",
        "Quantity",
        "UnitAmount",
        "AccountCode",
        "TaxType",
        "Currency",
    ]
    config = current_app.config
    query = (
        select(
            Invoice.bill_to,
            Invoice.number,
            Invoice.issue_date,
            Invoice.due_date,
            InvoiceLine.description,
            InvoiceLine.quantity,
            InvoiceLine.unit_price,
            InvoiceLine.vat_rate,
            Invoice.currency,
        )
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .join(Ticket, Ticket.id == Invoice.ticket_id)
        .order_by(Invoice.issue_date, Invoice.id, InvoiceLine.position)
    )
    account, tax, zero_tax = (
        config["XERO_ACCOUNT_CODE"],
        config["XERO_TAX_TYPE"],
        config["XERO_ZERO_TAX_TYPE"],
    )

    def shape(row):
        contact, number, issued, due, description, quantity, price, rate, currency = row
        return (
            contact,
            number,
            issued,
            due or issued,
            description,
            quantity,
            price,
            account,
            tax if rate else zero_tax,
            currency,
        )

    return header, _issued(query, scope, start, end), shape


QUERIES = {
    "tickets": _tickets,
    "time_entries": _time_entries,
    "materials": _materials,
    "invoices": _invoices,
    "invoice_lines": _invoice_lines,
    "xero_invoices": _xero_invoices,
}


# Decimal columns by header: money at 2 places (a unit price keeps up to 4 only when
# its rate has them), quantities (hours included) at 3, VAT rates at 2, on every
# database and in every file alike.
MONEY = {"net_total", "vat_total", "gross_total", "amount_paid", "amount_credited", "net"}
PRICES = {"unit_price", "UnitAmount"}
SCALES = {"quantity": 3, "Quantity": 3, "vat_rate": 2}


def money_text(value: Decimal) -> str:
    return to_str(value.quantize(Decimal("0.01")))  # the money columns' own scale


def _formatters(header: list[str]):
    formats = []
    for name in header:
        if name in MONEY:
            formats.append(money_text)
        elif name in PRICES:
            formats.append(price_str)
        elif name in SCALES:
            exponent = Decimal(1).scaleb(-SCALES[name])
            formats.append(lambda value, exponent=exponent: to_str(value.quantize(exponent)))
        else:
            formats.append(None)
    return formats


def rows(kind: str, scope, start: date | None, end: date | None) -> Iterator[tuple]:
    """The header, then each row (as cells), read `BATCH` rows at a time."""
    built = QUERIES[kind](scope, start, end)
    header, query = built[0], built[1]
    shape = (built[2] if len(built) > 2 else None) or tuple
    # Columns worked out per partition (the tickets' SLA clocks), after the row's own.
    extend = built[3] if len(built) > 3 else None
    formats = _formatters(header)
    yield tuple(header)
    result = db.session.execute(query.execution_options(yield_per=BATCH))
    for partition in result.partitions():
        extras = extend(partition) if extend else None
        for n, row in enumerate(partition):
            cells = shape(row[:-1]) + extras[n] if extend else shape(row)
            yield tuple(
                value if format_ is None or value is None else format_(value)
                for format_, value in zip(formats, cells, strict=True)
            )


def csv_chunks(kind: str, scope, start, end, counter: list | None = None) -> Iterator[bytes]:
    """The export as UTF-8 chunks of about CHUNK_BYTES; `counter[0]` counts data rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    count = -1  # the header is not a row
    for row in rows(kind, scope, start, end):
        writer.writerow([safe_cell(value) for value in row])
        count += 1
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if counter is not None:
        counter[:] = [count]
    yield buffer.getvalue().encode()
