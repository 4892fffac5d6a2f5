"""Replies on a ticket, with the automatic status moves of the workflow."""

import base64
import binascii
import json
import uuid
from datetime import datetime

from sqlalchemy import and_, or_, select

from server.auth import Caller
from server.db import utcnow
from server.domain import workflow
from server.errors import Forbidden, Invalid
from server.extensions import db
from server.models import Device, Message, Ticket
from server.scope import WRITABLE, get_visible_ticket, is_participant, message_scope
from server.services import sla
from server.services.notify import notify, wording
from server.services.rules import check_staff_update
from server.services.timeline import append_event


def post_message(
    caller: Caller,
    ticket_id: int,
    body: str,
    visibility: str = "public",
    *,
    message_id: str | None = None,
    created_at: datetime | None = None,
    device: Device | None = None,
    ticket: Ticket | None = None,
    held: bool = False,
) -> Message:
    """Reply on a ticket. Devices pass their own id and time; the server adds its time.

    Only people on the ticket reply: a neighbour who reads a block-published ticket, or a
    contractor whose assignment ended, may not (403). A caller passing `ticket` (sync)
    has scoped it itself, so a device's work from before its contractor was unassigned
    is still kept; one from after is kept `held` (server.services.held_work): recorded,
    its event staff-only, no status move and no notification until staff approve it
    (`publish_held`)."""
    if ticket is None:
        ticket = get_visible_ticket(caller, ticket_id, for_update=True)
        if not is_participant(caller, ticket):
            raise Forbidden("Only people on this ticket may reply to it.")
    if visibility not in WRITABLE[caller.role]:
        raise Forbidden(f"A {caller.role} cannot write {visibility} messages.")
    if caller.role in workflow.STAFF_ROLES:
        check_staff_update(ticket)
    now = utcnow()
    message = Message(
        id=message_id or str(uuid.uuid4()),
        ticket_id=ticket.id,
        body=body,
        visibility=visibility,
        author_id=caller.user.id,
        author_role=caller.role,
        created_at=created_at or now,
        received_at=now,
        device_id=device.id if device else None,
    )
    db.session.add(message)
    if held:
        append_event(
            ticket,
            "message",
            caller,
            {"message_id": message.id, "body": body, "visibility": visibility, "held": True},
            visibility="staff",
            device_time=created_at if device else None,
            device=device,
            at=now,
        )
        return message
    device_time = created_at if device else None
    _publish(caller, ticket, message, now, device_time=device_time, device=device)
    return message


def publish_held(author: Caller, ticket: Ticket, message: Message) -> None:
    """Staff approved a held message: it now reaches whom it was written for, moves the
    status and notifies as it would have on arrival (its author stays the author)."""
    _publish(author, ticket, message, utcnow(), approved=True)


def _publish(
    caller: Caller,
    ticket: Ticket,
    message: Message,
    now: datetime,
    *,
    device_time: datetime | None = None,
    device: Device | None = None,
    approved: bool = False,
) -> None:
    """The reply's event, the workflow's status move, SLA and notifications."""
    body, visibility = message.body, message.visibility
    previous_status = ticket.status
    new_status = workflow.status_after_reply(ticket.status, caller.role, visibility)
    awaiting_first_response = ticket.first_response_at is None
    if caller.role in workflow.STAFF_ROLES and visibility in ("public", "team"):
        ticket.last_staff_reply_at = now
    if caller.role in workflow.STAFF_ROLES and visibility == "public":
        ticket.first_response_at = ticket.first_response_at or now
    else:
        if caller.role in workflow.CUSTOMER_ROLES:
            ticket.last_customer_activity_at = now
    data = {"message_id": message.id, "body": body, "visibility": visibility}
    if approved:
        data["approved"] = True  # held on arrival, approved by staff
    event = append_event(
        ticket,
        "message",
        caller,
        data,
        visibility=visibility,
        device_time=device_time,
        device=device,
        at=now,
    )
    if new_status != ticket.status:
        previous, ticket.status = ticket.status, new_status
        append_event(
            ticket,
            "status_changed",
            None,
            {"from": previous, "to": new_status, "reason": f"{caller.role} replied"},
            at=now,
        )
    if new_status != previous_status or (awaiting_first_response and ticket.first_response_at):
        # Due times move only with the status and the first response; a reply that
        # changes neither leaves them (the SLA job fixes any a policy change staled).
        sla.refresh(ticket)
    notify(ticket, event, caller, wording("message", ticket=ticket)["title"], body)


def visible_messages(caller: Caller, ticket_id: int, cursor: str | None, limit: int) -> dict:
    """A ticket's messages the caller may read, oldest first (by server arrival), a page
    at a time; the cursor is the last message's arrival time and id."""
    ticket = get_visible_ticket(caller, ticket_id)
    query = select(Message).where(Message.ticket_id == ticket.id, message_scope(caller))
    if cursor:
        received_at, message_id = _decode(cursor)
        query = query.where(
            or_(
                Message.received_at > received_at,
                and_(Message.received_at == received_at, Message.id > message_id),
            )
        )
    rows = db.session.scalars(
        query.order_by(Message.received_at, Message.id).limit(limit + 1)
    ).all()
    items = rows[:limit]
    next_cursor = _encode(items[-1]) if len(rows) > limit else None
    return {"items": items, "next_cursor": next_cursor}


def _encode(message: Message) -> str:
    raw = json.dumps([message.received_at.isoformat(), message.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, message_id = json.loads(raw)
        received_at = datetime.fromisoformat(when)
        if received_at.tzinfo is None or not isinstance(message_id, str):
            raise ValueError
        return received_at, message_id
    except (ValueError, TypeError, UnicodeDecodeError, binascii.Error):
        raise Invalid("The cursor is not valid.", errors={"cursor": ["invalid cursor"]}) from None
