"""The ticket queue: the API's list (same filters, sorts, search and cursor) as a table,
with the caller's saved filter sets above it."""

from urllib.parse import urlencode

from flask import flash, redirect, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from server.domain.workflow import PRIORITIES, STATUSES
from server.errors import DomainError, Invalid
from server.extensions import db
from server.models import Department, Ticket, TicketType
from server.services import dashboard, saved_filters, ticket_queries
from web.access import STAFF, signed_in
from web.console import bp, choices, queue_args
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
    "sort": "Order",
    "created_after": "Created from",
    "created_before": "Created before",
    "updated_since": "Updated from",
    "updated_before": "Updated before",
    "cursor": "Page",
    "limit": "Page size",
    "reporter": "Reporter",
    "name": "Filter name",
    "query": "Filter",
}
SORT_LABELS = {
    "newest": "Newest first",
    "updated": "Recently updated",
    "due": "SLA due soonest",
    "priority": "Highest priority",
}
SLA_LABELS = {"ok": "On time", "warning": "At risk", "breached": "Breached"}


@bp.get("/tickets")
@signed_in(*STAFF)
def queue(caller):
    return _queue_page(caller)


def _queue_page(caller, *, errors=None, status=200, save_name="", args=None):
    args = request.args if args is None else args
    filters, arg_errors = queue_args.load(args)
    errors = {**arg_errors, **(errors or {})}
    try:
        result = ticket_queries.list_tickets(caller, filters)
    except Invalid as error:  # a cursor the service cannot read
        arg_errors = {name: [queue_args.PLAIN.get(name, "Not valid.")] for name in error.errors}
        errors = {**errors, **arg_errors}
        filters = {"limit": 50}
        result = ticket_queries.list_tickets(caller, filters)
    tickets = result["items"]
    if tickets:  # the rows' block and unit in a fixed number of queries
        db.session.scalars(
            select(Ticket)
            .where(Ticket.id.in_([t.id for t in tickets]))
            .options(selectinload(Ticket.block), selectinload(Ticket.unit))
        ).all()
    kept = {k: v for k, v in args.items() if k != "cursor" and v}
    next_url = first_url = None
    if result["next_cursor"] and not arg_errors:
        next_url = "/tickets?" + urlencode({**kept, "cursor": result["next_cursor"]})
    if args.get("cursor"):
        first_url = "/tickets?" + urlencode(kept)
    staff = choices.users_of_role(caller, "staff", "admin")
    return page(
        "console/queue.html",
        status=status if status != 200 else (422 if errors else 200),
        tickets=tickets,
        last_events=dashboard.last_events(tickets),
        errors=errors,
        args=args if not arg_errors else {},
        labels=FILTER_LABELS,
        statuses=STATUSES,
        priorities=PRIORITIES,
        sorts=SORT_LABELS,
        sla_states=SLA_LABELS,
        types=db.session.scalars(select(TicketType.name).order_by(TicketType.name)).all(),
        departments=db.session.scalars(select(Department).order_by(Department.name)).all(),
        blocks=choices.blocks(),
        units=choices.units_of(filters.get("block")),
        staff=staff,
        contractors=choices.users_of_role(caller, "contractor"),
        saved=saved_filters.list_filters(caller),
        current_query=queue_args.filter_query(args) if not arg_errors else "",
        save_name=save_name,
        next_url=next_url,
        first_url=first_url,
    )


@bp.get("/tickets/unit-options")
@signed_in(*STAFF)
def unit_options(caller):
    """The unit select's options for a block (htmx swaps them in; the form works without)."""
    block = request.args.get("block", "")
    units = choices.units_of(int(block)) if block.isdigit() and len(block) < 10 else []
    blank = "Whole block" if request.args.get("blank") == "block" else "Any"
    return page("console/_unit_options.html", units=units, blank=blank)


@bp.post("/tickets/saved-filters")
@signed_in(*STAFF)
def save_filter(caller):
    name = request.form.get("name", "")
    query = request.form.get("query", "")
    args = queue_args.parse_saved(query[:2000])
    try:
        _, errors = queue_args.load(args) if len(query) <= 2000 else ({}, {"query": []})
        if errors or len(query) > 2000 or not query.strip():
            raise Invalid(
                "Apply some filters first; only a valid filter set can be saved.",
                errors={"name": ["Apply some valid filters first, then save them."]},
            )
        saved = saved_filters.save_filter(caller, name=name, query=query)
    except DomainError as error:
        if error.status >= 500 or error.status in (401, 403, 404):
            raise
        db.session.rollback()
        problem = error.errors or {"name": [error.detail]}
        return _queue_page(
            caller, errors=problem, status=error.status, save_name=name[:200], args=args
        )
    flash(f"Saved the filter “{saved.name}”.", "success")
    return redirect("/tickets?" + query, code=303)


@bp.post("/tickets/saved-filters/<int:filter_id>/delete")
@signed_in(*STAFF)
def delete_filter(caller, filter_id):
    saved_filters.delete_filter(caller, filter_id)
    flash("Deleted the saved filter.", "success")
    return redirect("/tickets", code=303)
