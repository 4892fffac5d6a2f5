"""Read side of tickets: filtered, scoped lists with stable cursors, the dashboard feed."""

import base64
import binascii

from sqlalchemy import select

from server.auth import Caller
from server.db import utcnow
from server.errors import Invalid
from server.extensions import db
from server.models import Ticket, TicketContractor
from server.schemas.ids import MAX_ID
from server.scope import visible_tickets
from server.search import matching_tickets
from server.services import ticket_sorts


def encode_cursor(ticket_id: int) -> str:
    return base64.urlsafe_b64encode(f"t:{ticket_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        ticket_id = int(value)
        if kind != "t" or not 0 < ticket_id <= MAX_ID:
            raise ValueError
        return ticket_id
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise Invalid("The cursor is not valid.", errors={"cursor": ["invalid cursor"]}) from None


def list_tickets(caller: Caller, filters: dict) -> dict:
    """Newest first (keyed on id), or by `sort` (ticket_sorts) with a keyset cursor of
    that sort: a page boundary never moves when tickets are added or change."""
    query = visible_tickets(caller)
    for field in ("status", "priority", "type"):
        if filters.get(field):
            query = query.where(getattr(Ticket, field) == filters[field])
    if filters.get("department") is not None:
        query = query.where(Ticket.department_id == filters["department"])
    if filters.get("assignee") is not None:
        query = query.where(
            Ticket.id.in_(
                select(TicketContractor.ticket_id).where(
                    TicketContractor.contractor_id == filters["assignee"],
                    TicketContractor.active.is_(True),
                )
            )
        )
    for name, column in (
        ("owner", Ticket.owner_id),
        ("manager", Ticket.manager_id),
        ("reporter", Ticket.reporter_id),
        ("block", Ticket.block_id),
        ("unit", Ticket.unit_id),
    ):
        if filters.get(name) is not None:
            query = query.where(column == filters[name])
    if filters.get("q"):
        query = query.where(Ticket.id.in_(matching_tickets(filters["q"])))
    for name, condition in (
        ("created_after", lambda v: Ticket.created_at >= v),
        ("created_before", lambda v: Ticket.created_at < v),
        ("updated_since", lambda v: Ticket.updated_at >= v),
        ("updated_before", lambda v: Ticket.updated_at < v),
    ):
        if filters.get(name) is not None:
            query = query.where(condition(filters[name]))
    if filters.get("sla"):
        query = query.where(ticket_sorts.sla_state(filters["sla"], utcnow()))
    sort = filters.get("sort") or "newest"
    limit = filters.get("limit", 50)
    if sort == "newest":  # the original order and cursor, byte for byte
        if filters.get("cursor"):
            query = query.where(Ticket.id < decode_cursor(filters["cursor"]))
        rows = db.session.scalars(query.order_by(Ticket.id.desc()).limit(limit + 1)).all()
        items = rows[:limit]
        next_cursor = encode_cursor(items[-1].id) if len(rows) > limit else None
        return {"items": items, "next_cursor": next_cursor}
    after = ticket_sorts.decode_cursor(sort, filters["cursor"]) if filters.get("cursor") else None
    order, where = ticket_sorts.order_and_after(sort, after)
    if where is not None:
        query = query.where(where)
    rows = db.session.scalars(query.order_by(*order).limit(limit + 1)).all()
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = ticket_sorts.encode_cursor(sort, ticket_sorts.key_of(sort, last), last.id)
    return {"items": items, "next_cursor": next_cursor}


def dashboard_updates(caller: Caller, limit: int = 50) -> list[Ticket]:
    """Tickets in scope, latest tenant or contractor activity first."""
    query = (
        visible_tickets(caller)
        .where(Ticket.last_customer_activity_at.is_not(None))
        .order_by(Ticket.last_customer_activity_at.desc(), Ticket.id.desc())
        .limit(limit)
    )
    return db.session.scalars(query).all()
