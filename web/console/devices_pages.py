"""Handhelds: every device with its user, app version, last contact and what waits on
it (held work, conflicts), revocation (server.services.auth.revoke_device: its next
request answers 401), and a device's recent conflicts with both versions side by side."""

import json

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from server.errors import NotFound
from server.extensions import db
from server.models import Device, HeldWork, Ticket, TicketEvent
from server.scope import ticket_scope
from server.services import auth as auth_service
from sync.conflicts import COMPARED
from sync.push import MODELS
from web.access import STAFF, signed_in
from web.console import bp
from web.console.actions import act
from web.rendering import page

LIST_LIMIT = 500
HISTORY = 50


def _held_counts(device_ids) -> dict[int, int]:
    return dict(
        db.session.execute(
            select(HeldWork.device_id, func.count(HeldWork.id))
            .where(HeldWork.device_id.in_(device_ids), HeldWork.status == "held")
            .group_by(HeldWork.device_id)
        ).all()
    )


@bp.get("/devices")
@signed_in(*STAFF)
def devices(caller):
    rows = db.session.scalars(
        auth_service.visible_devices(caller).options(selectinload(Device.user)).limit(LIST_LIMIT)
    ).all()
    return page("console/devices/list.html", devices=rows, held=_held_counts([d.id for d in rows]))


def _server_side(events) -> dict[tuple[str, str], dict]:
    """The recorded version of each conflicting record: one query per table."""
    wanted: dict[str, set[str]] = {}
    for _, data in events:
        if data.get("table") in MODELS and data.get("id") is not None:
            wanted.setdefault(data["table"], set()).add(str(data["id"]))
    found = {}
    for table, ids in wanted.items():
        model = MODELS[table]
        for row in db.session.scalars(select(model).where(model.id.in_(ids))):
            found[(table, str(row.id))] = {c: getattr(row, c, None) for c in COMPARED[table]}
    return found


def _versions(data: dict, ticket, recorded: dict) -> tuple[dict, dict]:
    """(on the device, on the server) for the columns the conflict is about."""
    pushed = data.get("pushed")
    table = data.get("table")
    if table == "tickets" and isinstance(pushed, dict):
        return pushed, {"status": ticket.status if ticket else "–"}
    server = recorded.get((table, str(data.get("id"))), {})
    if not isinstance(pushed, dict):
        return {"record": pushed or "–"}, server or {"record": "kept as recorded"}
    columns = data.get("columns") or [c for c in server if c in pushed] or list(pushed)
    return (
        {c: pushed.get(c) for c in columns},
        {c: server.get(c) for c in columns} if server else {"record": "held for review"},
    )


@bp.get("/devices/<int:device_id>")
@signed_in(*STAFF)
def device_page(caller, device_id):
    device = db.session.scalar(
        auth_service.visible_devices(caller)
        .where(Device.id == device_id)
        .options(selectinload(Device.user))
    )
    if device is None:
        raise NotFound("No such device.")
    # Conflicts and held work on tickets in the caller's scope only (server.scope).
    mine = select(Ticket.id).where(ticket_scope(caller))
    events = [
        (event, json.loads(event.data))
        for event in db.session.scalars(
            select(TicketEvent)
            .where(
                TicketEvent.device_id == device.id,
                TicketEvent.kind == "sync_conflict",
                TicketEvent.ticket_id.in_(mine),
            )
            .order_by(TicketEvent.id.desc())
            .limit(HISTORY)
        )
    ]
    recorded = _server_side(events)
    held = db.session.scalars(
        select(HeldWork)
        .where(HeldWork.device_id == device.id, HeldWork.ticket_id.in_(mine))
        .order_by(HeldWork.id.desc())
        .limit(HISTORY)
    ).all()
    ticket_ids = {h.ticket_id for h in held} | {e.ticket_id for e, _ in events}
    tickets = {t.id: t for t in db.session.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids)))}
    return page(
        "console/devices/device.html",
        device=device,
        conflicts=[
            (
                event,
                data,
                tickets.get(event.ticket_id),
                *_versions(data, tickets.get(event.ticket_id), recorded),
            )
            for event, data in events
        ],
        held=held,
        tickets=tickets,
    )


@bp.post("/devices/<int:device_id>/revoke")
@signed_in(*STAFF)
def revoke_device(caller, device_id):
    return act(
        lambda: auth_service.revoke_device(caller, device_id),
        done=f"/devices/{device_id}",
        message="Device revoked: its next sync is refused and it must sign in again.",
        again=None,
    )
