"""Shapes of tickets, timeline events, messages and assignments."""

import json

from marshmallow import Schema, fields, validate

from server.domain.workflow import BILLING, PRIORITIES, STATUSES, TICKET_VISIBILITIES
from server.models import MESSAGE_VISIBILITIES
from server.schemas.ids import id_field
from server.schemas.times import Instant

TEXT = validate.Length(min=1, max=20000)


class TicketCreateSchema(Schema):
    summary = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(required=True, validate=TEXT)
    block_id = id_field(required=True)
    unit_id = id_field(allow_none=True)
    visibility = fields.String(validate=validate.OneOf(TICKET_VISIBILITIES))
    type = fields.String(validate=validate.Length(max=40), metadata={"description": "staff only"})
    priority = fields.String(validate=validate.OneOf(PRIORITIES), metadata={"description": "staff"})
    billing = fields.String(validate=validate.OneOf(BILLING), metadata={"description": "staff"})
    bill_to = fields.String(validate=validate.Length(max=200), metadata={"description": "staff"})
    department_id = id_field(metadata={"description": "staff only"})
    reporter_id = id_field(metadata={"description": "staff: report on behalf of this tenant"})
    addressed_to_id = id_field(
        metadata={"description": "staff: open a discussion with this tenant"}
    )
    deadline_at = Instant(metadata={"description": "staff"})


class TriageSchema(Schema):
    type = fields.String(required=True, validate=validate.Length(min=1, max=40))
    priority = fields.String(required=True, validate=validate.OneOf(PRIORITIES))
    billing = fields.String(validate=validate.OneOf(BILLING))
    department_id = id_field()
    deadline_at = Instant()


class StatusChangeSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    reason = fields.String(validate=validate.Length(max=2000))


class MessageCreateSchema(Schema):
    body = fields.String(required=True, validate=TEXT)
    visibility = fields.String(load_default="public", validate=validate.OneOf(MESSAGE_VISIBILITIES))


class AssignmentCreateSchema(Schema):
    contractor_id = id_field(required=True)


class AssignmentSchema(Schema):
    ticket_id = fields.Integer()
    contractor_id = fields.Integer()
    contractor_name = fields.Function(lambda link: link.contractor.name)
    active = fields.Boolean()
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)


class MessageSchema(Schema):
    id = fields.String()
    ticket_id = fields.Integer()
    body = fields.String()
    visibility = fields.String()
    author_id = fields.Integer()
    author_name = fields.Function(lambda m: m.author.name)
    author_role = fields.String(metadata={"description": "tenant, contractor, staff or admin"})
    created_at = fields.DateTime()
    received_at = fields.DateTime()


class EventSchema(Schema):
    id = fields.Integer()
    position = fields.Integer()
    kind = fields.String()
    author_id = fields.Integer(allow_none=True)
    author_name = fields.Function(lambda e: e.author.name if e.author else None, allow_none=True)
    author_role = fields.String()
    visibility = fields.String()
    data = fields.Function(lambda e: json.loads(e.data))
    created_at = fields.DateTime(metadata={"description": "server time"})
    device_time = fields.DateTime(allow_none=True, metadata={"description": "device clock"})
    hash = fields.String()
    prev_hash = fields.String(allow_none=True)


class TicketSchema(Schema):
    id = fields.Integer()
    ref = fields.String(metadata={"example": "T-000123"})
    summary = fields.String()
    description = fields.String()
    type = fields.String()
    priority = fields.String()
    status = fields.String()
    visibility = fields.String()
    billing = fields.String()
    bill_to = fields.String(allow_none=True)
    block_id = fields.Integer()
    unit_id = fields.Integer(allow_none=True)
    department_id = fields.Integer(allow_none=True)
    manager_id = fields.Integer(allow_none=True)
    reporter_id = fields.Integer(allow_none=True)
    addressed_to_id = fields.Integer(allow_none=True)
    deadline_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    first_response_at = fields.DateTime(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    awaiting_payment = fields.Boolean(
        metadata={"description": "chargeable: an invoice of the ticket is not paid yet"}
    )
    paid_in_full = fields.Boolean(
        metadata={
            "description": "chargeable: its invoice is paid in full (it closes when resolved)"
        }
    )
    sla_response_due_at = fields.DateTime(allow_none=True)
    sla_resolution_due_at = fields.DateTime(allow_none=True)
    sla_breached_at = fields.DateTime(allow_none=True)


class TicketDetailSchema(TicketSchema):
    events = fields.List(fields.Nested(EventSchema))
    assignments = fields.List(fields.Nested(AssignmentSchema))


class TicketListQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    type = fields.String(validate=validate.Length(max=40))
    department = id_field(strict=False)
    assignee = id_field(strict=False)
    q = fields.String(validate=validate.Length(min=1, max=200))
    updated_since = Instant()
    sla = fields.String(validate=validate.OneOf(["breached"]))
    cursor = fields.String(validate=validate.Length(max=100))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class TicketPageSchema(Schema):
    items = fields.List(fields.Nested(TicketSchema))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "pass as `cursor` for the next page; null at end"}
    )


class VerifySchema(Schema):
    intact = fields.Boolean(required=True)
    events = fields.Integer()
    first_broken_event = fields.Integer(
        allow_none=True, metadata={"description": "id of the first event that fails the check"}
    )
