"""Pages: rendering with the layer's security headers, and errors as pages.

A `DomainError` raised under a page becomes a page in plain English: 401 sends the
browser to sign-in, 404 and 403 have their own pages, anything else shows the
problem's sentence with its status. The same strict Content-Security-Policy covers
every page: nothing from another origin, no inline script or style.
"""

import logging
import os
from urllib.parse import urlencode

from flask import current_app, g, redirect, render_template, request
from markupsafe import Markup

from server.db import utcnow
from server.errors import DomainError
from server.extensions import db
from server.problems import REGISTRY
from web import formatting
from web.assets import asset_url
from web.session import csrf_token, current_caller

log = logging.getLogger(__name__)
WEB_ROOT = os.path.dirname(__file__)

CSP = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def page(template: str, status: int = 200, *, headers: dict | None = None, **context):
    """`template` rendered as an HTML response (escaped; the layout reads the caller)."""
    body = render_template(template, **context)
    return current_app.response_class(body, status=status, mimetype="text/html", headers=headers)


def problem_text(error: DomainError) -> str:
    """The plain-English sentence for an error: its detail, else the registry's title."""
    registered = REGISTRY.get(error.code)
    return error.detail or (registered.title if registered else "Something went wrong.")


def error_page(error: DomainError):
    db.session.rollback()  # nothing of a refused request is kept
    if error.status == 401:
        target = urlencode({"next": request.full_path.rstrip("?")}, safe="/")
        return redirect(f"/?{target}", code=303)
    template = {404: "errors/404.html", 403: "errors/403.html"}.get(error.status)
    return page(template or "errors/problem.html", error.status, error=error)


def security_headers(response):
    # Files and documents bring their own stricter policy (sandboxed downloads).
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"  # pages hold private data
    return response


def _now():
    if "page_now" not in g:
        g.page_now = utcnow()
    return g.page_now


def when(value) -> str:
    return formatting.local_time(value, current_app.config["TIMEZONE"], _now())


def ago(value) -> str:
    return formatting.relative(value, _now())


def iso(value) -> str:
    return value.isoformat() if value else ""


def csrf_field() -> Markup:
    return Markup(f'<input type="hidden" name="csrf_token" value="{csrf_token()}">')


# Plain functions every template (macros too, which get no context) may call.
TEMPLATE_GLOBALS = {
    "when": when,
    "ago": ago,
    "iso": iso,
    "money": formatting.money,
    "asset": asset_url,
    "csrf_token": csrf_token,
    "csrf_field": csrf_field,
    "now": _now,
}


def template_globals() -> dict:
    return {"caller": current_caller()}


def server_error(error):
    log.exception("page failed", exc_info=getattr(error, "original_exception", error))
    db.session.rollback()
    return page("errors/500.html", 500)


def request_changes_state() -> bool:
    return request.method not in ("GET", "HEAD", "OPTIONS")
