"""What the ticket page shows, read through the API's services with the API's scope.

`ticket_context` gathers everything the page needs in a fixed number of queries,
whatever the length of the timeline: events with their authors, files, names the
events refer to by id, the chain check, the people to pick from.
"""

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, func, select

from billing import service as billing
from billing.models import LabourCategory
from delivery_notes import service as delivery_notes
from delivery_notes.snapshots import content_is_intact
from server.auth import Caller
from server.domain import workflow
from server.errors import NotFound
from server.extensions import db
from server.models import Department, InboundMail, Ticket, TicketContractor, TicketType, Unit, User
from server.scope import WRITABLE, get_visible_ticket, readable_visibilities, user_scope
from server.services import (
    assignments,
    attachments,
    properties,
    ticket_edits,
    ticket_queries,
    timeline,
)
from server.services import settings as settings_service
from server.services.rules import state_of
from web.console import event_text

ROLE_WORDS = {
    "tenant": "Tenant",
    "contractor": "Contractor",
    "staff": "Staff",
    "admin": "Staff",
    "system": "System",
}
VISIBILITY_WORDS = {"public": "Public", "team": "Team", "staff": "Staff only"}  # + a lock icon
VISIBILITY_CHOICES = {
    "public": "Public – the tenant and contractors see it",
    "team": "Team – staff and assigned contractors",
    "staff": "Staff only – never shown to tenants or contractors",
}
STATUS_ACTIONS = {
    "open": "Open",
    "on_hold": "Put on hold",
    "resolved": "Resolve",
    "closed": "Close",
}
IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")
PREVIOUS_LIMIT = 10
OFFLINE_AFTER = timedelta(minutes=5)


def timeline_entries(caller: Caller, ticket: Ticket) -> list[dict]:
    """The events the caller may read, oldest first, messages with their files."""
    events = timeline.visible_events(ticket, readable_visibilities(caller))
    files = attachments.list_attachments(caller, ticket.id)
    by_message: dict = {}
    by_id = {}
    for file in files:
        by_message.setdefault(file.message_id, []).append(file)
        by_id[file.id] = file
    parsed = [(event, _data(event.data)) for event in events]
    names = _names(event_text.referenced_ids((e.kind, d) for e, d in parsed))
    shown_messages = {d.get("message_id") for e, d in parsed if e.kind == "message"}
    mailed, reported_by_mail = _mailed(ticket)
    entries = []
    for event, data in parsed:
        if event.kind == "attachment_added" and data.get("message_id") in shown_messages:
            continue  # shown with its message
        role = event.author_role if event.author_id or event.author_role != "system" else "system"
        entry = {
            "id": event.id,
            "kind": event.kind,
            "author": event.author.name if event.author else "Fieldline",
            "role": role,
            "role_word": ROLE_WORDS.get(role, role.capitalize()),
            "visibility": event.visibility,
            "visibility_word": VISIBILITY_WORDS.get(event.visibility, event.visibility),
            "at": event.created_at,
            "device_time": _offline_time(event),
            "comment": event.kind in ("message", "reported"),
            "held": bool(data.get("held")),
            "approved": bool(data.get("approved")),
            "sentence": event_text.describe(event.kind, data, names),
            "by_mail": (event.kind == "message" and data.get("message_id") in mailed)
            or (event.kind == "reported" and reported_by_mail),
            "body": data.get("body") if event.kind == "message" else data.get("description"),
            "files": [],
        }
        if event.kind == "message":
            entry["files"] = by_message.get(data.get("message_id"), [])
        elif event.kind == "attachment_added" and data.get("attachment_id") in by_id:
            entry["files"] = [by_id[data["attachment_id"]]]
        entries.append(entry)
    return entries


def _mailed(ticket: Ticket) -> tuple[set, bool]:
    """Which of the ticket's messages came in by email, and whether the ticket itself
    was opened by one (one query: the inbound mail log)."""
    rows = db.session.execute(
        select(InboundMail.appended_message_id, InboundMail.status).where(
            InboundMail.ticket_id == ticket.id,
            InboundMail.status.in_(("appended", "new_ticket")),
        )
    ).all()
    return {m for m, _ in rows if m}, any(status == "new_ticket" for _, status in rows)


def _offline_time(event) -> object:
    """When the device wrote it, if that was a while before it arrived (offline work)."""
    if event.device_time is None or abs(event.created_at - event.device_time) < OFFLINE_AFTER:
        return None
    return event.device_time


def _data(raw: str) -> dict:
    try:
        data = json.loads(raw)
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _names(wanted: dict[str, set]) -> dict:
    """(table, id) -> name for the ids events mention by number: one query per table."""
    names = {}
    for table, model, label in (
        ("user", User, User.name),
        ("unit", Unit, Unit.name),
        ("department", Department, Department.name),
    ):
        if wanted.get(table):
            rows = db.session.execute(select(model.id, label).where(model.id.in_(wanted[table])))
            names.update({(table, row_id): name for row_id, name in rows})
    return names


def contractor_choices(caller: Caller) -> list:
    """Active contractors the caller may look up, with trade and current load (active
    assignments), in one grouped query."""
    load = func.count(TicketContractor.ticket_id)
    return db.session.execute(
        select(User.id, User.name, User.company, LabourCategory.name.label("trade"), load)
        .outerjoin(LabourCategory, LabourCategory.id == User.labour_category_id)
        .outerjoin(
            TicketContractor,
            and_(TicketContractor.contractor_id == User.id, TicketContractor.active.is_(True)),
        )
        .where(User.role == "contractor", User.is_active.is_(True), user_scope(caller))
        .group_by(User.id, User.name, User.company, LabourCategory.name)
        .order_by(User.name)
    ).all()


def staff_choices() -> list:
    """Active staff and admins: who may own or manage a ticket (ticket_edits checks it)."""
    return db.session.execute(
        select(User.id, User.name)
        .where(User.role.in_(workflow.STAFF_ROLES), User.is_active.is_(True))
        .order_by(User.name)
    ).all()


def allowed_moves(caller: Caller, ticket: Ticket) -> list[tuple[str, str]]:
    """(status, button words) of every move the workflow allows this caller now."""
    state = state_of(ticket)
    moves = []
    for status in workflow.STATUSES:
        try:
            workflow.check_status_change(state, caller.role, status)
        except workflow.Refused:
            continue
        words = STATUS_ACTIONS.get(status, status)
        if status == "open" and ticket.status in workflow.FINISHED:
            words = "Reopen"
        moves.append((status, words))
    return moves


def ticket_context(caller: Caller, ticket_id: int) -> dict:
    """Everything the ticket page renders (scope first: 404 outside it)."""
    ticket = get_visible_ticket(caller, ticket_id)
    state = state_of(ticket)
    links = assignments.assignees(ticket, active_only=False)
    previous = []
    if ticket.unit_id is not None:
        found = ticket_queries.list_tickets(
            caller, {"unit": ticket.unit_id, "limit": PREVIOUS_LIMIT + 1}
        )
        previous = [t for t in found["items"] if t.id != ticket.id][:PREVIOUS_LIMIT]
    notes = delivery_notes.notes_of(ticket)
    return {
        "ticket": ticket,
        "needs_triage": workflow.needs_triage(state),
        "editable": ticket.status != "closed" and not workflow.needs_triage(state),
        "entries": timeline_entries(caller, ticket),
        "chain": timeline.verify_chain(ticket),
        "active_links": [link for link in links if link.active],
        "past_links": [link for link in links if not link.active],
        "duplicates": _refs(ticket_edits.duplicates_of(ticket)),
        "original": _original(caller, ticket),
        "contractors": contractor_choices(caller),
        "staff": staff_choices(),
        "moves": allowed_moves(caller, ticket),
        "visibilities": [(v, VISIBILITY_CHOICES[v]) for v in WRITABLE[caller.role]],
        "canned": settings_service.canned_responses(caller),
        "types": db.session.execute(
            select(TicketType.name, TicketType.label)
            .where(TicketType.active.is_(True), TicketType.name != "new_enquiry")
            .order_by(TicketType.label)
        ).all(),
        "type_label": db.session.scalar(
            select(TicketType.label).where(TicketType.name == ticket.type)
        )
        or ticket.type,
        "departments": db.session.execute(
            select(Department.id, Department.name).order_by(Department.name)
        ).all(),
        "unit_options": [(u.id, u.name) for u in properties.units_of(ticket.block_id)],
        "notes": [(note, content_is_intact(note)) for note in notes],
        "invoices": billing.list_invoices(caller, ticket.id),
        "previous": previous,
        "priority_options": [(p, p.capitalize()) for p in workflow.PRIORITIES if p != "unassigned"],
        "max_file_mb": current_app.config["ATTACHMENT_MAX_BYTES"] // (1024 * 1024),
        "local_value": _local_value,
        "image_types": IMAGE_TYPES,
    }


def _local_value(moment) -> str:
    """An instant as a datetime-local field's value, in the agency's zone."""
    if moment is None:
        return ""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def _original(caller: Caller, ticket: Ticket) -> Ticket | None:
    """The ticket this one duplicates, if the caller may see it."""
    if ticket.duplicate_of_id is None:
        return None
    try:
        return get_visible_ticket(caller, ticket.duplicate_of_id)
    except NotFound:
        return None


def _refs(ticket_ids: list[int]) -> list:
    if not ticket_ids:
        return []
    return db.session.execute(
        select(Ticket.id, Ticket.ref).where(Ticket.id.in_(ticket_ids)).order_by(Ticket.id)
    ).all()
