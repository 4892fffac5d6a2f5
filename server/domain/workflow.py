"""The ticket state machine and triage rule, as pure functions of (role, ticket state).

Roles: tenant, contractor, staff, admin. The API layer maps a refusal to 403 (the
role may never do it) or 409 (not now, given the ticket's state).
"""

from dataclasses import dataclass

STATUSES = ("new", "open", "on_hold", "resolved", "closed")
PRIORITIES = ("unassigned", "low", "normal", "high", "critical")
TICKET_VISIBILITIES = ("management", "unit", "block")
BILLING = ("chargeable", "included")
STAFF_ROLES = ("staff", "admin")
CUSTOMER_ROLES = ("tenant", "contractor")

ACTIVE = ("new", "open", "on_hold")
# The ticket list's orders and SLA states (server.services.ticket_sorts).
QUEUE_SORTS = ("newest", "updated", "due", "priority")
SLA_STATES = ("ok", "warning", "breached")
FINISHED = ("resolved", "closed")


class Refused(Exception):
    """A move the rules do not allow; `forbidden` means the role never may (403)."""

    def __init__(self, code: str, detail: str, forbidden: bool = False):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.forbidden = forbidden


@dataclass(frozen=True)
class TicketState:
    status: str
    type: str
    priority: str
    billing: str
    triaged: bool
    awaiting_payment: bool = False
    # Chargeable work: an invoice of the ticket is paid in full and none is outstanding.
    paid_in_full: bool = False


def needs_triage(state: TicketState) -> bool:
    """A tenant report must get a real type and priority before staff do anything else."""
    return not state.triaged and (state.type == "new_enquiry" or state.priority == "unassigned")


def check_staff_update(state: TicketState) -> None:
    if needs_triage(state):
        raise Refused(
            "ticket_not_triaged",
            "Set the ticket's type and priority (POST .../triage) before any other update.",
        )


def status_after_reply(status: str, role: str, visibility: str) -> str:
    """Staff answering publicly waits on others; a tenant or contractor reply wants staff."""
    if role in STAFF_ROLES:
        return "on_hold" if visibility == "public" and status in ("new", "open") else status
    return "open" if status in ("new", "on_hold") else status


def check_status_change(state: TicketState, role: str, target: str) -> None:
    """Raise Refused unless `role` may move a ticket in `state` to `target`."""
    current = state.status
    if target not in STATUSES:
        raise Refused("unknown_status", f"Unknown status {target!r}.")
    if target == current:
        raise Refused("status_unchanged", f"The ticket is already {current}.")
    if role in STAFF_ROLES:
        check_staff_update(state)
        if target == "new":
            raise Refused("illegal_status_move", "A ticket cannot go back to new.")
    elif role == "tenant":
        if target == "open" and current not in FINISHED:
            raise Refused("illegal_status_move", "Only a resolved or closed ticket is reopened.")
        if target not in ("open", "closed"):
            raise Refused(
                "forbidden_status_move", "Tenants may close or reopen a ticket.", forbidden=True
            )
    elif role == "contractor":
        if target == "open" and current not in FINISHED:
            raise Refused("illegal_status_move", "Only a resolved or closed ticket is reopened.")
        if target not in ("open", "resolved", "closed"):
            raise Refused(
                "forbidden_status_move",
                "Contractors may resolve, close or reopen a ticket.",
                forbidden=True,
            )
    else:
        raise Refused("forbidden_status_move", "Not allowed.", forbidden=True)
    if target == "resolved" and current == "closed":
        raise Refused("illegal_status_move", "Reopen a closed ticket before resolving it.")
    if target == "closed":
        check_can_close(state)


def check_can_close(state: TicketState) -> None:
    """Chargeable work closes only when its invoice is paid in full."""
    if state.billing == "chargeable" and state.awaiting_payment:
        raise Refused(
            "ticket_awaiting_payment",
            "This chargeable ticket closes when its invoice is paid in full.",
        )


def check_edit(state: TicketState) -> None:
    """Staff edit a ticket's details (summary, unit, manager, deadline...) once it is
    triaged and until it is closed (reopen it first)."""
    check_staff_update(state)
    if state.status == "closed":
        raise Refused("ticket_closed", "The ticket is closed; reopen it before editing.")


def check_mark_duplicate(state: TicketState) -> None:
    """A ticket closes as a duplicate of another (triaged or not: spotting a duplicate
    is part of triage), unless it is closed already or waits for its invoice."""
    if state.status == "closed":
        raise Refused("ticket_closed", "The ticket is already closed.")
    check_can_close(state)
