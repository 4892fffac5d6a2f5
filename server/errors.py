"""Domain exceptions and the one place that renders every error as RFC 9457 problem+json.

Clients switch on the stable ``code`` member; ``type`` is a URI built from it. Every code
is registered, with its status, in server/problems.py; rendering an unregistered code (or a
registered one with another status) warns, which fails the test that meets it.
"""

import logging
import warnings

from flask import Flask, current_app, json, request
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from server.extensions import PROBLEM_JSON
from server.problems import HTTP_CODES, HTTP_FALLBACK_CODE, is_registered

log = logging.getLogger(__name__)

TYPE_BASE = "https://fieldline.dev/problems/"


class DomainError(Exception):
    """A rule of the domain said no; rendered as a problem with a stable code."""

    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(self, detail: str = "", *, code: str | None = None, errors=None, headers=None):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        if code:
            self.code = code
        self.errors = errors
        self.headers = headers or {}


class Invalid(DomainError):
    status, code, title = 422, "validation_failed", "Validation failed"


class NotAuthenticated(DomainError):
    status, code, title = 401, "not_authenticated", "Not authenticated"

    def __init__(self, detail: str = "", **kwargs):
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="fieldline"'})
        super().__init__(detail, **kwargs)


class Forbidden(DomainError):
    status, code, title = 403, "forbidden", "Forbidden"


class NotFound(DomainError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(DomainError):
    status, code, title = 409, "conflict", "Conflict"


class TooLarge(DomainError):
    status, code, title = 413, "payload_too_large", "Payload too large"


class UnsupportedMedia(DomainError):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


class TooManyRequests(DomainError):
    status, code, title = 429, "too_many_requests", "Too many requests"


class StorageUnavailable(DomainError):
    status, code, title = 507, "insufficient_storage", "Insufficient storage"


class UnregisteredProblemCode(UserWarning):
    """An error response carries a code server/problems.py does not list with its status."""


def problem(status: int, code: str, title: str, detail: str, errors=None, headers=None):
    if not is_registered(code, status):
        warnings.warn(
            f"problem code {code!r} ({status}) is not registered in server/problems.py",
            UnregisteredProblemCode,
            stacklevel=2,
        )
    body = {"type": TYPE_BASE + code, "title": title, "status": status, "detail": detail}
    body["code"] = code
    if errors:
        body["errors"] = errors
    response = current_app.response_class(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _domain_error(error: DomainError):
    return problem(error.status, error.code, error.title, error.detail, error.errors, error.headers)


def _http_error(error: HTTPException):
    status = error.code or 500
    if status == 500 and _database_gone(getattr(error, "original_exception", None)):
        return _database_unavailable(error.original_exception)  # e.g. the commit failed
    if status == 500 and _schema_missing(getattr(error, "original_exception", None)):
        return _database_not_migrated(error.original_exception)
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    if errors and set(errors) <= {"json", "query", "form", "headers", "files", "view_args"}:
        # webargs nests messages per location; flatten the common single-location case.
        # A bad query string then reads like a bad body: {"limit": [...]}.
        errors = next(iter(errors.values())) if len(errors) == 1 else errors
    detail = data.get("message") or error.description or error.name
    if status == 422:
        detail = "The request did not pass validation; see errors."
    if isinstance(errors, list):
        # A message about the body as a whole (e.g. invalid JSON), not about a field.
        detail, errors = " ".join(map(str, errors)), None
    code = HTTP_CODES.get(status, HTTP_FALLBACK_CODE)
    headers = dict(data.get("headers") or {})
    if status == 405 and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    return problem(status, code, error.name, detail, errors, headers)


def _database_gone(error: BaseException | None) -> bool:
    """The connection to the database broke (server restarted, connection killed), or
    none could be opened (the server down or restarting): an OperationalError raised
    while connecting carries no statement."""
    if not isinstance(error, DBAPIError):
        return False
    return bool(error.connection_invalidated) or (
        isinstance(error, OperationalError) and error.statement is None
    )


def _database_unavailable(error: BaseException):
    # The transaction died with its connection, so nothing was saved: say "retry".
    log.warning("database unavailable on %s %s: %s", request.method, request.path, error)
    return problem(
        503,
        "database_unavailable",
        "Service unavailable",
        "The database could not be reached or the connection to it was lost; nothing "
        "was saved. Try again.",
        headers={"Retry-After": "1"},
    )


# What the databases say when a table or column the code uses does not exist yet.
_MISSING_SCHEMA = ("no such table", "no such column", "undefinedtable", "undefinedcolumn")


def _schema_missing(error: BaseException | None) -> bool:
    """The database answers but lacks a table or column: migrations were not run."""
    if not isinstance(error, DBAPIError):
        return False
    original = error.orig
    text = f"{type(original).__name__} {original}".lower()
    return any(marker in text for marker in _MISSING_SCHEMA)


def _database_not_migrated(error: BaseException):
    log.error("database not migrated on %s %s: %s", request.method, request.path, error)
    return problem(
        503,
        "database_not_migrated",
        "Service unavailable",
        "The database is not migrated to this version of Fieldline; the operator runs "
        "`fieldline db upgrade`. Nothing was saved.",
    )


def _unexpected_error(error: Exception):
    if _database_gone(error):
        return _database_unavailable(error)
    if _schema_missing(error):
        return _database_not_migrated(error)
    # Never leak a stack trace; log it with the request line for the operator.
    log.exception("unhandled error on %s %s", request.method, request.path)
    return problem(500, "internal_error", "Internal server error", "An unexpected error occurred.")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
