"""People: the directory (people.list_users, the API's scope), a person's page, and
the actions the API allows the caller on them. Admin-only actions (create,
deactivate, reactivate, set-password link, unlock) are offered to admins only and
answer the 403 page to anyone else, as the API answers 403."""

from urllib.parse import urlencode

from flask import flash, redirect, request
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from server.errors import DomainError, Forbidden, Invalid, NotFound
from server.extensions import db
from server.models import ROLES, Department, Device, Ticket, TicketContractor, User
from server.schemas.people import UserCreateSchema, UserListQuerySchema, UserUpdateSchema
from server.scope import get_visible_user, visible_tickets
from server.services import auth, people
from web.access import STAFF, signed_in
from web.console import bp, choices
from web.forms import read_form
from web.rendering import page

LABELS = {
    "q": "Search",
    "role": "Role",
    "department": "Department",
    "active": "Status",
    "cursor": "Page",
    "name": "Name",
    "email": "Email address",
    "phone": "Phone",
    "company": "Company",
    "password": "Password",
    "department_ids": "Departments",
    "labour_category": "Labour category",
}
FIELD_ORDER = ("name", "email", "phone", "company", "role", "department_ids", "labour_category")
TICKETS_SHOWN = 10


def _departments():
    return db.session.scalars(select(Department).order_by(Department.name)).all()


@bp.get("/people")
@signed_in(*STAFF)
def people_list(caller):
    errors = {}
    args = {k: v for k, v in request.args.items() if v.strip()}
    try:
        filters = read_form(UserListQuerySchema(), args)
    except Invalid as error:
        errors = {
            k: ["Choose a value from the list."] if k != "q" else v
            for k, v in (error.errors or {}).items()
        }
        filters, args = {"limit": 50}, {}
    try:
        result = people.list_users(caller, filters)
    except Invalid:  # a cursor the service cannot read
        errors["cursor"] = ["That page link is out of date: start again from the first page."]
        filters, args = {"limit": 50}, {}
        result = people.list_users(caller, filters)
    users = result["items"]
    if users:  # departments of the listed users in one query
        db.session.scalars(
            select(User)
            .where(User.id.in_([u.id for u in users]))
            .options(selectinload(User.departments))
        ).all()
    kept = {k: v for k, v in args.items() if k != "cursor"}
    next_url = None
    if result["next_cursor"]:
        next_url = "/people?" + urlencode({**kept, "cursor": result["next_cursor"]})
    first_url = "/people?" + urlencode(kept) if args.get("cursor") else None
    return page(
        "console/people.html",
        status=422 if errors else 200,
        users=users,
        args=args,
        errors=errors,
        labels=LABELS,
        roles=ROLES,
        departments=_departments(),
        next_url=next_url,
        first_url=first_url,
    )


def _their_tickets(caller, user: User) -> list[Ticket]:
    assigned = select(TicketContractor.ticket_id).where(TicketContractor.contractor_id == user.id)
    query = visible_tickets(caller).where(
        or_(
            Ticket.reporter_id == user.id,
            Ticket.addressed_to_id == user.id,
            Ticket.manager_id == user.id,
            Ticket.owner_id == user.id,
            Ticket.id.in_(assigned),
        )
    )
    return db.session.scalars(
        query.order_by(Ticket.id.desc())
        .limit(TICKETS_SHOWN)
        .options(selectinload(Ticket.block), selectinload(Ticket.unit))
    ).all()


@bp.get("/people/<int:user_id>")
@signed_in(*STAFF)
def person(caller, user_id):
    user = get_visible_user(caller, user_id)
    devices = db.session.scalars(
        auth.visible_devices(caller).where(Device.user_id == user.id)
    ).all()
    category = None
    if user.labour_category_id is not None:
        category = dict(choices.labour_categories()).get(user.labour_category_id)
    return page(
        "console/person.html",
        person=user,
        devices=devices,
        tickets=_their_tickets(caller, user),
        category=category,
        may_edit=bool(people.editable_fields(caller, user)),
    )


def _edit_page(caller, user, values, errors=None, status=200):
    allowed = people.editable_fields(caller, user) & set(FIELD_ORDER)
    return page(
        "console/person_edit.html",
        status,
        person=user,
        values=values,
        errors=errors or {},
        labels=LABELS,
        allowed=allowed,
        roles=ROLES,
        departments=_departments(),
        categories=choices.labour_categories(),
    )


@bp.get("/people/<int:user_id>/edit")
@signed_in(*STAFF)
def edit_person(caller, user_id):
    user = get_visible_user(caller, user_id)
    if not people.editable_fields(caller, user) & set(FIELD_ORDER):
        raise Forbidden("You may not edit this person.")
    values = {
        "name": user.name,
        "email": user.email,
        "phone": user.phone or "",
        "company": user.company or "",
        "role": user.role,
        "department_ids": [d.id for d in user.departments],
        "labour_category": user.labour_category_id or "",
    }
    return _edit_page(caller, user, values)


@bp.post("/people/<int:user_id>/edit")
@signed_in(*STAFF)
def update_person(caller, user_id):
    user = get_visible_user(caller, user_id)
    form = request.form.copy()
    form.pop("csrf_token", None)
    if form.pop("departments_shown", None) is not None and "department_ids" not in form:
        form.add("department_ids", "")  # every box unticked: no departments
    values = {k: form.get(k) for k in form}
    values["department_ids"] = [int(v) for v in form.getlist("department_ids") if v.isdigit()]
    try:
        data = read_form(
            UserUpdateSchema(),
            form,
            lists=("department_ids",),
            nullable=("phone", "company", "labour_category"),
            ints=("department_ids", "labour_category"),
        )
        people.update_user(caller, user.id, data)
    except DomainError as error:
        if error.status in (401, 403, 404) or error.status >= 500:
            raise
        db.session.rollback()
        user = get_visible_user(caller, user_id)
        errors = error.errors or {"name": [error.detail]}
        return _edit_page(caller, user, values, errors, error.status)
    flash("Saved the changes.", "success")
    return redirect(f"/people/{user_id}", code=303)


@bp.get("/people/new")
@signed_in("admin")
def new_person(caller):
    return page(
        "console/person_new.html",
        values={"role": "tenant", "department_ids": []},
        errors={},
        labels=LABELS,
        roles=ROLES,
        departments=_departments(),
    )


@bp.post("/people/new")
@signed_in("admin")
def create_person(caller):
    form = request.form.copy()
    form.pop("csrf_token", None)
    values = {k: form.get(k) for k in form if k != "password"}
    values["department_ids"] = [int(v) for v in form.getlist("department_ids") if v.isdigit()]
    try:
        data = read_form(
            UserCreateSchema(), form, lists=("department_ids",), ints=("department_ids",)
        )
        user = people.create_user(caller, **data)
    except DomainError as error:
        if error.status in (401, 403, 404) or error.status >= 500:
            raise
        db.session.rollback()
        errors = error.errors or {"email": [error.detail]}
        return page(
            "console/person_new.html",
            error.status,
            values=values,
            errors=errors,
            labels=LABELS,
            roles=ROLES,
            departments=_departments(),
        )
    flash(f"Added {user.name}.", "success")
    return redirect(f"/people/{user.id}", code=303)


def _admin_action(caller, user_id, action, done: str):
    try:
        action(caller, user_id)
    except DomainError as error:
        if error.status != 409:
            raise
        db.session.rollback()
        flash(error.detail, "error")
        return redirect(f"/people/{user_id}", code=303)
    flash(done, "success")
    return redirect(f"/people/{user_id}", code=303)


@bp.post("/people/<int:user_id>/deactivate")
@signed_in("admin")
def deactivate_person(caller, user_id):
    return _admin_action(
        caller, user_id, people.deactivate_user, "Deactivated: they can no longer sign in."
    )


@bp.post("/people/<int:user_id>/reactivate")
@signed_in("admin")
def reactivate_person(caller, user_id):
    return _admin_action(caller, user_id, people.reactivate_user, "Reactivated: they may sign in.")


@bp.post("/people/<int:user_id>/password-link")
@signed_in("admin")
def password_link(caller, user_id):
    return _admin_action(
        caller, user_id, people.send_password_link, "A set-password link is on its way."
    )


@bp.post("/people/<int:user_id>/unlock")
@signed_in("admin")
def unlock_person(caller, user_id):
    get_visible_user(caller, user_id)
    return _admin_action(caller, user_id, auth.unlock_logins, "Sign-in blocks lifted.")


@bp.post("/people/<int:user_id>/devices/<int:device_id>/revoke")
@signed_in(*STAFF)
def revoke_person_device(caller, user_id, device_id):
    user = get_visible_user(caller, user_id)
    device = db.session.scalar(
        auth.visible_devices(caller).where(Device.id == device_id, Device.user_id == user.id)
    )
    if device is None:
        raise NotFound("No such device.")
    auth.revoke_device(caller, device.id)
    flash("Device revoked: it must sign in again.", "success")
    return redirect(f"/people/{user_id}", code=303)
