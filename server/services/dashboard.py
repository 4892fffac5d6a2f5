"""What a staff member's dashboard shows, each a bounded query over their scope:
latest updates, counts by status, my queue, SLA watch, untriaged reports and
unanswered customer replies. Read only."""

from datetime import timedelta

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.orm import selectinload

from server.auth import Caller
from server.db import utcnow
from server.domain.workflow import ACTIVE, STATUSES
from server.extensions import db
from server.models import SlaPolicy, Ticket, TicketEvent
from server.models.tickets import RESOLUTION_CLOCK, RESPONSE_CLOCK, UNTRIAGED
from server.scope import ticket_scope, visible_tickets
from server.services.ticket_counts import not_closed_counts

LIST_LIMIT = 10


def _with_people(query):
    return query.options(
        selectinload(Ticket.block), selectinload(Ticket.unit), selectinload(Ticket.reporter)
    )


CLOSED_RECENTLY_DAYS = 30


def status_counts(caller: Caller) -> dict[str, int]:
    """Tickets in scope per status; closed ones only when closed in the last 30 days.

    The open statuses come from the counts the database keeps per scope group
    (server.services.ticket_counts). Closed tickets are nearly all of an agency's
    history and need no one: those closed lately are counted through their index."""
    since = utcnow() - timedelta(days=CLOSED_RECENTLY_DAYS)
    closed = db.session.scalar(
        _walk(
            select(func.count())
            .select_from(Ticket)
            .where(ticket_scope(caller), Ticket.status == "closed", Ticket.closed_at >= since),
            "closed_at",
        )
    )
    counts = dict.fromkeys(STATUSES, 0)
    counts.update(not_closed_counts(caller))
    counts["closed"] = closed
    return counts


def latest_updates(caller: Caller, limit: int = LIST_LIMIT) -> list[Ticket]:
    """Tickets in scope, the one where anything happened last first."""
    query = visible_tickets(caller).order_by(Ticket.updated_at.desc(), Ticket.id.desc())
    return db.session.scalars(_with_people(query).limit(limit)).all()


def last_events(tickets: list[Ticket]) -> dict[int, TicketEvent]:
    """Each ticket's newest timeline event (who did the last thing), in one query: the
    event at the ticket's own `event_count` position (a unique index)."""
    ids = [t.id for t in tickets if t.event_count]
    if not ids:
        return {}
    events = db.session.scalars(
        select(TicketEvent)
        .join(
            Ticket,
            and_(Ticket.id == TicketEvent.ticket_id, Ticket.event_count == TicketEvent.position),
        )
        .where(Ticket.id.in_(ids))
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


def _walk(query, index: str):
    """SQLite's planner prefers the status index to a partial one whatever the
    statistics say; it is told (PostgreSQL's planner finds the partial index itself)."""
    return query.with_hint(Ticket, f"INDEXED BY ix_tickets_{index}", dialect_name="sqlite")


def sla_watch(caller: Caller, limit: int = LIST_LIMIT) -> list[Ticket]:
    """Tickets new or open with a running SLA clock (first response until there is
    one, then resolution), the most overdue or soonest due first: the first `limit` of
    each clock from its partial index, merged."""
    response = _walk(visible_tickets(caller).where(text(RESPONSE_CLOCK)), "response_clock")
    resolution = _walk(visible_tickets(caller).where(text(RESOLUTION_CLOCK)), "resolution_clock")
    found = (
        db.session.scalars(
            _with_people(response.order_by(Ticket.sla_response_due_at, Ticket.id)).limit(limit)
        ).all()
        + db.session.scalars(
            _with_people(resolution.order_by(Ticket.sla_resolution_due_at, Ticket.id)).limit(limit)
        ).all()
    )
    return sorted(found, key=_running_due)[:limit]


def _running_due(ticket: Ticket):
    if ticket.first_response_at is None:
        return ticket.sla_response_due_at, ticket.id
    return ticket.sla_resolution_due_at, ticket.id


def untriaged(caller: Caller, limit: int = LIST_LIMIT) -> list[Ticket]:
    """New reports nobody has triaged yet, oldest first."""
    query = _walk(visible_tickets(caller).where(text(UNTRIAGED)), "untriaged").order_by(Ticket.id)
    return db.session.scalars(_with_people(query).limit(limit)).all()


def unanswered(caller: Caller, limit: int = LIST_LIMIT) -> list[Ticket]:
    """Active tickets whose tenant or contractor acted after staff last wrote to them
    (a public or team message), the longest waiting first."""
    query = visible_tickets(caller).where(
        Ticket.status.in_(ACTIVE),
        Ticket.last_customer_activity_at.is_not(None),
        or_(
            Ticket.last_staff_reply_at.is_(None),
            Ticket.last_customer_activity_at > Ticket.last_staff_reply_at,
        ),
    )
    query = query.order_by(Ticket.last_customer_activity_at.asc(), Ticket.id)
    return db.session.scalars(_with_people(query).limit(limit)).all()


def warning_percents() -> dict[str, int]:
    """Each priority's SLA warning threshold (percent of the allowed time used)."""
    return {
        row.priority: row.warning_percent for row in db.session.scalars(select(SlaPolicy)).all()
    }
