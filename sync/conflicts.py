"""Pure rules for re-pushed records: is it the same record, and what do we keep?

A device retrying after a lost response pushes the same records again: that must
change nothing. If the user edited a record in between, the version recorded first
stands (others may already have seen it); the other is kept in a conflict event.
"""

from datetime import datetime
from decimal import Decimal

from sync.records import ms

# Device-writable columns compared when the same id is pushed again.
COMPARED = {
    "ticket_messages": ("body", "visibility"),
    "time_entries": ("started_at", "ended_at", "minutes", "chargeable", "note"),
    "materials": ("description", "quantity", "unit", "unit_price", "chargeable"),
    "delivery_notes": ("signed_by", "signed_at", "signature_attachment_id", "work_summary"),
    "attachments": ("message_id", "filename", "content_type", "sha256", "size"),
}


def _normal(value):
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, datetime):
        return ms(value)
    if value == "":
        return None
    return value


def differences(table: str, recorded: dict, pushed: dict) -> list[str]:
    """Columns whose pushed value differs from the recorded one (missing = not sent)."""
    return [
        column
        for column in COMPARED[table]
        if column in pushed and _normal(recorded.get(column)) != _normal(pushed[column])
    ]


def jsonable(record: dict) -> dict:
    """A pushed record as it is kept in a conflict event."""
    out = {}
    for key, value in record.items():
        if isinstance(value, Decimal):
            value = format(value, "f")
        elif isinstance(value, datetime):
            value = ms(value)
        out[key] = value
    return out
