"""Attachment bytes from devices: `PUT /api/sync/attachments/{id}` with an RFC 9530
`Content-Digest`, before or after the record's push.

Storage, type sniffing and scope live in server.services.attachments; this module
only speaks the device side: the digest header, and records pushed as metadata.
"""

import base64
import binascii
import io
import re

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
    """A pushed attachment record; its message may be in the same push (pushed first)
    or still on its way, in which case the file stays hidden until it arrives."""
    message = None
    if fields.get("message_id"):
        found = db.session.get(Message, fields["message_id"])
        if found is not None and found.ticket_id == ticket.id and found.author_id == caller.id:
            message = found
    attachment = attachments.record_attachment(
        caller,
        ticket,
        filename=fields["filename"],
        content_type=attachments.normalise_type(fields["content_type"]),
        blob=StoredBlob(fields["sha256"], fields["size"]),
        message=message,
        attachment_id=fields["id"],
        created_at=fields.get("created_at"),
        device=device,
    )
    if message is None and fields.get("message_id"):
        attachment.message_id = fields["message_id"]
