"""Random ticket histories written straight into the database, and a slow reference
that reads the same timelines minute by minute (no code shared with the reports)."""

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.extensions import db
from server.models import Holiday, SlaPolicy, Ticket, TicketEvent
from server.services.timeline import new_event

ZONE = ZoneInfo("Europe/London")
ACTIVE, FINISHED = ("new", "open", "on_hold"), ("resolved", "closed")
MOVES = {
    "new": ("open", "on_hold", "resolved", "closed"),
    "open": ("on_hold", "resolved", "closed"),
    "on_hold": ("open", "resolved", "closed"),
    "resolved": ("open", "closed"),
    "closed": ("open",),
}
# Targets in minutes; `high` runs on office hours (with a holiday), `normal` 24/7.
POLICIES = {
    "high": (60, 8 * 60, 80, "office_hours"),
    "normal": (4 * 60, 2 * 24 * 60, 50, "always"),
}
HOLIDAY = date(2025, 3, 31)
_refs = itertools.count(1)


@dataclass
class History:
    created_at: datetime
    priority: str
    moves: list[tuple[datetime, str]] = field(default_factory=list)
    first_response_at: datetime | None = None

    def status_before(self, moment: datetime) -> str:
        """The status just before `moment` (moves at `moment` not yet made)."""
        status = "new"
        for at, to in self.moves:
            if at < moment:
                status = to
        return status


def set_policies() -> None:
    for priority, (first, resolution, warning, calendar) in POLICIES.items():
        row = db.session.get(SlaPolicy, priority) or SlaPolicy(priority=priority)
        row.first_response_minutes, row.resolution_minutes = first, resolution
        row.warning_percent, row.calendar = warning, calendar
        db.session.add(row)
    if db.session.get(Holiday, HOLIDAY) is None:
        db.session.add(Holiday(day=HOLIDAY, name="Test holiday"))


def write(histories: list[History], block_id: int, department_id: int) -> None:
    """Tickets and their status_changed events, as the services would have left them."""
    for history in histories:
        n = next(_refs)
        ticket = Ticket(
            ref=f"R-{department_id}-{n}",
            summary=f"Problem {n}",
            description="Generated",
            type="repair",
            priority=history.priority,
            status=history.moves[-1][1] if history.moves else "new",
            visibility="management",
            billing="included",
            block_id=block_id,
            department_id=department_id,
            created_at=history.created_at,
            first_response_at=history.first_response_at,
        )
        for at, to in history.moves:  # as server.services.tickets.apply_status leaves them
            if to == "resolved":
                ticket.resolved_at = at
            elif to == "closed":
                ticket.closed_at = at
            elif to == "open" and ticket.status in FINISHED:
                ticket.resolved_at = ticket.closed_at = None
        db.session.add(ticket)
        db.session.flush()
        previous = "new"
        for at, to in history.moves:
            row = new_event(ticket, "status_changed", None, {"from": previous, "to": to}, at=at)
            db.session.add(TicketEvent(**row))
            previous = to
    db.session.flush()


# Reference: volume ---------------------------------------------------------------


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), ZONE).astimezone(UTC)


def reference_volume(histories, periods: list[tuple[date, date]]) -> list[dict]:
    """For each local period [start, end): counts of creations and moves inside it, and
    how many tickets existed and were not finished just before its end."""
    rows = []
    for first, after in periods:
        low, high = local_midnight(first), local_midnight(after)
        moves = [to for h in histories for at, to in h.moves if low <= at < high]
        rows.append(
            {
                "period": first.isoformat(),
                "opened": sum(1 for h in histories if low <= h.created_at < high),
                "resolved": moves.count("resolved"),
                "closed": moves.count("closed"),
                "backlog": sum(
                    1
                    for h in histories
                    if h.created_at < high and h.status_before(high) not in FINISHED
                ),
            }
        )
    return rows


# Reference: SLA, minute by minute --------------------------------------------------


def _business(minute: datetime, calendar: str) -> bool:
    if calendar == "always":
        return True
    local = minute.astimezone(ZONE)
    if local.weekday() >= 5 or local.date() == HOLIDAY:
        return False
    return time(9) <= local.time() < time(17, 30)


def reference_clocks(history: History, now: datetime) -> dict:
    """Each clock's outcome, elapsed business minutes and warning, by walking minutes.

    Resolution runs while new or open; first response runs from creation until the
    first staff reply or the first resolve/close. A clock is breached if it is running
    in a minute that starts once its target is used up."""
    first, resolution, warning, calendar = POLICIES[history.priority]
    stops = [at for at, to in history.moves if to in FINISHED]
    if history.first_response_at is not None:
        stops.append(history.first_response_at)
    responded = min(stops, default=None)
    if responded is not None and responded > now:
        responded = None
    clocks = {"first_response": [0, False, first], "resolution": [0, False, resolution]}
    minute = history.created_at
    while minute < now:
        running = {
            "first_response": responded is None or minute < responded,
            "resolution": history.status_before(minute + timedelta(minutes=1)) in ("new", "open"),
        }
        business = _business(minute, calendar)
        for name, state in clocks.items():
            if running[name]:
                if state[0] >= state[2]:
                    state[1] = True
                if business:
                    state[0] += 1
        minute += timedelta(minutes=1)
    final = history.status_before(now + timedelta(microseconds=1))
    stopped = {"first_response": responded is not None, "resolution": final in FINISHED}
    result = {}
    for name, (elapsed, breached, target) in clocks.items():
        if breached:
            outcome = "breached"
        elif stopped[name]:
            outcome = "met"
        else:
            outcome = "pending"
        result[name] = {
            "outcome": outcome,
            "elapsed_minutes": elapsed,
            "stopped": stopped[name],
            "at_risk": outcome == "pending" and elapsed * 100 >= target * warning,
        }
    return result


def nearest_rank(values: list[int], percent: int):
    if not values:
        return None
    ordered = sorted(values)
    rank = -(-percent * len(ordered) // 100)  # ceiling
    return ordered[max(rank, 1) - 1]
