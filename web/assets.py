"""The layer's static files (one stylesheet, the vendored htmx) at /assets/.

Served with an ETag and revalidated (no-cache); the layout links them with a content
hash in the query, so a new release is fetched at once.
"""

import hashlib
import os
from functools import cache

from flask import Blueprint, url_for

STATIC = os.path.join(os.path.dirname(__file__), "static")

bp = Blueprint("assets", __name__, static_folder="static", static_url_path="/assets")


@bp.after_request
def _headers(response):
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@cache
def _digest(filename: str) -> str:
    with open(os.path.join(STATIC, filename), "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:12]


def asset_url(filename: str) -> str:
    return url_for("assets.static", filename=filename, v=_digest(filename))
