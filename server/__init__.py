"""Fieldline server: the app factory, config, database, auth and the ticket domain.

Feature packages (sync, delivery notes, billing, web) plug in through ``init_app(app, api)``;
the server package names them only in config, so it never imports them.
"""

import importlib
import os

from flask import Flask, request

from server import changes, json_body, search
from server.config import Config
from server.errors import UnsupportedMedia, register_error_handlers
from server.extensions import FieldlineApi, db, migrate
from server.query_args import refuse_unknown_query
from server.schemas.ids import IdConverter

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


def create_app(config: dict | None = None) -> Flask:
    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get("INSTANCE_PATH")
    app = Flask(__name__, instance_path=instance_path and os.path.abspath(instance_path))
    app.config.from_mapping(vars(Config(app.instance_path)))
    app.config.from_mapping(config or {})
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from server.db import configure_sqlite

        with app.app_context():
            configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, compare_type=True)
    app.url_map.converters["int"] = IdConverter  # before any route is added
    search.install(db.session)  # before the sync stamping: its flush is stamped too
    changes.install(db.session)

    api = FieldlineApi(app, spec_kwargs={"info": _api_info()})
    app.extensions["fieldline_api"] = api
    _register_security_scheme(api)
    register_error_handlers(app)
    _register_request_hooks(app)

    from server import cli
    from server.api import reference, register_blueprints

    register_blueprints(api)
    # A plain Flask blueprint: the reference page is not part of the API it documents.
    app.register_blueprint(reference.bp)
    for name in app.config["FEATURE_PACKAGES"]:
        package = importlib.import_module(name)
        if hasattr(package, "init_app"):
            package.init_app(app, api)
    cli.register(app)
    _trust_proxies(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind PROXY_FIX_X_FOR trusted proxies, `request.remote_addr` is the client the
    nearest of them saw (werkzeug's ProxyFix); the header is ignored otherwise, so a
    client cannot choose its own address."""
    hops = app.config["PROXY_FIX_X_FOR"]
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops)


def _api_info() -> dict:
    return {
        "description": (
            "Fieldline: tickets, offline device sync, signed delivery notes and billing "
            "for property maintenance. Authenticate with `POST /api/auth/token` and send "
            "`Authorization: Bearer <access_token>`. Every error is RFC 9457 "
            "`application/problem+json` with a stable `code`. Anything outside the "
            "caller's scope answers 404; an action the role may not take answers 403."
        )
    }


def _register_security_scheme(api: FieldlineApi) -> None:
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )


def _register_request_hooks(app: Flask) -> None:
    @app.before_request
    def _check_body():
        json_body.refuse_nul_in_url()
        if request.routing_exception is not None:
            return  # 404/405 whatever the body
        view = app.view_functions.get(request.endpoint)
        if not getattr(view, "_fieldline_auth", False):
            refuse_unknown_query(view)  # authenticated views check after login_required
        if request.method not in ("POST", "PUT", "PATCH") or not json_body.has_body():
            return
        if getattr(view, "accepts_any_content_type", False):
            return
        if not request.is_json:
            raise UnsupportedMedia("Send the request body as application/json.")
        limit = app.config["MAX_JSON_BYTES"]
        raw = json_body.read_limited(limit, f"JSON bodies are limited to {limit} bytes.")
        if raw:
            json_body.parse(raw)  # the view parses the cached body again, now known good

    @app.after_request
    def _commit_once(response):
        # The request is the unit of work: services flush, the boundary commits once.
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response
