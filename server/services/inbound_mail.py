"""Mail in: a received message becomes a reply on its ticket, a new ticket, or a
quarantined mail for staff, exactly once per Message-ID.

Both entry points (`POST /api/mail/inbound` from an MTA, `fieldline mail-in` from an
IMAP mailbox, server.mail.imap) call `receive`. What was quarantined is reviewed by
staff in server.services.mail_quarantine, which posts a released mail with
`append_reply` from here. The `inbound_mails` row is claimed under its unique
Message-ID and written in the same transaction as the appended message, so a poller
that crashes after the append but before flagging the mail \\Seen finds the row next
time and appends nothing. `receive` flushes; its caller commits.

The thread is found in this order: a reply token in any recipient address (signed, so
it names a ticket and a recipient that cannot be guessed or swapped), then our
`<ticket-N@MAIL_DOMAIN>` root in In-Reply-To/References, then a `[T-000123]` subject
ref; sources that name different tickets send the mail to quarantine. The reply is
posted with `post_message` as the sender, so the workflow, notifications and the
hash-chained timeline behave exactly as for an API reply; whoever may not post there
(not on the ticket, not in scope) gets the mail quarantined, never appended.
"""

import hashlib
import io
import logging
import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from server.auth import Caller
from server.db import utcnow
from server.errors import DomainError, Forbidden, NotFound, UnsupportedMedia
from server.extensions import db
from server.mail import tokens as mail_tokens
from server.mail.channel import notification_key
from server.mail.compose import OWN_MESSAGE_ID, THREAD_ROOT, MailSettings, message_id
from server.mail.parse import MailAttachment, ParsedMail, parse
from server.models import InboundMail, Message, Tenancy, Ticket, TicketEvent, Unit, User
from server.schemas.ids import MAX_ID
from server.scope import WRITABLE
from server.services.attachments import TypeSniffer, check_type, record_attachment
from server.services.messages import post_message
from server.services.tickets import report_ticket
from server.storage import StoredBlob, blob_store

log = logging.getLogger(__name__)

SUBJECT_REF = re.compile(r"\[(T-\d{6,12})\]", re.IGNORECASE)
REPLY_PREFIX = re.compile(r"^\s*((re|fwd?|aw|wg|sv|antw)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
BODY_MAX = 20000
# Without a reply we can tie to a notification, staff and contractors answer
# internally: a reply by mail never reaches more people than the sender could see.
FALLBACK_VISIBILITY = {"tenant": "public", "contractor": "team", "staff": "staff", "admin": "staff"}


@dataclass(frozen=True)
class InboundResult:
    status: str  # appended, new_ticket, quarantined, ignored, rejected, or duplicate
    reason: str | None = None
    inbound_id: int | None = None
    ticket_id: int | None = None
    message_id: str | None = None


class Quarantine(Exception):
    """Stop processing: keep the mail for staff with this reason."""

    def __init__(self, reason: str, ticket_id: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.ticket_id = ticket_id


class Ignore(Quarantine):
    """Stop processing: a machine wrote this (auto reply, bounce, our own mail)."""


def _claim(parsed: ParsedMail, raw_sha256: str | None, raw_size: int, source: str):
    """Insert the row under its unique Message-ID; None when it was already there
    (a concurrent twin waits here for the first to commit, then sees it)."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    inserted = db.session.execute(
        insert(InboundMail)
        .values(
            message_id=parsed.message_id,
            status="quarantined",
            reason="processing",
            sender=parsed.sender,
            sender_name=parsed.sender_name,
            subject=parsed.subject,
            body_text=parsed.text[:BODY_MAX],
            raw_sha256=raw_sha256,
            raw_size=raw_size,
            source=source,
            received_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["message_id"])
        .returning(InboundMail.id)
    ).scalar()
    return db.session.get(InboundMail, inserted) if inserted is not None else None


def _duplicate(message_id_: str) -> InboundResult | None:
    row = db.session.scalar(select(InboundMail).where(InboundMail.message_id == message_id_))
    if row is None:
        return None
    return InboundResult("duplicate", row.reason, row.id, row.ticket_id, row.appended_message_id)


def _unparseable(raw: bytes) -> ParsedMail:
    digest = hashlib.sha256(raw).hexdigest()
    return ParsedMail(f"<{digest}@message-id.invalid>", "", "", "")


def receive(raw: bytes, *, source: str) -> InboundResult:
    """Process one raw RFC 822 message (see the module docstring)."""
    try:
        parsed, parsed_ok = parse(raw), True
    except Exception:  # parse is defensive; this net keeps the mail whatever happens
        log.exception("an inbound mail could not be parsed; quarantined")
        parsed, parsed_ok = _unparseable(raw), False
    known = _duplicate(parsed.message_id)
    if known is not None:
        return known
    blob = blob_store().put(io.BytesIO(raw), max_bytes=len(raw) + 1)
    row = _claim(parsed, blob.sha256, blob.size, source)
    if row is None:
        return _duplicate(parsed.message_id)
    settings = MailSettings.from_config(current_app.config)
    try:
        if not parsed_ok:
            raise Quarantine("unparseable")
        ticket_id, message = _process(parsed, settings)
    except Ignore as decision:
        row.status, row.reason, row.ticket_id = "ignored", decision.reason, decision.ticket_id
    except Quarantine as decision:
        row.status, row.reason, row.ticket_id = "quarantined", decision.reason, decision.ticket_id
    else:
        row.status = "appended" if message is not None else "new_ticket"
        row.reason, row.ticket_id = None, ticket_id
        row.appended_message_id = message.id if message is not None else None
    db.session.flush()
    return InboundResult(row.status, row.reason, row.id, row.ticket_id, row.appended_message_id)


def record_oversized(headers: bytes, size: int, *, source: str) -> InboundResult:
    """A mail too large to fetch (IMAP): quarantined from its headers, once."""
    try:
        parsed = parse(headers)
    except Exception:
        parsed = _unparseable(headers)
    known = _duplicate(parsed.message_id)
    if known is not None:
        return known
    row = _claim(parsed, None, size, source)
    if row is None:
        return _duplicate(parsed.message_id)
    row.reason = "too_large"
    db.session.flush()
    return InboundResult(row.status, row.reason, row.id)


def _own_mail(parsed: ParsedMail, settings: MailSettings) -> bool:
    own = OWN_MESSAGE_ID.fullmatch(parsed.message_id)
    return parsed.from_fieldline or (own is not None and own.group(2).lower() == settings.domain)


def _thread(parsed: ParsedMail, settings: MailSettings) -> tuple[int | None, int | None]:
    """(ticket id, token recipient id) from token, references and subject, in that order."""
    named: list[int] = []
    token_user = None
    bad_token = False
    for address in parsed.recipients:
        local, _, domain = address.rpartition("@")
        if domain != settings.domain or not local.startswith("reply+"):
            continue
        decoded = mail_tokens.read_reply_token(settings.secret, local[len("reply+") :])
        if decoded is None:
            bad_token = True
            continue
        named.append(decoded[0])  # two tokens of different tickets are a conflict
        token_user = decoded[1] if token_user is None else token_user
    if bad_token and token_user is None:
        raise Quarantine("reply_token_invalid")
    for reference in parsed.references:
        root = THREAD_ROOT.fullmatch(reference)
        if root and root.group(2).lower() == settings.domain and int(root.group(1)) <= MAX_ID:
            named.append(int(root.group(1)))
    found = SUBJECT_REF.search(parsed.subject)
    if found:
        ticket_id = db.session.scalar(select(Ticket.id).where(Ticket.ref == found.group(1).upper()))
        if ticket_id is None:
            raise Quarantine("unknown_ticket")
        named.append(ticket_id)
    if len(set(named)) > 1:
        raise Quarantine("thread_conflict", named[0])
    return (named[0] if named else None), token_user


def _sender(parsed: ParsedMail, token_user_id: int | None, ticket_id: int | None) -> User:
    if token_user_id is not None:
        user = db.session.get(User, token_user_id)
        # The token says whom we wrote to; the From says who answers: they must agree.
        if user is None or user.email != parsed.sender:
            raise Quarantine("sender_mismatch", ticket_id)
    else:
        user = db.session.scalar(select(User).where(User.email == parsed.sender))
    if user is None or not user.is_active or not parsed.sender:
        raise Quarantine("unknown_sender", ticket_id)
    if parsed.dmarc_failed:
        raise Quarantine("dmarc_failed", ticket_id)
    return user


def _process(parsed: ParsedMail, settings: MailSettings) -> tuple[int, Message | None]:
    if _own_mail(parsed, settings):
        raise Ignore("mail_loop")
    if parsed.automatic:
        raise Ignore(parsed.automatic)
    ticket_id, token_user = _thread(parsed, settings)
    user = _sender(parsed, token_user, ticket_id)
    caller = Caller(user=user, device=None)
    if ticket_id is None:
        if user.role != "tenant":
            raise Quarantine("no_ticket")
        return _open_ticket(caller, parsed), None
    if db.session.get(Ticket, ticket_id) is None:
        raise Quarantine("unknown_ticket")
    visibility = _visibility(user, ticket_id, parsed, settings)
    return ticket_id, append_reply(caller, ticket_id, parsed, visibility)


def _visibility(user: User, ticket_id: int, parsed: ParsedMail, settings: MailSettings) -> str:
    """A tenant replies in public; others as privately as the mail they answer."""
    if user.role == "tenant":
        return "public"
    references = set(parsed.references)
    events = db.session.execute(
        select(TicketEvent.id, TicketEvent.visibility).where(TicketEvent.ticket_id == ticket_id)
    )
    for event_id, visibility in events:
        # The Message-ID of the notification this user got for that event (see notify).
        if message_id(notification_key(event_id, user.id), settings.domain) in references:
            if visibility in WRITABLE[user.role]:
                return visibility
    return FALLBACK_VISIBILITY[user.role]


Kept = list[tuple[MailAttachment, str, StoredBlob]]


def store_attachments(parsed: ParsedMail) -> tuple[Kept, str]:
    """Keep what fits the attachment rules; a note for each file left out."""
    config = current_app.config
    limit, most = config["ATTACHMENT_MAX_BYTES"], config["MAIL_MAX_ATTACHMENTS"]
    kept, notes = [], []
    for attachment in parsed.attachments:
        if not attachment.data:
            continue
        if len(kept) >= most:
            notes.append(f"{attachment.filename} (more than {most} attachments)")
        elif len(attachment.data) > limit:
            notes.append(f"{attachment.filename} (larger than {limit} bytes)")
        else:
            sniffer = TypeSniffer(io.BytesIO(attachment.data))
            accepted = {}

            def check(blob, sniffer=sniffer, attachment=attachment, accepted=accepted):
                accepted["type"] = check_type(sniffer.sniffed_type(), attachment.declared_type)

            try:
                blob = blob_store().put(sniffer, max_bytes=limit, check=check)
            except UnsupportedMedia:
                notes.append(f"{attachment.filename} (file type not accepted)")
                continue
            kept.append((attachment, accepted["type"], blob))
    note = "".join(f"\n[Attachment not kept: {n}]" for n in notes)
    return kept, note


def _body(text: str, note: str, kept: list) -> str:
    body = text or ("(attachments sent by email)" if kept else "")
    if len(body) + len(note) > BODY_MAX:
        body = body[: BODY_MAX - len(note) - 20] + "\n[…truncated]"
    return (body + ("\n" + note if note else "")).strip()


def append_reply(caller: Caller, ticket_id: int, parsed: ParsedMail, visibility: str, prefix=""):
    """Post the mail's text (and files) on the ticket as `caller`, through post_message.

    A refusal (not on the ticket, outside scope, untriaged for staff) quarantines it;
    the savepoint undoes whatever the refused post had begun."""
    kept, note = store_attachments(parsed)
    body = _body(parsed.text, note, kept)
    if not body:
        raise Ignore("empty_reply", ticket_id)
    try:
        with db.session.begin_nested():
            message = post_message(caller, ticket_id, prefix + body, visibility)
            ticket = db.session.get(Ticket, ticket_id)
            for attachment, content_type, blob in kept:
                record_attachment(
                    caller,
                    ticket,
                    filename=attachment.filename,
                    content_type=content_type,
                    blob=blob,
                    message=message,
                )
    except (NotFound, Forbidden) as refusal:
        raise Quarantine("not_participant", ticket_id) from refusal
    except DomainError as refusal:
        raise Quarantine(refusal.code[:60], ticket_id) from refusal
    return message


def _current_home(user: User) -> Unit | None:
    today = utcnow().date()
    return db.session.scalar(
        select(Unit)
        .join(Tenancy, Tenancy.unit_id == Unit.id)
        .where(
            Tenancy.tenant_id == user.id,
            Tenancy.starts_on <= today,
            (Tenancy.ends_on.is_(None)) | (Tenancy.ends_on >= today),
        )
        .order_by(Tenancy.starts_on.desc(), Tenancy.id.desc())
        .limit(1)
    )


def _open_ticket(caller: Caller, parsed: ParsedMail) -> int:
    """A known tenant wrote about something new: report it for their current home."""
    unit = _current_home(caller.user)
    if unit is None:
        raise Quarantine("no_tenancy")
    kept, note = store_attachments(parsed)
    summary = REPLY_PREFIX.sub("", parsed.subject).strip() or parsed.text.strip()[:80]
    summary = summary.split("\n")[0][:200] or f"Email from {caller.user.name}"[:200]
    description = _body(parsed.text, note, kept) or summary
    try:
        with db.session.begin_nested():
            ticket = report_ticket(
                caller,
                block_id=unit.block_id,
                unit_id=unit.id,
                summary=summary,
                description=description,
            )
            for attachment, content_type, blob in kept:
                record_attachment(
                    caller,
                    ticket,
                    filename=attachment.filename,
                    content_type=content_type,
                    blob=blob,
                )
    except DomainError as refusal:
        raise Quarantine(refusal.code[:60]) from refusal
    return ticket.id
