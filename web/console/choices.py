"""The console's pick lists (people, blocks, units), each one bounded query through the
API's services and scope, so a select never offers someone the caller may not see."""

from sqlalchemy import select

from server.auth import Caller
from server.extensions import db
from server.models import Block, Tenancy, Unit, User
from server.scope import current_units, like_pattern, user_scope
from server.services import people

PICK_LIMIT = 200


def users_of_role(caller: Caller, *roles: str) -> list[User]:
    """Active users of `roles` in the caller's directory (people.list_users), by name."""
    found = []
    for role in roles:
        page = people.list_users(caller, {"role": role, "active": True, "limit": PICK_LIMIT})
        found += page["items"]
    return sorted(found, key=lambda user: user.name.lower())


def blocks(q: str | None = None) -> list[Block]:
    query = select(Block).order_by(Block.name, Block.id).limit(500)
    if q:
        pattern = like_pattern(q.lower())
        query = query.where(
            Block.name.ilike(pattern, escape="\\") | Block.address.ilike(pattern, escape="\\")
        )
    return db.session.scalars(query).all()


def units_of(block_id: int | None) -> list[Unit]:
    if block_id is None:
        return []
    return db.session.scalars(
        select(Unit).where(Unit.block_id == block_id).order_by(Unit.name, Unit.id)
    ).all()


def tenants_of(caller: Caller, block_id: int | None, unit_id: int | None) -> list[User]:
    """Tenants living today in the block (or the unit), within the caller's directory
    (the tenancy rule is server.scope.current_units, correlated on each user)."""
    if block_id is None:
        return []
    homes = select(Unit.id).where(Unit.block_id == block_id)
    if unit_id is not None:
        homes = homes.where(Unit.id == unit_id)
    lives_there = current_units(User.id).where(Tenancy.unit_id.in_(homes)).exists()
    return db.session.scalars(
        select(User)
        .where(User.role == "tenant", User.is_active.is_(True), user_scope(caller), lives_there)
        .order_by(User.name, User.id)
        .limit(PICK_LIMIT)
    ).all()


def labour_categories() -> list:
    """Billing's labour categories (id, name), for a contractor's edit form."""
    from billing.models import LabourCategory

    return db.session.execute(
        select(LabourCategory.id, LabourCategory.name).order_by(LabourCategory.name)
    ).all()
