"""ERP in: payments reported by the ERP, signed like our webhooks (Standard Webhooks).

The signature is checked over the raw body bytes, before anything is parsed, in
constant time, with `ERP_INBOUND_SECRET`; the timestamp must be within 5 minutes
either way. An accepted `webhook-id` is stored (unique) in the same transaction as
the payment, so a re-delivery is acknowledged with 200 and changes nothing, even
when two copies arrive at once. A refused payment (422) changes nothing and
stores nothing that would mark it received: the ERP may send it again once the
cause is fixed. It is kept in `rejected_payments` for staff, in its own
transaction after the rollback.
"""

import json
import time
from datetime import timedelta

from flask import current_app, request
from marshmallow import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from billing import invoice_payments, signing
from billing.models import Invoice, ReceivedWebhook, RejectedPayment
from billing.money import outstanding, to_str
from billing.schemas import PaymentInSchema
from server import json_body
from server.db import utcnow
from server.errors import DomainError, Invalid, NotAuthenticated, TooLarge
from server.extensions import db

MAX_WEBHOOK_ID = 200


def read_body() -> bytes:
    """The raw body, refused with 413 above ERP_MAX_BODY_BYTES (counted while reading)."""
    limit = current_app.config["ERP_MAX_BODY_BYTES"]
    if request.content_length and request.content_length > limit:
        raise TooLarge(f"Payment reports are limited to {limit} bytes.")
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise TooLarge(f"Payment reports are limited to {limit} bytes.")
    return body


def authenticate(body: bytes, headers) -> str:
    """The webhook-id of a correctly signed, fresh message; 401 otherwise."""
    secret = current_app.config["ERP_INBOUND_SECRET"]
    if not secret:
        raise NotAuthenticated(
            "Payments are not accepted: ERP_INBOUND_SECRET is not set.",
            code="erp_not_configured",
            headers={},
        )
    tolerance = current_app.config["ERP_TIMESTAMP_TOLERANCE_SECONDS"]
    try:
        signing.verify(secret, headers, body, int(time.time()), tolerance)
    except signing.SignatureError as error:
        messages = {
            "missing_headers": "webhook-id, webhook-timestamp and webhook-signature are required.",
            "bad_timestamp": "webhook-timestamp is not Unix seconds.",
            "stale_timestamp": f"webhook-timestamp is more than {tolerance} s from now.",
            "bad_signature": "No webhook-signature matches.",
        }
        raise NotAuthenticated(
            messages[error.reason], code=f"webhook_{error.reason}", headers={}
        ) from None
    webhook_id = headers.get("webhook-id", "")
    if len(webhook_id) > MAX_WEBHOOK_ID:
        raise DomainError(f"webhook-id is longer than {MAX_WEBHOOK_ID} characters.")
    return webhook_id


def _claim(webhook_id: str) -> bool:
    """Store the id; False if it was already there (waits for a concurrent twin)."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    inserted = db.session.execute(
        insert(ReceivedWebhook)
        .values(webhook_id=webhook_id, received_at=utcnow())
        .on_conflict_do_nothing(index_elements=["webhook_id"])
        .returning(ReceivedWebhook.id)
    ).scalar()
    return inserted is not None


def _parse(body: bytes) -> dict:
    try:
        data = json_body.parse(body)  # also: no NaN, no deep nesting, no NUL (422)
    except json_body.MalformedJson as error:
        raise DomainError(error.detail, code="malformed_json") from None
    if not isinstance(data, dict):
        raise DomainError("The body is not a JSON object.", code="malformed_json")
    try:
        return PaymentInSchema().load(data)
    except ValidationError as error:
        detail = "The payment report did not pass validation; see errors."
        raise Invalid(detail, errors=error.messages) from None


def receive(body: bytes, webhook_id: str) -> dict:
    """Apply one signed payment report, at most once per webhook-id."""
    if db.session.scalar(
        select(ReceivedWebhook.id).where(ReceivedWebhook.webhook_id == webhook_id)
    ):
        return {"status": "duplicate"}
    fields = _parse(body)
    if not _claim(webhook_id):
        return {"status": "duplicate"}
    payment = invoice_payments.record_payment(webhook_id=webhook_id, **fields)
    invoice = db.session.get(Invoice, payment.invoice_id)
    return {
        "status": "applied",
        "invoice_number": invoice.number,
        "invoice_status": invoice.status,
        "amount_paid": to_str(invoice.amount_paid),
        "outstanding": to_str(
            outstanding(invoice.gross_total, invoice.amount_credited, invoice.amount_paid)
        ),
    }


def record_rejection(webhook_id: str, refusal: DomainError, body: bytes) -> None:
    """Keep a refused report for staff (once per webhook-id and reason)."""
    known = db.session.scalar(
        select(RejectedPayment.id).where(
            RejectedPayment.webhook_id == webhook_id, RejectedPayment.code == refusal.code
        )
    )
    if known:
        return
    try:
        number = json.loads(body).get("invoice_number")
    except (ValueError, AttributeError, RecursionError):
        number = None
    db.session.add(
        RejectedPayment(
            webhook_id=webhook_id,
            code=refusal.code,
            detail=refusal.detail[:1000],
            # Kept for staff to read; NUL cannot be stored in PostgreSQL text.
            invoice_number=str(number).replace("\x00", "")[:100] if number is not None else None,
            body=body.decode("utf-8", "replace").replace("\x00", "\ufffd"),
            received_at=utcnow(),
        )
    )


def list_rejections(limit: int = 100) -> list[RejectedPayment]:
    return db.session.scalars(
        select(RejectedPayment).order_by(RejectedPayment.id.desc()).limit(limit)
    ).all()


def forget_old_ids(now) -> dict[str, int]:
    """Worker job: drop received ids older than RECEIVED_WEBHOOK_RETENTION_DAYS (the
    sender's retry window is about three days; the default keeps them for 30)."""
    days = current_app.config["RECEIVED_WEBHOOK_RETENTION_DAYS"]
    result = db.session.execute(
        delete(ReceivedWebhook).where(ReceivedWebhook.received_at < now - timedelta(days=days))
    )
    return {"forgotten": result.rowcount or 0}
