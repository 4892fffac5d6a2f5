"""When to retry a failed webhook delivery: the Standard Webhooks schedule, with jitter.

Attempt 1 is the immediate delivery after commit; each later attempt waits the
scheduled delay after the *previous failure*: 5 s, 5 min, 30 min, 2 h, 5 h,
10 h, 14 h, 20 h, 24 h. After attempt 10 fails the delivery is dead-lettered.

Decisions:

* Jitter is ±10 % of the scheduled delay (so that a recovering ERP is not hit
  by every queued delivery in the same second).
* A `Retry-After` (seconds or HTTP-date) is honoured as a *lower bound*: the
  wait is max(jittered schedule, Retry-After). Retry-After is capped at 24 h so
  an endpoint cannot park deliveries indefinitely, and it never moves us
  earlier than the schedule, nor extends the number of attempts.
* Unparseable Retry-After values are ignored.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Literal, Protocol

__all__ = [
    "JITTER",
    "MAX_ATTEMPTS",
    "MAX_RETRY_AFTER",
    "SCHEDULE",
    "classify_response",
    "next_attempt_at",
    "parse_retry_after",
]

# Delay before attempt n (index n - 1), measured from the previous failure.
SCHEDULE: tuple[timedelta, ...] = (
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
MAX_ATTEMPTS = len(SCHEDULE)
JITTER = 0.10
MAX_RETRY_AFTER = timedelta(hours=24)

_SECONDS = re.compile(r"[0-9]{1,32}")

Outcome = Literal["delivered", "retry", "disable"]


class RandomSource(Protocol):
    def random(self) -> float: ...


_default_rng = random.Random()


def classify_response(status_code: int | None) -> Outcome:
    """2xx delivered, 410 Gone disables the endpoint, anything else (or no response) retries."""
    if status_code is None:
        return "retry"  # timeout or connection error
    if isinstance(status_code, bool) or not isinstance(status_code, int):
        raise TypeError("status_code must be an int or None")
    if 200 <= status_code <= 299:
        return "delivered"
    if status_code == 410:
        return "disable"
    return "retry"  # includes 3xx: deliveries don't follow redirects


def parse_retry_after(header: str | None, failed_at: datetime) -> timedelta | None:
    """Retry-After as a delay from `failed_at`, clamped to [0, 24 h]; None if absent or invalid."""
    if header is None:
        return None
    text = header.strip()
    if _SECONDS.fullmatch(text):
        # Compare as int first: a huge value would overflow timedelta.
        delay = timedelta(seconds=min(int(text), int(MAX_RETRY_AFTER.total_seconds())))
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None or when.tzinfo is None:
            return None  # HTTP-dates are GMT; a date without a zone is not one
        delay = when - failed_at
    return min(max(delay, timedelta(0)), MAX_RETRY_AFTER)


def next_attempt_at(
    attempt_number: int,
    failed_at: datetime,
    retry_after_header: str | None = None,
    rng: RandomSource | None = None,
) -> datetime | None:
    """When to try again after attempt `attempt_number` (1-based) failed; None = dead letter."""
    if isinstance(attempt_number, bool) or not isinstance(attempt_number, int):
        raise TypeError("attempt_number must be an int")
    if attempt_number < 1:
        raise ValueError("attempt_number is 1-based")
    if failed_at.tzinfo is None or failed_at.utcoffset() is None:
        raise ValueError("failed_at must be timezone-aware")
    if attempt_number >= MAX_ATTEMPTS:
        return None

    scheduled = SCHEDULE[attempt_number]
    factor = 1 + JITTER * (2 * (rng or _default_rng).random() - 1)
    delay = timedelta(seconds=scheduled.total_seconds() * factor)
    retry_after = parse_retry_after(retry_after_header, failed_at)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return failed_at + delay
