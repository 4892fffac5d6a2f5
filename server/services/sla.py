"""SLA clocks of a ticket, derived from its timeline each time (never stored state to drift).

The ticket keeps the resulting due times only so lists can filter on them; they are
recomputed after every status move and triage, and by the worker.
"""

import json
from functools import lru_cache

from flask import current_app
from sqlalchemy import select

from server.db import utcnow
from server.domain.sla import (
    BusinessCalendar,
    SlaPolicy,
    SlaState,
    StatusChange,
    named_calendar,
    sla_state,
)
from server.extensions import db
from server.models import Holiday, Ticket, TicketEvent
from server.models import SlaPolicy as SlaPolicyRow


@lru_cache(maxsize=16)
def _calendar(name: str, timezone: str, holidays: frozenset) -> BusinessCalendar:
    return named_calendar(name, timezone, holidays)


def calendar(name: str = "office_hours") -> BusinessCalendar:
    """The calendar a priority's clocks run on (its policy's `calendar`)."""
    holidays = frozenset(db.session.scalars(select(Holiday.day))) if name != "always" else ()
    return _calendar(name, current_app.config["TIMEZONE"], frozenset(holidays))


def _policy(row: SlaPolicyRow) -> SlaPolicy:
    return SlaPolicy(
        first_response_seconds=row.first_response_minutes and row.first_response_minutes * 60,
        resolution_seconds=row.resolution_minutes and row.resolution_minutes * 60,
        warning_percent=row.warning_percent,
    )


def policy_for(priority: str) -> tuple[SlaPolicy, str] | None:
    """The priority's targets and the name of its calendar; None without a policy."""
    row = db.session.get(SlaPolicyRow, priority)
    if row is None:
        return None
    return _policy(row), row.calendar


def policies() -> dict[str, tuple[SlaPolicy, BusinessCalendar]]:
    """Every priority's targets and calendar, in two queries (reports, exports)."""
    rows = db.session.scalars(select(SlaPolicyRow)).all()
    return {row.priority: (_policy(row), calendar(row.calendar)) for row in rows}


def _change(at, data: str) -> StatusChange:
    return StatusChange(at=at, status=json.loads(data)["to"])


def states(tickets: list, now, known=None) -> dict[int, SlaState]:
    """`state` for many tickets at once: `tickets` are rows with id, priority, created_at
    and first_response_at; their status changes are read in one query. Tickets whose
    priority has no policy are left out. The clocks come from the same `sla_state`."""
    known = known if known is not None else policies()
    ids = [t.id for t in tickets if t.priority in known]
    changes: dict[int, list[StatusChange]] = {ticket_id: [] for ticket_id in ids}
    for start in range(0, len(ids), 5000):
        events = db.session.execute(
            select(TicketEvent.ticket_id, TicketEvent.created_at, TicketEvent.data)
            .where(
                TicketEvent.ticket_id.in_(ids[start : start + 5000]),
                TicketEvent.kind == "status_changed",
            )
            .order_by(TicketEvent.ticket_id, TicketEvent.position)
        )
        for ticket_id, at, data in events:
            changes[ticket_id].append(_change(at, data))
    found = {}
    for ticket in tickets:
        if ticket.priority not in known:
            continue
        policy, clock_calendar = known[ticket.priority]
        found[ticket.id] = sla_state(
            ticket.created_at,
            changes[ticket.id],
            ticket.first_response_at,
            policy,
            clock_calendar,
            now,
        )
    return found


def state(ticket: Ticket, now=None) -> SlaState | None:
    found = policy_for(ticket.priority)
    if found is None:
        return None
    policy, calendar_name = found
    events = db.session.execute(
        select(TicketEvent.created_at, TicketEvent.data)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "status_changed")
        .order_by(TicketEvent.position)
    ).all()
    changes = [_change(at, data) for at, data in events]
    return sla_state(
        ticket.created_at,
        changes,
        ticket.first_response_at,
        policy,
        calendar(calendar_name),
        now or utcnow(),
    )


def refresh(ticket: Ticket, now=None) -> SlaState | None:
    """Recompute the ticket's due times from its timeline and current policy."""
    current = state(ticket, now)
    if current is None:
        ticket.sla_response_due_at = ticket.sla_resolution_due_at = None
        return None
    ticket.sla_response_due_at = current.first_response.due_at
    ticket.sla_resolution_due_at = current.resolution.due_at
    return current
