"""The outbox as operators and producers see it: one `enqueue`, retention of sent rows,
`fieldline outbox list|retry|purge`, periodic jobs once per period across workers, and
(on PostgreSQL) a worker woken by NOTIFY when an enqueueing transaction commits."""

import json
import threading
import time
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import select

from server.db import utcnow
from server.extensions import db
from server.mail import transport
from server.models import OutboxMessage, WorkerJob
from server.services import outbox
from server.worker import register_channel, register_job, run_forever, run_once
from tests.api.mailbox import add_outbox_rows
from tests.conftest import POSTGRES_URL

postgres_only = pytest.mark.skipif(not POSTGRES_URL, reason="LISTEN/NOTIFY is PostgreSQL's")


def rows(app, **where) -> list[OutboxMessage]:
    with app.app_context():
        query = select(OutboxMessage).filter_by(**where).order_by(OutboxMessage.id)
        found = db.session.scalars(query).all()
        db.session.expunge_all()
        return found


def enqueue(app, channel: str, key: str, payload: dict) -> None:
    with app.app_context():
        outbox.enqueue(channel, key, payload)
        db.session.commit()


def test_enqueue_writes_one_row_per_key_and_a_second_enqueue_of_a_key_is_refused(app):
    enqueue(app, "email", "k1", {"to": "a@example.test", "subject": "Hi", "body": "Zoë"})

    [row] = rows(app)
    assert (row.channel, row.status, row.attempts) == ("email", "pending", 0)
    assert json.loads(row.payload)["body"] == "Zoë"
    with app.app_context():
        with pytest.raises(Exception, match="(?i)unique"):
            outbox.enqueue("email", "k1", {"to": "b@example.test"})
        db.session.rollback()
    assert len(rows(app)) == 1


def test_an_enqueue_rolled_back_with_its_change_leaves_no_row(app):
    with app.app_context():
        outbox.enqueue("email", "gone", {"to": "a@example.test", "subject": "x"})
        db.session.rollback()
    assert rows(app) == []


def test_sent_rows_are_purged_after_the_retention_period_and_dead_rows_stay(app):
    app.config["OUTBOX_RETENTION_DAYS"] = 30
    app.extensions[transport.MAILER_KEY] = transport.MemoryMailer()
    add_outbox_rows(app, 2)
    enqueue(app, "email", "no-recipient", {"subject": "nobody to send to"})
    stats = run_once(app)
    assert (stats.sent, stats.dead) == (2, 1)

    run_once(app, now=utcnow() + timedelta(days=29))
    assert len(rows(app, status="sent")) == 2  # not old enough yet

    stats = run_once(app, now=utcnow() + timedelta(days=31))
    assert stats.jobs["outbox_retention"] == {"purged": 2}
    assert [r.dedupe_key for r in rows(app)] == ["no-recipient"]  # dead rows wait for people


def test_outbox_cli_lists_and_retries_dead_email_rows_which_are_then_delivered_once(app, runner):
    memory = app.extensions[transport.MAILER_KEY] = transport.MemoryMailer()
    app.config["OUTBOX_MAX_ATTEMPTS"] = 1
    add_outbox_rows(app, 2)
    memory.fail_next = 2
    assert run_once(app).dead == 2

    listed = runner.invoke(args=["outbox", "list", "--status", "dead", "--channel", "email"])
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.strip().splitlines()
    assert len(lines) == 2 and all("\temail\tdead\t1\ttest:email:" in line for line in lines)
    assert "ConnectionRefusedError" in lines[0]
    assert runner.invoke(args=["outbox", "list", "--channel", "webhook"]).stdout == ""

    first = rows(app)[0].id
    one = runner.invoke(args=["outbox", "retry", "--id", str(first)])
    assert one.exit_code == 0 and "1 dead row(s) queued again" in one.output
    assert run_once(app).sent == 1
    rest = runner.invoke(args=["outbox", "retry", "--channel", "email"])
    assert "1 dead row(s) queued again" in rest.output
    assert run_once(app).sent == 1

    assert len(memory.sent) == 2
    assert {(r.status, r.attempts) for r in rows(app)} == {("sent", 1)}
    again = runner.invoke(args=["outbox", "retry"])
    assert "0 dead row(s) queued again" in again.output


def test_outbox_cli_retries_a_dead_row_of_any_channel_and_the_channel_resets_its_state(app, runner):
    """The PDF and webhook channels are retried the same way; a channel's own state
    (a webhook delivery's status) is reset through its `on_retry`."""
    attempts, reset = [], []

    def flaky(item):
        attempts.append(item.attempt)
        if len(attempts) == 1:
            raise outbox.PermanentFailure("broken the first time")

    register_channel(app, "test_pdf", flaky, on_retry=reset.append)
    enqueue(app, "test_pdf", "pdf:1", {"note_id": "n1"})
    assert run_once(app).dead == 1

    result = runner.invoke(args=["outbox", "retry", "--channel", "test_pdf"])

    assert result.exit_code == 0 and reset == [{"note_id": "n1"}]
    assert run_once(app).sent == 1
    assert attempts == [1, 1]  # a fresh schedule: attempt 1 again


def test_outbox_purge_command_deletes_old_rows_of_the_status_and_channel_asked(app, runner):
    app.extensions[transport.MAILER_KEY] = transport.MemoryMailer()
    add_outbox_rows(app, 2)
    enqueue(app, "email", "dead-one", {"subject": "no recipient"})
    run_once(app)

    kept = runner.invoke(args=["outbox", "purge", "--older-than-days", "1"])
    assert kept.exit_code == 0 and "0 sent row(s) purged" in kept.output
    sent = runner.invoke(args=["outbox", "purge", "--older-than-days", "0"])
    assert "2 sent row(s) purged" in sent.output
    assert [r.status for r in rows(app)] == ["dead"]
    other = runner.invoke(
        args=[
            "outbox",
            "purge",
            "--status",
            "dead",
            "--older-than-days",
            "0",
            "--channel",
            "webhook",
        ]
    )
    assert "0 dead row(s) purged" in other.output
    dead = runner.invoke(args=["outbox", "purge", "--status", "dead", "--older-than-days", "0"])
    assert "1 dead row(s) purged" in dead.output and rows(app) == []


def test_a_periodic_job_runs_once_per_period_however_many_workers_pass(app):
    """Two workers, each passing ten times at the same moment: one run. On PostgreSQL
    they really race (FOR UPDATE SKIP LOCKED on the job's lease row)."""
    runs, lock = [], threading.Lock()

    def job(now):
        with lock:
            runs.append(now)
        time.sleep(0.05)  # long enough for the other worker to try meanwhile
        return {"done": 1}

    register_job(app, "test_hourly", job, every=timedelta(hours=1))
    app.extensions[transport.MAILER_KEY] = transport.MemoryMailer()
    start = utcnow()

    def passes(now, barrier):
        barrier.wait(10)
        for _ in range(10):
            run_once(app, now=now)

    for offset in (timedelta(0), timedelta(minutes=59), timedelta(minutes=61)):
        barrier = threading.Barrier(2)
        workers = [
            threading.Thread(target=passes, args=(start + offset, barrier)) for _ in range(2)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)

    assert runs == [start, start + timedelta(minutes=61)]
    with app.app_context():
        row = db.session.get(WorkerJob, "test_hourly")
        assert row.runs == 2 and row.lease_until is None
        assert row.due_at == start + timedelta(minutes=121)


def test_a_job_whose_worker_died_runs_again_once_its_lease_has_run_out(app):
    runs = []
    register_job(
        app, "test_every_minute", lambda now: runs.append(now) or {}, every=timedelta(minutes=1)
    )
    start = utcnow()
    with app.app_context():
        from server.services import jobs

        assert jobs.claim("test_every_minute", start, timedelta(minutes=1), timedelta(minutes=5))
        db.session.remove()  # the worker dies here, holding the lease

    run_once(app, now=start + timedelta(minutes=2))
    assert runs == []  # due, but leased
    run_once(app, now=start + timedelta(minutes=6))
    assert runs == [start + timedelta(minutes=6)]


@postgres_only
def test_notify_is_sent_when_the_enqueueing_transaction_commits_and_not_on_rollback(
    app, database_url
):
    conninfo = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as listener:
        listener.execute(f"LISTEN {outbox.NOTIFY_CHANNEL}")
        with app.app_context():
            outbox.enqueue("email", "rolled-back", {"to": "a@example.test", "subject": "x"})
            db.session.rollback()
            assert list(listener.notifies(timeout=0.5)) == []
            outbox.enqueue("email", "committed", {"to": "a@example.test", "subject": "x"})
            assert list(listener.notifies(timeout=0.3)) == []  # not before the commit
            db.session.commit()
        [note] = list(listener.notifies(timeout=5, stop_after=1))
    assert (note.channel, note.payload) == (outbox.NOTIFY_CHANNEL, "email")


@postgres_only
def test_a_notify_lost_with_a_rolled_back_savepoint_is_sent_again_by_the_next_enqueue(
    app, database_url
):
    conninfo = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as listener:
        listener.execute(f"LISTEN {outbox.NOTIFY_CHANNEL}")
        with app.app_context():
            savepoint = db.session.begin_nested()
            outbox.enqueue("email", "refused", {"to": "a@example.test", "subject": "x"})
            savepoint.rollback()
            outbox.enqueue("email", "kept", {"to": "a@example.test", "subject": "y"})
            db.session.commit()
        assert len(list(listener.notifies(timeout=5, stop_after=1))) == 1
    assert [r.dedupe_key for r in rows(app)] == ["kept"]


@postgres_only
def test_a_waiting_worker_delivers_a_committed_row_at_once_not_at_its_next_poll(app):
    memory = app.extensions[transport.MAILER_KEY] = transport.MemoryMailer()
    stop = threading.Event()
    loop = threading.Thread(target=run_forever, args=(app, 600, stop))  # polls every 10 min
    loop.start()
    try:
        time.sleep(1.0)  # the first pass is over; the worker waits on LISTEN now
        enqueue(app, "email", "wake-up", {"to": "a@example.test", "subject": "Now"})
        deadline = time.monotonic() + 10
        while not memory.sent and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        loop.join(20)
    assert not loop.is_alive()
    assert [m["Subject"] for m in memory.sent] == ["Now"]
