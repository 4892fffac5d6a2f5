"""The public "forgotten your username or password?" form: a request for a login,
recorded by the API's signup service with its rules. The answer is the same
whatever the address (known or not); requests are throttled per client and per
address (SIGNUP_MAX_PER_HOUR). Staff review the request and mail a set-password
link (the page at /set-password)."""

from flask import request

from server.errors import Invalid, TooManyRequests
from server.schemas.signup import SignupRequestCreateSchema
from server.services import signup
from web.blueprints import page_blueprint
from web.forms import read_form
from web.rendering import page, problem_text

bp = page_blueprint("forgotten", __name__)

FIELDS = ("name", "email", "block_hint", "unit_hint", "message")
LABELS = {
    "name": "Your full name",
    "email": "Email address",
    "block_hint": "Building",
    "unit_hint": "Flat",
    "message": "Anything else we should know",
}
WORDS = {
    "name": "Enter your name.",
    "email": "Enter an email address like name@example.com.",
}


@bp.get("/forgotten")
def request_form():
    return page("auth/forgotten.html", values={}, errors={}, labels=LABELS)


@bp.post("/forgotten")
def request_login():
    values = {name: request.form.get(name, "")[:4000] for name in FIELDS}
    try:
        data = read_form(SignupRequestCreateSchema(), values)
        signup.request_signup(remote_addr=request.remote_addr, **data)
    except Invalid as error:
        errors = {
            name: [WORDS.get(name, message) for message in messages]
            for name, messages in (error.errors or {}).items()
        }
        return page("auth/forgotten.html", 422, values=values, errors=errors, labels=LABELS)
    except TooManyRequests as error:
        return page(
            "auth/forgotten.html",
            429,
            values=values,
            errors={},
            labels=LABELS,
            message=problem_text(error) + " Nothing was sent.",
            headers=error.headers,
        )
    return page("auth/forgotten_sent.html")
