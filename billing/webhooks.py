"""ERP webhooks out: endpoints, events written to the outbox with the change, replays.

`emit` runs inside the transaction that made the change: one `WebhookDelivery` per
subscribed endpoint plus an outbox row (channel `webhook`) for the worker, so an event
is sent if and only if its change commits. Delivery itself is in `webhook_delivery`.
Payloads are small (`{type, timestamp, data}`) and link to the full invoice as JSON,
PDF and EN 16931 XML, which the ERP fetches with its own API token.
"""

import base64
import binascii
import json
import uuid
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from billing import url_guard
from billing.models import EVENT_TYPES, Invoice, WebhookDelivery, WebhookEndpoint
from billing.money import to_str
from billing.signing import SECRET_PREFIX, generate_secret
from server.auth import Caller
from server.db import utcnow
from server.errors import Conflict, Invalid, NotFound
from server.extensions import db
from server.models import Ticket
from server.services import outbox

CHANNEL = "webhook"
TEST_EVENT = "webhook.test"  # sent to one endpoint on request; nobody subscribes to it
MAX_OVERLAP_HOURS = 168
EXTENSION_KEY = "fieldline_billing"
_SECRET_BYTES = (24, 64)  # what the Standard Webhooks spec recommends


def _json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _url(path: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def invoice_links(invoice: Invoice) -> dict:
    base = f"/api/invoices/{invoice.id}"
    return {
        "json": _url(base),
        "pdf": _url(f"{base}.pdf"),
        "cii": _url(f"{base}.xml?flavor=cii"),
        "ubl": _url(f"{base}.xml?flavor=ubl"),
    }


def invoice_data(invoice: Invoice, ticket: Ticket, credited: Invoice | None = None) -> dict:
    data = {
        "invoice_id": invoice.id,
        "number": invoice.number,
        "kind": invoice.kind,
        "status": invoice.status,
        "currency": invoice.currency,
        "net_total": to_str(invoice.net_total),
        "vat_total": to_str(invoice.vat_total),
        "gross_total": to_str(invoice.gross_total),
        "amount_paid": to_str(invoice.amount_paid),
        "amount_credited": to_str(invoice.amount_credited),
        "issue_date": invoice.issue_date.isoformat() if invoice.issue_date else None,
        "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
        "bill_to": invoice.bill_to,
        "ticket_id": ticket.id,
        "ticket_ref": ticket.ref,
        "links": invoice_links(invoice),
    }
    if credited is not None:
        data["credited_invoice_id"] = credited.id
        data["credited_invoice_number"] = credited.number
    return data


def ticket_data(ticket: Ticket) -> dict:
    return {
        "ticket_id": ticket.id,
        "ticket_ref": ticket.ref,
        "billing": ticket.billing,
        "status": ticket.status,
        "closed_at": (ticket.closed_at or utcnow()).isoformat(),
        "links": {"json": _url(f"/api/tickets/{ticket.id}")},
    }


def emit(event_type: str, data: dict) -> int:
    """Queue `event_type` for every enabled endpoint that wants it; the number queued."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    with db.session.no_autoflush:
        endpoints = db.session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.enabled.is_(True))
        ).all()
    wanted = [e for e in endpoints if event_type in json.loads(e.event_types)]
    if not wanted:
        return 0
    now = utcnow()
    body = _json({"type": event_type, "timestamp": now.isoformat(), "data": data})
    for endpoint in wanted:
        webhook_id = f"msg_{uuid.uuid4().hex}"
        db.session.add(
            WebhookDelivery(
                endpoint_id=endpoint.id,
                event_type=event_type,
                webhook_id=webhook_id,
                payload=body,
                status="pending",
                attempts=0,
                replays=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        _enqueue(webhook_id, f"{CHANNEL}:{webhook_id}")
    return len(wanted)


def _enqueue(webhook_id: str, dedupe_key: str) -> None:
    outbox.enqueue(CHANNEL, dedupe_key, {"webhook_id": webhook_id})


# Every close of a ticket, whoever or whatever closes it, is a `ticket.closed` event.


def _emit_ticket_closed(session: Session, _context, _instances) -> None:
    if not has_app_context() or EXTENSION_KEY not in current_app.extensions:
        return
    for obj in list(session.dirty):
        if isinstance(obj, Ticket):
            history = inspect(obj).attrs.status.history
            if "closed" in (history.added or ()) and "closed" not in (history.deleted or ()):
                emit("ticket.closed", ticket_data(obj))


def install_close_hook(session) -> None:
    if not event.contains(session, "before_flush", _emit_ticket_closed):
        event.listen(session, "before_flush", _emit_ticket_closed)


# Endpoints (admin) ------------------------------------------------------------


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
        event_types=_json(sorted(set(event_types))),
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


def update_endpoint(caller: Caller, endpoint_id: int, **fields) -> WebhookEndpoint:
    """Change URL, events, description, or enable again (after a 410) / disable."""
    endpoint = get_endpoint(endpoint_id)
    if fields.get("url") is not None:
        _check_url(fields["url"])
        endpoint.url = fields["url"]
    if fields.get("event_types") is not None:
        _check_event_types(fields["event_types"])
        endpoint.event_types = _json(sorted(set(fields["event_types"])))
    if "description" in fields:
        endpoint.description = fields["description"]
    if fields.get("enabled") is not None:
        endpoint.enabled = fields["enabled"]
        endpoint.disabled_reason = None if fields["enabled"] else "disabled by an administrator"
    db.session.flush()
    return endpoint


def list_endpoints() -> list[WebhookEndpoint]:
    return db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()


# Deliveries (staff) -----------------------------------------------------------


def list_deliveries(filters: dict) -> list[WebhookDelivery]:
    """Newest first; `before` (an id) pages back."""
    query = select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(filters["limit"])
    for name in ("status", "endpoint_id", "event_type"):
        if filters.get(name) is not None:
            query = query.where(getattr(WebhookDelivery, name) == filters[name])
    if filters.get("before") is not None:
        query = query.where(WebhookDelivery.id < filters["before"])
    return db.session.scalars(query).all()


def replay(caller: Caller, delivery_id: int) -> WebhookDelivery:
    """Send a delivered or dead-lettered event again, with the same webhook-id (receivers
    deduplicate on it) and a fresh retry schedule."""
    delivery = db.session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if delivery is None:
        raise NotFound("No such delivery.", code="delivery_not_found")
    if delivery.status in ("pending", "failed"):
        raise Conflict("This delivery is still being tried.", code="delivery_in_progress")
    if not delivery.endpoint.enabled:
        _check_enabled(delivery.endpoint)
    delivery.replays += 1
    delivery.status = "pending"
    delivery.next_attempt_at = utcnow()
    delivery.delivered_at = None
    _enqueue(delivery.webhook_id, f"{CHANNEL}:{delivery.webhook_id}:replay:{delivery.replays}")
    db.session.flush()
    return delivery


def replay_failed(caller: Caller, endpoint_id: int) -> int:
    """Replay every dead-lettered delivery of one endpoint; how many were replayed."""
    endpoint = get_endpoint(endpoint_id)
    _check_enabled(endpoint)
    dead = db.session.scalars(
        select(WebhookDelivery.id)
        .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == "dead")
        .order_by(WebhookDelivery.id)
    ).all()
    for delivery_id in dead:
        replay(caller, delivery_id)
    return len(dead)


def _check_enabled(endpoint: WebhookEndpoint) -> None:
    if not endpoint.enabled:
        raise Conflict("The endpoint is disabled; enable it first.", code="endpoint_disabled")


def send_test_event(caller: Caller, endpoint_id: int) -> WebhookDelivery:
    """Queue a `webhook.test` event for one endpoint, through the outbox like every real
    event (same signing, retries and delivery record), so an administrator can see the
    receiver accept it."""
    endpoint = get_endpoint(endpoint_id)
    _check_enabled(endpoint)
    now = utcnow()
    data = {"endpoint_id": endpoint.id, "message": "A test event from Fieldline."}
    webhook_id = f"msg_{uuid.uuid4().hex}"
    delivery = WebhookDelivery(
        endpoint_id=endpoint.id,
        event_type=TEST_EVENT,
        webhook_id=webhook_id,
        payload=_json({"type": TEST_EVENT, "timestamp": now.isoformat(), "data": data}),
        status="pending",
        attempts=0,
        replays=0,
        next_attempt_at=now,
        created_at=now,
    )
    db.session.add(delivery)
    _enqueue(webhook_id, f"{CHANNEL}:{webhook_id}")
    db.session.flush()
    return delivery


# Secret rotation ----------------------------------------------------------------


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
