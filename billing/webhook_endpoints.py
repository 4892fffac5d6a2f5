"""ERP webhook endpoints (admin): where events go, which ones, signed with which secret.

A URL is checked against `url_guard` when saved (and again before each delivery, in
`webhook_channel`); a secret is a Standard Webhooks `whsec_` key, generated unless given
and shown only in the response that created it.
"""

import base64
import binascii
import enum
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from billing import url_guard
from billing.models import EVENT_TYPES, WebhookEndpoint
from billing.signing import SECRET_PREFIX, generate_secret, to_json
from server.auth import Caller
from server.db import utcnow
from server.errors import Invalid, NotFound
from server.extensions import db

MAX_OVERLAP_HOURS = 168
_SECRET_BYTES = (24, 64)  # what the Standard Webhooks spec recommends


def _check_url(url: str) -> None:
    config = current_app.config
    try:
        url_guard.check_url(
            url,
            allow_private=config["ALLOW_PRIVATE_WEBHOOK_URLS"],
            allow_loopback=config["ALLOW_LOOPBACK_WEBHOOK_URLS"],
        )
    except url_guard.UrlRefused as refusal:
        raise Invalid(str(refusal), errors={"url": [str(refusal)]}, code="url_refused") from None


def _check_secret(secret: str) -> None:
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error:
        key = b""
    if not secret.startswith(SECRET_PREFIX) or not _SECRET_BYTES[0] <= len(key) <= _SECRET_BYTES[1]:
        message = "a whsec_ secret: base64 of 24 to 64 random bytes"
        raise Invalid("Not a valid secret.", errors={"secret": [message]})


def _check_event_types(event_types: list[str]) -> None:
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown or not event_types:
        message = f"choose from {', '.join(EVENT_TYPES)}"
        raise Invalid("Unknown event types.", errors={"event_types": [message]})


def create_endpoint(
    caller: Caller,
    *,
    url: str,
    event_types: list[str] | None = None,
    secret: str | None = None,
    description: str | None = None,
) -> WebhookEndpoint:
    """A new endpoint; without a secret one is generated (returned in this response only)."""
    event_types = list(event_types or EVENT_TYPES)
    _check_event_types(event_types)
    _check_url(url)
    if secret is not None:
        _check_secret(secret)
    endpoint = WebhookEndpoint(
        url=url,
        secret=secret or generate_secret(),
        event_types=to_json(sorted(set(event_types))),
        description=description,
        enabled=True,
        created_at=utcnow(),
    )
    db.session.add(endpoint)
    db.session.flush()
    endpoint.reveal_secret = True
    return endpoint


def get_endpoint(endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound("No such webhook endpoint.", code="endpoint_not_found")
    return endpoint


class _Keep(enum.Enum):
    """A member left out of an update (None is a value: a cleared description)."""

    KEEP = "keep"


KEEP = _Keep.KEEP


def update_endpoint(
    caller: Caller,
    endpoint_id: int,
    *,
    url: str | None = None,
    event_types: list[str] | None = None,
    description: str | None | _Keep = KEEP,
    enabled: bool | None = None,
) -> WebhookEndpoint:
    """Change URL, events, description, or enable again (after a 410) / disable.
    What is None (or, for the description, left out) stays as it is."""
    endpoint = get_endpoint(endpoint_id)
    if url is not None:
        _check_url(url)
        endpoint.url = url
    if event_types is not None:
        _check_event_types(event_types)
        endpoint.event_types = to_json(sorted(set(event_types)))
    if description is not KEEP:
        endpoint.description = description
    if enabled is not None:
        endpoint.enabled = enabled
        endpoint.disabled_reason = None if enabled else "disabled by an administrator"
    db.session.flush()
    return endpoint


def list_endpoints() -> list[WebhookEndpoint]:
    return db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()


def rotate_secret(caller: Caller, endpoint_id: int, overlap_hours: int) -> WebhookEndpoint:
    """Give the endpoint a new secret (shown once). For `overlap_hours` the old secret
    signs too (a second `v1,` entry in `webhook-signature`, as Standard Webhooks
    allows), so the receiver can switch without refusing a delivery; 0 ends it now."""
    if not 0 <= overlap_hours <= MAX_OVERLAP_HOURS:
        message = f"from 0 to {MAX_OVERLAP_HOURS} hours"
        raise Invalid("Not a valid overlap.", errors={"overlap_hours": [message]})
    endpoint = get_endpoint(endpoint_id)
    if overlap_hours:
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = utcnow() + timedelta(hours=overlap_hours)
    else:
        endpoint.previous_secret = endpoint.previous_secret_expires_at = None
    endpoint.secret = generate_secret()
    db.session.flush()
    endpoint.reveal_secret = True
    return endpoint


def signing_secrets(endpoint: WebhookEndpoint, now) -> tuple[str, ...]:
    """The secrets that sign a delivery made at `now`: the current one first, then the
    previous one while its overlap lasts."""
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and now < expires:
        return (endpoint.secret, endpoint.previous_secret)
    return (endpoint.secret,)
