"""Load test: many devices syncing at once on gunicorn + PostgreSQL, with staff writing.

Starts gunicorn (several workers) on 127.0.0.1 against the database, seeds a
realistic agency with `fieldline seed` if it has fewer tickets than asked, then runs
N simulated devices (threads spread over processes) that loop pull -> create a
message and a time entry offline -> push, while a staff writer assigns, unassigns
and replies. Bounded in time and count. Reports requests/s and p50/p95/p99 latency
per endpoint and the errors, then checks every device's local state against a fresh
pull of the server (zero lost or duplicated records). First, as references measured
in the same run: the stack's ceiling (the same devices looping bench/ceiling_app.py,
one Flask view with one Core query, under the same gunicorn settings); the floor
(them looping Fieldline's cheapest authenticated request, GET /api/me); and one
device syncing alone, whose pull and push service times bound what the cores serve.

    python bench/load.py --database-url postgresql://... [--devices 100] [--seconds 30]

Target on a 2-core machine: >= 300 sync requests/s, p99 < 250 ms, zero errors at 100.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import select
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ceiling_app import PATH as CEILING_PATH  # noqa: E402
from bench.gunicorn_server import ceiling, gunicorn  # noqa: E402
from server.cli import KEEPALIVE_SECONDS  # noqa: E402

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


class Connection:
    """One keep-alive HTTP/1.1 connection, as a handheld holds one.

    http.client, not requests: requests cost ~2.5 ms of CPU per call here, five times
    http.client's, and the load generator shares the two cores with the server it
    measures. A connection the server has closed while idle, or one idle nearly as
    long as the server keeps it, is opened anew before it is reused, as HTTP clients'
    pools do: a request sent just as the keep-alive runs out meets a reset (seen here
    on the first pull after 15.0 s idle, while the other devices signed in)."""

    def __init__(self, base: str):
        address = urllib.parse.urlsplit(base)
        self.host, self.port = address.hostname, address.port
        self.headers: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None
        self.used, self.idle_since = 0, time.monotonic()

    def send(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        """(status, body); raises OSError or http.client.HTTPException without an answer."""
        idle = time.monotonic() - self.idle_since
        if self.connection is not None and self.connection.sock is not None:
            readable, _, _ = select.select([self.connection.sock], [], [], 0)
            if readable or idle > KEEPALIVE_SECONDS - 2:
                self.connection.close()  # reopened by the request below
                self.used = 0
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            error.add_note(f"after {self.used} requests on the connection, {idle:.1f} s idle")
            self.used = 0
            raise
        self.used += 1
        if response.will_close:
            self.connection.close()
            self.used = 0
        self.idle_since = time.monotonic()
        return response.status, data

    def json(self, method: str, path: str, payload=None):
        body = None if payload is None else json.dumps(payload).encode()
        status, data = self.send(method, path, body)
        if status >= 400:
            raise RuntimeError(f"{method} {path}: HTTP {status}: {data[:200]!r}")
        return json.loads(data)


def signed_in(base: str, email: str, device_id: str | None = None) -> Connection:
    connection = Connection(base)
    credentials = {"email": email, "password": SEED_PASSWORD}
    if device_id is not None:
        credentials["device_id"] = device_id
    pair = connection.json("POST", "/api/auth/token", credentials)
    connection.headers["Authorization"] = f"Bearer {pair['access_token']}"
    return connection


class Device:
    """One handheld: WatermelonDB's pull-apply-push loop, with a local copy of rows."""

    def __init__(self, http: Connection):
        self.http = http
        self.rows = {t: {} for t in TABLES}
        self.pending = {t: {} for t in TABLES}
        self.last = None
        self.samples: list[tuple[str, float, int]] = []
        self.failures: list[str] = []  # requests that got no HTTP answer, and why

    def _timed(self, kind: str, method: str, path: str, body: bytes | None = None):
        """The response body of a 200, else None; every call is a sample."""
        started = time.perf_counter()
        try:
            status, data = self.http.send(method, path, body)
        except (OSError, http.client.HTTPException) as error:
            status, data = 0, None
            note = "; ".join(getattr(error, "__notes__", []))
            self.failures.append(f"{kind}: {type(error).__name__}: {str(error)[:120]} ({note})")
        self.samples.append((kind, (time.perf_counter() - started) * 1000, status))
        return data if status == 200 else None

    def sync(self) -> bool:
        query = "" if self.last is None else f"?last_pulled_at={self.last}"
        pulled = self._timed("pull", "GET", f"/api/sync/pull{query}")
        if pulled is None:
            return False
        body = json.loads(pulled)
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
        data = json.dumps(changes).encode()
        pushed = self._timed("push", "POST", f"/api/sync/push?last_pulled_at={self.last}", data)
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
    devices = [Device(signed_in(base, e, f"load-{seed}-{i}")) for i, e in enumerate(emails)]
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
        fresh = Device(signed_in(base, email, f"check-{uuid.uuid4().hex[:6]}"))
        fresh.sync()
        for table in TABLES:
            if device.rows[table] != fresh.rows[table]:
                mismatches += 1
    results.put((timed, mismatches, len(devices), failures))


def looping_process(base, emails, path, signed, seconds, seed, results):
    """The same devices each looping one GET: `/api/me` on the server, signed in (the
    floor: the token checked, one query, a small body), or the stack ceiling's view
    (bench/ceiling_app.py), with no token."""
    devices = [
        Device(signed_in(base, email, f"floor-{seed}-{i}") if signed else Connection(base))
        for i, email in enumerate(emails)
    ]
    stop = time.monotonic() + seconds

    def loop(device):
        while time.monotonic() < stop:
            device._timed("me", "GET", path)

    threads = [threading.Thread(target=loop, args=(d,)) for d in devices]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put(([s for d in devices for s in d.samples], [f for d in devices for f in d.failures]))


def alone(base: str, email: str, seconds: float) -> list:
    """One device syncing with the server to itself (no staff writer, no other device):
    what a pull and a push cost without queueing, the service time that bounds the
    throughput of the cores."""
    device = Device(signed_in(base, email, "alone"))
    rng = random.Random(3)
    device.sync()  # the first pull (the whole scope) is not what the loop repeats
    device.work_offline(rng)
    device.samples.clear()
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        device.sync()
        device.work_offline(rng)
    return device.samples


def staff_writer(base: str, seconds: float, contractor_ids: list[int], stats: dict) -> None:
    """Assigns, unassigns and replies as an admin, about ten times a second."""
    staff = signed_in(base, "load-admin@seed.fieldline")
    rng = random.Random(7)
    tickets = [t["id"] for t in staff.json("GET", "/api/tickets?limit=200")["items"]]
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        ticket = rng.choice(tickets)
        action = rng.random()
        if action < 0.5:
            reply = json.dumps({"body": "Staff update", "visibility": "public"}).encode()
            status, _ = staff.send("POST", f"/api/tickets/{ticket}/messages", reply)
        else:
            contractor = rng.choice(contractor_ids)
            assignment = json.dumps({"contractor_id": contractor}).encode()
            status, _ = staff.send("POST", f"/api/tickets/{ticket}/assignments", assignment)
            if status == 409:
                path = f"/api/tickets/{ticket}/assignments/{contractor}/end"
                status, _ = staff.send("POST", path)
        stats["writes"] += 1
        if status >= 500:
            stats["errors"] += 1
        time.sleep(0.1)


def prepare(url: str, instance: str, tickets: int, contractors: int) -> tuple[list, list]:
    from sqlalchemy import func, select

    from server import create_app
    from server.cli import upgrade_database
    from server.extensions import db
    from server.models import Ticket, TicketContractor, User
    from server.services.people import create_user
    from server.tools.seed import seed

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


def run_loop(spawn, base: str, groups: list, path: str, signed: bool, seconds: float) -> tuple:
    """(samples, failures) of looping_process over the groups of devices."""
    if seconds <= 0:
        return [], []
    results = spawn.Queue()
    processes = [
        spawn.Process(target=looping_process, args=(base, group, path, signed, seconds, n, results))
        for n, group in enumerate(groups)
        if group
    ]
    for p in processes:
        p.start()
    collected = [results.get(timeout=seconds + 300) for _ in processes]
    for p in processes:
        p.join(timeout=60)
    return [s for c in collected for s in c[0]], [f for c in collected for f in c[1]]


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
    parser.add_argument(
        "--alone-seconds",
        type=float,
        default=10,
        help="one device alone, after the floor: the service time (0: none)",
    )
    parser.add_argument(
        "--ceiling-seconds",
        type=float,
        default=10,
        help="the stack ceiling (bench/ceiling_app.py) before that (0: none)",
    )
    args = parser.parse_args()
    instance = os.path.join(tempfile.gettempdir(), "fieldline-load")
    os.makedirs(instance, exist_ok=True)
    emails, contractor_ids = prepare(args.database_url, instance, args.tickets, args.contractors)
    log_path = os.path.join(instance, "server.log")
    chosen = emails[: args.devices]
    groups = [chosen[i :: args.processes] for i in range(args.processes)]
    spawn = multiprocessing.get_context("spawn")
    stack = [], []
    if args.ceiling_seconds > 0:
        with ceiling(args.database_url, args.workers, args.threads) as base:
            stack = run_loop(spawn, base, groups, CEILING_PATH, False, args.ceiling_seconds)
    with gunicorn(
        args.database_url, instance, SECRET, args.workers, args.threads, log_path
    ) as base:
        floor = run_loop(spawn, base, groups, "/api/me", True, args.floor_seconds)
        solo = alone(base, emails[-1], args.alone_seconds) if args.alone_seconds > 0 else []
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
        sync_rate = len(all_times) / elapsed
        for name, (samples, failures), seconds, what in (
            ("floor", floor, args.floor_seconds, "GET /api/me, same devices"),
            ("ceiling", stack, args.ceiling_seconds, "Flask + one Core query, no auth"),
        ):
            if not samples:
                continue
            times = [ms for _, ms, _ in samples]
            errors = sum(1 for *_, status in samples if status != 200)
            rate = len(times) / seconds
            print(
                f"{name:<8} {len(times):>9} {rate:>8.1f} "
                f"{percentile(times, 0.5):>8.1f} {percentile(times, 0.95):>8.1f} "
                f"{percentile(times, 0.99):>8.1f} {errors:>7}   ({what})"
            )
            print(f"sync requests/s = {sync_rate / rate:.2f}x the {name}'s")
            statuses = sorted({status for *_, status in samples if status not in (0, 200)})
            if failures or statuses:
                print(f"  {name} errors: HTTP statuses {statuses}; no answer: {failures[:5]}")
        if solo:
            mean = statistics.fmean(ms for _, ms, _ in solo)
            medians = ", ".join(
                f"{kind} p50 {statistics.median(ms for k, ms, _ in solo if k == kind):.1f} ms"
                for kind in ("pull", "push")
            )
            cores = os.cpu_count() or 1
            print(
                f"one device alone ({len(solo)} requests): {medians}, mean {mean:.1f} ms; "
                f"{cores} cores at that cost serve at most ~{cores * 1000 / mean:.0f} sync req/s"
            )
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
