"""The outbox: `enqueue` for producers; claiming, finishing and retrying for the worker.

Every producer writes its rows with `enqueue(channel, key, payload)` (or
`enqueue_many`) inside the transaction of the change that caused them, so a row
exists if and only if its change commits. On PostgreSQL `enqueue` also sends
`NOTIFY fieldline_outbox` in that transaction: a waiting worker wakes when it
commits (server.worker), instead of at its next poll.

A worker claims due rows by setting `locked_until` (its lease) and commits at once,
then delivers outside any transaction, then records the outcome in a short
transaction of its own. On PostgreSQL the claim reads with `FOR UPDATE SKIP LOCKED`,
so concurrent workers take disjoint rows without waiting on each other; on SQLite
every transaction starts with BEGIN IMMEDIATE (server.db), which serialises claimers.
A worker that dies keeps its rows only until the lease runs out; then any worker
takes them again. The outcome is written only while the lease is still ours, so a
worker that overran its lease cannot overwrite what the next one recorded.

Each claim counts as an attempt, so a row that crashes every worker that touches it
still runs out of attempts and is dead-lettered instead of looping forever.
"""

import json
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, or_, select, update

from server.extensions import db
from server.models import OutboxMessage

DEFAULT_RETRY_DELAYS = (60, 300, 1800, 7200, 21600)  # 1 min, 5 min, 30 min, 2 h, 6 h
JITTER = 0.10  # ±10 %, so a recovering server is not hit by every retry in one second
_rng = random.Random()


class PermanentFailure(Exception):
    """Delivery can never succeed (address refused, malformed payload): dead-letter now."""


class RetryLater(Exception):
    """Try again, not before `delay` (e.g. a Retry-After the receiver asked for), or
    exactly `at`: a channel that keeps a schedule of its own (webhooks) says when, so
    the row and the channel's record name the same moment."""

    def __init__(self, message: str, delay: timedelta | None = None, *, at: datetime | None = None):
        super().__init__(message)
        self.delay = delay
        self.at = at


@dataclass(frozen=True)
class OutboxItem:
    """A claimed row, detached from the session: what a channel handler gets."""

    id: int
    channel: str
    dedupe_key: str
    payload: dict
    attempt: int  # 1 for the first try
    lease_until: datetime


@dataclass(frozen=True)
class RetryPolicy:
    delays: tuple[int, ...] = DEFAULT_RETRY_DELAYS
    max_attempts: int = len(DEFAULT_RETRY_DELAYS) + 1

    def delay_after(self, attempt: int, rng: random.Random = _rng) -> timedelta:
        """The wait after attempt `attempt` (1-based) failed; the last delay repeats."""
        base = self.delays[min(attempt, len(self.delays)) - 1]
        return timedelta(seconds=base * (1 + JITTER * (2 * rng.random() - 1)))


NOTIFY_CHANNEL = "fieldline_outbox"  # the PostgreSQL LISTEN/NOTIFY channel
_NOTIFIED_KEY = "fieldline_outbox_notified"


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def enqueue(channel: str, key: str, payload: Mapping) -> None:
    """Queue `payload` (JSON) for `channel`'s handler, once per `key` (unique)."""
    enqueue_many(channel, [(key, payload)])


def enqueue_many(channel: str, rows: Iterable[tuple[str, Mapping]]) -> None:
    """`enqueue` for several rows of one channel in one INSERT (a notification's fan-out).

    Core INSERTs, not ORM objects: nothing reads them back in the transaction, and
    a reply's push paid more for their unit-of-work flush than for anything else.
    They are written at once (no flush needed), also from inside a flush hook."""
    values = [
        {
            "channel": channel,
            "dedupe_key": key,
            "payload": json.dumps(payload, ensure_ascii=False),
        }
        for key, payload in rows
    ]
    if not values:
        return
    connection = db.session.connection()
    connection.execute(insert(OutboxMessage.__table__), values)
    if connection.dialect.name == "postgresql":
        _notify_once(connection, channel)


def _notify_once(connection, channel: str) -> None:
    """NOTIFY in the current transaction, once per (sub)transaction: PostgreSQL
    delivers it at commit and drops it on rollback (of a savepoint too, which is
    why the innermost transaction is the key, not the outer one)."""
    session = db.session()  # the Session itself (the scoped proxy lacks these methods)
    current = session.get_nested_transaction() or session.get_transaction()
    if session.info.get(_NOTIFIED_KEY) is current:
        return
    connection.execute(select(func.pg_notify(NOTIFY_CHANNEL, channel)))
    session.info[_NOTIFIED_KEY] = current


def claim_due(
    now: datetime, *, limit: int, lease: timedelta, channels: Iterable[str]
) -> list[OutboxItem]:
    """Take up to `limit` due rows of the given channels for `lease`, and commit."""
    channels = list(channels)
    if not channels:
        return []
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == "pending",
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.channel.in_(channels),
            or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until <= now),
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if _dialect() == "postgresql":
        query = query.with_for_update(skip_locked=True)
    try:
        rows = db.session.scalars(query).all()
        lease_until = now + lease
        items = []
        for row in rows:
            row.locked_until = lease_until
            row.attempts += 1
            items.append(
                OutboxItem(
                    id=row.id,
                    channel=row.channel,
                    dedupe_key=row.dedupe_key,
                    payload=json.loads(row.payload),
                    attempt=row.attempts,
                    lease_until=lease_until,
                )
            )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return items


def _finish(item: OutboxItem, **values) -> bool:
    """Write the outcome if the lease is still ours; False when another worker took over."""
    try:
        result = db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == item.id,
                OutboxMessage.status == "pending",
                OutboxMessage.locked_until == item.lease_until,
            )
            .values(locked_until=None, **values)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return result.rowcount == 1


def mark_sent(item: OutboxItem, now: datetime) -> bool:
    return _finish(item, status="sent", sent_at=now, last_error=None)


def mark_failed(
    item: OutboxItem,
    error: BaseException,
    now: datetime,
    policy: RetryPolicy,
    rng: random.Random = _rng,
) -> tuple[str, bool]:
    """Schedule the next attempt, or dead-letter. Returns (new status, lease still ours)."""
    message = f"{type(error).__name__}: {error}"[:1000]
    if isinstance(error, PermanentFailure) or item.attempt >= policy.max_attempts:
        return "dead", _finish(item, status="dead", last_error=message)
    if isinstance(error, RetryLater) and error.at is not None:
        return "pending", _finish(item, next_attempt_at=error.at, last_error=message)
    delay = policy.delay_after(item.attempt, rng)
    if isinstance(error, RetryLater) and error.delay is not None:
        delay = max(delay, error.delay)
    return "pending", _finish(item, next_attempt_at=now + delay, last_error=message)


def release(items: Iterable[OutboxItem]) -> None:
    """Give back claimed rows that were never tried (shutdown, lease running out)."""
    try:
        for item in items:
            db.session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == item.id,
                    OutboxMessage.status == "pending",
                    OutboxMessage.locked_until == item.lease_until,
                )
                .values(locked_until=None, attempts=OutboxMessage.attempts - 1)
                .execution_options(synchronize_session=False)
            )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


# Operators' side (`fieldline outbox list|retry|purge`) and retention ----------------

STATUSES = ("pending", "sent", "dead")


def _filtered(query, *, channel: str | None, status: str | None, ids: Iterable[int] = ()):
    ids = list(ids)
    if channel:
        query = query.where(OutboxMessage.channel == channel)
    if status:
        query = query.where(OutboxMessage.status == status)
    if ids:
        query = query.where(OutboxMessage.id.in_(ids))
    return query


def list_rows(*, channel: str | None, status: str | None, limit: int) -> list[OutboxMessage]:
    """Rows newest first, by channel and status."""
    query = _filtered(select(OutboxMessage), channel=channel, status=status)
    return db.session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)).all()


def retry_dead(
    now: datetime, *, channel: str | None, ids: Iterable[int] = (), on_retry=None
) -> list[OutboxMessage]:
    """Give dead rows a fresh schedule: pending, due now, attempts from zero. Flushes.

    `on_retry(channel, payload)` lets the row's channel reset state of its own (a
    webhook delivery's status) in the same transaction."""
    query = _filtered(select(OutboxMessage), channel=channel, status="dead", ids=ids)
    rows = db.session.scalars(query.order_by(OutboxMessage.id).with_for_update()).all()
    for row in rows:
        row.status, row.attempts, row.next_attempt_at, row.locked_until = "pending", 0, now, None
        if on_retry is not None:
            on_retry(row.channel, json.loads(row.payload))
    db.session.flush()
    if rows and _dialect() == "postgresql":
        db.session.execute(select(func.pg_notify(NOTIFY_CHANNEL, "retry")))
    return rows


def purge(*, channel: str | None, status: str, before: datetime) -> int:
    """Delete sent rows sent, or dead rows created, before `before`; how many. Flushes."""
    if status not in ("sent", "dead"):
        raise ValueError("only sent and dead rows can be purged")
    stamp = OutboxMessage.sent_at if status == "sent" else OutboxMessage.created_at
    query = _filtered(
        delete(OutboxMessage).where(stamp < before), channel=channel, status=status
    ).execution_options(synchronize_session=False)
    return db.session.execute(query).rowcount or 0


def retention_job(now: datetime, days: int) -> dict[str, int]:
    """Purge rows sent more than `days` ago (dead rows stay for an operator)."""
    return {"purged": purge(channel=None, status="sent", before=now - timedelta(days=days))}
