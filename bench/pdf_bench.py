"""How long a delivery note takes to render, against a floor measured in the same run.

The floor draws the note's own text, page by page, straight onto a bare
reportlab canvas with drawString and the same bundled font: what any PDF with
this text must cost. The ratio says what the layout (platypus, tables, images,
QR code) adds, and stays comparable across machines where raw milliseconds do
not. Target: a one-page note renders in 30 ms or less (median).

    python bench/pdf_bench.py [--repeat N]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image, ImageDraw  # noqa: E402  (Pillow comes with reportlab)
from pypdf import PdfReader  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from delivery_notes.content import Agency, MaterialRow, NoteSnapshot, TimeRow  # noqa: E402
from delivery_notes.render import FONT, register_fonts, render_pdf  # noqa: E402

TARGET_ONE_PAGE_MS = 30.0


def signature_png() -> bytes:
    image = Image.new("RGBA", (600, 200), (255, 255, 255, 0))
    ImageDraw.Draw(image).line(
        [(20, 150), (120, 40), (220, 160), (340, 50), (480, 140), (580, 70)], fill="navy", width=5
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def snapshot(entries: int) -> NoteSnapshot:
    start = datetime(2026, 3, 12, 8, 0, tzinfo=UTC)
    signature = signature_png()
    return NoteSnapshot(
        note_id="0191f2a4-7c1e-7d2b-9a51-3c6e0b8f1d20",
        number="DN-2026-000042",
        ticket_ref="T-2026-0117",
        ticket_summary="Leaking radiator valve in bedroom",
        block_name="Harbour View",
        unit_name="Flat 12",
        address="14 Quay Street\nBristol BS1 4QA",
        customer_name="Zoë Łukasiewicz",
        signed_at=start + timedelta(hours=6),
        contractor_name="Şükrü Ñúñez",
        contractor_company="O'Brien & Sons",
        work_summary="Replaced the thermostatic valve, bled the radiator, checked for leaks.",
        time_entries=tuple(
            TimeRow(
                start + timedelta(minutes=50 * i),
                start + timedelta(minutes=50 * i + 45),
                45,
                i % 3 != 0,
            )
            for i in range(entries)
        ),
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


def floor_pdf(pages: list[list[str]]) -> bytes:
    """The same text, line by line, on a bare canvas: the least any renderer must do."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    for lines in pages:
        canvas.setFont(FONT, 9)
        y = A4[1] - 50
        for line in lines:
            canvas.drawString(50, y, line)
            y -= 11
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def median_ms(action, repeat: int) -> float:
    action()  # warm caches (fonts, imports) outside the timing
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=30, help="timed renders per case (default 30)"
    )
    repeat = parser.parse_args().repeat
    register_fonts()

    rows = []
    for label, entries in (
        ("1-page note (3 time entries)", 3),
        ("long note (200 time entries)", 200),
    ):
        note = snapshot(entries)
        pdf = render_pdf(note)
        pages = [page.extract_text().splitlines() for page in PdfReader(io.BytesIO(pdf)).pages]
        note_ms = median_ms(lambda note=note: render_pdf(note), repeat)
        floor_ms = median_ms(lambda pages=pages: floor_pdf(pages), repeat)
        rows.append((label, len(pages), note_ms, floor_ms))

    print(f"{'case':<30} {'pages':>5} {'median ms':>10} {'floor ms':>9} {'ratio':>6}")
    for label, pages, note_ms, floor_ms in rows:
        print(
            f"{label:<30} {pages:>5} {note_ms:>10.1f} {floor_ms:>9.1f} {note_ms / floor_ms:>6.1f}"
        )
    one_page_ms = rows[0][2]
    verdict = "met" if one_page_ms <= TARGET_ONE_PAGE_MS else "NOT met"
    target = f"1-page median <= {TARGET_ONE_PAGE_MS:.0f} ms"
    print(f"target: {target}: {verdict} ({one_page_ms:.1f} ms, {repeat} runs each)")


if __name__ == "__main__":
    main()
