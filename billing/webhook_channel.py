"""The worker's `webhook` channel: POST one delivery, signed, and record what happened.

The outbox claim (FOR UPDATE SKIP LOCKED plus a lease) guarantees that two workers
never run the same attempt. No transaction is held during the HTTP call (on SQLite
that would block every writer for up to the 15 s timeout): the delivery is read,
the transaction ended, the request made, and the outcome written in a new one.

Outcome (billing.retry_schedule): 2xx delivered; 410 disables the endpoint and
dead-letters the delivery; anything else (or no answer) is retried on the Standard
Webhooks schedule, `Retry-After` honoured as a lower bound, and dead-lettered after
the 10th attempt. Redirects are not followed. Every attempt carries the same
`webhook-id` and a fresh `webhook-timestamp` and signature.
"""

import time
from dataclasses import dataclass

import requests
from flask import current_app
from sqlalchemy import select

from billing import retry_schedule, signing, url_guard, webhook_endpoints
from billing.models import WebhookDelivery, WebhookEndpoint
from server.db import utcnow
from server.extensions import db
from server.services.outbox import OutboxItem, PermanentFailure, RetryLater

USER_AGENT = "Fieldline-Webhooks/1"
# Delays before attempts 2..10 in seconds: used by the outbox only when a handler
# fails unexpectedly (a database error); normal failures pass their own time.
SCHEDULE_SECONDS = tuple(int(d.total_seconds()) for d in retry_schedule.SCHEDULE[1:])


@dataclass(frozen=True)
class Attempt:
    url: url_guard.CheckedUrl  # resolved and checked once; the request goes there
    secrets: tuple[str, ...]  # the current secret, and the previous one during a rotation
    webhook_id: str
    body: bytes


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    retry_after: str | None
    error: str | None


def _prepare(item: OutboxItem) -> Attempt | None:
    """What to send, or None when there is nothing to do; raises to dead-letter."""
    webhook_id = item.payload["webhook_id"]
    delivery = db.session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
    )
    if delivery is None:
        raise PermanentFailure(f"no delivery {webhook_id}")
    if delivery.status in ("delivered", "dead"):
        return None
    endpoint = delivery.endpoint
    refusal, checked = None, None
    if not endpoint.enabled:
        refusal = f"endpoint disabled: {endpoint.disabled_reason or 'by an administrator'}"
    else:
        config = current_app.config
        try:
            checked = url_guard.check_url(
                endpoint.url,
                allow_private=config["ALLOW_PRIVATE_WEBHOOK_URLS"],
                allow_loopback=config["ALLOW_LOOPBACK_WEBHOOK_URLS"],
            )
        except url_guard.UrlRefused as error:
            refusal = f"URL refused: {error}"
    if refusal:
        delivery.status, delivery.last_error, delivery.next_attempt_at = "dead", refusal, None
        db.session.commit()
        raise PermanentFailure(refusal)
    secrets = webhook_endpoints.signing_secrets(endpoint, utcnow())
    return Attempt(checked, secrets, webhook_id, delivery.payload.encode())


def _post(attempt: Attempt) -> Answer:
    body = attempt.body
    timestamp = int(time.time())
    headers = signing.headers_for(attempt.secrets[0], attempt.webhook_id, timestamp, body)
    for older in attempt.secrets[1:]:  # rotation: one signature per secret, space-separated
        headers["webhook-signature"] += " " + signing.sign(
            older, attempt.webhook_id, timestamp, body
        )
    headers.update({"Content-Type": "application/json", "User-Agent": USER_AGENT})
    timeout = current_app.config["WEBHOOK_TIMEOUT_SECONDS"]
    try:
        with (
            url_guard.pinned_session(attempt.url) as session,
            session.post(
                attempt.url.url,
                data=body,
                headers=headers,
                timeout=timeout,
                allow_redirects=False,
                stream=True,  # the receiver's body is never read
            ) as response,
        ):
            status = response.status_code
            error = None if 200 <= status <= 299 else f"HTTP {status} {response.reason or ''}"
            return Answer(status, response.headers.get("Retry-After"), error)
    except requests.RequestException as error:
        return Answer(None, None, f"{type(error).__name__}: {error}"[:1000])


def deliver(item: OutboxItem) -> None:
    """Channel handler (server.worker): return when delivered, raise otherwise."""
    try:
        attempt = _prepare(item)
    finally:
        db.session.rollback()  # end the read transaction before going on the network
    if attempt is None:
        return
    answer = _post(attempt)
    failed_at = utcnow()
    delivery = db.session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.webhook_id == attempt.webhook_id)
    )
    delivery.attempts += 1
    delivery.last_attempt_at = failed_at
    delivery.last_status_code = answer.status_code
    delivery.last_error = answer.error and answer.error[:1000]
    outcome = retry_schedule.classify_response(answer.status_code)
    if outcome == "delivered":
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
            "delivered",
            failed_at,
            None,
        )
        db.session.commit()
        return
    if outcome == "disable":
        endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id)
        endpoint.enabled = False
        endpoint.disabled_reason = f"410 Gone on {failed_at.isoformat()}"
        delivery.status, delivery.next_attempt_at = "dead", None
        db.session.commit()
        raise PermanentFailure("410 Gone: the endpoint is disabled")
    upcoming = retry_schedule.next_attempt_at(item.attempt, failed_at, answer.retry_after)
    if upcoming is None:
        delivery.status, delivery.next_attempt_at = "dead", None
        db.session.commit()
        raise PermanentFailure(f"dead after {item.attempt} attempts: {answer.error}")
    delivery.status, delivery.next_attempt_at = "failed", upcoming
    db.session.commit()
    # The schedule is decided here, once (billing.retry_schedule, Retry-After included):
    # the outbox row is due exactly when the delivery says it is.
    raise RetryLater(answer.error or "failed", at=upcoming)


def reset_for_retry(payload: dict) -> None:
    """`fieldline outbox retry` of a dead webhook row: the delivery is pending again
    (its state lives on the delivery, which the API shows), in the retry's transaction."""
    delivery = db.session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.webhook_id == payload["webhook_id"])
    )
    if delivery is not None and delivery.status == "dead":
        delivery.status, delivery.next_attempt_at, delivery.delivered_at = "pending", utcnow(), None
