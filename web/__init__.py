"""Fieldline's web layer (docs/FIELD_APP.md, UI.md): the field app's shell for
contractors today; the staff console and the tenant portal join it as blueprints.

`web` may import the other packages' services; nothing imports `web` (an import-linter
contract). The server loads it by name from FEATURE_PACKAGES.
"""

import re

COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def init_app(app, api) -> None:
    from server.config import declare
    from web import field
    from web.settings import SETTINGS

    declare(app.config, SETTINGS, app.instance_path)
    colour = app.config["FIELD_APP_COLOUR"]
    if not COLOUR.fullmatch(colour):
        raise ValueError(f"FIELD_APP_COLOUR must be a colour like #1d4ed8, not {colour!r}")
    app.register_blueprint(field.blp)
