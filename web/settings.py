"""The settings of the web layer: declared here, merged into app.config at init_app
(docs/CONFIGURATION.md lists them)."""

from server.config import Setting

SETTINGS = (
    Setting("FIELD_APP_NAME", "str", "Fieldline", "the field app's name on the phone"),
    Setting("FIELD_APP_COLOUR", "str", "#1d4ed8", "the field app's brand colour (`#rrggbb`)"),
)
