"""Test support for mail and the worker: a real SMTP server (aiosmtpd) on 127.0.0.1,
a small agency to notify, outbox rows in bulk, and a worker for another process."""

import asyncio
import contextlib
import email
import socket
import threading
from email import policy
from email.message import EmailMessage
from types import SimpleNamespace

from aiosmtpd.controller import Controller

from server.extensions import db
from server.services import outbox


def free_port() -> int:
    """A port nothing listens on (the OS picked it free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """aiosmtpd handler that keeps every accepted envelope; `refuse` bounces addresses."""

    def __init__(self, delay: float = 0.0):
        self.envelopes = []
        self.refuse: set[str] = set()
        self.delay = delay
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            envelopes = list(self.envelopes)
        return [email.message_from_bytes(e.content, policy=policy.default) for e in envelopes]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"].addresses[0].addr_spec == address]


@contextlib.contextmanager
def smtp_server(port: int | None = None, delay: float = 0.0):
    """A real SMTP server collecting what it receives; yields (inbox, smtp_url)."""
    inbox = Inbox(delay)
    port = port or free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SimpleNamespace(inbox=inbox, url=f"smtp://127.0.0.1:{port}", port=port)
    finally:
        controller.stop()


def agency(make) -> SimpleNamespace:
    """A block managed by one staff member, with a tenant in a flat and a contractor."""
    department = make.department()
    manager = make.user("staff", departments=[department], name="Maria Manager")
    admin = make.user("admin")
    block = make.block(manager=manager, department=department)
    unit = make.unit(block)
    tenant = make.tenant_in(unit, name="Zoë Łukasiewicz")
    contractor = make.user("contractor", name="Carl Plumber")
    return SimpleNamespace(
        department=department,
        manager=manager,
        admin=admin,
        block=block,
        unit=unit,
        tenant=tenant,
        contractor=contractor,
    )


def add_outbox_rows(app, count: int, channel: str = "email") -> list[str]:
    """Pending email rows, enqueued as notify() does; returns their dedupe keys."""
    keys = [f"test:{channel}:{n}" for n in range(count)]
    with app.app_context():
        for n, key in enumerate(keys):
            payload = {
                "to": f"person{n}@example.test",
                "to_name": f"Person {n}",
                "subject": f"[T-{n:06d}] Test message {n}",
                "body": f"Body {n}",
                "ticket_id": None,
                "ticket_ref": f"T-{n:06d}",
            }
            outbox.enqueue(channel, key, payload)
        db.session.commit()
    return keys


def worker_process(config: dict, ready, go, results, max_messages=None) -> None:
    """Entry point of a spawned worker process: its own app, its own connections."""
    from server import create_app
    from server.worker import run_once

    app = create_app(config)
    ready.set()
    go.wait(30)
    stats = run_once(app, max_messages=max_messages)
    with app.app_context():
        db.engine.dispose()
    results.put(stats.sent)
