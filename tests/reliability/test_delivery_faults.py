"""Faults on the way out: an ERP receiver on 127.0.0.1 that hangs, answers 500 or resets
the connection; a real `fieldline worker` process SIGKILLed in the middle of a batch.
Nothing is lost, every retry carries the same id, and a second worker finishes the
batch without sending again what the first one recorded as sent."""

import http.server
import socket
import struct
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from server.extensions import db
from server.mail import compose
from server.models import OutboxMessage
from tests.api.mailbox import add_outbox_rows, smtp_server
from tests.billing import conftest as billing
from tests.reliability.live import Process, environment

# The billing suite's app (ERP settings, loopback endpoints allowed) and agency.
app, shop = billing.app, billing.shop
HANG_SECONDS = 3  # longer than the 1 s webhook timeout below


class FlakyReceiver:
    """An ERP stand-in that misbehaves as scripted ("hang", "500", "reset"), then 200."""

    def __init__(self, script: list[str]):
        self.script = list(script)
        self.seen: list[tuple[str, str]] = []  # (webhook-id, what it did)
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                Webhook(billing.ENDPOINT_SECRET).verify(
                    body, dict(self.headers)
                )  # genuinely signed
                with receiver.lock:
                    mode = receiver.script.pop(0) if receiver.script else "200"
                    receiver.seen.append((self.headers["webhook-id"], mode))
                if mode == "reset":  # RST instead of an answer
                    linger = struct.pack("ii", 1, 0)
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                    self.connection.close()
                    self.close_connection = True
                    return
                if mode == "hang":
                    time.sleep(HANG_SECONDS)
                status = 500 if mode == "500" else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/erp/hooks"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def flaky():
    receivers = []

    def start(script):
        receivers.append(FlakyReceiver(script))
        return receivers[-1]

    yield start
    for receiver in receivers:
        receiver.close()


def test_a_receiver_that_hangs_fails_or_resets_gets_every_event_again_under_its_id(shop, flaky):
    shop.app.config["WEBHOOK_TIMEOUT_SECONDS"] = 1
    receiver = flaky(["hang", "500", "reset"])
    shop.endpoint(receiver.url)
    numbers = {shop.issued_invoice(minutes=30)["number"] for _ in range(3)}

    first = shop.run_worker()
    assert first.retrying == 3  # (the notification mails went out)
    for day in (1, 2):
        shop.run_worker(days_ahead=day)

    attempts: dict[str, list[str]] = {}
    for webhook_id, mode in receiver.seen:
        attempts.setdefault(webhook_id, []).append(mode)
    assert len(attempts) == 3  # one id per event, kept on every retry
    assert sorted(modes[0] for modes in attempts.values()) == ["500", "hang", "reset"]
    assert all(modes[1:] == ["200"] for modes in attempts.values())
    listed = shop.client.get("/api/erp/deliveries", headers=shop.headers(shop.staff)).get_json()
    assert {d["status"] for d in listed} == {"delivered"}
    assert sorted(d["attempts"] for d in listed) == [2, 2, 2]
    assert {d["payload"]["data"]["number"] for d in listed} == numbers


def outbox_rows(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        return rows


def test_a_worker_killed_mid_batch_is_finished_by_another_without_resending_what_was_sent(
    app, database_url, tmp_path
):
    keys = add_outbox_rows(app, 12)
    with smtp_server(delay=0.15) as smtp:  # each message takes the SMTP server 150 ms
        env = environment(
            app,
            database_url,
            SMTP_URL=smtp.url,
            OUTBOX_BATCH_SIZE=12,
            OUTBOX_LEASE_SECONDS=4,
            SMTP_TIMEOUT_SECONDS=1,
        )
        doomed = Process(["worker", "--poll", "0.2"], env, tmp_path / "worker-1.log").start()
        deadline = time.monotonic() + 30
        while len(smtp.inbox.messages) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        doomed.kill()
        recorded = {row.dedupe_key for row in outbox_rows(app) if row.status == "sent"}
        assert 3 <= len(recorded) < 12, doomed.log()
        time.sleep(4.5)  # the dead worker's lease runs out
        finisher = Process(["worker", "--once"], env, tmp_path / "worker-2.log").start()
        finisher.process.wait(60)
        assert finisher.process.returncode == 0, finisher.log()
        received = Counter(m["Message-ID"] for m in smtp.inbox.messages)

    expected = {key: compose.message_id(key, "localhost") for key in keys}
    assert set(received) == set(expected.values())  # nothing lost
    assert all(received[expected[key]] == 1 for key in recorded)  # recorded: never again
    # Only the one message in flight at the kill may have reached SMTP twice, and then
    # with the same Message-ID, so the receiving side drops the copy.
    assert sum(received.values()) - len(received) <= 1
    assert {row.status for row in outbox_rows(app)} == {"sent"}
