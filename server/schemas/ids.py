"""Ids as the API accepts them: JSON integers within the range a stored id can have.

Out-of-range numbers are a 422 here rather than an overflow in the database driver.
"""

from marshmallow import fields, validate
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # INTEGER primary keys; no row can have a larger id


def id_field(*, strict: bool = True, **kwargs) -> fields.Integer:
    """A positive id; `strict=False` for query strings, where every value is text."""
    return fields.Integer(strict=strict, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class IdConverter(IntegerConverter):
    """`<int:...>` in routes, documented with its bound. A larger id cannot exist, so it
    becomes 0 (no row has it) and the lookup answers 404 instead of overflowing the
    database driver; rejecting it here would turn some paths into a misleading 405."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        number = int(value)
        return number if number <= MAX_ID else 0
