"""Blocks and units: the register (search, create, edit), a block with its units and
certificates, a unit with its tenancies, owner and tickets. Every change goes through
server.services.properties (and billing's owners), with the API's roles: admins
create and edit blocks and units; staff record tenancies, owners and certificates."""

from datetime import date

from flask import request
from sqlalchemy import func, or_, select

from billing import customers
from billing.models import BlockOwner, Customer, UnitOwner
from server.errors import Invalid
from server.extensions import db
from server.models import Block, Department, Tenancy, Ticket, Unit, User
from server.schemas.properties import (
    BlockCreateSchema,
    BlockUpdateSchema,
    TenancyCreateSchema,
    TenancyEndSchema,
    UnitCreateSchema,
    UnitUpdateSchema,
)
from server.scope import like_pattern, visible_tickets
from server.services import certificates, properties
from web.access import STAFF, signed_in
from web.console import bp
from web.console.actions import act
from web.forms import read_form
from web.rendering import page

LABELS = {
    "name": "Name",
    "address": "Address",
    "manager_id": "Manager",
    "department_id": "Department",
    "access_notes": "Access notes",
    "tenant_id": "Tenant's email",
    "tenant_email": "Tenant's email",
    "starts_on": "Start date",
    "ends_on": "End date",
    "customer_id": "Owner",
}
BLOCK_FIELDS = ("name", "address", "manager_id", "department_id", "access_notes")
LIST_LIMIT = 200
IDS = ("manager_id", "department_id", "tenant_id", "unit_id", "customer_id")


def _choices():
    managers = db.session.execute(
        select(User.id, User.name)
        .where(User.role.in_(STAFF), User.is_active.is_(True))
        .order_by(User.name)
    ).all()
    departments = db.session.execute(
        select(Department.id, Department.name).order_by(Department.name)
    ).all()
    return {"managers": managers, "departments": departments}


# The register -------------------------------------------------------------------


@bp.get("/properties")
@signed_in(*STAFF)
def blocks(caller):
    q = request.args.get("q", "").strip()[:200]
    query = select(Block).order_by(Block.name, Block.id).limit(LIST_LIMIT)
    if q:
        pattern = like_pattern(q)
        query = query.where(
            or_(Block.name.ilike(pattern, escape="\\"), Block.address.ilike(pattern, escape="\\"))
        )
    rows = db.session.scalars(query).all()
    ids = [b.id for b in rows]
    unit_counts = dict(
        db.session.execute(
            select(Unit.block_id, func.count(Unit.id))
            .where(Unit.block_id.in_(ids))
            .group_by(Unit.block_id)
        ).all()
    )
    names = dict(
        db.session.execute(
            select(User.id, User.name).where(User.id.in_({b.manager_id for b in rows}))
        ).all()
    )
    return page(
        "console/properties/blocks.html",
        blocks=rows,
        unit_counts=unit_counts,
        manager_names=names,
        q=q,
        capped=len(rows) == LIST_LIMIT,
    )


def _block_form(caller, *, block=None, status=200, errors=None, problem=None, values=None):
    values = (
        values
        if values is not None
        else ({f: getattr(block, f) for f in BLOCK_FIELDS} if block else {})
    )
    return page(
        "console/properties/block_form.html",
        status=status,
        block=block,
        values=values,
        errors=errors or {},
        problem=problem,
        labels=LABELS,
        **_choices(),
    )


@bp.get("/properties/new")
@signed_in("admin")
def new_block(caller):
    return _block_form(caller)


@bp.post("/properties/new")
@signed_in("admin")
def create_block(caller):
    created = {}

    def run():
        data = read_form(BlockCreateSchema(), request.form, ints=IDS)
        created["block"] = properties.create_block(caller, **data)

    response = act(
        run,
        done="/properties",
        message="Block added.",
        again=lambda **e: _block_form(caller, values=request.form, **e),
    )
    if "block" in created and response.status_code == 303:
        response.headers["Location"] = f"/properties/{created['block'].id}"
    return response


@bp.get("/properties/<int:block_id>/edit")
@signed_in("admin")
def edit_block(caller, block_id):
    return _block_form(caller, block=properties.get_block(block_id))


@bp.post("/properties/<int:block_id>/edit")
@signed_in("admin")
def update_block(caller, block_id):
    block = properties.get_block(block_id)

    def run():
        data = read_form(
            BlockUpdateSchema(),
            request.form,
            nullable=("manager_id", "department_id", "access_notes"),
            ints=IDS,
        )
        properties.update_block(caller, block.id, data)

    return act(
        run,
        done=f"/properties/{block.id}",
        message="Block saved.",
        again=lambda **e: _block_form(caller, block=block, values=request.form, **e),
    )


# A block ------------------------------------------------------------------------


def _block_page(caller, block_id, *, status=200, errors=None, problem=None, values=None, form=""):
    block = properties.get_block(block_id)
    units = properties.units_of(block.id)
    today = date.today()
    living = dict(
        db.session.execute(
            select(Tenancy.unit_id, func.count(Tenancy.id))
            .where(
                Tenancy.unit_id.in_([u.id for u in units]),
                Tenancy.starts_on <= today,
                or_(Tenancy.ends_on.is_(None), Tenancy.ends_on >= today),
            )
            .group_by(Tenancy.unit_id)
        ).all()
    )
    owner = db.session.get(BlockOwner, block.id)
    return page(
        "console/properties/block.html",
        status=status,
        block=block,
        units=units,
        unit_options=[(u.id, u.name) for u in units],
        living=living,
        certificates=certificates.current_certificates(block.id),
        kind_name=certificates.kind_name,
        kinds=certificates.KIND_LABELS,
        owner=db.session.get(Customer, owner.customer_id) if owner else None,
        customers=customers.list_customers(limit=200),
        today=today,
        errors=errors or {},
        problem=problem,
        values=values or {},
        form=form,
        labels={
            **LABELS,
            "kind": "Kind",
            "number": "Certificate number",
            "label": "Custom kind",
            "issued_on": "Issued on",
            "expires_on": "Expires on",
            "unit_id": "Unit",
        },
    )


@bp.get("/properties/<int:block_id>")
@signed_in(*STAFF)
def block_page(caller, block_id):
    return _block_page(caller, block_id)


@bp.post("/properties/<int:block_id>/units")
@signed_in("admin")
def add_unit(caller, block_id):
    def run():
        properties.create_unit(caller, block_id, **read_form(UnitCreateSchema(), request.form))

    return act(
        run,
        done=f"/properties/{block_id}",
        message="Unit added.",
        again=lambda **e: _block_page(caller, block_id, values=request.form, form="unit", **e),
    )


@bp.post("/properties/<int:block_id>/owner")
@signed_in(*STAFF)
def set_block_owner(caller, block_id):
    def run():
        customers.set_block_owner(caller, block_id, _customer_id())

    return act(
        run,
        done=f"/properties/{block_id}",
        message="Owner saved.",
        again=lambda **e: _block_page(caller, block_id, form="owner", **e),
    )


def _customer_id() -> int | None:
    text = request.form.get("customer_id", "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 18:
        raise Invalid("Choose an owner from the list.", errors={"customer_id": ["unknown owner"]})
    return int(text)


# A unit -------------------------------------------------------------------------


def _unit_page(caller, unit_id, *, status=200, errors=None, problem=None, values=None, form=""):
    unit = properties.get_unit(unit_id)
    tickets = db.session.scalars(
        visible_tickets(caller)
        .where(Ticket.unit_id == unit.id)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(50)
    ).all()
    unit_owner = db.session.get(UnitOwner, unit.id)
    block_owner = db.session.get(BlockOwner, unit.block_id)
    owner_ids = {o.customer_id for o in (unit_owner, block_owner) if o}
    owners = {
        c.id: c for c in db.session.scalars(select(Customer).where(Customer.id.in_(owner_ids)))
    }
    tenancies = properties.tenancies_of(unit.id)
    tenants = dict(
        db.session.execute(
            select(User.id, User.name).where(User.id.in_({t.tenant_id for t in tenancies}))
        ).all()
    )
    return page(
        "console/properties/unit.html",
        status=status,
        unit=unit,
        block=unit.block,
        tenancies=tenancies,
        tenant_names=tenants,
        tickets=tickets,
        unit_owner=owners.get(unit_owner.customer_id) if unit_owner else None,
        block_owner=owners.get(block_owner.customer_id) if block_owner else None,
        customers=customers.list_customers(limit=200),
        certificates=[
            c
            for c in certificates.current_certificates(unit.block_id)
            if c.unit_id in (None, unit.id)
        ],
        kind_name=certificates.kind_name,
        today=date.today(),
        errors=errors or {},
        problem=problem,
        values=values or {},
        form=form,
        labels=LABELS,
    )


@bp.get("/units/<int:unit_id>")
@signed_in(*STAFF)
def unit_page(caller, unit_id):
    return _unit_page(caller, unit_id)


@bp.post("/units/<int:unit_id>/edit")
@signed_in("admin")
def update_unit(caller, unit_id):
    def run():
        data = read_form(UnitUpdateSchema(), request.form, nullable=("access_notes",))
        properties.update_unit(caller, unit_id, data)

    return act(
        run,
        done=f"/units/{unit_id}",
        message="Unit saved.",
        again=lambda **e: _unit_page(caller, unit_id, values=request.form, form="unit", **e),
    )


@bp.post("/units/<int:unit_id>/tenancies")
@signed_in(*STAFF)
def add_tenancy(caller, unit_id):
    def run():
        email = request.form.get("tenant_email", "").strip().lower()[:254]
        tenant_id = db.session.scalar(
            select(User.id).where(func.lower(User.email) == email, User.role == "tenant")
        )
        if tenant_id is None:
            raise Invalid(
                "No tenant has this email address.",
                errors={"tenant_email": ["Enter the email address of a tenant's login."]},
            )
        form = {k: v for k, v in request.form.items() if k in ("starts_on", "ends_on")}
        data = read_form(TenancyCreateSchema(), {**form, "tenant_id": str(tenant_id)}, ints=IDS)
        properties.create_tenancy(caller, unit_id, **data)

    return act(
        run,
        done=f"/units/{unit_id}",
        message="Tenancy added.",
        again=lambda **e: _unit_page(caller, unit_id, values=request.form, form="tenancy", **e),
    )


@bp.post("/tenancies/<int:tenancy_id>/end")
@signed_in(*STAFF)
def end_tenancy(caller, tenancy_id):
    tenancy = db.session.get(Tenancy, tenancy_id)
    unit_id = tenancy.unit_id if tenancy else 0

    def run():
        data = read_form(TenancyEndSchema(), request.form)
        properties.end_tenancy(caller, tenancy_id, data.get("ends_on"))

    return act(
        run,
        done=f"/units/{unit_id}",
        message="Tenancy ended.",
        again=lambda **e: _unit_page(caller, unit_id, form="end", **e),
    )


@bp.post("/units/<int:unit_id>/owner")
@signed_in(*STAFF)
def set_unit_owner(caller, unit_id):
    def run():
        customers.set_unit_owner(caller, unit_id, _customer_id())

    return act(
        run,
        done=f"/units/{unit_id}",
        message="Owner saved.",
        again=lambda **e: _unit_page(caller, unit_id, form="owner", **e),
    )
