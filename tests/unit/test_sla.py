"""SLA clocks: business time, holds, reopens, breaches. Pure, no app."""

import time as timer
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.sla import (
    BusinessCalendar,
    SlaPolicy,
    StatusChange,
    sla_state,
)

LONDON = ZoneInfo("Europe/London")
HOUR = 3600
DAY_OF_WORK = 8 * HOUR + 30 * 60  # 09:00-17:30

# Mon-Fri 09:00-17:30 Europe/London, with the 2025 Easter bank holidays.
CALENDAR = BusinessCalendar(holidays=frozenset({date(2025, 4, 18), date(2025, 4, 21)}))
ALWAYS_OPEN = BusinessCalendar(hours={day: (time(0), time(0)) for day in range(7)})


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def state(changes=(), *, responded=None, policy=None, now, created=None):
    return sla_state(
        created_at=created or london(2025, 6, 2, 9),  # a Monday
        changes=[StatusChange(at, status) for at, status in changes],
        first_staff_response_at=responded,
        policy=policy or SlaPolicy(first_response_seconds=HOUR, resolution_seconds=8 * HOUR),
        calendar=CALENDAR,
        now=now,
    )


# --- business calendar -------------------------------------------------------


def test_weekend_and_overnight_are_not_business_time():
    friday_five = london(2025, 6, 6, 17)
    monday_ten = london(2025, 6, 9, 10)
    assert CALENDAR.business_seconds_between(friday_five, monday_ten) == 30 * 60 + HOUR


def test_a_bank_holiday_is_not_business_time():
    thursday_noon = london(2025, 4, 17, 12)
    tuesday_noon = london(2025, 4, 22, 12)  # Good Friday and Easter Monday between
    assert CALENDAR.business_seconds_between(thursday_noon, tuesday_noon) == (
        5 * HOUR + 30 * 60 + 3 * HOUR
    )


def test_instants_in_any_timezone_are_compared_as_instants():
    new_york = ZoneInfo("America/New_York")
    start = datetime(2025, 6, 2, 4, 0, tzinfo=new_york)  # 09:00 in London
    end = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)  # 11:00 in London
    assert CALENDAR.business_seconds_between(start, end) == 2 * HOUR


def test_office_hours_stay_local_across_the_spring_forward_weekend():
    friday_noon = datetime(2025, 3, 28, 12, tzinfo=UTC)  # 12:00 GMT
    monday_noon = datetime(2025, 3, 31, 11, tzinfo=UTC)  # 12:00 BST
    assert CALENDAR.business_seconds_between(friday_noon, monday_noon) == (
        5 * HOUR + 30 * 60 + 3 * HOUR
    )
    assert CALENDAR.add_business_seconds(friday_noon, 6 * HOUR) == datetime(
        2025, 3, 31, 8, 30, tzinfo=UTC
    )  # 09:30 BST


@pytest.mark.parametrize(
    ("day", "hours"),
    [(date(2025, 3, 30), 23), (date(2025, 10, 26), 25), (date(2025, 6, 1), 24)],
    ids=["spring forward", "fall back", "ordinary sunday"],
)
def test_a_whole_day_counts_its_real_seconds_on_daylight_saving_changes(day, hours):
    midnight = datetime.combine(day, time(0), tzinfo=LONDON)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=LONDON)
    assert ALWAYS_OPEN.business_seconds_between(midnight, next_midnight) == hours * HOUR
    assert ALWAYS_OPEN.add_business_seconds(midnight, hours * HOUR) == next_midnight


def test_a_target_used_up_at_close_of_business_is_due_then_not_next_morning():
    friday_five = london(2025, 6, 6, 17)
    assert CALENDAR.add_business_seconds(friday_five, 30 * 60) == london(2025, 6, 6, 17, 30)
    assert CALENDAR.add_business_seconds(friday_five, 30 * 60 + 1) == london(2025, 6, 9, 9, 0, 1)


def test_backwards_span_is_zero_and_naive_datetimes_are_refused():
    assert CALENDAR.business_seconds_between(london(2025, 6, 3, 12), london(2025, 6, 2, 12)) == 0
    with pytest.raises(ValueError, match="naive"):
        CALENDAR.business_seconds_between(datetime(2025, 6, 2, 9), london(2025, 6, 2, 10))


def test_a_calendar_without_working_days_is_refused():
    with pytest.raises(ValueError, match="at least one working day"):
        BusinessCalendar(hours={})


def test_a_year_long_span_is_computed_day_by_day_not_second_by_second():
    start = london(2025, 1, 1, 0)
    end = london(2026, 1, 1, 0)
    best = float("inf")
    for _ in range(3):  # best of three: tolerant of a busy machine
        began = timer.perf_counter()
        seconds = CALENDAR.business_seconds_between(start, end)
        CALENDAR.add_business_seconds(start, seconds)
        best = min(best, timer.perf_counter() - began)
    # 261 weekdays in 2025, minus the two holidays.
    assert seconds == 259 * DAY_OF_WORK
    assert best < 0.05


# --- properties --------------------------------------------------------------

ZONES = st.sampled_from([UTC, LONDON, ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")])
INSTANTS = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31), timezones=ZONES
)
CALENDARS = st.sampled_from([CALENDAR, ALWAYS_OPEN])
PROPERTY = settings(database=None, max_examples=200, deadline=None)


@PROPERTY
@given(calendar=CALENDARS, start=INSTANTS, seconds=st.integers(0, 400 * HOUR))
def test_adding_business_seconds_then_measuring_them_round_trips(calendar, start, seconds):
    due = calendar.add_business_seconds(start, seconds)
    assert calendar.business_seconds_between(start, due) == seconds


@PROPERTY
@given(calendar=CALENDARS, a=INSTANTS, b=INSTANTS)
def test_measuring_then_adding_lands_on_the_last_business_instant_before(calendar, a, b):
    a, b = sorted((a, b))
    reached = calendar.add_business_seconds(a, calendar.business_seconds_between(a, b))
    assert reached <= b
    assert calendar.business_seconds_between(reached, b) == 0


@PROPERTY
@given(calendar=CALENDARS, instants=st.lists(INSTANTS, min_size=3, max_size=3))
def test_business_time_is_additive_over_adjacent_spans(calendar, instants):
    a, b, c = sorted(instants)
    assert calendar.business_seconds_between(a, c) == (
        calendar.business_seconds_between(a, b) + calendar.business_seconds_between(b, c)
    )


@PROPERTY
@given(calendar=CALENDARS, start=INSTANTS, ends=st.lists(INSTANTS, min_size=2, max_size=2))
def test_business_time_grows_with_the_end_of_the_span(calendar, start, ends):
    early, late = sorted(ends)
    assert calendar.business_seconds_between(start, early) <= (
        calendar.business_seconds_between(start, late)
    )


@PROPERTY
@given(
    calendar=CALENDARS,
    start=INSTANTS,
    amounts=st.lists(st.integers(0, 200 * HOUR), min_size=2, max_size=2),
)
def test_more_business_seconds_are_never_due_earlier(calendar, start, amounts):
    less, more = sorted(amounts)
    assert calendar.add_business_seconds(start, less) <= calendar.add_business_seconds(start, more)


# --- SLA clocks --------------------------------------------------------------


def test_a_new_ticket_has_both_clocks_running_with_due_times():
    sla = state(now=london(2025, 6, 2, 9, 30))
    assert sla.first_response.due_at == london(2025, 6, 2, 10)
    assert sla.resolution.due_at == london(2025, 6, 2, 17)
    assert sla.resolution.elapsed_business_seconds == 30 * 60
    assert not sla.resolution.paused and not sla.resolution.breached


def test_a_hold_pauses_the_resolution_clock_but_not_first_response():
    on_hold_at = london(2025, 6, 2, 9, 30)
    sla = state([(on_hold_at, "on_hold")], now=london(2025, 6, 2, 12))

    assert sla.resolution.paused
    assert sla.resolution.due_at is None
    assert sla.resolution.elapsed_business_seconds == 30 * 60
    # No staff response yet: first response keeps running through the hold.
    assert sla.first_response.elapsed_business_seconds == 3 * HOUR
    assert sla.first_response.breached
    assert sla.first_response.breached_at == london(2025, 6, 2, 10)


def test_the_resolution_clock_resumes_after_a_hold_with_what_it_had():
    changes = [(london(2025, 6, 2, 11), "on_hold"), (london(2025, 6, 4, 11), "open")]
    sla = state(changes, now=london(2025, 6, 4, 12))
    assert sla.resolution.elapsed_business_seconds == 3 * HOUR
    # 6 h left from 11:00 Wednesday: 6.5 h remain that day.
    assert sla.resolution.due_at == london(2025, 6, 4, 17)


def test_a_reopen_continues_from_accumulated_time_and_skips_the_resolved_stretch():
    changes = [
        (london(2025, 6, 2, 14), "resolved"),  # 5 h used
        (london(2025, 6, 3, 9), "closed"),
        (london(2025, 6, 10, 10), "open"),  # a week later, the tenant reopens
    ]
    resolved = state(changes[:2], now=london(2025, 6, 5, 12))
    assert resolved.resolution.met_at == london(2025, 6, 2, 14)  # closing keeps the first
    assert resolved.resolution.due_at is None
    assert resolved.resolution.elapsed_business_seconds == 5 * HOUR

    reopened = state(changes, now=london(2025, 6, 10, 11))
    assert reopened.resolution.met_at is None
    assert reopened.resolution.elapsed_business_seconds == 6 * HOUR
    assert reopened.resolution.due_at == london(2025, 6, 10, 13)  # 3 h left from 10:00
    assert not reopened.resolution.breached


def test_changing_the_policy_recomputes_the_due_time():
    changes = [(london(2025, 6, 2, 10), "on_hold"), (london(2025, 6, 3, 10), "open")]
    now = london(2025, 6, 3, 11)
    normal = SlaPolicy(first_response_seconds=HOUR, resolution_seconds=16 * HOUR)
    urgent = SlaPolicy(first_response_seconds=HOUR, resolution_seconds=4 * HOUR)

    # 1 h before the hold and 1 h since it ended are used in both cases.
    assert state(changes, policy=normal, now=now).resolution.due_at == london(2025, 6, 4, 16, 30)
    assert state(changes, policy=urgent, now=now).resolution.due_at == london(2025, 6, 3, 13)


def test_a_breach_is_dated_at_the_deadline_that_was_overrun():
    now = london(2025, 6, 4, 12)
    sla = state(now=now)  # never touched since Monday 09:00
    assert sla.resolution.breached
    assert sla.resolution.breached_at == london(2025, 6, 2, 17)
    assert sla.resolution.due_at == london(2025, 6, 2, 17)  # overdue: the deadline stays
    assert not sla.resolution.warning


def test_a_breach_survives_resolving_the_ticket():
    sla = state([(london(2025, 6, 3, 10), "resolved")], now=london(2025, 6, 5, 10))
    assert sla.resolution.breached
    assert sla.resolution.breached_at == london(2025, 6, 2, 17)
    assert sla.resolution.met_at == london(2025, 6, 3, 10)


def test_resolving_exactly_at_the_deadline_meets_it():
    sla = state([(london(2025, 6, 2, 17), "resolved")], now=london(2025, 6, 3, 10))
    assert not sla.resolution.breached
    assert sla.resolution.elapsed_business_seconds == 8 * HOUR


def test_still_open_after_a_friday_deadline_is_breached_over_the_weekend():
    created = london(2025, 6, 6, 9, 30)  # Friday
    sla = state(created=created, now=london(2025, 6, 7, 10))  # Saturday
    assert sla.resolution.elapsed_business_seconds == 8 * HOUR  # exactly the target
    assert sla.resolution.breached
    assert sla.resolution.breached_at == london(2025, 6, 6, 17, 30)


def test_a_clock_that_ran_out_exactly_at_a_hold_breaches_when_it_resumes():
    changes = [(london(2025, 6, 2, 17), "on_hold"), (london(2025, 6, 4, 10), "open")]
    paused = state(changes[:1], now=london(2025, 6, 3, 12))
    assert not paused.resolution.breached

    resumed = state(changes, now=london(2025, 6, 4, 10, 5))
    assert resumed.resolution.breached
    assert resumed.resolution.breached_at == london(2025, 6, 4, 10)


def test_warning_starts_at_the_threshold_and_ends_with_a_breach():
    assert not state(now=london(2025, 6, 2, 15, 23)).resolution.warning  # 6.38 h of 8
    assert state(now=london(2025, 6, 2, 15, 24)).resolution.warning  # 80 %
    assert not state(now=london(2025, 6, 2, 17, 0, 1)).resolution.warning  # breached


def test_a_staff_response_meets_the_first_response_clock():
    responded = london(2025, 6, 2, 9, 45)
    sla = state([(responded, "on_hold")], responded=responded, now=london(2025, 6, 3, 12))
    assert sla.first_response.met_at == responded
    assert sla.first_response.elapsed_business_seconds == 45 * 60
    assert sla.first_response.due_at is None
    assert not sla.first_response.breached and not sla.first_response.warning


def test_resolving_without_a_reply_stops_the_first_response_clock():
    resolved_at = london(2025, 6, 2, 9, 20)
    sla = state([(resolved_at, "resolved")], now=london(2025, 6, 9, 12))
    assert sla.first_response.met_at == resolved_at
    assert not sla.first_response.breached


def test_a_policy_without_targets_never_breaches():
    no_targets = SlaPolicy(first_response_seconds=None, resolution_seconds=None)
    sla = state(policy=no_targets, now=london(2025, 7, 1, 12))
    assert sla.resolution.due_at is None
    assert not sla.resolution.breached and not sla.first_response.breached
    assert sla.resolution.elapsed_business_seconds > 0


def test_events_after_now_are_ignored_so_past_states_can_be_replayed():
    changes = [(london(2025, 6, 2, 10), "resolved")]
    before = state(changes, responded=london(2025, 6, 2, 9, 50), now=london(2025, 6, 2, 9, 40))
    assert before.resolution.met_at is None
    assert before.first_response.met_at is None
    assert before.resolution.elapsed_business_seconds == 40 * 60


def test_an_unknown_status_is_refused():
    with pytest.raises(ValueError, match="unknown status"):
        StatusChange(london(2025, 6, 2, 10), "waiting_for_parts")


def test_a_critical_report_on_sunday_is_due_on_sunday_on_the_always_calendar():
    from server.domain.sla import named_calendar

    sunday = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
    always = named_calendar("always", "Europe/London", frozenset({date(2026, 12, 6)}))
    office = named_calendar("office_hours", "Europe/London", frozenset())
    assert always.add_business_seconds(sunday, 4 * 3600) == datetime(2026, 12, 6, 14, 0, tzinfo=UTC)
    assert office.add_business_seconds(sunday, 4 * 3600) == datetime(2026, 12, 7, 13, 0, tzinfo=UTC)


def test_an_unknown_calendar_name_is_refused():
    from server.domain.sla import named_calendar

    with pytest.raises(ValueError):
        named_calendar("weekends", "Europe/London", frozenset())
