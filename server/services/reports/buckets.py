"""Local calendar periods (day, week from Monday, month) as SQL, on SQLite and PostgreSQL.

PostgreSQL converts with `AT TIME ZONE` and truncates with `date_trunc`. SQLite keeps
no zones, so the column is shifted by the zone's UTC offset, chosen by a CASE over
the offset changes (daylight saving) inside the range — a handful of branches, worked
out here from zoneinfo — and truncated with SQLite's date functions. Both give the
period's first local day as text 'YYYY-MM-DD'; `periods` lists the same labels in
Python so that periods with nothing in them still appear.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, case, cast, func, literal

from server.db import UTCDateTime
from server.extensions import db

_MINUTE = timedelta(minutes=1)


def period_start(day: date, group: str) -> date:
    if group == "week":
        return day - timedelta(days=day.weekday())
    if group == "month":
        return day.replace(day=1)
    return day


def next_period(start: date, group: str) -> date:
    if group == "week":
        return start + timedelta(days=7)
    if group == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def periods(start: date, end: date, group: str) -> list[date]:
    """The first local day of every period touching [start, end]."""
    found, current = [], period_start(start, group)
    while current <= end:
        found.append(current)
        current = next_period(current, group)
    return found


def offset_changes(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """(instant, UTC offset in seconds from then on) for [start, end): the first entry is
    `start`'s own offset, then one per change, found to the minute."""

    def offset(moment: datetime) -> int:
        return int(moment.astimezone(zone).utcoffset().total_seconds())

    changes = [(start, offset(start))]
    day = start
    while day < end:
        following = min(day + timedelta(days=1), end)
        if offset(following) != offset(day):
            low, high = day, following  # binary search for the first minute of the new offset
            while high - low > _MINUTE:
                middle = low + ((high - low) // 2 // _MINUTE) * _MINUTE
                low, high = (middle, high) if offset(middle) == offset(day) else (low, middle)
            changes.append((high, offset(high)))
        day = following
    return changes


def local_period(column, group: str, zone: ZoneInfo, start: datetime, end: datetime):
    """SQL text 'YYYY-MM-DD': the first local day of the period `column` falls in.

    Exact for instants in [start, end) (SQLite's offsets are worked out for that span).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        local = func.timezone(zone.key, column)
        unit = {"day": "day", "week": "week", "month": "month"}[group]
        return func.to_char(func.date_trunc(unit, local), "YYYY-MM-DD")
    changes = offset_changes(
        zone, start.astimezone(UTC) - timedelta(days=1), end + timedelta(days=1)
    )
    shift = literal(f"{changes[-1][1]:+d} seconds")
    if len(changes) > 1:
        whens = [
            (column < literal(at, UTCDateTime()), f"{before:+d} seconds")
            for (at, _), (_, before) in zip(changes[1:], changes[:-1], strict=True)
        ]
        shift = case(*whens, else_=literal(f"{changes[-1][1]:+d} seconds"))
    local = func.datetime(column, shift)
    if group == "month":
        return func.strftime("%Y-%m-01", local)
    if group == "week":
        back = func.printf("-%d days", (cast(func.strftime("%w", local), Integer) + 6) % 7)
        return func.date(local, back)
    return func.date(local)
