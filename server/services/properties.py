"""Blocks, units, tenancies and certificates: who lives where, and what is certified."""

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
from server.scope import may_read_block


def _check_user(user_id: int | None, roles: tuple[str, ...], field: str) -> None:
    if user_id is None:
        return
    user = db.session.get(User, user_id)
    if user is None or user.role not in roles:
        raise Invalid(f"Unknown {field}.", errors={field: [f"no {'/'.join(roles)} with this id"]})


def create_block(caller: Caller, **fields) -> Block:
    _check_user(fields.get("manager_id"), ("staff", "admin"), "manager_id")
    if fields.get("department_id") is not None and not db.session.get(
        Department, fields["department_id"]
    ):
        raise Invalid("Unknown department.", errors={"department_id": ["unknown department"]})
    block = Block(**fields)
    db.session.add(block)
    db.session.flush()
    return block


def get_block(block_id: int) -> Block:
    block = db.session.get(Block, block_id)
    if block is None:
        raise NotFound("No such block.")
    return block


def create_unit(caller: Caller, block_id: int, **fields) -> Unit:
    unit = Unit(block_id=get_block(block_id).id, **fields)
    db.session.add(unit)
    db.session.flush()
    return unit


def create_tenancy(caller: Caller, unit_id: int, **fields) -> Tenancy:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("No such unit.")
    _check_user(fields["tenant_id"], ("tenant",), "tenant_id")
    if fields.get("ends_on") and fields["ends_on"] < fields["starts_on"]:
        raise Invalid("A tenancy ends after it starts.", errors={"ends_on": ["before starts_on"]})
    overlapping = db.session.scalar(
        select(Tenancy.id).where(
            Tenancy.unit_id == unit.id,
            Tenancy.tenant_id == fields["tenant_id"],
            or_(Tenancy.ends_on.is_(None), Tenancy.ends_on >= fields["starts_on"]),
            *(
                [Tenancy.starts_on <= fields["ends_on"]]
                if fields.get("ends_on") is not None
                else []
            ),
        )
    )
    if overlapping is not None:
        raise Conflict(
            "This tenant already has a tenancy of this unit then.", code="tenancy_overlap"
        )
    tenancy = Tenancy(unit_id=unit.id, **fields)
    db.session.add(tenancy)
    db.session.flush()
    return tenancy


def create_certificate(caller: Caller, block_id: int, **fields) -> Certificate:
    block = get_block(block_id)
    if fields.get("unit_id") is not None:
        unit = db.session.get(Unit, fields["unit_id"])
        if unit is None or unit.block_id != block.id:
            raise Invalid("Unknown unit.", errors={"unit_id": ["not a unit of this block"]})
    if fields["expires_on"] < fields["issued_on"]:
        raise Invalid("A certificate expires after issue.", errors={"expires_on": ["too early"]})
    certificate = Certificate(block_id=block.id, **fields)
    db.session.add(certificate)
    db.session.flush()
    return certificate


def certificates_of(caller: Caller, block_id: int) -> list[Certificate]:
    block = db.session.get(Block, block_id)
    if block is None or not may_read_block(caller, block.id):
        raise NotFound("No such block.")
    return db.session.scalars(
        select(Certificate)
        .where(Certificate.block_id == block.id)
        .order_by(Certificate.expires_on, Certificate.id)
    ).all()
