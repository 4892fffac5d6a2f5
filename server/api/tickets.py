"""Ticket endpoints: report, list, read, reply, triage, assign, change status, verify."""

from flask_smorest import Blueprint

from server.api.access import requires
from server.auth import current_caller
from server.schemas.tickets import (
    AssignmentCreateSchema,
    AssignmentSchema,
    DuplicateSchema,
    MessageCreateSchema,
    MessageListQuerySchema,
    MessagePageSchema,
    MessageSchema,
    StatusChangeSchema,
    TicketCreateSchema,
    TicketDetailSchema,
    TicketListQuerySchema,
    TicketPageSchema,
    TicketSchema,
    TicketUpdateSchema,
    TriageSchema,
    VerifySchema,
)
from server.scope import get_visible_ticket, readable_visibilities
from server.services import (
    assignments,
    messages,
    ticket_edits,
    ticket_queries,
    tickets,
    timeline,
)

blp = Blueprint("tickets", __name__, url_prefix="/api/tickets", description="Tickets")
# Actions check scope first (404), then the role (403) and the ticket's state (409).
ACTION_ERRORS = {"403": "FORBIDDEN", "409": "CONFLICT"}


@blp.post("")
@requires()
@blp.doc(responses=ACTION_ERRORS)
@blp.arguments(TicketCreateSchema)
@blp.response(201, TicketSchema)
def report(data):
    """Report a problem (tenants, contractors) or open a ticket (staff)."""
    return tickets.report_ticket(current_caller(), **data)


@blp.get("")
@requires()
@blp.arguments(TicketListQuerySchema, location="query")
@blp.response(200, TicketPageSchema)
def list_tickets(filters):
    """Tickets in the caller's scope, newest first, with filters and a cursor."""
    return ticket_queries.list_tickets(current_caller(), filters)


@blp.get("/<int:ticket_id>")
@requires()
@blp.response(200, TicketDetailSchema)
def detail(ticket_id):
    """A ticket with the timeline events the caller may see."""
    caller = current_caller()
    ticket = get_visible_ticket(caller, ticket_id)
    ticket.events = timeline.visible_events(ticket, readable_visibilities(caller))
    ticket.assignments = assignments.assignees(ticket, active_only=False)
    ticket.duplicate_ids = ticket_edits.duplicates_of(ticket)
    return ticket


@blp.patch("/<int:ticket_id>")
@requires()
@blp.doc(responses=ACTION_ERRORS)
@blp.arguments(TicketUpdateSchema)
@blp.response(200, TicketSchema)
def update(data, ticket_id):
    """Staff: change summary, description, visibility, unit, manager, owner, department
    or deadline (null clears it). One `updated` timeline event (team) lists each changed
    field's `from` and `to`; unchanged values add nothing. 409 `ticket_not_triaged`
    before triage, 409 `ticket_closed` on a closed ticket (reopen it first)."""
    return ticket_edits.update_ticket(current_caller(), ticket_id, data)


@blp.post("/<int:ticket_id>/duplicate")
@requires()
@blp.doc(responses=ACTION_ERRORS)
@blp.arguments(DuplicateSchema)
@blp.response(200, TicketSchema)
def mark_duplicate(data, ticket_id):
    """Staff: close this ticket as a duplicate of `duplicate_of` (both visible to the
    caller). Both timelines record the link, the reporter is told which ticket to
    follow. 409 `ticket_closed` if already closed, `duplicate_of_duplicate` if the
    other ticket is itself a duplicate."""
    return ticket_edits.mark_duplicate(current_caller(), ticket_id, data["duplicate_of"])


@blp.get("/<int:ticket_id>/messages")
@requires()
@blp.arguments(MessageListQuerySchema, location="query")
@blp.response(200, MessagePageSchema)
def list_messages(query, ticket_id):
    """The ticket's messages the caller may read (tenants: public; contractors: public
    and team; staff: all), in the order the server received them, a page at a time."""
    return messages.visible_messages(
        current_caller(), ticket_id, query.get("cursor"), query["limit"]
    )


@blp.post("/<int:ticket_id>/messages")
@requires()
@blp.doc(responses=ACTION_ERRORS)
@blp.arguments(MessageCreateSchema)
@blp.response(201, MessageSchema)
def post_message(data, ticket_id):
    """Reply on a ticket (`public` by default; `team` and `staff` as the role allows)."""
    return messages.post_message(current_caller(), ticket_id, data["body"], data["visibility"])


@blp.post("/<int:ticket_id>/triage")
@requires()
@blp.doc(responses=ACTION_ERRORS)
@blp.arguments(TriageSchema)
@blp.response(200, TicketSchema)
def triage(data, ticket_id):
    """Staff: set type and priority (and billing, department, deadline)."""
    return tickets.triage(current_caller(), ticket_id, **data)


@blp.post("/<int:ticket_id>/assignments")
@requires()
@blp.doc(responses=ACTION_ERRORS)
@blp.arguments(AssignmentCreateSchema)
@blp.response(201, AssignmentSchema)
def assign(data, ticket_id):
    """Staff: assign a contractor."""
    return assignments.assign(current_caller(), ticket_id, data["contractor_id"])


@blp.post("/<int:ticket_id>/assignments/<int:contractor_id>/end")
@requires()
@blp.doc(responses=ACTION_ERRORS)
@blp.response(200, AssignmentSchema)
def end_assignment(ticket_id, contractor_id):
    """Staff: end a contractor's assignment (the ticket leaves their device)."""
    return assignments.end_assignment(current_caller(), ticket_id, contractor_id)


@blp.post("/<int:ticket_id>/status")
@requires()
@blp.doc(responses=ACTION_ERRORS)
@blp.arguments(StatusChangeSchema)
@blp.response(200, TicketSchema)
def change_status(data, ticket_id):
    """Resolve, close, reopen or hold a ticket."""
    return tickets.change_status(current_caller(), ticket_id, data["status"], data.get("reason"))


@blp.get("/<int:ticket_id>/verify")
@requires()
@blp.response(200, VerifySchema)
def verify(ticket_id):
    """Recompute the ticket's hash chain and say whether it is intact."""
    return timeline.verify_chain(get_visible_ticket(current_caller(), ticket_id))
