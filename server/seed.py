"""`fieldline seed`: a realistic agency at scale, bulk-inserted (not through the API).

Rows are complete: every ticket has its hash-chained timeline, assignment log and
sync stamps, so `verify`, sync and exports behave on seeded data as on real data.
"""

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select, text, update

from server import search
from server.domain.chain import EventContent, canonical_json, event_hash
from server.extensions import db
from server.models import (
    Assignment,
    Block,
    Counter,
    Department,
    Material,
    Message,
    Tenancy,
    Ticket,
    TicketContractor,
    TicketEvent,
    TimeEntry,
    Unit,
    User,
    department_members,
)
from server.passwords import hash_password
from server.services.counters import next_value

SEED_PASSWORD = "fieldline-seed"
STATUSES = ("open", "on_hold", "resolved", "closed", "new")
BATCH = 1000
MESSAGES_PER_TICKET = 10
TIMES_PER_TICKET = 3


def _insert_returning_ids(model, rows: list[dict]) -> list[int]:
    if not rows:
        return []
    statement = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(db.session.scalars(statement, rows))


class _Chain:
    """Builds one ticket's events with positions and hashes, as append_event would."""

    def __init__(self, ticket_id: int):
        self.ticket_id, self.position, self.last, self.rows = ticket_id, 0, None, []

    def add(self, kind, author_id, role, visibility, data, at) -> None:
        self.position += 1
        content = EventContent(
            self.ticket_id,
            self.position,
            kind,
            author_id,
            role,
            visibility,
            canonical_json(data),
            at,
            None,
        )
        digest = event_hash(content, self.last)
        self.rows.append(
            {
                "ticket_id": self.ticket_id,
                "position": self.position,
                "kind": kind,
                "author_id": author_id,
                "author_role": role,
                "visibility": visibility,
                "data": content.data,
                "created_at": at,
                "device_time": None,
                "prev_hash": self.last,
                "hash": digest,
            }
        )
        self.last = digest


def seed(tickets: int, contractors: int, progress=None, seed_value: int = 42) -> dict:
    """Create `tickets` tickets spread over `contractors` contractors; returns counts."""
    rng = random.Random(seed_value)
    now = datetime.now(UTC).replace(microsecond=0)
    run = db.session.scalar(select(func.count()).select_from(User)) or 0
    password = hash_password(SEED_PASSWORD)
    departments = _insert_returning_ids(
        Department, [{"name": f"Seed department {run}-{i}", "created_at": now} for i in range(5)]
    )

    def users(role: str, count: int, **extra) -> list[int]:
        rows = [
            {
                "email": f"seed-{run}-{role}-{i}@seed.fieldline",
                "name": f"{role.title()} {i}",
                "role": role,
                "password_hash": password,
                "notify_me": True,
                "is_active": True,
                "created_at": now,
                **extra,
            }
            for i in range(count)
        ]
        return _insert_returning_ids(User, rows)

    staff = users("staff", 10)
    db.session.execute(
        insert(department_members),
        [{"department_id": departments[i % 5], "user_id": s} for i, s in enumerate(staff)],
    )
    contractor_ids = users("contractor", contractors, company="Seed Trades Ltd")
    block_count = max(1, tickets // 100)
    blocks = _insert_returning_ids(
        Block,
        [
            {
                "name": f"Block {run}-{i}",
                "address": f"{i + 1} Seed Street, London",
                "manager_id": staff[i % len(staff)],
                "department_id": departments[i % 5],
                "access_notes": "Key safe at the entrance.",
                "created_at": now,
            }
            for i in range(block_count)
        ],
    )
    units = _insert_returning_ids(
        Unit,
        [
            {"block_id": b, "name": f"Flat {n + 1}", "created_at": now}
            for b in blocks
            for n in range(10)
        ],
    )
    unit_block = {u: blocks[i // 10] for i, u in enumerate(units)}
    tenants = users("tenant", len(units), phone="+44 20 7946 0000")
    db.session.execute(
        insert(Tenancy),
        [
            {"unit_id": u, "tenant_id": t, "starts_on": date(2020, 1, 1), "created_at": now}
            for u, t in zip(units, tenants, strict=True)
        ],
    )
    unit_tenant = dict(zip(units, tenants, strict=True))
    seq = next_value("sync")
    first_ref = next_value("ticket_ref")
    db.session.execute(
        update(Counter).where(Counter.name == "ticket_ref").values(value=first_ref + tickets - 1)
    )
    made = 0
    while made < tickets:
        count = min(BATCH, tickets - made)
        _ticket_batch(
            rng,
            now,
            seq,
            first_ref + made,
            count,
            units,
            unit_block,
            unit_tenant,
            staff,
            contractor_ids,
            departments,
            made,
        )
        made += count
        db.session.commit()
        if progress:
            progress(count)
    _analyze()
    return {
        "tickets": tickets,
        "contractors": contractors,
        "blocks": block_count,
        "units": len(units),
        "sync_seq": seq,
    }


def _ticket_batch(
    rng,
    now,
    seq,
    first_ref,
    count,
    units,
    unit_block,
    unit_tenant,
    staff,
    contractors,
    departments,
    offset,
) -> None:
    rows = []
    for i in range(count):
        unit = rng.choice(units)
        created = now - timedelta(minutes=rng.randrange(60, 2 * 365 * 24 * 60))
        rows.append(
            {
                "ref": f"T-{first_ref + i:06d}",
                "summary": f"Seeded repair {first_ref + i}",
                "description": "A realistic problem report: water coming through the ceiling.",
                "type": "repair",
                "priority": rng.choice(("low", "normal", "high")),
                "status": rng.choice(STATUSES),
                "visibility": "management",
                "billing": rng.choice(("chargeable", "included")),
                "block_id": unit_block[unit],
                "unit_id": unit,
                "department_id": departments[(offset + i) % 5],
                "manager_id": staff[(offset + i) % len(staff)],
                "reporter_id": unit_tenant[unit],
                "created_at": created,
                "updated_at": created,
                "record_updated_at": created,
                "triaged_at": created,
                "last_customer_activity_at": created,
                "awaiting_payment": False,
                "event_count": 0,
                "sync_seq": seq,
            }
        )
    ticket_ids = _insert_returning_ids(Ticket, rows)
    events, messages, times, materials, links, log = [], [], [], [], [], []
    for n, (ticket_id, row) in enumerate(zip(ticket_ids, rows, strict=True)):
        contractor = contractors[(offset + n) % len(contractors)]
        manager, tenant, at = row["manager_id"], row["reporter_id"], row["created_at"]
        chain = _Chain(ticket_id)
        chain.add(
            "reported",
            tenant,
            "tenant",
            "public",
            {"summary": row["summary"], "description": row["description"]},
            at,
        )
        at += timedelta(hours=1)
        links.append(
            {
                "ticket_id": ticket_id,
                "contractor_id": contractor,
                "active": True,
                "started_at": at,
                "sync_seq": seq,
                "device_seq": seq,
                "record_seq": seq,
            }
        )
        log.append(
            {
                "ticket_id": ticket_id,
                "contractor_id": contractor,
                "action": "start",
                "by_id": manager,
                "at": at,
            }
        )
        chain.add("assigned", manager, "staff", "public", {"contractor_id": contractor}, at)
        for m in range(MESSAGES_PER_TICKET):
            at += timedelta(minutes=rng.randrange(5, 600))
            author, role, visibility = rng.choice(
                (
                    (manager, "staff", "public"),
                    (contractor, "contractor", "public"),
                    (tenant, "tenant", "public"),
                    (manager, "staff", "team"),
                    (manager, "staff", "staff"),
                )
            )
            message_id = f"seed-m-{ticket_id}-{m}"
            body = f"Update {m} on this job."
            messages.append(
                {
                    "id": message_id,
                    "ticket_id": ticket_id,
                    "body": body,
                    "visibility": visibility,
                    "author_id": author,
                    "author_role": role,
                    "created_at": at,
                    "received_at": at,
                    "sync_seq": seq,
                    "created_seq": seq,
                }
            )
            chain.add(
                "message",
                author,
                role,
                visibility,
                {"message_id": message_id, "body": body, "visibility": visibility},
                at,
            )
        for t in range(TIMES_PER_TICKET):
            minutes = rng.choice((30, 45, 60, 90, 120))
            entry_id = f"seed-t-{ticket_id}-{t}"
            times.append(
                {
                    "id": entry_id,
                    "ticket_id": ticket_id,
                    "contractor_id": contractor,
                    "started_at": at,
                    "ended_at": at + timedelta(minutes=minutes),
                    "minutes": minutes,
                    "chargeable": True,
                    "note": "Seeded work",
                    "created_at": at,
                    "received_at": at,
                    "sync_seq": seq,
                    "created_seq": seq,
                }
            )
            chain.add(
                "time_logged",
                contractor,
                "contractor",
                "team",
                {"time_entry_id": entry_id, "minutes": minutes},
                at,
            )
        material_id = f"seed-x-{ticket_id}"
        materials.append(
            {
                "id": material_id,
                "ticket_id": ticket_id,
                "contractor_id": contractor,
                "description": "Copper pipe 15mm",
                "quantity": Decimal("2"),
                "unit": "m",
                "unit_price": Decimal("4.20"),
                "chargeable": True,
                "created_at": at,
                "received_at": at,
                "sync_seq": seq,
                "created_seq": seq,
            }
        )
        chain.add(
            "material_used",
            contractor,
            "contractor",
            "team",
            {"material_id": material_id, "quantity": "2"},
            at,
        )
        events += chain.rows
        row["_head"] = (chain.position, chain.last, at)
    for table, batch in (
        (TicketContractor, links),
        (Assignment, log),
        (Message, messages),
        (TimeEntry, times),
        (Material, materials),
        (TicketEvent, events),
    ):
        db.session.execute(insert(table), batch)
    db.session.execute(
        update(Ticket),
        [
            {
                "id": tid,
                "event_count": r["_head"][0],
                "last_event_hash": r["_head"][1],
                "updated_at": r["_head"][2],
            }
            for tid, r in zip(ticket_ids, rows, strict=True)
        ],
    )
    # Bulk inserts pass by the session's search hook: index these tickets here.
    search.reindex(ticket_ids)


def _analyze() -> None:
    """Fresh planner statistics: without them PostgreSQL (when autovacuum is off or has
    not caught up) estimates a bulk-loaded table as nearly empty and picks sequential
    scans, which made a pull 10x slower in the sync benchmark."""
    db.session.execute(text("ANALYZE"))
    db.session.commit()
