"""Builders for delivery-note tests: PNG bytes made by hand and note snapshots.

The PNG encoder is hand-written (zlib + struct) so tests can also build
malformed images chunk by chunk.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from delivery_notes.content import Agency, MaterialRow, NoteSnapshot, TimeRow

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)
SIGNED_AT = datetime(2026, 3, 12, 14, 0, tzinfo=UTC)


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def ihdr(
    width: int, height: int, bit_depth: int = 8, colour_type: int = 6, interlace: int = 0
) -> bytes:
    return chunk(
        b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, interlace)
    )


def make_png(
    width: int = 40,
    height: int = 20,
    *,
    bit_depth: int = 8,
    colour_type: int = 6,
    interlace: int = 0,
) -> bytes:
    """A valid PNG whose pixels follow a diagonal stripe pattern (filter type 0 everywhere)."""
    bits = bit_depth * SAMPLES[colour_type]
    passes = ADAM7 if interlace else ((0, 0, 1, 1),)
    raw = bytearray()
    for x0, y0, dx, dy in passes:
        columns = range(x0, width, dx)
        for y in range(y0, height, dy):
            if not columns:
                continue
            row = 0
            for x in columns:
                value = ((x + y) % 5 == 0) * ((1 << bit_depth) - 1)
                if colour_type == 3:
                    value = (x + y) % 2
                for _ in range(SAMPLES[colour_type]):
                    row = (row << bit_depth) | value
            row_bits = len(columns) * bits
            pad = (-row_bits) % 8
            raw += b"\x00" + (row << pad).to_bytes((row_bits + pad) // 8, "big")
    palette = chunk(b"PLTE", bytes([255, 255, 255, 20, 20, 120])) if colour_type == 3 else b""
    return (
        PNG_SIGNATURE
        + ihdr(width, height, bit_depth, colour_type, interlace)
        + palette
        + chunk(b"IDAT", zlib.compress(bytes(raw)))
        + chunk(b"IEND", b"")
    )


def time_rows(
    count: int, start: datetime = datetime(2026, 3, 12, 8, 0, tzinfo=UTC)
) -> tuple[TimeRow, ...]:
    """`count` entries of 45 minutes, 50 minutes apart; every third one not chargeable."""
    return tuple(
        TimeRow(
            started_at=start + timedelta(minutes=50 * i),
            ended_at=start + timedelta(minutes=50 * i + 45),
            minutes=45,
            chargeable=i % 3 != 0,
        )
        for i in range(count)
    )


def make_snapshot(**overrides) -> NoteSnapshot:
    """A complete, signed note with non-ASCII names; override any field."""
    signature = overrides.pop("signature_png", None) or make_png(300, 100)
    fields = dict(
        note_id="0191f2a4-7c1e-7d2b-9a51-3c6e0b8f1d20",
        number="DN-2026-000042",
        ticket_ref="T-2026-0117",
        ticket_summary="Leaking radiator valve in bedroom",
        block_name="Harbour View",
        unit_name="Flat 12",
        address="14 Quay Street\nBristol BS1 4QA",
        customer_name="Zoë Łukasiewicz",
        signed_at=SIGNED_AT,
        contractor_name="Şükrü Ñúñez",
        contractor_company="O'Brien & Sons",
        work_summary="Replaced the thermostatic valve and bled the radiator.\nNo further leaks.",
        time_entries=time_rows(3),
        materials=(
            MaterialRow(
                "Thermostatic radiator valve 15 mm", Decimal("1"), "pc", Decimal("18.50"), True
            ),
            MaterialRow("PTFE tape", Decimal("0.5"), "roll", None, False),
        ),
        signature_png=signature,
        signature_sha256=hashlib.sha256(signature).hexdigest(),
        verify_url="https://fieldline.example/verify/0191f2a4-7c1e-7d2b-9a51-3c6e0b8f1d20",
        agency=Agency("Harbourside Lettings", ("1 Anchor Road", "Bristol BS1 5TT")),
    )
    fields.update(overrides)
    return NoteSnapshot(**fields)


def with_signature(snapshot: NoteSnapshot, png: bytes) -> NoteSnapshot:
    return replace(snapshot, signature_png=png, signature_sha256=hashlib.sha256(png).hexdigest())
