"""Work pushed by someone no longer on the ticket: kept, but held for staff review.

"On the ticket" is what the REST API checks (`scope.is_participant`: an active
assignment). A device's offline work is still theirs if it was done while they were
on the ticket: its own time (`created_at`) falls inside one of their assignment
periods (the assignment log). Anything else a contractor's device pushes for the
ticket (work done, or claimed, after the assignment ended) is recorded as usual
(nothing is lost) but held: a `held_work` row, a staff-only `sync_conflict` event
counted on the device. Held (and rejected) work is not billed and moves no status;
staff approve it (it then counts as if it had arrived in time) or reject it (it stays
in the history, marked rejected). The effects of approval live with each kind's owner
(sync.held dispatches them); this module only decides and records.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from server.auth import Caller
from server.db import utcnow
from server.extensions import db
from server.id_lists import in_ids
from server.models import Assignment, Device, HeldWork, Ticket, TicketContractor
from server.models.work import HELD_KINDS
from server.services.timeline import record_conflict

NOT_COUNTING = ("held", "rejected")  # statuses whose work is not billed nor applied


@dataclass
class Standing:
    """A contractor's standing on one ticket: on it now, or the periods they were."""

    active: bool
    periods: list[tuple[datetime, datetime]] = field(default_factory=list)

    def covers(self, at: datetime) -> bool:
        return self.active or any(start <= at < end for start, end in self.periods)


def standings(caller: Caller, ticket_ids) -> dict[int, Standing]:
    """Per ticket, whether the caller's work there counts: one query for the assignment
    rows of all the tickets, and the log only of those no longer active (few)."""
    ids = set(ticket_ids)
    if caller.role != "contractor":
        return {ticket_id: Standing(True) for ticket_id in ids}
    if not ids:
        return {}
    dialect = db.session.get_bind().dialect.name
    links = db.session.execute(
        select(
            TicketContractor.ticket_id,
            TicketContractor.active,
            TicketContractor.started_at,
            TicketContractor.ended_at,
        ).where(
            TicketContractor.contractor_id == caller.id,
            in_ids(TicketContractor.ticket_id, ids, dialect),
        )
    ).all()
    result = {ticket_id: Standing(False) for ticket_id in ids}
    ended = {}
    for ticket_id, active, started_at, ended_at in links:
        result[ticket_id].active = bool(active)
        if not active:
            ended[ticket_id] = (started_at, ended_at)
    if ended:
        log = db.session.execute(
            select(Assignment.ticket_id, Assignment.action, Assignment.at)
            .where(Assignment.contractor_id == caller.id, Assignment.ticket_id.in_(ended))
            .order_by(Assignment.ticket_id, Assignment.at, Assignment.id)
        ).all()
        starts: dict[int, datetime] = {}
        for ticket_id, action, at in log:
            if action == "start":
                starts[ticket_id] = at
            elif ticket_id in starts:
                result[ticket_id].periods.append((starts.pop(ticket_id), at))
        for ticket_id, (started_at, ended_at) in ended.items():
            if not result[ticket_id].periods and started_at and ended_at:
                result[ticket_id].periods.append((started_at, ended_at))  # rows with no log
    return result


def hold(
    caller: Caller,
    ticket: Ticket,
    kind: str,
    record_id: str,
    device_time: datetime,
    device: Device | None,
) -> HeldWork:
    """Record that `record_id` (already stored) is held, and tell staff and the device."""
    if kind not in HELD_KINDS:
        raise ValueError(f"{kind} records are not held")
    reason = "pushed by a contractor no longer assigned to the ticket, for a time after the end"
    row = HeldWork(
        kind=kind,
        record_id=record_id,
        ticket_id=ticket.id,
        contractor_id=caller.id,
        device_id=device.id if device else None,
        status="held",
        reason=reason,
        device_time=device_time,
        held_at=utcnow(),
    )
    db.session.add(row)
    record_conflict(
        ticket,
        caller,
        {
            "table": kind,
            "id": record_id,
            "held": True,
            "code": "held_for_review",
            "detail": f"{kind} {record_id} was {reason}; it is kept and held for staff review.",
        },
        device,
    )
    return row


def hold_unless_on_ticket(
    caller: Caller,
    ticket: Ticket,
    kind: str,
    record_id: str,
    device_time: datetime | None,
    device: Device | None,
    standing: Standing | None = None,
) -> bool:
    """Hold the record if its author was not on the ticket when it was made; True if held.
    The note service calls this where a note's effects apply; sync, for each record."""
    if standing is None:
        standing = standings(caller, [ticket.id])[ticket.id]
    at = device_time or utcnow()
    if standing.covers(at):
        return False
    hold(caller, ticket, kind, record_id, at, device)
    return True


def not_counting(kind: str):
    """Ids of records of `kind` that are held or rejected (a subquery): billing skips them."""
    return select(HeldWork.record_id).where(
        HeldWork.kind == kind, HeldWork.status.in_(NOT_COUNTING)
    )


def status_of(kind: str, record_id: str) -> str | None:
    return db.session.scalar(
        select(HeldWork.status).where(HeldWork.kind == kind, HeldWork.record_id == record_id)
    )
