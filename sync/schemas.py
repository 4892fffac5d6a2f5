"""Validation of pushed records: the device-writable columns of each table.

A day's push is thousands of records, so they are checked by msgspec's compiled
converter (about fifty times faster than a marshmallow schema per record) against
the typed structs below. Unknown columns are dropped (apps keep local-only
columns, and WatermelonDB adds `_status` and `_changed`); wrong types are a 422
naming the table, index and field. A column the device did not send is absent from
the clean record (so a re-push compares only what was sent).
"""

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from server.models.work import MINUTES_LIMIT, QUANTITY_LIMIT, UNIT_PRICE_LIMIT

EARLIEST_MS = 946684800000  # 2000-01-01
LATEST_MS = 4102444800000  # 2100-01-01

RECORD_ID_PATTERN = r"^[A-Za-z0-9_\-]{1,64}$"
RecordId = Annotated[str, Meta(pattern=RECORD_ID_PATTERN)]
# A ticket's id as text: a stored id is 1..2^31-1 (the range is checked in `_clean`).
TicketId = Annotated[str, Meta(pattern=r"^[1-9][0-9]{0,9}$")]
MAX_TICKET_ID = 2**31 - 1
# Epoch milliseconds (JavaScript's Date.now()); whole numbers sent as floats pass too.
Millis = Annotated[float, Meta(ge=EARLIEST_MS, le=LATEST_MS)]
DecimalText = Annotated[str, Meta(max_length=30)]  # decimals travel as strings


def _text(low: int, high: int):
    return Annotated[str, Meta(min_length=low, max_length=high)]


class Record(Struct, kw_only=True):
    id: RecordId
    ticket_id: TicketId
    created_at: Millis | None | UnsetType = UNSET


class TicketPush(Struct):
    """A ticket's new status (the only change a device makes to a ticket)."""

    id: TicketId
    status: Literal["new", "open", "on_hold", "resolved", "closed"]


class MessagePush(Record):
    """A reply written on the device (`public` or `team`)."""

    body: _text(1, 20000)
    visibility: Literal["public", "team"] = "public"


class TimeEntryPush(Record):
    """Hours worked; negative minutes correct an earlier entry."""

    minutes: Annotated[int, Meta(ge=-MINUTES_LIMIT, le=MINUTES_LIMIT)]
    started_at: Millis | None | UnsetType = UNSET
    ended_at: Millis | None | UnsetType = UNSET
    chargeable: bool = True
    note: _text(0, 5000) | None | UnsetType = UNSET


class MaterialPush(Record):
    """A material used; `quantity` and `unit_price` are decimal strings."""

    description: _text(1, 500)
    quantity: DecimalText
    unit: _text(1, 20) = "each"
    unit_price: DecimalText | None | UnsetType = UNSET
    chargeable: bool = True


class DeliveryNotePush(Record):
    """A delivery note signed on site (its signature image is an attachment)."""

    signed_by: _text(1, 200)
    signed_at: Millis
    signature_attachment_id: RecordId
    work_summary: _text(0, 10000) = ""


class AttachmentPush(Record):
    """A file's record; its bytes go to /api/sync/attachments/{id} (before or after)."""

    filename: _text(1, 255)
    content_type: _text(3, 100)
    sha256: Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$")]
    size: Annotated[int, Meta(ge=0, le=2**31 - 1)]
    message_id: RecordId | None | UnsetType = UNSET


STRUCTS = {
    "tickets": TicketPush,
    "ticket_messages": MessagePush,
    "time_entries": TimeEntryPush,
    "materials": MaterialPush,
    "delivery_notes": DeliveryNotePush,
    "attachments": AttachmentPush,
}
TIMES = ("created_at", "started_at", "ended_at", "signed_at")
# Decimal columns: (lowest, highest, decimal places the column keeps, may be empty).
# The limits are the models' (server.models.work), which fit the columns and billing.
DECIMALS = {
    "quantity": (-QUANTITY_LIMIT, QUANTITY_LIMIT, 3, False),
    "unit_price": (Decimal(0), UNIT_PRICE_LIMIT, 2, True),
}


class RecordError(ValueError):
    """One record is invalid: `messages` is {field: [message]}, like a 422's errors."""

    def __init__(self, messages: dict):
        super().__init__(messages)
        self.messages = messages


# Per table, the time and decimal fields its struct has (the only ones to convert).
_TIMES = {t: [n for n in TIMES if n in s.__struct_fields__] for t, s in STRUCTS.items()}
_DECIMALS = {t: [n for n in DECIMALS if n in s.__struct_fields__] for t, s in STRUCTS.items()}
_LISTS = {table: list[struct] for table, struct in STRUCTS.items()}


def load(table: str, raw: dict) -> dict:
    """The clean record (datetimes and Decimals in place) or RecordError."""
    try:
        record = msgspec.convert(raw, STRUCTS[table])
    except msgspec.ValidationError as error:
        raise RecordError(_messages(str(error))) from None
    return _clean(table, record)


def load_many(table: str, raws: list) -> list[dict] | None:
    """The clean records of a list in one conversion, or None if any is invalid (then
    `load` each to say which and why): a day's push converts a thousand at once."""
    try:
        return [_clean(table, r) for r in msgspec.convert(raws, _LISTS[table])]
    except (msgspec.ValidationError, RecordError):
        return None


def _clean(table: str, record: Struct) -> dict:
    clean = {f: v for f in record.__struct_fields__ if (v := getattr(record, f)) is not UNSET}
    ticket_field = "id" if table == "tickets" else "ticket_id"
    if int(clean[ticket_field]) > MAX_TICKET_ID:
        raise RecordError({ticket_field: [f"Ticket ids are at most {MAX_TICKET_ID}."]})
    for name in _TIMES[table]:
        value = clean.get(name)
        if value is not None:
            if value != int(value):
                raise RecordError({name: ["Not whole epoch milliseconds."]})
            clean[name] = datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    for name in _DECIMALS[table]:
        if name in clean:
            low, high, places, optional = DECIMALS[name]
            clean[name] = _decimal(name, clean[name], low, high, places, optional)
    return clean


def _decimal(name: str, text: str | None, low: Decimal, high: Decimal, places: int, optional: bool):
    if text is None or text.strip() == "":
        if optional:
            return None
        raise RecordError({name: ["Missing decimal."]})
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise RecordError({name: ["Not a valid number."]}) from None
    if not value.is_finite() or not low <= value <= high:
        raise RecordError({name: [f"Must be between {low} and {high}."]})
    # Rounded here, half-up, to what the column keeps, the same way on every database
    # (refusing it would wedge the device: a push fails only for what it can fix).
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _messages(text: str) -> dict:
    """msgspec says "Expected `int`, got `str` - at `$.minutes`": key it by the field."""
    message, _, where = text.partition(" - at `$")
    field = where.rstrip("`").lstrip(".").split(".")[0].split("[")[0] or "_record"
    if message.startswith("Object missing required field"):
        field = message.split("`")[1]
        message = "Missing data for required field."
    return {field: [message]}


# What a pull sends (sync.records builds these rows; the OpenAPI document shows these
# structs, and tests/sync/test_documented_shapes.py checks real pulls against them).
Ms = Annotated[int, Meta(description="epoch milliseconds")]


class TicketRecord(Struct):
    """A ticket as a contractor's device holds it, with what is needed on site."""

    id: TicketId
    ref: Annotated[str, Meta(examples=["T-000123"])]
    summary: str
    description: str
    status: Literal["new", "open", "on_hold", "resolved", "closed"]
    priority: Literal["unassigned", "low", "normal", "high", "critical"]
    type: str
    billing: Literal["chargeable", "included"]
    block_name: str
    unit_name: str | None
    address: str
    tenant_name: Annotated[str | None, Meta(description="the unit's current tenant")]
    tenant_phone: str | None
    access_notes: Annotated[str | None, Meta(description="the unit's, then the block's")]
    deadline_at: Ms | None
    certificates: Annotated[str, Meta(description="JSON text: the block's and unit's certificates")]
    unit_history: Annotated[
        str, Meta(description="JSON text: the unit's last 10 tickets (ref, summary, outcome)")
    ]
    created_at: Ms
    updated_at: Annotated[int, Meta(description="when this record last changed (epoch ms)")]


class MessageRecord(Struct):
    """A reply on a ticket the contractor may read (`public` or `team`)."""

    id: RecordId
    ticket_id: TicketId
    body: str
    visibility: Literal["public", "team", "staff"]
    author_id: str
    author_name: str
    author_role: Literal["tenant", "contractor", "staff", "admin"]
    created_at: Ms


class TimeEntryRecord(Struct):
    """Hours logged on a ticket."""

    id: RecordId
    ticket_id: TicketId
    started_at: Ms | None
    ended_at: Ms | None
    minutes: int
    chargeable: bool
    note: str | None
    created_at: Ms
    contractor_id: str


class MaterialRecord(Struct):
    """A material used on a ticket; decimals are strings."""

    id: RecordId
    ticket_id: TicketId
    description: str
    quantity: Annotated[str, Meta(examples=["1.5"])]
    unit: str
    unit_price: Annotated[str | None, Meta(examples=["12.50"])]
    chargeable: bool
    created_at: Ms


class DeliveryNoteRecord(Struct):
    """A signed delivery note; `number`, `pdf_url` and `content_sha256` once sealed."""

    id: RecordId
    ticket_id: TicketId
    signed_by: str
    signed_at: Ms
    signature_attachment_id: RecordId | None
    work_summary: str
    created_at: Ms
    number: str | None
    pdf_url: str | None
    content_sha256: str | None


class AttachmentRecord(Struct):
    """A file's record; `uploaded` is false until its bytes arrived."""

    id: RecordId
    ticket_id: TicketId
    message_id: RecordId | None
    filename: str
    content_type: str
    sha256: str
    size: int
    created_at: Ms
    uploaded: bool


RECORDS = {
    "tickets": TicketRecord,
    "ticket_messages": MessageRecord,
    "time_entries": TimeEntryRecord,
    "materials": MaterialRecord,
    "delivery_notes": DeliveryNoteRecord,
    "attachments": AttachmentRecord,
}
