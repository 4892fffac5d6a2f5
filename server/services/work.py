"""Hours and materials logged on a ticket (by devices through sync, or by staff).

Each entry is a row plus a hash-chained `time_logged` / `material_used` event. The
bulk variants write many entries with two Core `executemany`s (a device pushes a
day's work at once); they stamp the sync sequence themselves, since Core rows
bypass the ORM hooks that do it for single entries.
"""

from datetime import datetime

from sqlalchemy import insert

from server.auth import Caller
from server.changes import reserve_sequence
from server.db import utcnow
from server.extensions import db
from server.models import Device, Material, Ticket, TicketEvent, TimeEntry
from server.services.timeline import new_event

CUSTOMER_ROLES = ("tenant", "contractor")


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


def _log(model, caller: Caller, ticket: Ticket, fields: dict, device: Device | None):
    build, kind = KINDS[model]
    now = utcnow()
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


def log_time(caller: Caller, ticket: Ticket, *, device: Device | None = None, **fields):
    row, event = _log(TimeEntry, caller, ticket, fields, device)
    entry = TimeEntry(**row)
    db.session.add_all([entry, TicketEvent(**event)])
    return entry


def use_material(caller: Caller, ticket: Ticket, *, device: Device | None = None, **fields):
    row, event = _log(Material, caller, ticket, fields, device)
    material = Material(**row)
    db.session.add_all([material, TicketEvent(**event)])
    return material


def log_bulk(model, caller: Caller, items: list[tuple[Ticket, dict]], device) -> None:
    """Record many time entries (or materials) with two executemany statements."""
    if not items:
        return
    seq = reserve_sequence()
    rows, events = [], []
    for ticket, fields in items:
        row, event = _log(model, caller, ticket, fields, device)
        rows.append({**row, "sync_seq": seq, "created_seq": seq})
        events.append(event)
    db.session.execute(insert(model), rows)
    db.session.execute(insert(TicketEvent), events)
