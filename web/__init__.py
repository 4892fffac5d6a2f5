"""Fieldline's web layer (docs/WEB.md, docs/FIELD_APP.md): the sign-in page, the staff
console, the tenant portal, and the field app's shell for contractors.

`web` may import the other packages' services; nothing imports `web` (an import-linter
contract). The server loads it by name from FEATURE_PACKAGES.
"""

import re

from flask import Blueprint

COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def init_app(app, api) -> None:
    from server.config import declare
    from server.tools.demo import DemoPart, register_demo_part
    from web import demo, field
    from web.blueprints import install
    from web.settings import SETTINGS

    declare(app.config, SETTINGS, app.instance_path)
    colour = app.config["FIELD_APP_COLOUR"]
    if not COLOUR.fullmatch(colour):
        raise ValueError(f"FIELD_APP_COLOUR must be a colour like #1d4ed8, not {colour!r}")
    _browser_sessions(app)
    app.register_blueprint(field.blp)
    for blueprint in _page_blueprints():
        app.register_blueprint(blueprint)
    install(app)
    register_demo_part(app, DemoPart(demo.apply_settings, demo.load))


def _page_blueprints() -> list[Blueprint]:
    from web import assets
    from web.console import bp as console
    from web.forgotten import bp as forgotten
    from web.portal import bp as portal
    from web.signin import bp as signin

    return [assets.bp, signin, forgotten, console, portal]


def _browser_sessions(app) -> None:
    base = app.config["PUBLIC_BASE_URL"]
    app.config.update(
        SESSION_COOKIE_NAME="fieldline_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=base.startswith("https://"),
    )
