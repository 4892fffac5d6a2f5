"""The one sign-in page at `/`, sign-out, "change my password", and each role's home.

Sign-in shares the API's `authenticate` (throttle, deactivation); a refusal is shown
on the form in plain words and the password field is never filled back in.
"""

from urllib.parse import urlsplit

from flask import redirect, request

from server.errors import Invalid, NotAuthenticated, TooManyRequests
from server.schemas.people import PasswordChangeSchema
from server.services import people
from web import session
from web.access import signed_in
from web.blueprints import page_blueprint
from web.forms import read_form
from web.rendering import page, problem_text

bp = page_blueprint("signin", __name__)

HOMES = {
    "staff": "/dashboard",
    "admin": "/dashboard",
    "tenant": "/portal",
    "contractor": "/field/",
}


def home_for(role: str) -> str:
    return HOMES[role]


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never another host (an open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return None
    return target


@bp.get("/")
def sign_in_form():
    caller = session.current_caller()
    if caller is not None:
        return redirect(home_for(caller.role), code=303)
    return page("auth/sign_in.html", next=_safe_next(request.args.get("next")))


@bp.post("/")
def sign_in():
    email = request.form.get("email", "")[:320]
    password = request.form.get("password", "")[:1024]
    target = _safe_next(request.form.get("next"))
    errors = {}
    if not email.strip():
        errors["email"] = ["Enter your email address."]
    if not password:
        errors["password"] = ["Enter your password."]
    if errors:
        return page("auth/sign_in.html", 422, errors=errors, email=email, next=target)
    try:
        user = session.sign_in(email, password)
    except (NotAuthenticated, TooManyRequests) as error:
        status = error.status
        message = problem_text(error)
        if isinstance(error, NotAuthenticated):
            message = "The email address or password is not right."
        return page(
            "auth/sign_in.html",
            status,
            errors={"email": [message]},
            email=email,
            next=target,
            headers=error.headers,
        )
    return redirect(target or home_for(user.role), code=303)


@bp.post("/sign-out")
def sign_out():
    session.sign_out()
    return redirect("/?signed_out=1", code=303)


@bp.get("/account/password")
@signed_in()
def password_form(caller):
    return page("auth/password.html")


@bp.post("/account/password")
@signed_in()
def change_password(caller):
    try:
        data = read_form(PasswordChangeSchema(), request.form)
        people.change_own_password(caller, data["current_password"], data["new_password"])
    except Invalid as error:
        return page("auth/password.html", 422, errors=error.errors or {}, message=error.detail)
    return page("auth/password.html", changed=True)


@bp.get("/welcome")
@signed_in()
def welcome(caller):
    """Contractors without the field app at hand: where it is. Others go home."""
    if caller.role != "contractor":
        return redirect(home_for(caller.role), code=303)
    return page("auth/welcome.html")
