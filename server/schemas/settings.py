"""Shapes of agency settings: ticket types, SLA policies, holidays, canned responses,
notifications and preferences."""

from marshmallow import Schema, fields, validate

from server.domain.sla import SLA_CALENDARS
from server.schemas.ids import id_field
from server.schemas.times import Day


class TicketTypeSchema(Schema):
    name = fields.String(
        required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{1,39}$", error="snake_case")
    )
    label = fields.String(required=True, validate=validate.Length(min=1, max=100))
    built_in = fields.Boolean(dump_only=True)
    active = fields.Boolean(dump_only=True)


class SlaPolicySchema(Schema):
    priority = fields.String(dump_only=True)
    first_response_minutes = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, max=525600)
    )
    resolution_minutes = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, max=5256000)
    )
    warning_percent = fields.Integer(strict=True, load_default=80, validate=validate.Range(1, 99))
    calendar = fields.String(
        load_default="office_hours",
        validate=validate.OneOf(SLA_CALENDARS),
        metadata={
            "description": "`office_hours`: the clocks run Monday to Friday 09:00-17:30 "
            "local time (TIMEZONE) except holidays; `always`: 24/7, holidays included"
        },
    )


class HolidaySchema(Schema):
    day = Day(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class CannedResponseCreateSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    department_id = id_field(allow_none=True)


class CannedResponseUpdateSchema(Schema):
    """Only the members given change."""

    title = fields.String(validate=validate.Length(min=1, max=200))
    body = fields.String(validate=validate.Length(min=1, max=20000))
    department_id = id_field(allow_none=True)


class CannedResponseSchema(CannedResponseCreateSchema):
    id = fields.Integer()
    created_by_id = fields.Integer()
    created_at = fields.DateTime()
    retired_at = fields.DateTime(allow_none=True)


class NotificationSchema(Schema):
    id = fields.Integer()
    ticket_id = fields.Integer(allow_none=True)
    event_id = fields.Integer(allow_none=True)
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class NotificationQuerySchema(Schema):
    unread = fields.Boolean(
        load_default=False, metadata={"description": "true: only entries not marked read"}
    )
    before = id_field(strict=False, metadata={"description": "cursor: id of the last item seen"})
    limit = fields.Integer(
        load_default=50,
        validate=validate.Range(min=1, max=200),
        metadata={"description": "page size (1 to 200)"},
    )


class PreferencesSchema(Schema):
    notify_me = fields.Boolean(
        required=True,
        metadata={"description": "email me when my tickets are updated (in-app feed stays on)"},
    )
