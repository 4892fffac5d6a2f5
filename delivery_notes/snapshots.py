"""Freezing a note's content when it is received, and rebuilding it later from the rows.

The same rebuild serves the content hash (at receipt and on /verify) and the PDF,
so what is hashed is exactly what is printed. Hashing needs the signature only by
its digest, which the attachment record declares (the uploaded bytes must match
it), so a note is sealed even when the PNG bytes arrive after the push.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from delivery_notes.content import Agency, MaterialRow, NoteSnapshot, TimeRow, content_sha256
from delivery_notes.models import DeliveryNote
from server.extensions import db
from server.models import Material, Ticket, TimeEntry, User


class ContentMissing(Exception):
    """A row the note refers to is gone: the stored content cannot be rebuilt."""


@dataclass(frozen=True)
class _DigestOnlySnapshot(NoteSnapshot):
    """The note's content with the signature known by its digest alone (no bytes).

    `canonical_json` never reads the bytes, so this hashes exactly like the full
    snapshot the renderer gets once they have arrived.
    """

    def __post_init__(self) -> None:
        object.__setattr__(self, "time_entries", tuple(self.time_entries))
        object.__setattr__(self, "materials", tuple(self.materials))


def freeze_context(ticket: Ticket, contractor: User, note_id: str) -> dict:
    """What the note prints about the ticket, the contractor and the agency, as of now."""
    config = current_app.config
    block, unit = ticket.block, ticket.unit
    address = config["AGENCY_ADDRESS"]
    return {
        "ticket_ref": ticket.ref,
        "ticket_summary": ticket.summary,
        "block_name": block.name,
        "unit_name": unit.name if unit else None,
        "address": block.address,
        "contractor_name": contractor.name,
        "contractor_company": contractor.company,
        "agency_name": config["AGENCY_NAME"],
        "agency_address_lines": [line.strip() for line in address.splitlines() if line.strip()],
        "display_timezone": config["TIMEZONE"],
        "verify_url": verify_url(note_id),
    }


def verify_url(note_id: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/verify/{note_id}"


def select_work(ticket: Ticket, signed_at: datetime) -> tuple[list[str], list[str]]:
    """Ids of the time entries and materials the note covers, in print order.

    A note covers the ticket's work recorded up to the signature (device time)
    that no earlier note of the ticket already covers. Reversing time entries
    (negative minutes) are left off: the printed table has no negative rows.
    """
    covered_entries, covered_materials = set(), set()
    for entry_ids, material_ids in db.session.execute(
        select(DeliveryNote.time_entry_ids, DeliveryNote.material_ids).where(
            DeliveryNote.ticket_id == ticket.id
        )
    ):
        covered_entries.update(json.loads(entry_ids))
        covered_materials.update(json.loads(material_ids))
    entries = db.session.scalars(
        select(TimeEntry)
        .where(
            TimeEntry.ticket_id == ticket.id,
            TimeEntry.created_at <= signed_at,
            TimeEntry.minutes >= 0,
        )
        .order_by(TimeEntry.created_at, TimeEntry.id)
    ).all()
    entries = sorted(
        (e for e in entries if e.id not in covered_entries), key=lambda e: (_time_row(e), e.id)
    )
    materials = db.session.scalars(
        select(Material.id)
        .where(Material.ticket_id == ticket.id, Material.created_at <= signed_at)
        .order_by(Material.created_at, Material.id)
    ).all()
    return [e.id for e in entries], [m for m in materials if m not in covered_materials]


def _time_row(entry: TimeEntry) -> tuple[datetime, datetime]:
    """Start and end of an entry; devices may send only minutes, or only one end."""
    length = timedelta(minutes=entry.minutes)
    start = entry.started_at or (entry.ended_at - length if entry.ended_at else entry.created_at)
    return start, entry.ended_at or start + length


def _rows_in_order(model, ids: list[str]) -> list:
    if not ids:
        return []
    rows = {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)))}
    if len(rows) != len(ids):
        raise ContentMissing(f"{model.__tablename__} referenced by the note are missing")
    return [rows[i] for i in ids]


def build_snapshot(
    note: DeliveryNote,
    *,
    signature_sha256: str | None = None,
    signature_png: bytes | None = None,
    logo_png: bytes | None = None,
) -> NoteSnapshot:
    """The note's snapshot rebuilt from the stored rows.

    With `signature_png`, a full snapshot for rendering (its digest is checked
    against the sealed one); without, one that is good for hashing only.
    """
    context = json.loads(note.context)
    entries = _rows_in_order(TimeEntry, json.loads(note.time_entry_ids))
    materials = _rows_in_order(Material, json.loads(note.material_ids))
    fields = dict(
        note_id=note.id,
        number=note.number,
        ticket_ref=context["ticket_ref"],
        ticket_summary=context["ticket_summary"],
        block_name=context["block_name"],
        unit_name=context["unit_name"],
        address=context["address"],
        customer_name=note.signed_by,
        signed_at=note.signed_at,
        contractor_name=context["contractor_name"],
        contractor_company=context["contractor_company"],
        work_summary=note.work_summary,
        time_entries=tuple(
            TimeRow(*_time_row(e), minutes=e.minutes, chargeable=e.chargeable) for e in entries
        ),
        materials=tuple(
            MaterialRow(m.description, m.quantity, m.unit, m.unit_price, m.chargeable)
            for m in materials
        ),
        signature_sha256=signature_sha256 or note.signature_sha256,
        verify_url=context["verify_url"],
        agency=Agency(
            context["agency_name"], tuple(context["agency_address_lines"]), logo_png=logo_png
        ),
        display_timezone=context["display_timezone"],
    )
    if signature_png is None:
        return _DigestOnlySnapshot(signature_png=b"", **fields)
    return NoteSnapshot(signature_png=signature_png, **fields)


def compute_content_sha256(note: DeliveryNote, signature_sha256: str | None = None) -> str:
    return content_sha256(build_snapshot(note, signature_sha256=signature_sha256))


def content_is_intact(note: DeliveryNote) -> bool:
    """True when the hash recomputed from the stored rows is the one sealed at receipt."""
    if note.content_sha256 is None or note.signature_sha256 is None:
        return False
    try:
        return compute_content_sha256(note) == note.content_sha256
    except (ContentMissing, ValueError, KeyError, TypeError):
        return False


def sealed_notes():
    """`fieldline verify-all`'s check: every sealed note's content hash still matches."""
    from server.integrity import Report

    report = Report("delivery notes")
    notes = db.session.scalars(
        select(DeliveryNote)
        .where(DeliveryNote.content_sha256.is_not(None))
        .order_by(DeliveryNote.id)
    ).yield_per(500)
    for note in notes:
        report.checked += 1
        if not content_is_intact(note):
            report.problems.append(f"delivery note {note.number}: content does not match its hash")
    return report
