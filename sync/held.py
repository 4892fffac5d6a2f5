"""Staff review of held work (server.services.held_work): list it, approve or reject it.

Approving makes the record count as if it had arrived in time, through each kind's
own owner: a message is published (its event at its visibility, the workflow's status
move, notifications), a delivery note applies its effect (resolves the ticket, or on a
chargeable ticket signals billing to draft the invoice), hours and materials become
billable (the next draft includes them). Rejecting leaves the record in the history,
marked rejected, never billed. Either way the device's pending-conflict count drops
by the one the hold added.
"""

from sqlalchemy import case, select, update

from delivery_notes import service as delivery_note_service
from delivery_notes.models import DeliveryNote
from server.auth import Caller
from server.changes import stamp_as_new
from server.db import utcnow
from server.errors import Conflict, NotFound
from server.extensions import db
from server.models import Device, HeldWork, Message, Ticket, User
from server.models.work import HELD_KINDS
from server.scope import get_visible_ticket
from server.services import messages
from server.services.rules import check_staff
from server.services.timeline import append_event


def list_held(caller: Caller, ticket_id: int) -> list[HeldWork]:
    """The ticket's held work, decided or not, oldest first (staff)."""
    get_visible_ticket(caller, ticket_id)
    check_staff(caller)
    return db.session.scalars(
        select(HeldWork).where(HeldWork.ticket_id == ticket_id).order_by(HeldWork.id)
    ).all()


def decide(caller: Caller, ticket_id: int, kind: str, record_id: str, approve: bool) -> HeldWork:
    """Approve or reject one held record of the ticket (staff). Deciding twice is 409."""
    ticket = get_visible_ticket(caller, ticket_id, for_update=True)
    check_staff(caller)
    row = None
    if kind in HELD_KINDS:
        row = db.session.scalar(
            select(HeldWork)
            .where(
                HeldWork.ticket_id == ticket.id,
                HeldWork.kind == kind,
                HeldWork.record_id == record_id,
            )
            .with_for_update()
        )
    if row is None:
        raise NotFound("No such held work on this ticket.", code="held_work_not_found")
    if row.status != "held":
        raise Conflict(f"This work was {row.status} already.", code="held_work_decided")
    row.status = "approved" if approve else "rejected"
    row.decided_at = utcnow()
    row.decided_by_id = caller.id
    append_event(
        ticket,
        f"held_work_{row.status}",
        caller,
        {"table": kind, "id": record_id, "contractor_id": row.contractor_id},
        visibility="staff",
    )
    if approve:
        _apply(caller, ticket, kind, record_id)
    if row.device_id is not None:
        pending = Device.pending_conflicts
        db.session.execute(
            update(Device)
            .where(Device.id == row.device_id)
            .values(pending_conflicts=case((pending > 0, pending - 1), else_=0))
        )
    db.session.flush()
    return row


def _apply(caller: Caller, ticket: Ticket, kind: str, record_id: str) -> None:
    """What the approved record does now (hours and materials: billing reads the status)."""
    if kind == "ticket_messages":
        message = db.session.get(Message, record_id)
        author = Caller(db.session.get(User, message.author_id), None)
        messages.publish_held(author, ticket, message)
        stamp_as_new(message)  # devices on the ticket receive it now, as new
    elif kind == "delivery_notes":
        note = db.session.get(DeliveryNote, record_id)
        delivery_note_service.apply_approved(caller, ticket, note)
