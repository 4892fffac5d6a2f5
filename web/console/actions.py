"""The post/redirect/get of every back-office form: run the service; on success a
flash and a 303 to the page; when a rule says no, the page again with the problem in
words and the typed values (the request boundary rolls the attempt back). 401, 403
and 404 stay pages of their own (web.rendering.error_page)."""

from flask import flash, redirect

from server.errors import DomainError
from server.extensions import db
from web.rendering import problem_text

PASSED_ON = (401, 403, 404)


def act(run, *, done: str, message: str, again):
    """`run()`; then a redirect to `done` with `message`, or `again(status, errors,
    problem)` re-rendering the form's page."""
    try:
        run()
    except DomainError as error:
        if error.status in PASSED_ON:
            raise
        db.session.rollback()
        return again(status=error.status, errors=error.errors or {}, problem=problem_text(error))
    flash(message, "success")
    return redirect(done, code=303)
