"""Staff edits of a ticket after it was reported: details, people, deadline, owner, and
closing it as a duplicate of another. Every change is one timeline event with the old
and new value of each field it changed."""

from sqlalchemy import select

from server.auth import Caller
from server.domain import workflow
from server.errors import Conflict, Invalid
from server.extensions import db
from server.models import Department, Ticket, Unit, User
from server.scope import get_visible_ticket
from server.services import notify as notifications
from server.services.rules import check_staff, refuse, state_of
from server.services.tickets import apply_status
from server.services.timeline import append_event

EDITABLE = (
    "summary",
    "description",
    "visibility",
    "unit_id",
    "manager_id",
    "owner_id",
    "department_id",
    "deadline_at",
)


def _staff_member(user_id: int | None, field: str) -> None:
    if user_id is None:
        return
    user = db.session.get(User, user_id)
    if user is None or user.role not in workflow.STAFF_ROLES or not user.is_active:
        raise Invalid(
            "Unknown staff member.", errors={field: [f"no active staff with id {user_id}"]}
        )


def _check_values(ticket: Ticket, changes: dict) -> None:
    if changes.get("unit_id") is not None:
        unit = db.session.get(Unit, changes["unit_id"])
        if unit is None or unit.block_id != ticket.block_id:
            raise Invalid("Unknown unit.", errors={"unit_id": ["not a unit of the ticket's block"]})
    _staff_member(changes.get("manager_id"), "manager_id")
    _staff_member(changes.get("owner_id"), "owner_id")
    department_id = changes.get("department_id")
    if department_id is not None and db.session.get(Department, department_id) is None:
        raise Invalid("Unknown department.", errors={"department_id": ["unknown department"]})


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def update_ticket(caller: Caller, ticket_id: int, changes: dict) -> Ticket:
    """Change the given fields; 409 before triage and on a closed ticket."""
    ticket = get_visible_ticket(caller, ticket_id, for_update=True)
    check_staff(caller)
    try:
        workflow.check_edit(state_of(ticket))
    except workflow.Refused as refusal:
        raise refuse(refusal) from None
    _check_values(ticket, changes)
    diff = {
        field: {"from": _plain(getattr(ticket, field)), "to": _plain(changes[field])}
        for field in EDITABLE
        if field in changes and getattr(ticket, field) != changes[field]
    }
    if not diff:
        return ticket
    for field in diff:
        setattr(ticket, field, changes[field])
    event = append_event(ticket, "updated", caller, {"changes": diff}, visibility="team")
    _tell(ticket, event, caller, diff)
    return ticket


def _tell(ticket: Ticket, event, caller: Caller, diff: dict) -> None:
    """Who hears about an edit (one message per person): everyone on the ticket of a
    new deadline; a new department's members; a new owner or manager."""
    extra = []
    if "department_id" in diff:
        extra += notifications.department_members_of(ticket)
    for field in ("owner_id", "manager_id"):
        if diff.get(field, {}).get("to") is not None:
            extra.append(db.session.get(User, diff[field]["to"]))
    if not extra and "deadline_at" not in diff:
        return
    words = notifications.wording("updated", ticket=ticket, diff=diff)
    notifications.notify(
        ticket,
        event,
        caller,
        words["title"],
        words["body"],
        extra_recipients=tuple(extra),
        on_ticket="deadline_at" in diff,
    )


def mark_duplicate(caller: Caller, ticket_id: int, original_id: int) -> Ticket:
    """Close `ticket_id` as a duplicate of `original_id`: both link to each other, the
    reporter is told which ticket to follow instead."""
    if original_id == ticket_id:
        raise Invalid(
            "A ticket cannot duplicate itself.", errors={"duplicate_of": ["the same ticket"]}
        )
    get_visible_ticket(caller, ticket_id)  # outside scope: 404 before the role's 403
    check_staff(caller)
    # Lock both in id order, as every writer locking two tickets must.
    first, second = sorted((ticket_id, original_id))
    locked = {t: get_visible_ticket(caller, t, for_update=True) for t in (first, second)}
    ticket, original = locked[ticket_id], locked[original_id]
    if original.duplicate_of_id is not None:
        raise Conflict(
            f"{original.ref} is itself a duplicate; link to the ticket it duplicates.",
            code="duplicate_of_duplicate",
        )
    try:
        workflow.check_mark_duplicate(state_of(ticket))
    except workflow.Refused as refusal:
        raise refuse(refusal) from None
    ticket.duplicate_of_id = original.id
    append_event(
        ticket, "marked_duplicate", caller, {"duplicate_of": original.id, "ref": original.ref}
    )
    append_event(
        original,
        "duplicate_linked",
        caller,
        {"duplicate": ticket.id, "ref": ticket.ref},
        visibility="team",
    )
    apply_status(ticket, "closed", caller, f"Duplicate of {original.ref}; follow it there.")
    return ticket


def duplicates_of(ticket: Ticket) -> list[int]:
    return db.session.scalars(
        select(Ticket.id).where(Ticket.duplicate_of_id == ticket.id).order_by(Ticket.id)
    ).all()
