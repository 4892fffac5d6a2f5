"""Billing's side of delivery-note signing: a signed note on a chargeable ticket
becomes a draft invoice, in the push's own transaction."""

from flask import current_app

from billing import service
from billing.webhooks import EXTENSION_KEY
from delivery_notes.signals import note_signed
from server.errors import Conflict
from server.services.timeline import append_event


def _on_note_signed(note, *, ticket, caller) -> None:
    if EXTENSION_KEY not in current_app.extensions:
        return  # an app built without billing shares this process
    try:
        service.create_draft_invoice(ticket, None, delivery_note=note)
    except Conflict as refusal:
        if refusal.code != "nothing_to_invoice":
            raise
        # Not a refusal to keep as a conflict (the work may all be non-chargeable or
        # invoiced already), but staff should know why no invoice came.
        append_event(
            ticket,
            "invoice_not_drafted",
            None,
            {"delivery_note": note.number, "reason": refusal.detail},
            visibility="staff",
        )


def connect() -> None:
    """Subscribe (idempotent: blinker keeps one connection per receiver)."""
    note_signed.connect(_on_note_signed)
