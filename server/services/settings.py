"""Admin-managed settings: ticket types, SLA policies, holidays, canned responses."""

from sqlalchemy import select

from server.auth import Caller
from server.errors import Conflict, Invalid, NotFound
from server.extensions import db
from server.models import CannedResponse, Department, Holiday, SlaPolicy, TicketType


def create_ticket_type(caller: Caller, name: str, label: str) -> TicketType:
    if db.session.get(TicketType, name) is not None:
        raise Conflict("This ticket type exists already.", code="ticket_type_exists")
    ticket_type = TicketType(name=name, label=label, built_in=False, active=True)
    db.session.add(ticket_type)
    db.session.flush()
    return ticket_type


def set_sla_policy(
    caller: Caller,
    priority: str,
    *,
    first_response_minutes: int | None = None,
    resolution_minutes: int | None = None,
    warning_percent: int = 80,
    calendar: str = "office_hours",
) -> SlaPolicy:
    """Replace the policy of one priority whole: a member not given is unset (minutes)
    or back to its default (warning percent, calendar)."""
    if priority == "unassigned":
        raise Invalid("Untriaged tickets have no SLA.", errors={"priority": ["not 'unassigned'"]})
    policy = db.session.get(SlaPolicy, priority) or SlaPolicy(priority=priority)
    policy.first_response_minutes = first_response_minutes
    policy.resolution_minutes = resolution_minutes
    policy.warning_percent = warning_percent
    policy.calendar = calendar
    db.session.add(policy)
    db.session.flush()
    return policy


def add_holiday(caller: Caller, day, name: str) -> Holiday:
    if db.session.get(Holiday, day) is not None:
        raise Conflict("This day is a holiday already.", code="holiday_exists")
    holiday = Holiday(day=day, name=name)
    db.session.add(holiday)
    db.session.flush()
    return holiday


def create_canned_response(
    caller: Caller, *, title: str, body: str, department_id: int | None = None
) -> CannedResponse:
    if department_id is not None and not db.session.get(Department, department_id):
        raise Invalid("Unknown department.", errors={"department_id": ["unknown department"]})
    response = CannedResponse(
        created_by_id=caller.id, title=title, body=body, department_id=department_id
    )
    db.session.add(response)
    db.session.flush()
    return response


def canned_responses(caller: Caller) -> list[CannedResponse]:
    """Agency-wide responses plus those of the caller's departments (all, for admins)."""
    query = select(CannedResponse).order_by(CannedResponse.title, CannedResponse.id)
    if caller.role != "admin":
        mine = [d.id for d in caller.user.departments]
        query = query.where(
            CannedResponse.department_id.is_(None) | CannedResponse.department_id.in_(mine)
        )
    return db.session.scalars(query).all()


def get_policy(priority: str) -> SlaPolicy:
    policy = db.session.get(SlaPolicy, priority)
    if policy is None:
        raise NotFound("No SLA policy for this priority.")
    return policy
