"""The whole chain with no manual step, through real interfaces: WatermelonDB's own
synchronize() pushes hours, a material, the signature and the signed note to a live
server -> the note drafts the invoice (issued at once: AUTO_ISSUE_INVOICES) and
resolves the ticket -> the worker sends `invoice.issued` to an ERP on 127.0.0.1 ->
that ERP pays, signed, over HTTP -> the ticket closes, the ERP hears `invoice.paid`
and `ticket.closed`, and the device pulls the closed ticket."""

import base64
import hashlib
import http.server
import json
import threading
import time
import uuid
from datetime import UTC, datetime

import requests
from standardwebhooks import Webhook

from server import worker
from server.services import tickets
from tests.billing.conftest import ENDPOINT_SECRET, ERP_SECRET
from tests.e2e.test_watermelon_sync import records, token
from tests.e2e.watermelon_client import WatermelonDevice
from tests.reliability.live import LiveServer, environment
from tests.unit.delivery_notes.note_factories import make_png


class PayingErp:
    """An ERP stand-in: verifies each event, and pays every invoice it is told about
    (after answering, from its own thread) with a signed report to the server."""

    def __init__(self, server_base: str):
        self.events: list[dict] = []
        self.payments: list[int] = []
        erp = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                event = Webhook(ENDPOINT_SECRET).verify(body, dict(self.headers))
                erp.events.append(event)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if event["type"] == "invoice.issued":
                    threading.Thread(target=erp.pay, args=(event["data"],)).start()

            def log_message(self, *args):
                pass

        self.base = server_base
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/erp"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def pay(self, invoice: dict) -> None:
        body = json.dumps({"invoice_number": invoice["number"], "amount": invoice["gross_total"],
                           "currency": invoice["currency"], "reference": "BANK-77",
                           "paid_at": datetime.now(UTC).isoformat()})  # fmt: skip
        msg_id = f"msg_{uuid.uuid4().hex}"
        now = datetime.now(UTC)
        response = requests.post(
            f"{self.base}/api/erp/payments",
            data=body,
            headers={
                "Content-Type": "application/json",
                "webhook-id": msg_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": Webhook(ERP_SECRET).sign(msg_id, now, body),
            },
            timeout=10,
        )
        self.payments.append(response.status_code)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_for(condition, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_device_push_and_an_erp_payment_close_a_chargeable_ticket(
    world, app, database_url, tmp_path, node_client
):
    world.as_staff(
        tickets.triage, world.ticket_id, type="repair", priority="normal", billing="chargeable"
    )
    settings = {
        "ERP_INBOUND_SECRET": ERP_SECRET,
        "ALLOW_LOOPBACK_WEBHOOK_URLS": "1",
        "AUTO_ISSUE_INVOICES": "1",
        "CALLOUT_FEE": "45.00",
        "AGENCY_VAT_ID": "GB123456789",  # issuing an invoice that charges VAT needs it
    }
    server = LiveServer(environment(app, database_url, **settings), tmp_path / "server.log")
    base = server.start().base
    app.config.update(ALLOW_LOOPBACK_WEBHOOK_URLS=True)  # the worker below runs in here
    erp = PayingErp(base)
    try:
        admin = {"Authorization": f"Bearer {token(base, 'admin@x.test', None)}"}
        staff = {"Authorization": f"Bearer {token(base, 'staff@x.test', None)}"}
        category = requests.post(
            f"{base}/api/billing/labour-categories",
            json={"name": "Plumber", "hourly_rate": "52.50"},
            headers=admin,
            timeout=10,
        )
        requests.put(
            f"{base}/api/billing/contractors/{world.contractor_id}/labour-category",
            json={"labour_category": category.json()["id"]},
            headers=admin,
            timeout=10,
        ).raise_for_status()
        requests.post(
            f"{base}/api/erp/endpoints",
            json={"url": erp.url, "secret": ENDPOINT_SECRET},
            headers=admin,
            timeout=10,
        ).raise_for_status()

        ticket_id = str(world.ticket_id)
        carl = token(base, "carl@x.test", "carl-phone")
        png = make_png(120, 60)
        with WatermelonDevice(base, carl, node_client, name="carl") as device:
            device.sync()
            device.create("time_entries", ticket_id=ticket_id, minutes=60, chargeable=True,
                          started_at=1795400000000, ended_at=1795403600000)  # fmt: skip
            device.create("materials", ticket_id=ticket_id, description="Washer", quantity="2",
                          unit="each", unit_price="18.50", chargeable=True)  # fmt: skip
            signature = device.create(
                "attachments", ticket_id=ticket_id, filename="signature.png",
                content_type="image/png", sha256=hashlib.sha256(png).hexdigest(),
                size=len(png), uploaded=False)  # fmt: skip
            device.create("delivery_notes", ticket_id=ticket_id, signed_by="Zoë Łukasiewicz",
                          signed_at=1795404600000, signature_attachment_id=signature,
                          work_summary="Replaced the tap washer")  # fmt: skip
            device.sync()
            digest = base64.b64encode(hashlib.sha256(png).digest()).decode()
            requests.put(
                f"{base}/api/sync/attachments/{signature}",
                data=png,
                headers={
                    "Authorization": f"Bearer {carl}",
                    "Content-Type": "image/png",
                    "Content-Digest": f"sha-256=:{digest}:",
                },  # fmt: skip
                timeout=10,
            ).raise_for_status()

            def ticket() -> dict:
                return requests.get(f"{base}/api/tickets/{ticket_id}", headers=staff,
                                    timeout=10).json()  # fmt: skip

            assert ticket()["status"] == "resolved"  # the signature resolved it
            [invoice] = requests.get(f"{base}/api/invoices?ticket_id={ticket_id}",
                                     headers=staff, timeout=10).json()  # fmt: skip
            # 1 h x 52.50 + 2 x 18.50 + 45.00 call-out = 134.50 net, 26.90 VAT
            assert (invoice["status"], invoice["gross_total"]) == ("issued", "161.40")

            worker.run_once(app)  # invoice.issued -> the ERP, which pays
            assert wait_for(lambda: erp.payments == [200]), erp.payments
            assert ticket()["status"] == "closed"
            worker.run_once(app)  # invoice.paid and ticket.closed -> the ERP
            assert wait_for(lambda: len(erp.events) == 3)
            assert [e["type"] for e in erp.events] == [
                "invoice.issued",
                "invoice.paid",
                "ticket.closed",
            ]
            assert erp.events[2]["data"]["ticket_id"] == world.ticket_id

            device.sync()
            # Closing ends the assignments: the finished job leaves the device.
            assert ticket_id not in records(device, "tickets")
            reasons = [e["data"].get("reason") for e in ticket()["events"]
                       if e["kind"] == "status_changed"]  # fmt: skip
            assert reasons[-2].startswith("Signed delivery note DN-")
            assert (
                reasons[-1] == f"Invoice {invoice['number']} paid in full; the work was resolved."
            )
    finally:
        erp.close()
        server.stop()
        print(server.log()[-5000:])
