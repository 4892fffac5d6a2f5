"""Delivery note endpoints: a ticket's notes, a note's PDF, and the public /verify page."""

import json
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from flask import current_app, request
from flask_smorest import Blueprint

from delivery_notes import service, stored_pdfs
from delivery_notes.models import DeliveryNote
from delivery_notes.schemas import DeliveryNoteSchema
from delivery_notes.snapshots import content_is_intact
from server.api.access import requires
from server.api.downloads import send_bytes
from server.auth import current_caller
from server.extensions import db
from server.scope import get_visible_ticket

blp = Blueprint(
    "delivery_notes", __name__, url_prefix="/api/tickets", description="Signed delivery notes"
)
verify_blp = Blueprint(
    "verify", __name__, url_prefix="/verify", description="Public check of a printed note"
)
# Access is re-checked on every read (a tenant who moves out loses it), so caches revalidate.
PDF_CACHE_CONTROL = "private, no-cache"
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_PDF_DOC = {"type": "string", "format": "binary"}
_ETAG_DOC = {"ETag": {"description": "the PDF's SHA-256", "schema": {"type": "string"}}}


@blp.get("/<int:ticket_id>/delivery-notes")
@requires()
@blp.response(200, DeliveryNoteSchema(many=True))
def list_notes(ticket_id):
    """The ticket's signed delivery notes, oldest first."""
    ticket = get_visible_ticket(current_caller(), ticket_id)
    return service.notes_of(ticket)


@blp.get("/<int:ticket_id>/delivery-notes/<note_id>.pdf")
@requires()
@blp.response(200, _PDF_DOC, content_type="application/pdf", headers=_ETAG_DOC)
@blp.alt_response(304, description="Not modified: the If-None-Match ETag is current")
@blp.alt_response(409, response="CONFLICT")
def note_pdf(ticket_id, note_id):
    """The signed delivery note as PDF, for anyone who may see the ticket.

    Rendered once and kept; a note whose signature image has not arrived yet
    answers 409 `note_not_ready` with `Retry-After`, one whose stored content
    cannot be rendered 409 `note_not_renderable`.
    """
    note = service.visible_note(current_caller(), ticket_id, note_id)
    headers = {"Cache-Control": PDF_CACHE_CONTROL}
    if note.pdf_sha256 and request.if_none_match.contains_weak(note.pdf_sha256):
        response = current_app.response_class(status=304, headers=headers)
        response.set_etag(note.pdf_sha256)
        return response
    data = stored_pdfs.pdf_bytes(note)
    response = send_bytes(data, f"{note.number}.pdf", "application/pdf", headers=headers)
    response.set_etag(note.pdf_sha256)
    return response


@verify_blp.get("/<note_id>")
@verify_blp.response(200, {"type": "string"}, content_type="text/html")
@verify_blp.alt_response(404, description="No such note (HTML)")
def verify(note_id):
    """Public: is this delivery note genuine? No login, no personal data.

    Valid means the SHA-256 recomputed from the stored note equals the one sealed
    when it was signed (and printed in the PDF's footer).
    """
    note = db.session.get(DeliveryNote, note_id)
    if note is None:
        return _html(404, "Unknown delivery note", "<p>No delivery note has this link.</p>")
    valid = content_is_intact(note)
    context = json.loads(note.context)
    facts = (
        ("Note number", note.number),
        ("Ticket", context.get("ticket_ref", "")),
        ("Signed on", _date(note.signed_at, context.get("display_timezone", "UTC"))),
        ("Content SHA-256", note.content_sha256 or "not sealed yet"),
    )
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>" for k, v in facts)
    verdict = "Valid" if valid else "Not valid"
    explanation = (
        "The note's stored content matches the hash printed on it."
        if valid
        else "The note's stored content does not match the hash it was sealed with."
    )
    body = (
        f'<h1 class="{verdict.lower().replace(" ", "-")}">{verdict}</h1>'
        f"<p>{escape(explanation)}</p><dl>{rows}</dl>"
    )
    return _html(200, f"Delivery note {note.number}: {verdict.lower()}", body)


def _date(value: datetime, timezone: str) -> str:
    local = value.astimezone(ZoneInfo(timezone))
    return f"{local.day} {_MONTHS[local.month - 1]} {local.year}"


def _html(status: int, title: str, body: str):
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem}"
        ".valid{color:#146c2e}.not-valid{color:#b3261e}dt{font-weight:600;margin-top:.6rem}"
        "dd{margin:0;overflow-wrap:anywhere}"
        f"</style></head><body><main>{body}</main></body></html>"
    )
    headers = {
        "Cache-Control": "no-store",
        "X-Robots-Tag": "noindex",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    }
    return current_app.response_class(page, status=status, mimetype="text/html", headers=headers)
