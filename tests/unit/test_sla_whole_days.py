"""Business time over long spans (running totals of whole days) equals walking every
day's window, across holidays, weekends and daylight-saving changes."""

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.sla import ALWAYS_HOURS, BusinessCalendar

HOLIDAYS = frozenset({date(2025, 12, 25), date(2025, 12, 26), date(2026, 4, 3)})
START = datetime(2025, 1, 1, tzinfo=UTC)


def walked(calendar: BusinessCalendar, a: datetime, b: datetime) -> int:
    total, day = 0, calendar._local_date(a)
    while day <= calendar._local_date(b):
        window = calendar._work_out_window(day)
        if window is not None:
            low, high = max(window[0], a), min(window[1], b)
            total += max(int((high - low).total_seconds()), 0)
        day += timedelta(days=1)
    return total


@settings(max_examples=300, deadline=None)
@given(
    start=st.integers(0, 2 * 365 * 24 * 60),
    length=st.integers(0, 400 * 24 * 60),
    zone=st.sampled_from(("Europe/London", "America/New_York", "Australia/Lord_Howe")),
    always=st.booleans(),
)
def test_long_spans_equal_a_walk_over_every_day(start, length, zone, always):
    calendar = (
        BusinessCalendar(timezone=zone, hours=ALWAYS_HOURS)
        if always
        else BusinessCalendar(timezone=zone, holidays=HOLIDAYS)
    )
    a = START + timedelta(minutes=start)
    b = a + timedelta(minutes=length)
    assert calendar.business_seconds_between(a, b) == walked(calendar, a, b)
    # Asked again out of order (an earlier span after a later one rebases the totals).
    earlier = a - timedelta(days=500)
    assert calendar.business_seconds_between(earlier, a) == walked(calendar, earlier, a)
