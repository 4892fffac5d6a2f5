"""The ticket queue: the API's list (same filters, search and cursor) as a table."""

from urllib.parse import urlencode

from flask import request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from server.domain.workflow import PRIORITIES, STATUSES
from server.errors import Invalid
from server.extensions import db
from server.models import Block, Department, Ticket, TicketType
from server.schemas.tickets import TicketListQuerySchema
from server.services import dashboard, ticket_queries
from web.access import STAFF, signed_in
from web.console import bp
from web.forms import read_form
from web.rendering import page

FILTER_LABELS = {
    "q": "Search",
    "status": "Status",
    "priority": "Priority",
    "type": "Type",
    "department": "Department",
    "block": "Block",
    "unit": "Unit",
    "manager": "Manager",
    "owner": "Owner",
    "assignee": "Contractor",
    "sla": "SLA",
    "created_after": "Created from",
    "created_before": "Created before",
    "updated_since": "Updated from",
    "updated_before": "Updated before",
}


@bp.get("/tickets")
@signed_in(*STAFF)
def queue(caller):
    errors = {}
    try:
        filters = read_form(TicketListQuerySchema(), request.args)
    except Invalid as error:
        errors = error.errors or {}
        filters = {"limit": 50}
    result = ticket_queries.list_tickets(caller, filters)
    tickets = result["items"]
    if tickets:  # the rows' block, unit and last author in a fixed number of queries
        db.session.scalars(
            select(Ticket)
            .where(Ticket.id.in_([t.id for t in tickets]))
            .options(selectinload(Ticket.block), selectinload(Ticket.unit))
        ).all()
    next_url = None
    if result["next_cursor"]:
        args = {k: v for k, v in request.args.items() if k != "cursor" and v}
        next_url = "/tickets?" + urlencode({**args, "cursor": result["next_cursor"]})
    first_url = None
    if request.args.get("cursor"):
        first_url = "/tickets?" + urlencode(
            {k: v for k, v in request.args.items() if k != "cursor" and v}
        )
    return page(
        "console/queue.html",
        status=422 if errors else 200,
        tickets=tickets,
        last_events=dashboard.last_events(tickets),
        errors=errors,
        args=request.args,
        labels=FILTER_LABELS,
        statuses=STATUSES,
        priorities=PRIORITIES,
        types=db.session.scalars(select(TicketType.name).order_by(TicketType.name)).all(),
        departments=db.session.scalars(select(Department).order_by(Department.name)).all(),
        blocks=db.session.scalars(select(Block).order_by(Block.name).limit(500)).all(),
        next_url=next_url,
        first_url=first_url,
    )
