"""Appending to a ticket's hash-chained timeline, reading it back, verifying it."""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from server.auth import Caller
from server.db import utcnow
from server.domain.chain import EventContent, StoredEvent, canonical_json, event_hash, first_broken
from server.extensions import db
from server.models import Device, Ticket, TicketEvent


def new_event(
    ticket: Ticket,
    kind: str,
    actor: Caller | None,
    data: dict,
    *,
    visibility: str = "public",
    device_time: datetime | None = None,
    device: Device | None = None,
    at: datetime | None = None,
) -> dict:
    """The row of the next event at the head of the ticket's chain, with the head moved.

    The caller holds the ticket row (locked on PostgreSQL by get_visible_ticket with
    for_update), so positions and links are assigned one writer at a time; the
    unique (ticket_id, position) constraint is the backstop. `actor` None = system.
    """
    now = at or utcnow()
    content = EventContent(
        ticket_id=ticket.id,
        position=ticket.event_count + 1,
        kind=kind,
        author_id=actor.user.id if actor else None,
        author_role=actor.role if actor else "system",
        visibility=visibility,
        data=canonical_json(data),
        created_at=now,
        device_time=device_time,
    )
    digest = event_hash(content, ticket.last_event_hash)
    row = {
        "ticket_id": content.ticket_id,
        "position": content.position,
        "kind": content.kind,
        "author_id": content.author_id,
        "author_role": content.author_role,
        "visibility": content.visibility,
        "data": content.data,
        "created_at": content.created_at,
        "device_time": content.device_time,
        "device_id": device.id if device else (actor.device.id if actor and actor.device else None),
        "prev_hash": ticket.last_event_hash,
        "hash": digest,
    }
    ticket.event_count = content.position
    ticket.last_event_hash = digest
    ticket.updated_at = now
    return row


def append_event(ticket: Ticket, kind: str, actor: Caller | None, data: dict, **options):
    """Add one event to the session (not flushed: flush before reading `event.id`)."""
    event = TicketEvent(**new_event(ticket, kind, actor, data, **options))
    db.session.add(event)
    return event


CONFLICTS_KEY = "sync_conflicts_recorded"


def record_conflict(ticket: Ticket, actor: Caller | None, data: dict, device: Device | None):
    """A `sync_conflict` event (staff only) for something a device pushed that the server
    resolved its own way, counted where staff and the device see it: the device's
    pending-conflict count, and the number the push answers (`take_conflict_count`).
    Every conflict goes through here, so no table's conflicts go uncounted."""
    event = append_event(ticket, "sync_conflict", actor, data, visibility="staff", device=device)
    if device is not None:
        # One UPDATE relative to the stored value: concurrent pushes of a device add up.
        db.session.execute(
            update(Device)
            .where(Device.id == device.id)
            .values(pending_conflicts=Device.pending_conflicts + 1)
        )
    db.session.info[CONFLICTS_KEY] = db.session.info.get(CONFLICTS_KEY, 0) + 1
    return event


def take_conflict_count() -> int:
    """Conflicts recorded in this session since the last call (a push reads its own)."""
    return db.session.info.pop(CONFLICTS_KEY, 0)


def visible_events(ticket: Ticket, visibilities: tuple[str, ...]) -> list[TicketEvent]:
    return db.session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.visibility.in_(visibilities))
        .order_by(TicketEvent.position)
        .options(selectinload(TicketEvent.author))  # author_name without a query per author
    ).all()


def stored_event(row: TicketEvent) -> StoredEvent:
    """An event row as the pure chain check reads it."""
    content = EventContent(
        ticket_id=row.ticket_id,
        position=row.position,
        kind=row.kind,
        author_id=row.author_id,
        author_role=row.author_role,
        visibility=row.visibility,
        data=row.data,
        created_at=row.created_at,
        device_time=row.device_time,
    )
    return StoredEvent(id=row.id, content=content, prev_hash=row.prev_hash, hash=row.hash)


def verify_chain(ticket: Ticket) -> dict:
    """Recompute every hash from the stored rows; report the first that does not match."""
    rows = db.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    ).all()
    stored = (stored_event(row) for row in rows)
    broken = first_broken(stored)
    head = rows[-1].hash if rows else None
    if broken is None and (len(rows) != ticket.event_count or head != ticket.last_event_hash):
        # Events were removed from the head: the chain breaks after the last survivor
        # (null when no event is left at all).
        return {"intact": False, "first_broken_event": rows[-1].id if rows else None}
    if broken is None:
        return {"intact": True, "events": len(rows)}
    return {"intact": False, "first_broken_event": broken}
