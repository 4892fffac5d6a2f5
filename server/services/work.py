"""Hours and materials logged on a ticket (by devices through sync, or by staff).

Entries are rows; what one push logged on one ticket is one hash-chained
`time_logged` / `material_used` event listing those entries (each with its id and
values), so the timeline says what arrived together and a day's push of a thousand
hours adds one event per ticket, not a thousand. A big push is written in bulk
(COPY or one executemany), which stamps the sync sequence itself, since Core rows
bypass the ORM hooks that do it for the few entries of a small push.
"""

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm.attributes import set_committed_value

from server.auth import Caller
from server.bulk import insert_rows, update_rows
from server.changes import note_moved, reserve_sequence
from server.db import utcnow
from server.extensions import db
from server.models import Device, Material, Ticket, TicketEvent, TimeEntry
from server.services.timeline import new_event

CUSTOMER_ROLES = ("tenant", "contractor")
BULK_FROM = 50  # entries in one push from which log_many writes in bulk
# What a new event links to: the head of the ticket's chain (timeline.new_event).
HEAD_COLUMNS = ("event_count", "last_event_hash")
# What appending an event also moves on the ticket: set to the event's time, never read.
MOVED_COLUMNS = ("updated_at", "last_customer_activity_at")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _time_entry(caller: Caller, ticket_id: int, fields: dict, device, now) -> tuple[dict, dict]:
    row = {
        "id": fields["id"],
        "ticket_id": ticket_id,
        "contractor_id": caller.id,
        "started_at": fields.get("started_at"),
        "ended_at": fields.get("ended_at"),
        "minutes": fields["minutes"],
        "chargeable": fields.get("chargeable", True),
        "note": fields.get("note"),
        "created_at": fields.get("created_at") or now,
        "received_at": now,
        "device_id": device.id if device else None,
    }
    data = {
        "time_entry_id": row["id"],
        "minutes": row["minutes"],
        "started_at": _iso(row["started_at"]),
        "ended_at": _iso(row["ended_at"]),
        "chargeable": row["chargeable"],
        "note": row["note"],
    }
    return row, data


def _material(caller: Caller, ticket_id: int, fields: dict, device, now) -> tuple[dict, dict]:
    unit_price = fields.get("unit_price")
    row = {
        "id": fields["id"],
        "ticket_id": ticket_id,
        "contractor_id": caller.id,
        "description": fields["description"],
        "quantity": fields["quantity"],
        "unit": fields["unit"],
        "unit_price": unit_price,
        "chargeable": fields.get("chargeable", True),
        "created_at": fields.get("created_at") or now,
        "received_at": now,
        "device_id": device.id if device else None,
    }
    data = {
        "material_id": row["id"],
        "description": row["description"],
        "quantity": str(row["quantity"]),
        "unit": row["unit"],
        "unit_price": None if unit_price is None else str(unit_price),
        "chargeable": row["chargeable"],
    }
    return row, data


KINDS = {
    TimeEntry: (_time_entry, "time_logged"),
    Material: (_material, "material_used"),
}


class Head:
    """A ticket's chain head as plain values, moved in Python while events are appended
    in bulk (the ORM would track every change to a ticket object, then diff them all
    at commit). `ticket`: the ORM object to tell what was stored, if one is loaded."""

    __slots__ = ("id", "unit_id", *HEAD_COLUMNS, *MOVED_COLUMNS, "ticket")

    def __init__(self, source, ticket: Ticket | None = None):
        self.ticket = ticket
        self.id, self.unit_id = source.id, source.unit_id
        for column in HEAD_COLUMNS:
            setattr(self, column, getattr(source, column))
        for column in MOVED_COLUMNS:
            setattr(self, column, None)  # None: not moved by this push


def log_time(
    caller: Caller,
    ticket: Ticket,
    *,
    id: str,
    minutes: int,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    chargeable: bool = True,
    note: str | None = None,
    created_at: datetime | None = None,
    device: Device | None = None,
) -> TimeEntry:
    """Log one time entry (`id` chosen by the client, `created_at` its clock; now if
    not given): one `time_logged` event."""
    fields = {
        "id": id,
        "minutes": minutes,
        "started_at": started_at,
        "ended_at": ended_at,
        "chargeable": chargeable,
        "note": note,
        "created_at": created_at,
    }
    return log_many(TimeEntry, caller, [(ticket, fields)], device)[0]


def use_material(
    caller: Caller,
    ticket: Ticket,
    *,
    id: str,
    description: str,
    quantity: Decimal,
    unit: str,
    unit_price: Decimal | None = None,
    chargeable: bool = True,
    created_at: datetime | None = None,
    device: Device | None = None,
) -> Material:
    """Record one material used: one `material_used` event. Without a `unit_price` an
    invoice draft prices it at zero and warns."""
    fields = {
        "id": id,
        "description": description,
        "quantity": quantity,
        "unit": unit,
        "unit_price": unit_price,
        "chargeable": chargeable,
        "created_at": created_at,
    }
    return log_many(Material, caller, [(ticket, fields)], device)[0]


def log_many(model, caller: Caller, items: list[tuple[Ticket | Head, dict]], device) -> list:
    """Record time entries (or materials) logged together, one event per ticket.

    From BULK_FROM entries on they are written in bulk (COPY or executemany for the
    entries and events, one UPDATE for the moved chain heads), which takes the sync
    number early and so holds the counter row for the rest of the transaction; fewer
    go through the ORM (returned as objects) and take it at commit, so the many small
    pushes do not queue on that row. In bulk, a ticket may be given as its `Head`
    (moved in place) instead of the ORM object."""
    build, kind = KINDS[model]
    now = utcnow()
    groups: dict[int, tuple[Ticket | Head, list]] = {}
    for ticket, fields in items:
        groups.setdefault(ticket.id, (ticket, []))[1].append(
            build(caller, ticket.id, fields, device, now)
        )
    if len(items) < BULK_FROM:
        records = []
        for ticket, logged in groups.values():
            records += [model(**row) for row, _ in logged]
            event = _append(ticket, kind, caller, logged, device, now)
            db.session.add(TicketEvent(**event))
        db.session.add_all(records)
        return records
    seq = reserve_sequence()
    rows, events, heads = [], [], []
    for ticket, logged in groups.values():
        head = ticket if isinstance(ticket, Head) else Head(ticket, ticket)
        events.append(_append(head, kind, caller, logged, device, now))
        rows += [{**row, "sync_seq": seq, "created_seq": seq} for row, _ in logged]
        heads.append(head)
    connection = db.session.connection()  # Core, no autoflush: nothing here needs one
    insert_rows(connection, model.__table__, rows)
    insert_rows(connection, TicketEvent.__table__, events)
    _write_heads(connection, heads)
    return []


def _append(head, kind: str, caller: Caller, logged: list, device, now) -> dict:
    """The event listing one ticket's entries of this push, at the head of its chain.
    Its device time is the latest of theirs (each entry keeps its own on its row)."""
    event = new_event(
        head,
        kind,
        caller,
        {"entries": [data for _, data in logged]},
        visibility="team",
        device_time=max(row["created_at"] for row, _ in logged) if device else None,
        device=device,
        at=now,
    )
    if caller.role in CUSTOMER_ROLES:
        head.last_customer_activity_at = now
    return event


def _write_heads(connection, heads: list[Head]) -> None:
    """One UPDATE for all tickets whose chain moved (server.bulk.update_rows), then
    tell the ORM those values are stored, so the commit's flush does not write the
    same tickets again, and the commit which tickets moved (their assignment rows)."""
    columns = HEAD_COLUMNS + tuple(c for c in MOVED_COLUMNS if getattr(heads[0], c) is not None)
    stored = [{"id": h.id, **{c: getattr(h, c) for c in columns}} for h in heads]
    update_rows(connection, Ticket.__table__, "id", stored)  # the device record is unchanged
    for head, values in zip(heads, stored, strict=True):
        if head.ticket is not None:
            for name in columns:
                set_committed_value(head.ticket, name, values[name])
    note_moved(head.id for head in heads)
