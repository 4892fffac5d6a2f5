"""Sync performance on a realistic agency, against floors measured in the same run.

Seeds (once per database) 100,000 tickets and 2,000 contractors with ~10 messages,
3 time entries and 1 material per ticket, then measures for one contractor holding
300 tickets: first pull, empty incremental pull, pull after 50 changes, and a push
of 1,000 records (by another contractor holding 300 tickets, so that what each run
pushes does not grow the pulled contractor's records) — in process, through the
Flask app. Floors: the same rows fetched with one raw SQL query per table and
serialised with the json module; the same 1,000 rows inserted with one executemany
(timed after each push, so both see the same machine). Then over real HTTP through
gunicorn, for a contractor holding 50 tickets: first pull, empty pull, pull after 50 new messages.

    python bench/sync_bench.py [--database-url URL] [--tickets N] [--contractors M]

Targets: first pull <= 2x floor, empty pull <= 5 ms, push <= 3x floor;
HTTP: first pull <= 300 ms, empty pull <= 5 ms, after 50 messages <= 10 ms (medians).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from bench.gunicorn_server import gunicorn  # noqa: E402
from server import create_app  # noqa: E402
from server.auth import Caller  # noqa: E402
from server.extensions import db  # noqa: E402
from server.models import Ticket, TicketContractor, TimeEntry, User  # noqa: E402
from server.services import assignments, messages  # noqa: E402
from server.tools.seed import SEED_PASSWORD, seed  # noqa: E402

SECRET = "bench-secret-key-0123456789abcdef0123456789abcdef0123456789abcdef"


def median_ms(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def make_app(url: str, instance: str):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": instance,
            "SECRET_KEY": SECRET,
            "AUTO_MIGRATE": False,
        }
    )


def prepare(app, tickets: int, contractors: int) -> None:
    from server.cli import upgrade_database

    with app.app_context():
        upgrade_database()
        have = db.session.scalar(select(func.count()).select_from(Ticket))
        if have < tickets:
            print(f"seeding {tickets - have} tickets ...", flush=True)
            done = [0]

            def progress(n):
                done[0] += n
                if done[0] % 10000 == 0:
                    print(f"  {done[0]}", flush=True)

            seed(tickets - have, contractors, progress=progress)


def pick_contractors(app) -> tuple[str, str, str]:
    """The first contractor gets 300 tickets and is pulled; the second keeps its ~50
    (the HTTP part); the third gets 300 tickets and takes the pushes, so the records
    each run pushes do not grow the first one's pulls from run to run."""
    with app.app_context():
        busy, normal, pusher = db.session.scalars(
            select(User).where(User.role == "contractor").order_by(User.id).limit(3)
        ).all()
        _hold_300(busy, newest=False)
        _hold_300(pusher, newest=True)  # other tickets than the pulled contractor's
        db.session.commit()
        return busy.email, normal.email, pusher.email


def _hold_300(contractor: User, newest: bool) -> None:
    held = db.session.scalar(
        select(func.count()).where(
            TicketContractor.contractor_id == contractor.id, TicketContractor.active.is_(True)
        )
    )
    if held >= 300:
        return
    staff = Caller(admin_user(), None)
    extra = db.session.scalars(
        select(Ticket.id)
        .where(
            ~Ticket.id.in_(
                select(TicketContractor.ticket_id).where(
                    TicketContractor.contractor_id == contractor.id
                )
            )
        )
        .order_by(Ticket.id.desc() if newest else Ticket.id)
        .limit(300 - held)
    ).all()
    for ticket_id in extra:
        assignments.assign(staff, ticket_id, contractor.id)


def admin_user() -> User:
    from server.services.people import create_user

    admin = db.session.scalar(select(User).where(User.email == "bench-admin@seed.fieldline"))
    return admin or create_user(
        None,
        email="bench-admin@seed.fieldline",
        name="Bench Admin",
        role="admin",
        password=SEED_PASSWORD,
    )


def token(client, email: str) -> dict:
    pair = client.post(
        "/api/auth/token",
        json={
            "email": email,
            "password": SEED_PASSWORD,
            "device_id": f"bench-{uuid.uuid4().hex[:6]}",
        },
    )
    return {"Authorization": f"Bearer {pair.get_json()['access_token']}"}


def raw_floor(app, email: str) -> float:
    """The same rows with one plain query per table, serialised with json."""
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == email))
        engine = db.engine
    scope = "(SELECT ticket_id FROM ticket_contractors WHERE contractor_id = :u AND active)"
    queries = [
        f"SELECT t.*, b.name, b.address, u.name FROM tickets t JOIN blocks b ON b.id = t.block_id"
        f" LEFT JOIN units u ON u.id = t.unit_id WHERE t.id IN {scope}",
        f"SELECT * FROM messages WHERE ticket_id IN {scope} AND visibility IN ('public','team')",
        f"SELECT * FROM time_entries WHERE ticket_id IN {scope}",
        f"SELECT * FROM materials WHERE ticket_id IN {scope}",
    ]

    def run():
        with engine.connect() as conn:
            rows = []
            for q in queries:
                rows += [dict(r._mapping) for r in conn.execute(text(q), {"u": user_id})]
            json.dumps(rows, default=str)

    return median_ms(run, 9)


@contextmanager
def push_floor(app, ticket_id: int, contractor_id: int):
    """Yields a function timing the same 1,000 time-entry rows inserted with one
    executemany into a copy of the time_entries table (same columns, indexes, foreign
    keys and rows: inserting into a big index costs more than into an empty one), then
    committed. The copy is dropped afterwards."""
    with app.app_context():
        engine = db.engine
        floor = TimeEntry.__table__.to_metadata(db.metadata, name="bench_floor")
    for item in (*floor.indexes, *floor.constraints):
        if item.name:
            item.name = str(item.name).replace("time_entries", "bench_floor")
    with engine.begin() as conn:
        floor.drop(conn, checkfirst=True)
        floor.create(conn)
        conn.execute(floor.insert().from_select(list(floor.c.keys()), TimeEntry.__table__.select()))

    def run():
        now = datetime.now(UTC)
        rows = [
            {
                "id": uuid.uuid4().hex,
                "ticket_id": ticket_id,
                "contractor_id": contractor_id,
                "started_at": None,
                "ended_at": None,
                "minutes": 30,
                "chargeable": True,
                "note": "bench",
                "created_at": now,
                "received_at": now,
                "device_id": None,
                "sync_seq": 1,
                "created_seq": 1,
            }
            for _ in range(1000)
        ]
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(floor.insert(), rows)
        return (time.perf_counter() - started) * 1000

    try:
        yield run
    finally:
        with engine.begin() as conn:
            floor.drop(conn)
        db.metadata.remove(floor)


def in_process(app, email: str, repeat: int) -> dict:
    client = app.test_client()
    headers = token(client, email)
    first = lambda: client.get("/api/sync/pull", headers=headers).get_json()  # noqa: E731
    body = first()
    tickets = [t["id"] for t in body["changes"]["tickets"]["created"]]
    stamp = body["timestamp"]
    out = {
        "tickets": len(tickets),
        "records": sum(len(s["created"]) for s in body["changes"].values()),
    }
    out["first_pull"] = median_ms(first, repeat)
    out["first_pull_floor"] = raw_floor(app, email)
    out["empty_pull"] = median_ms(
        lambda: client.get(f"/api/sync/pull?last_pulled_at={stamp}", headers=headers), repeat * 3
    )
    with app.app_context():
        staff_id = admin_user().id
        db.session.commit()
    samples = []
    for _ in range(repeat):
        last = client.get(f"/api/sync/pull?last_pulled_at={stamp}", headers=headers).get_json()[
            "timestamp"
        ]
        with app.app_context():
            caller = Caller(db.session.get(User, staff_id), None)
            for n in range(50):
                messages.post_message(caller, int(tickets[n % len(tickets)]), f"change {n}", "team")
            db.session.commit()
        started = time.perf_counter()
        changed = client.get(f"/api/sync/pull?last_pulled_at={last}", headers=headers).get_json()
        samples.append((time.perf_counter() - started) * 1000)
        stamp = changed["timestamp"]
    out["pull_after_50"] = statistics.median(samples)
    return out


def pushes(app, email: str, repeat: int) -> dict:
    """Pushes of 1,000 new time entries spread over the contractor's 300 tickets, each
    followed by a run of the floor, so both see the same machine (a checkpoint or a
    busy neighbour lands on both, not on one)."""
    client = app.test_client()
    headers = token(client, email)
    body = client.get("/api/sync/pull", headers=headers).get_json()
    tickets = [t["id"] for t in body["changes"]["tickets"]["created"]]
    stamp = body["timestamp"]
    with app.app_context():
        contractor_id = db.session.scalar(select(User.id).where(User.email == email))
    samples, floors = [], []
    with push_floor(app, int(tickets[0]), contractor_id) as floor:
        for _ in range(repeat):
            records = [
                {
                    "id": uuid.uuid4().hex,
                    "ticket_id": tickets[n % len(tickets)],
                    "minutes": 30,
                    "chargeable": True,
                    "note": "bench",
                    "started_at": None,
                    "ended_at": None,
                    "created_at": 1795400000000,
                }
                for n in range(1000)
            ]
            payload = {t: {"created": [], "updated": [], "deleted": []} for t in body["changes"]}
            payload["time_entries"]["created"] = records
            data = json.dumps(payload)
            started = time.perf_counter()
            response = client.post(
                f"/api/sync/push?last_pulled_at={stamp}", data=data, headers=headers
            )
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.get_json()
            floors.append(floor())
    return {"push_1000": statistics.median(samples), "push_floor": statistics.median(floors)}


def over_http(app, url: str, instance: str, email: str, repeat: int) -> dict:
    # `fieldline serve` defaults: 2 workers x 4 threads (gthread, keep-alive).
    with gunicorn(url, instance, SECRET, workers=2, threads=4) as base:
        session = requests.Session()
        pair = session.post(
            base + "/api/auth/token",
            json={"email": email, "password": SEED_PASSWORD, "device_id": "bench-http"},
        ).json()
        session.headers["Authorization"] = f"Bearer {pair['access_token']}"
        first = session.get(base + "/api/sync/pull").json()
        tickets = [t["id"] for t in first["changes"]["tickets"]["created"]]
        out = {
            "tickets": len(tickets),
            "records": sum(len(s["created"]) for s in first["changes"].values()),
        }
        out["first_pull"] = median_ms(lambda: session.get(base + "/api/sync/pull"), repeat)
        stamp = first["timestamp"]
        out["empty_pull"] = median_ms(
            lambda: session.get(f"{base}/api/sync/pull?last_pulled_at={stamp}"), repeat * 3
        )
        with app.app_context():
            staff_id = admin_user().id
        samples = []
        for _ in range(repeat):
            last = session.get(f"{base}/api/sync/pull?last_pulled_at={stamp}").json()["timestamp"]
            with app.app_context():
                caller = Caller(db.session.get(User, staff_id), None)
                for n in range(50):
                    messages.post_message(caller, int(tickets[n % len(tickets)]), f"m{n}", "team")
                db.session.commit()
            started = time.perf_counter()
            stamp = session.get(f"{base}/api/sync/pull?last_pulled_at={last}").json()["timestamp"]
            samples.append((time.perf_counter() - started) * 1000)
        out["pull_after_50"] = statistics.median(samples)
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default=None, help="default: a SQLite file under the system temp folder"
    )
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--contractors", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    instance = os.path.join(tempfile.gettempdir(), "fieldline-bench")
    os.makedirs(instance, exist_ok=True)
    url = args.database_url or f"sqlite:///{instance}/bench-{args.tickets}.sqlite3"
    app = make_app(url, instance)
    prepare(app, args.tickets, args.contractors)
    busy, normal, pusher = pick_contractors(app)
    local = in_process(app, busy, args.repeat)
    local.update(pushes(app, pusher, args.repeat))
    http = over_http(app, url, instance, normal, args.repeat)
    kind = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(
        f"\nsync benchmark on {kind}, {args.tickets} tickets, {args.contractors} contractors "
        f"(medians of {args.repeat})"
    )
    print(f"in process, contractor with {local['tickets']} tickets ({local['records']} records):")
    rows = [
        ("first pull", local["first_pull"], local["first_pull_floor"], "<= 2x floor"),
        ("empty incremental pull", local["empty_pull"], None, "<= 5 ms"),
        ("pull after 50 changes", local["pull_after_50"], None, ""),
        ("push of 1,000 records", local["push_1000"], local["push_floor"], "<= 3x floor"),
    ]
    for name, value, floor, target in rows:
        ratio = f"{value / floor:5.1f}x floor ({floor:.1f} ms)" if floor else ""
        print(f"  {name:<26} {value:8.1f} ms  {ratio:<28} target {target}")
    print(
        f"over HTTP (gunicorn, 2 workers x 4 threads), contractor with {http['tickets']} tickets "
        f"({http['records']} records):"
    )
    for name, key, target in (
        ("first pull", "first_pull", "<= 300 ms"),
        ("empty pull", "empty_pull", "<= 5 ms"),
        ("pull after 50 messages", "pull_after_50", "<= 10 ms"),
    ):
        print(f"  {name:<26} {http[key]:8.1f} ms  target {target}")


if __name__ == "__main__":
    main()
