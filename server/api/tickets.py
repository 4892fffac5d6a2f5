"""Ticket endpoints: report, list, read, reply, triage, assign, change status, verify."""

from flask_smorest import Blueprint

from server.api.access import requires
from server.auth import current_caller
from server.schemas.tickets import (
    AssignmentCreateSchema,
    AssignmentSchema,
    MessageCreateSchema,
    MessageSchema,
    StatusChangeSchema,
    TicketCreateSchema,
    TicketDetailSchema,
    TicketListQuerySchema,
    TicketPageSchema,
    TicketSchema,
    TriageSchema,
    VerifySchema,
)
from server.scope import get_visible_ticket, readable_visibilities
from server.services import assignments, messages, ticket_queries, tickets, timeline

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
    return ticket


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
