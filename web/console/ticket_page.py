"""The ticket page (issue #21): header, timeline, reply box and the staff's actions,
plus the page routes that stream a ticket's files and documents to a signed-in
browser (the API's own routes want a bearer token). Actions: ticket_actions.py."""

from flask import current_app, redirect, request

from billing import invoice_documents
from billing import service as billing
from delivery_notes import stored_pdfs
from delivery_notes.models import DeliveryNote
from server.api.attachments import attachment_response
from server.errors import NotFound
from server.extensions import db
from server.scope import get_visible_ticket
from server.services import attachments
from web.access import STAFF, signed_in
from web.console import bp
from web.console.ticket_view import IMAGE_TYPES, ticket_context, timeline_entries
from web.rendering import page
from web.session import current_caller

# Where a tenant or contractor following a mailed /tickets/<id> link belongs.
ELSEWHERE = {"tenant": "/portal/tickets/{id}", "contractor": "/field/"}
DOCUMENT_CSP = "default-src 'none'; frame-ancestors 'none'"


def render_ticket(caller, ticket_id: int, status: int = 200, **extra):
    """The page, with `errors`/`values` of a refused form when re-rendered (the
    request then rolls back: nothing of the refused action is kept)."""
    context = ticket_context(caller, ticket_id)
    context.setdefault("errors", {})
    context.setdefault("values", {})
    context["form"] = None
    context.update(extra)
    return page("console/ticket/page.html", status, **context)


@bp.get("/tickets/<int:ticket_id>")
@signed_in()
def ticket_page(caller, ticket_id):
    if caller.role in ELSEWHERE:
        return redirect(ELSEWHERE[caller.role].format(id=ticket_id), code=303)
    if caller.role not in STAFF:
        return redirect("/", code=303)
    return render_ticket(caller, ticket_id)


@bp.get("/tickets/<int:ticket_id>/timeline")
def ticket_timeline(ticket_id):
    """The timeline alone, for the page's 20-second poll (and its Refresh link). A
    poll whose session has ended sends the whole browser to sign-in (HX-Redirect),
    instead of swapping the sign-in page into the timeline."""
    if request.headers.get("HX-Request") and current_caller() is None:
        back = f"/?next=/tickets/{ticket_id}"
        return current_app.response_class(status=204, headers={"HX-Redirect": back})
    return _timeline(ticket_id)


@signed_in(*STAFF)
def _timeline(caller, ticket_id):
    ticket = get_visible_ticket(caller, ticket_id)
    return page(
        "console/ticket/_timeline.html",
        ticket=ticket,
        entries=timeline_entries(caller, ticket),
        image_types=IMAGE_TYPES,
    )


@bp.get("/tickets/<int:ticket_id>/files/<string:attachment_id>")
@signed_in()
def ticket_file(caller, ticket_id, attachment_id):
    """A file of the ticket, after the attachments service's scope check (its ticket
    and its message must be visible to the caller), served as the API serves it."""
    if len(attachment_id) > 64:
        raise NotFound("No such attachment.", code="attachment_not_found")
    attachment, stream = attachments.open_attachment(caller, ticket_id, attachment_id)
    return attachment_response(attachment, stream)


@bp.get("/tickets/<int:ticket_id>/delivery-notes/<string:note_id>.pdf")
@signed_in(*STAFF)
def ticket_note_pdf(caller, ticket_id, note_id):
    ticket = get_visible_ticket(caller, ticket_id)
    note = db.session.get(DeliveryNote, note_id) if len(note_id) <= 64 else None
    if note is None or note.ticket_id != ticket.id:
        raise NotFound("No such delivery note.", code="delivery_note_not_found")
    return _pdf(stored_pdfs.pdf_bytes(note), note.number)


@bp.get("/tickets/<int:ticket_id>/invoices/<int:invoice_id>.pdf")
@signed_in(*STAFF)
def ticket_invoice_pdf(caller, ticket_id, invoice_id):
    ticket = get_visible_ticket(caller, ticket_id)
    invoice = billing.get_visible_invoice(caller, invoice_id)
    if invoice.ticket_id != ticket.id:
        raise NotFound("No such invoice.", code="invoice_not_found")
    name = invoice.number or f"draft-{invoice.id}"
    return _pdf(invoice_documents.pdf_bytes(invoice), name)


def _pdf(data: bytes, name: str):
    headers = {
        "Content-Disposition": f'inline; filename="{name}.pdf"',
        "Cache-Control": "private, no-cache",
        "Content-Security-Policy": DOCUMENT_CSP,
    }
    return current_app.response_class(data, mimetype="application/pdf", headers=headers)
