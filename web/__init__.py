"""Fieldline's web layer (docs/FIELD_APP.md, UI.md): the field app's shell for
contractors today; the staff console and the tenant portal join it as blueprints.

`web` may import the other packages' services; nothing imports `web` (an import-linter
contract). The server loads it by name from FEATURE_PACKAGES.
"""

import os
import re

COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def init_app(app, api) -> None:
    from web import field

    app.config.setdefault("FIELD_APP_NAME", os.environ.get("FIELD_APP_NAME", "Fieldline"))
    default_colour = os.environ.get("FIELD_APP_COLOUR", "#1d4ed8")
    colour = app.config.setdefault("FIELD_APP_COLOUR", default_colour)
    if not COLOUR.fullmatch(colour):
        raise ValueError(f"FIELD_APP_COLOUR must be a colour like #1d4ed8, not {colour!r}")
    app.register_blueprint(field.blp)
