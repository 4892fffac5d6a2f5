"""Validation of pushed records: the device-writable columns of each table.

Unknown columns are dropped (apps keep local-only columns, and WatermelonDB adds
`_status` and `_changed`); wrong types are a 422 naming the table, index and field.
"""

from datetime import UTC, datetime

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

EARLIEST_MS = 946684800000  # 2000-01-01
LATEST_MS = 4102444800000  # 2100-01-01
RECORD_ID = validate.Regexp(r"^[A-Za-z0-9_\-]{1,64}$", error="1-64 letters, digits, - or _")


class EpochMillis(fields.Integer):
    """Epoch milliseconds in, aware UTC datetime out."""

    def __init__(self, **kwargs):
        super().__init__(strict=False, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        number = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST_MS <= number <= LATEST_MS:
            raise ValidationError("Not a plausible time in epoch milliseconds.")
        return datetime.fromtimestamp(number / 1000, tz=UTC)


class DecimalString(fields.Decimal):
    """Decimals travel as strings; an empty string means 'not set'."""

    def __init__(self, **kwargs):
        super().__init__(places=None, allow_nan=False, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError("Decimals travel as strings.")
        if value.strip() == "":
            if self.allow_none:
                return None
            raise ValidationError("Missing decimal.")
        if len(value) > 30:
            raise ValidationError("Too long.")
        return super()._deserialize(value, attr, data, **kwargs)


class RecordSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    id = fields.String(required=True, validate=RECORD_ID)
    ticket_id = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{1,18}$"))
    created_at = EpochMillis(allow_none=True)


class TicketPushSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    id = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{1,18}$"))
    status = fields.String(
        required=True, validate=validate.OneOf(("new", "open", "on_hold", "resolved", "closed"))
    )


class MessagePushSchema(RecordSchema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    visibility = fields.String(load_default="public", validate=validate.OneOf(("public", "team")))


class TimeEntryPushSchema(RecordSchema):
    started_at = EpochMillis(allow_none=True)
    ended_at = EpochMillis(allow_none=True)
    minutes = fields.Integer(required=True, strict=True, validate=validate.Range(-10000, 10000))
    chargeable = fields.Boolean(load_default=True)
    note = fields.String(allow_none=True, validate=validate.Length(max=5000))


class MaterialPushSchema(RecordSchema):
    description = fields.String(required=True, validate=validate.Length(min=1, max=500))
    quantity = DecimalString(required=True, validate=validate.Range(-1000000, 1000000))
    unit = fields.String(load_default="each", validate=validate.Length(min=1, max=20))
    unit_price = DecimalString(allow_none=True, validate=validate.Range(0, 1000000))
    chargeable = fields.Boolean(load_default=True)


class DeliveryNotePushSchema(RecordSchema):
    signed_by = fields.String(required=True, validate=validate.Length(min=1, max=200))
    signed_at = EpochMillis(required=True)
    signature_attachment_id = fields.String(required=True, validate=RECORD_ID)
    work_summary = fields.String(load_default="", validate=validate.Length(max=10000))


class AttachmentPushSchema(RecordSchema):
    message_id = fields.String(allow_none=True, validate=RECORD_ID)
    filename = fields.String(required=True, validate=validate.Length(min=1, max=255))
    content_type = fields.String(required=True, validate=validate.Length(min=3, max=100))
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    size = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=2**31 - 1))


PUSH_SCHEMAS = {
    "tickets": TicketPushSchema(),
    "ticket_messages": MessagePushSchema(),
    "time_entries": TimeEntryPushSchema(),
    "materials": MaterialPushSchema(),
    "delivery_notes": DeliveryNotePushSchema(),
    "attachments": AttachmentPushSchema(),
}
