"""What every report is asked for: a date range in the agency's zone, filters, a period.

The range is whole local days, both ends inclusive: [local midnight of `start`,
local midnight after `end`). Filters select tickets by their current department,
block, priority and type; the caller's scope (server.scope.ticket_scope) always
applies on top, so a report never counts a ticket its reader could not open.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from server.auth import Caller
from server.models import Ticket
from server.scope import ticket_scope

GROUPS = ("day", "week", "month")
DEFAULT_DAYS = 365
# A year of days is the longest range a report buckets by day (a chart stays readable).
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    group: str = "month"
    department: int | None = None
    block: int | None = None
    priority: str | None = None
    type: str | None = None
    # Whether the range was asked for (ageing counts every open ticket otherwise).
    start_given: bool = False
    end_given: bool = False

    @classmethod
    def from_query(cls, query: dict, today: date | None = None) -> "Filters":
        """From the loaded query schema; a missing range is the last DEFAULT_DAYS days."""
        today = today or datetime.now(agency_zone()).date()
        end = query.get("end") or today
        start = query.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        return cls(
            start=start,
            end=end,
            group=query.get("group") or "month",
            department=query.get("department"),
            block=query.get("block"),
            priority=query.get("priority"),
            type=query.get("type"),
            start_given=query.get("start") is not None,
            end_given=query.get("end") is not None,
        )

    @property
    def zone(self) -> ZoneInfo:
        return agency_zone()

    @property
    def start_at(self) -> datetime:
        """The first instant of the range (UTC)."""
        return datetime.combine(self.start, time(), self.zone).astimezone(UTC)

    @property
    def end_at(self) -> datetime:
        """The first instant after the range (UTC)."""
        return datetime.combine(self.end + timedelta(days=1), time(), self.zone).astimezone(UTC)

    @property
    def end_next(self) -> date:
        """The day after the range."""
        return self.end + timedelta(days=1)

    def ticket_conditions(self, caller: Caller) -> list:
        """WHERE clauses over Ticket: the caller's scope and the filters."""
        conditions = [ticket_scope(caller)]
        if self.department is not None:
            conditions.append(Ticket.department_id == self.department)
        if self.block is not None:
            conditions.append(Ticket.block_id == self.block)
        if self.priority is not None:
            conditions.append(Ticket.priority == self.priority)
        if self.type is not None:
            conditions.append(Ticket.type == self.type)
        return conditions

    def as_dict(self) -> dict:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "group": self.group,
            "department": self.department,
            "block": self.block,
            "priority": self.priority,
            "type": self.type,
        }


def agency_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])
