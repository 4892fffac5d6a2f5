"""Shapes of users, departments and devices."""

from marshmallow import Schema, ValidationError, fields, validate

from server.models import ROLES
from server.passwords import MAX_PASSWORD_LENGTH, password_problems
from server.schemas.ids import id_field
from server.schemas.properties import CurrentTenancySchema


def check_password_rules(value: str) -> None:
    """The shared password rules (server.passwords), as a marshmallow validator."""
    if problems := password_problems(value):
        raise ValidationError(problems)


def password_field(**kwargs) -> fields.String:
    kwargs.setdefault("required", True)
    kwargs.setdefault(
        "metadata",
        {"description": f"8 to {MAX_PASSWORD_LENGTH} characters, not only spaces"},
    )
    return fields.String(validate=check_password_rules, **kwargs)


class UserCreateSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    password = password_field()
    phone = fields.String(validate=validate.Length(max=40))
    department_ids = fields.List(id_field(), load_default=list)
    company = fields.String(validate=validate.Length(max=200))
    labour_category = id_field(allow_none=True)


class UserUpdateSchema(Schema):
    """Only the members given change. Admins change anything; staff the name, email,
    phone, company and labour category of tenants and contractors they may see; anyone
    their own name, phone and `notify_me`."""

    email = fields.Email(validate=validate.Length(max=254))
    name = fields.String(validate=validate.Length(min=1, max=200))
    role = fields.String(
        validate=validate.OneOf(ROLES), metadata={"description": "admin only; ends sessions"}
    )
    phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    company = fields.String(allow_none=True, validate=validate.Length(max=200))
    department_ids = fields.List(id_field(), metadata={"description": "admin only"})
    labour_category = id_field(
        allow_none=True, metadata={"description": "a labour category id (billing), or null"}
    )
    notify_me = fields.Boolean(metadata={"description": "tenants: mail me about my tickets"})
    notify_new_tickets = fields.Boolean(
        metadata={"description": "admin only: mail me every new ticket"}
    )


class UserListQuerySchema(Schema):
    role = fields.String(validate=validate.OneOf(ROLES), metadata={"description": "one role"})
    department = id_field(strict=False, metadata={"description": "members of this department"})
    active = fields.Boolean(metadata={"description": "true: active users; false: deactivated"})
    q = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "part of the name, email or company (case-insensitive)"},
    )
    labour_category = id_field(
        strict=False, metadata={"description": "contractors of this labour category"}
    )
    cursor = fields.String(
        validate=validate.Length(max=100),
        metadata={"description": "`next_cursor` of the previous page"},
    )
    limit = fields.Integer(
        load_default=50,
        validate=validate.Range(min=1, max=200),
        metadata={"description": "page size (1 to 200)"},
    )


class PasswordChangeSchema(Schema):
    current_password = fields.String(
        required=True,
        validate=validate.Length(max=MAX_PASSWORD_LENGTH),
        metadata={"description": "the password in use now"},
    )
    new_password = password_field()


class PasswordLinkSchema(Schema):
    user_id = fields.Integer()
    expires_at = fields.DateTime(metadata={"description": "when the mailed link stops working"})


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    email = fields.String()
    name = fields.String()
    role = fields.String()
    phone = fields.String(allow_none=True)
    company = fields.String(allow_none=True)
    labour_category = fields.Integer(attribute="labour_category_id", allow_none=True)
    department_ids = fields.List(fields.Integer())
    notify_me = fields.Boolean()
    notify_new_tickets = fields.Boolean()
    is_active = fields.Boolean(metadata={"description": "false: deactivated, cannot log in"})
    created_at = fields.DateTime()


class UserPageSchema(Schema):
    items = fields.List(fields.Nested(UserSchema))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "pass as `cursor` for the next page; null at end"}
    )


class DepartmentCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))


class DepartmentSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String()
    created_at = fields.DateTime()


class DeviceSchema(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    user_name = fields.Function(lambda d: d.user.name)
    device_id = fields.String(attribute="device_key")
    name = fields.String(allow_none=True)
    app_version = fields.String(allow_none=True)
    created_at = fields.DateTime()
    last_seen_at = fields.DateTime(allow_none=True)
    last_pull_at = fields.DateTime(allow_none=True)
    last_push_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    pending_conflicts = fields.Integer()
    revoked_at = fields.DateTime(allow_none=True)


class MeSchema(UserSchema):
    tenancies = fields.List(
        fields.Nested(CurrentTenancySchema),
        metadata={"description": "tenants: their current homes; empty for other roles"},
    )
