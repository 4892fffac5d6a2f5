"""Faults during a push: the server SIGKILLed mid-push (real gunicorn on 127.0.0.1), the
database connection dropped mid-transaction (a real `pg_terminate_backend` on
PostgreSQL, an injected error on SQLite). Each time: nothing half-written, and the
device's retry of the very same push lands exactly once."""

import json
import socket
import sqlite3
import threading
import time
import uuid

import pytest
import requests
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import OperationalError

from server.extensions import db
from server.models import Message, TicketEvent, TimeEntry
from tests.conftest import POSTGRES_URL
from tests.reliability.conftest import row_counts
from tests.sync.test_push import message, time_entry

RECORDS = 5000  # ~0.5 s of work for the server: a wide window to kill it in


def stored(app, model, prefix: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(model).where(model.id.like(f"{prefix}%"))
        )


def logged(app, ticket_id: int, prefix: str) -> list[str]:
    """Ids of the time entries the ticket's `time_logged` events list (one event per
    push), starting with `prefix`."""
    with app.app_context():
        data = db.session.scalars(
            select(TicketEvent.data).where(
                TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "time_logged"
            )
        )
        entries = [e["time_entry_id"] for text in data for e in json.loads(text)["entries"]]
    return [e for e in entries if e.startswith(prefix)]


def push_body(world, prefix: str, count: int = RECORDS) -> str:
    entries = [time_entry(world, id=f"{prefix}{n}", minutes=15) for n in range(count)]
    return json.dumps({"time_entries": {"created": entries}})


def in_transaction(database_url: str, application_name: str):
    """A probe: is the server inside a write transaction right now?"""
    if POSTGRES_URL:
        engine = create_engine(database_url)

        def probe() -> bool:  # a transaction id exists once it has written something
            with engine.connect() as conn:
                return bool(
                    conn.execute(
                        text(
                            "SELECT count(*) FROM pg_stat_activity WHERE application_name = :n "
                            "AND backend_xid IS NOT NULL"
                        ),
                        {"n": application_name},
                    ).scalar()
                )

        return probe, engine.dispose
    path = database_url.removeprefix("sqlite:///")

    def probe() -> bool:  # every server transaction holds SQLite's write lock
        conn = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            conn.close()

    return probe, lambda: None


def test_a_server_killed_mid_push_loses_it_whole_and_the_retry_lands_exactly_once(
    app, database_url, live, world
):
    name = f"fieldline-fault-{uuid.uuid4().hex[:8]}"
    url = database_url
    if POSTGRES_URL:
        url += ("&" if "?" in url else "?") + f"application_name={name}"
    server = live(DATABASE_URL=url)
    headers = {**world.headers("carl@x.test"), "Content-Type": "text/plain"}
    body = push_body(world, "kill-")
    answers = []

    def send():
        try:
            answers.append(
                requests.post(
                    f"{server.base}/api/sync/push", data=body, headers=headers, timeout=60
                ).status_code  # fmt: skip
            )
        except requests.RequestException as lost:
            answers.append(type(lost).__name__)

    probe, close = in_transaction(database_url, name)
    sender = threading.Thread(target=send)
    sender.start()
    deadline = time.monotonic() + 20
    while not probe() and time.monotonic() < deadline and not answers:
        time.sleep(0.005)
    if not POSTGRES_URL:
        time.sleep(0.1)  # SQLite: the lock is taken at the request's first read
    mid_transaction = probe()
    server.kill()
    sender.join(30)
    close()

    assert answers and answers[0] != 200, "the push finished before the kill"
    assert mid_transaction, "the kill did not land inside the push's transaction"
    assert stored(app, TimeEntry, "kill-") == 0  # all or nothing: nothing
    assert logged(app, world.ticket_id, "kill-") == []

    server = live()  # the same database, a new server
    retry = requests.post(f"{server.base}/api/sync/push", data=body, headers=headers, timeout=60)
    assert retry.status_code == 200, retry.text[:300]
    again = requests.post(f"{server.base}/api/sync/push", data=body, headers=headers, timeout=60)
    assert again.status_code == 200 and again.json() == {"conflicts": 0, "details": []}
    assert stored(app, TimeEntry, "kill-") == RECORDS
    assert sorted(logged(app, world.ticket_id, "kill-")) == sorted(
        f"kill-{n}" for n in range(RECORDS)
    )
    staff = world.headers("staff@x.test", None)
    verify = requests.get(
        f"{server.base}/api/tickets/{world.ticket_id}/verify", headers=staff, timeout=30
    ).json()
    assert verify["intact"] is True


@pytest.fixture
def drop_connection_at_commit(app):
    """Arm once: the next commit loses its database connection between the last flush
    and COMMIT (PostgreSQL: the backend is terminated from outside; SQLite: the driver
    raises as if the connection had gone)."""
    armed = []
    with app.app_context():
        url = db.engine.url
    killer = create_engine(url) if url.get_backend_name() == "postgresql" else None

    def before_commit(session):
        if not armed:
            return
        armed.clear()
        if killer is None:
            raise OperationalError(
                "COMMIT", {}, OSError("connection lost"), connection_invalidated=True
            )
        pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with killer.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    event.listen(db.session, "before_commit", before_commit)
    try:
        yield lambda: armed.append(True)
    finally:
        event.remove(db.session, "before_commit", before_commit)
        if killer is not None:
            killer.dispose()


def test_a_connection_dropped_before_commit_writes_nothing_and_the_retry_lands_once(
    app, world, drop_connection_at_commit
):
    headers = world.headers("carl@x.test")
    body = push_body(world, "drop-", 500)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as in production, not re-raise
    before = row_counts(app)
    drop_connection_at_commit()
    response = world.client.post("/api/sync/push", data=body, headers=headers)
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert response.get_json()["code"] == "database_unavailable"
    assert response.headers["Retry-After"]
    assert row_counts(app) == before

    retry = world.client.post("/api/sync/push", data=body, headers=headers)
    assert retry.status_code == 200
    assert stored(app, TimeEntry, "drop-") == 500
    assert (
        len(set(logged(app, world.ticket_id, "drop-")))
        == len(logged(app, world.ticket_id, "drop-"))
        == 500
    )


def test_a_database_that_cannot_be_reached_answers_503_with_retry_after(tmp_path, caplog):
    """The database server down or restarting: no connection can be opened. A client
    is told to retry (503), not that the server is broken (500), and no stack trace
    is logged for each such request."""
    from server import create_app
    from tests.conftest import app_config

    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = f"postgresql+psycopg://fieldline@127.0.0.1:{port}/fieldline?connect_timeout=2"
    app = create_app(app_config(tmp_path / "instance", down))
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().post(
        "/api/auth/token", json={"email": "carl@x.test", "password": "not-checked"}
    )
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "database_unavailable"
    assert response.headers["Retry-After"] == "1"
    assert not [r for r in caplog.records if r.exc_info]


def test_a_failure_after_half_the_records_of_a_push_leaves_none_of_them(app, world, monkeypatch):
    from sync import push

    real, calls = push.messages.post_message, []

    def fail_halfway(*args, **kwargs):
        calls.append(1)
        if len(calls) == 6:
            raise OperationalError(
                "INSERT", {}, OSError("server closed the connection"), connection_invalidated=True
            )
        return real(*args, **kwargs)

    headers = world.headers("carl@x.test")
    records = [message(world, id=f"half-{n}", body=f"Update {n}") for n in range(10)]
    body = json.dumps({"ticket_messages": {"created": records}})
    before = row_counts(app)
    monkeypatch.setattr(push.messages, "post_message", fail_halfway)
    response = world.client.post("/api/sync/push", data=body, headers=headers)
    monkeypatch.undo()
    assert len(calls) == 6  # five were recorded in the transaction before the failure
    assert response.status_code == 503
    assert row_counts(app) == before
    assert stored(app, Message, "half-") == 0

    assert world.client.post("/api/sync/push", data=body, headers=headers).status_code == 200
    assert stored(app, Message, "half-") == 10
