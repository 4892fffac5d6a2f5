"""Agency settings (admins only; staff get the 403 page): ticket types, SLA targets
and their calendars, holidays, canned responses (create, edit, retire). Every change
goes through server.services.settings, read through the API's schemas."""

from datetime import date

from flask import request
from sqlalchemy import select

from server.extensions import db
from server.models import Department, Holiday, SlaPolicy, TicketType
from server.schemas.settings import (
    CannedResponseCreateSchema,
    CannedResponseUpdateSchema,
    HolidaySchema,
    SlaPolicySchema,
    TicketTypeSchema,
)
from server.services import settings
from web.access import signed_in
from web.console import bp
from web.console.actions import act
from web.forms import read_form
from web.rendering import page

PRIORITIES = ("critical", "high", "normal", "low")
NUMBERS = ("first_response_minutes", "resolution_minutes", "warning_percent")
LABELS = {
    "name": "Name",
    "label": "Label",
    "first_response_minutes": "First response (minutes)",
    "resolution_minutes": "Resolution (minutes)",
    "warning_percent": "Warn at (% of the target used)",
    "calendar": "Calendar",
    "day": "Day",
    "title": "Title",
    "body": "Text",
    "department_id": "Department",
}


def _settings_page(caller, *, status=200, errors=None, problem=None, form=""):
    policies = {p.priority: p for p in db.session.scalars(select(SlaPolicy))}
    return page(
        "console/settings/index.html",
        status=status,
        types=db.session.scalars(select(TicketType).order_by(TicketType.name)).all(),
        policies=policies,
        priorities=PRIORITIES,
        holidays=db.session.scalars(
            select(Holiday)
            .where(Holiday.day >= date(date.today().year, 1, 1))
            .order_by(Holiday.day)
        ).all(),
        canned=settings.canned_responses(caller, include_retired=True),
        departments=db.session.execute(
            select(Department.id, Department.name).order_by(Department.name)
        ).all(),
        errors=errors or {},
        problem=problem,
        form=form,
        values=request.form,
        labels=LABELS,
    )


@bp.get("/settings")
@signed_in("admin")
def settings_page(caller):
    return _settings_page(caller)


def _again(caller, form):
    return lambda **e: _settings_page(caller, form=form, **e)


@bp.post("/settings/ticket-types")
@signed_in("admin")
def add_ticket_type(caller):
    def run():
        data = read_form(TicketTypeSchema(), request.form)
        settings.create_ticket_type(caller, data["name"], data["label"])

    return act(
        run, done="/settings#types", message="Ticket type added.", again=_again(caller, "type")
    )


@bp.post("/settings/sla/<any(low, normal, high, critical):priority>")
@signed_in("admin")
def set_sla(caller, priority):
    def run():
        data = _load_policy()
        settings.set_sla_policy(caller, priority, **data)

    return act(
        run,
        done="/settings#sla",
        message=f"SLA targets for {priority} priority saved.",
        again=_again(caller, f"sla-{priority}"),
    )


def _load_policy() -> dict:
    """The policy form through the API's strict schema; an empty target is none."""
    return read_form(
        SlaPolicySchema(),
        request.form,
        nullable=("first_response_minutes", "resolution_minutes"),
        ints=NUMBERS,
    )


@bp.post("/settings/holidays")
@signed_in("admin")
def add_holiday(caller):
    def run():
        data = read_form(HolidaySchema(), request.form)
        settings.add_holiday(caller, data["day"], data["name"])

    return act(
        run, done="/settings#holidays", message="Holiday added.", again=_again(caller, "holiday")
    )


@bp.post("/settings/canned")
@signed_in("admin")
def add_canned(caller):
    def run():
        data = read_form(CannedResponseCreateSchema(), request.form, ints=("department_id",))
        settings.create_canned_response(caller, **data)

    return act(
        run,
        done="/settings#canned",
        message="Canned response saved.",
        again=_again(caller, "canned"),
    )


def _canned_page(caller, response_id, *, status=200, errors=None, problem=None):
    return page(
        "console/settings/canned.html",
        status=status,
        response=settings.get_canned_response(caller, response_id),
        departments=db.session.execute(
            select(Department.id, Department.name).order_by(Department.name)
        ).all(),
        errors=errors or {},
        problem=problem,
        values=request.form,
        labels=LABELS,
    )


@bp.get("/settings/canned/<int:response_id>")
@signed_in("admin")
def canned_page(caller, response_id):
    return _canned_page(caller, response_id)


@bp.post("/settings/canned/<int:response_id>")
@signed_in("admin")
def edit_canned(caller, response_id):
    def run():
        data = read_form(
            CannedResponseUpdateSchema(),
            request.form,
            nullable=("department_id",),
            ints=("department_id",),
        )
        settings.update_canned_response(caller, response_id, data)

    return act(
        run,
        done="/settings#canned",
        message="Canned response saved.",
        again=lambda **e: _canned_page(caller, response_id, **e),
    )


@bp.post("/settings/canned/<int:response_id>/retire")
@signed_in("admin")
def retire_canned(caller, response_id):
    retired = request.form.get("retired", "1") != "0"
    return act(
        lambda: settings.retire_canned_response(caller, response_id, retired),
        done="/settings#canned",
        message="Canned response retired: no longer offered in replies."
        if retired
        else "Canned response offered in replies again.",
        again=lambda **e: _canned_page(caller, response_id, **e),
    )
