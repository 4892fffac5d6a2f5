"""Render an invoice or credit note to A4 PDF bytes, deterministically: a UK VAT invoice.

Pure: an `InvoiceDocument` in, bytes out; no app, no database, no clock. Same
document, same bytes (reportlab's invariant mode, the PDF date pinned to the
document's own date and the file identifier derived from its number). The
bundled DejaVu fonts are embedded, so names in any European script print the same
everywhere and the file can become a PDF/A-3 Factur-X invoice.

What a UK VAT invoice must show (HMRC VAT Notice 700/21 §16.3) is all here: the
seller's name, address and VAT registration number, a unique number, the invoice
date and the time of supply (tax point), the customer's name and address, each line's
description, quantity, unit price, rate and net amount, the totals and the VAT per
rate. Money always prints with the currency's minor unit ("£1,234.50"); quantities
with two decimals, or none for things counted whole ("2 each"), more only when a
quantity has them.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
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

from billing.money import Line, Totals, minor_unit
from delivery_notes.render import FONT, FONT_BOLD, register_fonts

_MARGIN = 18 * mm
_FOOTER_HEIGHT = 20 * mm
_WIDTH = A4[0] - 2 * _MARGIN - 12  # the frame pads 6 pt on each side
_LOGO_BOX = (45 * mm, 20 * mm)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_GRID = colors.HexColor("#9a9a9a")
_SHADE = colors.HexColor("#ececec")
_MUTED = colors.HexColor("#555555")
SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}
# UN/ECE Recommendation 20 codes (what e-invoices carry) as a reader says them.
UNIT_WORDS = {
    "HUR": "hours",
    "C62": "each",
    "MTR": "m",
    "MTK": "m²",
    "KGM": "kg",
    "GRM": "g",
    "LTR": "litres",
    "BX": "boxes",
    "RO": "rolls",
    "SET": "sets",
    "PK": "packs",
}
# Units counted whole: their quantities print without decimals ("2 each").
_COUNTED = {"C62", "BX", "RO", "SET", "PK"}


@dataclass(frozen=True)
class PaymentDetails:
    """Where the buyer pays: any of UK account (sort code + number) and IBAN."""

    bank_name: str = ""
    sort_code: str = ""
    account_number: str = ""
    iban: str = ""

    def rows(self) -> list[tuple[str, str]]:
        rows = [
            ("Bank", self.bank_name),
            ("Sort code", self.sort_code),
            ("Account number", self.account_number),
            ("IBAN", self.iban),
        ]
        return [(label, value) for label, value in rows if value]


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
    seller_company_number: str | None = None
    buyer_email: str | None = None
    buyer_vat_number: str | None = None
    payment: PaymentDetails | None = None
    terms_days: int = 30
    logo_png: bytes | None = None


def _text(value: str) -> str:
    return escape(value).replace("\r\n", "\n").replace("\n", "<br/>")


def _day(value: date | None) -> str:
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}" if value else "—"


def money(value: Decimal, currency: str) -> str:
    """£1,234.50 / -£12.00; the currency's minor unit, thousands separated."""
    places = minor_unit(currency)
    text = format(abs(value), f",.{places}f")
    symbol = SYMBOLS.get(currency)
    text = f"{symbol}{text}" if symbol else f"{text} {currency}"
    return f"-{text}" if value < 0 else text


def _at_least(value: Decimal, places: int) -> str:
    """`value` with `places` decimals, or more (up to 4) when it has more."""
    exponent = value.normalize().as_tuple().exponent
    shown = max(places, min(4, -exponent if isinstance(exponent, int) else 0))
    return format(value, f",.{shown}f")


def unit_price(value: Decimal, currency: str) -> str:
    """A unit price: money, unless it has sub-penny precision (then up to 4 decimals)."""
    places = minor_unit(currency)
    text = _at_least(abs(value), places)
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def quantity(value: Decimal, unit_code: str) -> str:
    return _at_least(value, 0 if unit_code in _COUNTED else 2)


def unit_word(unit_code: str) -> str:
    return UNIT_WORDS.get(unit_code, unit_code)


def _rate(value: Decimal) -> str:
    return f"{_at_least(value, 0)}%"


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=12.5)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10),
        "muted": ParagraphStyle("muted", parent=body, fontSize=8, leading=10, textColor=_MUTED),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.2),
        "agency": ParagraphStyle(
            "agency", parent=body, fontName=FONT_BOLD, fontSize=13, leading=16
        ),
        "title": ParagraphStyle(
            "title", parent=body, fontName=FONT_BOLD, fontSize=17, leading=22, spaceAfter=4
        ),
        "heading": ParagraphStyle(
            "heading", parent=body, fontName=FONT_BOLD, fontSize=10.5, leading=13, spaceAfter=2
        ),
        "label": ParagraphStyle("label", parent=body, fontName=FONT_BOLD),
    }


def kind_name(document: InvoiceDocument) -> str:
    if document.kind == "credit_note":
        return "Credit note"
    return "VAT invoice" if document.seller_vat_id else "Invoice"


def title_of(document: InvoiceDocument) -> str:
    name = kind_name(document)
    if document.number:
        return f"{name} {document.number}"
    return "Draft " + {"Credit note": "credit note", "Invoice": "invoice"}.get(name, name)


def render_invoice_pdf(document: InvoiceDocument) -> bytes:
    register_fonts()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_FOOTER_HEIGHT + 4 * mm,
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


_TOP = ("VALIGN", (0, 0), (-1, -1), "TOP")
# An outer layout table whose cells hold tables: no padding, so edges line up.
_FLUSH = (("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0))


def _fit(size: tuple[int, int], box: tuple[float, float]) -> tuple[float, float]:
    scale = min(box[0] / size[0], box[1] / size[1])
    return size[0] * scale, size[1] * scale


def _header(document: InvoiceDocument) -> Table:
    """The agency and its logo, as on delivery notes."""
    s = _styles()
    seller = [Paragraph(_text(document.seller_name), s["agency"])]
    seller += [Paragraph(_text(line), s["small"]) for line in document.seller_address_lines]
    legal = []
    if document.seller_vat_id:
        legal.append(f"VAT registration no. {document.seller_vat_id}")
    if document.seller_company_number:
        legal.append(f"Company no. {document.seller_company_number}")
    if legal:
        seller.append(Paragraph(_text(" · ".join(legal)), s["small"]))
    logo = ""
    if document.logo_png:
        try:
            width, height = _fit(ImageReader(io.BytesIO(document.logo_png)).getSize(), _LOGO_BOX)
            logo = Image(io.BytesIO(document.logo_png), width=width, height=height, hAlign="RIGHT")
        except Exception:  # noqa: BLE001 - an unreadable logo prints no logo, not no invoice
            logo = ""
    style = [_TOP, ("ALIGN", (1, 0), (1, 0), "RIGHT"), ("LEFTPADDING", (0, 0), (0, 0), 0)]
    return Table([[seller, logo]], colWidths=[None, _LOGO_BOX[0]], style=style)


def _facts(document: InvoiceDocument) -> list[tuple[str, str]]:
    label = "Credit note no." if document.kind == "credit_note" else "Invoice no."
    facts = [(label, document.number or "— (draft)")]
    facts.append(("Date", _day(document.issue_date)))
    # The invoice date is the time of supply: it is issued when the work is signed off.
    facts.append(("Tax point", _day(document.issue_date)))
    if document.kind == "invoice":
        due = _day(document.due_date) if document.due_date else f"{document.terms_days} days"
        facts.append(("Due date", due))
        facts.append(("Payment terms", f"{document.terms_days} days"))
    if document.credited_number:
        facts.append(("Credits invoice", document.credited_number))
    facts.append(("Ticket", document.ticket_ref))
    return facts


def _parties(document: InvoiceDocument) -> Table:
    s = _styles()
    buyer = [Paragraph("Bill to", s["heading"]), Paragraph(_text(document.buyer_name), s["label"])]
    buyer += [Paragraph(_text(line), s["body"]) for line in document.buyer_address_lines]
    if document.buyer_vat_number:
        buyer.append(Paragraph(_text(f"VAT no. {document.buyer_vat_number}"), s["small"]))
    if document.buyer_email:
        buyer.append(Paragraph(_text(document.buyer_email), s["small"]))
    facts = Table(
        [[Paragraph(k, s["label"]), Paragraph(_text(v), s["body"])] for k, v in _facts(document)],
        colWidths=[36 * mm, 41 * mm],
        style=[
            _TOP,
            ("TOPPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ],
        hAlign="RIGHT",
    )
    return Table(
        [[buyer, facts]],
        colWidths=[_WIDTH - 80 * mm, 80 * mm],
        style=[_TOP, *_FLUSH],
    )


def _story(document: InvoiceDocument) -> list:
    s = _styles()
    story = [
        _header(document),
        Spacer(1, 7 * mm),
        Paragraph(_text(title_of(document)), s["title"]),
    ]
    if document.number is None:
        story.append(
            Paragraph(
                "Draft: not issued yet, so not a valid invoice; its number, dates and "
                "payment details are given when it is issued.",
                s["muted"],
            )
        )
    story += [
        Spacer(1, 3 * mm),
        _parties(document),
        Spacer(1, 5 * mm),
        Paragraph(_text(f"Work: {document.ticket_ref} — {document.ticket_summary}"), s["body"]),
    ]
    if document.reason:
        story.append(Paragraph(_text(f"Reason: {document.reason}"), s["body"]))
    story += [
        Spacer(1, 3 * mm),
        _lines_table(document),
        Spacer(1, 4 * mm),
        KeepTogether(_summary(document)),
    ]
    story += _payment(document)
    return story


def _lines_table(document: InvoiceDocument) -> Table:
    s = _styles()
    currency = document.currency
    rows = [["Description", "Qty", "Unit", "Unit price", "VAT", "Net"]]
    for line in document.lines:
        rows.append(
            [
                Paragraph(_text(line.description), s["cell"]),
                quantity(line.quantity, line.unit_code),
                unit_word(line.unit_code),
                unit_price(line.unit_price, currency),
                _rate(line.vat_rate),
                money(line.net, currency),
            ]
        )
    widths = [_WIDTH - 94 * mm, 16 * mm, 14 * mm, 24 * mm, 12 * mm, 28 * mm]
    style = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD),
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("BACKGROUND", (0, 0), (-1, 0), _SHADE),
        ("GRID", (0, 0), (-1, -1), 0.4, _GRID),
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("ALIGN", (3, 0), (-1, -1), "RIGHT"),
        _TOP,
    ]
    return Table(rows, colWidths=widths, repeatRows=1, splitInRow=1, style=TableStyle(style))


def _summary(document: InvoiceDocument) -> list:
    """The VAT per rate (left) and the totals (right)."""
    currency, totals = document.currency, document.totals
    vat_rows = [["VAT rate", "Net", "VAT"]]
    for row in totals.breakdown:
        vat_rows.append([_rate(row.rate), money(row.taxable, currency), money(row.tax, currency)])
    vat = Table(
        vat_rows,
        colWidths=[20 * mm, 28 * mm, 26 * mm],
        style=[
            ("FONTNAME", (0, 0), (-1, -1), FONT),
            ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD),
            ("FONTSIZE", (0, 0), (-1, -1), 8.5),
            ("BACKGROUND", (0, 0), (-1, 0), _SHADE),
            ("GRID", (0, 0), (-1, -1), 0.4, _GRID),
            ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ],
        hAlign="LEFT",
    )
    last = "Total credited" if document.kind == "credit_note" else "Total due"
    total_rows = [
        ["Total net", money(totals.net_total, currency)],
        ["Total VAT", money(totals.vat_total, currency)],
        [f"{last} ({currency})", money(totals.gross_total, currency)],
    ]
    total = Table(
        total_rows,
        colWidths=[40 * mm, 39 * mm],
        style=[
            ("FONTNAME", (0, 0), (-1, -1), FONT),
            ("FONTNAME", (0, -1), (-1, -1), FONT_BOLD),
            ("FONTSIZE", (0, 0), (-1, -1), 9.5),
            ("FONTSIZE", (0, -1), (-1, -1), 11),
            ("ALIGN", (1, 0), (1, -1), "RIGHT"),
            ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
            ("TOPPADDING", (0, -1), (-1, -1), 5),
        ],
        hAlign="RIGHT",
    )
    return [
        Table(
            [[vat, total]],
            colWidths=[_WIDTH - 79 * mm, 79 * mm],
            style=[_TOP, *_FLUSH],
        )
    ]


def _payment(document: InvoiceDocument) -> list:
    s = _styles()
    if document.kind == "credit_note":
        credited = document.credited_number or "the invoice"
        return [
            Spacer(1, 6 * mm),
            Paragraph(_text(f"This credit note reduces the amount due on {credited}."), s["body"]),
        ]
    if document.number is None:
        return []
    total = money(document.totals.gross_total, document.currency)
    rows = [(label, value) for label, value in (document.payment or PaymentDetails()).rows()]
    if rows:
        rows.insert(0, ("Account name", document.seller_name))
    rows.append(("Payment reference", document.number))
    table = Table(
        [[Paragraph(k, s["label"]), Paragraph(_text(v), s["body"])] for k, v in rows],
        colWidths=[40 * mm, None],
        style=[
            _TOP,
            ("LEFTPADDING", (0, 0), (0, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ],
        hAlign="LEFT",
    )
    how = "by bank transfer" if len(rows) > 1 else ""
    ask = f"Please pay {total} by {_day(document.due_date)} {how}".rstrip()
    return [
        Spacer(1, 7 * mm),
        KeepTogether(
            [
                Paragraph("How to pay", s["heading"]),
                Paragraph(
                    _text(f"{ask}, quoting the payment reference {document.number}."), s["body"]
                ),
                Spacer(1, 2 * mm),
                table,
            ]
        ),
    ]


def _pinned_canvas(document: InvoiceDocument) -> type[Canvas]:
    """Pin the PDF's date to the document and its file id to its number (reportlab
    otherwise takes both from the clock or SOURCE_DATE_EPOCH), and hold the pages back
    to print "Page N of M" in the footer."""
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
            self._held_pages: list[dict] = []

        def showPage(self) -> None:
            self._held_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held_pages)
            for number, state in enumerate(self._held_pages, start=1):
                self.__dict__.update(state)
                _draw_footer(self, document, number, total)
                super().showPage()
            super().save()

    return PinnedCanvas


def _draw_footer(canvas: Canvas, document: InvoiceDocument, number: int, total: int) -> None:
    left, right = _MARGIN + 6, _MARGIN + 6 + _WIDTH
    legal = [document.seller_name]
    if document.seller_company_number:
        legal.append(f"Company no. {document.seller_company_number}")
    if document.seller_vat_id:
        legal.append(f"VAT registration no. {document.seller_vat_id}")
    canvas.saveState()
    canvas.setStrokeColor(_GRID)
    canvas.setLineWidth(0.4)
    canvas.line(left, _FOOTER_HEIGHT - 4 * mm, right, _FOOTER_HEIGHT - 4 * mm)
    canvas.setFont(FONT, 7.5)
    canvas.drawString(left, _FOOTER_HEIGHT - 8.5 * mm, " · ".join(legal))
    canvas.drawString(left, _FOOTER_HEIGHT - 12.5 * mm, title_of(document))
    canvas.setFont(FONT_BOLD, 7.5)
    canvas.drawRightString(right, _FOOTER_HEIGHT - 12.5 * mm, f"Page {number} of {total}")
    canvas.restoreState()
