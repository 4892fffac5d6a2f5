"""My tickets: the list (mine, those addressed to me, those shared with my flat or
building, marked), a ticket's public timeline with its photos and delivery notes,
and the tenant's actions: reply with photos, close, reopen."""

import json
from urllib.parse import urlencode

from flask import flash, redirect, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from delivery_notes import service as delivery_notes
from server.domain import workflow
from server.errors import DomainError, Invalid
from server.extensions import db
from server.models import Ticket
from server.schemas.tickets import MessageCreateSchema, StatusChangeSchema
from server.scope import get_visible_ticket, is_participant, readable_visibilities
from server.services import attachments, messages, ticket_queries, tickets, timeline
from server.services.rules import state_of
from web.access import signed_in
from web.forms import read_form
from web.portal import bp, photos, wording
from web.rendering import page, problem_text

PAGE_SIZE = 25
IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")


@bp.get("/portal/tickets")
@signed_in("tenant")
def ticket_list(caller):
    filters = {"limit": PAGE_SIZE}
    if request.args.get("cursor"):
        filters["cursor"] = request.args["cursor"][:100]
    result = ticket_queries.list_tickets(caller, filters)
    rows = result["items"]
    if rows:  # block and unit of every row in two queries, however many rows
        db.session.scalars(
            select(Ticket)
            .where(Ticket.id.in_([t.id for t in rows]))
            .options(selectinload(Ticket.block), selectinload(Ticket.unit))
        ).all()
    next_url = None
    if result["next_cursor"]:
        next_url = "/portal/tickets?" + urlencode({"cursor": result["next_cursor"]})
    first_url = "/portal/tickets" if request.args.get("cursor") else None
    return page(
        "portal/tickets.html",
        open_rows=[t for t in rows if t.status != "closed"],
        closed_rows=[t for t in rows if t.status == "closed"],
        shared={t.id: wording.how_shared(t, caller.user.id) for t in rows},
        standing={t.id: wording.standing(t.status, wording.acts(t, caller.user.id)) for t in rows},
        next_url=next_url,
        first_url=first_url,
    )


def _moves(caller, ticket) -> dict[str, bool]:
    """Which of close and reopen the workflow allows the tenant now."""
    allowed = {}
    for target in ("closed", "open"):
        try:
            workflow.check_status_change(state_of(ticket), caller.role, target)
            allowed[target] = True
        except workflow.Refused:
            allowed[target] = False
    return allowed


def _ticket_page(caller, ticket_id, status=200, *, errors=None, values=None, message=None):
    ticket = get_visible_ticket(caller, ticket_id)
    events = timeline.visible_events(ticket, readable_visibilities(caller))
    files = attachments.list_attachments(caller, ticket.id)  # the scope's files only
    by_id = {file.id: file for file in files}
    by_message: dict = {}
    for file in files:
        by_message.setdefault(file.message_id, []).append(file)
    acts = is_participant(caller, ticket)
    entries = []
    for event in events:
        data = json.loads(event.data) if isinstance(event.data, str) else event.data
        if event.kind == "message":
            files_of = by_message.get(data.get("message_id"), [])
            entries.append({"event": event, "body": data.get("body", ""), "files": files_of})
        elif event.kind == "attachment_added":
            file = by_id.get(data.get("attachment_id"))
            if file is None or file.message_id is not None:
                continue  # a reply's file is shown with its reply
            last = entries[-1] if entries else None
            if last and last.get("collects") and last["event"].author_id == event.author_id:
                last["files"].append(file)  # the photos sent with a report stay with it
            else:
                entries.append(
                    {"event": event, "text": "added a file", "files": [file], "collects": True}
                )
        elif event.kind == "reported":
            entries.append(
                {
                    "event": event,
                    "text": wording.event_text(event.kind, data),
                    "body": data.get("description", ""),
                    "files": [],
                    "collects": True,
                }
            )
        else:
            text = wording.event_text(event.kind, data)
            if text:
                entries.append({"event": event, "text": text})
    return page(
        "portal/ticket.html",
        status,
        ticket=ticket,
        entries=entries,
        notes=delivery_notes.notes_of(ticket),
        standing=wording.standing(ticket.status, acts),
        shared=wording.how_shared(ticket, caller.user.id),
        acts=acts,
        moves=_moves(caller, ticket) if acts else {},
        role_words=wording.ROLE_WORDS,
        image_types=IMAGE_TYPES,
        errors=errors or {},
        values=values or {},
        message=message,
    )


@bp.get("/portal/tickets/<int:ticket_id>")
@signed_in("tenant")
def ticket_page(caller, ticket_id):
    return _ticket_page(caller, ticket_id)


@bp.post("/portal/tickets/<int:ticket_id>/reply")
@signed_in("tenant")
def reply(caller, ticket_id):
    body = request.form.get("body", "")[:40000]
    try:
        errors = {}
        try:
            data = read_form(MessageCreateSchema(only=("body",)), {"body": body})
        except Invalid:
            errors["body"] = [
                "Write your message." if not body.strip() else "Keep it under 20,000 characters."
            ]
        chosen = photos.chosen(request.files)
        try:
            photos.check_count(chosen)
        except Invalid as error:
            errors.update(error.errors or {})
        if errors:
            raise Invalid("Check the highlighted fields.", errors=errors)
        message = messages.post_message(caller, ticket_id, data["body"], "public")
        db.session.flush()
        photos.attach(caller, ticket_id, chosen, message_id=message.id)
    except Invalid as error:
        db.session.rollback()  # the reply and any photo before the refused one
        return _ticket_page(caller, ticket_id, 422, errors=error.errors, values={"body": body})
    flash("Your reply has been sent.", "success")
    return redirect(f"/portal/tickets/{ticket_id}#latest", code=303)


@bp.post("/portal/tickets/<int:ticket_id>/status")
@signed_in("tenant")
def change_status(caller, ticket_id):
    try:
        data = read_form(StatusChangeSchema(), request.form)
        tickets.change_status(caller, ticket_id, data["status"], data.get("reason"))
    except DomainError as error:
        if error.status == 404:
            raise
        db.session.rollback()
        return _ticket_page(caller, ticket_id, error.status, message=problem_text(error))
    done = {
        "closed": "You have closed this ticket. Thank you.",
        "open": "You have reopened this ticket: the managing agent will look at it again.",
    }
    flash(done.get(data["status"], "The ticket has been updated."), "success")
    return redirect(f"/portal/tickets/{ticket_id}", code=303)
