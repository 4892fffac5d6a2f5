"""billing.retry_schedule: the Standard Webhooks schedule, jitter, Retry-After, dead letters."""

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.retry_schedule import (
    MAX_ATTEMPTS,
    SCHEDULE,
    classify_response,
    next_attempt_at,
    parse_retry_after,
)

FAILED_AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
PROPERTY = settings(database=None, max_examples=200, deadline=None)


class FixedRandom:
    """An rng whose random() always returns `value`: 0.5 means no jitter."""

    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


NO_JITTER = FixedRandom(0.5)


def test_the_schedule_is_the_standard_webhooks_one():
    assert SCHEDULE == (
        timedelta(0),
        timedelta(seconds=5),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=5),
        timedelta(hours=10),
        timedelta(hours=14),
        timedelta(hours=20),
        timedelta(hours=24),
    )
    assert MAX_ATTEMPTS == 10


@pytest.mark.parametrize(
    ("failed_attempt", "delay"),
    [
        (1, timedelta(seconds=5)),
        (2, timedelta(minutes=5)),
        (3, timedelta(minutes=30)),
        (4, timedelta(hours=2)),
        (5, timedelta(hours=5)),
        (6, timedelta(hours=10)),
        (7, timedelta(hours=14)),
        (8, timedelta(hours=20)),
        (9, timedelta(hours=24)),
    ],
)
def test_each_retry_waits_the_scheduled_delay_after_the_previous_failure(failed_attempt, delay):
    assert next_attempt_at(failed_attempt, FAILED_AT, None, NO_JITTER) == FAILED_AT + delay


@pytest.mark.parametrize("failed_attempt", [10, 11, 1000])
def test_after_the_tenth_failed_attempt_the_delivery_is_dead_lettered(failed_attempt):
    assert next_attempt_at(failed_attempt, FAILED_AT, None, NO_JITTER) is None


def test_a_delivery_failing_every_time_is_dead_lettered_after_about_three_days():
    first_attempt = FAILED_AT
    failed_at, attempts = first_attempt, 1
    while (following := next_attempt_at(attempts, failed_at, None, NO_JITTER)) is not None:
        failed_at, attempts = following, attempts + 1
    assert attempts == 10
    assert failed_at - first_attempt == timedelta(hours=75, minutes=35, seconds=5)


@pytest.mark.parametrize(("value", "factor"), [(0.0, 0.9), (0.25, 0.95), (0.75, 1.05)])
def test_jitter_moves_the_delay_by_at_most_ten_percent(value, factor):
    at = next_attempt_at(4, FAILED_AT, None, FixedRandom(value))
    assert at - FAILED_AT == timedelta(hours=2) * factor


@PROPERTY
@given(st.integers(1, 9), st.floats(0, 1, exclude_max=True))
def test_jittered_delays_stay_within_ten_percent_of_the_schedule(failed_attempt, value):
    delay = next_attempt_at(failed_attempt, FAILED_AT, None, FixedRandom(value)) - FAILED_AT
    scheduled = SCHEDULE[failed_attempt]
    assert scheduled * 0.9 <= delay <= scheduled * 1.1


def test_a_seeded_random_generator_gives_reproducible_times():
    first = next_attempt_at(3, FAILED_AT, None, random.Random(7))
    assert first == next_attempt_at(3, FAILED_AT, None, random.Random(7))


def test_the_default_generator_is_used_when_none_is_given():
    delay = next_attempt_at(2, FAILED_AT) - FAILED_AT
    assert timedelta(minutes=4.5) <= delay <= timedelta(minutes=5.5)


def test_a_longer_retry_after_in_seconds_is_honoured():
    assert next_attempt_at(1, FAILED_AT, "120", NO_JITTER) == FAILED_AT + timedelta(seconds=120)


def test_a_shorter_retry_after_never_brings_the_retry_forward():
    assert next_attempt_at(3, FAILED_AT, "10", NO_JITTER) == FAILED_AT + timedelta(minutes=30)


def test_a_retry_after_http_date_counts_from_the_failure():
    header = "Thu, 01 Jan 2026 13:00:00 GMT"  # an hour after FAILED_AT
    assert next_attempt_at(2, FAILED_AT, header, NO_JITTER) == FAILED_AT + timedelta(hours=1)


def test_a_retry_after_date_in_the_past_leaves_the_schedule_alone():
    header = "Wed, 31 Dec 2025 13:00:00 GMT"
    assert next_attempt_at(2, FAILED_AT, header, NO_JITTER) == FAILED_AT + timedelta(minutes=5)


@pytest.mark.parametrize("header", ["999999", "9" * 32, "Sat, 01 Jan 2028 00:00:00 GMT"])
def test_retry_after_is_capped_at_a_day(header):
    assert next_attempt_at(1, FAILED_AT, header, NO_JITTER) == FAILED_AT + timedelta(hours=24)


@pytest.mark.parametrize(
    "header", ["", "soon", "-5", "1.5", "1e3", "Thu, 01 Jan 2026 13:00:00", "9" * 33]
)
def test_an_unparseable_retry_after_is_ignored(header):
    assert next_attempt_at(1, FAILED_AT, header, NO_JITTER) == FAILED_AT + timedelta(seconds=5)


def test_retry_after_does_not_add_attempts_beyond_the_schedule():
    assert next_attempt_at(10, FAILED_AT, "60", NO_JITTER) is None


def test_retry_after_values_are_read_as_delays_from_the_failure():
    assert parse_retry_after(" 30 ", FAILED_AT) == timedelta(seconds=30)
    assert parse_retry_after(None, FAILED_AT) is None
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:10 GMT", FAILED_AT) == timedelta(seconds=10)


def test_other_time_zones_work_the_same():
    paris = FAILED_AT.astimezone(timezone(timedelta(hours=1)))
    assert next_attempt_at(1, paris, None, NO_JITTER) == FAILED_AT + timedelta(seconds=5)


def test_a_naive_failure_time_is_refused():
    with pytest.raises(ValueError):
        next_attempt_at(1, datetime(2026, 1, 1, 12, 0), None, NO_JITTER)


@pytest.mark.parametrize(
    ("attempt", "error"), [(0, ValueError), (-1, ValueError), (True, TypeError), (1.0, TypeError)]
)
def test_attempt_numbers_are_positive_integers(attempt, error):
    with pytest.raises(error):
        next_attempt_at(attempt, FAILED_AT, None, NO_JITTER)


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_a_2xx_response_is_a_delivery(status):
    assert classify_response(status) == "delivered"


def test_410_gone_disables_the_endpoint():
    assert classify_response(410) == "disable"


@pytest.mark.parametrize(
    "status", [None, 100, 199, 301, 302, 304, 400, 401, 404, 409, 429, 500, 502, 503, 504]
)
def test_anything_else_including_no_response_is_retried(status):
    assert classify_response(status) == "retry"


def test_a_status_code_must_be_an_int():
    with pytest.raises(TypeError):
        classify_response("200")
