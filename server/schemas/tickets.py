"""Shapes of tickets, timeline events, messages and assignments."""

import json

from marshmallow import Schema, fields, validate

from server.domain.workflow import (
    BILLING,
    PRIORITIES,
    QUEUE_SORTS,
    SLA_STATES,
    STATUSES,
    TICKET_VISIBILITIES,
)
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


class TicketUpdateSchema(Schema):
    """Only the members given change; each change is one `updated` timeline event with
    the old and new value of every field it changed."""

    summary = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String(validate=TEXT)
    visibility = fields.String(validate=validate.OneOf(TICKET_VISIBILITIES))
    unit_id = id_field(allow_none=True, metadata={"description": "a unit of the ticket's block"})
    manager_id = id_field(allow_none=True, metadata={"description": "an active staff member"})
    owner_id = id_field(
        allow_none=True, metadata={"description": "the staff member who owns the ticket"}
    )
    department_id = id_field(allow_none=True)
    deadline_at = fields.AwareDateTime(allow_none=True, metadata={"description": "null clears"})


class DuplicateSchema(Schema):
    duplicate_of = id_field(
        required=True, metadata={"description": "the ticket to follow instead (visible to you)"}
    )


class MessageListQuerySchema(Schema):
    cursor = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "`next_cursor` of the previous page"},
    )
    limit = fields.Integer(
        load_default=50,
        validate=validate.Range(min=1, max=200),
        metadata={"description": "page size (1 to 200)"},
    )


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


class MessagePageSchema(Schema):
    items = fields.List(fields.Nested(MessageSchema))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "pass as `cursor` for the next page; null at end"}
    )


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
    owner_id = fields.Integer(allow_none=True, metadata={"description": "staff owner"})
    duplicate_of_id = fields.Integer(
        allow_none=True, metadata={"description": "closed as a duplicate of this ticket"}
    )
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
    duplicate_ids = fields.List(
        fields.Integer(), metadata={"description": "tickets closed as duplicates of this one"}
    )


def _filter_id(description: str) -> fields.Integer:
    return id_field(strict=False, metadata={"description": description})


class TicketListQuerySchema(Schema):
    status = fields.String(
        validate=validate.OneOf(STATUSES), metadata={"description": "one status"}
    )
    priority = fields.String(
        validate=validate.OneOf(PRIORITIES), metadata={"description": "one priority"}
    )
    type = fields.String(validate=validate.Length(max=40), metadata={"description": "a type name"})
    department = _filter_id("tickets of this department")
    assignee = _filter_id("tickets this contractor is actively assigned to")
    owner = _filter_id("tickets this staff member owns")
    manager = _filter_id("tickets this staff member manages")
    reporter = _filter_id("tickets this user reported")
    block = _filter_id("tickets of this block")
    unit = _filter_id("tickets of this unit")
    q = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={
            "description": "words to find (each as a prefix, all required) in the ref, "
            "summary, description, message bodies, reporter's name, block name and "
            "address and unit name"
        },
    )
    created_after = Instant(metadata={"description": "created at or after"})
    created_before = Instant(metadata={"description": "created before"})
    updated_since = Instant(metadata={"description": "updated at or after"})
    updated_before = Instant(metadata={"description": "updated before"})
    sla = fields.String(
        validate=validate.OneOf(SLA_STATES),
        metadata={
            "description": "`breached`: a due time passed or was missed; `warning`: at "
            "risk, a running clock (first response, then resolution) not breached that has "
            "used its priority's SLA `warning_percent` of the time since the ticket was "
            "created; `ok`: a running clock neither at risk nor breached"
        },
    )
    sort = fields.String(
        load_default="newest",
        validate=validate.OneOf(QUEUE_SORTS),
        metadata={
            "description": "`newest` (default, by id), `updated` (recently updated first), "
            "`due` (the running SLA clock's due time, soonest first; tickets without a "
            "running clock last), `priority` (critical first, then newest). A `cursor` "
            "belongs to the sort that made it"
        },
    )
    cursor = fields.String(
        validate=validate.Length(max=100),
        metadata={"description": "`next_cursor` of the previous page"},
    )
    limit = fields.Integer(
        load_default=50,
        validate=validate.Range(min=1, max=200),
        metadata={"description": "page size (1 to 200)"},
    )


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
