"""Open a ticket from the console: for a tenant (reported on their behalf), addressed to
one, or internal. The form is read by the API's TicketCreateSchema and handed to the
API's service (tickets.report_ticket), so it accepts and refuses exactly what
POST /api/tickets does. Choosing a block refreshes its units and tenants (htmx, or
the "Show units and tenants" button without JavaScript)."""

from flask import flash, redirect, request
from sqlalchemy import select

from server.domain.workflow import BILLING, PRIORITIES, TICKET_VISIBILITIES
from server.errors import DomainError, Invalid
from server.extensions import db
from server.models import TicketType
from server.schemas.tickets import TicketCreateSchema
from server.services import tickets
from web.access import STAFF, signed_in
from web.console import bp, choices
from web.forms import read_form
from web.rendering import page

LABELS = {
    "summary": "Summary",
    "description": "Description",
    "block_id": "Block",
    "unit_id": "Unit",
    "for": "Who is it for",
    "tenant_id": "Tenant",
    "reporter_id": "Tenant",
    "addressed_to_id": "Tenant",
    "visibility": "Who can see it",
    "type": "Type",
    "priority": "Priority",
    "billing": "Billing",
}
VISIBILITY_LABELS = {
    "management": "Management only (the reporter and staff)",
    "unit": "Everyone living in the unit",
    "block": "Everyone living in the block",
}
FOR_LABELS = {
    "reporter": "A tenant's report, on their behalf",
    "addressed": "A message to a tenant",
    "internal": "Internal (no tenant)",
}
REQUIRED = {
    "summary": "Enter a summary.",
    "description": "Describe the problem or the work.",
    "block_id": "Choose a block.",
}
# The form's own members, the rest go to the API's schema.
FORM_ONLY = ("for", "tenant_id", "step", "block_q")


def _id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


def _form_page(caller, values: dict, errors=None, status=200):
    block_id, unit_id = _id(values.get("block_id")), _id(values.get("unit_id"))
    return page(
        "console/ticket_new.html",
        status,
        values=values,
        errors=errors or {},
        labels=LABELS,
        blocks=choices.blocks(values.get("block_q") or None),
        units=choices.units_of(block_id),
        tenants=choices.tenants_of(caller, block_id, unit_id),
        types=db.session.scalars(
            select(TicketType).where(TicketType.active.is_(True)).order_by(TicketType.label)
        ).all(),
        priorities=[p for p in PRIORITIES if p != "unassigned"],
        billing=BILLING,
        visibilities=[(v, VISIBILITY_LABELS[v]) for v in TICKET_VISIBILITIES],
        purposes=FOR_LABELS,
    )


@bp.get("/tickets/new")
@signed_in(*STAFF)
def new_ticket(caller):
    values = {
        "for": "reporter",
        "visibility": "management",
        "priority": "normal",
        "billing": "included",
        "type": "general",
    }
    values.update({k: v for k, v in request.args.items() if k in ("block_id", "unit_id")})
    return _form_page(caller, values)


@bp.get("/tickets/new/place")
@signed_in(*STAFF)
def ticket_place(caller):
    """The unit and tenant fields of a block (htmx swaps them in when the block changes)."""
    values = {k: request.args.get(k, "") for k in ("block_id", "unit_id", "tenant_id", "for")}
    block_id, unit_id = _id(values["block_id"]), _id(values["unit_id"])
    units = choices.units_of(block_id)
    if unit_id not in {u.id for u in units}:
        unit_id, values["unit_id"] = None, ""
    return page(
        "console/_ticket_place.html",
        values=values,
        errors={},
        units=units,
        tenants=choices.tenants_of(caller, block_id, unit_id),
    )


@bp.post("/tickets/new")
@signed_in(*STAFF)
def create_ticket(caller):
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    if values.get("step"):  # without JavaScript: show the block's units and tenants
        return _form_page(caller, values)
    try:
        data = read_form(
            TicketCreateSchema(),
            {k: v for k, v in values.items() if k not in FORM_ONLY},
            ints=("block_id", "unit_id"),
        )
        purpose = values.get("for", "internal")
        tenant = values.get("tenant_id", "")
        if purpose not in FOR_LABELS:
            raise Invalid("Choose who the ticket is for.", errors={"for": ["Choose one."]})
        if purpose != "internal":
            tenant_id = _id(tenant)
            if tenant_id is None:
                raise Invalid("Choose the tenant.", errors={"tenant_id": ["Choose the tenant."]})
            data["reporter_id" if purpose == "reporter" else "addressed_to_id"] = tenant_id
        ticket = tickets.report_ticket(caller, **data)
    except DomainError as error:
        if error.status in (401, 403, 404) or error.status >= 500:
            raise
        db.session.rollback()
        errors = dict(error.errors or {"summary": [error.detail]})
        for api_name in ("reporter_id", "addressed_to_id"):
            if api_name in errors:
                errors.pop(api_name)
                errors["tenant_id"] = ["Choose a tenant from the list."]
        for name, messages in errors.items():
            errors[name] = [REQUIRED.get(name, m) if "required" in m else m for m in messages]
        return _form_page(caller, values, errors, error.status)
    flash(f"Ticket {ticket.ref} opened.", "success")
    return redirect(f"/tickets/{ticket.id}", code=303)
