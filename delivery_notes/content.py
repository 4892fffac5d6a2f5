"""What a signed delivery note says, frozen, and the hash that vouches for it.

The service builds a `NoteSnapshot` from the database once; the renderer and
the verification page only read it. The content hash covers the note's data
(canonical JSON), not the PDF bytes, so a note re-rendered by a later version
of the renderer still verifies.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

# Bump when the canonical form changes, so old hashes stay explainable.
CANONICAL_VERSION = 1


@dataclass(frozen=True)
class Agency:
    """The agency printed in the header; its logo is presentation, not content."""

    name: str
    address_lines: tuple[str, ...] = ()
    logo_png: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class TimeRow:
    """One time entry; `minutes` is what counts (it may exclude breaks)."""

    started_at: datetime
    ended_at: datetime
    minutes: int
    chargeable: bool

    def __post_init__(self) -> None:
        _require_aware(self.started_at, "started_at")
        _require_aware(self.ended_at, "ended_at")
        if isinstance(self.minutes, bool) or not isinstance(self.minutes, int) or self.minutes < 0:
            raise ValueError("minutes must be a non-negative int")
        _require_bool(self.chargeable)


@dataclass(frozen=True)
class MaterialRow:
    """One material line; the price is kept for hashing but not printed."""

    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal | None
    chargeable: bool

    def __post_init__(self) -> None:
        _require_decimal(self.quantity, "quantity")
        if self.unit_price is not None:
            _require_decimal(self.unit_price, "unit_price")
        _require_bool(self.chargeable)


@dataclass(frozen=True)
class NoteSnapshot:
    """Everything a delivery note shows, as it was when the customer signed."""

    note_id: str
    number: str
    ticket_ref: str
    ticket_summary: str
    block_name: str
    unit_name: str | None
    address: str
    customer_name: str
    signed_at: datetime
    contractor_name: str
    contractor_company: str | None
    work_summary: str
    time_entries: tuple[TimeRow, ...]
    materials: tuple[MaterialRow, ...]
    signature_png: bytes = field(repr=False)
    signature_sha256: str
    verify_url: str
    agency: Agency
    display_timezone: str = "Europe/London"

    def __post_init__(self) -> None:
        _require_aware(self.signed_at, "signed_at")
        # The hash references the signature by digest; make sure it is this image's.
        if hashlib.sha256(self.signature_png).hexdigest() != self.signature_sha256:
            raise ValueError("signature_sha256 does not match signature_png")
        object.__setattr__(self, "time_entries", tuple(self.time_entries))
        object.__setattr__(self, "materials", tuple(self.materials))


@dataclass(frozen=True)
class NoteTotals:
    """Sums printed under the tables; minutes stay exact, hours are for display."""

    total_minutes: int
    chargeable_minutes: int
    total_hours: Decimal
    chargeable_hours: Decimal
    material_lines: int
    chargeable_material_lines: int


def note_totals(snapshot: NoteSnapshot) -> NoteTotals:
    """Add up the time entries and count the material lines."""
    total = sum(row.minutes for row in snapshot.time_entries)
    chargeable = sum(row.minutes for row in snapshot.time_entries if row.chargeable)
    return NoteTotals(
        total_minutes=total,
        chargeable_minutes=chargeable,
        total_hours=minutes_to_hours(total),
        chargeable_hours=minutes_to_hours(chargeable),
        material_lines=len(snapshot.materials),
        chargeable_material_lines=sum(1 for row in snapshot.materials if row.chargeable),
    )


def minutes_to_hours(minutes: int) -> Decimal:
    """Decimal hours to the hundredth, half-up (90 -> 1.50, 20 -> 0.33).

    Integer arithmetic, so the result never depends on the thread's decimal context.
    """
    hundredths = (10 * minutes + 3) // 6  # floor(minutes * 100 / 60 + 1/2)
    return Decimal(f"{hundredths // 100}.{hundredths % 100:02d}")


def canonical_json(snapshot: NoteSnapshot) -> bytes:
    """The note's data as canonical UTF-8 JSON: sorted keys, no whitespace.

    Decimals are plain strings without trailing zeros ("1.5", not "1.50"), so
    a value reloaded from a NUMERIC column hashes like the one pushed.
    Datetimes are UTC ISO 8601 with "Z". The signature is referenced by its
    SHA-256; the agency logo and the verify URL are presentation and left out.
    """
    doc = {
        "v": CANONICAL_VERSION,
        "note_id": snapshot.note_id,
        "number": snapshot.number,
        "ticket_ref": snapshot.ticket_ref,
        "ticket_summary": snapshot.ticket_summary,
        "block_name": snapshot.block_name,
        "unit_name": snapshot.unit_name,
        "address": snapshot.address,
        "customer_name": snapshot.customer_name,
        "signed_at": _utc_iso(snapshot.signed_at),
        "contractor_name": snapshot.contractor_name,
        "contractor_company": snapshot.contractor_company,
        "work_summary": snapshot.work_summary,
        "time_entries": [
            {
                "started_at": _utc_iso(row.started_at),
                "ended_at": _utc_iso(row.ended_at),
                "minutes": row.minutes,
                "chargeable": row.chargeable,
            }
            for row in snapshot.time_entries
        ],
        "materials": [
            {
                "description": row.description,
                "quantity": plain_decimal(row.quantity),
                "unit": row.unit,
                "unit_price": None if row.unit_price is None else plain_decimal(row.unit_price),
                "chargeable": row.chargeable,
            }
            for row in snapshot.materials
        ],
        "signature_sha256": snapshot.signature_sha256,
        "agency": {
            "name": snapshot.agency.name,
            "address_lines": list(snapshot.agency.address_lines),
        },
        "display_timezone": snapshot.display_timezone,
    }
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def content_sha256(snapshot: NoteSnapshot) -> str:
    """Hex SHA-256 of `canonical_json`: printed on the note, checked by /verify."""
    return hashlib.sha256(canonical_json(snapshot)).hexdigest()


def plain_decimal(value: Decimal) -> str:
    """A decimal as plain digits without trailing zeros: 1.50 -> "1.5", 1E+2 -> "100".

    Exact whatever the thread's decimal context (normalize() would round to its precision).
    """
    if value.is_zero():
        return "0"
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _utc_iso(value: datetime) -> str:
    utc = value.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds" if utc.microsecond else "seconds") + "Z"


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


def _require_decimal(value: Decimal, name: str) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(f"{name} must be a finite Decimal")


def _require_bool(value: bool) -> None:
    # 1 and True would print alike but hash differently.
    if not isinstance(value, bool):
        raise ValueError("chargeable must be a bool")
