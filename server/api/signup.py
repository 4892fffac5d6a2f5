"""Username requests (public), their review by staff, and setting a password from a
mailed link (API and a minimal HTML page for the link itself)."""

from flask import request
from flask_smorest import Blueprint

from server.api.access import accepts_any_content_type, requires
from server.api.pages import html_page
from server.auth import current_caller
from server.errors import DomainError
from server.query_args import accepts_any_query
from server.schemas.signup import (
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


PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; form-action 'self'",
}


def _page(status: int, title: str, text: str):
    return html_page(status, "page.html", PAGE_HEADERS, title=title, text=text)


@page_blp.get("")
@accepts_any_query
@page_blp.response(200, {"type": "string"}, content_type="text/html")
def set_password_page():
    """The page a mailed link opens: a form that posts the password with the token."""
    return html_page(
        200,
        "set_password_page.html",
        PAGE_HEADERS,
        title="Choose your password",
        token=request.args.get("token", ""),
        min_password=MIN_PASSWORD,
    )


@page_blp.post("")
@accepts_any_content_type
@page_blp.response(200, {"type": "string"}, content_type="text/html")
@page_blp.alt_response(400, description="Invalid or expired link, or a too short password")
def set_password_form():
    """The form's target (application/x-www-form-urlencoded)."""
    password = request.form.get("password", "")
    if len(password) < MIN_PASSWORD:
        return _page(400, "Password too short", f"Use at least {MIN_PASSWORD} characters.")
    try:
        user = signup.set_password(request.form.get("token", ""), password)
    except DomainError as refusal:
        return _page(400, "This link cannot be used", refusal.detail)
    return _page(200, "Password set", f"Log in as {user.email}.")
