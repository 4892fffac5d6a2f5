"""Bridge from the pure workflow rules to ticket rows and HTTP-facing errors."""

from server.auth import Caller
from server.domain import workflow
from server.errors import Conflict, Forbidden
from server.models import Ticket


def state_of(ticket: Ticket) -> workflow.TicketState:
    return workflow.TicketState(
        status=ticket.status,
        type=ticket.type,
        priority=ticket.priority,
        billing=ticket.billing,
        triaged=ticket.triaged_at is not None,
        awaiting_payment=ticket.awaiting_payment,
        paid_in_full=ticket.paid_in_full,
    )


def refuse(refusal: workflow.Refused):
    """403 when the role may never do it, 409 when the ticket's state says not now."""
    if refusal.forbidden:
        return Forbidden(refusal.detail, code=refusal.code)
    return Conflict(refusal.detail, code=refusal.code)


def check_staff_update(ticket: Ticket) -> None:
    try:
        workflow.check_staff_update(state_of(ticket))
    except workflow.Refused as refusal:
        raise refuse(refusal) from None


def check_staff(caller: Caller) -> None:
    """Staff-only actions on a ticket the caller can see answer 403 to everyone else;
    callers check scope first, so a ticket outside it stays a 404."""
    if caller.role not in workflow.STAFF_ROLES:
        raise Forbidden("Only staff may do this.")
