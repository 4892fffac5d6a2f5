"""Token endpoints: log in, rotate."""

from flask import request
from flask_smorest import Blueprint

from server.schemas.auth import RefreshRequestSchema, TokenPairSchema, TokenRequestSchema
from server.services import auth as auth_service

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Authentication")


@blp.post("/token")
@blp.arguments(TokenRequestSchema)
@blp.response(200, TokenPairSchema)
@blp.alt_response(401, description="Wrong email or password")
@blp.alt_response(429, description="Too many failed logins")
def token(data):
    """Log in with email and password; pass `device_id` from a handheld."""
    return auth_service.login(
        data["email"],
        data["password"],
        device_key=data.get("device_id"),
        device_name=data.get("device_name"),
        app_version=data.get("app_version"),
        remote_addr=request.remote_addr,
    )


@blp.post("/refresh")
@blp.arguments(RefreshRequestSchema)
@blp.response(200, TokenPairSchema)
@blp.alt_response(401, description="Invalid, expired, reused or revoked refresh token")
def refresh(data):
    """Rotate a refresh token; reusing a rotated one revokes the device's sessions."""
    return auth_service.refresh(data["refresh_token"])
