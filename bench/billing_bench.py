"""Billing throughput: invoices drafted and issued per second, a CSV export of 100,000
invoice lines (seconds and peak memory), webhook deliveries per second to a local
receiver. Each figure is the median of several rounds.

The export runs in a fresh child process twice, over 10,000 and over 100,000 lines,
so its peak RSS (resource.getrusage) is its own; memory is flat when both peaks are
about the same. tracemalloc's peak (Python allocations only, from an untimed second
pass) is printed too.

    python bench/billing_bench.py [--database-url URL] [--lines N] [--rounds R]

Targets: >= 50 invoices/s; 100,000 lines exported in <= 10 s with a peak RSS no more
than 20 MB above the 10,000-line run; >= 50 webhook deliveries/s.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select, text, update  # noqa: E402

from billing import exports, service, webhook_endpoints, webhook_events  # noqa: E402
from billing.models import Invoice, InvoiceLine, LabourCategory  # noqa: E402
from server import create_app, worker  # noqa: E402
from server.auth import Caller  # noqa: E402
from server.extensions import db  # noqa: E402
from server.models import Block, Ticket, User  # noqa: E402
from server.services import properties, tickets, work  # noqa: E402
from server.services.people import create_user  # noqa: E402

SECRET = "bench-secret-key-0123456789abcdef0123456789abcdef0123456789abcdef"
ENDPOINT_SECRET = "whsec_" + "YmVuY2gtZW5kcG9pbnQtc2VjcmV0LTAxMjM0NTY3ODk="
TARGET_INVOICES_PER_S = 50
TARGET_EXPORT_S = 10.0
TARGET_RSS_GROWTH_MB = 20
TARGET_DELIVERIES_PER_S = 50


def make_app(url: str, instance: str):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": instance,
            "SECRET_KEY": SECRET,
            "AUTO_MIGRATE": False,
            "PASSWORD_HASH_PROFILE": "fast",
            "ALLOW_LOOPBACK_WEBHOOK_URLS": True,
            "CALLOUT_FEE": "45.00",
        }
    )


def prepare(app) -> tuple[int, int]:
    """Migrate and create (once) a staff member, a rated contractor and a block."""
    from server.cli import upgrade_database

    with app.app_context():
        upgrade_database()
        # Endpoints of an earlier run point at a receiver that is gone.
        db.session.execute(text("UPDATE webhook_endpoints SET enabled = false"))
        db.session.execute(text("UPDATE outbox SET status = 'dead' WHERE status = 'pending'"))
        db.session.commit()
        staff = db.session.scalar(select(User).where(User.email == "bench.staff@bench.test"))
        if staff is None:
            admin = Caller(
                create_user(
                    None, email="bench.admin@bench.test", name="A", role="admin", password="x" * 8
                ),
                None,
            )
            staff = create_user(
                None, email="bench.staff@bench.test", name="S", role="staff", password="x" * 8
            )
            category = LabourCategory(name="Bench plumber", hourly_rate=Decimal("52.50"))
            db.session.add(category)
            db.session.flush()
            create_user(
                None,
                email="bench.contractor@bench.test",
                name="C",
                role="contractor",
                password="x" * 8,
                labour_category=category.id,
            )
            properties.create_block(admin, name="Bench block", address="1 Bench Road")
            db.session.commit()
        contractor = db.session.scalar(
            select(User.id).where(User.email == "bench.contractor@bench.test")
        )
        return staff.id, contractor


def invoices_per_second(app, staff_id: int, contractor_id: int, rounds: int) -> float:
    """Each invoice: a chargeable ticket with 3 time entries and 2 materials, drafted and
    issued in one transaction, committed."""
    rates = []
    with app.app_context():
        staff = Caller(db.session.get(User, staff_id), None)
        contractor = Caller(db.session.get(User, contractor_id), None)
        block_id = db.session.scalar(select(Block.id).where(Block.name == "Bench block"))
        for _ in range(rounds):
            count, started = 50, time.perf_counter()
            for _ in range(count):
                ticket = tickets.report_ticket(
                    staff, summary="Leak", description="Bench", block_id=block_id,
                    type="repair", priority="normal", billing="chargeable",
                )  # fmt: skip
                for minutes in (35, 50, 95):
                    work.log_time(contractor, ticket, id=uuid.uuid4().hex, minutes=minutes)
                for price in ("18.50", "3.35"):
                    work.use_material(
                        contractor, ticket, id=uuid.uuid4().hex, description="Valve",
                        quantity=Decimal("2"), unit="pc", unit_price=Decimal(price),
                    )  # fmt: skip
                invoice = service.create_draft_invoice(ticket, staff)
                service.issue(invoice, ticket, staff)
                db.session.commit()
            rates.append(count / (time.perf_counter() - started))
    return statistics.median(rates)


def seed_lines(app, wanted: int) -> None:
    """Bulk-insert issued invoices of 10 lines each until there are `wanted` lines."""
    with app.app_context():
        have = db.session.scalar(select(func.count()).select_from(InvoiceLine))
        if have >= wanted:
            return
        print(f"seeding {wanted - have} invoice lines ...", flush=True)
        ticket_id = db.session.scalar(select(Ticket.id).limit(1))
        now = datetime.now(UTC)
        batch = 1000
        while have < wanted:
            invoice_ids = (
                db.session.execute(
                    insert(Invoice).returning(Invoice.id),
                    [
                        dict(
                            kind="invoice",
                            ticket_id=ticket_id,
                            status="draft",
                            currency="GBP",
                            net_total=Decimal("100.00"),
                            vat_total=Decimal("20.00"),
                            gross_total=Decimal("120.00"),
                            amount_paid=Decimal(0),
                            bill_to="Bench customer",
                            warnings="[]",
                            created_at=now,
                        )
                        for _ in range(batch // 10)
                    ],  # fmt: skip
                )
                .scalars()
                .all()
            )
            db.session.execute(
                insert(InvoiceLine),
                [
                    dict(
                        invoice_id=i,
                        position=p,
                        kind="labour",
                        description=f"=Labour line {p} of invoice {i}",
                        quantity=Decimal("1.5"),
                        unit_code="HUR",
                        unit_price=Decimal("52.5"),
                        vat_rate=Decimal("20"),
                        net=Decimal("10.00"),
                    )
                    for i in invoice_ids
                    for p in range(1, 11)
                ],  # fmt: skip
            )
            for i in invoice_ids:
                db.session.execute(
                    update(Invoice)
                    .where(Invoice.id == i)
                    .values(
                        status="issued",
                        number=f"BENCH-{i:09d}",
                        issue_date=date.today(),
                        issued_at=now,
                    )  # fmt: skip
                )
            db.session.commit()
            have += len(invoice_ids) * 10


def export_child(url: str, instance: str, limit: int) -> None:
    """Child process: export the first `limit` invoice lines; print seconds and peaks."""
    app = make_app(url, instance)
    with app.app_context():
        last = db.session.scalar(
            select(InvoiceLine.invoice_id).order_by(InvoiceLine.id).offset(limit - 1).limit(1)
        )
        scope = Invoice.id <= last

        def export() -> tuple[int, int]:
            size = rows = 0
            for chunk in exports.csv_chunks("invoice_lines", scope, None, None):
                size += len(chunk)
                rows += chunk.count(b"\r\n")
            return size, rows

        started = time.perf_counter()
        size, rows = export()
        seconds = time.perf_counter() - started
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        tracemalloc.start()  # a second pass: tracing slows it down, so it is not timed
        export()
        _, traced = tracemalloc.get_traced_memory()
    print(json.dumps({"seconds": seconds, "rows": rows - 1, "bytes": size, "rss_kb": rss,
                      "traced": traced}))  # fmt: skip


def export_run(url: str, instance: str, limit: int) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--database-url", url, "--instance", instance,
         "--export-child", str(limit)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return json.loads(output.strip().splitlines()[-1])


class Receiver(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def deliveries_per_second(app, rounds: int, count: int = 200) -> float:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    rates = []
    try:
        with app.app_context():
            webhook_endpoints.create_endpoint(None, url=url, secret=ENDPOINT_SECRET)
            db.session.commit()
        for _ in range(rounds):
            with app.app_context():
                for n in range(count):
                    webhook_events.emit("ticket.closed", {"ticket_id": n, "ticket_ref": f"T-{n}"})
                db.session.commit()
            started = time.perf_counter()
            stats = worker.run_once(app, now=datetime.now(UTC) + timedelta(seconds=1))
            rates.append(stats.sent / (time.perf_counter() - started))
    finally:
        server.shutdown()
        server.server_close()
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--instance")
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--export-child", type=int)
    args = parser.parse_args()
    instance = args.instance or tempfile.mkdtemp(prefix="billing-bench-")
    url = args.database_url or f"sqlite:///{os.path.join(instance, 'bench.sqlite3')}"
    if args.export_child:
        export_child(url, instance, args.export_child)
        return
    app = make_app(url, instance)
    staff_id, contractor_id = prepare(app)
    print(f"database: {url.split('@')[-1]}")

    rate = invoices_per_second(app, staff_id, contractor_id, args.rounds)
    print(f"invoices drafted+issued: {rate:8.1f} /s   (target >= {TARGET_INVOICES_PER_S})")

    seed_lines(app, args.lines)
    small = statistics.median(
        [export_run(url, instance, args.lines // 10)["rss_kb"] for _ in range(args.rounds)]
    )
    runs = [export_run(url, instance, args.lines) for _ in range(args.rounds)]
    seconds = statistics.median(r["seconds"] for r in runs)
    rss = statistics.median(r["rss_kb"] for r in runs)
    traced = statistics.median(r["traced"] for r in runs)
    print(
        f"CSV export of {runs[0]['rows']} invoice lines: {seconds:6.2f} s, "
        f"{runs[0]['bytes'] / 1e6:.1f} MB   (target <= {TARGET_EXPORT_S} s)"
    )
    print(
        f"  peak RSS {rss / 1024:.1f} MB vs {small / 1024:.1f} MB for a tenth of the lines "
        f"(growth {(rss - small) / 1024:.1f} MB, target <= {TARGET_RSS_GROWTH_MB}); "
        f"tracemalloc peak {traced / 1e6:.2f} MB"
    )

    rate = deliveries_per_second(app, args.rounds)
    print(f"webhook deliveries:      {rate:8.1f} /s   (target >= {TARGET_DELIVERIES_PER_S})")


if __name__ == "__main__":
    main()
