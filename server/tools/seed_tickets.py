"""The tickets of `fieldline seed`, a batch at a time: rows for each ticket and its whole
history (reported, assigned, messages, time, a material), with the hash-chained
timeline `append_event` would have written, inserted table by table.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, update

from server import search
from server.domain.chain import EventContent, canonical_json, event_hash
from server.extensions import db
from server.models import (
    Assignment,
    Material,
    Message,
    Ticket,
    TicketContractor,
    TicketEvent,
    TimeEntry,
)

STATUSES = ("open", "on_hold", "resolved", "closed", "new")
MESSAGES_PER_TICKET = 10
TIMES_PER_TICKET = 3


def insert_returning_ids(model, rows: list[dict]) -> list[int]:
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


@dataclass
class Agency:
    """The seeded people and homes tickets are spread over (ids only)."""

    departments: list[int]
    staff: list[int]
    contractors: list[int]
    blocks: list[int]
    units: list[int]
    unit_block: dict[int, int]
    unit_tenant: dict[int, int]
    block_department: dict[int, int]
    block_manager: dict[int, int]
    department_staff: dict[int, list[int]]


@dataclass
class _Batch:
    """The rows of one batch of tickets' histories, inserted table by table."""

    events: list[dict] = field(default_factory=list)
    messages: list[dict] = field(default_factory=list)
    times: list[dict] = field(default_factory=list)
    materials: list[dict] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)
    log: list[dict] = field(default_factory=list)


def ticket_batch(rng, now, seq, first_ref, count, agency: Agency, offset) -> None:
    rows = _ticket_rows(rng, now, seq, first_ref, count, agency)
    ticket_ids = insert_returning_ids(Ticket, rows)
    batch = _Batch()
    for n, (ticket_id, row) in enumerate(zip(ticket_ids, rows, strict=True)):
        contractor = agency.contractors[(offset + n) % len(agency.contractors)]
        row["_head"] = _history(rng, seq, ticket_id, row, contractor, batch)
    _write_batch(batch, ticket_ids, rows)


def _handled_by(rng, agency: Agency, block: int) -> dict:
    """Who handles a ticket, as reporting and triage leave it: the block's department
    and manager; one in twenty sent on to another department; three in ten taken
    on by a member of their department as owner."""
    department = agency.block_department[block]
    if rng.random() < 0.05:
        department = rng.choice(agency.departments)
    owner = None
    if rng.random() < 0.3:
        owner = rng.choice(agency.department_staff[department])
    return {
        "department_id": department,
        "manager_id": agency.block_manager[block],
        "owner_id": owner,
    }


def _ticket_rows(rng, now, seq, first_ref, count, agency: Agency) -> list[dict]:
    """Triaged tickets at random homes, in random states, over the last two years."""
    rows = []
    for i in range(count):
        unit = rng.choice(agency.units)
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
                "block_id": agency.unit_block[unit],
                "unit_id": unit,
                **_handled_by(rng, agency, agency.unit_block[unit]),
                "reporter_id": agency.unit_tenant[unit],
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
    return rows


def _history(rng, seq, ticket_id: int, row: dict, contractor: int, batch: _Batch) -> tuple:
    """One ticket's life: reported, assigned, messages, time and a material, each with
    its timeline event. Returns the chain head (event count, last hash, last time)."""
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
    _assign(seq, ticket_id, contractor, manager, at, chain, batch)
    at = _messages(rng, seq, ticket_id, (manager, contractor, tenant), at, chain, batch)
    at = _time_entries(rng, seq, ticket_id, contractor, at, chain, batch)
    _material(seq, ticket_id, contractor, at, chain, batch)
    batch.events += chain.rows
    return chain.position, chain.last, at


def _assign(seq, ticket_id, contractor, manager, at, chain: _Chain, batch: _Batch) -> None:
    batch.links.append(
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
    batch.log.append(
        {
            "ticket_id": ticket_id,
            "contractor_id": contractor,
            "action": "start",
            "by_id": manager,
            "at": at,
        }
    )
    chain.add("assigned", manager, "staff", "public", {"contractor_id": contractor}, at)


def _messages(rng, seq, ticket_id, people, at, chain: _Chain, batch: _Batch) -> datetime:
    """MESSAGES_PER_TICKET messages by random authors at every visibility."""
    manager, contractor, tenant = people
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
        batch.messages.append(
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
    return at


def _time_entries(rng, seq, ticket_id, contractor, at, chain: _Chain, batch: _Batch) -> datetime:
    for t in range(TIMES_PER_TICKET):
        minutes = rng.choice((30, 45, 60, 90, 120))
        entry_id = f"seed-t-{ticket_id}-{t}"
        batch.times.append(
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
    return at


def _material(seq, ticket_id, contractor, at, chain: _Chain, batch: _Batch) -> None:
    material_id = f"seed-x-{ticket_id}"
    batch.materials.append(
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


def _write_batch(batch: _Batch, ticket_ids: list[int], rows: list[dict]) -> None:
    """Insert the histories, move each ticket's chain head, index the tickets."""
    for table, values in (
        (TicketContractor, batch.links),
        (Assignment, batch.log),
        (Message, batch.messages),
        (TimeEntry, batch.times),
        (Material, batch.materials),
        (TicketEvent, batch.events),
    ):
        db.session.execute(insert(table), values)
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
