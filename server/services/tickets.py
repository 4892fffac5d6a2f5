"""Ticket verbs: report, triage, change status. Each takes the acting caller explicitly."""

from datetime import datetime

from flask import current_app
from sqlalchemy import select

from server.auth import Caller
from server.db import utcnow
from server.domain import closing, workflow
from server.errors import Forbidden, Invalid
from server.extensions import db
from server.models import Block, Department, Ticket, TicketType, Unit, User
from server.scope import current_units, get_visible_ticket, is_participant
from server.services import sla
from server.services.assignments import end_all_assignments, start_assignment
from server.services.counters import next_value
from server.services.notify import (
    admins_who_want_new_tickets,
    department_members_of,
    notify,
    wording,
)
from server.services.rules import check_staff, refuse, state_of
from server.services.timeline import append_event

STAFF = workflow.STAFF_ROLES


def _check_type(name: str) -> None:
    known = db.session.scalar(
        select(TicketType.name).where(TicketType.name == name, TicketType.active.is_(True))
    )
    if known is None:
        raise Invalid("Unknown ticket type.", errors={"type": [f"unknown type {name!r}"]})


def _user_with_role(user_id: int, role: str, field: str) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.role != role or not user.is_active:
        raise Invalid(f"Unknown {role}.", errors={field: [f"no active {role} with id {user_id}"]})
    return user


def _tenant_lives_in(tenant_id: int, block: Block, unit: Unit | None) -> bool:
    homes = select(Unit.id).where(Unit.block_id == block.id, Unit.id.in_(current_units(tenant_id)))
    if unit is not None:
        homes = homes.where(Unit.id == unit.id)
    return db.session.scalar(homes.limit(1)) is not None


def report_ticket(
    caller: Caller,
    *,
    summary: str,
    description: str,
    block_id: int,
    unit_id: int | None = None,
    visibility: str | None = None,
    type: str | None = None,
    priority: str | None = None,
    billing: str | None = None,
    bill_to: str | None = None,
    department_id: int | None = None,
    reporter_id: int | None = None,
    addressed_to_id: int | None = None,
    deadline_at: datetime | None = None,
) -> Ticket:
    """Open a ticket. Tenants and contractors report untriaged problems; staff may set
    type, priority, billing and department, report for a tenant (`reporter_id`) or
    address a tenant (`addressed_to_id`)."""
    block, unit = _place(block_id, unit_id)
    _check_staff_only(
        caller,
        type=type,
        priority=priority,
        billing=billing,
        bill_to=bill_to,
        department_id=department_id,
        reporter_id=reporter_id,
        addressed_to_id=addressed_to_id,
        deadline_at=deadline_at,
    )
    if caller.role == "tenant" and not _tenant_lives_in(caller.user.id, block, unit):
        raise Invalid(
            "You can report problems only for the home you live in.",
            errors={"block_id": ["no current tenancy here"]},
        )
    if reporter_id is not None:
        reporter_id = _user_with_role(reporter_id, "tenant", "reporter_id").id
    if addressed_to_id is not None:
        addressed_to_id = _user_with_role(addressed_to_id, "tenant", "addressed_to_id").id
    if department_id is not None and not db.session.get(Department, department_id):
        raise Invalid("Unknown department.", errors={"department_id": ["unknown department"]})
    by_staff = caller.role in STAFF
    ticket_type = type or ("general" if by_staff else "new_enquiry")
    _check_type(ticket_type)
    now = utcnow()
    ticket = Ticket(
        ref=f"T-{next_value('ticket_ref'):06d}",
        summary=summary,
        description=description,
        type=ticket_type,
        priority=priority or ("normal" if by_staff else "unassigned"),
        status="new",
        visibility=visibility or "management",
        billing=billing or "included",
        bill_to=bill_to,
        block_id=block.id,
        unit_id=unit.id if unit else None,
        department_id=department_id or block.department_id,
        manager_id=block.manager_id,
        reporter_id=reporter_id or caller.user.id,
        addressed_to_id=addressed_to_id,
        deadline_at=deadline_at,
        created_at=now,
        updated_at=now,
        triaged_at=now if by_staff else None,
        last_customer_activity_at=None if by_staff else now,
    )
    db.session.add(ticket)
    db.session.flush()
    _announce_report(ticket, caller, now)
    return ticket


def _place(block_id: int, unit_id: int | None) -> tuple[Block, Unit | None]:
    """The block reported about and, if given, its unit (a unit of another block is
    unknown here)."""
    block = db.session.get(Block, block_id)
    if block is None:
        raise Invalid("Unknown block.", errors={"block_id": ["unknown block"]})
    if unit_id is None:
        return block, None
    unit = db.session.get(Unit, unit_id)
    if unit is None or unit.block_id != block.id:
        raise Invalid("Unknown unit.", errors={"unit_id": ["not a unit of this block"]})
    return block, unit


def _check_staff_only(caller: Caller, **staff_fields) -> None:
    """Tenants and contractors report a problem; the rest of a ticket is set by staff."""
    given = sorted(name for name, value in staff_fields.items() if value is not None)
    if caller.role not in STAFF and given:
        raise Forbidden(f"Only staff may set {', '.join(given)}.")


def _announce_report(ticket: Ticket, caller: Caller, now: datetime) -> None:
    """The `reported` event, a contractor's own assignment, the SLA clocks and the
    notifications (the department and the admins who asked, and the reporter)."""
    event = append_event(
        ticket,
        "reported",
        caller,
        {
            "summary": ticket.summary,
            "description": ticket.description,
            "type": ticket.type,
            "priority": ticket.priority,
            "billing": ticket.billing,
            "visibility": ticket.visibility,
            "block_id": ticket.block_id,
            "unit_id": ticket.unit_id,
            "reporter_id": ticket.reporter_id,
            "addressed_to_id": ticket.addressed_to_id,
        },
        at=now,
    )
    if caller.role == "contractor":
        start_assignment(ticket, caller.user, caller, check_triage=False)
    sla.refresh(ticket)
    words = wording("reported", ticket=ticket)
    notify(
        ticket,
        event,
        caller,
        words["title"],
        words["body"],
        extra_recipients=(*department_members_of(ticket), *admins_who_want_new_tickets()),
        actor_title=words["actor_title"],
    )


def triage(
    caller: Caller,
    ticket_id: int,
    *,
    type: str,
    priority: str,
    billing: str | None = None,
    department_id: int | None = None,
    deadline_at: datetime | None = None,
) -> Ticket:
    """Give a reported ticket a real type and priority (and billing, department,
    deadline): its SLA clocks start; a new department is told."""
    ticket = get_visible_ticket(caller, ticket_id, for_update=True)
    check_staff(caller)
    _check_type(type)
    if priority == "unassigned" or type == "new_enquiry":
        raise Invalid(
            "Triage sets a real type and priority.",
            errors={"priority": ["choose a priority"], "type": ["choose a type"]},
        )
    changes = {"type": type, "priority": priority}
    if billing:
        changes["billing"] = billing
    if department_id is not None:
        if db.session.get(Department, department_id) is None:
            raise Invalid("Unknown department.", errors={"department_id": ["unknown department"]})
        changes["department_id"] = department_id
    previous = {k: getattr(ticket, k) for k in changes}
    for key, value in changes.items():
        setattr(ticket, key, value)
    if deadline_at is not None:
        changes["deadline_at"] = deadline_at.isoformat()
        ticket.deadline_at = deadline_at
    ticket.triaged_at = ticket.triaged_at or utcnow()
    event = append_event(
        ticket, "triaged", caller, {"from": previous, "to": changes}, visibility="team"
    )
    sla.refresh(ticket)
    moved = changes.get("department_id") not in (None, previous.get("department_id"))
    deadline = ticket.deadline_at.isoformat() if ticket.deadline_at else None
    words = wording("triaged", ticket=ticket, deadline=deadline)
    notify(
        ticket,
        event,
        caller,
        words["title"],
        words["body"],
        extra_recipients=tuple(department_members_of(ticket)) if moved else (),
    )
    return ticket


def change_status(
    caller: Caller,
    ticket_id: int,
    status: str,
    reason: str | None = None,
    *,
    device_time: datetime | None = None,
    ticket: Ticket | None = None,
) -> Ticket:
    """Resolve, close, reopen or hold a ticket, as the workflow allows the caller's role."""
    ticket = ticket or get_visible_ticket(caller, ticket_id, for_update=True)
    if caller.role not in STAFF and not is_participant(caller, ticket):
        raise Forbidden("Only people on this ticket may change its status.")
    try:
        workflow.check_status_change(state_of(ticket), caller.role, status)
    except workflow.Refused as refusal:
        raise refuse(refusal) from None
    apply_status(ticket, status, caller, reason, device_time=device_time)
    return ticket


def apply_status(
    ticket: Ticket,
    status: str,
    actor: Caller | None,
    reason: str | None = None,
    *,
    device_time: datetime | None = None,
) -> None:
    """Record a status move already checked against the rules (also used by billing)."""
    now = utcnow()
    previous = ticket.status
    ticket.status = status
    if status == "resolved":
        ticket.resolved_at = now
    elif status == "closed":
        ticket.closed_at = now
    elif status == "open" and previous in workflow.FINISHED:
        ticket.resolved_at = ticket.closed_at = None
    if actor is not None and actor.role in workflow.CUSTOMER_ROLES:
        ticket.last_customer_activity_at = now
    data = {"from": previous, "to": status}
    if reason:
        data["reason"] = reason
    event = append_event(ticket, "status_changed", actor, data, device_time=device_time, at=now)
    title = wording("status_changed", ticket=ticket, status=status)["title"]
    notify(ticket, event, actor, title, reason or title)
    if status == "closed":
        # Told first (above), then off the ticket: a closed ticket has no assignees.
        end_all_assignments(ticket, actor, now)
    if status == "resolved" and close_if_due(ticket, now=now):
        return
    sla.refresh(ticket)


def close_if_due(
    ticket: Ticket, *, settled_by: str | None = None, now: datetime | None = None
) -> bool:
    """Close a held ticket if the closing rule (server.domain.closing) says it closes now:
    called when it is resolved, when billing settles its invoice and by the worker.
    `ticket.closed` goes out from billing's flush hook, like every other close."""
    now = now or utcnow()
    resolved_for = (now - ticket.resolved_at).total_seconds() if ticket.resolved_at else 0.0
    reason = closing.close_reason(
        state_of(ticket),
        grace_seconds=current_app.config["INCLUDED_CLOSE_GRACE_SECONDS"],
        resolved_seconds=resolved_for,
        settled_by=settled_by,
    )
    if reason is None:
        return False
    apply_status(ticket, "closed", None, reason)
    return True
