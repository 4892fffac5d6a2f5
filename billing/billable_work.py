"""What a draft invoice bills: a ticket's chargeable work not yet on an invoice.

Labour is one line per time entry (the date and contractor printed, so the customer
can match it to the delivery note): hours rounded once to 0.01 h × the hourly rate of
the contractor's labour category. A reversing entry (negative minutes) is a negative
line. Materials are quantity × unit price. A rate or price that is unknown becomes a
0.00 line and a warning on the draft, so nothing blocks the device's push and a
person sees what to fix before issuing (auto-issue skips drafts with warnings).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from billing.models import Invoice, InvoiceLine, LabourCategory
from billing.money import LineInput, labour_quantity_hours
from server.extensions import db
from server.models import Material, Ticket, TimeEntry, User
from server.services import held_work

# Material units as devices send them -> UN/ECE Recommendation 20 codes (EN 16931 BT-130).
UNIT_CODES = {
    "": "C62",
    "pc": "C62",
    "pcs": "C62",
    "piece": "C62",
    "each": "C62",
    "ea": "C62",
    "unit": "C62",
    "m": "MTR",
    "metre": "MTR",
    "meter": "MTR",
    "m2": "MTK",
    "kg": "KGM",
    "g": "GRM",
    "l": "LTR",
    "litre": "LTR",
    "liter": "LTR",
    "h": "HUR",
    "hour": "HUR",
    "box": "BX",
    "roll": "RO",
    "set": "SET",
    "pack": "PK",
}
# Invoices that still bill their lines: a credited invoice gives its work back.
BILLING_STATUSES = ("draft", "issued", "partially_paid", "paid")


@dataclass
class DraftLines:
    lines: list[LineInput] = field(default_factory=list)
    sources: list[tuple[str | None, str | None]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, line: LineInput, time_entry_id=None, material_id=None) -> None:
        self.lines.append(line)
        self.sources.append((time_entry_id, material_id))


def vat_rate() -> Decimal:
    return Decimal(str(current_app.config["VAT_RATE"]))


def _setting_amount(name: str) -> Decimal | None:
    text = str(current_app.config[name]).strip()
    return Decimal(text) if text else None


def _invoiced(ticket: Ticket, column) -> set[str]:
    """Source ids of the ticket already billed by an invoice that still counts."""
    return set(
        db.session.scalars(
            select(column)
            .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
            .where(
                Invoice.ticket_id == ticket.id,
                column.is_not(None),
                Invoice.kind == "invoice",
                Invoice.status.in_(BILLING_STATUSES),
            )
        )
    )


def _pending_work(ticket: Ticket):
    billed_entries = _invoiced(ticket, InvoiceLine.time_entry_id)
    billed_materials = _invoiced(ticket, InvoiceLine.material_id)
    # Work held for review (pushed by someone no longer on the ticket) or rejected is
    # never billed; approved work is (server.services.held_work).
    entries = db.session.scalars(
        select(TimeEntry)
        .where(
            TimeEntry.ticket_id == ticket.id,
            TimeEntry.chargeable.is_(True),
            TimeEntry.id.not_in(held_work.not_counting("time_entries")),
        )
        .order_by(TimeEntry.created_at, TimeEntry.id)
    ).all()
    materials = db.session.scalars(
        select(Material)
        .where(
            Material.ticket_id == ticket.id,
            Material.chargeable.is_(True),
            Material.id.not_in(held_work.not_counting("materials")),
        )
        .order_by(Material.created_at, Material.id)
    ).all()
    return (
        [e for e in entries if e.id not in billed_entries and e.minutes],
        [m for m in materials if m.id not in billed_materials and m.quantity],
    )


def _rates(contractor_ids: Iterable[int]) -> dict[int, tuple[Decimal | None, str | None]]:
    """contractor id -> (hourly rate, category name); (None, None) without a category."""
    rows = db.session.execute(
        select(User.id, LabourCategory.hourly_rate, LabourCategory.name)
        .outerjoin(LabourCategory, LabourCategory.id == User.labour_category_id)
        .where(User.id.in_(set(contractor_ids)))
    ).all()
    return {row[0]: (row[1], row[2]) for row in rows}


def draft_lines(ticket: Ticket) -> DraftLines:
    """The lines a new draft for `ticket` gets, in the order they are printed."""
    result = DraftLines()
    rate_vat = vat_rate()
    default_rate = _setting_amount("DEFAULT_HOURLY_RATE")
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    entries, materials = _pending_work(ticket)
    rates = _rates(e.contractor_id for e in entries)
    names = dict(
        db.session.execute(
            select(User.id, User.name).where(User.id.in_({e.contractor_id for e in entries}))
        ).all()
    )
    for entry in entries:
        rate, category = rates.get(entry.contractor_id, (None, None))
        name = names.get(entry.contractor_id, "contractor")
        if rate is None:
            rate = default_rate
            if rate is None:
                result.warnings.append(
                    f"{name} has no labour category and no DEFAULT_HOURLY_RATE is set: "
                    "their hours are billed at 0.00."
                )
                rate = Decimal(0)
        day = (entry.started_at or entry.created_at).astimezone(tz).date().isoformat()
        hours = labour_quantity_hours(abs(entry.minutes))
        label = f"Labour {day}, {name}" + (f" ({category})" if category else "")
        if entry.minutes < 0:
            hours, label = -hours, f"{label}, correction"
        result.add(
            LineInput(label, hours, rate, rate_vat, "labour", "HUR"),
            time_entry_id=entry.id,
        )
    for material in materials:
        price = material.unit_price
        if price is None:
            result.warnings.append(f"Material {material.description!r} has no unit price.")
            price = Decimal(0)
        unit = (material.unit or "").strip()
        code = UNIT_CODES.get(unit.lower())
        description = material.description if code else f"{material.description} ({unit})"
        result.add(
            LineInput(description, material.quantity, price, rate_vat, "material", code or "C62"),
            material_id=material.id,
        )
    fee = _setting_amount("CALLOUT_FEE")
    if fee and result.lines:
        result.add(LineInput("Call-out", Decimal(1), fee, rate_vat, "callout", "C62"))
    return result
