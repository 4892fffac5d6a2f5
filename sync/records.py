"""How server rows look on a device: the public device schema (SPEC §6), version 1.

Columns are snake_case, times epoch milliseconds, decimals strings, ids strings.
Each serializer is a plain function of rows already loaded in bulk (no queries).
"""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

SCHEMA_VERSION = 1

TABLES = (
    "tickets",
    "ticket_messages",
    "time_entries",
    "materials",
    "delivery_notes",
    "attachments",
)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MILLISECOND = timedelta(milliseconds=1)


def ms(value: datetime | int | None) -> int | None:
    """Epoch milliseconds, floored (exact: no float rounding). Pulls read children's
    times already converted by the database (sync.pull), which pass through."""
    if value is None or isinstance(value, int):
        return value
    return (value - EPOCH) // MILLISECOND


def dec(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def price(value: Decimal | None) -> str | None:
    """A price at its column's scale, 2 places: "18.50" pushed comes back "18.50"."""
    return None if value is None else format(value.quantize(Decimal("0.01")), "f")


def ticket_record(ticket, context) -> dict:
    """A ticket with what a contractor needs on site: address, tenant, access, certificates.
    `ticket` is a row of sync.pull's ticket query (with its block's and unit's fields)."""
    tenant = context.tenant_for(ticket)
    notes = [n for n in (ticket.unit_access_notes, ticket.block_access_notes) if n]
    return {
        "id": str(ticket.id),
        "ref": ticket.ref,
        "summary": ticket.summary,
        "description": ticket.description,
        "status": ticket.status,
        "priority": ticket.priority,
        "type": ticket.type,
        "billing": ticket.billing,
        "block_name": ticket.block_name,
        "unit_name": ticket.unit_name,
        "address": ticket.address,
        "tenant_name": tenant.name if tenant else None,
        "tenant_phone": tenant.phone if tenant else None,
        "access_notes": "\n".join(notes) or None,
        "deadline_at": ticket.deadline_at,
        "certificates": json.dumps(context.certificates_for(ticket), ensure_ascii=False),
        "unit_history": json.dumps(context.history_for(ticket), ensure_ascii=False),
        "created_at": ticket.created_at,
        "updated_at": ticket.record_updated_at or ticket.updated_at,
    }


# The child serializers take the rows of sync.pull's queries, whose times the
# database already turned into epoch milliseconds.


def message_record(message, context) -> dict:
    return {
        "id": message.id,
        "ticket_id": str(message.ticket_id),
        "body": message.body,
        "visibility": message.visibility,
        "author_id": str(message.author_id),
        "author_name": message.author_name,  # joined by the pull
        "author_role": message.author_role,
        "created_at": message.created_at,
    }


def time_entry_record(entry, context) -> dict:
    return {
        "id": entry.id,
        "ticket_id": str(entry.ticket_id),
        "started_at": entry.started_at,
        "ended_at": entry.ended_at,
        "minutes": entry.minutes,
        "chargeable": entry.chargeable,
        "note": entry.note,
        "created_at": entry.created_at,
        "contractor_id": str(entry.contractor_id),
    }


def material_record(material, context) -> dict:
    return {
        "id": material.id,
        "ticket_id": str(material.ticket_id),
        "description": material.description,
        "quantity": dec(material.quantity),
        "unit": material.unit,
        "unit_price": price(material.unit_price),
        "chargeable": material.chargeable,
        "created_at": material.created_at,
    }


def attachment_record(attachment, context) -> dict:
    return {
        "id": attachment.id,
        "ticket_id": str(attachment.ticket_id),
        "message_id": attachment.message_id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "sha256": attachment.sha256,
        "size": attachment.size,
        "created_at": attachment.created_at,
        "uploaded": attachment.uploaded,
    }


def delivery_note_record(note, context) -> dict:
    return {
        "id": note.id,
        "ticket_id": str(note.ticket_id),
        "signed_by": note.signed_by,
        "signed_at": note.signed_at,
        "signature_attachment_id": note.signature_attachment_id,
        "work_summary": note.work_summary,
        "created_at": note.created_at,
        "number": note.number,
        "pdf_url": context.pdf_url(note),
        "content_sha256": note.content_sha256,
    }
