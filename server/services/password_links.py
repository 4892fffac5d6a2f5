"""Set-password links: minted with the outbox mail that carries them.

A link carries a secret derived from SECRET_KEY and a random per-link salt
(server.mail.tokens): the database keeps only its SHA-256, the outbox row only the
link's id, and the worker derives the secret when it writes the mail
(server.mail.channel.expand_password_link). A link is used once
(server.services.signup.set_password) and expires after SET_PASSWORD_TTL_HOURS.
"""

import secrets
from datetime import timedelta

from flask import current_app

from server.db import utcnow
from server.extensions import db
from server.mail.channel import EMAIL_CHANNEL, password_link_key
from server.mail.templating import render
from server.mail.tokens import set_password_token, token_hash
from server.models import PasswordToken, User
from server.services import outbox


def send_password_link(user: User) -> PasswordToken:
    """A new single-use link for `user`, mailed through the outbox."""
    hours = current_app.config["SET_PASSWORD_TTL_HOURS"]
    salt = secrets.token_hex(32)
    token = set_password_token(current_app.config["SECRET_KEY"], salt)
    row = PasswordToken(
        user_id=user.id,
        token_hash=token_hash(token),
        salt=salt,
        expires_at=utcnow() + timedelta(hours=hours),
    )
    db.session.add(row)
    db.session.flush()
    # The body keeps a `{link}` placeholder: the link's secret is never stored.
    body = render("password_link.txt", name=user.name, email=user.email, hours=hours)
    payload = {
        "to": user.email,
        "to_name": user.name,
        "subject": "Your Fieldline login",
        "body": body,
        "password_token_id": row.id,
    }
    outbox.enqueue(EMAIL_CHANNEL, password_link_key(row.id), payload)
    return row
