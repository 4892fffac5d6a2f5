"""Admin-managed settings: ticket types, SLA policies, holidays, canned responses."""

from sqlalchemy import select

from server.auth import Caller
from server.db import utcnow
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


def get_canned_response(caller: Caller, response_id: int) -> CannedResponse:
    response = db.session.get(CannedResponse, response_id)
    if response is None:
        raise NotFound("No such canned response.", code="canned_response_not_found")
    return response


def update_canned_response(caller: Caller, response_id: int, changes: dict) -> CannedResponse:
    """Change a response's title, text or department (only the members given)."""
    response = get_canned_response(caller, response_id)
    if changes.get("department_id") is not None and not db.session.get(
        Department, changes["department_id"]
    ):
        raise Invalid("Unknown department.", errors={"department_id": ["unknown department"]})
    for key, value in changes.items():
        setattr(response, key, value)
    db.session.flush()
    return response


def retire_canned_response(caller: Caller, response_id: int, retired: bool = True):
    """Stop offering a response when replying (or offer it again). It is never deleted:
    replies that used it keep their text, and the settings page still shows it."""
    response = get_canned_response(caller, response_id)
    if retired and response.retired_at is None:
        response.retired_at = utcnow()
    elif not retired:
        response.retired_at = None
    db.session.flush()
    return response


def canned_responses(caller: Caller, *, include_retired: bool = False) -> list[CannedResponse]:
    """Agency-wide responses plus those of the caller's departments (all, for admins);
    retired ones only when asked for (the settings page), never in the reply picker."""
    query = select(CannedResponse).order_by(CannedResponse.title, CannedResponse.id)
    if not include_retired:
        query = query.where(CannedResponse.retired_at.is_(None))
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
