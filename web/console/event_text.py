"""Timeline events in plain words: (kind, data) -> one sentence after the actor's name.

Every kind the hash chain records (server.services, sync, delivery_notes, billing) has
a sentence here; a kind added later still reads as words ("did something: kind
words"), never as JSON. Pure: ids the data only names by number (a new owner, a unit)
are looked up by the view once for the whole timeline and passed in as `names`.
"""

from decimal import Decimal, InvalidOperation

from web.formatting import money

STATUS_WORDS = {
    "new": "New",
    "open": "Open",
    "on_hold": "On hold",
    "resolved": "Resolved",
    "closed": "Closed",
}
FIELD_WORDS = {
    "summary": "summary",
    "description": "description",
    "visibility": "who can see it",
    "unit_id": "unit",
    "manager_id": "manager",
    "owner_id": "owner",
    "department_id": "department",
    "deadline_at": "deadline",
    "type": "type",
    "priority": "priority",
    "billing": "billing",
}
# Which lookup a field's id goes through (`names` keys are (table, id)).
ID_FIELDS = {
    "unit_id": "unit",
    "manager_id": "user",
    "owner_id": "user",
    "department_id": "department",
}
CLOCK_WORDS = {"first_response": "first response", "resolution": "resolution"}
TABLE_WORDS = {
    "ticket_messages": "message",
    "time_entries": "hours",
    "materials": "materials",
    "attachments": "file",
    "delivery_notes": "delivery note",
    "tickets": "ticket",
}
SHORT = 80  # longest quoted value before it is cut


def status_word(status) -> str:
    if status is None:
        return "unknown"
    return STATUS_WORDS.get(status, str(status).replace("_", " ").capitalize())


def _quote(value) -> str:
    text = str(value)
    return f"“{text[: SHORT - 1]}…”" if len(text) > SHORT else f"“{text}”"


def _amount(value, currency: str = "GBP") -> str:
    if value is None:
        return "an amount"
    try:
        return money(Decimal(str(value)), currency or "GBP")
    except (InvalidOperation, ValueError):
        return str(value)


def _minutes(total) -> str:
    try:
        total = int(total)
    except (TypeError, ValueError):
        return str(total)
    hours, minutes = divmod(total, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def _size(size) -> str:
    try:
        size = int(size)
    except (TypeError, ValueError):
        return ""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size // 1024} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _value(field: str, value, names: dict) -> str:
    if value is None or value == "":
        return "nothing"
    table = ID_FIELDS.get(field)
    if table:
        return names.get((table, value), f"#{value}")
    if field == "deadline_at":
        return str(value)[:16].replace("T", " ")
    if field in ("priority", "type", "billing", "visibility"):
        return str(value).replace("_", " ")
    return _quote(value)


def _changes(changes: dict, names: dict) -> str:
    parts = []
    for field, change in changes.items():
        words = FIELD_WORDS.get(field, field.replace("_", " "))
        if field == "description":
            parts.append("edited the description")
            continue
        before = _value(field, change.get("from"), names)
        after = _value(field, change.get("to"), names)
        parts.append(f"changed the {words} from {before} to {after}")
    return "; ".join(parts) or "edited the ticket"


def _status(data: dict) -> str:
    text = (
        f"changed the status from {status_word(data.get('from'))} to {status_word(data.get('to'))}"
    )
    return text + (f": {data['reason']}" if data.get("reason") else "")


def _triaged(data: dict, names: dict) -> str:
    to = data.get("to") or {}
    parts = [f"type {_value('type', to.get('type'), names)}"]
    parts.append(f"priority {_value('priority', to.get('priority'), names)}")
    if to.get("billing"):
        parts.append(f"billing {to['billing']}")
    if to.get("department_id") is not None:
        parts.append(f"department {_value('department_id', to['department_id'], names)}")
    if to.get("deadline_at"):
        parts.append(f"deadline {_value('deadline_at', to['deadline_at'], names)}")
    return "triaged the report: " + ", ".join(parts)


def _time(data: dict) -> str:
    entries = data.get("entries") or []
    total = sum(int(e.get("minutes") or 0) for e in entries)
    notes = [e["note"] for e in entries if e.get("note")]
    text = f"logged {_minutes(total)} of work"
    if len(entries) > 1:
        text += f" in {len(entries)} entries"
    if any(e.get("chargeable") is False for e in entries):
        text += " (some not chargeable)"
    return text + (f": {'; '.join(_quote(n) for n in notes[:3])}" if notes else "")


def _materials(data: dict) -> str:
    entries = data.get("entries") or []
    items = []
    for entry in entries[:5]:
        item = f"{entry.get('quantity', '')} {entry.get('unit', '')} {entry.get('description', '')}"
        if entry.get("unit_price") is not None:
            item += f" at {_amount(entry['unit_price'])} each"
        items.append(" ".join(item.split()))
    more = f" and {len(entries) - 5} more" if len(entries) > 5 else ""
    return "used materials: " + ", ".join(items) + more if items else "used materials"


def _conflict(data: dict) -> str:
    if data.get("held"):
        what = TABLE_WORDS.get(data.get("table"), "work")
        return f"sent {what} after their assignment ended: kept and held for staff review"
    detail = data.get("detail") or data.get("reason")
    what = TABLE_WORDS.get(data.get("table"), "change")
    return f"sent a {what} the server resolved its own way" + (f": {detail}" if detail else "")


def _held(data: dict, decision: str, names: dict) -> str:
    what = TABLE_WORDS.get(data.get("table"), "work")
    who = names.get(("user", data.get("contractor_id")), "a contractor")
    return f"{decision} the held {what} of {who}"


def _invoice(data: dict) -> str:
    return f"invoice {data['number']}" if data.get("number") else "the draft invoice"


def _payment(data: dict) -> str:
    currency = data.get("currency") or "GBP"
    text = f"recorded a payment of {_amount(data.get('amount'), currency)} on {_invoice(data)}"
    if data.get("method"):
        text += f" by {data['method']}"
    if data.get("outstanding") is not None:
        text += f"; {_amount(data['outstanding'], currency)} outstanding"
    return text


SENTENCES = {
    "reported": lambda d, n: "reported the problem",
    "message": lambda d, n: "wrote",
    "triaged": _triaged,
    "status_changed": lambda d, n: _status(d),
    "updated": lambda d, n: _changes(d.get("changes") or {}, n),
    "assigned": lambda d, n: f"assigned {d.get('contractor_name', 'a contractor')}",
    "unassigned": lambda d, n: (
        f"unassigned {d.get('contractor_name', 'a contractor')}"
        + (f" ({d['reason']})" if d.get("reason") else "")
    ),
    "marked_duplicate": lambda d, n: (
        f"closed this as a duplicate of {d.get('ref', 'another ticket')}"
    ),
    "duplicate_linked": lambda d, n: (
        f"closed {d.get('ref', 'another ticket')} as a duplicate of this ticket"
    ),
    "attachment_added": lambda d, n: (
        f"attached {d.get('filename', 'a file')}"
        + (f" ({_size(d['size'])})" if d.get("size") is not None else "")
    ),
    "time_logged": lambda d, n: _time(d),
    "material_used": lambda d, n: _materials(d),
    "sync_conflict": lambda d, n: _conflict(d),
    "sla_warning": lambda d, n: (
        f"SLA warning: the {CLOCK_WORDS.get(d.get('clock'), 'SLA')} target runs out soon"
    ),
    "sla_breached": lambda d, n: (
        f"SLA breached: the {CLOCK_WORDS.get(d.get('clock'), 'SLA')} target ran out"
    ),
    "delivery_note_signed": lambda d, n: f"got delivery note {d.get('number', '')} signed",
    "delivery_note_sealed": lambda d, n: (
        f"sealed delivery note {d.get('number', '')} (its signature arrived)"
    ),
    "held_work_approved": lambda d, n: _held(d, "approved", n),
    "held_work_rejected": lambda d, n: _held(d, "rejected", n),
    "invoice_drafted": lambda d, n: (
        f"drafted an invoice for {_amount(d.get('gross_total'))}"
        + (f" from delivery note {d['delivery_note']}" if d.get("delivery_note") else "")
        + (" (with warnings)" if d.get("warnings") else "")
    ),
    "invoice_discarded": lambda d, n: "discarded the draft invoice",
    "invoice_issued": lambda d, n: (
        f"issued {_invoice(d)} for {_amount(d.get('gross_total'), d.get('currency'))}"
    ),
    "invoice_issued_with_warnings": lambda d, n: f"issued {_invoice(d)} despite its warnings",
    "invoice_not_drafted": lambda d, n: (
        "could not draft an invoice"
        + (f" from delivery note {d['delivery_note']}" if d.get("delivery_note") else "")
        + (f": {d['reason']}" if d.get("reason") else "")
    ),
    "invoice_credited": lambda d, n: (
        f"credited {_amount(d.get('credited'))} on {_invoice(d)}"
        + (f" (credit note {d['credit_note_number']})" if d.get("credit_note_number") else "")
        + (f": {d['reason']}" if d.get("reason") else "")
    ),
    "invoice_line_added": lambda d, n: (
        "added a line to the draft invoice"
        + (f" (now {_amount(d['gross_total'])})" if d.get("gross_total") else "")
    ),
    "invoice_line_changed": lambda d, n: (
        "changed a line of the draft invoice"
        + (f" (now {_amount(d['gross_total'])})" if d.get("gross_total") else "")
    ),
    "invoice_line_removed": lambda d, n: (
        "removed a line from the draft invoice"
        + (f" (now {_amount(d['gross_total'])})" if d.get("gross_total") else "")
    ),
    "payment_received": lambda d, n: _payment(d),
    "bill_to_changed": lambda d, n: (
        "changed who the work is billed to"
        + (f": {d['to']}" if isinstance(d.get("to"), str) and d["to"] else "")
    ),
}


def describe(kind: str, data, names: dict | None = None) -> str:
    """The sentence for one event; an unknown kind or odd data reads as plain words."""
    names = names or {}
    data = data if isinstance(data, dict) else {}
    sentence = SENTENCES.get(kind)
    if sentence is not None:
        try:
            return sentence(data, names)
        except (AttributeError, KeyError, TypeError, ValueError):
            pass  # data of an older shape: fall through to the plain default
    return f"recorded: {str(kind).replace('_', ' ')}"


def referenced_ids(events) -> dict[str, set]:
    """Ids named only by number in these (kind, data) pairs, by table, so the view can
    look each table up once for the whole timeline."""
    wanted: dict[str, set] = {"user": set(), "unit": set(), "department": set()}
    for kind, data in events:
        if not isinstance(data, dict):
            continue
        if kind == "updated":
            for field, change in (data.get("changes") or {}).items():
                table = ID_FIELDS.get(field)
                if table and isinstance(change, dict):
                    wanted[table].update(
                        v for v in (change.get("from"), change.get("to")) if isinstance(v, int)
                    )
        elif kind == "triaged":
            department = (data.get("to") or {}).get("department_id")
            if isinstance(department, int):
                wanted["department"].add(department)
        elif kind.startswith("held_work_") and isinstance(data.get("contractor_id"), int):
            wanted["user"].add(data["contractor_id"])
    return wanted
