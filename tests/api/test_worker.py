"""The worker: retries with backoff, dead letters, leases, channels, the CLI, and
exactly-once delivery with several workers (real processes on PostgreSQL)."""

import multiprocessing
import random
import threading
import time
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from server.db import utcnow
from server.extensions import db
from server.mail import channel, compose, transport
from server.models import OutboxMessage
from server.services import outbox
from server.services.outbox import RetryLater, RetryPolicy
from server.worker import register_channel, run_forever, run_once
from tests.api.mailbox import add_outbox_rows, agency, free_port, smtp_server, worker_process
from tests.conftest import POSTGRES_URL, app_config


def rows(app) -> list[OutboxMessage]:
    with app.app_context():
        found = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        return found


def message_ids(inbox) -> Counter:
    return Counter(m["Message-ID"] for m in inbox.messages)


def test_mail_waits_while_smtp_is_down_and_is_delivered_once_when_it_is_back(app, client, make):
    port = free_port()
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"  # nothing listens here yet
    people = agency(make)
    ticket = make.ticket(people.tenant, people.block, people.unit)
    make.triage(ticket, people.manager)
    response = client.post(
        f"/api/tickets/{ticket.id}/messages",
        json={"body": "We will come and look."},
        headers=make.headers(people.manager),
    )
    assert response.status_code == 201

    stats = run_once(app)

    # The manager's and the tenant's mail about the report (a confirmation), the reply.
    assert (stats.sent, stats.retrying) == (0, 3)
    for row in rows(app):
        assert row.status == "pending" and row.attempts == 1
        assert "Connection refused" in row.last_error or "ConnectionRefused" in row.last_error
        assert row.next_attempt_at > utcnow() + timedelta(seconds=50)
        assert row.locked_until is None
    with smtp_server(port=port) as server:
        assert run_once(app).sent == 0  # up again, but the retry is not due yet
        later = utcnow() + timedelta(minutes=2)
        assert run_once(app, now=later).sent == 3
        assert run_once(app, now=later + timedelta(hours=1)).sent == 0
        received = message_ids(server.inbox)
    assert len(received) == 3 and set(received.values()) == {1}
    assert {(r.status, r.attempts, r.last_error) for r in rows(app)} == {("sent", 2, None)}
    assert [m["To"].addresses[0].addr_spec for m in server.inbox.messages].count(
        people.tenant.email
    ) == 2


def test_a_retry_sends_the_same_message_id_as_the_first_attempt(app):
    add_outbox_rows(app, 1)
    memory = app.extensions[transport.MAILER_KEY] = transport.MemoryMailer()
    memory.fail_next = 1
    run_once(app)
    run_once(app, now=utcnow() + timedelta(minutes=2))
    [delivered] = memory.sent
    assert delivered["Message-ID"] == compose.message_id("test:email:0", "localhost")


def test_a_message_is_dead_lettered_after_the_last_attempt(app):
    app.config.update(OUTBOX_MAX_ATTEMPTS=3, SMTP_URL=f"smtp://127.0.0.1:{free_port()}")
    add_outbox_rows(app, 1)
    now = utcnow()
    outcomes = []
    for hours in (0, 1, 2, 3):
        stats = run_once(app, now=now + timedelta(hours=hours))
        outcomes.append((stats.retrying, stats.dead))
    assert outcomes == [(1, 0), (1, 0), (0, 1), (0, 0)]
    [row] = rows(app)
    assert (row.status, row.attempts) == ("dead", 3)
    assert row.last_error


def test_a_refused_recipient_is_dead_lettered_at_once(app, smtp):
    add_outbox_rows(app, 2)
    smtp.inbox.refuse.add("person0@example.test")
    stats = run_once(app)
    assert (stats.sent, stats.dead, stats.retrying) == (1, 1, 0)
    refused, delivered = rows(app)
    assert (refused.status, refused.attempts) == ("dead", 1)
    assert "550" in refused.last_error
    assert delivered.status == "sent"


def test_retries_back_off_from_a_minute_to_six_hours_with_jitter():
    policy = RetryPolicy()
    rng = random.Random(7)
    for attempt, base in enumerate((60, 300, 1800, 7200, 21600, 21600), start=1):
        delays = {policy.delay_after(attempt, rng).total_seconds() for _ in range(50)}
        assert all(base * 0.9 <= d <= base * 1.1 for d in delays)
        assert len(delays) > 1  # jittered, not all in the same second
    assert policy.max_attempts == 6


def test_a_worker_that_dies_mid_batch_leaves_the_rest_to_another_after_the_lease(app, smtp):
    keys = add_outbox_rows(app, 10)
    with app.app_context():  # the doomed worker: claims ten, delivers four, dies
        claimed = outbox.claim_due(
            utcnow(), limit=10, lease=timedelta(minutes=5), channels=["email"]
        )
        for item in claimed[:4]:
            channel.deliver_email(item)
            assert outbox.mark_sent(item, utcnow())
        transport.close_current_mailer()
        db.session.remove()

    assert run_once(app).sent == 0  # the lease still holds
    assert run_once(app, now=utcnow() + timedelta(minutes=6)).sent == 6

    expected = {compose.message_id(key, "localhost") for key in keys}
    received = message_ids(smtp.inbox)
    assert set(received) == expected and set(received.values()) == {1}
    assert sorted(r.attempts for r in rows(app)) == [1] * 4 + [2] * 6


def test_a_worker_that_outlived_its_lease_does_not_overwrite_the_next_workers_result(app):
    add_outbox_rows(app, 1)
    with app.app_context():
        [slow] = outbox.claim_due(utcnow(), limit=1, lease=timedelta(seconds=1), channels=["email"])
        db.session.remove()
    app.extensions[transport.MAILER_KEY] = transport.MemoryMailer()
    assert run_once(app, now=utcnow() + timedelta(seconds=5)).sent == 1
    with app.app_context():
        status, ours = outbox.mark_failed(slow, OSError("late"), utcnow(), RetryPolicy())
    assert ours is False
    [row] = rows(app)
    assert (row.status, row.last_error) == ("sent", None)


def test_a_feature_package_delivers_its_own_channel(app):
    delivered = []

    def hook(item):
        if item.payload["n"] == 1:
            raise RetryLater("receiver asked us to wait", delay=timedelta(hours=3))
        delivered.append(item.payload["n"])

    register_channel(app, "test_hook", hook)
    with app.app_context():
        for n, channel in enumerate(["test_hook", "test_hook", "nobody_handles_this"]):
            outbox.enqueue(channel, f"k{n}", {"n": n})
        db.session.commit()

    stats = run_once(app)

    assert delivered == [0] and (stats.sent, stats.retrying) == (1, 1)
    sent, waiting, unknown = rows(app)
    assert sent.status == "sent"
    assert waiting.next_attempt_at > utcnow() + timedelta(hours=2, minutes=59)
    assert "receiver asked us to wait" in waiting.last_error
    assert (unknown.status, unknown.attempts) == ("pending", 0)


def test_worker_once_command_delivers_what_is_due_and_prints_a_summary(app, runner, smtp):
    add_outbox_rows(app, 3)
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("worker: 3 sent, 0 to retry, 0 dead; sla:")
    assert len(result.output.strip().splitlines()) == 1
    assert len(smtp.inbox.messages) == 3
    again = runner.invoke(args=["worker", "--once"])
    assert again.exit_code == 0 and again.output.startswith("worker: 0 sent")


def test_worker_command_refuses_a_malformed_smtp_url_without_showing_the_password(app, runner):
    app.config["SMTP_URL"] = "http://mailer:hunter2-secret@example.test"
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code != 0
    assert "SMTP_URL must be" in result.output and "hunter2-secret" not in result.output


def test_the_worker_loop_keeps_delivering_until_it_is_stopped(app):
    memory = app.extensions[transport.MAILER_KEY] = transport.MemoryMailer()
    stop = threading.Event()
    loop = threading.Thread(target=run_forever, args=(app, 0.05, stop))
    loop.start()
    try:
        add_outbox_rows(app, 2)
        deadline = time.monotonic() + 20
        while len(memory.sent) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        loop.join(20)
    assert not loop.is_alive()
    assert len(memory.sent) == 2
    assert {r.status for r in rows(app)} == {"sent"}


def test_each_message_is_delivered_exactly_once_by_several_workers(app, database_url, tmp_path):
    """PostgreSQL: three worker processes at once. SQLite: the same workers one after
    another (its writers queue on one lock; the claims are what is checked here)."""
    total, workers = 200, 3
    keys = add_outbox_rows(app, total)
    context = multiprocessing.get_context("spawn")
    with smtp_server() as server:
        config = app_config(tmp_path / "worker-instance", database_url)
        config.update(SMTP_URL=server.url, OUTBOX_BATCH_SIZE=2)
        results, go = context.Queue(), context.Event()
        concurrent = bool(POSTGRES_URL)
        budget = None if concurrent else -(-total // workers)
        processes, readies = [], []
        for _ in range(workers):
            ready = context.Event()
            process = context.Process(
                target=worker_process, args=(config, ready, go, results, budget)
            )
            process.start()
            processes.append(process)
            readies.append(ready)
            if not concurrent:
                go.set()
                process.join(120)
        for ready in readies:
            assert ready.wait(60)
        go.set()
        for process in processes:
            process.join(120)
            assert process.exitcode == 0
        sent = sorted(results.get(timeout=5) for _ in range(workers))
        received = message_ids(server.inbox)

    assert sum(sent) == total
    assert sum(1 for n in sent if n) >= 2  # the work really was shared
    assert set(received) == {compose.message_id(key, "localhost") for key in keys}
    assert set(received.values()) == {1}
    assert {(r.status, r.attempts) for r in rows(app)} == {("sent", 1)}
