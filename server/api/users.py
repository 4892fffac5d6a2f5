"""Users and departments: the directory, edits, deactivation, passwords, the caller."""

from flask_smorest import Blueprint
from sqlalchemy import select

from server.api.access import requires
from server.auth import current_caller
from server.extensions import db
from server.models import Department
from server.schemas.people import (
    DepartmentCreateSchema,
    DepartmentSchema,
    MeSchema,
    PasswordChangeSchema,
    PasswordLinkSchema,
    UserCreateSchema,
    UserListQuerySchema,
    UserPageSchema,
    UserSchema,
    UserUpdateSchema,
)
from server.scope import get_visible_user
from server.services import auth as auth_service
from server.services import people
from server.services.properties import current_tenancies

blp = Blueprint("users", __name__, url_prefix="/api", description="Users and departments")
STAFF = ("staff", "admin")


@blp.get("/me")
@requires()
@blp.response(200, MeSchema)
def me():
    """The calling user; for a tenant also where they live today (`tenancies`: unit,
    block and address), so a client can pre-fill a report's `block_id` and `unit_id`."""
    user = current_caller().user
    user.tenancies = current_tenancies(user.id) if user.role == "tenant" else []
    return user


@blp.post("/me/password")
@requires()
@blp.arguments(PasswordChangeSchema)
@blp.response(204)
def change_password(data):
    """Change the caller's password, given the current one. Every other session of the
    caller (other logins, devices) ends at once; this one stays signed in.
    A wrong current password is 422 `current_password_wrong`."""
    people.change_own_password(current_caller(), data["current_password"], data["new_password"])


@blp.post("/users")
@requires("admin")
@blp.arguments(UserCreateSchema)
@blp.response(201, UserSchema)
@blp.alt_response(409, description="Email already taken")
def create_user(data):
    """Create a user (admin)."""
    return people.create_user(current_caller(), **data)


@blp.get("/users")
@requires(*STAFF)
@blp.arguments(UserListQuerySchema, location="query")
@blp.response(200, UserPageSchema)
def list_users(filters):
    """Users by id, a page at a time. Admins see everyone; staff see themselves, every
    contractor, and the tenants of their blocks and of the tickets they see."""
    return people.list_users(current_caller(), filters)


@blp.get("/users/<int:user_id>")
@requires()
@blp.response(200, UserSchema)
def get_user(user_id):
    """One user, within the caller's directory (tenants and contractors: themselves)."""
    return get_visible_user(current_caller(), user_id)


@blp.patch("/users/<int:user_id>")
@requires()
@blp.doc(responses={"403": "FORBIDDEN", "409": "CONFLICT"})
@blp.arguments(UserUpdateSchema)
@blp.response(200, UserSchema)
def update_user(data, user_id):
    """Edit a user. Admins: any member (a role change ends the user's sessions; the
    last active admin keeps the role, 409 `last_admin`). Staff: name, email, phone,
    company and labour category of the tenants and contractors they see. Anyone: their
    own name, phone and `notify_me`. Other members answer 403, nothing changed."""
    return people.update_user(current_caller(), user_id, data)


@blp.post("/users/<int:user_id>/deactivate")
@requires("admin")
@blp.doc(responses={"409": "CONFLICT"})
@blp.response(200, UserSchema)
def deactivate_user(user_id):
    """Admin: the user can no longer log in; every token and device session of theirs
    is revoked at once. Their name stays on everything they did. Not yourself
    (409 `self_deactivation`), not the last active admin (409 `last_admin`)."""
    return people.deactivate_user(current_caller(), user_id)


@blp.post("/users/<int:user_id>/reactivate")
@requires("admin")
@blp.response(200, UserSchema)
def reactivate_user(user_id):
    """Admin: the user may log in again (with their old password, or a new link)."""
    return people.reactivate_user(current_caller(), user_id)


@blp.post("/users/<int:user_id>/password-link")
@requires("admin")
@blp.doc(responses={"409": "CONFLICT"})
@blp.response(202, PasswordLinkSchema)
def send_password_link(user_id):
    """Admin: mail the user a single-use set-password link (as signup approval does;
    valid SET_PASSWORD_TTL_HOURS). A deactivated user gets none (409 `user_inactive`)."""
    return people.send_password_link(current_caller(), user_id)


@blp.post("/users/<int:user_id>/unlock")
@requires("admin")
@blp.response(200, UserSchema)
@blp.doc(responses={"404": "NOT_FOUND"})
def unlock_user(user_id):
    """Lift the account's login blocks (admin): its owner may log in again at once."""
    return auth_service.unlock_logins(current_caller(), user_id)


@blp.post("/departments")
@requires("admin")
@blp.arguments(DepartmentCreateSchema)
@blp.response(201, DepartmentSchema)
@blp.doc(responses={"409": "CONFLICT"})  # department_exists
def create_department(data):
    """Create a department (admin)."""
    return people.create_department(current_caller(), **data)


@blp.get("/departments")
@requires(*STAFF)
@blp.response(200, DepartmentSchema(many=True))
def list_departments():
    """List departments (staff)."""
    return db.session.scalars(select(Department).order_by(Department.name)).all()
