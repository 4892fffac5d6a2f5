"""The background worker: periodic jobs (SLA clocks, retention) and outbox delivery.

`fieldline worker` runs `run_forever`; `fieldline worker --once` runs `run_once`.
Channels and jobs live in registries in `app.extensions`, so feature packages add
their own (billing's webhooks) from their `init_app` without the server importing
them. Several workers may run at once against PostgreSQL: each outbox row is
delivered by one of them (server.services.outbox) and each periodic job runs once
per period among them all (server.services.jobs). Between passes a worker on
PostgreSQL waits on `LISTEN fieldline_outbox`, so a row committed by a request wakes
it at once; on SQLite (and as a fallback) it polls every WORKER_POLL_SECONDS.
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
from server.services import attachments, certificate_jobs, outbox, sla_jobs, throttle
from server.services import jobs as job_leases
from server.services.outbox import OutboxItem, RetryPolicy

log = logging.getLogger(__name__)

CHANNELS_KEY = "fieldline_channels"
JOBS_KEY = "fieldline_jobs"
Handler = Callable[[OutboxItem], None]
Retry = Callable[[dict], None]
JobFunction = Callable[[datetime], dict[str, int]]
RETENTION_EVERY = timedelta(hours=1)
CERTIFICATES_EVERY = timedelta(hours=1)  # reminders are per day: an hourly look is plenty


@dataclass(frozen=True)
class Channel:
    handler: Handler
    retry: RetryPolicy | None = None  # None: the OUTBOX_RETRY_SECONDS/MAX_ATTEMPTS settings
    on_retry: Retry | None = None  # resets the channel's own state when an operator retries

    def retry_policy(self, config) -> RetryPolicy:
        if self.retry is not None:
            return self.retry
        delays = tuple(config.get("OUTBOX_RETRY_SECONDS") or outbox.DEFAULT_RETRY_DELAYS)
        return RetryPolicy(
            delays=delays, max_attempts=config.get("OUTBOX_MAX_ATTEMPTS") or len(delays) + 1
        )


@dataclass(frozen=True)
class Job:
    run: JobFunction
    every: timedelta | None = None  # None: the WORKER_JOB_SECONDS setting

    def period(self, config) -> timedelta:
        if self.every is not None:
            return self.every
        return timedelta(seconds=config["WORKER_JOB_SECONDS"])


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
    retry: RetryPolicy | None = None,
    on_retry: Retry | None = None,
) -> None:
    """Deliver outbox rows of `channel == name` with `handler(item)`.

    The handler runs in an app context, outside any transaction; it returns on
    success and raises on failure: `PermanentFailure` dead-letters the row,
    `RetryLater(delay=...)` waits at least that long, anything else retries on the
    channel's `retry` policy (default: the OUTBOX_RETRY_SECONDS schedule, 1 min ...
    6 h, OUTBOX_MAX_ATTEMPTS). `on_retry(payload)` runs when an operator retries a
    dead row (`fieldline outbox retry`), in that transaction.
    """
    channels(app)[name] = Channel(handler, retry, on_retry)


def _retention(now: datetime) -> dict[str, int]:
    from flask import current_app

    return outbox.retention_job(now, current_app.config["OUTBOX_RETENTION_DAYS"])


def jobs(app: Flask) -> dict[str, Job]:
    """Periodic jobs, with the server's SLA timers and outbox retention in it."""
    registry = app.extensions.get(JOBS_KEY)
    if registry is None:
        registry = app.extensions[JOBS_KEY] = {
            "sla": Job(sla_jobs.run),
            "outbox_retention": Job(_retention, RETENTION_EVERY),
            "login_throttles": Job(throttle.prune),
            "attachments": Job(attachments.sweep_job),
            "certificate_reminders": Job(certificate_jobs.run, CERTIFICATES_EVERY),
        }
    return registry


def register_job(app: Flask, name: str, job: JobFunction, *, every: timedelta | None = None):
    """Run `job(now) -> {counter: n}` once per `every` (default WORKER_JOB_SECONDS)
    across all workers; it commits its own work."""
    jobs(app)[name] = Job(job, every)


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
                _run_job(app, name, job, now or utcnow(), stats)
            _deliver_due(app, stats, now, max_messages, stop or threading.Event())
        finally:
            close_current_mailer()
            db.session.remove()
    return stats


def _run_job(app: Flask, name: str, job: Job, now: datetime, stats: WorkerStats) -> None:
    lease = timedelta(seconds=app.config["OUTBOX_LEASE_SECONDS"])
    try:
        lease_until = job_leases.claim(name, now, job.period(app.config), lease)
    except Exception:
        stats.failed_jobs += 1
        log.exception("worker job %s could not be claimed", name)
        return
    if lease_until is None:
        return  # not due, or another worker runs it
    try:
        stats.jobs[name] = job.run(now)
        db.session.commit()  # the job is the unit of work; end it either way
    except Exception:
        db.session.rollback()
        stats.failed_jobs += 1
        log.exception("worker job %s failed", name)
    try:
        job_leases.finish(name, lease_until, now)
    except Exception:
        log.exception("worker job %s: giving its lease back failed", name)


def _deliver_due(app, stats, now, max_messages, stop) -> None:
    config = app.config
    lease = timedelta(seconds=config["OUTBOX_LEASE_SECONDS"])
    # Stop starting deliveries well before the lease ends, so none overruns it.
    margin = min(lease.total_seconds() / 2, config["SMTP_TIMEOUT_SECONDS"] + 5)
    registry = channels(app)
    budget = max_messages if max_messages is not None else float("inf")
    while budget > 0 and not stop.is_set():
        claimed_at = time.monotonic()
        limit = int(min(config["OUTBOX_BATCH_SIZE"], budget))
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
    wake = _Wakeup(app)
    try:
        _loop(app, poll_seconds, stop, wake)
    finally:
        wake.close()
    log.info("worker stopped")


def _loop(app: Flask, poll_seconds: float, stop: threading.Event, wake: "_Wakeup") -> None:
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
        wake.wait(poll_seconds, stop)


class _Wakeup:
    """Waits between passes: on PostgreSQL until a NOTIFY on the outbox channel (sent
    by `outbox.enqueue` when its transaction commits) or the poll interval, whichever
    comes first; elsewhere the poll interval. `stop` is checked every half second."""

    TICK = 0.5

    def __init__(self, app: Flask):
        self.connection = None
        with app.app_context():
            url = db.engine.url
        if url.get_backend_name() != "postgresql":
            return
        try:
            import psycopg

            conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
            self.connection = psycopg.connect(conninfo, autocommit=True)
            self.connection.execute(f"LISTEN {outbox.NOTIFY_CHANNEL}")
        except Exception:
            log.exception("LISTEN failed; the worker polls every pass instead")
            self.close()

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        """True when woken by a notification, False after `seconds` or on stop."""
        deadline = time.monotonic() + seconds
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if self.connection is None:
                stop.wait(left)
                return False
            try:
                woken = any(
                    True
                    for _ in self.connection.notifies(timeout=min(left, self.TICK), stop_after=1)
                )
            except Exception:
                log.exception("LISTEN connection lost; the worker polls from now on")
                self.close()
                continue
            if woken:
                self._drain()  # rows committed meanwhile are all taken by the next pass
                return True
        return False

    def _drain(self) -> None:
        try:
            for _ in self.connection.notifies(timeout=0):
                pass
        except Exception:
            log.debug("draining notifications failed", exc_info=True)

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:
                log.debug("closing the LISTEN connection failed", exc_info=True)
