"""Attachment bytes from devices: `PUT /api/sync/attachments/{id}` with an RFC 9530
`Content-Digest`, before or after the record's push.

Storage, type sniffing and scope live in server.services.attachments; this module
only speaks the device side: the digest header, and records pushed as metadata.
"""

import base64
import binascii
import io
import re

from flask import current_app
from sqlalchemy import select

from delivery_notes.models import DeliveryNote
from delivery_notes.signature_png import MAX_BYTES as MAX_SIGNATURE_BYTES
from delivery_notes.signature_png import SignatureImageError, inspect_signature_png
from server.auth import Caller
from server.errors import DomainError, Invalid, UnsupportedMedia
from server.extensions import db
from server.models import Attachment, Message, Ticket
from server.scope import attachment_scope
from server.services import attachments
from server.storage import StoredBlob
from sync.schemas import RECORD_ID_PATTERN

RECORD_ID = re.compile(RECORD_ID_PATTERN)
UNKNOWN_TYPE = "application/octet-stream"  # until the bytes say what they are
DIGEST_ITEM = re.compile(r"\s*([A-Za-z0-9-]+)\s*=\s*:([A-Za-z0-9+/=]*):\s*")


class DigestProblem(DomainError):
    status, code, title = 400, "content_digest_invalid", "Content-Digest problem"


def parse_content_digest(header: str | None) -> str:
    """The hex SHA-256 from an RFC 9530 `Content-Digest` dictionary (other algorithms
    may be listed too; sha-256 must be among them)."""
    if not header:
        raise DigestProblem(
            "Send the bytes' SHA-256 as `Content-Digest: sha-256=:<base64>:`.",
            code="content_digest_required",
        )
    for item in header.split(","):
        match = DIGEST_ITEM.fullmatch(item)
        if match is None:
            raise DigestProblem("The Content-Digest header is malformed.")
        if match.group(1).lower() == "sha-256":
            try:
                raw = base64.b64decode(match.group(2), validate=True)
            except binascii.Error:
                raise DigestProblem("The sha-256 digest is not valid base64.") from None
            if len(raw) != 32:
                raise DigestProblem("The sha-256 digest must be 32 bytes.")
            return raw.hex()
    raise DigestProblem("Content-Digest must include sha-256.", code="content_digest_required")


def _checked_signature(caller: Caller, attachment_id: str, stream):
    """A customer's signature must be a real PNG of sane size, whatever it claims to be:
    checked here when a signed note the caller can see already names this attachment
    (otherwise when the note is rendered, which records the problem on the note)."""
    visible = select(Attachment.id).where(attachment_scope(caller), Attachment.id == attachment_id)
    if (
        db.session.scalar(
            select(DeliveryNote.id).where(
                DeliveryNote.signature_attachment_id == attachment_id,
                DeliveryNote.signature_attachment_id.in_(visible),
            )
        )
        is None
    ):
        return stream
    data = stream.read(MAX_SIGNATURE_BYTES + 1)
    try:
        inspect_signature_png(data)
    except SignatureImageError as error:
        if error.code == "not_png":
            raise UnsupportedMedia(
                f"The signature is not a PNG image: {error}", code="signature_not_png"
            ) from None
        raise Invalid(
            f"The signature image is not acceptable: {error}",
            code="signature_image_invalid",
            errors={"signature": [str(error)]},
        ) from None
    return io.BytesIO(data)


def upload(caller: Caller, attachment_id: str, stream, digest_header: str | None) -> dict:
    if not RECORD_ID.fullmatch(attachment_id):
        raise Invalid(
            "Attachment ids are 1 to 64 letters, digits, `-` or `_`, as in the record.",
            errors={"attachment_id": ["not a record id"]},
        )
    expected = parse_content_digest(digest_header)
    stream = _checked_signature(caller, attachment_id, stream)
    received = attachments.store_bytes_for(caller, attachment_id, stream, expected)
    return {
        "id": attachment_id,
        "sha256": received.sha256,
        "size": received.size,
        "record": received.attachment is not None,
    }


def record_pushed(caller: Caller, ticket: Ticket, fields: dict, device) -> None:
    """A pushed attachment record. It is `uploaded` only if this user already sent
    its bytes for this id (otherwise when they do), with the type sniffed from them;
    a declared type outside ATTACHMENT_TYPES is refused. Its message may be in the
    same push (pushed first) or still on its way: the file stays hidden until it
    arrives and its event is staff-only (server.services.attachments)."""
    declared = attachments.normalise_type(fields["content_type"])
    allowed = current_app.config["ATTACHMENT_TYPES"]
    if declared not in allowed and declared not in attachments.UNDECLARED:
        raise UnsupportedMedia(
            f"Attachment {fields['id']} is declared as {declared}; attachments must be one "
            f"of: {', '.join(allowed)}.",
            code="attachment_type_refused",
        )
    message = None
    if fields.get("message_id"):
        found = db.session.get(Message, fields["message_id"])
        if found is not None and found.ticket_id == ticket.id and found.author_id == caller.id:
            message = found
    pending = attachments.claim_pending_bytes(caller, fields["id"], fields["sha256"])
    attachments.record_attachment(
        caller,
        ticket,
        filename=fields["filename"],
        content_type=pending.content_type if pending else declared or UNKNOWN_TYPE,
        blob=StoredBlob(fields["sha256"], pending.size if pending else fields["size"]),
        message=message,
        attachment_id=fields["id"],
        created_at=fields.get("created_at"),
        device=device,
        uploaded=pending is not None,
        awaited_message_id=fields.get("message_id") if message is None else None,
    )
