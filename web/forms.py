"""Form posts read through the API's own marshmallow schemas, so a page accepts exactly
what the API accepts and refuses it with the same words (no rule written twice).

Browsers send every field as text: empty fields are left out (or sent as null where
the form clears a value), checkboxes arrive as "on", repeated fields as lists.
"""

import re

from marshmallow import Schema, ValidationError

from server.errors import Invalid

INTEGER = re.compile(r"-?[0-9]{1,18}")


def read_form(schema: Schema, form, *, lists=(), flags=(), nullable=(), ints=()) -> dict:
    """The form's fields loaded by `schema`; 422 `validation_failed` with the field
    errors when it refuses them. `ints`: fields the API's schema takes as JSON numbers
    (strict ids, minutes): whole numbers are passed as numbers, other text as typed, for
    the schema to refuse in its own words."""
    raw: dict = {}
    for name in form:
        if name == "csrf_token":
            continue
        if name in lists:
            raw[name] = [value for value in form.getlist(name) if value != ""]
            continue
        value = form.get(name, "")
        if name in flags:
            raw[name] = value in ("on", "true", "1", "yes")
        elif value.strip() == "":
            if name in nullable:
                raw[name] = None
        else:
            raw[name] = value
    for name in flags:
        raw.setdefault(name, False)  # an unticked box is not sent at all
    for name in ints:
        if name in raw:
            raw[name] = _as_int(raw[name])
    return load(schema, raw)


def load(schema: Schema, raw: dict) -> dict:
    """`raw` (already shaped, e.g. lists of rows) loaded by `schema`; 422 like `read_form`."""
    try:
        return schema.load(raw)
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {}
        raise Invalid("Check the highlighted fields.", errors=_flatten(messages)) from None


def _as_int(value):
    """A whole number typed as text becomes a number (each item of a list field)."""
    if isinstance(value, list):
        return [_as_int(item) for item in value]
    if isinstance(value, str) and INTEGER.fullmatch(value.strip()):
        return int(value.strip())
    return value


def _flatten(messages: dict) -> dict[str, list[str]]:
    flat = {}
    for name, value in messages.items():
        if isinstance(value, dict):
            value = [text for texts in value.values() for text in _texts(texts)]
        flat[name] = list(_texts(value))
    return flat


def _texts(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
