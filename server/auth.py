"""Access tokens (JWT, HS256 pinned) and the per-request caller.

Every request re-reads the user, its token family and its device, so a revoked
device or a revoked family answers 401 at once, not when the access token expires.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import wraps

import jwt
from flask import current_app, g, request
from sqlalchemy import bindparam, select

from server.db import utcnow
from server.errors import Forbidden, NotAuthenticated
from server.extensions import db
from server.models import Device, TokenFamily, User
from server.query_args import refuse_unknown_query

REQUIRED_CLAIMS = ["exp", "iat", "sub", "jti", "aud", "iss", "role", "fam"]
USER_ID = re.compile(r"[1-9][0-9]{0,9}")
MAX_USER_ID = 2**31 - 1


@dataclass(frozen=True)
class Caller:
    """Who is calling: the user, and the device when the token was issued to one."""

    user: User
    device: Device | None
    # The login session the access token belongs to (None for the CLI, sync replays).
    family_id: str | None = None

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def id(self) -> int:
        return self.user.id


def issue_access_token(user: User, family: TokenFamily, device: Device | None) -> tuple[str, int]:
    config = current_app.config
    now = utcnow()
    ttl = config["ACCESS_TOKEN_TTL"]
    claims = {
        "sub": str(user.id),
        "role": user.role,
        "fam": family.id,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + ttl,
        "aud": config["JWT_AUDIENCE"],
        "iss": config["JWT_ISSUER"],
    }
    if device is not None:
        claims["dev"] = device.device_key
    token = jwt.encode(claims, config["SECRET_KEY"], algorithm=config["JWT_ALGORITHM"])
    return token, int(ttl.total_seconds())


def decode_access_token(token: str) -> dict:
    config = current_app.config
    try:
        return jwt.decode(
            token,
            config["SECRET_KEY"],
            algorithms=[config["JWT_ALGORITHM"]],
            audience=config["JWT_AUDIENCE"],
            issuer=config["JWT_ISSUER"],
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError as exc:
        raise NotAuthenticated("The access token has expired.", code="token_expired") from exc
    except jwt.InvalidTokenError as exc:
        raise NotAuthenticated("The access token is not valid.", code="token_invalid") from exc


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("A Bearer access token is required.")
    return token.strip()


# One round trip for the session, its user and its device: every request pays it, so
# the statement is built once.
_CALLER = (
    select(TokenFamily, User, Device)
    .join(User, User.id == TokenFamily.user_id)
    .outerjoin(Device, Device.id == TokenFamily.device_id)
    .where(TokenFamily.id == bindparam("family"), User.id == bindparam("user"))
)


def load_caller() -> Caller:
    """Authenticate the request, once; later calls return the same caller."""
    if "caller" in g:
        return g.caller
    claims = decode_access_token(_bearer_token())
    found = db.session.execute(
        _CALLER, {"family": str(claims["fam"]), "user": _user_id(claims["sub"])}
    ).first()
    if found is None or not found.User.is_active:
        raise NotAuthenticated("The account is not active.", code="token_revoked")
    family, user, device = found
    if device is not None and device.revoked_at is not None:
        raise NotAuthenticated("This device has been revoked.", code="device_revoked")
    if family.revoked_at is not None:
        raise NotAuthenticated("This session has been revoked.", code="token_revoked")
    g.caller = Caller(user=user, device=device, family_id=family.id)
    return g.caller


def _user_id(subject) -> int:
    """The token's `sub` as a user id; anything else was never issued by us (401)."""
    if not isinstance(subject, str) or not USER_ID.fullmatch(subject) or int(subject) > MAX_USER_ID:
        raise NotAuthenticated("The access token is not valid.", code="token_invalid")
    return int(subject)


def login_required(*roles: str):
    """Require a valid token; with roles, also one of those roles (403 otherwise)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            caller = load_caller()
            if roles and caller.role not in roles:
                raise Forbidden(f"This action needs the role {' or '.join(roles)}.")
            refuse_unknown_query(current_app.view_functions.get(request.endpoint))
            return view(*args, **kwargs)

        wrapper._fieldline_auth = True
        return wrapper

    return decorator


def current_caller() -> Caller:
    return g.caller


def seen_now(device: Device | None, when: datetime | None = None) -> None:
    if device is not None:
        device.last_seen_at = when or utcnow()
