"""Receiving a signed delivery note from a device, and what signing it does to the ticket.

`receive_note` is what the sync push calls for a pushed `delivery_notes` record.
Business rules never make it raise (SPEC §6: a push fails only for auth, schema
or malformed input): whatever the ticket's state, the note is recorded, numbered
and sealed, and anything the server cannot do is kept as a `sync_conflict`
event for staff. The PDF is not made here but after commit (see `stored_pdfs`).
"""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from delivery_notes.models import DeliveryNote
from delivery_notes.signals import note_signed
from delivery_notes.snapshots import compute_content_sha256, freeze_context, select_work
from server import changes
from server.auth import Caller
from server.db import utcnow
from server.domain import closing, workflow
from server.errors import Conflict, DomainError, NotFound
from server.extensions import db
from server.models import Attachment, Device, Ticket
from server.scope import get_visible_ticket
from server.services import held_work, outbox
from server.services.counters import next_value
from server.services.rules import state_of
from server.services.tickets import apply_status
from server.services.timeline import append_event, record_conflict

RENDER_CHANNEL = "delivery_note_pdf"
# What a re-push is compared on: what the note says (its device `created_at` is not content).
DEVICE_FIELDS = ("ticket_id", "signed_by", "signed_at", "signature_attachment_id", "work_summary")


def receive_note(
    caller: Caller, ticket: Ticket, fields: dict, device: Device | None = None
) -> DeliveryNote:
    """Record a pushed note (idempotent) and apply its effect on the ticket.

    `fields`: id, ticket_id, signed_by, signed_at and created_at (aware datetimes; no
    created_at means now), signature_attachment_id, work_summary. A re-push of the same
    id with the same content changes nothing; with other content the recorded note
    stands and the other version is kept in a staff-only `sync_conflict` event.
    """
    device = device or caller.device
    _lock(ticket)
    recorded = db.session.get(DeliveryNote, fields["id"])
    if recorded is not None:
        return _repushed(caller, ticket, recorded, fields, device)
    now = utcnow()
    entry_ids, material_ids = select_work(ticket, fields["signed_at"])
    note = DeliveryNote(
        id=fields["id"],
        ticket_id=ticket.id,
        number=_next_number(now),
        signed_by=fields["signed_by"],
        signed_at=fields["signed_at"],
        signature_attachment_id=fields["signature_attachment_id"],
        work_summary=fields["work_summary"],
        created_at=fields.get("created_at") or now,
        received_at=now,
        contractor_id=caller.user.id,
        device_id=device.id if device else None,
        context=_json(freeze_context(ticket, caller.user, fields["id"])),
        time_entry_ids=_json(entry_ids),
        material_ids=_json(material_ids),
        render_attempts=0,
    )
    digest = signature_digest(note)
    if digest is not None:
        note.signature_sha256 = digest
        note.content_sha256 = compute_content_sha256(note, digest)
    db.session.add(note)
    outbox.enqueue(RENDER_CHANNEL, f"{RENDER_CHANNEL}:{note.id}", {"note_id": note.id})
    db.session.flush()
    append_event(
        ticket,
        "delivery_note_signed",
        caller,
        {"note_id": note.id, "number": note.number, "content_sha256": note.content_sha256},
        device_time=note.signed_at,
        device=device,
        at=now,
    )
    _apply_effect(caller, ticket, note, device)
    return note


def same_content(note: DeliveryNote, fields: dict) -> bool:
    """True when a pushed record says what the recorded note says (ids compared as text:
    devices send them as strings)."""
    if str(note.id) != str(fields.get("id")) or str(note.ticket_id) != str(fields.get("ticket_id")):
        return False
    return all(getattr(note, name) == fields.get(name) for name in DEVICE_FIELDS[1:])


def signature_digest(note: DeliveryNote) -> str | None:
    """The SHA-256 its attachment record declares for the signature, once that record
    is here (and belongs to the note's ticket: no image from elsewhere gets printed)."""
    attachment = db.session.get(Attachment, note.signature_attachment_id)
    if attachment is None or attachment.ticket_id != note.ticket_id:
        return None
    return attachment.sha256


def seal_late(note: DeliveryNote) -> bool:
    """Seal a note whose signature record arrived after it; True if sealed now."""
    if note.content_sha256 is not None:
        return False
    digest = signature_digest(note)
    if digest is None:
        return False
    ticket = db.session.get(Ticket, note.ticket_id)
    _lock(ticket)
    note.signature_sha256 = digest
    note.content_sha256 = compute_content_sha256(note, digest)
    append_event(
        ticket,
        "delivery_note_sealed",
        None,
        {"note_id": note.id, "number": note.number, "content_sha256": note.content_sha256},
    )
    return True


def notes_of(ticket: Ticket) -> list[DeliveryNote]:
    return db.session.scalars(
        select(DeliveryNote)
        .where(DeliveryNote.ticket_id == ticket.id)
        .order_by(DeliveryNote.received_at, DeliveryNote.id)
    ).all()


def visible_note(caller: Caller, ticket_id: int, note_id: str) -> DeliveryNote:
    """A signed note of a ticket the caller may see (the ticket's scope is the note's);
    404 otherwise, whether the ticket or the note is missing or out of scope."""
    ticket = get_visible_ticket(caller, ticket_id)
    note = db.session.get(DeliveryNote, note_id)
    if note is None or note.ticket_id != ticket.id:
        raise NotFound("No such delivery note.", code="delivery_note_not_found")
    return note


def _lock(ticket: Ticket) -> None:
    """Hold the ticket row (PostgreSQL) so timeline appends queue; SQLite transactions
    are serialised already. Pending changes are flushed first, so none is lost."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.flush()
        db.session.refresh(ticket, with_for_update=True)


def _next_number(now: datetime) -> str:
    """Gapless per calendar year of the agency: a rolled-back push gives its number back."""
    year = now.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).year
    return f"DN-{year}-{next_value(f'delivery_note:{year}'):06d}"


def _repushed(
    caller: Caller, ticket: Ticket, note: DeliveryNote, fields: dict, device: Device | None
) -> DeliveryNote:
    if note.contractor_id != caller.user.id:
        raise Conflict("This id belongs to another user's record.", code="sync_id_conflict")
    if same_content(note, fields):
        return note
    recorded_ticket = (
        ticket if ticket.id == note.ticket_id else db.session.get(Ticket, note.ticket_id)
    )
    if recorded_ticket is not ticket:
        _lock(recorded_ticket)
    _conflict(
        recorded_ticket,
        caller,
        device,
        note,
        "A different version of a recorded delivery note was pushed; the recorded one stands.",
        rejected={name: _plain(fields.get(name)) for name in DEVICE_FIELDS},
    )
    changes.stamp(note)  # the device gets the recorded version on its next pull
    return note


def apply_approved(caller: Caller, ticket: Ticket, note: DeliveryNote) -> None:
    """Staff approved a held note: it now does what it would have done on arrival,
    with the approving staff member as the actor (the contractor is off the ticket)."""
    _lock(ticket)
    _apply_effect(caller, ticket, note, None, approved=True)


def _apply_effect(
    caller: Caller, ticket: Ticket, note: DeliveryNote, device, *, approved: bool = False
) -> None:
    """A chargeable ticket's work is drafted (billing, through the signal) and then the
    ticket is resolved, whatever its billing; the closing rule then closes included
    work. Drafting comes first, so the ticket waits for payment before it is resolved.
    Anything not possible now becomes a conflict event.

    The one place a note's effects start: a note from a contractor no longer on the
    ticket (and not signed while on it) is held here for staff review, before any of
    them (no resolving, no `note_signed`, so no invoice) until approved."""
    if not approved and held_work.hold_unless_on_ticket(
        caller, ticket, "delivery_notes", note.id, note.created_at, device
    ):
        return
    if ticket.status == "closed":
        reason = "The ticket was already closed; it stays closed."
        _conflict(ticket, caller, device, note, reason, code="ticket_closed")
        return
    if ticket.billing == "chargeable":
        try:
            with db.session.begin_nested():
                note_signed.send(note, ticket=ticket, caller=caller)
        except DomainError as refusal:
            _conflict(ticket, caller, device, note, refusal.detail, code=refusal.code)
    resolve_on_note(caller, ticket, note, device)


def resolve_on_note(caller: Caller, ticket: Ticket, note: DeliveryNote, device) -> None:
    """The customer's signature resolves the ticket (a status event naming the note);
    one small step, so a check that holds a note back can wrap it."""
    if not closing.note_resolves(state_of(ticket)):
        return
    try:
        # Who counts was decided above (a note signed while on the ticket still does).
        workflow.check_status_change(state_of(ticket), caller.role, "resolved")
    except workflow.Refused as refusal:
        _conflict(ticket, caller, device, note, refusal.detail, code=refusal.code)
        return
    apply_status(
        ticket,
        "resolved",
        caller,
        f"Signed delivery note {note.number}.",
        device_time=note.signed_at,
    )


def _conflict(ticket, caller, device, note, reason: str, *, code=None, rejected=None) -> None:
    data = {"table": "delivery_notes", "id": note.id, "number": note.number, "reason": reason}
    if code:
        data["code"] = code
    if rejected is not None:
        data["recorded"] = {name: _plain(getattr(note, name)) for name in DEVICE_FIELDS}
        data["rejected"] = rejected
    record_conflict(ticket, caller, data, device)


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
