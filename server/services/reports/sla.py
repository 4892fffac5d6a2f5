"""SLA compliance: first-response and resolution targets met and breached, per priority
and department, with the business time they took and what is at risk now.

The clocks are not recomputed here: each ticket's state comes from
server.services.sla.states, i.e. the same `sla_state` over the same timeline that
the live SLA display and the worker use (pauses on hold, reopen, holidays, the
priority's calendar). SQL selects the tickets (scope, filters, created in the range);
the clocks are derived per ticket, the same work the live state does for one.
"""

import math
from collections import defaultdict
from datetime import datetime

from sqlalchemy import select

from server.auth import Caller
from server.db import utcnow
from server.domain.sla import ClockState
from server.domain.workflow import PRIORITIES
from server.extensions import db
from server.models import Department, Ticket
from server.services import sla as live_sla
from server.services.reports.filters import Filters
from server.services.reports.result import Chart, Report

CLOCKS = (("first_response", "First response"), ("resolution", "Resolution"))
ALL = "All"


def percentile(values: list[int], percent: int) -> int | None:
    """Nearest-rank percentile: the smallest value with `percent`% of values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(percent * len(ordered) / 100), 1) - 1]


def outcome(clock: ClockState) -> str | None:
    """`breached`, `met`, `pending` for a clock with a target; None without one."""
    if clock.target_seconds is None:
        return None
    if clock.breached:
        return "breached"
    return "met" if clock.met_at is not None else "pending"


def _hours(seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def _tally(states) -> dict:
    row: dict = {"tickets": len(states)}
    for clock_name, _ in CLOCKS:
        clocks = [getattr(state, clock_name) for state in states]
        counts = defaultdict(int)
        for clock in clocks:
            counts[outcome(clock)] += 1
        decided = counts["met"] + counts["breached"]
        taken = [c.elapsed_business_seconds for c in clocks if c.met_at is not None]
        row.update(
            {
                f"{clock_name}_met": counts["met"],
                f"{clock_name}_breached": counts["breached"],
                f"{clock_name}_pending": counts["pending"],
                f"{clock_name}_met_percent": (
                    round(100 * counts["met"] / decided, 1) if decided else None
                ),
                f"{clock_name}_median_hours": _hours(percentile(taken, 50)),
                f"{clock_name}_p90_hours": _hours(percentile(taken, 90)),
                f"{clock_name}_at_risk": sum(1 for c in clocks if c.warning and c.met_at is None),
            }
        )
    return row


def figures(caller: Caller, filters: Filters, now: datetime | None = None) -> list[dict]:
    """One row per (priority, department) with tickets, then the totals (`All`)."""
    now = now or utcnow()
    tickets = db.session.execute(
        select(
            Ticket.id,
            Ticket.priority,
            Ticket.department_id,
            Ticket.created_at,
            Ticket.first_response_at,
        ).where(
            *filters.ticket_conditions(caller),
            Ticket.created_at >= filters.start_at,
            Ticket.created_at < filters.end_at,
        )
    ).all()
    states = live_sla.states(tickets, now)
    groups = defaultdict(list)
    for ticket in tickets:
        if ticket.id in states:
            groups[(ticket.priority, ticket.department_id)].append(states[ticket.id])
    names = dict(db.session.execute(select(Department.id, Department.name)).all())
    rank = {priority: n for n, priority in enumerate(PRIORITIES)}
    rows = []
    for priority, department in sorted(
        groups, key=lambda k: (rank.get(k[0], 99), names.get(k[1], "") if k[1] else "")
    ):
        label = names.get(department, "(none)") if department is not None else "(none)"
        rows.append(
            {"priority": priority, "department": label, **_tally(groups[(priority, department)])}
        )
    rows.append({"priority": ALL, "department": ALL, **_tally(list(states.values()))})
    return rows


COLUMNS = (
    ("priority", "Priority"),
    ("department", "Department"),
    ("tickets", "Tickets"),
    *(
        (f"{clock}_{figure}", f"{words} {label}")
        for clock, words in CLOCKS
        for figure, label in (
            ("met", "met"),
            ("breached", "breached"),
            ("pending", "pending"),
            ("met_percent", "met %"),
            ("median_hours", "median (business h)"),
            ("p90_hours", "p90 (business h)"),
            ("at_risk", "at risk now"),
        )
    ),
)


def report(caller: Caller, filters: Filters, now: datetime | None = None) -> Report:
    rows = figures(caller, filters, now)
    total = rows[-1]
    return Report(
        name="sla",
        title="SLA compliance",
        filters=filters,
        columns=COLUMNS,
        rows=rows,
        chart=Chart(
            x=("priority", "department"),
            bars=("first_response_met_percent", "resolution_met_percent"),
            top=100,
        ),
        summary={
            "first_response_at_risk": total["first_response_at_risk"],
            "resolution_at_risk": total["resolution_at_risk"],
            "first_response_met_percent": total["first_response_met_percent"],
            "resolution_met_percent": total["resolution_met_percent"],
        },
    )
