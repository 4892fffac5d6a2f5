"""Tickets per status in a caller's scope, read from the counts the database keeps.

A trigger on `tickets` (migration 0023) keeps `ticket_status_counts` current in the
same transaction as every ticket change, grouped by exactly the columns the staff
scope filters on: a dashboard sums a few hundred groups instead of counting tens of
thousands of tickets. `recount` is the slow truth they are checked against
(`fieldline verify-all`, and the tests)."""

from sqlalchemy import delete, func, insert, select, true

from server.auth import Caller
from server.extensions import db
from server.models import Ticket, TicketStatusCount
from server.scope import staff_scope, ticket_scope

GROUP = ("department_id", "block_id", "manager_id", "owner_id", "status")


def not_closed_counts(caller: Caller) -> dict[str, int]:
    """Tickets in the caller's scope per status, closed ones left out."""
    if caller.role in ("admin", "staff"):
        scope = true() if caller.role == "admin" else staff_scope(caller.user.id, TicketStatusCount)
        query = (
            select(TicketStatusCount.status, func.sum(TicketStatusCount.tickets))
            .where(scope, TicketStatusCount.status != "closed")
            .group_by(TicketStatusCount.status)
        )
    else:
        query = (
            select(Ticket.status, func.count())
            .where(ticket_scope(caller), Ticket.status != "closed")
            .group_by(Ticket.status)
        )
    return {status: int(count) for status, count in db.session.execute(query) if count}


def kept_counts() -> dict[tuple, int]:
    """The counts table as it stands, empty groups left out."""
    rows = db.session.execute(
        select(*(getattr(TicketStatusCount, column) for column in GROUP), TicketStatusCount.tickets)
    )
    return {tuple(row[:-1]): row[-1] for row in rows if row[-1]}


def recount() -> dict[tuple, int]:
    """The same groups counted from the tickets themselves (an unset id as 0)."""
    key = [func.coalesce(getattr(Ticket, column), 0) for column in GROUP[:-1]] + [Ticket.status]
    rows = db.session.execute(select(*key, func.count()).group_by(*key))
    return {tuple(row[:-1]): row[-1] for row in rows}


def rebuild() -> int:
    """Replace the kept counts with a recount (only needed after writes to `tickets`
    with triggers switched off); the caller commits. Returns the groups written."""
    truth = recount()
    db.session.execute(delete(TicketStatusCount))
    if truth:
        rows = [dict(zip(GROUP, group, strict=True), tickets=n) for group, n in truth.items()]
        db.session.execute(insert(TicketStatusCount), rows)
    return len(truth)
