"""Hours and materials logged on a ticket (by devices through sync, or by staff).

Each entry is a row plus a hash-chained `time_logged` / `material_used` event. A
device's big push (a day's work at once) is written in bulk by `log_many`, which
stamps the sync sequence itself, since Core rows bypass the ORM hooks that do it
for single entries.
"""

from datetime import datetime

from sqlalchemy.orm.attributes import set_committed_value

from server.auth import Caller
from server.bulk import insert_rows, update_rows
from server.changes import reserve_sequence
from server.db import utcnow
from server.extensions import db
from server.models import Device, Material, Ticket, TicketEvent, TimeEntry
from server.services.timeline import new_event

CUSTOMER_ROLES = ("tenant", "contractor")
BULK_FROM = 50  # entries in one push from which log_many writes in bulk
# Ticket columns an appended event moves (see timeline.new_event and _log).
HEAD_COLUMNS = ("event_count", "last_event_hash", "updated_at", "last_customer_activity_at")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _time_entry(caller: Caller, ticket: Ticket, fields: dict, device, now) -> tuple[dict, dict]:
    row = {
        "id": fields["id"],
        "ticket_id": ticket.id,
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


def _material(caller: Caller, ticket: Ticket, fields: dict, device, now) -> tuple[dict, dict]:
    unit_price = fields.get("unit_price")
    row = {
        "id": fields["id"],
        "ticket_id": ticket.id,
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


def _log(model, caller: Caller, ticket: Ticket, fields: dict, device: Device | None, now=None):
    build, kind = KINDS[model]
    now = now or utcnow()
    row, data = build(caller, ticket, fields, device, now)
    event = new_event(
        ticket,
        kind,
        caller,
        data,
        visibility="team",
        device_time=row["created_at"] if device else None,
        device=device,
        at=now,
    )
    if caller.role in CUSTOMER_ROLES:
        ticket.last_customer_activity_at = now
    return row, event


def _add(model, caller: Caller, ticket: Ticket, fields: dict, device: Device | None):
    row, event = _log(model, caller, ticket, fields, device)
    record = model(**row)
    db.session.add_all([record, TicketEvent(**event)])
    return record


def log_time(caller: Caller, ticket: Ticket, *, device: Device | None = None, **fields):
    return _add(TimeEntry, caller, ticket, fields, device)


def use_material(caller: Caller, ticket: Ticket, *, device: Device | None = None, **fields):
    return _add(Material, caller, ticket, fields, device)


def log_many(model, caller: Caller, items: list[tuple[Ticket, dict]], device) -> None:
    """Record time entries (or materials) pushed together. From BULK_FROM on they are
    written in bulk (COPY or executemany for the entries and their events, one
    executemany UPDATE for the moved chain heads), which takes the sync number early
    and so holds the counter row for the rest of the transaction; fewer go through
    the ORM and take it at commit, so the many small pushes do not queue on that row."""
    if len(items) < BULK_FROM:
        for ticket, fields in items:
            _add(model, caller, ticket, fields, device)
        return
    seq = reserve_sequence()
    rows, events, heads, now = [], [], {}, utcnow()
    for ticket, fields in items:
        head = heads.get(ticket.id) or heads.setdefault(ticket.id, _Head(ticket))
        row, event = _log(model, caller, head, fields, device, now)
        rows.append({**row, "sync_seq": seq, "created_seq": seq})
        events.append(event)
    connection = db.session.connection()  # Core, no autoflush: nothing here needs one
    insert_rows(connection, model.__table__, rows)
    insert_rows(connection, TicketEvent.__table__, events)
    _write_heads(connection, list(heads.values()), seq)


class _Head:
    """A ticket's chain head, moved in plain Python while many events are appended (the
    ORM would track every change to the ticket object, then diff them all at commit)."""

    def __init__(self, ticket: Ticket):
        self.ticket = ticket
        self.id, self.unit_id = ticket.id, ticket.unit_id
        for column in HEAD_COLUMNS:
            setattr(self, column, getattr(ticket, column))


def _write_heads(connection, heads: list[_Head], seq: int) -> None:
    """One UPDATE for all tickets whose chain moved (server.bulk.update_rows), then
    tell the ORM those values are stored, so the commit's flush does not write the
    same tickets again."""
    columns = (*HEAD_COLUMNS, "activity_seq")  # the device's ticket record is unchanged
    stored = [
        {"id": h.id, "activity_seq": seq, **{c: getattr(h, c) for c in HEAD_COLUMNS}} for h in heads
    ]
    update_rows(connection, Ticket.__table__, "id", stored)
    for head, values in zip(heads, stored, strict=True):
        for name in columns:
            set_committed_value(head.ticket, name, values[name])
