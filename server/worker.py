"""The background worker: timed jobs (SLA clocks) and outbox delivery, per channel.

`fieldline worker` runs `run_forever`; `fieldline worker --once` runs `run_once`.
Channels and jobs live in registries in `app.extensions`, so feature packages add
their own (billing's webhooks) from their `init_app` without the server importing
them. Several workers may run at once against PostgreSQL: see server.services.outbox.
"""

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask

from server.db import utcnow
from server.extensions import db
from server.mail.channel import EMAIL_CHANNEL, deliver_email
from server.mail.transport import close_current_mailer
from server.services import outbox, sla_jobs
from server.services.outbox import OutboxItem, RetryPolicy

log = logging.getLogger(__name__)

CHANNELS_KEY = "fieldline_channels"
JOBS_KEY = "fieldline_jobs"
Handler = Callable[[OutboxItem], None]
Job = Callable[[datetime], dict[str, int]]


@dataclass(frozen=True)
class Channel:
    handler: Handler
    retry_delays: tuple[int, ...] | None = None  # None: the OUTBOX_RETRY_SECONDS setting
    max_attempts: int | None = None  # None: the OUTBOX_MAX_ATTEMPTS setting

    def retry_policy(self, config) -> RetryPolicy:
        delays = tuple(
            self.retry_delays or config.get("OUTBOX_RETRY_SECONDS") or outbox.DEFAULT_RETRY_DELAYS
        )
        return RetryPolicy(
            delays=delays,
            max_attempts=self.max_attempts or config.get("OUTBOX_MAX_ATTEMPTS") or len(delays) + 1,
        )


def channels(app: Flask) -> dict[str, Channel]:
    """The channel registry, with the server's own `email` channel in it."""
    registry = app.extensions.get(CHANNELS_KEY)
    if registry is None:
        registry = app.extensions[CHANNELS_KEY] = {EMAIL_CHANNEL: Channel(deliver_email)}
    return registry


def register_channel(
    app: Flask,
    name: str,
    handler: Handler,
    *,
    retry_delays: tuple[int, ...] | None = None,
    max_attempts: int | None = None,
) -> None:
    """Deliver outbox rows of `channel == name` with `handler(item)`.

    The handler runs in an app context, outside any transaction; it returns on
    success and raises on failure: `PermanentFailure` dead-letters the row,
    `RetryLater(delay=...)` waits at least that long, anything else retries on the
    channel's schedule (seconds after each failure; default 1 min ... 6 h).
    """
    channels(app)[name] = Channel(handler, retry_delays, max_attempts)


def jobs(app: Flask) -> dict[str, Job]:
    """Timed jobs run at the start of every worker pass, with the server's SLA job in it."""
    registry = app.extensions.get(JOBS_KEY)
    if registry is None:
        registry = app.extensions[JOBS_KEY] = {"sla": sla_jobs.run}
    return registry


def register_job(app: Flask, name: str, job: Job) -> None:
    """Run `job(now) -> {counter: n}` on every pass; it commits its own work."""
    jobs(app)[name] = job


@dataclass
class WorkerStats:
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    lost_leases: int = 0
    failed_jobs: int = 0
    jobs: dict[str, dict[str, int]] = field(default_factory=dict)

    def summary(self) -> str:
        text = f"{self.sent} sent, {self.retrying} to retry, {self.dead} dead"
        if self.lost_leases:
            text += f", {self.lost_leases} overran their lease"
        for name, counts in self.jobs.items():
            done = ", ".join(f"{value} {key}" for key, value in counts.items())
            text += f"; {name}: {done or 'nothing to do'}"
        if self.failed_jobs:
            text += f"; {self.failed_jobs} job(s) failed (see log)"
        return text


def run_once(
    app: Flask,
    *,
    now: datetime | None = None,
    max_messages: int | None = None,
    stop: threading.Event | None = None,
) -> WorkerStats:
    """Run every job, then deliver what is due until nothing is. `now` is for tests."""
    stats = WorkerStats()
    with app.app_context():
        try:
            for name, job in jobs(app).items():
                try:
                    stats.jobs[name] = job(now or utcnow())
                    db.session.commit()  # the job is the unit of work; end it either way
                except Exception:
                    db.session.rollback()
                    stats.failed_jobs += 1
                    log.exception("worker job %s failed", name)
            _deliver_due(app, stats, now, max_messages, stop or threading.Event())
        finally:
            close_current_mailer()
            db.session.remove()
    return stats


def _deliver_due(app, stats, now, max_messages, stop) -> None:
    config = app.config
    lease = timedelta(seconds=config.get("OUTBOX_LEASE_SECONDS", 300))
    # Stop starting deliveries well before the lease ends, so none overruns it.
    margin = min(lease.total_seconds() / 2, config.get("SMTP_TIMEOUT_SECONDS", 30) + 5)
    registry = channels(app)
    budget = max_messages if max_messages is not None else float("inf")
    while budget > 0 and not stop.is_set():
        claimed_at = time.monotonic()
        limit = int(min(config.get("OUTBOX_BATCH_SIZE", 50), budget))
        items = outbox.claim_due(now or utcnow(), limit=limit, lease=lease, channels=registry)
        if not items:
            return
        budget -= len(items)
        for index, item in enumerate(items):
            if stop.is_set() or time.monotonic() - claimed_at > lease.total_seconds() - margin:
                outbox.release(items[index:])
                return
            _deliver(registry[item.channel], item, stats, now, config)


def _deliver(channel: Channel, item: OutboxItem, stats: WorkerStats, now, config) -> None:
    try:
        channel.handler(item)
    except Exception as error:
        db.session.rollback()  # whatever the handler left open
        status, ours = outbox.mark_failed(
            item, error, now or utcnow(), channel.retry_policy(config)
        )
        if status == "dead":
            stats.dead += 1
            log.error(
                "outbox %s (%s) dead after %d attempts: %s",
                item.id,
                item.channel,
                item.attempt,
                error,
            )
        else:
            stats.retrying += 1
            log.warning(
                "outbox %s (%s) attempt %d failed: %s", item.id, item.channel, item.attempt, error
            )
    else:
        ours = outbox.mark_sent(item, now or utcnow())
        stats.sent += 1
    if not ours:
        stats.lost_leases += 1
        log.warning(
            "outbox %s outlived its lease; another worker may have delivered it too", item.id
        )


def run_forever(app: Flask, poll_seconds: float, stop: threading.Event | None = None) -> None:
    """Poll until SIGTERM/SIGINT (or `stop`); a failed pass is logged and retried."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    log.info("worker started, polling every %ss", poll_seconds)
    while not stop.is_set():
        try:
            stats = run_once(app, stop=stop)
            if (
                stats.sent
                or stats.retrying
                or stats.dead
                or any(any(counts.values()) for counts in stats.jobs.values())
            ):
                log.info("worker pass: %s", stats.summary())
        except Exception:
            log.exception("worker pass failed; trying again in %ss", poll_seconds)
        stop.wait(poll_seconds)
    log.info("worker stopped")
