"""Signed-in browsers: the session is a server row, its id in Flask's signed cookie.

Sign-in goes through the API's `authenticate` (same throttle, same deactivation rule)
and starts a token family with no device. Every request re-reads that row and the
user, so signing out, deactivation, a password change or a role change ends the
session at once, not when a cookie expires. Sessions also end after
WEB_SESSION_IDLE_MINUTES without a request and WEB_SESSION_MAX_HOURS after sign-in.

CSRF: one random token per session, sent back by every form (`csrf_token`) or by
htmx (`X-CSRF-Token`), compared in constant time before any state-changing view runs.
"""

import hmac
import secrets
import time
from datetime import timedelta

from flask import current_app, g, request, session
from sqlalchemy import select

from server.auth import Caller
from server.db import utcnow
from server.extensions import db
from server.models import TokenFamily, User
from server.services import auth

FAMILY = "family"
USER = "user"
SEEN = "seen"
CSRF = "csrf"


def sign_in(email: str, password: str) -> User:
    """Check the password (throttled like the API) and start a browser session."""
    user = auth.authenticate(email, password, request.remote_addr)
    family = auth.start_browser_session(user)
    session.clear()  # a fresh session: nothing from before sign-in survives (fixation)
    session[FAMILY] = family.id
    session[USER] = user.id
    session[SEEN] = int(time.time())
    session[CSRF] = secrets.token_urlsafe(32)
    session.permanent = False
    return user


def sign_out() -> None:
    if FAMILY in session:
        auth.end_browser_session(str(session[FAMILY]))
    session.clear()


def current_caller() -> Caller | None:
    """The signed-in caller of this request, or None (never signed in, or the session
    has ended for any reason)."""
    if "web_caller" in g:
        return g.web_caller
    g.web_caller = _load()
    if g.web_caller is not None:
        g.caller = g.web_caller  # the services and the change stamping read it
    return g.web_caller


def _load() -> Caller | None:
    family_id, user_id, seen = session.get(FAMILY), session.get(USER), session.get(SEEN)
    if not isinstance(family_id, str) or not isinstance(user_id, int) or not isinstance(seen, int):
        return None
    config = current_app.config
    now = int(time.time())
    if now - seen > config["WEB_SESSION_IDLE_MINUTES"] * 60:
        session.clear()
        return None
    found = db.session.execute(
        select(TokenFamily, User)
        .join(User, User.id == TokenFamily.user_id)
        .where(TokenFamily.id == family_id, User.id == user_id, TokenFamily.device_id.is_(None))
    ).first()
    if found is None:
        session.clear()
        return None
    family, user = found
    too_old = family.created_at + timedelta(hours=config["WEB_SESSION_MAX_HOURS"]) < utcnow()
    if family.revoked_at is not None or not user.is_active or too_old:
        session.clear()
        return None
    if now - seen >= 60:  # the cookie is rewritten at most once a minute
        session[SEEN] = now
    return Caller(user=user, device=None, family_id=family.id)


def csrf_token() -> str:
    if CSRF not in session:
        session[CSRF] = secrets.token_urlsafe(32)
    return session[CSRF]


def csrf_ok() -> bool:
    """The request carries this session's CSRF token (form field or htmx header)."""
    expected = session.get(CSRF)
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    return isinstance(expected, str) and hmac.compare_digest(sent.encode(), expected.encode())
