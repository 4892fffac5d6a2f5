"""Login, refresh-token rotation with reuse detection, and device revocation."""

import hashlib
import secrets
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from server.auth import Caller, issue_access_token
from server.db import utcnow
from server.errors import NotAuthenticated, NotFound
from server.extensions import db
from server.models import Device, RefreshToken, TokenFamily, User
from server.passwords import check_password
from server.services import throttle


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_pair(user: User, family: TokenFamily, device: Device | None) -> dict:
    refresh = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        RefreshToken(
            token_hash=_hash(refresh),
            family_id=family.id,
            issued_at=now,
            expires_at=now + current_app.config["REFRESH_TOKEN_TTL"],
        )
    )
    access, expires_in = issue_access_token(user, family, device)
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": expires_in,
    }


def _register_device(user: User, device_key: str, name: str | None, app_version: str | None):
    device = db.session.scalar(
        select(Device).where(Device.user_id == user.id, Device.device_key == device_key)
    )
    if device is None:
        device = Device(user_id=user.id, device_key=device_key)
        db.session.add(device)
    if device.revoked_at is not None:
        raise NotAuthenticated("This device has been revoked.", code="device_revoked")
    device.name = name or device.name
    device.app_version = app_version or device.app_version
    device.last_seen_at = utcnow()
    db.session.flush()
    return device


def login(
    email: str,
    password: str,
    device_key: str | None = None,
    device_name: str | None = None,
    app_version: str | None = None,
    remote_addr: str | None = None,
) -> dict:
    """Exchange email and password for an access/refresh pair (a new token family).

    The attempt is counted before the password is checked (server.services.throttle),
    and an unknown email costs the same password check as a known one."""
    user = authenticate(email, password, remote_addr)
    device = _register_device(user, device_key, device_name, app_version) if device_key else None
    family = TokenFamily(id=str(uuid.uuid4()), user_id=user.id, device_id=device and device.id)
    db.session.add(family)
    db.session.flush()
    return _token_pair(user, family, device)


def authenticate(email: str, password: str, remote_addr: str | None) -> User:
    """The active user with this email and password; every sign-in (API token, web
    form) goes through here, so throttling and deactivation are the same for both."""
    email = email.strip().lower()
    throttle.begin_login_attempt(email, remote_addr)
    user = db.session.scalar(select(User).where(User.email == email))
    valid = check_password(user.password_hash if user else None, password)
    if not valid or user is None or not user.is_active:
        raise NotAuthenticated("Email or password is wrong.", code="invalid_credentials")
    throttle.login_succeeded(email, remote_addr)
    return user


def start_browser_session(user: User) -> TokenFamily:
    """A web session is a token family with no device and no tokens: deactivating the
    user, changing the password or signing out revokes it like any API login."""
    family = TokenFamily(id=str(uuid.uuid4()), user_id=user.id, device_id=None)
    db.session.add(family)
    db.session.flush()
    return family


def end_browser_session(family_id: str) -> None:
    db.session.execute(
        update(TokenFamily)
        .where(TokenFamily.id == family_id, TokenFamily.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason="signed_out")
    )


def unlock_logins(caller: Caller, user_id: int) -> User:
    """Admin: lift every login block of this account, from every client address."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    throttle.unlock_account(user.email)
    return user


def refresh(refresh_token: str) -> dict:
    """Rotate a refresh token; presenting one already rotated revokes the device's tokens."""
    stored = db.session.get(RefreshToken, _hash(refresh_token), with_for_update=True)
    now = utcnow()
    if stored is None:
        raise NotAuthenticated("The refresh token is not valid.", code="token_invalid")
    family = stored.family
    if stored.rotated_at is not None:
        _revoke_after_reuse(family)
        raise NotAuthenticated(
            "This refresh token was already used; the session is revoked.", code="token_reused"
        )
    if family.revoked_at is not None:
        raise NotAuthenticated("This session has been revoked.", code="token_revoked")
    if stored.expires_at <= now:
        raise NotAuthenticated("The refresh token has expired.", code="token_expired")
    user = db.session.get(User, family.user_id)
    device = db.session.get(Device, family.device_id) if family.device_id else None
    if not user.is_active or (device is not None and device.revoked_at is not None):
        raise NotAuthenticated("This session has been revoked.", code="token_revoked")
    stored.rotated_at = now
    if device is not None:
        device.last_seen_at = now
    return _token_pair(user, family, device)


def _revoke_after_reuse(family: TokenFamily) -> None:
    """A stolen token was replayed: end every session of that device (or that login)."""
    now = utcnow()
    scope = (
        TokenFamily.device_id == family.device_id
        if family.device_id is not None
        else TokenFamily.id == family.id
    )
    db.session.execute(
        update(TokenFamily)
        .where(scope, TokenFamily.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason="refresh_token_reused")
    )
    # The request answers 401 but the revocation must stand.
    db.session.commit()


def visible_devices(caller: Caller):
    """Devices a staff member may see: all of them (admin and staff manage the fleet)."""
    return select(Device).order_by(Device.last_seen_at.desc().nulls_last(), Device.id)


def revoke_device(caller: Caller, device_id: int) -> Device:
    """A lost handheld: its next request answers 401, its refresh tokens stop working."""
    device = db.session.get(Device, device_id)
    if device is None:
        raise NotFound("No such device.")
    now = utcnow()
    if device.revoked_at is None:
        device.revoked_at = now
        db.session.execute(
            update(TokenFamily)
            .where(TokenFamily.device_id == device.id, TokenFamily.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason="device_revoked")
        )
    db.session.flush()
    return device


def token_lifetime() -> timedelta:
    return current_app.config["REFRESH_TOKEN_TTL"]
