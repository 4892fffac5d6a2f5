"""Verbs over users and departments: create, list, edit, deactivate, passwords."""

from sqlalchemy import column, func, or_, select, table, update

from server.auth import Caller
from server.db import utcnow
from server.errors import Conflict, Forbidden, Invalid
from server.extensions import db
from server.models import Department, TokenFamily, User
from server.pages import decode_cursor, encode_cursor
from server.passwords import check_password, email_problems, hash_password, password_problems
from server.scope import get_visible_user, like_pattern, user_scope

# Billing owns labour categories; the server package names only their table.
_LABOUR_CATEGORIES = table("labour_categories", column("id"))
# What a staff member may change of a tenant or contractor; admins change anything,
# and anyone their own name, phone and mail preference.
STAFF_EDITABLE = {"name", "email", "phone", "company", "labour_category"}
SELF_EDITABLE = {"name", "phone", "notify_me"}
ADMIN_PREFERENCES = {"notify_new_tickets"}


def check_login_rules(email: str, password: str | None) -> None:
    """The one check of a login email and password, for the API and the CLI alike."""
    errors = {}
    if problems := email_problems(email):
        errors["email"] = problems
    if password is not None and (problems := password_problems(password)):
        errors["password"] = problems
    if errors:
        first = next(iter(errors.values()))[0]
        raise Invalid(first, errors=errors)


def _departments(department_ids) -> list[Department]:
    if not department_ids:
        return []
    departments = db.session.scalars(
        select(Department).where(Department.id.in_(department_ids))
    ).all()
    missing = set(department_ids) - {d.id for d in departments}
    if missing:
        raise Invalid(
            "Unknown department.",
            errors={"department_ids": [f"unknown department {i}" for i in sorted(missing)]},
        )
    return list(departments)


def _check_labour_category(category_id: int | None) -> None:
    if category_id is None:
        return
    found = db.session.scalar(
        select(_LABOUR_CATEGORIES.c.id).where(_LABOUR_CATEGORIES.c.id == category_id)
    )
    if found is None:
        raise Invalid("Unknown labour category.", errors={"labour_category": ["unknown"]})


def _check_email_free(email: str, user_id: int | None = None) -> None:
    taken = select(User.id).where(User.email == email)
    if user_id is not None:
        taken = taken.where(User.id != user_id)
    if db.session.scalar(taken) is not None:
        raise Conflict("A user with this email already exists.", code="email_taken")


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
    check_login_rules(email, password)
    _check_email_free(email)
    departments = _departments(department_ids)
    _check_labour_category(labour_category)
    user = User(
        email=email,
        name=name,
        role=role,
        password_hash=hash_password(password),
        phone=phone,
        company=company,
        labour_category_id=labour_category,
        departments=departments,
    )
    db.session.add(user)
    db.session.flush()
    return user


def list_users(caller: Caller, filters: dict) -> dict:
    """Users in the caller's scope, by id, with filters and a cursor."""
    query = select(User).where(user_scope(caller))
    if filters.get("role"):
        query = query.where(User.role == filters["role"])
    if filters.get("active") is not None:
        query = query.where(User.is_active.is_(filters["active"]))
    if filters.get("department") is not None:
        query = query.where(User.departments.any(Department.id == filters["department"]))
    if filters.get("labour_category") is not None:
        query = query.where(User.labour_category_id == filters["labour_category"])
    if filters.get("q"):
        pattern = like_pattern(filters["q"].lower())
        query = query.where(
            or_(
                func.lower(User.name).like(pattern, escape="\\"),
                User.email.like(pattern, escape="\\"),
                func.lower(User.company).like(pattern, escape="\\"),
            )
        )
    if filters.get("cursor"):
        query = query.where(User.id > decode_cursor(filters["cursor"], "u"))
    limit = filters["limit"]
    rows = db.session.scalars(query.order_by(User.id).limit(limit + 1)).all()
    items = rows[:limit]
    next_cursor = encode_cursor(items[-1].id, "u") if len(rows) > limit else None
    return {"items": items, "next_cursor": next_cursor}


def update_user(caller: Caller, user_id: int, changes: dict) -> User:
    """Edit a user as the caller's role allows (see the *_EDITABLE sets)."""
    user = get_visible_user(caller, user_id)
    _check_may_edit(caller, user, set(changes))
    if "email" in changes:
        email = changes["email"].strip().lower()
        check_login_rules(email, None)
        _check_email_free(email, user.id)
        user.email = email
    if "department_ids" in changes:
        user.departments = _departments(changes["department_ids"])
    if "labour_category" in changes:
        _check_labour_category(changes["labour_category"])
        user.labour_category_id = changes["labour_category"]
    if "role" in changes and changes["role"] != user.role:
        if user.role == "admin":
            _check_not_last_admin(user)
        user.role = changes["role"]
        # A role is part of every access token: the user logs in again.
        _revoke_sessions(user, "role_changed")
    for key in ("name", "phone", "company", "notify_me", "notify_new_tickets"):
        if key in changes:
            setattr(user, key, changes[key])
    db.session.flush()
    return user


ADMIN_EDITABLE = {
    "email",
    "name",
    "role",
    "phone",
    "company",
    "department_ids",
    "labour_category",
    "notify_me",
    "notify_new_tickets",
}


def editable_fields(caller: Caller, user: User) -> set[str]:
    """What `caller` may change of `user` (a user in their directory): the one rule the
    API's PATCH and the console's edit form share."""
    if caller.role == "admin":
        return set(ADMIN_EDITABLE)
    if user.id == caller.user.id:
        return SELF_EDITABLE | (STAFF_EDITABLE if caller.role == "staff" else set())
    if caller.role == "staff":
        return set(STAFF_EDITABLE)
    return set()


def _check_may_edit(caller: Caller, user: User, fields: set[str]) -> None:
    if caller.role == "admin":
        return
    refused = sorted(fields - editable_fields(caller, user))
    if refused:
        raise Forbidden(f"You may not change {', '.join(refused)} of this user.")


def _check_not_last_admin(user: User) -> None:
    others = db.session.scalar(
        select(func.count()).where(
            User.role == "admin", User.is_active.is_(True), User.id != user.id
        )
    )
    if not others:
        raise Conflict("Fieldline needs at least one active admin.", code="last_admin")


def _revoke_sessions(user: User, reason: str, *, keep_family: str | None = None) -> None:
    """End every login session of `user` now (their next request answers 401)."""
    query = update(TokenFamily).where(
        TokenFamily.user_id == user.id, TokenFamily.revoked_at.is_(None)
    )
    if keep_family is not None:
        query = query.where(TokenFamily.id != keep_family)
    db.session.execute(query.values(revoked_at=utcnow(), revoked_reason=reason))


def deactivate_user(caller: Caller, user_id: int) -> User:
    """The person leaves: no login, every session ended; their name stays in history."""
    user = get_visible_user(caller, user_id)
    if user.id == caller.user.id:
        raise Conflict("You cannot deactivate yourself.", code="self_deactivation")
    if user.role == "admin" and user.is_active:
        _check_not_last_admin(user)
    user.is_active = False
    _revoke_sessions(user, "user_deactivated")
    db.session.flush()
    return user


def reactivate_user(caller: Caller, user_id: int) -> User:
    user = get_visible_user(caller, user_id)
    user.is_active = True
    db.session.flush()
    return user


def send_password_link(caller: Caller, user_id: int):
    """Mail `user_id` a single-use set-password link (the signup machinery's link)."""
    from server.services.signup import send_password_link as send_link

    user = get_visible_user(caller, user_id)
    if not user.is_active:
        raise Conflict("Reactivate the user before sending a link.", code="user_inactive")
    return send_link(user)


def change_own_password(caller: Caller, current_password: str, new_password: str) -> User:
    """Change the caller's password; every other session of theirs ends."""
    user = caller.user
    if not check_password(user.password_hash, current_password):
        raise Invalid(
            "The current password is wrong.",
            code="current_password_wrong",
            errors={"current_password": ["wrong password"]},
        )
    if problems := password_problems(new_password):
        raise Invalid(problems[0], errors={"new_password": problems})
    user.password_hash = hash_password(new_password)
    _revoke_sessions(user, "password_changed", keep_family=caller.family_id)
    db.session.flush()
    return user


def create_department(caller: Caller | None, *, name: str) -> Department:
    if db.session.scalar(select(Department.id).where(Department.name == name)) is not None:
        raise Conflict("A department with this name already exists.", code="department_exists")
    department = Department(name=name)
    db.session.add(department)
    db.session.flush()
    return department
