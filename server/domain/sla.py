"""SLA clocks derived from a ticket's timeline.

Nothing here is stored: the clocks are recomputed from the creation time, the
status changes and the first staff response every time they are needed. That
is what makes a policy change, a reopen or a hold come out right — there is no
saved "due at" to forget to update.

Pure module: stdlib only, no Flask, no SQLAlchemy.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

NEW, OPEN, ON_HOLD, RESOLVED, CLOSED = "new", "open", "on_hold", "resolved", "closed"
STATUSES = frozenset({NEW, OPEN, ON_HOLD, RESOLVED, CLOSED})
# The resolution clock runs while staff owe work, pauses while waiting for
# someone else (tenant, parts), and stops once the ticket is done.
RUNNING_STATUSES = frozenset({NEW, OPEN})
STOPPED_STATUSES = frozenset({RESOLVED, CLOSED})

_SECOND = timedelta(seconds=1)
_DAY = timedelta(days=1)
_OFFICE_HOURS = (time(9, 0), time(17, 30))
DEFAULT_HOURS: Mapping[int, tuple[time, time]] = MappingProxyType(
    {weekday: _OFFICE_HOURS for weekday in range(5)}
)
# Every hour of every day (an end of 00:00 is the end of the day).
ALWAYS_HOURS: Mapping[int, tuple[time, time]] = MappingProxyType(
    {weekday: (time(0), time(0)) for weekday in range(7)}
)
# The calendars a priority's SLA can run on.
SLA_CALENDARS = ("office_hours", "always")


def _utc(moment: datetime) -> datetime:
    """Normalise to UTC at whole-second resolution.

    Dropping sub-second parts keeps every count an exact integer, so
    business(a, c) == business(a, b) + business(b, c) holds exactly.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: SLA instants must be timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class BusinessCalendar:
    """Working hours per weekday (0 = Monday) in a local timezone, minus holidays.

    Hours are local wall-clock times, so 09:00 stays 09:00 across daylight
    saving changes; counted time is real elapsed seconds between the UTC
    instants those wall times denote. An end of 00:00 means midnight at the
    end of the day (``(time(0), time(0))`` is a whole day, for 24/7 calendars).
    Windows may not cross midnight otherwise.
    """

    timezone: str = "Europe/London"
    hours: Mapping[int, tuple[time, time]] = field(default_factory=lambda: DEFAULT_HOURS)
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        ZoneInfo(self.timezone)  # fail now on an unknown zone, not mid-computation
        if not self.hours:
            raise ValueError("a business calendar needs at least one working day")
        for weekday, (start, end) in self.hours.items():
            if weekday not in range(7):
                raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday}")
            for moment in (start, end):
                if moment.tzinfo is not None or moment.microsecond:
                    raise ValueError("working hours are naive local times in whole seconds")
            if end != time(0) and end <= start:
                raise ValueError(f"working hours for weekday {weekday} end before they start")
        # Frozen copies: a calendar is a value and must not change under a clock.
        object.__setattr__(self, "hours", MappingProxyType(dict(self.hours)))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        # Each local day's window, worked out once: a value's days never change, and
        # reports derive thousands of clocks over the same days (not part of eq/hash).
        object.__setattr__(self, "_windows", {})
        # Business seconds of the whole days from `_base` on: _prefix[n] is the total of
        # the n days before _base + n, so any run of whole days costs two lookups.
        object.__setattr__(self, "_base", None)
        object.__setattr__(self, "_prefix", [0])
        object.__setattr__(self, "_lock", threading.Lock())  # threads share calendars

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # ZoneInfo caches instances per key

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        """The UTC instants a local day's working hours begin and end, if it has any."""
        try:
            return self._windows[day]
        except KeyError:
            window = self._windows[day] = self._work_out_window(day)
            return window

    def _work_out_window(self, day: date) -> tuple[datetime, datetime] | None:
        hours = self.hours.get(day.weekday())
        if hours is None or day in self.holidays:
            return None
        start, end = hours
        end_day = day + _DAY if end == time(0) else day
        zone = self.zone
        return (
            datetime.combine(day, start, tzinfo=zone).astimezone(UTC),
            datetime.combine(end_day, end, tzinfo=zone).astimezone(UTC),
        )

    def _day_seconds(self, day: date) -> int:
        window = self._window(day)
        return 0 if window is None else (window[1] - window[0]) // _SECOND

    def _whole_days(self, first: date, after: date) -> int:
        """Business seconds of the local days first .. after - 1, whole."""
        if after <= first:
            return 0
        with self._lock:
            if self._base is None or first < self._base:
                # Start a year early so slightly earlier questions reuse the sums.
                object.__setattr__(self, "_base", first - 366 * _DAY)
                object.__setattr__(self, "_prefix", [0])
            prefix, base = self._prefix, self._base
            need = (after - base).days
            while len(prefix) <= need:
                day = base + (len(prefix) - 1) * _DAY
                prefix.append(prefix[-1] + self._day_seconds(day))
            return prefix[need] - prefix[(first - base).days]

    def _local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def business_seconds_between(self, a: datetime, b: datetime) -> int:
        """Business seconds in [a, b); 0 when b <= a.

        The first and last local days are clipped to [a, b); the whole days
        between come from running totals per day, so a long span costs the
        same as a short one once its days have been seen.
        """
        a, b = _utc(a), _utc(b)
        if b <= a:
            return 0
        first, last = self._local_date(a), self._local_date(b)
        total = 0
        for day in (first, last) if last > first else (first,):
            window = self._window(day)
            if window is not None:
                low, high = max(window[0], a), min(window[1], b)
                if high > low:
                    total += (high - low) // _SECOND
        # The days between lie wholly inside [a, b): their windows count in full.
        return total + self._whole_days(first + _DAY, last)

    def add_business_seconds(self, start: datetime, seconds: int) -> datetime:
        """The earliest instant (UTC) at which ``seconds`` business seconds have elapsed.

        "Earliest" means a target used up at 17:30 on Friday is due at 17:30 on
        Friday, not at 09:00 on Monday.
        """
        if seconds < 0:
            raise ValueError("cannot add a negative number of business seconds")
        moment = _utc(start)
        if seconds == 0:
            return moment
        remaining = seconds
        day = self._local_date(moment)
        while True:  # terminates: at least one working weekday, finitely many holidays
            window = self._window(day)
            if window is not None:
                low = max(window[0], moment)
                if window[1] > low:
                    available = (window[1] - low) // _SECOND
                    if available >= remaining:
                        return low + remaining * _SECOND
                    remaining -= available
            day += _DAY


def named_calendar(name: str, timezone: str, holidays: frozenset[date]) -> BusinessCalendar:
    """`office_hours`: DEFAULT_HOURS minus holidays; `always`: 24/7, holidays too."""
    if name == "always":
        return BusinessCalendar(timezone=timezone, hours=ALWAYS_HOURS)
    if name == "office_hours":
        return BusinessCalendar(timezone=timezone, holidays=holidays)
    raise ValueError(f"unknown SLA calendar {name!r}; one of {SLA_CALENDARS}")


@dataclass(frozen=True)
class SlaPolicy:
    """Targets for one priority, in business seconds; None means no target."""

    first_response_seconds: int | None
    resolution_seconds: int | None
    # An integer percentage so thresholds compare exactly (no float rounding).
    warning_percent: int = 80

    def __post_init__(self) -> None:
        for target in (self.first_response_seconds, self.resolution_seconds):
            if target is not None and target < 0:
                raise ValueError("SLA targets cannot be negative")
        if not 0 <= self.warning_percent <= 100:
            raise ValueError("warning_percent must be between 0 and 100")


@dataclass(frozen=True)
class StatusChange:
    """The ticket's status became ``status`` at ``at``."""

    at: datetime
    status: str

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}; map custom labels first")


@dataclass(frozen=True)
class ClockState:
    """One SLA clock as of ``now``.

    ``due_at`` is the deadline and is only set while the clock runs (it may be
    in the past when overdue). A clock is breached once it is still running
    after its deadline — even outside business hours, so at that moment
    ``elapsed_business_seconds`` may equal the target. ``breached_at`` is the
    deadline it overran and stays set after the ticket is resolved.
    """

    target_seconds: int | None
    elapsed_business_seconds: int
    due_at: datetime | None
    paused: bool
    breached: bool
    breached_at: datetime | None
    warning: bool
    met_at: datetime | None


@dataclass(frozen=True)
class SlaState:
    first_response: ClockState
    resolution: ClockState


# A run is a stretch of time the clock was ticking; end None = still ticking now.
_Run = tuple[datetime, datetime | None]


def _clock(
    runs: list[_Run],
    *,
    target: int | None,
    warning_percent: int,
    calendar: BusinessCalendar,
    now: datetime,
    paused: bool,
    met_at: datetime | None,
) -> ClockState:
    """Accumulate business time over the runs and place the deadline on them.

    The deadline is where the target is used up along the runs, so time spent
    paused or resolved never counts and a resumed clock continues where it was.
    """
    elapsed = 0
    deadline: datetime | None = None
    breached_at: datetime | None = None
    for start, end in runs:
        stop = now if end is None else end
        seconds = calendar.business_seconds_between(start, stop)
        if target is not None and deadline is None and (end is None or elapsed + seconds >= target):
            deadline = calendar.add_business_seconds(start, target - elapsed)
        if deadline is not None and breached_at is None and stop > deadline:
            # Overran inside this run; if the target ran out exactly at a pause,
            # the breach starts when the clock resumes.
            breached_at = max(deadline, start)
        elapsed += seconds
    running = bool(runs) and runs[-1][1] is None
    breached = breached_at is not None
    warning = (
        target is not None
        and not breached
        and met_at is None
        and elapsed * 100 >= target * warning_percent
    )
    return ClockState(
        target_seconds=target,
        elapsed_business_seconds=elapsed,
        due_at=deadline if running else None,
        paused=paused,
        breached=breached,
        breached_at=breached_at,
        warning=warning,
        met_at=met_at,
    )


def sla_state(
    created_at: datetime,
    changes: Iterable[StatusChange],
    first_staff_response_at: datetime | None,
    policy: SlaPolicy,
    calendar: BusinessCalendar,
    now: datetime,
) -> SlaState:
    """Both SLA clocks of a ticket as of ``now``, derived from its timeline.

    Events after ``now`` are ignored, so passing a past ``now`` replays the
    state at that time; events before creation count from creation. A ticket
    starts ``new``.
    """
    created, now = _utc(created_at), _utc(now)
    ordered = sorted(
        (StatusChange(max(_utc(change.at), created), change.status) for change in changes),
        key=lambda change: change.at,  # stable: same-instant changes keep their order
    )
    ordered = [change for change in ordered if change.at <= now]

    # Resolution: ticks while new/open, pauses on hold, stops when resolved or
    # closed, resumes on reopen with what it had accumulated.
    runs: list[_Run] = []
    status, since = NEW, created
    stopped_since: datetime | None = None
    for change in ordered:
        if status in RUNNING_STATUSES and change.at > since:
            runs.append((since, change.at))
        if change.status in STOPPED_STATUSES:
            stopped_since = stopped_since or change.at  # resolved -> closed keeps the first
        else:
            stopped_since = None
        status, since = change.status, change.at
    if status in RUNNING_STATUSES:
        runs.append((since, None))
    resolution = _clock(
        runs,
        target=policy.resolution_seconds,
        warning_percent=policy.warning_percent,
        calendar=calendar,
        now=now,
        paused=status == ON_HOLD,
        met_at=stopped_since,
    )

    # First response: ticks from creation, holds do not pause it. Resolving a
    # ticket without a reply (duplicate, fixed on site) also stops it, so it
    # cannot breach forever on a finished ticket.
    stops = [change.at for change in ordered if change.status in STOPPED_STATUSES]
    if first_staff_response_at is not None and _utc(first_staff_response_at) <= now:
        stops.append(max(_utc(first_staff_response_at), created))
    responded_at = min(stops, default=None)
    first_response = _clock(
        [(created, responded_at)],
        target=policy.first_response_seconds,
        warning_percent=policy.warning_percent,
        calendar=calendar,
        now=now,
        paused=False,
        met_at=responded_at,
    )
    return SlaState(first_response=first_response, resolution=resolution)
