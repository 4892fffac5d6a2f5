"""Assigning contractors to tickets and ending assignments (both logged, never edited).

Both take the transaction's sync number (which locks the counter row until commit)
before they touch an assignment row: a committing writer that holds the counter
stamps the assignment rows of other tickets of a unit or block (server.changes), and
would otherwise wait for a row that our transaction holds while we wait for it.
"""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from server.auth import Caller
from server.changes import reserve_sequence
from server.db import utcnow
from server.errors import Conflict, Invalid, NotFound
from server.extensions import db
from server.models import Assignment, Ticket, TicketContractor, User
from server.scope import get_visible_ticket
from server.services.notify import notify, wording
from server.services.rules import check_staff, check_staff_update
from server.services.timeline import append_event


def _contractor(contractor_id: int) -> User:
    user = db.session.get(User, contractor_id)
    if user is None or user.role != "contractor" or not user.is_active:
        raise Invalid(
            "Unknown contractor.",
            errors={"contractor_id": [f"no active contractor with id {contractor_id}"]},
        )
    return user


def start_assignment(
    ticket: Ticket, contractor: User, caller: Caller, *, check_triage: bool = True
) -> TicketContractor:
    if check_triage:
        check_staff_update(ticket)
    reserve_sequence()  # before the assignment row: see the module docstring
    now = utcnow()
    link = db.session.get(TicketContractor, (ticket.id, contractor.id))
    if link is not None and link.active:
        raise Conflict("This contractor is already assigned.", code="already_assigned")
    if link is None:
        link = TicketContractor(ticket_id=ticket.id, contractor_id=contractor.id)
        db.session.add(link)
    link.active, link.started_at, link.ended_at = True, now, None
    db.session.add(
        Assignment(
            ticket_id=ticket.id,
            contractor_id=contractor.id,
            action="start",
            by_id=caller.id,
            at=now,
        )
    )
    event = append_event(
        ticket,
        "assigned",
        caller,
        {"contractor_id": contractor.id, "contractor_name": contractor.name},
        at=now,
    )
    words = wording("assigned", ticket=ticket, contractor=contractor)
    notify(ticket, event, caller, words["title"], words["body"], extra_recipients=(contractor,))
    return link


def assign(caller: Caller, ticket_id: int, contractor_id: int) -> TicketContractor:
    ticket = get_visible_ticket(caller, ticket_id, for_update=True)
    check_staff(caller)
    return start_assignment(ticket, _contractor(contractor_id), caller)


def end_assignment(caller: Caller, ticket_id: int, contractor_id: int) -> TicketContractor:
    ticket = get_visible_ticket(caller, ticket_id, for_update=True)
    check_staff(caller)
    check_staff_update(ticket)
    reserve_sequence()  # before the assignment row: see the module docstring
    link = db.session.get(TicketContractor, (ticket.id, contractor_id))
    if link is None or not link.active:
        raise NotFound("This contractor is not assigned to the ticket.", code="not_assigned")
    now = utcnow()
    link.active, link.ended_at = False, now
    db.session.add(
        Assignment(
            ticket_id=ticket.id, contractor_id=contractor_id, action="end", by_id=caller.id, at=now
        )
    )
    contractor = db.session.get(User, contractor_id)
    append_event(
        ticket,
        "unassigned",
        caller,
        {"contractor_id": contractor_id, "contractor_name": contractor.name},
        at=now,
    )
    return link


def end_all_assignments(ticket: Ticket, actor: Caller | None, now) -> None:
    """A closed ticket has no assignees: end every active assignment (logged, with an
    `unassigned` event each). A close by the system (payment, included work) logs the
    end in the name of whoever started the assignment."""
    active = db.session.scalars(
        select(TicketContractor)
        .where(TicketContractor.ticket_id == ticket.id, TicketContractor.active.is_(True))
        .order_by(TicketContractor.contractor_id)
    ).all()
    if not active:
        return
    reserve_sequence()  # the assignment rows are already read, but none written yet
    for link in active:
        link.active, link.ended_at = False, now
        started_by = db.session.scalar(
            select(Assignment.by_id)
            .where(
                Assignment.ticket_id == ticket.id,
                Assignment.contractor_id == link.contractor_id,
                Assignment.action == "start",
            )
            .order_by(Assignment.id.desc())
            .limit(1)
        )
        db.session.add(
            Assignment(
                ticket_id=ticket.id,
                contractor_id=link.contractor_id,
                action="end",
                by_id=actor.id if actor is not None else started_by,
                at=now,
            )
        )
        append_event(
            ticket,
            "unassigned",
            actor,
            {
                "contractor_id": link.contractor_id,
                "contractor_name": link.contractor.name,
                "reason": "ticket closed",
            },
            at=now,
        )


def assignees(ticket: Ticket, *, active_only: bool = True) -> list[TicketContractor]:
    query = (
        select(TicketContractor)
        .where(TicketContractor.ticket_id == ticket.id)
        .options(selectinload(TicketContractor.contractor))  # contractor_name, one query
    )
    if active_only:
        query = query.where(TicketContractor.active.is_(True))
    return db.session.scalars(query.order_by(TicketContractor.started_at)).all()
