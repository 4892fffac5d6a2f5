"""The ticket page's forms: each a real POST to the service the API calls, then a
redirect back to the page (post/redirect/get). A refusal re-renders the page with
the error beside its field and the typed values kept; the request rolls back, so
nothing of a refused action is kept. Outside scope is the 404 page; a role that may
never act gets the 403 page."""

from datetime import datetime
from functools import wraps
from zoneinfo import ZoneInfo

from flask import current_app, flash, redirect, request
from werkzeug.exceptions import RequestEntityTooLarge

from server.errors import DomainError, Invalid, TooLarge
from server.extensions import db
from server.models import Ticket
from server.schemas.tickets import (
    AssignmentCreateSchema,
    DuplicateSchema,
    MessageCreateSchema,
    StatusChangeSchema,
    TicketUpdateSchema,
    TriageSchema,
)
from server.scope import get_visible_ticket, visible_tickets
from server.services import assignments, attachments, messages, ticket_edits, tickets
from web.access import STAFF, signed_in
from web.console import bp
from web.console.ticket_page import render_ticket
from web.forms import read_form
from web.rendering import page

EDIT_GROUPS = {
    "details": ("summary", "description", "visibility"),
    "people": ("manager_id", "owner_id", "department_id", "unit_id"),
    "deadline": ("deadline_at",),
}
NULLABLE = ("unit_id", "manager_id", "owner_id", "department_id", "deadline_at")
STATUS_WORDS = {"open": "open", "on_hold": "on hold", "resolved": "resolved", "closed": "closed"}


def action(form_name: str):
    """A staff action on a ticket: scope first (404), then the service; a refusal of
    the input or of the ticket's state re-renders the page with the form's error."""

    def decorator(view):
        @wraps(view)
        @signed_in(*STAFF)
        def wrapper(caller, ticket_id, *args, **kwargs):
            get_visible_ticket(caller, ticket_id)  # 404 outside scope, before anything
            name = f"{form_name}-{kwargs['group']}" if "group" in kwargs else form_name
            try:
                message = view(caller, ticket_id, *args, **kwargs)
            except DomainError as error:
                if error.status in (401, 403, 404):
                    raise  # the error pages (web.rendering.error_page)
                db.session.rollback()  # nothing of the refused action is kept, or shown
                errors = error.errors if isinstance(error.errors, dict) else {}
                return render_ticket(
                    caller,
                    ticket_id,
                    error.status,
                    errors=errors or {"form": [error.detail]},
                    problem=error.detail,
                    values=request.form.to_dict(),
                    form=name,
                )
            flash(message, "success")
            return redirect(f"/tickets/{ticket_id}", code=303)

        return wrapper

    return decorator


def _local_instant(value: str | None) -> str | None:
    """A browser's datetime-local value ("2026-12-10T14:00") as an instant in the
    agency's zone; anything else is passed on for the schema to refuse in words."""
    if not value:
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(current_app.config["TIMEZONE"]))
    return moment.isoformat()


def _form_with_instants(names=("deadline_at",)) -> dict:
    form = request.form.to_dict()
    for name in names:
        if name in form:
            form[name] = _local_instant(form[name].strip())
    return form


@bp.post("/tickets/<int:ticket_id>/triage")
@action("triage")
def ticket_triage(caller, ticket_id):
    data = read_form(TriageSchema(), _form_with_instants(), ints=("department_id",))
    ticket = tickets.triage(caller, ticket_id, **data)
    return f"Triaged: {ticket.type.replace('_', ' ')}, {ticket.priority} priority."


@bp.post("/tickets/<int:ticket_id>/edit/<group>")
@action("edit")
def ticket_edit(caller, ticket_id, group):
    fields = EDIT_GROUPS.get(group)
    if fields is None:
        raise Invalid("Unknown part of the ticket.", errors={"form": ["unknown form"]})
    form = {k: v for k, v in _form_with_instants().items() if k in (*fields, "csrf_token")}
    for name in fields:
        form.setdefault(name, "")  # a field left empty clears it (where it may be cleared)
    data = read_form(TicketUpdateSchema(), form, nullable=NULLABLE, ints=NULLABLE)
    ticket_edits.update_ticket(caller, ticket_id, data)
    return "Saved."


@bp.post("/tickets/<int:ticket_id>/reply")
@action("reply")
def ticket_reply(caller, ticket_id):
    data = read_form(MessageCreateSchema(), request.form)
    message = messages.post_message(caller, ticket_id, data["body"], data["visibility"])
    db.session.flush()
    files = [f for f in request.files.getlist("files") if f and f.filename]
    for file in files:
        try:
            attachments.add_attachment(
                caller, ticket_id, file.stream, file.filename, file.mimetype, message_id=message.id
            )
        except DomainError as error:
            if error.status in (413, 415):
                raise Invalid(
                    f"{file.filename} was not sent: {error.detail}",
                    errors={"files": [f"{file.filename} was not sent: {error.detail}"]},
                ) from None
            raise
    words = {"public": "Reply sent", "team": "Team note added", "staff": "Staff-only note added"}
    count = f" with {len(files)} file{'s' if len(files) != 1 else ''}" if files else ""
    return f"{words[data['visibility']]}{count}."


@bp.post("/tickets/<int:ticket_id>/assign")
@action("assign")
def ticket_assign(caller, ticket_id):
    data = read_form(AssignmentCreateSchema(), request.form, ints=("contractor_id",))
    link = assignments.assign(caller, ticket_id, data["contractor_id"])
    return f"{link.contractor.name} is assigned."


@bp.post("/tickets/<int:ticket_id>/assignments/<int:contractor_id>/end")
@action("assign")
def ticket_unassign(caller, ticket_id, contractor_id):
    link = assignments.end_assignment(caller, ticket_id, contractor_id)
    return f"{link.contractor.name} is no longer assigned."


@bp.post("/tickets/<int:ticket_id>/status")
@action("status")
def ticket_status(caller, ticket_id):
    data = read_form(StatusChangeSchema(), request.form)
    ticket = tickets.change_status(caller, ticket_id, data["status"], data.get("reason"))
    return f"The ticket is {STATUS_WORDS.get(ticket.status, ticket.status)}."


@bp.post("/tickets/<int:ticket_id>/duplicate")
@action("duplicate")
def ticket_duplicate(caller, ticket_id):
    typed = request.form.get("duplicate_of", "").strip()
    original_id = _ticket_id_of(caller, typed)
    if original_id is None:
        raise Invalid(
            "No ticket you can see has this reference.",
            errors={
                "duplicate_of": ["Enter the reference (like T-000123) of a ticket you can see."]
            },
        )
    data = read_form(DuplicateSchema(), {"duplicate_of": str(original_id)}, ints=("duplicate_of",))
    ticket = ticket_edits.mark_duplicate(caller, ticket_id, data["duplicate_of"])
    original = db.session.get(Ticket, data["duplicate_of"])
    return f"{ticket.ref} is closed as a duplicate of {original.ref}."


def _ticket_id_of(caller, typed: str) -> int | None:
    """The id of a visible ticket typed as its ref ("T-000123", "t-123") or number."""
    text = typed.upper().removeprefix("T-").removeprefix("T").strip()
    if not text.isdigit() or len(text) > 12:
        return None
    number = int(text)
    ids = visible_tickets(caller).with_only_columns(Ticket.id)
    found = db.session.scalar(ids.where(Ticket.ref == f"T-{number:06d}"))
    if found is None and typed.isdigit():  # a bare number may also be the ticket's id
        found = db.session.scalar(ids.where(Ticket.id == number))
    return found


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error):
    """A form bigger than MAX_CONTENT_LENGTH, in words, before anything was read."""
    limit = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    error = TooLarge(
        f"What you sent is larger than {limit} MB altogether. Send fewer or smaller files."
    )
    return page("errors/problem.html", 413, error=error)
