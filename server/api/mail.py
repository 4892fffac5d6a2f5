"""Mail endpoints: raw messages in from an MTA, staff quarantine review, and the
one-click unsubscribe link of notification mails (RFC 8058)."""

import hmac

from flask import current_app, request
from flask_smorest import Blueprint

from server.api.access import accepts_any_content_type, requires
from server.api.downloads import send_bytes
from server.api.pages import html_page
from server.auth import current_caller
from server.errors import NotAuthenticated, NotFound, TooLarge
from server.extensions import db
from server.mail.tokens import read_unsubscribe_token
from server.models import User
from server.schemas.mail import (
    InboundMailSchema,
    InboundResultSchema,
    QuarantineQuerySchema,
    ReleaseSchema,
)
from server.services import inbound_mail, mail_quarantine

blp = Blueprint("mail", __name__, url_prefix="/api/mail", description="Mail in and out")

RAW_BODY = {
    "required": True,
    "description": "The raw RFC 822 message, exactly as received (any content type).",
    "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
}
SECRET_HEADER = "X-Fieldline-Mail-Secret"


def _check_secret() -> None:
    secret = current_app.config.get("MAIL_INBOUND_SECRET") or ""
    if not secret:
        raise NotFound("Inbound mail is not enabled here.")
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        raise NotAuthenticated(
            f"A correct {SECRET_HEADER} header is required.", code="mail_secret_invalid", headers={}
        )


def _read_raw() -> bytes:
    limit = current_app.config["MAIL_MAX_BYTES"]
    if request.content_length and request.content_length > limit:
        raise TooLarge(f"Mails are limited to {limit} bytes.")
    request.max_content_length = limit + 1  # this body may exceed the JSON-sized default
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise TooLarge(f"Mails are limited to {limit} bytes.")
    return raw


@blp.post("/inbound")
@accepts_any_content_type
@blp.doc(
    requestBody=RAW_BODY,
    parameters=[
        {
            "in": "header",
            "name": SECRET_HEADER,
            "required": True,
            "schema": {"type": "string"},
            "description": "the shared secret MAIL_INBOUND_SECRET",
        }
    ],
    responses={
        "401": "UNAUTHORIZED",
        "404": "NOT_FOUND",
        "413": "REQUEST_ENTITY_TOO_LARGE",
        "507": "INSUFFICIENT_STORAGE",
    },
)
@blp.response(200, InboundResultSchema)
def inbound():
    """Receive one raw mail from an MTA or mail provider (shared-secret header).

    Answers 200 whatever became of the mail (appended, new ticket, quarantined,
    ignored) and for a Message-ID seen before (`duplicate`, nothing changes), so the
    sender never retries a mail that was handled. 404 while MAIL_INBOUND_SECRET is
    empty, 401 for a wrong secret, 413 above MAIL_MAX_BYTES, 507 when it cannot be
    stored (retry later).
    """
    _check_secret()
    return inbound_mail.receive(_read_raw(), source="api")


@blp.get("/quarantine")
@requires("staff", "admin")
@blp.arguments(QuarantineQuerySchema, location="query")
@blp.response(200, InboundMailSchema(many=True))
def quarantine(query):
    """Mail that was not appended, newest first (`status=ignored` for auto replies and
    bounces; `before` = last id seen, to page). Staff see mail naming no ticket or a
    ticket in their scope."""
    return mail_quarantine.list_inbound(
        current_caller(), query["status"], query["limit"], query.get("before")
    )


@blp.get("/quarantine/<int:inbound_id>")
@requires("staff", "admin")
@blp.response(200, InboundMailSchema)
def quarantined_mail(inbound_id):
    """One received mail."""
    return mail_quarantine.get_inbound(current_caller(), inbound_id)


@blp.get("/quarantine/<int:inbound_id>/raw")
@requires("staff", "admin")
@blp.response(200, {"type": "string", "format": "binary"}, content_type="message/rfc822")
def quarantined_raw(inbound_id):
    """The mail exactly as received, to open in a mail client."""
    raw = mail_quarantine.raw_bytes(current_caller(), inbound_id)
    return send_bytes(
        raw,
        f"mail-{inbound_id}.eml",
        "message/rfc822",
        as_attachment=True,
        headers={"X-Content-Type-Options": "nosniff"},
    )


@blp.post("/quarantine/<int:inbound_id>/release")
@requires("staff", "admin")
@blp.arguments(ReleaseSchema)
@blp.response(200, InboundMailSchema)
@blp.alt_response(409, response="CONFLICT")
def release(data, inbound_id):
    """Post a quarantined or ignored mail on a ticket as yourself, quoting its sender
    (`visibility` defaults to `staff`); its attachments come along."""
    return mail_quarantine.release(
        current_caller(), inbound_id, ticket_id=data.get("ticket_id"), visibility=data["visibility"]
    )


@blp.post("/quarantine/<int:inbound_id>/reject")
@requires("staff", "admin")
@blp.response(200, InboundMailSchema)
@blp.alt_response(409, response="CONFLICT")
def reject(inbound_id):
    """Mark a quarantined or ignored mail as dealt with; it stays recorded."""
    return mail_quarantine.reject(current_caller(), inbound_id)


PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; form-action 'self'",
}


def _page(status: int, title: str, text: str):
    return html_page(status, "page.html", PAGE_HEADERS, title=title, text=text)


def _unsubscriber(token: str) -> User | None:
    user_id = read_unsubscribe_token(current_app.config["SECRET_KEY"], token)
    user = db.session.get(User, user_id) if user_id else None
    return user if user is not None and user.is_active else None


@blp.get("/unsubscribe/<token>")
@blp.response(200, {"type": "string"}, content_type="text/html")
@blp.alt_response(404, description="Not a link we sent (HTML)")
def unsubscribe_page(token):
    """The List-Unsubscribe link opened in a browser: a button, since link scanners
    follow GETs (RFC 8058); the button POSTs to the same URL."""
    if _unsubscriber(token) is None:
        return _page(404, "Unknown link", "This link is not valid.")
    return html_page(200, "unsubscribe_page.html", PAGE_HEADERS, title="Stop ticket update emails?")


@blp.post("/unsubscribe/<token>")
@accepts_any_content_type
@blp.response(200, {"type": "string"}, content_type="text/html")
@blp.alt_response(404, description="Not a link we sent (HTML)")
def unsubscribe(token):
    """One-click unsubscribe (RFC 8058 `List-Unsubscribe=One-Click`): switches the
    tenant's "notify me" off. Switch it back on with `PUT /api/me/preferences`."""
    user = _unsubscriber(token)
    if user is None:
        return _page(404, "Unknown link", "This link is not valid.")
    user.notify_me = False
    return _page(200, "Done", "You will no longer get emails about ticket updates.")
