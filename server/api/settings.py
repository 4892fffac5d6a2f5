"""Agency settings: ticket types, SLA policies, holidays, canned responses."""

from flask_smorest import Blueprint
from sqlalchemy import select

from server.api.access import requires
from server.auth import current_caller
from server.extensions import db
from server.models import Holiday, SlaPolicy, TicketType
from server.schemas.settings import (
    CannedResponseCreateSchema,
    CannedResponseSchema,
    CannedResponseUpdateSchema,
    HolidaySchema,
    SlaPolicySchema,
    TicketTypeSchema,
)
from server.services import settings

blp = Blueprint("settings", __name__, url_prefix="/api", description="Agency settings")
STAFF = ("staff", "admin")


@blp.get("/ticket-types")
@requires()
@blp.response(200, TicketTypeSchema(many=True))
def list_ticket_types():
    """Ticket types in use (built-in and configured)."""
    query = select(TicketType).where(TicketType.active.is_(True)).order_by(TicketType.name)
    return db.session.scalars(query).all()


@blp.post("/ticket-types")
@requires("admin")
@blp.arguments(TicketTypeSchema)
@blp.response(201, TicketTypeSchema)
@blp.doc(responses={"409": "CONFLICT"})  # ticket_type_exists
def create_ticket_type(data):
    """Add a ticket type (admin)."""
    return settings.create_ticket_type(current_caller(), **data)


@blp.get("/sla-policies")
@requires(*STAFF)
@blp.response(200, SlaPolicySchema(many=True))
def list_sla_policies():
    """SLA targets per priority, in business minutes."""
    return db.session.scalars(select(SlaPolicy).order_by(SlaPolicy.priority)).all()


@blp.put("/sla-policies/<any(low, normal, high, critical):priority>")
@requires("admin")
@blp.arguments(SlaPolicySchema)
@blp.response(200, SlaPolicySchema)
def set_sla_policy(data, priority):
    """Set the first-response and resolution targets of a priority (admin)."""
    return settings.set_sla_policy(current_caller(), priority, **data)


@blp.get("/holidays")
@requires(*STAFF)
@blp.response(200, HolidaySchema(many=True))
def list_holidays():
    """Holidays excluded from SLA business hours."""
    return db.session.scalars(select(Holiday).order_by(Holiday.day)).all()


@blp.post("/holidays")
@requires("admin")
@blp.arguments(HolidaySchema)
@blp.response(201, HolidaySchema)
@blp.doc(responses={"409": "CONFLICT"})  # holiday_exists
def add_holiday(data):
    """Add a holiday to the SLA calendar (admin)."""
    return settings.add_holiday(current_caller(), **data)


@blp.get("/canned-responses")
@requires(*STAFF)
@blp.response(200, CannedResponseSchema(many=True))
def list_canned_responses():
    """Canned responses for staff replies."""
    return settings.canned_responses(current_caller())


@blp.post("/canned-responses")
@requires(*STAFF)
@blp.arguments(CannedResponseCreateSchema)
@blp.response(201, CannedResponseSchema)
def create_canned_response(data):
    """Save a canned response (staff)."""
    return settings.create_canned_response(current_caller(), **data)


@blp.patch("/canned-responses/<int:response_id>")
@requires("admin")
@blp.arguments(CannedResponseUpdateSchema)
@blp.response(200, CannedResponseSchema)
def update_canned_response(data, response_id):
    """Admin: change a canned response's title, text or department."""
    return settings.update_canned_response(current_caller(), response_id, data)


@blp.post("/canned-responses/<int:response_id>/retire")
@requires("admin")
@blp.response(200, CannedResponseSchema)
def retire_canned_response(response_id):
    """Admin: stop offering a canned response in replies; it stays readable here."""
    return settings.retire_canned_response(current_caller(), response_id)
