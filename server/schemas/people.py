"""Shapes of users, departments and devices."""

from marshmallow import Schema, fields, validate

from server.models import ROLES
from server.schemas.ids import id_field


class UserCreateSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    password = fields.String(required=True, validate=validate.Length(min=8, max=1024))
    phone = fields.String(validate=validate.Length(max=40))
    department_ids = fields.List(id_field(), load_default=list)
    company = fields.String(validate=validate.Length(max=200))
    labour_category = id_field(allow_none=True)


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
    is_active = fields.Boolean()
    created_at = fields.DateTime()


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
