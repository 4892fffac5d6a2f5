"""ERP webhook events out: written to the outbox with the change; deliveries listed and
replayed (staff).

`emit` runs inside the transaction that made the change: one `WebhookDelivery` per
subscribed endpoint plus an outbox row (channel `webhook`) for the worker, so an event
is sent if and only if its change commits. Where events go is `webhook_endpoints`;
sending them is the worker's `webhook_channel`.
Payloads are small (`{type, timestamp, data}`) and link to the full invoice as JSON,
PDF and EN 16931 XML, which the ERP fetches with its own API token.
"""

import json
import uuid

from flask import current_app, has_app_context
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from billing.models import EVENT_TYPES, Invoice, WebhookDelivery, WebhookEndpoint
from billing.money import to_str
from billing.signing import to_json
from billing.webhook_endpoints import get_endpoint
from server.auth import Caller
from server.db import utcnow
from server.errors import Conflict, NotFound
from server.extensions import db
from server.models import Ticket
from server.services import outbox

CHANNEL = "webhook"
TEST_EVENT = "webhook.test"  # sent to one endpoint on request; nobody subscribes to it
EXTENSION_KEY = "fieldline_billing"


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
    body = to_json({"type": event_type, "timestamp": now.isoformat(), "data": data})
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
        payload=to_json({"type": TEST_EVENT, "timestamp": now.isoformat(), "data": data}),
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
