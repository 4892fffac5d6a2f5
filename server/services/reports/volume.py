"""Volume: tickets opened, resolved and closed per period, and the backlog at each
period's end, optionally split by type, priority, department or block.

One aggregate query. Every ticket contributes a row at its creation (+1 opened,
+1 backlog) and every `status_changed` event one at its time (resolved or closed
when it moved *to* that status; -1 backlog when it left the active statuses for a
finished one, +1 when it was reopened). Rows before the range collapse into one
leading bucket, so the running SUM() OVER the buckets is the backlog at the end of
each period: tickets created by then and, by their timeline, not resolved or closed.
"""

from sqlalchemy import String, and_, case, func, literal, or_, select, union_all

from server.auth import Caller
from server.domain.workflow import ACTIVE, FINISHED
from server.extensions import db
from server.models import Block, Department, Ticket, TicketEvent
from server.services.reports.buckets import local_period, next_period, periods
from server.services.reports.filters import Filters
from server.services.reports.result import Chart, Report

DIMENSIONS = {
    "type": Ticket.type,
    "priority": Ticket.priority,
    "department": Ticket.department_id,
    "block": Ticket.block_id,
}
COLUMNS = (
    ("period", "Period from"),
    ("opened", "Opened"),
    ("resolved", "Resolved"),
    ("closed", "Closed"),
    ("backlog", "Open at end"),
)


def _to(status: str):
    # Event data is canonical JSON (sorted keys, no spaces): an exact match.
    return TicketEvent.data.like(f'%"to":"{status}"%')


def _from_any(statuses):
    return or_(*(TicketEvent.data.like(f'{{"from":"{status}",%') for status in statuses))


def _to_any(statuses):
    return or_(*(_to(status) for status in statuses))


def movements(caller: Caller, filters: Filters, key):
    """(at, key, opened, resolved, closed, delta) for every creation and status move
    of the tickets in scope, up to the end of the range."""
    conditions = filters.ticket_conditions(caller)
    created = select(
        Ticket.created_at.label("at"),
        key.label("key"),
        literal(1).label("opened"),
        literal(0).label("resolved"),
        literal(0).label("closed"),
        literal(1).label("delta"),
    ).where(*conditions, Ticket.created_at < filters.end_at)
    delta = case(
        (and_(_from_any(ACTIVE), _to_any(FINISHED)), -1),
        (and_(_from_any(FINISHED), _to_any(ACTIVE)), 1),
        else_=0,
    )
    moved = (
        select(
            TicketEvent.created_at.label("at"),
            key.label("key"),
            literal(0).label("opened"),
            case((_to("resolved"), 1), else_=0).label("resolved"),
            case((_to("closed"), 1), else_=0).label("closed"),
            delta.label("delta"),
        )
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(
            *conditions,
            TicketEvent.kind == "status_changed",
            TicketEvent.created_at < filters.end_at,
        )
    )
    return union_all(created, moved).subquery("movements")


def figures(caller: Caller, filters: Filters, by: str | None = None) -> list[dict]:
    """Per (period, key): opened, resolved, closed, backlog; every period listed."""
    key = DIMENSIONS[by] if by else literal("")
    rows = movements(caller, filters, key)
    bucket = case(
        (rows.c.at < filters.start_at, literal("", String)),
        else_=local_period(
            rows.c.at, filters.group, filters.zone, filters.start_at, filters.end_at
        ),
    ).label("bucket")
    per_bucket = (
        select(
            bucket,
            rows.c.key,
            func.sum(rows.c.opened).label("opened"),
            func.sum(rows.c.resolved).label("resolved"),
            func.sum(rows.c.closed).label("closed"),
            func.sum(rows.c.delta).label("delta"),
        )
        .group_by(bucket, rows.c.key)
        .subquery("per_bucket")
    )
    running = select(
        per_bucket.c.bucket,
        per_bucket.c.key,
        per_bucket.c.opened,
        per_bucket.c.resolved,
        per_bucket.c.closed,
        func.sum(per_bucket.c.delta)
        .over(partition_by=per_bucket.c.key, order_by=per_bucket.c.bucket)
        .label("backlog"),
    )
    found: dict[tuple, dict] = {}
    keys: set = set()
    for row in db.session.execute(running):
        keys.add(row.key)
        found[(row.bucket, row.key)] = row._asdict()
    names = _names(by, keys)
    table = []
    for key_value in sorted(keys, key=lambda k: names.get(k, str(k)) if by else ""):
        backlog = int(found.get(("", key_value), {}).get("backlog") or 0)
        for start in periods(filters.start, filters.end, filters.group):
            row = found.get((start.isoformat(), key_value))
            if row is not None:
                backlog = int(row["backlog"])
            entry = {
                "period": start.isoformat(),
                "period_end": min(next_period(start, filters.group), filters.end_next).isoformat(),
                "opened": int(row["opened"]) if row else 0,
                "resolved": int(row["resolved"]) if row else 0,
                "closed": int(row["closed"]) if row else 0,
                "backlog": backlog,
            }
            if by:
                entry = {by: names.get(key_value, str(key_value)), **entry}
            table.append(entry)
    return table


def _names(by: str | None, keys: set) -> dict:
    """Department and block names for their ids (types and priorities are their names)."""
    model = {"department": Department, "block": Block}.get(by or "")
    if model is None:
        return {key: key for key in keys}
    ids = [key for key in keys if key is not None]
    named = dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())
    return {key: named.get(key, "(none)") for key in keys}


def report(caller: Caller, filters: Filters, by: str | None = None) -> Report:
    rows = figures(caller, filters, by)
    columns = ((by, by.title()),) if by else ()
    return Report(
        name="volume",
        title="Volume",
        filters=filters,
        columns=(*columns, *COLUMNS, ("period_end", "Period to (exclusive)")),
        rows=rows,
        chart=Chart(x=("period",), bars=("opened", "resolved", "closed"), line="backlog"),
        split=by,
    )
