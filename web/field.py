"""The field app for contractors, served at /field/: the built bundle from
web/static/field/ (source in fieldapp/, docs/FIELD_APP.md).

Served with a strict Content-Security-Policy; the brand (FIELD_APP_NAME,
FIELD_APP_COLOUR) is written into the HTML, the manifest and brand.css as they are
served, so an agency brands the app without rebuilding it.
"""

import hashlib
import json
import os
from functools import lru_cache

from flask import Blueprint, abort, current_app, redirect, request
from markupsafe import escape

STATIC = os.path.join(os.path.dirname(__file__), "static", "field")

# Everything from this origin only. `blob:` images are the photos kept on the phone
# until uploaded (object URLs); no inline script or style, no eval.
CSP = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
BRANDED = {"index.html", "manifest.webmanifest", "brand.css"}

blp = Blueprint("field", __name__)


@lru_cache(maxsize=32)
def _read(name: str) -> bytes:
    with open(os.path.join(STATIC, name), "rb") as handle:
        return handle.read()


def _files() -> set[str]:
    return set(os.listdir(STATIC)) if os.path.isdir(STATIC) else set()


def _branded(name: str, body: bytes) -> bytes:
    app_name = current_app.config["FIELD_APP_NAME"]
    colour = current_app.config["FIELD_APP_COLOUR"]
    text = body.decode()
    if name == "index.html":
        text = text.replace("__BRAND_NAME__", str(escape(app_name)))
    elif name == "manifest.webmanifest":
        text = text.replace('"__BRAND_NAME__', json.dumps(app_name)[:-1])
    return text.replace("__BRAND_COLOUR__", colour).encode()


@blp.get("/field")
def field_root():
    return redirect("/field/", code=308)


@blp.get("/field/")
@blp.get("/field/<name>")
def field_file(name: str = "index.html"):
    if name not in _files():
        abort(404)
    body = _read(name)
    if name in BRANDED:
        body = _branded(name, body)
    response = current_app.response_class(body, content_type=TYPES[os.path.splitext(name)[1]])
    # The service worker keeps the shell for offline use; the browser revalidates.
    response.headers["Cache-Control"] = "no-cache"
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    return response.make_conditional(request)


@blp.after_app_request
def _security_headers(response):
    if request.blueprint == "field":
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    return response
