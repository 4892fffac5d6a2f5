"""Worker jobs over tickets: record SLA warnings and breaches, close resolved work that
is due (the closing rule).

A breach or warning is recorded once per clock (`first_response`, `resolution`) as a
`staff` timeline event by the system, and staff on the ticket are notified. The
candidate query is exact and cheap: a clock has passed its warning threshold when
its stored due time is within the remaining business time of `now`, so only those
tickets are loaded and rechecked against the clocks derived from the timeline.
Each ticket is handled in its own short transaction, with its row locked (skipped
when another worker or a request holds it: the next pass takes it).
"""

import json
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, exists, false, or_, select

from server.domain import workflow
from server.domain.sla import ClockState
from server.extensions import db
from server.models import SlaPolicy, Ticket, TicketEvent
from server.services import sla
from server.services.notify import notify, wording
from server.services.tickets import close_if_due
from server.services.timeline import append_event

log = logging.getLogger(__name__)

BREACHED, WARNING = "sla_breached", "sla_warning"
# clock name, due-time column, policy target attribute, words for people
CLOCKS = (
    ("first_response", Ticket.sla_response_due_at, "first_response_minutes", "first response"),
    ("resolution", Ticket.sla_resolution_due_at, "resolution_minutes", "resolution"),
)
BATCH = 200
SLACK = timedelta(seconds=60)


def run(now: datetime) -> dict[str, int]:
    """The `sla` worker job."""
    counts = check_sla(now)
    counts["closed"] = close_resolved(now)
    return counts


def _recorded(kind: str, clock: str):
    # Event data is canonical JSON (sorted keys, no spaces), so this match is exact.
    return exists().where(
        TicketEvent.ticket_id == Ticket.id,
        TicketEvent.kind == kind,
        TicketEvent.data.like(f'%"clock":"{clock}"%'),
    )


def _candidates(now: datetime) -> list[int]:
    conditions = []
    for policy in db.session.scalars(select(SlaPolicy)):
        calendar = sla.calendar(policy.calendar)
        for clock, due_column, target_attr, _ in CLOCKS:
            minutes = getattr(policy, target_attr)
            if not minutes:
                continue
            remaining = minutes * 60 * (100 - policy.warning_percent) // 100
            warn_from = calendar.add_business_seconds(now, remaining) + SLACK
            conditions.append(
                and_(
                    Ticket.priority == policy.priority,
                    or_(
                        and_(due_column < now, ~_recorded(BREACHED, clock)),
                        and_(
                            due_column <= warn_from,
                            ~_recorded(WARNING, clock),
                            ~_recorded(BREACHED, clock),
                        ),
                    ),
                )
            )
    query = (
        select(Ticket.id)
        .where(Ticket.status.in_(workflow.ACTIVE), or_(false(), *conditions))
        .order_by(Ticket.id)
        .limit(BATCH)
    )
    return list(db.session.scalars(query))


def _lock(ticket_id: int) -> Ticket | None:
    query = select(Ticket).where(Ticket.id == ticket_id)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return db.session.scalar(query.execution_options(populate_existing=True))


def _recorded_clocks(ticket: Ticket) -> set[tuple[str, str]]:
    rows = db.session.execute(
        select(TicketEvent.kind, TicketEvent.data).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.kind.in_((BREACHED, WARNING))
        )
    )
    return {(kind, json.loads(data)["clock"]) for kind, data in rows}


def _local(moment: datetime) -> str:
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    return moment.astimezone(zone).strftime("%a %d %b %Y %H:%M %Z")


def _record(ticket: Ticket, kind: str, clock: str, words: str, state: ClockState) -> None:
    minutes = (state.target_seconds or 0) // 60
    if kind == BREACHED:
        data = {"clock": clock, "breached_at": state.breached_at.isoformat()}
        when = _local(state.breached_at)
        said = wording("sla_breached", ticket=ticket, words=words, minutes=minutes, when=when)
        ticket.sla_breached_at = min(ticket.sla_breached_at or state.breached_at, state.breached_at)
    else:
        data = {"clock": clock, "due_at": state.due_at.isoformat()}
        when = _local(state.due_at)
        said = wording("sla_warning", ticket=ticket, words=words, minutes=minutes, when=when)
    data["target_minutes"] = minutes
    event = append_event(ticket, kind, None, data, visibility="staff")
    notify(ticket, event, None, said["title"], said["body"])


def check_sla(now: datetime) -> dict[str, int]:
    """Record each clock's warning and breach once; returns how many were recorded."""
    counts = {"breaches": 0, "warnings": 0}
    for ticket_id in _candidates(now):
        try:
            ticket = _lock(ticket_id)
            current = sla.state(ticket, now) if ticket is not None else None
            if current is None:
                if ticket is not None:
                    sla.refresh(ticket, now)  # the policy went away: clear the due times
                db.session.commit()
                continue
            recorded = _recorded_clocks(ticket)
            changed = False
            for clock, _, _, words in CLOCKS:
                state = getattr(current, clock)
                if state.breached and (BREACHED, clock) not in recorded:
                    _record(ticket, BREACHED, clock, words, state)
                    counts["breaches"] += 1
                    changed = True
                elif (
                    state.warning
                    and state.due_at is not None
                    and not recorded & {(BREACHED, clock), (WARNING, clock)}
                ):
                    _record(ticket, WARNING, clock, words, state)
                    counts["warnings"] += 1
                    changed = True
            if not changed:
                # Stored due times went stale (policy or calendar changed): fix them, so
                # the ticket stops being a candidate.
                sla.refresh(ticket, now)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("SLA check of ticket %s failed", ticket_id)
    return counts


def close_resolved(now: datetime) -> int:
    """Close resolved tickets the closing rule (server.domain.closing) says are due:
    `included` work resolved longer than INCLUDED_CLOSE_GRACE_SECONDS ago, and (a
    safety net: they close at once when paid or resolved) paid `chargeable` work.

    With no grace period (the default) included work closes when it is resolved, in
    server.services.tickets.apply_status."""
    grace = current_app.config["INCLUDED_CLOSE_GRACE_SECONDS"]
    due = [
        and_(
            Ticket.billing == "chargeable",
            Ticket.paid_in_full.is_(True),
            Ticket.awaiting_payment.is_(False),
        )
    ]
    if grace > 0:
        cutoff = now - timedelta(seconds=grace)
        due.append(and_(Ticket.billing == "included", Ticket.resolved_at <= cutoff))
    query = select(Ticket.id).where(Ticket.status == "resolved", or_(*due)).limit(BATCH)
    closed = 0
    for ticket_id in db.session.scalars(query).all():
        try:
            ticket = _lock(ticket_id)
            if ticket is not None and close_if_due(ticket, now=now):
                closed += 1
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("closing resolved ticket %s failed", ticket_id)
    return closed
