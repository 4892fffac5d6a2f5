"""Username requests and set-password links.

Anyone may ask for a login; the answer never says whether the address is known (the
request is recorded the same way either way, so neither the body nor the timing
differ), and requests are rate-limited per client address and per email. Staff
approve a request, which creates the tenant (optionally with a tenancy) and mails a
set-password link; or reject it.

How a set-password link is minted and mailed is server.services.password_links; a
link is used once (`set_password`) and expires after SET_PASSWORD_TTL_HOURS.
"""

import secrets
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select

from server.auth import Caller
from server.db import utcnow
from server.errors import Conflict, DomainError, NotFound, TooManyRequests
from server.extensions import db
from server.mail.tokens import token_hash
from server.models import PasswordToken, SignupRequest, User
from server.passwords import hash_password
from server.services.password_links import send_password_link
from server.services.people import create_user
from server.services.properties import create_tenancy

WINDOW = timedelta(hours=1)


def request_signup(
    *,
    email: str,
    name: str,
    remote_addr: str | None,
    block_hint: str | None = None,
    unit_hint: str | None = None,
    message: str | None = None,
) -> None:
    """Record a request for a login (202 whatever the address; see the module doc)."""
    email = email.strip().lower()
    since = utcnow() - WINDOW
    limit = current_app.config["SIGNUP_MAX_PER_HOUR"]
    recent = select(func.count()).where(SignupRequest.created_at >= since)
    by_address = db.session.scalar(recent.where(SignupRequest.remote_addr == remote_addr))
    by_email = db.session.scalar(recent.where(SignupRequest.email == email))
    if by_address >= limit or by_email >= limit:
        raise TooManyRequests(
            "Too many requests; try again later.",
            code="signup_throttled",
            headers={"Retry-After": str(int(WINDOW.total_seconds()))},
        )
    db.session.add(
        SignupRequest(
            email=email,
            name=" ".join(name.split()),
            block_hint=block_hint,
            unit_hint=unit_hint,
            message=message,
            remote_addr=remote_addr,
        )
    )
    db.session.flush()


def list_requests(caller: Caller, status: str | None, limit: int):
    query = select(SignupRequest).order_by(SignupRequest.id.desc()).limit(limit)
    if status:
        query = query.where(SignupRequest.status == status)
    return db.session.scalars(query).all()


def account_exists(email: str) -> bool:
    """Shown to staff only, so they can point the person at their existing login."""
    return db.session.scalar(select(User.id).where(User.email == email)) is not None


def _pending(request_id: int) -> SignupRequest:
    request = db.session.get(SignupRequest, request_id, with_for_update=True)
    if request is None:
        raise NotFound("No such signup request.", code="signup_request_not_found")
    if request.status != "pending":
        raise Conflict(f"This request was already {request.status}.", code="signup_decided")
    return request


def approve(
    caller: Caller,
    request_id: int,
    *,
    name: str | None = None,
    unit_id: int | None = None,
    starts_on: date | None = None,
) -> SignupRequest:
    """Create the tenant (with a tenancy of `unit_id` if given) and mail the link."""
    request = _pending(request_id)
    user = create_user(
        caller,
        email=request.email,
        name=name or request.name,
        role="tenant",
        password=secrets.token_urlsafe(32),  # nobody knows it: the link sets the real one
    )
    if unit_id is not None:
        create_tenancy(caller, unit_id, tenant_id=user.id, starts_on=starts_on or date.today())
    send_password_link(user)
    request.status, request.user_id = "approved", user.id
    request.decided_at, request.decided_by_id = utcnow(), caller.user.id
    db.session.flush()
    return request


def reject(caller: Caller, request_id: int) -> SignupRequest:
    request = _pending(request_id)
    request.status, request.decided_at, request.decided_by_id = "rejected", utcnow(), caller.id
    db.session.flush()
    return request


def set_password(token: str, password: str) -> User:
    """Use a link once: set the password, spend the link (and the user's other links)."""
    row = db.session.scalar(
        select(PasswordToken).where(PasswordToken.token_hash == token_hash(token)).with_for_update()
    )
    now = utcnow()
    if row is None or row.used_at is not None:
        raise DomainError("This link is not valid (any more).", code="password_link_invalid")
    if row.expires_at <= now:
        raise DomainError("This link has expired; ask for a new one.", code="password_link_expired")
    user = db.session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise DomainError("This link is not valid (any more).", code="password_link_invalid")
    user.password_hash = hash_password(password)
    for other in db.session.scalars(
        select(PasswordToken).where(
            PasswordToken.user_id == user.id, PasswordToken.used_at.is_(None)
        )
    ):
        other.used_at = now
    db.session.flush()
    return user
