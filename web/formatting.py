"""How the pages write dates, durations, money and SLA clocks (UI.md "Look").

Dates are in the agency's zone (TIMEZONE): "Mon 1 Dec, 14:05", with the year when it
is not this year; durations relative where it helps ("2 h ago"). Pure: the zone and
"now" are passed in, so the rules are tested without an app.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


def local_time(value: datetime | None, zone: str, now: datetime) -> str:
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(zone))
    year = "" if local.year == now.astimezone(ZoneInfo(zone)).year else f" {local.year}"
    return f"{local:%a} {local.day} {local:%b}{year}, {local:%H:%M}"


def span(delta: timedelta) -> str:
    """A length of time in the largest unit that fits: "45 min", "3 h", "2 days"."""
    seconds = abs(int(delta.total_seconds()))
    if seconds < 60:
        return "under a minute"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours} h {minutes} min" if hours < 10 and minutes else f"{hours} h"
    return f"{seconds // 86400} days"


def relative(value: datetime | None, now: datetime) -> str:
    if value is None:
        return ""
    delta = now - value
    if abs(delta.total_seconds()) < 60:
        return "just now"
    return f"{span(delta)} ago" if delta.total_seconds() > 0 else f"in {span(delta)}"


def money(amount: Decimal | str | None, currency: str = "GBP") -> str:
    if amount is None:
        return ""
    value = Decimal(amount)
    sign = "-" if value < 0 else ""
    symbol = SYMBOLS.get(currency)
    text = f"{abs(value):,.2f}"
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


@dataclass(frozen=True)
class Clock:
    """One SLA clock as a page shows it: ok, warning (amber) or breached (red)."""

    state: str  # "ok" | "warning" | "breached"
    due_at: datetime
    label: str  # "4 h left", "2 days over"


def clock(
    due_at: datetime | None,
    started_at: datetime,
    now: datetime,
    warning_percent: int | None,
    breached: bool = False,
) -> Clock | None:
    """The clock of a due time. Warning once `warning_percent` of the time from the
    start to the due time has passed (the SLA policy's threshold, on the wall clock)."""
    if due_at is None:
        return None
    left = due_at - now
    if breached or left.total_seconds() <= 0:
        over = "over" if left.total_seconds() <= 0 else "left"
        return Clock("breached", due_at, f"{span(left)} {over}")
    allowed = (due_at - started_at).total_seconds()
    used = (now - started_at).total_seconds()
    threshold = (warning_percent if warning_percent is not None else 80) / 100
    state = "warning" if allowed > 0 and used / allowed >= threshold else "ok"
    return Clock(state, due_at, f"{span(left)} left")
