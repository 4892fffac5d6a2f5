"""Query strings: a parameter no schema of the view declares answers 422.

Checked once per request: right after authentication for views behind `requires`
(401 before 422, as for bodies), before the view otherwise (server/__init__.py)."""

from flask import request

from server.errors import Invalid


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
