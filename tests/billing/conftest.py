"""A small agency that bills: rates, a chargeable ticket with a contractor who logs work,
an ERP receiver on 127.0.0.1 that fails when told to, and signed ERP requests."""

import base64
import http.server
import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from standardwebhooks import Webhook

from server import create_app, worker
from server.db import utcnow
from server.extensions import db
from server.models import Ticket
from server.services import work
from tests.conftest import app_config
from tests.factories import as_caller

ERP_SECRET = "whsec_" + base64.b64encode(b"erp-inbound-secret-0123456789ab").decode()
ENDPOINT_SECRET = "whsec_" + base64.b64encode(b"endpoint-secret-0123456789abcdef").decode()
BILLING_CONFIG = {
    "ERP_INBOUND_SECRET": ERP_SECRET,
    "ALLOW_LOOPBACK_WEBHOOK_URLS": True,
    "AGENCY_VAT_ID": "GB123456789",
    "AGENCY_POSTCODE": "SW1A 1AA",
    "AGENCY_CITY": "London",
    "CALLOUT_FEE": "45.00",
    "PUBLIC_BASE_URL": "https://fieldline.example",
}


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app({**app_config(tmp_path / "instance", database_url), **BILLING_CONFIG})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@dataclass
class Shop:
    app: object
    client: object
    make: object
    admin: object
    staff: object
    outsider_staff: object
    tenant: object
    contractor: object
    block: object
    unit: object
    counter: list = field(default_factory=lambda: [0])

    def headers(self, user) -> dict:
        return self.make.headers(user)

    def ticket(self, billing: str = "chargeable", contractor=None) -> int:
        ticket = self.make.ticket(
            self.staff,
            self.block,
            self.unit,
            type="repair",
            priority="normal",
            billing=billing,
            reporter_id=self.tenant.id,
        )
        self.make.assign(ticket, contractor or self.contractor, self.staff)
        return ticket.id

    def _next(self, prefix: str) -> str:
        self.counter[0] += 1
        return f"{prefix}-{self.counter[0]}-{uuid.uuid4().hex[:6]}"

    def log_time(self, ticket_id, minutes, contractor=None, chargeable=True) -> str:
        start = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
        with self.app.app_context():
            entry = work.log_time(
                as_caller(contractor or self.contractor),
                db.session.get(Ticket, ticket_id),
                id=self._next("te"),
                minutes=minutes,
                started_at=start,
                ended_at=start + timedelta(minutes=abs(minutes)),
                chargeable=chargeable,
                created_at=start + timedelta(minutes=abs(minutes)),
            )
            db.session.commit()
            return entry.id

    def use_material(self, ticket_id, description, quantity, price, unit="pc") -> str:
        with self.app.app_context():
            material = work.use_material(
                as_caller(self.contractor),
                db.session.get(Ticket, ticket_id),
                id=self._next("mat"),
                description=description,
                quantity=Decimal(quantity),
                unit=unit,
                unit_price=None if price is None else Decimal(price),
                created_at=datetime(2026, 3, 12, 10, 0, tzinfo=UTC),
            )
            db.session.commit()
            return material.id

    def draft(self, ticket_id) -> dict:
        response = self.client.post(
            "/api/invoices", json={"ticket_id": ticket_id}, headers=self.headers(self.staff)
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def issue(self, invoice_id) -> dict:
        response = self.client.post(
            f"/api/invoices/{invoice_id}/issue", headers=self.headers(self.staff)
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def issued_invoice(self, minutes=60) -> dict:
        ticket_id = self.ticket()
        self.log_time(ticket_id, minutes)
        return self.issue(self.draft(ticket_id)["id"])

    def invoice(self, invoice_id) -> dict:
        response = self.client.get(f"/api/invoices/{invoice_id}", headers=self.headers(self.staff))
        assert response.status_code == 200
        return response.get_json()

    def ticket_json(self, ticket_id) -> dict:
        response = self.client.get(f"/api/tickets/{ticket_id}", headers=self.headers(self.staff))
        return response.get_json()

    def set_status(self, ticket_id, status, user=None):
        return self.client.post(
            f"/api/tickets/{ticket_id}/status",
            json={"status": status},
            headers=self.headers(user or self.contractor),
        )

    def endpoint(self, url, **fields) -> dict:
        response = self.client.post(
            "/api/erp/endpoints",
            json={"url": url, "secret": ENDPOINT_SECRET, **fields},
            headers=self.headers(self.admin),
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def pay(self, number, amount, currency="GBP", *, msg_id=None, secret=ERP_SECRET, at=None,
            body=None):  # fmt: skip
        """POST a payment report signed like an ERP does, with the official library."""
        payload = body or json.dumps(
            {
                "invoice_number": number,
                "amount": amount,
                "currency": currency,
                "paid_at": "2026-04-01T10:00:00+00:00",
                "reference": "BANK-REF-1",
            }
        )
        msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
        when = at or datetime.now(UTC)
        signature = Webhook(secret).sign(msg_id, when, payload)
        return self.client.post(
            "/api/erp/payments",
            data=payload,
            content_type="application/json",
            headers={
                "webhook-id": msg_id,
                "webhook-timestamp": str(int(when.timestamp())),
                "webhook-signature": signature,
            },
        )

    def run_worker(self, days_ahead: float = 0):
        """One worker pass, as if `days_ahead` days had passed (so retries are due)."""
        return worker.run_once(self.app, now=utcnow() + timedelta(days=days_ahead))


@pytest.fixture
def shop(app, client, make) -> Shop:
    department = make.department()
    staff = make.user("staff", name="Maria Manager", department_ids=[department.id])
    outsider = make.user("staff", name="Other Manager", department_ids=[make.department().id])
    admin = make.user("admin", name="Ada Admin")
    block = make.block(manager=staff, department=department, address="14 Quay Street, Bristol")
    unit = make.unit(block, "Flat 12")
    tenant = make.tenant_in(unit, name="Zoë Łukasiewicz")
    contractor = make.user("contractor", name="Şükrü Ñúñez", company="Pipes Ltd")
    shop = Shop(app, client, make, admin, staff, outsider, tenant, contractor, block, unit)
    category = client.post(
        "/api/billing/labour-categories",
        json={"name": "Plumber", "hourly_rate": "52.50"},
        headers=make.headers(admin),
    ).get_json()
    response = client.put(
        f"/api/billing/contractors/{contractor.id}/labour-category",
        json={"labour_category": category["id"]},
        headers=make.headers(admin),
    )
    assert response.status_code == 200
    return shop


class Receiver:
    """An ERP stand-in on 127.0.0.1: answers `script` statuses in turn, then 200."""

    def __init__(self):
        self.requests: list[dict] = []
        self.script: list[tuple[int, dict]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.requests.append({"headers": dict(self.headers), "body": body})
                    status, extra = receiver.script.pop(0) if receiver.script else (200, {})
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/fieldline"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def fail_next(self, *statuses: int, headers: dict | None = None) -> None:
        self.script.extend((status, headers or {}) for status in statuses)

    def verified(self) -> list[dict]:
        """Every request, verified with the official standardwebhooks library."""
        checker = Webhook(ENDPOINT_SECRET)
        return [
            {"id": r["headers"]["webhook-id"], "event": checker.verify(r["body"], r["headers"])}
            for r in self.requests
        ]


@pytest.fixture
def receiver():
    server = Receiver()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()
