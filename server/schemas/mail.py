"""Shapes of inbound mail results and quarantine review."""

from marshmallow import Schema, fields, validate

from server.models import MESSAGE_VISIBILITIES
from server.schemas.ids import id_field


class InboundResultSchema(Schema):
    status = fields.String(
        metadata={
            "description": "appended, new_ticket, quarantined, ignored, rejected, or "
            "duplicate (this Message-ID was processed before; nothing changed)"
        }
    )
    reason = fields.String(allow_none=True)
    inbound_id = fields.Integer(allow_none=True)
    ticket_id = fields.Integer(allow_none=True)
    message_id = fields.String(allow_none=True, metadata={"description": "the appended message"})


class InboundMailSchema(Schema):
    id = fields.Integer()
    message_id = fields.String(metadata={"description": "the mail's Message-ID"})
    status = fields.String()
    reason = fields.String(allow_none=True)
    ticket_id = fields.Integer(allow_none=True)
    appended_message_id = fields.String(allow_none=True)
    sender = fields.String()
    sender_name = fields.String()
    subject = fields.String()
    body_text = fields.String(metadata={"description": "the new text, history cut"})
    raw_size = fields.Integer()
    source = fields.String(metadata={"description": "api or imap"})
    received_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    decided_by_id = fields.Integer(allow_none=True)


class QuarantineQuerySchema(Schema):
    status = fields.String(
        load_default="quarantined",
        validate=validate.OneOf(("quarantined", "ignored", "rejected")),
        metadata={"description": "which mail: quarantined (default), ignored or rejected"},
    )
    before = id_field(metadata={"description": "cursor: id of the last mail seen"})
    limit = fields.Integer(
        load_default=50,
        validate=validate.Range(min=1, max=200),
        metadata={"description": "page size (1 to 200)"},
    )


class ReleaseSchema(Schema):
    ticket_id = id_field(metadata={"description": "default: the ticket the mail named"})
    visibility = fields.String(load_default="staff", validate=validate.OneOf(MESSAGE_VISIBILITIES))
