"""Dates and instants as the API accepts them: one field type for each, everywhere.

An instant must carry its offset and is kept in UTC; one that leaves the calendar
when moved to UTC (`0001-01-01T00:00:00+14:00`) or lies outside EARLIEST..LATEST,
and a day outside that range, is a 422 naming the field, never an OverflowError (a
500) in a conversion, a comparison or the database driver. The range is wide for
any real deadline, payment or report window, and leaves room for a day's arithmetic.
"""

from datetime import UTC, date, datetime

from marshmallow import ValidationError, fields

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)
RANGE_MESSAGE = f"Must be between {EARLIEST.date()} and {LATEST.date()}."


class Instant(fields.AwareDateTime):
    """An ISO 8601 date-time with an offset, loaded as an aware UTC datetime."""

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        loaded = super()._deserialize(value, attr, data, **kwargs)
        try:
            utc = loaded.astimezone(UTC)
        except OverflowError:
            raise ValidationError(RANGE_MESSAGE) from None
        if not EARLIEST <= utc < LATEST:
            raise ValidationError(RANGE_MESSAGE)
        return utc


class Day(fields.Date):
    """An ISO 8601 calendar date within the same range."""

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        loaded = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST.date() <= loaded < LATEST.date():
            raise ValidationError(RANGE_MESSAGE)
        return loaded
