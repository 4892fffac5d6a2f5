"""What a staff member's dashboard shows, each a bounded query over their scope:
latest updates, counts by status, my queue, SLA watch, untriaged reports and
unanswered customer replies. Read only."""

from sqlalchemy import case, func, or_, select, tuple_
from sqlalchemy.orm import selectinload

from server.auth import Caller
from server.domain.workflow import ACTIVE, STATUSES
from server.extensions import db
from server.models import Message, SlaPolicy, Ticket, TicketEvent
from server.scope import ticket_scope, visible_tickets

STAFF = ("staff", "admin")
LIST_LIMIT = 10


def _with_people(query):
    return query.options(
        selectinload(Ticket.block), selectinload(Ticket.unit), selectinload(Ticket.reporter)
    )


def status_counts(caller: Caller) -> dict[str, int]:
    rows = db.session.execute(
        select(Ticket.status, func.count()).where(ticket_scope(caller)).group_by(Ticket.status)
    ).all()
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: count for status, count in rows})
    return counts


def latest_updates(caller: Caller, limit: int = LIST_LIMIT) -> list[Ticket]:
    """Tickets in scope, the one where anything happened last first."""
    query = visible_tickets(caller).order_by(Ticket.updated_at.desc(), Ticket.id.desc())
    return db.session.scalars(_with_people(query).limit(limit)).all()


def last_events(tickets: list[Ticket]) -> dict[int, TicketEvent]:
    """Each ticket's newest timeline event (who did the last thing), in one query."""
    keys = [(t.id, t.event_count) for t in tickets if t.event_count]
    if not keys:
        return {}
    events = db.session.scalars(
        select(TicketEvent)
        .where(tuple_(TicketEvent.ticket_id, TicketEvent.position).in_(keys))
        .options(selectinload(TicketEvent.author))
    ).all()
    return {event.ticket_id: event for event in events}


def my_queue(caller: Caller, limit: int = LIST_LIMIT) -> list[Ticket]:
    """Active tickets the caller manages or owns, the oldest update first."""
    query = visible_tickets(caller).where(
        Ticket.status.in_(ACTIVE), or_(Ticket.manager_id == caller.id, Ticket.owner_id == caller.id)
    )
    query = query.order_by(Ticket.updated_at.asc(), Ticket.id)
    return db.session.scalars(_with_people(query).limit(limit)).all()


def next_due():
    """The due time that runs now: first response until there is one, then resolution."""
    return case(
        (Ticket.first_response_at.is_(None), Ticket.sla_response_due_at),
        else_=Ticket.sla_resolution_due_at,
    )


def sla_watch(caller: Caller, limit: int = LIST_LIMIT) -> list[Ticket]:
    """Active tickets with a running SLA clock, the most overdue or soonest due first."""
    due = next_due()
    query = visible_tickets(caller).where(Ticket.status.in_(("new", "open")), due.is_not(None))
    query = query.order_by(due.asc(), Ticket.id)
    return db.session.scalars(_with_people(query).limit(limit)).all()


def untriaged(caller: Caller, limit: int = LIST_LIMIT) -> list[Ticket]:
    """New reports nobody has triaged yet, oldest first."""
    query = visible_tickets(caller).where(Ticket.status == "new", Ticket.triaged_at.is_(None))
    return db.session.scalars(_with_people(query.order_by(Ticket.id)).limit(limit)).all()


def unanswered(caller: Caller, limit: int = LIST_LIMIT) -> list[Ticket]:
    """Active tickets whose tenant or contractor spoke last: no staff message since."""
    last_staff = (
        select(func.max(Message.created_at))
        .where(Message.ticket_id == Ticket.id, Message.author_role.in_(STAFF))
        .correlate(Ticket)
        .scalar_subquery()
    )
    query = visible_tickets(caller).where(
        Ticket.status.in_(ACTIVE),
        Ticket.last_customer_activity_at.is_not(None),
        or_(last_staff.is_(None), Ticket.last_customer_activity_at > last_staff),
    )
    query = query.order_by(Ticket.last_customer_activity_at.asc(), Ticket.id)
    return db.session.scalars(_with_people(query).limit(limit)).all()


def warning_percents() -> dict[str, int]:
    """Each priority's SLA warning threshold (percent of the allowed time used)."""
    return {
        row.priority: row.warning_percent for row in db.session.scalars(select(SlaPolicy)).all()
    }
