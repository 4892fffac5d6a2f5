"""A ticket's files for the portal: photos and other attachments, and the signed
delivery notes' PDFs. Each is served only after the API's own scope check (the
attachments service's `open_attachment`, the delivery notes service's
`visible_note`), so a guessed id outside the tenant's tickets is a 404 page."""

from flask import current_app, request

from delivery_notes import service as delivery_notes
from delivery_notes import stored_pdfs
from server.api.attachments import attachment_response
from server.services import attachments
from web.access import signed_in
from web.portal import bp

INLINE_TYPES = ("image/png", "image/jpeg", "image/webp")
# Files keep their own policy: nothing in them may run, even opened on their own.
FILE_CSP = "default-src 'none'; img-src 'self'; sandbox"


@bp.get("/portal/tickets/<int:ticket_id>/files/<string:attachment_id>")
@signed_in("tenant")
def attachment(caller, ticket_id, attachment_id):
    found, stream = attachments.open_attachment(caller, ticket_id, attachment_id[:64])
    response = attachment_response(found, stream)
    if response.mimetype in INLINE_TYPES:
        # A sniffed picture is shown in the page (and opens full size when tapped);
        # anything else stays a download.
        disposition = response.headers["Content-Disposition"]
        response.headers["Content-Disposition"] = "inline" + disposition[len("attachment") :]
    response.headers["Content-Security-Policy"] = FILE_CSP
    return response


@bp.get("/portal/tickets/<int:ticket_id>/delivery-notes/<string:note_id>.pdf")
@signed_in("tenant")
def delivery_note(caller, ticket_id, note_id):
    note = delivery_notes.visible_note(caller, ticket_id, note_id[:64])
    headers = {"Cache-Control": "private, no-cache", "Content-Security-Policy": FILE_CSP}
    if note.pdf_sha256 and request.if_none_match.contains_weak(note.pdf_sha256):
        response = current_app.response_class(status=304, headers=headers)
        response.set_etag(note.pdf_sha256)
        return response
    data = stored_pdfs.pdf_bytes(note)
    # A download: phones open it in their PDF viewer, and no browser's built-in viewer
    # is asked to run under the page's strict policy.
    headers["Content-Disposition"] = f'attachment; filename="{note.number}.pdf"'
    response = current_app.response_class(data, mimetype="application/pdf", headers=headers)
    response.set_etag(note.pdf_sha256)
    return response
