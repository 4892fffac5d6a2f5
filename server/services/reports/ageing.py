"""Ageing: the open tickets (new, open, on hold) by age band and status, oldest first.

A snapshot as of now: age is the time since the ticket was reported, in calendar
time. The date range, when given, selects tickets reported within it; without one
every open ticket counts. One GROUP BY; the band is a CASE over creation times
worked out from `now`, so it is the same on SQLite and PostgreSQL.
"""

from datetime import datetime, timedelta

from sqlalchemy import case, func, literal, select

from server.auth import Caller
from server.db import utcnow
from server.domain.workflow import ACTIVE
from server.extensions import db
from server.models import Ticket
from server.services.reports.filters import Filters
from server.services.reports.result import Chart, Report

# (label, lower bound in days); a band holds ages in [its bound, the next band's).
BANDS = (
    ("90+ days", 90),
    ("30-90 days", 30),
    ("14-30 days", 14),
    ("7-14 days", 7),
    ("3-7 days", 3),
    ("1-3 days", 1),
    ("under 1 day", 0),
)
OLDEST = 20


def band_of(age: timedelta) -> str:
    for label, days in BANDS:
        if age >= timedelta(days=days):
            return label
    return BANDS[-1][0]  # reported "in the future" (clock skew): the youngest band


def figures(caller: Caller, filters: Filters | None, now: datetime) -> list[dict]:
    conditions = [*_conditions(caller, filters), Ticket.status.in_(ACTIVE)]
    band = case(
        *(
            (Ticket.created_at <= now - timedelta(days=days), literal(label))
            for label, days in BANDS[:-1]
        ),
        else_=literal(BANDS[-1][0]),
    ).label("band")
    query = select(band, Ticket.status, func.count().label("count")).where(*conditions)
    counts = {(b, s): n for b, s, n in db.session.execute(query.group_by(band, Ticket.status))}
    rows = []
    for label, _ in BANDS:
        row = {"band": label, **{status: counts.get((label, status), 0) for status in ACTIVE}}
        row["total"] = sum(row[status] for status in ACTIVE)
        rows.append(row)
    return rows


def oldest(caller: Caller, filters: Filters | None, now: datetime) -> list[dict]:
    query = (
        select(
            Ticket.id, Ticket.ref, Ticket.summary, Ticket.status, Ticket.priority, Ticket.created_at
        )
        .where(*_conditions(caller, filters), Ticket.status.in_(ACTIVE))
        .order_by(Ticket.created_at, Ticket.id)
        .limit(OLDEST)
    )
    return [
        {
            "ref": row.ref,
            "id": row.id,
            "summary": row.summary,
            "status": row.status,
            "priority": row.priority,
            "created_at": row.created_at.isoformat(),
            "age_days": (now - row.created_at).days,
        }
        for row in db.session.execute(query)
    ]


def _conditions(caller: Caller, filters: Filters) -> list:
    conditions = filters.ticket_conditions(caller)
    if filters.start_given:
        conditions.append(Ticket.created_at >= filters.start_at)
    if filters.end_given:
        conditions.append(Ticket.created_at < filters.end_at)
    return conditions


COLUMNS = (
    ("band", "Age"),
    ("new", "New"),
    ("open", "Open"),
    ("on_hold", "On hold"),
    ("total", "Total"),
)


def report(caller: Caller, filters: Filters, now: datetime | None = None) -> Report:
    now = now or utcnow()
    return Report(
        name="ageing",
        title="Ageing",
        filters=filters,
        columns=COLUMNS,
        rows=figures(caller, filters, now),
        chart=Chart(x=("band",), bars=("new", "open", "on_hold")),
        extra={
            "oldest": (
                (
                    ("ref", "Ticket"),
                    ("summary", "Summary"),
                    ("status", "Status"),
                    ("priority", "Priority"),
                    ("age_days", "Age (days)"),
                ),
                oldest(caller, filters, now),
            )
        },
    )
