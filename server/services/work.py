"""Hours and materials logged on a ticket (by devices through sync, or by staff)."""

from datetime import datetime
from decimal import Decimal

from server.auth import Caller
from server.db import utcnow
from server.extensions import db
from server.models import Device, Material, Ticket, TimeEntry
from server.services.timeline import append_event


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


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
    now = utcnow()
    entry = TimeEntry(
        id=id,
        ticket_id=ticket.id,
        contractor_id=caller.id,
        started_at=started_at,
        ended_at=ended_at,
        minutes=minutes,
        chargeable=chargeable,
        note=note,
        created_at=created_at or now,
        received_at=now,
        device_id=device.id if device else None,
    )
    db.session.add(entry)
    append_event(
        ticket,
        "time_logged",
        caller,
        {
            "time_entry_id": id,
            "minutes": minutes,
            "started_at": _iso(started_at),
            "ended_at": _iso(ended_at),
            "chargeable": chargeable,
            "note": note,
        },
        visibility="team",
        device_time=created_at if device else None,
        device=device,
        at=now,
    )
    if caller.role in ("tenant", "contractor"):
        ticket.last_customer_activity_at = now
    return entry


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
    now = utcnow()
    material = Material(
        id=id,
        ticket_id=ticket.id,
        contractor_id=caller.id,
        description=description,
        quantity=quantity,
        unit=unit,
        unit_price=unit_price,
        chargeable=chargeable,
        created_at=created_at or now,
        received_at=now,
        device_id=device.id if device else None,
    )
    db.session.add(material)
    append_event(
        ticket,
        "material_used",
        caller,
        {
            "material_id": id,
            "description": description,
            "quantity": str(quantity),
            "unit": unit,
            "unit_price": None if unit_price is None else str(unit_price),
            "chargeable": chargeable,
        },
        visibility="team",
        device_time=created_at if device else None,
        device=device,
        at=now,
    )
    if caller.role in ("tenant", "contractor"):
        ticket.last_customer_activity_at = now
    return material
