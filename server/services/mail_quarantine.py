"""Staff review of mail that was not appended: list, read, release onto a ticket, reject.

Staff see a quarantined mail when it names no ticket, or a ticket in their scope
(server.scope); admins see all. Releasing re-reads the raw message from the blob
store and posts its text (and files) on the ticket as the releasing staff member,
quoting the sender, with the visibility they choose (default `staff`). Nothing is
deleted: a rejected mail stays recorded with its raw bytes.
"""

from sqlalchemy import or_, select

from server.auth import Caller
from server.db import utcnow
from server.errors import Conflict, Invalid, NotFound
from server.extensions import db
from server.mail.parse import parse
from server.models import InboundMail, Ticket
from server.scope import get_visible_ticket, ticket_scope
from server.services.inbound_mail import Quarantine, append_reply
from server.storage import blob_store

REVIEWABLE = ("quarantined", "ignored")


def visible_inbound(caller: Caller):
    return select(InboundMail).where(
        or_(
            InboundMail.ticket_id.is_(None),
            InboundMail.ticket_id.in_(select(Ticket.id).where(ticket_scope(caller))),
        )
    )


def list_inbound(caller: Caller, status: str, limit: int, before: int | None = None):
    query = visible_inbound(caller).where(InboundMail.status == status)
    if before:
        query = query.where(InboundMail.id < before)
    return db.session.scalars(query.order_by(InboundMail.id.desc()).limit(limit)).all()


def get_inbound(caller: Caller, inbound_id: int, *, for_update: bool = False) -> InboundMail:
    query = visible_inbound(caller).where(InboundMail.id == inbound_id)
    if for_update:
        query = query.with_for_update(of=InboundMail)
    row = db.session.scalar(query)
    if row is None:
        raise NotFound("No such mail.", code="inbound_mail_not_found")
    return row


def raw_bytes(caller: Caller, inbound_id: int) -> bytes:
    row = get_inbound(caller, inbound_id)
    if row.raw_sha256 is None:
        raise NotFound("This mail was too large to keep.", code="inbound_mail_not_kept")
    with blob_store().open(row.raw_sha256) as f:
        return f.read()


def _reviewable(row: InboundMail) -> None:
    if row.status not in REVIEWABLE:
        raise Conflict(f"This mail was already {row.status}.", code="inbound_mail_decided")


def release(
    caller: Caller, inbound_id: int, *, ticket_id: int | None, visibility: str
) -> InboundMail:
    """Post a quarantined (or ignored) mail on a ticket after all, as the caller."""
    row = get_inbound(caller, inbound_id, for_update=True)
    _reviewable(row)
    target = ticket_id or row.ticket_id
    if target is None:
        raise Invalid(
            "This mail names no ticket; say which.", errors={"ticket_id": ["required here"]}
        )
    if row.raw_sha256 is None:
        raise Conflict("This mail was too large to keep.", code="inbound_mail_not_kept")
    with blob_store().open(row.raw_sha256) as f:
        parsed = parse(f.read())
    sender = f"{parsed.sender_name} <{parsed.sender}>" if parsed.sender_name else parsed.sender
    prefix = f"Email from {sender or 'an unknown sender'}:\n\n"
    get_visible_ticket(caller, target)  # 404 outside the caller's scope
    try:
        message = append_reply(caller, target, parsed, visibility, prefix=prefix)
    except Quarantine as refusal:
        # Say why (e.g. ticket_not_triaged) instead of quarantining it again.
        raise Conflict(
            f"The mail cannot be posted on this ticket: {refusal.reason}.",
            code="inbound_mail_not_postable",
        ) from None
    row.status, row.ticket_id, row.appended_message_id = "appended", target, message.id
    row.decided_at, row.decided_by_id = utcnow(), caller.user.id
    db.session.flush()
    return row


def reject(caller: Caller, inbound_id: int) -> InboundMail:
    row = get_inbound(caller, inbound_id, for_update=True)
    _reviewable(row)
    row.status, row.decided_at, row.decided_by_id = "rejected", utcnow(), caller.user.id
    db.session.flush()
    return row
