"""Draw a delivery note snapshot as A4 PDF bytes, deterministically (pure; `stored_pdfs`
makes and keeps the PDFs of recorded notes).

Pure: a `NoteSnapshot` in, bytes out; no app, no database, no clock. The same
snapshot gives the same bytes in any process (reportlab's invariant mode, with
the document date and file identifier pinned to the note instead of to the
clock or SOURCE_DATE_EPOCH). Fonts are bundled so names in any European script
render the same on every machine.
"""

from __future__ import annotations

import functools
import hashlib
import io
import itertools
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from delivery_notes.content import (
    NoteSnapshot,
    content_sha256,
    minutes_to_hours,
    note_totals,
    plain_decimal,
)
from delivery_notes.signature_png import inspect_signature_png

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
_FONT_DIR = Path(__file__).with_name("fonts")
_MARGIN = 18 * mm
_FOOTER_HEIGHT = 32 * mm
_BODY_WIDTH = A4[0] - 2 * _MARGIN - 12  # the frame pads 6 pt on each side
_QR_SIZE = 24 * mm
_QR_QUIET_ZONE = 4  # modules of white margin the QR standard asks for
_SIGNATURE_BOX = (70 * mm, 30 * mm)
_LOGO_BOX = (45 * mm, 20 * mm)
# Month names spelled out here: strftime("%b") follows the process locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_GRID = colors.HexColor("#9a9a9a")
_SHADE = colors.HexColor("#ececec")


def render_pdf(snapshot: NoteSnapshot) -> bytes:
    """The signed delivery note as PDF bytes; identical bytes for an identical snapshot."""
    register_fonts()
    digest = content_sha256(snapshot)
    tz = ZoneInfo(snapshot.display_timezone)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_FOOTER_HEIGHT,
        title=f"Delivery note {snapshot.number}",
        author=snapshot.agency.name,
        subject=f"Content SHA-256 {digest}",
        creator="Fieldline",
        producer="Fieldline (ReportLab)",
        keywords=[],
        invariant=1,
        pageCompression=1,
        lang="en-GB",
    )
    doc.build(_story(snapshot, tz), canvasmaker=_note_canvas(snapshot, digest))
    return buffer.getvalue()


@functools.cache
def register_fonts() -> None:
    """Parse the bundled TTFs once per process, on first use rather than at import."""
    pdfmetrics.registerFont(TTFont(FONT, str(_FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(_FONT_DIR / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
    )


@functools.cache
def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=12.5)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.2),
        "agency": ParagraphStyle(
            "agency", parent=body, fontName=FONT_BOLD, fontSize=13, leading=16
        ),
        "title": ParagraphStyle(
            "title", parent=body, fontName=FONT_BOLD, fontSize=17, leading=22, spaceAfter=6
        ),
        "heading": ParagraphStyle(
            "heading",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=11,
            leading=14,
            spaceBefore=9,
            spaceAfter=4,
        ),
        "label": ParagraphStyle("label", parent=body, fontName=FONT_BOLD),
        "total": ParagraphStyle("total", parent=body, fontName=FONT_BOLD, spaceBefore=3),
    }


def _text(value: str) -> str:
    """User text as Paragraph markup: escaped, line breaks kept."""
    return escape(value).replace("\r\n", "\n").replace("\n", "<br/>")


def _when(value: datetime, tz: ZoneInfo) -> str:
    local = value.astimezone(tz)
    return f"{local.day} {_MONTHS[local.month - 1]} {local.year} {local:%H:%M} {local.tzname()}"


def _story(snapshot: NoteSnapshot, tz: ZoneInfo) -> list:
    s = _styles()
    totals = note_totals(snapshot)
    return [
        _header(snapshot),
        Spacer(1, 5 * mm),
        Paragraph(f"Delivery note {_text(snapshot.number)}", s["title"]),
        _facts(snapshot, tz),
        Paragraph("Work performed", s["heading"]),
        Paragraph(_text(snapshot.work_summary) or "—", s["body"]),
        Paragraph("Time on site", s["heading"]),
        _time_table(snapshot, tz),
        Paragraph(
            f"Total hours: {totals.total_hours} · Chargeable hours: {totals.chargeable_hours}",
            s["total"],
        ),
        Paragraph("Materials", s["heading"]),
        _materials_table(snapshot),
        Paragraph(
            f"Material lines: {totals.material_lines}"
            f" · Chargeable: {totals.chargeable_material_lines}",
            s["total"],
        ),
        KeepTogether(_signature_block(snapshot, tz)),
    ]


def _facts(snapshot: NoteSnapshot, tz: ZoneInfo) -> Table:
    s = _styles()
    entries = snapshot.time_entries
    on_site = "—"
    if entries:
        first, last = min(r.started_at for r in entries), max(r.ended_at for r in entries)
        on_site = f"{_when(first, tz)} → {_when(last, tz)}"
    place = ", ".join(p for p in (snapshot.block_name, snapshot.unit_name) if p)
    company = snapshot.contractor_company
    facts = [
        ("Ticket", f"{snapshot.ticket_ref} — {snapshot.ticket_summary}"),
        ("Property", f"{place}\n{snapshot.address}"),
        ("Customer", snapshot.customer_name),
        ("Contractor", snapshot.contractor_name + (f" ({company})" if company else "")),
        ("On site", on_site),
    ]
    rows = [
        [Paragraph(label, s["label"]), Paragraph(_text(text), s["body"])] for label, text in facts
    ]
    style = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, -1), 0)]
    return Table(rows, colWidths=[28 * mm, None], style=style, splitInRow=1, hAlign="LEFT")


def _time_table(snapshot: NoteSnapshot, tz: ZoneInfo) -> Table | Paragraph:
    if not snapshot.time_entries:
        return Paragraph("No time recorded.", _styles()["body"])
    rows = [["Date", "Start", "End", "Hours", "Chargeable"]]
    for entry in snapshot.time_entries:
        start, end = entry.started_at.astimezone(tz), entry.ended_at.astimezone(tz)
        rows.append(
            [
                f"{start.day} {_MONTHS[start.month - 1]} {start.year}",
                f"{start:%H:%M}",
                f"{end:%H:%M}",
                str(minutes_to_hours(entry.minutes)),
                "Yes" if entry.chargeable else "No",
            ]
        )
    widths = [45 * mm, 30 * mm, 30 * mm, 30 * mm, _BODY_WIDTH - 135 * mm]
    return _table(rows, widths, numeric=(3,))


def _materials_table(snapshot: NoteSnapshot) -> Table | Paragraph:
    s = _styles()
    if not snapshot.materials:
        return Paragraph("No materials used.", s["body"])
    rows = [["Description", "Qty", "Unit", "Chargeable"]]
    for item in snapshot.materials:
        rows.append(
            [
                Paragraph(_text(item.description), s["cell"]),
                plain_decimal(item.quantity),
                item.unit,
                "Yes" if item.chargeable else "No",
            ]
        )
    return _table(rows, [_BODY_WIDTH - 77 * mm, 22 * mm, 25 * mm, 30 * mm], numeric=(1,))


def _table(rows: list, widths: list[float], numeric: tuple[int, ...]) -> Table:
    """A bordered table whose header row repeats on every page it spans.

    Rows may split across pages too, so no text a device sends is too long to lay out.
    """
    style = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD),
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("BACKGROUND", (0, 0), (-1, 0), _SHADE),
        ("GRID", (0, 0), (-1, -1), 0.4, _GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    style += [("ALIGN", (col, 0), (col, -1), "RIGHT") for col in numeric]
    return Table(
        rows, colWidths=widths, repeatRows=1, splitInRow=1, style=TableStyle(style), hAlign="LEFT"
    )


def _fit(size: tuple[int, int], box: tuple[float, float]) -> tuple[float, float]:
    scale = min(box[0] / size[0], box[1] / size[1])
    return size[0] * scale, size[1] * scale


def _header(snapshot: NoteSnapshot) -> Table:
    s = _styles()
    agency = [Paragraph(_text(snapshot.agency.name), s["agency"])]
    agency += [Paragraph(_text(line), s["small"]) for line in snapshot.agency.address_lines]
    logo = ""
    if snapshot.agency.logo_png:
        reader = ImageReader(io.BytesIO(snapshot.agency.logo_png))
        width, height = _fit(reader.getSize(), _LOGO_BOX)
        logo = Image(
            io.BytesIO(snapshot.agency.logo_png), width=width, height=height, hAlign="RIGHT"
        )
    style = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (1, 0), (1, 0), "RIGHT"),
        ("LEFTPADDING", (0, 0), (0, 0), 0),
    ]
    return Table([[agency, logo]], colWidths=[None, _LOGO_BOX[0]], style=style)


def _signature_block(snapshot: NoteSnapshot, tz: ZoneInfo) -> list:
    s = _styles()
    width, height = _fit(inspect_signature_png(snapshot.signature_png), _SIGNATURE_BOX)
    image = Image(io.BytesIO(snapshot.signature_png), width=width, height=height)
    box = Table(
        [[image]],
        colWidths=[_SIGNATURE_BOX[0] + 4 * mm],
        rowHeights=[_SIGNATURE_BOX[1] + 4 * mm],
        style=[
            ("BOX", (0, 0), (-1, -1), 0.6, _GRID),
            ("ALIGN", (0, 0), (-1, -1), "CENTER"),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ],
        hAlign="LEFT",
    )
    signed = f"Signed by {_text(snapshot.customer_name)} at {_when(snapshot.signed_at, tz)}"
    return [
        Paragraph("Customer signature", s["heading"]),
        box,
        Spacer(1, 2 * mm),
        Paragraph(signed, s["body"]),
    ]


def _note_canvas(snapshot: NoteSnapshot, digest: str) -> type[Canvas]:
    """A canvas class that holds pages back until the end to print "Page N of M".

    It also pins the document date to `signed_at` and reseeds the file
    identifier from the content hash: reportlab otherwise takes both from
    SOURCE_DATE_EPOCH when that is set in the environment.
    """

    class NoteCanvas(Canvas):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            stamp = self._doc._timeStamp
            stamp.t = int(snapshot.signed_at.timestamp())
            stamp.lt = snapshot.signed_at.utctimetuple()
            stamp.YMDhms = tuple(stamp.lt)[:6]
            stamp.dhh = stamp.dmm = 0
            self._doc.signature = hashlib.md5(
                b"fieldline delivery note " + digest.encode(), usedforsecurity=False
            )
            self._held_pages: list[dict] = []

        def showPage(self) -> None:
            self._held_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held_pages)
            for number, state in enumerate(self._held_pages, start=1):
                self.__dict__.update(state)
                _draw_footer(self, snapshot, digest, number, total)
                super().showPage()
            super().save()

    return NoteCanvas


def _draw_footer(
    canvas: Canvas, snapshot: NoteSnapshot, digest: str, number: int, total: int
) -> None:
    # Aligned with the body text, which the document frame insets by 6 pt.
    left, right = _MARGIN + 6, _MARGIN + 6 + _BODY_WIDTH
    if number == 1:
        _define_qr_form(canvas, snapshot.verify_url)
    canvas.saveState()
    canvas.setStrokeColor(_GRID)
    canvas.setLineWidth(0.4)
    canvas.line(left, _FOOTER_HEIGHT - 4 * mm, right, _FOOTER_HEIGHT - 4 * mm)
    canvas.setFont(FONT, 7.5)
    canvas.drawString(
        left, 22 * mm, f"Delivery note {snapshot.number} · Ticket {snapshot.ticket_ref}"
    )
    canvas.setFont(FONT, 7)
    canvas.drawString(left, 17.5 * mm, f"Content SHA-256: {digest}")
    canvas.drawString(left, 13 * mm, f"Verify: {snapshot.verify_url}")
    canvas.setFont(FONT_BOLD, 7.5)
    canvas.drawString(left, 8.5 * mm, f"Page {number} of {total}")
    canvas.translate(right - _QR_SIZE, 4 * mm)
    canvas.doForm("verify_qr")
    canvas.restoreState()


def _define_qr_form(canvas: Canvas, url: str) -> None:
    """Draw the QR code once, as a form XObject that every page reuses.

    The widget only encodes: drawing its modules as one path of row runs is
    several times faster than rendering the widget's Rect shapes.
    """
    qr = QrCodeWidget(url, barLevel="M").qr
    qr.make()
    count = qr.getModuleCount()
    module = _QR_SIZE / (count + 2 * _QR_QUIET_ZONE)
    canvas.beginForm("verify_qr", 0, 0, _QR_SIZE, _QR_SIZE)
    path = canvas.beginPath()
    for row_index, row in enumerate(qr.modules):
        y = (count - 1 - row_index + _QR_QUIET_ZONE) * module
        column = 0
        for dark, run in itertools.groupby(row):
            length = len(list(run))
            if dark:
                path.rect((column + _QR_QUIET_ZONE) * module, y, length * module, module)
            column += length
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.endForm()
