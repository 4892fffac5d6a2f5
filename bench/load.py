"""Load test: many devices syncing at once on gunicorn + PostgreSQL, with staff writing.

Starts gunicorn (several workers) on 127.0.0.1 against the database, seeds a
realistic agency with `fieldline seed` if it has fewer tickets than asked, then runs
N simulated devices (threads spread over processes) that loop pull -> create a
message and a time entry offline -> push, while a staff writer assigns, unassigns
and replies. Bounded in time and count. Reports requests/s and p50/p95/p99 latency
per endpoint and the errors, then checks every device's local state against a fresh
pull of the server (zero lost or duplicated records). First, for a floor measured in
the same run, the same devices loop the cheapest authenticated request (GET /api/me).

    python bench/load.py --database-url postgresql://... [--devices 100] [--seconds 30]

Target on a 2-core machine: >= 300 sync requests/s, p99 < 250 ms, zero errors at 100.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.gunicorn_server import gunicorn  # noqa: E402

SECRET = "load-secret-key-0123456789abcdef0123456789abcdef0123456789abcdef"
TABLES = (
    "tickets",
    "ticket_messages",
    "time_entries",
    "materials",
    "delivery_notes",
    "attachments",
)
SEED_PASSWORD = "fieldline-seed"


class Device:
    """One handheld: WatermelonDB's pull-apply-push loop, with a local copy of rows."""

    def __init__(self, base: str, email: str, device_id: str):
        self.base, self.session = base, requests.Session()
        pair = self.session.post(
            f"{base}/api/auth/token",
            timeout=30,
            json={"email": email, "password": SEED_PASSWORD, "device_id": device_id},
        ).json()
        self.session.headers["Authorization"] = f"Bearer {pair['access_token']}"
        self.rows = {t: {} for t in TABLES}
        self.pending = {t: {} for t in TABLES}
        self.last = None
        self.samples: list[tuple[str, float, int]] = []
        self.failures: list[str] = []  # requests that got no HTTP answer, and why

    def _timed(self, kind: str, fn):
        started = time.perf_counter()
        try:
            response = fn()
            status = response.status_code
        except requests.RequestException as error:
            response, status = None, 0
            self.failures.append(f"{kind}: {type(error).__name__}: {str(error)[:120]}")
        self.samples.append((kind, (time.perf_counter() - started) * 1000, status))
        return response if status == 200 else None

    def sync(self) -> bool:
        query = "" if self.last is None else f"?last_pulled_at={self.last}"
        pulled = self._timed(
            "pull", lambda: self.session.get(f"{self.base}/api/sync/pull{query}", timeout=60)
        )
        if pulled is None:
            return False
        body = pulled.json()
        for table, section in body["changes"].items():
            for record in section["created"] + section["updated"]:
                self.rows[table][record["id"]] = record
                if record["id"] in self.pending[table]:
                    self.pending[table][record["id"]] = record
            for record_id in section["deleted"]:
                self.rows[table].pop(record_id, None)
                self.pending[table].pop(record_id, None)
        self.last = body["timestamp"]
        if not any(self.pending.values()):
            return True
        changes = {
            t: {"created": list(self.pending[t].values()), "updated": [], "deleted": []}
            for t in TABLES
        }
        import json

        data = json.dumps(changes)
        pushed = self._timed(
            "push",
            lambda: self.session.post(
                f"{self.base}/api/sync/push?last_pulled_at={self.last}", data=data, timeout=60
            ),
        )
        if pushed is None:
            return False
        self.pending = {t: {} for t in TABLES}
        return True

    def work_offline(self, rng: random.Random) -> None:
        tickets = sorted(self.rows["tickets"])
        if not tickets:
            return
        ticket = rng.choice(tickets)
        now = int(time.time() * 1000)
        message = {
            "id": uuid.uuid4().hex,
            "ticket_id": ticket,
            "body": "On site now",
            "visibility": "team",
            "created_at": now,
        }
        entry = {
            "id": uuid.uuid4().hex,
            "ticket_id": ticket,
            "minutes": 15,
            "chargeable": True,
            "note": None,
            "started_at": None,
            "ended_at": None,
            "created_at": now,
        }
        for table, record in (("ticket_messages", message), ("time_entries", entry)):
            self.rows[table][record["id"]] = record
            self.pending[table][record["id"]] = record


def device_process(base, emails, seconds, seed, results, writers_done, drained, compare):
    """A process running one thread per device; sends back samples and final states.

    The final check waits until the staff writer has stopped, so the server's view
    no longer moves while devices and fresh pulls are compared."""
    rng = random.Random(seed)
    devices = [Device(base, email, f"load-{seed}-{i}") for i, email in enumerate(emails)]
    stop = time.monotonic() + seconds

    def loop(device):
        local = random.Random(rng.random())
        while time.monotonic() < stop:
            device.sync()
            device.work_offline(local)

    threads = [threading.Thread(target=loop, args=(d,)) for d in devices]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    timed = [s for d in devices for s in d.samples]  # the drain and checks below are not
    failures = [f for d in devices for f in d.failures]
    writers_done.wait(timeout=120)
    for device in devices:  # push whatever is still pending
        for _ in range(5):
            if device.sync() and not any(device.pending.values()):
                break
    drained.put(seed)
    compare.wait(timeout=300)  # every device everywhere has pushed: nothing moves now
    mismatches = 0
    for email, device in zip(emails, devices, strict=True):
        device.sync()
        fresh = Device(base, email, f"check-{uuid.uuid4().hex[:6]}")
        fresh.sync()
        for table in TABLES:
            if device.rows[table] != fresh.rows[table]:
                mismatches += 1
    results.put((timed, mismatches, len(devices), failures))


def floor_process(base, emails, seconds, seed, results):
    """The floor: the same devices each looping the cheapest authenticated request
    (`GET /api/me`: the token checked, one query, a small body) on the same server."""
    devices = [Device(base, email, f"floor-{seed}-{i}") for i, email in enumerate(emails)]
    stop = time.monotonic() + seconds

    def loop(device):
        while time.monotonic() < stop:
            device._timed("me", lambda: device.session.get(f"{device.base}/api/me", timeout=60))

    threads = [threading.Thread(target=loop, args=(d,)) for d in devices]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put([s for d in devices for s in d.samples])


def staff_writer(base: str, seconds: float, contractor_ids: list[int], stats: dict) -> None:
    """Assigns, unassigns and replies as an admin, about ten times a second."""
    session = requests.Session()
    pair = session.post(
        f"{base}/api/auth/token",
        timeout=30,
        json={"email": "load-admin@seed.fieldline", "password": SEED_PASSWORD},
    ).json()
    session.headers["Authorization"] = f"Bearer {pair['access_token']}"
    rng = random.Random(7)
    tickets = [
        t["id"] for t in session.get(f"{base}/api/tickets?limit=200", timeout=30).json()["items"]
    ]
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        ticket = rng.choice(tickets)
        action = rng.random()
        if action < 0.5:
            r = session.post(
                f"{base}/api/tickets/{ticket}/messages",
                timeout=30,
                json={"body": "Staff update", "visibility": "public"},
            )
        else:
            contractor = rng.choice(contractor_ids)
            r = session.post(
                f"{base}/api/tickets/{ticket}/assignments",
                timeout=30,
                json={"contractor_id": contractor},
            )
            if r.status_code == 409:
                r = session.post(
                    f"{base}/api/tickets/{ticket}/assignments/{contractor}/end", timeout=30
                )
        stats["writes"] += 1
        if r.status_code >= 500:
            stats["errors"] += 1
        time.sleep(0.1)


def prepare(url: str, instance: str, tickets: int, contractors: int) -> tuple[list, list]:
    from sqlalchemy import func, select

    from server import create_app
    from server.cli import upgrade_database
    from server.extensions import db
    from server.models import Ticket, TicketContractor, User
    from server.seed import seed
    from server.services.people import create_user

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": instance,
            "SECRET_KEY": SECRET,
            "AUTO_MIGRATE": False,
        }
    )
    with app.app_context():
        upgrade_database()
        have = db.session.scalar(select(func.count()).select_from(Ticket))
        if have < tickets:
            print(f"seeding {tickets - have} tickets ...", flush=True)
            seed(tickets - have, contractors)
        if (
            db.session.scalar(select(User.id).where(User.email == "load-admin@seed.fieldline"))
            is None
        ):
            create_user(
                None,
                email="load-admin@seed.fieldline",
                name="Load Admin",
                role="admin",
                password=SEED_PASSWORD,
            )
            db.session.commit()
        rows = db.session.execute(
            select(User.id, User.email)
            .join(TicketContractor, TicketContractor.contractor_id == User.id)
            .where(User.role == "contractor", TicketContractor.active.is_(True))
            .group_by(User.id, User.email)
            .order_by(User.id)
            .limit(1000)
        ).all()
        db.engine.dispose()
    return [r.email for r in rows], [r.id for r in rows]


def run_floor(spawn, base: str, groups: list, seconds: float) -> list:
    if seconds <= 0:
        return []
    results = spawn.Queue()
    processes = [
        spawn.Process(target=floor_process, args=(base, group, seconds, n, results))
        for n, group in enumerate(groups)
        if group
    ]
    for p in processes:
        p.start()
    samples = [s for _ in processes for s in results.get(timeout=seconds + 300)]
    for p in processes:
        p.join(timeout=60)
    return samples


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4, help="per gunicorn worker")
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--contractors", type=int, default=2_000)
    parser.add_argument(
        "--floor-seconds", type=float, default=10, help="GET /api/me floor first (0: none)"
    )
    args = parser.parse_args()
    instance = os.path.join(tempfile.gettempdir(), "fieldline-load")
    os.makedirs(instance, exist_ok=True)
    emails, contractor_ids = prepare(args.database_url, instance, args.tickets, args.contractors)
    log_path = os.path.join(instance, "server.log")
    with gunicorn(
        args.database_url, instance, SECRET, args.workers, args.threads, log_path
    ) as base:
        chosen = emails[: args.devices]
        groups = [chosen[i :: args.processes] for i in range(args.processes)]
        spawn = multiprocessing.get_context("spawn")
        floor = run_floor(spawn, base, groups, args.floor_seconds)
        results, drained = spawn.Queue(), spawn.Queue()
        writers_done, compare = spawn.Event(), spawn.Event()
        processes = [
            spawn.Process(
                target=device_process,
                args=(base, group, args.seconds, n, results, writers_done, drained, compare),
            )
            for n, group in enumerate(groups)
            if group
        ]
        staff = {"writes": 0, "errors": 0}
        writer = threading.Thread(
            target=staff_writer, args=(base, args.seconds, contractor_ids[: args.devices], staff)
        )
        started = time.monotonic()
        for p in processes:
            p.start()
        writer.start()
        writer.join()
        writers_done.set()
        for _ in processes:
            drained.get(timeout=600)
        compare.set()
        collected = [results.get(timeout=args.seconds + 600) for _ in processes]
        for p in processes:
            p.join(timeout=60)
        samples = [s for c in collected for s in c[0]]
        mismatches = sum(c[1] for c in collected)
        loop_samples = samples
        elapsed = max(args.seconds, 1e-9)
        print(
            f"\nload test: {len(chosen)} devices, {args.seconds:.0f} s, gunicorn "
            f"{args.workers} workers x {args.threads} threads, {args.database_url.split('@')[-1]}"
        )
        print(
            f"{'endpoint':<8} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
            f"{'p99 ms':>8} {'errors':>7}"
        )
        for kind in ("pull", "push"):
            times = [ms for k, ms, _ in loop_samples if k == kind]
            errors = sum(1 for k, _, status in loop_samples if k == kind and status != 200)
            if times:
                print(
                    f"{kind:<8} {len(times):>9} {len(times) / elapsed:>8.1f} "
                    f"{percentile(times, 0.5):>8.1f} {percentile(times, 0.95):>8.1f} "
                    f"{percentile(times, 0.99):>8.1f} {errors:>7}"
                )
        all_times = [ms for _, ms, _ in loop_samples]
        total_errors = sum(1 for *_, status in loop_samples if status != 200)
        print(
            f"{'all sync':<8} {len(all_times):>9} {len(all_times) / elapsed:>8.1f} "
            f"{percentile(all_times, 0.5):>8.1f} {percentile(all_times, 0.95):>8.1f} "
            f"{percentile(all_times, 0.99):>8.1f} {total_errors:>7}"
        )
        if floor:
            times = [ms for _, ms, _ in floor]
            errors = sum(1 for *_, status in floor if status != 200)
            rate = len(times) / args.floor_seconds
            print(
                f"{'floor':<8} {len(times):>9} {rate:>8.1f} "
                f"{percentile(times, 0.5):>8.1f} {percentile(times, 0.95):>8.1f} "
                f"{percentile(times, 0.99):>8.1f} {errors:>7}   (GET /api/me, same devices)"
            )
            print(f"sync requests/s = {len(all_times) / elapsed / rate:.2f}x the floor's")
        print(
            f"staff writes: {staff['writes']} ({staff['errors']} server errors); "
            f"wall time {time.monotonic() - started:.0f} s"
        )
        failures = [f for c in collected for f in c[3]]
        statuses = sorted({status for *_, status in loop_samples if status not in (0, 200)})
        if failures or statuses:
            print(f"errors: HTTP statuses {statuses}; no answer: {failures[:5]}")
        print(
            f"device states differing from the server after the run: {mismatches} tables "
            f"(0 = no lost or duplicated records); median of all: "
            f"{statistics.median(all_times):.1f} ms"
        )


if __name__ == "__main__":
    main()
