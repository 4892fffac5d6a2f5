"""Replies on a ticket, with the automatic status moves of the workflow."""

import uuid
from datetime import datetime

from server.auth import Caller
from server.db import utcnow
from server.domain import workflow
from server.errors import Forbidden
from server.extensions import db
from server.models import Device, Message, Ticket
from server.scope import WRITABLE, get_visible_ticket, is_participant
from server.services import sla
from server.services.notify import notify
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
) -> Message:
    """Reply on a ticket. Devices pass their own id and time; the server adds its time.

    Only people on the ticket reply: a neighbour who reads a block-published ticket, or a
    contractor whose assignment ended, may not (403). A caller passing `ticket` (sync)
    has scoped it itself, so a device's work from before its contractor was unassigned
    is still kept."""
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
    previous_status = ticket.status
    new_status = workflow.status_after_reply(ticket.status, caller.role, visibility)
    awaiting_first_response = ticket.first_response_at is None
    if caller.role in workflow.STAFF_ROLES and visibility == "public":
        ticket.first_response_at = ticket.first_response_at or now
    else:
        if caller.role in workflow.CUSTOMER_ROLES:
            ticket.last_customer_activity_at = now
    event = append_event(
        ticket,
        "message",
        caller,
        {"message_id": message.id, "body": body, "visibility": visibility},
        visibility=visibility,
        device_time=created_at if device else None,
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
    notify(ticket, event, caller, f"New message on {ticket.summary}", body)
    return message
