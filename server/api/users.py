"""Admin endpoints for users and departments, and the caller's own profile."""

from flask_smorest import Blueprint
from sqlalchemy import select

from server.api.access import requires
from server.auth import current_caller
from server.extensions import db
from server.models import Department
from server.schemas.people import (
    DepartmentCreateSchema,
    DepartmentSchema,
    UserCreateSchema,
    UserSchema,
)
from server.services import auth as auth_service
from server.services import people

blp = Blueprint("users", __name__, url_prefix="/api", description="Users and departments")


@blp.get("/me")
@requires()
@blp.response(200, UserSchema)
def me():
    """The calling user."""
    return current_caller().user


@blp.post("/users")
@requires("admin")
@blp.arguments(UserCreateSchema)
@blp.response(201, UserSchema)
@blp.alt_response(409, description="Email already taken")
def create_user(data):
    """Create a user (admin)."""
    return people.create_user(current_caller(), **data)


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
@requires("staff", "admin")
@blp.response(200, DepartmentSchema(many=True))
def list_departments():
    """List departments (staff)."""
    return db.session.scalars(select(Department).order_by(Department.name)).all()
