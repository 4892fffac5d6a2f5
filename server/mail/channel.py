"""The outbox's `email` channel: what the worker calls for each email row.

The channel name and the dedupe keys of the mails are defined here once; producers
pass them to `server.services.outbox.enqueue`, and inbound mail recognises the
Message-ID of the notification a reply answers from the same key.
"""

from flask import current_app

from server.extensions import db
from server.mail.compose import MailSettings, Unsendable, compose
from server.mail.tokens import set_password_token
from server.mail.transport import current_mailer
from server.models import PasswordToken, User
from server.services.outbox import OutboxItem, PermanentFailure

EMAIL_CHANNEL = "email"


def notification_key(event_id: int, user_id: int) -> str:
    """The dedupe key (and so the Message-ID) of the mail about one event to one user."""
    return f"email:event:{event_id}:user:{user_id}"


def password_link_key(token_id: int) -> str:
    """The dedupe key of the mail carrying one set-password link."""
    return f"email:password-token:{token_id}"


def deliver_email(item: OutboxItem) -> None:
    """The `email` channel: compose the row's message and send it."""
    payload = item.payload
    settings = MailSettings.from_config(current_app.config)
    if payload.get("password_token_id") is not None:
        payload = expand_password_link(payload, settings.secret)
    recipient = db.session.get(User, payload["user_id"]) if payload.get("user_id") else None
    # Only a tenant's mail obeys notify_me, so only theirs offers to switch it off.
    unsubscribe = recipient is not None and recipient.role == "tenant"
    # End the read before talking to the mail server: on SQLite every transaction
    # holds the write lock, and a slow SMTP server must not hold up other writers.
    db.session.rollback()
    try:
        message = compose(payload, item.dedupe_key, settings, unsubscribe=unsubscribe)
    except Unsendable as exc:
        raise PermanentFailure(str(exc)) from exc
    current_mailer().send(message)


def expand_password_link(payload: dict, secret: str) -> dict:
    """Put the set-password link, derived from the row's salt, into the mail body."""
    row = db.session.get(PasswordToken, payload["password_token_id"])
    if row is None:
        raise PermanentFailure("the set-password link no longer exists")
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    link = f"{base}/set-password?token={set_password_token(secret, row.salt)}"
    return {**payload, "body": payload["body"].replace("{link}", link)}
