"""Shapes of the token endpoints."""

from marshmallow import Schema, fields, validate


class TokenRequestSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=3, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    device_id = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Stable id of a handheld; tokens then carry a `dev` claim"},
    )
    device_name = fields.String(validate=validate.Length(max=200))
    app_version = fields.String(validate=validate.Length(max=50))


class RefreshRequestSchema(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TokenPairSchema(Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "Seconds"})
