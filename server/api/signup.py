"""Username requests (public), their review by staff, and setting a password from a
mailed link (API and a minimal HTML page for the link itself)."""

from html import escape

from flask import current_app, request
from flask_smorest import Blueprint

from server.api.access import accepts_any_content_type, requires
from server.auth import current_caller
from server.errors import DomainError
from server.query_args import accepts_any_query
from server.schemas.mail import (
    SetPasswordResultSchema,
    SetPasswordSchema,
    SignupAcceptedSchema,
    SignupApproveSchema,
    SignupQuerySchema,
    SignupRequestCreateSchema,
    SignupRequestSchema,
)
from server.services import signup

blp = Blueprint("signup", __name__, url_prefix="/api", description="Username requests")
page_blp = Blueprint(
    "set_password_page", __name__, url_prefix="/set-password", description="Set-password page"
)

ACCEPTED = {
    "status": "received",
    "detail": "Thank you. If your request can be accepted you will get an email with a link "
    "to choose your password.",
}
MIN_PASSWORD = 8


@blp.post("/signup-requests")
@blp.arguments(SignupRequestCreateSchema)
@blp.response(202, SignupAcceptedSchema)
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def request_login(data):
    """Ask for a login (public). The answer is the same whether or not the address
    already has one; at most SIGNUP_MAX_PER_HOUR requests per client and per email."""
    signup.request_signup(remote_addr=request.remote_addr, **data)
    return ACCEPTED


@blp.get("/signup-requests")
@requires("staff", "admin")
@blp.arguments(SignupQuerySchema, location="query")
@blp.response(200, SignupRequestSchema(many=True))
def list_requests(query):
    """Username requests, newest first; `account_exists` flags known addresses."""
    rows = signup.list_requests(current_caller(), query.get("status"), query["limit"])
    for row in rows:
        row.account_exists = signup.account_exists(row.email)
    return rows


@blp.post("/signup-requests/<int:request_id>/approve")
@requires("staff", "admin")
@blp.arguments(SignupApproveSchema)
@blp.response(200, SignupRequestSchema)
@blp.alt_response(409, response="CONFLICT")
def approve(data, request_id):
    """Create the tenant (with a tenancy of `unit_id` if given) and mail them a
    single-use set-password link. 409 `email_taken` when the address has a login."""
    row = signup.approve(current_caller(), request_id, **data)
    row.account_exists = True
    return row


@blp.post("/signup-requests/<int:request_id>/reject")
@requires("staff", "admin")
@blp.response(200, SignupRequestSchema)
@blp.alt_response(409, response="CONFLICT")
def reject(request_id):
    """Turn a request down (nothing is mailed)."""
    row = signup.reject(current_caller(), request_id)
    row.account_exists = signup.account_exists(row.email)
    return row


@blp.post("/auth/set-password")
@blp.arguments(SetPasswordSchema)
@blp.response(200, SetPasswordResultSchema)
@blp.alt_response(400, response="BAD_REQUEST")
def set_password(data):
    """Choose a password with the token of a mailed link: once, before it expires
    (400 `password_link_invalid` / `password_link_expired`)."""
    return signup.set_password(data["token"], data["password"])


def _page(status: int, title: str, body: str):
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head>"
        '<body style="font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto">'
        f"<main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )
    headers = {
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex",
        "Content-Security-Policy": "default-src 'none'; form-action 'self'",
    }
    return current_app.response_class(page, status=status, mimetype="text/html", headers=headers)


@page_blp.get("")
@accepts_any_query
@page_blp.response(200, {"type": "string"}, content_type="text/html")
def set_password_page():
    """The page a mailed link opens: a form that posts the password with the token."""
    token = escape(request.args.get("token", ""), quote=True)
    return _page(
        200,
        "Choose your password",
        f'<form method="post"><input type="hidden" name="token" value="{token}">'
        f'<p><label>Password <input type="password" name="password" minlength="{MIN_PASSWORD}"'
        ' required autocomplete="new-password"></label></p>'
        '<button type="submit">Set password</button></form>',
    )


@page_blp.post("")
@accepts_any_content_type
@page_blp.response(200, {"type": "string"}, content_type="text/html")
@page_blp.alt_response(400, description="Invalid or expired link, or a too short password")
def set_password_form():
    """The form's target (application/x-www-form-urlencoded)."""
    password = request.form.get("password", "")
    if len(password) < MIN_PASSWORD:
        return _page(400, "Password too short", f"<p>Use at least {MIN_PASSWORD} characters.</p>")
    try:
        user = signup.set_password(request.form.get("token", ""), password)
    except DomainError as refusal:
        return _page(400, "This link cannot be used", f"<p>{escape(refusal.detail)}</p>")
    return _page(200, "Password set", f"<p>Log in as {escape(user.email)}.</p>")
