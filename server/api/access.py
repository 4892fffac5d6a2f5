"""`requires`: authenticate before anything else runs, and say so in the OpenAPI document."""

from flask_smorest import Blueprint

from server.auth import login_required


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
