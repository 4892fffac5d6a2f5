"""Billing's side of delivery-note signing: a signed note on a chargeable ticket
becomes a draft invoice, in the push's own transaction.

A push never fails because of billing (SPEC §6: only what the device can fix fails a
push): the draft is made inside a savepoint, and if billing refuses it (nothing to
invoice, more than an invoice holds) or fails in any other way, its writes are undone,
the note and the rest of the push stand, and a staff-only `invoice_not_drafted` event
says why, for staff to fix and draft by hand.
"""

import logging

from flask import current_app

from billing import service
from billing.webhook_events import EXTENSION_KEY
from delivery_notes.signals import note_signed
from server.errors import DomainError
from server.extensions import db
from server.services.timeline import append_event

log = logging.getLogger(__name__)


def _on_note_signed(note, *, ticket, caller) -> None:
    if EXTENSION_KEY not in current_app.extensions:
        return  # an app built without billing shares this process
    try:
        with db.session.begin_nested():
            service.create_draft_invoice(ticket, None, delivery_note=note)
    except DomainError as refusal:
        # Not a conflict of the device's (the work may all be non-chargeable, invoiced
        # already, or too much for one invoice), but staff should know why no invoice came.
        _not_drafted(ticket, note, refusal.code, refusal.detail)
    except Exception:  # noqa: BLE001 - a fault in billing must not cost the device its push
        log.exception("Drafting the invoice of delivery note %s failed", note.number)
        _not_drafted(
            ticket, note, "billing_failed", "Drafting the invoice failed; draft it by hand."
        )


def _not_drafted(ticket, note, code: str, reason: str) -> None:
    append_event(
        ticket,
        "invoice_not_drafted",
        None,
        {"delivery_note": note.number, "code": code, "reason": reason},
        visibility="staff",
    )


def connect() -> None:
    """Subscribe (idempotent: blinker keeps one connection per receiver)."""
    note_signed.connect(_on_note_signed)
