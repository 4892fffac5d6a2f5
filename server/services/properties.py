"""Blocks, units, tenancies and certificates: who lives where, and what is certified."""

from datetime import date

from sqlalchemy import or_, select

from server.auth import Caller
from server.errors import Conflict, Invalid, NotFound
from server.extensions import db
from server.models import (
    Block,
    Certificate,
    Department,
    Tenancy,
    Unit,
    User,
)
from server.scope import certificate_scope, may_read_block


def _check_user(user_id: int | None, roles: tuple[str, ...], field: str) -> None:
    if user_id is None:
        return
    user = db.session.get(User, user_id)
    if user is None or user.role not in roles:
        raise Invalid(f"Unknown {field}.", errors={field: [f"no {'/'.join(roles)} with this id"]})


def _check_department(department_id: int | None) -> None:
    if department_id is not None and not db.session.get(Department, department_id):
        raise Invalid("Unknown department.", errors={"department_id": ["unknown department"]})


def create_block(
    caller: Caller,
    *,
    name: str,
    address: str,
    manager_id: int | None = None,
    department_id: int | None = None,
    access_notes: str | None = None,
) -> Block:
    _check_user(manager_id, ("staff", "admin"), "manager_id")
    _check_department(department_id)
    block = Block(
        name=name,
        address=address,
        manager_id=manager_id,
        department_id=department_id,
        access_notes=access_notes,
    )
    db.session.add(block)
    db.session.flush()
    return block


def get_block(block_id: int) -> Block:
    block = db.session.get(Block, block_id)
    if block is None:
        raise NotFound("No such block.", code="block_not_found")
    return block


def update_block(caller: Caller, block_id: int, changes: dict) -> Block:
    """Rename a block, move its address, manager, department or access notes. Devices
    get its tickets again (server.changes), search finds it by its new words."""
    block = get_block(block_id)
    if "manager_id" in changes:
        _check_user(changes["manager_id"], ("staff", "admin"), "manager_id")
    if "department_id" in changes:
        _check_department(changes["department_id"])
    for key, value in changes.items():
        setattr(block, key, value)
    db.session.flush()
    return block


def get_unit(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("No such unit.", code="unit_not_found")
    return unit


def units_of(block_id: int) -> list[Unit]:
    block = get_block(block_id)
    return db.session.scalars(
        select(Unit).where(Unit.block_id == block.id).order_by(Unit.name, Unit.id)
    ).all()


def update_unit(caller: Caller, unit_id: int, changes: dict) -> Unit:
    unit = get_unit(unit_id)
    for key, value in changes.items():
        setattr(unit, key, value)
    db.session.flush()
    return unit


def tenancies_of(unit_id: int) -> list[Tenancy]:
    """Every tenancy of the unit, ended ones included (the history), newest first."""
    unit = get_unit(unit_id)
    return db.session.scalars(
        select(Tenancy)
        .where(Tenancy.unit_id == unit.id)
        .order_by(Tenancy.starts_on.desc(), Tenancy.id.desc())
    ).all()


def end_tenancy(caller: Caller, tenancy_id: int, ends_on: date | None = None) -> Tenancy:
    """The tenant moves out on `ends_on` (default today; the last day they live there).
    The row stays: the unit's history and old tickets still name them."""
    tenancy = db.session.get(Tenancy, tenancy_id, with_for_update=True)
    if tenancy is None:
        raise NotFound("No such tenancy.", code="tenancy_not_found")
    ends_on = ends_on or date.today()
    if tenancy.ends_on is not None and tenancy.ends_on <= ends_on:
        raise Conflict(
            f"This tenancy already ended on {tenancy.ends_on.isoformat()}.", code="tenancy_ended"
        )
    if ends_on < tenancy.starts_on:
        raise Invalid("A tenancy ends after it starts.", errors={"ends_on": ["before starts_on"]})
    tenancy.ends_on = ends_on
    db.session.flush()
    return tenancy


def current_tenancies(user_id: int, today: date | None = None) -> list[Tenancy]:
    """Where a tenant lives today, with unit and block (for /api/me)."""
    today = today or date.today()
    return db.session.scalars(
        select(Tenancy)
        .where(
            Tenancy.tenant_id == user_id,
            Tenancy.starts_on <= today,
            or_(Tenancy.ends_on.is_(None), Tenancy.ends_on >= today),
        )
        .order_by(Tenancy.starts_on, Tenancy.id)
    ).all()


def create_unit(
    caller: Caller, block_id: int, *, name: str, access_notes: str | None = None
) -> Unit:
    unit = Unit(block_id=get_block(block_id).id, name=name, access_notes=access_notes)
    db.session.add(unit)
    db.session.flush()
    return unit


def create_tenancy(
    caller: Caller, unit_id: int, *, tenant_id: int, starts_on: date, ends_on: date | None = None
) -> Tenancy:
    unit = get_unit(unit_id)
    _check_user(tenant_id, ("tenant",), "tenant_id")
    if ends_on and ends_on < starts_on:
        raise Invalid("A tenancy ends after it starts.", errors={"ends_on": ["before starts_on"]})
    overlapping = db.session.scalar(
        select(Tenancy.id).where(
            Tenancy.unit_id == unit.id,
            Tenancy.tenant_id == tenant_id,
            or_(Tenancy.ends_on.is_(None), Tenancy.ends_on >= starts_on),
            *([Tenancy.starts_on <= ends_on] if ends_on is not None else []),
        )
    )
    if overlapping is not None:
        raise Conflict(
            "This tenant already has a tenancy of this unit then.", code="tenancy_overlap"
        )
    tenancy = Tenancy(unit_id=unit.id, tenant_id=tenant_id, starts_on=starts_on, ends_on=ends_on)
    db.session.add(tenancy)
    db.session.flush()
    return tenancy


def create_certificate(
    caller: Caller,
    block_id: int,
    *,
    kind: str,
    number: str,
    issued_on: date,
    expires_on: date,
    unit_id: int | None = None,
    label: str | None = None,
) -> Certificate:
    block = get_block(block_id)
    if unit_id is not None:
        unit = db.session.get(Unit, unit_id)
        if unit is None or unit.block_id != block.id:
            raise Invalid("Unknown unit.", errors={"unit_id": ["not a unit of this block"]})
    if expires_on < issued_on:
        raise Invalid("A certificate expires after issue.", errors={"expires_on": ["too early"]})
    certificate = Certificate(
        block_id=block.id,
        unit_id=unit_id,
        kind=kind,
        number=number,
        issued_on=issued_on,
        expires_on=expires_on,
        label=label,
    )
    db.session.add(certificate)
    db.session.flush()
    return certificate


def certificates_of(caller: Caller, block_id: int) -> list[Certificate]:
    block = db.session.get(Block, block_id)
    if block is None or not may_read_block(caller, block.id):
        raise NotFound("No such block.")
    return db.session.scalars(
        select(Certificate)
        .where(Certificate.block_id == block.id, certificate_scope(caller))
        .order_by(Certificate.expires_on, Certificate.id)
    ).all()
