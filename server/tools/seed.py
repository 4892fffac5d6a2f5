"""`fieldline seed`: a realistic agency at scale, bulk-inserted (not through the API).

Rows are complete: every ticket has its hash-chained timeline, assignment log and
sync stamps, so `verify`, sync and exports behave on seeded data as on real data.
The agency is made here, its tickets in `seed_tickets`.
"""

import random
from datetime import UTC, date, datetime

from sqlalchemy import func, insert, select, text, update

from server.extensions import db
from server.models import Block, Counter, Department, Tenancy, Unit, User, department_members
from server.passwords import hash_password
from server.services.counters import next_value
from server.tools.seed_tickets import Agency, insert_returning_ids, ticket_batch

SEED_PASSWORD = "fieldline-seed"
BATCH = 1000


def seed(tickets: int, contractors: int, progress=None, seed_value: int = 42) -> dict:
    """Create `tickets` tickets spread over `contractors` contractors; returns counts."""
    rng = random.Random(seed_value)
    now = datetime.now(UTC).replace(microsecond=0)
    agency = _agency(now, tickets, contractors)
    seq = next_value("sync")
    first_ref = _reserve_refs(tickets)
    made = 0
    while made < tickets:
        count = min(BATCH, tickets - made)
        ticket_batch(rng, now, seq, first_ref + made, count, agency, made)
        made += count
        db.session.commit()
        if progress:
            progress(count)
    _analyze()
    return {
        "tickets": tickets,
        "contractors": contractors,
        "blocks": len(agency.blocks),
        "units": len(agency.units),
        "sync_seq": seq,
    }


def _agency(now: datetime, tickets: int, contractors: int) -> Agency:
    """Departments, staff, contractors, a block per 100 tickets with ten flats each and
    a tenant in every flat. Names carry a run number, so seeding twice adds a second
    agency beside the first."""
    run = db.session.scalar(select(func.count()).select_from(User)) or 0
    password = hash_password(SEED_PASSWORD)
    departments = insert_returning_ids(
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
        return insert_returning_ids(User, rows)

    staff = users("staff", 10)
    db.session.execute(
        insert(department_members),
        [{"department_id": departments[i % 5], "user_id": s} for i, s in enumerate(staff)],
    )
    contractor_ids = users("contractor", contractors, company="Seed Trades Ltd")
    blocks = insert_returning_ids(
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
            for i in range(max(1, tickets // 100))
        ],
    )
    units = insert_returning_ids(
        Unit,
        [
            {"block_id": b, "name": f"Flat {n + 1}", "created_at": now}
            for b in blocks
            for n in range(10)
        ],
    )
    tenants = users("tenant", len(units), phone="+44 20 7946 0000")
    db.session.execute(
        insert(Tenancy),
        [
            {"unit_id": u, "tenant_id": t, "starts_on": date(2020, 1, 1), "created_at": now}
            for u, t in zip(units, tenants, strict=True)
        ],
    )
    return Agency(
        departments=departments,
        staff=staff,
        contractors=contractor_ids,
        blocks=blocks,
        units=units,
        unit_block={u: blocks[i // 10] for i, u in enumerate(units)},
        unit_tenant=dict(zip(units, tenants, strict=True)),
        block_department={b: departments[i % 5] for i, b in enumerate(blocks)},
        block_manager={b: staff[i % len(staff)] for i, b in enumerate(blocks)},
        department_staff={
            d: [s for i, s in enumerate(staff) if departments[i % 5] == d] for d in departments
        },
    )


def _reserve_refs(tickets: int) -> int:
    """Take `tickets` consecutive ticket refs at once; returns the first."""
    first_ref = next_value("ticket_ref")
    db.session.execute(
        update(Counter).where(Counter.name == "ticket_ref").values(value=first_ref + tickets - 1)
    )
    return first_ref


def _analyze() -> None:
    """Fresh planner statistics: without them PostgreSQL (when autovacuum is off or has
    not caught up) estimates a bulk-loaded table as nearly empty and picks sequential
    scans, which made a pull 10x slower in the sync benchmark."""
    db.session.execute(text("ANALYZE"))
    db.session.commit()
