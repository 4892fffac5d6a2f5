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


def describe(ticket_id: int, data: dict) -> dict:
    """One recorded conflict as the device is told it: which record, what kind, why,
    and the office's values next to the phone's (only where they differ).

    Kinds: `edited_again` (a record pushed again with other content; the first
    version stands), `delete_refused` (records are append-only), `status_refused`
    (the job's pushed status was not taken), `held_for_review` (work pushed by a
    contractor no longer on the job), `note_not_applied` (a delivery note is kept but
    could not resolve or invoice the job; `code` says why)."""
    table = data.get("table")
    office, phone = {}, {}
    if data.get("held"):
        kind = "held_for_review"
    elif data.get("pushed") == "deleted":
        kind = "delete_refused"
    elif table == "tickets":
        kind = "status_refused"
        phone = dict(data.get("pushed") or {})
        office = dict(data.get("recorded") or {})
    elif table == "delivery_notes" and "rejected" not in data:
        kind = "note_not_applied"
    else:
        kind = "edited_again"
        recorded = data.get("recorded") or {}
        pushed = data.get("rejected") or data.get("pushed") or {}
        columns = data.get("columns") or [
            c for c in recorded if str(_normal(recorded[c])) != str(_normal(pushed.get(c)))
        ]
        office = {c: recorded.get(c) for c in columns}
        phone = {c: pushed.get(c) for c in columns}
    return {
        "ticket_id": str(ticket_id),
        "table": table,
        "id": data.get("id"),
        "kind": kind,
        "code": data.get("code"),
        "number": data.get("number"),
        "reason": data.get("reason") or data.get("detail") or "",
        "office": office,
        "phone": phone,
    }
