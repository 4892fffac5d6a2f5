"""Attachments on a ticket: upload (multipart/form-data), list, download."""

from http import HTTPStatus
from typing import BinaryIO

from flask import current_app, request, send_file
from flask_smorest import Blueprint
from marshmallow import ValidationError

from server.api.access import accepts_any_content_type, requires
from server.auth import current_caller
from server.errors import Invalid, UnsupportedMedia
from server.models import Attachment
from server.schemas.attachments import AttachmentSchema, AttachmentUploadFormSchema
from server.services import attachments
from server.services.attachments import sanitise_filename

blp = Blueprint(
    "attachments", __name__, url_prefix="/api/tickets", description="Ticket attachments"
)

UPLOAD_BODY = {
    "required": True,
    "content": {"multipart/form-data": {"schema": AttachmentUploadFormSchema}},
}
UPLOAD_ERRORS = {str(status): HTTPStatus(status).name for status in (403, 409, 413, 415, 422, 507)}
BYTES_RESPONSE = {
    "200": {
        "description": "The bytes, with the sniffed content type, `Content-Disposition: "
        "attachment`, `ETag` (the SHA-256) and `X-Content-Type-Options: nosniff`.",
        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
    },
    "304": {"description": "Not modified (If-None-Match matched the ETag)"},
}


def _upload_form() -> dict:
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMedia("Upload the file as multipart/form-data with a `file` part.")
    try:
        return AttachmentUploadFormSchema().load(
            {**request.form.to_dict(), **request.files.to_dict()}
        )
    except ValidationError as error:
        raise Invalid(
            "The upload did not pass validation; see errors.", errors=error.messages
        ) from None


@blp.post("/<int:ticket_id>/attachments")
@accepts_any_content_type
@requires()
@blp.doc(requestBody=UPLOAD_BODY, responses=UPLOAD_ERRORS)
@blp.response(201, AttachmentSchema)
def upload(ticket_id):
    """Attach a file (PNG, JPEG, WebP, PDF or UTF-8 text by default) to a ticket, or to
    one of your messages on it with `message_id`. The type is sniffed from the bytes."""
    form = _upload_form()
    file = form["file"]
    return attachments.add_attachment(
        current_caller(),
        ticket_id,
        file.stream,
        file.filename,
        file.mimetype,
        message_id=form.get("message_id"),
    )


@blp.get("/<int:ticket_id>/attachments")
@requires()
@blp.response(200, AttachmentSchema(many=True))
def list_attachments(ticket_id):
    """Attachments of a ticket the caller may see (those on hidden messages are left out)."""
    return attachments.list_attachments(current_caller(), ticket_id)


@blp.get("/<int:ticket_id>/attachments/<string:attachment_id>")
@requires()
@blp.doc(responses=BYTES_RESPONSE)
def download(ticket_id, attachment_id):
    """The attachment's bytes, always as a download."""
    attachment, stream = attachments.open_attachment(current_caller(), ticket_id, attachment_id)
    return attachment_response(attachment, stream)


def attachment_response(attachment: Attachment, stream: BinaryIO):
    """Serve stored bytes so no browser renders or re-types them (also used by sync).
    The type is the sniffed one; a row from before sniffing with a type outside
    ATTACHMENT_TYPES (say text/html) is served as opaque bytes, never as that type."""
    content_type = attachment.content_type
    if content_type not in current_app.config["ATTACHMENT_TYPES"]:
        content_type = "application/octet-stream"
    # werkzeug writes Content-Disposition (RFC 6266 `attachment`; a non-ASCII name as an
    # ASCII fallback plus the RFC 5987 `filename*`).
    response = send_file(
        stream,
        mimetype=content_type,
        as_attachment=True,
        download_name=sanitise_filename(attachment.filename),
        etag=attachment.sha256,
        conditional=True,
        max_age=None,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # Revalidate each time (cheap with the ETag): access can end, the bytes never change.
    response.headers["Cache-Control"] = "private, no-cache"
    return response
