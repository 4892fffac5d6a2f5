"""`requires`: authenticate before anything else runs, and say so in the OpenAPI document."""

from flask import request
from flask_smorest import Blueprint

from server.auth import login_required
from server.errors import Invalid


def requires(*roles: str):
    """Place right under the route decorator so auth runs before body parsing."""

    def decorator(view):
        responses = {"401": "UNAUTHORIZED", "404": "NOT_FOUND"}
        if roles:
            responses["403"] = "FORBIDDEN"
        documented = Blueprint.doc(security=[{"bearerAuth": []}], responses=responses)
        wrapped = documented(login_required(*roles)(view))
        wrapped.fieldline_roles = roles  # read by server.extensions.AccessPlugin
        return wrapped

    return decorator


def accepts_any_content_type(view):
    """Mark a view whose body is not JSON-only (sync push, raw uploads, signed webhooks)."""
    view.accepts_any_content_type = True
    return view


def accepts_any_query(view):
    """Mark a view that reads its query string itself (an HTML page's `?token=`)."""
    view.accepts_any_query = True
    return view


def _documented_query_names(view) -> set[str] | None:
    """The query parameters a flask-smorest view declares; None for other views."""
    apidoc = getattr(view, "_apidoc", None)
    if apidoc is None:
        return None
    names = set()
    for argument in apidoc.get("arguments", {}).get("parameters", []):
        if argument.get("in") == "query":
            schema = argument["schema"]
            schema = schema() if isinstance(schema, type) else schema
            names.update(f.data_key or name for name, f in schema.fields.items())
    return names


def refuse_unknown_query(view) -> None:
    """A query parameter no schema of the view declares is a 422, not silently ignored
    (a misspelt filter would otherwise return everything). One place for every
    endpoint, list or not; the parameters themselves are validated by their schema."""
    if not request.args or view is None or getattr(view, "accepts_any_query", False):
        return
    known = _documented_query_names(view)
    if known is None:
        return
    unknown = sorted(set(request.args) - known)
    if unknown:
        raise Invalid(
            f"Unknown query parameter: {', '.join(unknown)}.",
            code="unknown_query_parameter",
            errors={name: ["Unknown field."] for name in unknown},
        )
