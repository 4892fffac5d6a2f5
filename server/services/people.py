"""Admin verbs over users and departments."""

from sqlalchemy import select

from server.auth import Caller
from server.errors import Conflict, Invalid
from server.extensions import db
from server.models import Department, User
from server.passwords import hash_password


def create_user(
    caller: Caller | None,
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    phone: str | None = None,
    department_ids: list[int] = (),
    company: str | None = None,
    labour_category: int | None = None,
) -> User:
    """Create a user; `caller` is None only for the CLI, which acts as the operator."""
    email = email.strip().lower()
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("A user with this email already exists.", code="email_taken")
    departments = []
    if department_ids:
        departments = db.session.scalars(
            select(Department).where(Department.id.in_(department_ids))
        ).all()
        missing = set(department_ids) - {d.id for d in departments}
        if missing:
            raise Invalid(
                "Unknown department.",
                errors={"department_ids": [f"unknown department {i}" for i in sorted(missing)]},
            )
    user = User(
        email=email,
        name=name,
        role=role,
        password_hash=hash_password(password),
        phone=phone,
        company=company,
        labour_category_id=labour_category,
        departments=list(departments),
    )
    db.session.add(user)
    db.session.flush()
    return user


def create_department(caller: Caller | None, *, name: str) -> Department:
    if db.session.scalar(select(Department.id).where(Department.name == name)) is not None:
        raise Conflict("A department with this name already exists.", code="department_exists")
    department = Department(name=name)
    db.session.add(department)
    db.session.flush()
    return department
