"""Shapes of username requests and set-password links."""

from marshmallow import Schema, fields, validate

from server.models.signup import SIGNUP_STATUSES
from server.schemas.ids import id_field
from server.schemas.people import password_field
from server.schemas.times import Day

HINT = validate.Length(max=200)


class SignupRequestCreateSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    block_hint = fields.String(validate=HINT, metadata={"description": "building, as you know it"})
    unit_hint = fields.String(validate=HINT, metadata={"description": "flat, as you know it"})
    message = fields.String(validate=validate.Length(max=2000))


class SignupAcceptedSchema(Schema):
    status = fields.String(metadata={"description": "always `received`"})
    detail = fields.String()


class SignupRequestSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    block_hint = fields.String(allow_none=True)
    unit_hint = fields.String(allow_none=True)
    message = fields.String(allow_none=True)
    status = fields.String()
    account_exists = fields.Boolean(
        metadata={"description": "a user with this email exists already (staff only)"}
    )
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    user_id = fields.Integer(allow_none=True)


class SignupQuerySchema(Schema):
    status = fields.String(
        validate=validate.OneOf(SIGNUP_STATUSES),
        metadata={"description": "only requests in this state (pending, approved, rejected)"},
    )
    limit = fields.Integer(
        load_default=50,
        validate=validate.Range(min=1, max=200),
        metadata={"description": "page size (1 to 200)"},
    )


class SignupApproveSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    unit_id = id_field(metadata={"description": "also create a tenancy of this unit"})
    starts_on = Day(metadata={"description": "tenancy start (default today)"})


class SetPasswordSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=200))
    password = password_field()


class SetPasswordResultSchema(Schema):
    email = fields.String(metadata={"description": "log in with this and the new password"})
