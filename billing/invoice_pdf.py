"""Render an invoice or credit note to A4 PDF bytes, deterministically.

Pure: an `InvoiceDocument` in, bytes out; no app, no database, no clock. Same
document, same bytes (reportlab's invariant mode, the PDF date pinned to the
document's own date and the file identifier derived from its number). The
bundled DejaVu fonts are embedded, so names in any European script print the same
everywhere and the file can become a PDF/A-3 Factur-X invoice.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from billing.money import Line, Totals, price_str, to_str
from delivery_notes.render import FONT, FONT_BOLD, register_fonts

_MARGIN = 18 * mm
_WIDTH = A4[0] - 2 * _MARGIN - 12
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_GRID = colors.HexColor("#9a9a9a")
_SHADE = colors.HexColor("#ececec")


@dataclass(frozen=True)
class InvoiceDocument:
    """Everything printed on an invoice; `number` None for a draft."""

    kind: str  # invoice | credit_note
    number: str | None
    issue_date: date | None
    due_date: date | None
    document_time: datetime  # pinned into the PDF metadata
    currency: str
    seller_name: str
    seller_address_lines: tuple[str, ...]
    seller_vat_id: str | None
    buyer_name: str
    buyer_address_lines: tuple[str, ...]
    ticket_ref: str
    ticket_summary: str
    lines: tuple[Line, ...]
    totals: Totals
    credited_number: str | None = None
    reason: str | None = None


def _text(value: str) -> str:
    return escape(value).replace("\r\n", "\n").replace("\n", "<br/>")


def _day(value: date | None) -> str:
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}" if value else "—"


def _plain(value) -> str:
    """A quantity or price without trailing zeros ("1.5", "18.5", "100")."""
    text = to_str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=12.5)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.2),
        "agency": ParagraphStyle("agency", parent=body, fontName=FONT_BOLD, fontSize=13),
        "title": ParagraphStyle(
            "title", parent=body, fontName=FONT_BOLD, fontSize=17, leading=22, spaceAfter=6
        ),
        "label": ParagraphStyle("label", parent=body, fontName=FONT_BOLD),
    }


def title_of(document: InvoiceDocument) -> str:
    name = "Credit note" if document.kind == "credit_note" else "Invoice"
    return f"{name} {document.number}" if document.number else f"Draft {name.lower()}"


def render_invoice_pdf(document: InvoiceDocument) -> bytes:
    register_fonts()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN,
        title=title_of(document),
        author=document.seller_name,
        subject=f"{title_of(document)} for {document.ticket_ref}",
        creator="Fieldline",
        producer="Fieldline (ReportLab)",
        keywords=[],
        invariant=1,
        pageCompression=1,
        lang="en-GB",
    )
    doc.build(_story(document), canvasmaker=_pinned_canvas(document))
    return buffer.getvalue()


def _story(document: InvoiceDocument) -> list:
    s = _styles()
    seller = [Paragraph(_text(document.seller_name), s["agency"])]
    seller += [Paragraph(_text(line), s["small"]) for line in document.seller_address_lines]
    if document.seller_vat_id:
        seller.append(Paragraph(f"VAT {_text(document.seller_vat_id)}", s["small"]))
    buyer = [Paragraph("Bill to", s["label"]), Paragraph(_text(document.buyer_name), s["body"])]
    buyer += [Paragraph(_text(line), s["small"]) for line in document.buyer_address_lines]
    facts = [
        ("Date", _day(document.issue_date)),
        ("Ticket", f"{document.ticket_ref} — {document.ticket_summary}"),
    ]
    if document.due_date:
        facts.append(("Due", _day(document.due_date)))
    if document.credited_number:
        facts.append(("Credits", document.credited_number))
    if document.reason:
        facts.append(("Reason", document.reason))
    story = [
        Table([[seller, buyer]], colWidths=[_WIDTH / 2, _WIDTH / 2], style=[_TOP]),
        Spacer(1, 6 * mm),
        Paragraph(_text(title_of(document)), s["title"]),
        Table(
            [[Paragraph(k, s["label"]), Paragraph(_text(v), s["body"])] for k, v in facts],
            colWidths=[25 * mm, None],
            style=[_TOP, ("LEFTPADDING", (0, 0), (0, -1), 0)],
            hAlign="LEFT",
        ),
        Spacer(1, 4 * mm),
        _lines_table(document),
        Spacer(1, 3 * mm),
        _totals_table(document),
    ]
    return story


_TOP = ("VALIGN", (0, 0), (-1, -1), "TOP")


def _lines_table(document: InvoiceDocument) -> Table:
    s = _styles()
    rows = [["Description", "Qty", "Unit", "Price", "VAT %", f"Net {document.currency}"]]
    for line in document.lines:
        rows.append(
            [
                Paragraph(_text(line.description), s["cell"]),
                _plain(line.quantity),
                line.unit_code,
                price_str(line.unit_price),
                _plain(line.vat_rate),
                to_str(line.net),
            ]
        )
    widths = [_WIDTH - 110 * mm, 18 * mm, 14 * mm, 24 * mm, 16 * mm, 38 * mm]
    style = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD),
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("BACKGROUND", (0, 0), (-1, 0), _SHADE),
        ("GRID", (0, 0), (-1, -1), 0.4, _GRID),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        _TOP,
    ]
    return Table(rows, colWidths=widths, repeatRows=1, splitInRow=1, style=TableStyle(style))


def _totals_table(document: InvoiceDocument) -> Table:
    totals = document.totals
    rows = [["Net total", to_str(totals.net_total)]]
    for row in totals.breakdown:
        rows.append([f"VAT {_plain(row.rate)} % on {to_str(row.taxable)}", to_str(row.tax)])
    rows.append([f"Total {document.currency}", to_str(totals.gross_total)])
    style = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTNAME", (0, -1), (-1, -1), FONT_BOLD),
        ("FONTSIZE", (0, 0), (-1, -1), 9.5),
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
    ]
    return Table(rows, colWidths=[70 * mm, 38 * mm], style=style, hAlign="RIGHT")


def _pinned_canvas(document: InvoiceDocument) -> type[Canvas]:
    """Pin the PDF's date to the document and its file id to its number: reportlab
    otherwise takes both from the clock or SOURCE_DATE_EPOCH."""
    when = document.document_time
    seed = f"fieldline invoice {document.kind} {document.number} {when.isoformat()}"

    class PinnedCanvas(Canvas):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            stamp = self._doc._timeStamp
            stamp.t = int(when.timestamp())
            stamp.lt = when.utctimetuple()
            stamp.YMDhms = tuple(stamp.lt)[:6]
            stamp.dhh = stamp.dmm = 0
            self._doc.signature = hashlib.md5(seed.encode(), usedforsecurity=False)

    return PinnedCanvas
