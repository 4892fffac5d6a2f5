"""Reports benchmark: every report for a year over all tickets, as an admin (no scope
filter), against a single aggregate SQL query over the same rows in the same run.

    python -m bench.reports_bench --database-url sqlite:////path/bench-100000.sqlite3

Seeds the database first if it has fewer tickets than --tickets (bench.sync_bench.prepare).
Prints medians of --repeat runs and each report's ratio to the floor query.
"""

import argparse
import os
import statistics
import tempfile
import time
from datetime import timedelta

from sqlalchemy import func, select

from bench.sync_bench import make_app, prepare
from server.auth import Caller
from server.extensions import db
from server.models import Ticket, TicketEvent, User
from server.services import reports
from server.services.reports import csv_out
from server.services.reports.filters import Filters

CASES = (
    ("volume", {"group": "month"}),
    ("volume", {"group": "week", "by": "priority"}),
    ("volume", {"group": "day"}),
    ("sla", {}),
    ("ageing", {}),
)


def timed(app, fn, repeat: int) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(repeat):
        with app.app_context():
            started = time.perf_counter()
            result = fn()
            samples.append((time.perf_counter() - started) * 1000)
            db.session.remove()
    return statistics.median(samples), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--contractors", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    instance = os.path.join(tempfile.gettempdir(), "fieldline-bench")
    os.makedirs(instance, exist_ok=True)
    url = args.database_url or f"sqlite:///{instance}/bench-{args.tickets}.sqlite3"
    app = make_app(url, instance)
    with app.app_context():
        try:
            have = db.session.scalar(select(func.count()).select_from(Ticket))
        except Exception:  # noqa: BLE001  (no schema yet)
            have = 0
        db.session.remove()
    if have < args.tickets:  # a seeded database is reused as it is (read only)
        prepare(app, args.tickets, args.contractors)
    with app.app_context():
        admin_id = db.session.scalar(select(User.id).where(User.role == "admin").limit(1))
        latest = db.session.scalar(select(func.max(Ticket.created_at)))
        filters = Filters.from_query({})
        end = latest.astimezone(filters.zone).date()
        start = end - timedelta(days=364)
        window = Filters(start=start, end=end)
        tickets = db.session.scalar(
            select(func.count()).where(
                Ticket.created_at >= window.start_at, Ticket.created_at < window.end_at
            )
        )
        events = db.session.scalar(select(func.count()).where(TicketEvent.kind == "status_changed"))
        total = db.session.scalar(select(func.count()).select_from(Ticket))

    def floor():
        # One aggregate over the same rows: the year's tickets by status.
        return db.session.execute(
            select(Ticket.status, func.count())
            .where(Ticket.created_at >= window.start_at, Ticket.created_at < window.end_at)
            .group_by(Ticket.status)
        ).all()

    kind = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(
        f"\nreports benchmark on {kind}: {total} tickets, {tickets} reported in the year "
        f"{start}..{end}, {events} status changes; admin; medians of {args.repeat}"
    )
    floor_ms, _ = timed(app, floor, args.repeat)
    print(f"  floor: one aggregate query over the year's tickets  {floor_ms:8.1f} ms")
    for name, extra in CASES:
        query = {"start": start, "end": end, **extra}

        def build(name=name, query=query):
            caller = Caller(db.session.get(User, admin_id), None)
            return reports.build(name, caller, query)

        def as_csv(name=name, query=query):
            caller = Caller(db.session.get(User, admin_id), None)
            return sum(len(chunk) for chunk in csv_out.lines(reports.build(name, caller, query)))

        report_ms, built = timed(app, build, args.repeat)
        csv_ms, _ = timed(app, as_csv, max(1, args.repeat // 3))
        label = name + "".join(f" {k}={v}" for k, v in extra.items())
        print(
            f"  {label:<30} {report_ms:8.1f} ms  ({report_ms / floor_ms:6.1f}x floor)   "
            f"CSV {csv_ms:8.1f} ms   {len(built.rows)} rows   target <= 300 ms"
        )


if __name__ == "__main__":
    main()
