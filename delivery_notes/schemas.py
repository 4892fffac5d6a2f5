"""Shapes of delivery notes in the REST API."""

import json

from marshmallow import Schema, fields


def pdf_status(note) -> str:
    if note.pdf_sha256:
        return "ready"
    if (note.render_error or "").startswith("failed:"):
        return "failed"
    return "pending"


class DeliveryNoteSchema(Schema):
    id = fields.String()
    ticket_id = fields.Integer()
    number = fields.String(metadata={"description": "gapless per year: DN-2026-000001"})
    signed_by = fields.String()
    signed_at = fields.DateTime(metadata={"description": "device time of the signature"})
    signature_attachment_id = fields.String()
    work_summary = fields.String()
    created_at = fields.DateTime()
    received_at = fields.DateTime()
    contractor_id = fields.Integer()
    content_sha256 = fields.String(
        allow_none=True,
        metadata={"description": "SHA-256 of the note's canonical JSON; null until sealed"},
    )
    pdf_sha256 = fields.String(allow_none=True, metadata={"description": "also the PDF's ETag"})
    pdf_status = fields.Function(
        pdf_status,
        metadata={"description": "`ready`, `pending` (signature not arrived yet) or `failed`"},
    )
    pdf_url = fields.Function(
        lambda note: f"/api/tickets/{note.ticket_id}/delivery-notes/{note.id}.pdf"
    )
    verify_url = fields.Function(lambda note: json.loads(note.context)["verify_url"])
