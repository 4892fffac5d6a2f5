"""Attachments on tickets and messages: store the bytes, record them, serve them back.

Bytes are content-addressed (`server.storage`), so storing them needs no database
row. A REST upload stores the bytes, then records them (`uploaded` true). A device
syncing offline work sends the record (sync push) and the bytes (`store_bytes_for`)
in either order. Knowing a hash proves nothing: a record becomes `uploaded` only when
its own uploader sends the bytes for that record id, before the record (remembered
as a `PendingUpload` of that user and id) or after it. Bytes stored for someone else
never serve a record, so `uploaded` says nothing about which files exist. Pending
bytes count against a per-user quota (ATTACHMENT_PENDING_MAX_BYTES); blobs nothing
refers to are swept after ATTACHMENT_ORPHAN_GRACE_HOURS (`sweep_orphans`).

The declared content type is never trusted: the bytes are sniffed (magic numbers
for PNG, JPEG, WebP and PDF; text/plain only for valid UTF-8 without NUL bytes) and
refused with 415 unless the sniffed type is allowed (ATTACHMENT_TYPES) and agrees
with the declared one. The stored type is always the sniffed one.
"""

import codecs
import os
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO

from flask import current_app
from sqlalchemy import delete, func, select

from server.auth import Caller
from server.db import utcnow
from server.domain import workflow
from server.errors import (
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    StorageUnavailable,
    UnsupportedMedia,
)
from server.extensions import db
from server.models import Attachment, Device, Message, PendingUpload, Ticket
from server.scope import attachment_scope, get_visible_ticket, readable_visibilities
from server.services import held_work
from server.services.rules import check_staff_update
from server.services.timeline import append_event
from server.storage import StoredBlob, blob_store

MAGIC = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"%PDF-", 0, "application/pdf"),
)
ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png"}
# What browsers send when they do not know: the sniffed type is used as is.
UNDECLARED = ("", "application/octet-stream")
EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "text/plain": ".txt",
}
FILENAME_MAX = 255
HEAD_BYTES = 16


class TypeSniffer:
    """A pass-through reader that names the type of what went through it, so the
    bytes are streamed once: magic numbers from the head, UTF-8 validity throughout."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream
        self._head = b""
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._text = True

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        if len(self._head) < HEAD_BYTES:
            self._head += chunk[: HEAD_BYTES - len(self._head)]
        if self._text and chunk:
            if b"\0" in chunk:
                self._text = False
            else:
                try:
                    self._utf8.decode(chunk)
                except UnicodeDecodeError:
                    self._text = False
        return chunk

    def sniffed_type(self) -> str | None:
        head = self._head
        for magic, offset, content_type in MAGIC:
            if head[offset : offset + len(magic)] == magic:
                return content_type
        if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            return "image/webp"
        if self._text:
            try:
                self._utf8.decode(b"", final=True)  # a sequence cut off at the end
            except UnicodeDecodeError:
                self._text = False
        return "text/plain" if self._text else None


def normalise_type(declared: str | None) -> str:
    """`Image/JPG; q=1` -> `image/jpeg`: parameters dropped, known aliases folded."""
    base = (declared or "").split(";", 1)[0].strip().lower()
    return ALIASES.get(base, base)


def sanitise_filename(name: str | None, content_type: str = "") -> str:
    """A display name safe in headers and on any disk: the last path segment only, no
    control or format characters, at most 255 characters with the extension kept."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp"))
    name = name.strip().strip(".").strip()
    if not name:
        return "attachment" + EXTENSIONS.get(content_type, "")
    if len(name) > FILENAME_MAX:
        stem, ext = os.path.splitext(name)
        ext = ext if len(ext) <= 16 else ""
        name = stem[: FILENAME_MAX - len(ext)] + ext
    return name


def check_type(sniffed: str | None, declared: str | None) -> str:
    """The type to record: the sniffed one, if allowed and matching what was declared."""
    allowed = current_app.config["ATTACHMENT_TYPES"]
    if sniffed is None or sniffed not in allowed:
        raise UnsupportedMedia(
            f"Attachments must be one of: {', '.join(allowed)}.", code="attachment_type_refused"
        )
    declared = normalise_type(declared)
    if declared not in UNDECLARED and declared != sniffed:
        raise UnsupportedMedia(
            f"The file was declared as {declared} but its content is {sniffed}.",
            code="attachment_type_mismatch",
        )
    return sniffed


def _message_for(caller: Caller, ticket: Ticket, message_id: str) -> Message:
    message = db.session.get(Message, message_id)
    if (
        message is None
        or message.ticket_id != ticket.id
        or message.visibility not in readable_visibilities(caller)
    ):
        # Same answer whether it is absent or hidden: existence is not revealed.
        raise Invalid("No such message.", errors={"message_id": ["no such message on this ticket"]})
    if message.author_id != caller.user.id:
        raise Forbidden("Files are attached to your own messages only.", code="not_message_author")
    return message


def record_attachment(
    caller: Caller,
    ticket: Ticket,
    *,
    filename: str,
    content_type: str,
    blob: StoredBlob,
    message: Message | None = None,
    attachment_id: str | None = None,
    created_at: datetime | None = None,
    device: Device | None = None,
    uploaded: bool = True,
    awaited_message_id: str | None = None,
) -> Attachment:
    """Record an attachment (filename sanitised here) and its `attachment_added` event,
    as private as its message. The caller holds the ticket row (get_visible_ticket
    with for_update); sync passes the device's id, time and the record's sha256/size,
    whether its uploader's bytes are in (`uploaded`), and the id of a message that has
    not arrived (`awaited_message_id`): the file stays hidden until it does, and its
    event, which cannot wait, is staff-only, the least visible a message can be."""
    now = utcnow()
    attachment = Attachment(
        id=attachment_id or str(uuid.uuid4()),
        ticket_id=ticket.id,
        message_id=message.id if message else awaited_message_id,
        filename=sanitise_filename(filename, content_type),
        content_type=content_type,
        sha256=blob.sha256,
        size=blob.size,
        uploaded=uploaded,
        uploader_id=caller.user.id,
        device_id=device.id if device else (caller.device.id if caller.device else None),
        created_at=created_at or now,
        received_at=now,
    )
    db.session.add(attachment)
    if caller.role in workflow.CUSTOMER_ROLES:
        ticket.last_customer_activity_at = now
    append_event(
        ticket,
        "attachment_added",
        caller,
        {
            "attachment_id": attachment.id,
            "message_id": attachment.message_id,
            "filename": attachment.filename,
            "content_type": attachment.content_type,
            "sha256": attachment.sha256,
            "size": attachment.size,
        },
        visibility=_event_visibility(message, awaited_message_id),
        device_time=created_at if device else None,
        device=device,
        at=now,
    )
    db.session.flush()
    return attachment


def _event_visibility(message: Message | None, awaited_message_id: str | None) -> str:
    """As private as the file's message; staff-only while that message has not arrived
    or is held for review (events are permanent: never more visible than their file)."""
    if message is None:
        return "staff" if awaited_message_id else "public"
    if held_work.status_of("ticket_messages", message.id) in held_work.NOT_COUNTING:
        return "staff"
    return message.visibility


def add_attachment(
    caller: Caller,
    ticket_id: int,
    stream: BinaryIO,
    filename: str | None,
    declared_type: str | None,
    message_id: str | None = None,
) -> Attachment:
    """Upload a file to a ticket (or to one of the caller's messages on it).

    Scope and message are checked before a byte is stored; the bytes are checked
    (size, type) before they are published, so a refused upload leaves nothing."""
    ticket = get_visible_ticket(caller, ticket_id, for_update=True)
    if caller.role in workflow.STAFF_ROLES:
        check_staff_update(ticket)
    message = _message_for(caller, ticket, message_id) if message_id else None
    sniffer = TypeSniffer(stream)
    accepted = {}

    def check(blob: StoredBlob) -> None:
        accepted["type"] = check_type(sniffer.sniffed_type(), declared_type)

    blob = blob_store().put(
        sniffer, max_bytes=current_app.config["ATTACHMENT_MAX_BYTES"], check=check
    )
    return record_attachment(
        caller,
        ticket,
        filename=filename or "",
        content_type=accepted["type"],
        blob=blob,
        message=message,
    )


def visible_attachment_query(caller: Caller):
    return select(Attachment).where(attachment_scope(caller))


def list_attachments(caller: Caller, ticket_id: int) -> list[Attachment]:
    ticket = get_visible_ticket(caller, ticket_id)
    query = visible_attachment_query(caller).where(Attachment.ticket_id == ticket.id)
    return db.session.scalars(query.order_by(Attachment.created_at, Attachment.id)).all()


def get_attachment(caller: Caller, ticket_id: int | None, attachment_id: str) -> Attachment:
    """The attachment if the caller may see it (its ticket and its message); else 404.
    `ticket_id` None looks the id up on any ticket (sync addresses attachments by id)."""
    if ticket_id is not None:
        get_visible_ticket(caller, ticket_id)
    query = visible_attachment_query(caller).where(Attachment.id == attachment_id)
    if ticket_id is not None:
        query = query.where(Attachment.ticket_id == ticket_id)
    attachment = db.session.scalar(query)
    if attachment is None:
        raise NotFound("No such attachment.", code="attachment_not_found")
    return attachment


def open_attachment(
    caller: Caller, ticket_id: int | None, attachment_id: str
) -> tuple[Attachment, BinaryIO]:
    """The visible attachment and its bytes, opened for reading (the caller closes them).
    Only its uploader's bytes serve a record: until they arrive it has none."""
    attachment = get_attachment(caller, ticket_id, attachment_id)
    if not attachment.uploaded:
        raise NotFound(
            "The bytes of this attachment have not been uploaded yet.",
            code="attachment_not_uploaded",
        )
    try:
        return attachment, blob_store().open(attachment.sha256)
    except FileNotFoundError:
        raise NotFound(
            "The bytes of this attachment have not been uploaded yet.",
            code="attachment_not_uploaded",
        ) from None


@dataclass(frozen=True)
class ReceivedBytes:
    sha256: str
    size: int
    content_type: str
    attachment: Attachment | None  # None while the record has not been pushed yet


def store_bytes_for(
    caller: Caller, attachment_id: str, stream: BinaryIO, expected_sha256: str | None
) -> ReceivedBytes:
    """Store a device's bytes for an attachment record, before or after the record.

    The bytes must hash to `expected_sha256` (from the Content-Digest header) and,
    once the record exists, to its sha256 and type; only the record's uploader sends
    them. Before the record they wait as the caller's `PendingUpload` for that id
    (within the caller's quota). Idempotent: sending the same bytes again is fine.
    """
    if not expected_sha256:
        raise DomainError(
            "Send the bytes' SHA-256 as `Content-Digest: sha-256=:<base64>:`.",
            code="content_digest_required",
        )
    # A record outside the caller's scope counts as absent (bytes may precede their
    # record): answering 404 for it would reveal that the id exists. Bytes kept for
    # such an id can only ever serve a record of the caller's own.
    record = db.session.scalar(
        visible_attachment_query(caller).where(Attachment.id == attachment_id)
    )
    if record is None:
        # The caller's own record, even while hidden (its message not arrived yet).
        own = db.session.get(Attachment, attachment_id)
        record = own if own is not None and own.uploader_id == caller.id else None
    if record is not None:
        if record.uploader_id != caller.id:
            raise Forbidden(
                "Only the attachment's uploader sends its bytes.", code="not_attachment_uploader"
            )
        if record.sha256 != expected_sha256:
            raise DomainError(
                "The digest does not match the attachment record's sha256.",
                code="content_digest_mismatch",
            )
    sniffer = TypeSniffer(stream)
    accepted = {}

    def check(blob: StoredBlob) -> None:
        if blob.sha256 != expected_sha256:
            raise DomainError(
                "The bytes do not match their Content-Digest.", code="content_digest_mismatch"
            )
        accepted["type"] = check_type(
            sniffer.sniffed_type(), record.content_type if record else None
        )
        if record is None:
            _check_pending_quota(caller, attachment_id, blob.size)

    blob = blob_store().put(
        sniffer, max_bytes=current_app.config["ATTACHMENT_MAX_BYTES"], check=check
    )
    if record is not None:
        record.uploaded, record.content_type = True, accepted["type"]
        db.session.execute(
            delete(PendingUpload).where(
                PendingUpload.attachment_id == attachment_id,
                PendingUpload.uploader_id == caller.id,
            )
        )
    else:
        pending = db.session.get(PendingUpload, (attachment_id, caller.id)) or PendingUpload(
            attachment_id=attachment_id, uploader_id=caller.id
        )
        pending.sha256, pending.size, pending.content_type = (
            blob.sha256,
            blob.size,
            accepted["type"],
        )
        pending.received_at = utcnow()
        db.session.add(pending)
    db.session.flush()
    return ReceivedBytes(blob.sha256, blob.size, accepted["type"], record)


def _check_pending_quota(caller: Caller, attachment_id: str, size: int) -> None:
    limit = current_app.config["ATTACHMENT_PENDING_MAX_BYTES"]
    held = db.session.scalar(
        select(func.coalesce(func.sum(PendingUpload.size), 0)).where(
            PendingUpload.uploader_id == caller.id, PendingUpload.attachment_id != attachment_id
        )
    )
    if held + size > limit:
        raise StorageUnavailable(
            f"Files sent before their records are limited to {limit} bytes per user; push "
            "the records of those already sent first.",
            code="upload_quota_exceeded",
        )


def claim_pending_bytes(caller: Caller, attachment_id: str, sha256: str) -> PendingUpload | None:
    """The bytes the caller sent for this record id before pushing it, if they are the
    record's (same hash); they are the record's from now on."""
    pending = db.session.get(PendingUpload, (attachment_id, caller.id))
    if pending is None or pending.sha256 != sha256:
        return None
    db.session.delete(pending)
    return pending


SWEEP_EVERY = timedelta(hours=1)
LAST_SWEEP_KEY = "fieldline_last_orphan_sweep"


def sweep_job(now: datetime) -> dict[str, int]:
    """The worker's job: `sweep_orphans` at most once an hour per worker process (it
    walks the whole store)."""
    last = current_app.extensions.get(LAST_SWEEP_KEY)
    if last is not None and abs(now - last) < SWEEP_EVERY:
        return {}
    current_app.extensions[LAST_SWEEP_KEY] = now
    return sweep_orphans(now)


def sweep_orphans(now: datetime) -> dict[str, int]:
    """Worker job: forget bytes sent for records that never came, and delete blobs
    nothing refers to, both after ATTACHMENT_ORPHAN_GRACE_HOURS (every `*sha256`
    column of every table counts as a reference: attachments, mail, notes)."""
    grace = timedelta(hours=current_app.config["ATTACHMENT_ORPHAN_GRACE_HOURS"])
    expired = db.session.execute(
        delete(PendingUpload).where(PendingUpload.received_at < now - grace)
    ).rowcount
    db.session.flush()
    store = blob_store()
    removed = 0
    candidates = list(store.stored_before(now - grace))
    for start in range(0, len(candidates), 500):
        batch = candidates[start : start + 500]
        kept = _referenced(batch)
        for sha256 in batch:
            if sha256 not in kept:
                removed += store.delete(sha256, unless_newer_than=now - grace)
    return {"pending uploads expired": expired, "orphan blobs removed": removed}


def _referenced(hashes: list[str]) -> set[str]:
    """Which of these hashes a row of any table names."""
    found = set()
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if column.name.endswith("sha256"):
                found.update(db.session.scalars(select(column).where(column.in_(hashes))))
    return found
