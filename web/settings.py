"""The settings of the web layer: declared here, merged into app.config at init_app
(docs/CONFIGURATION.md lists them)."""

from server.config import Setting

SETTINGS = (
    Setting("FIELD_APP_NAME", "str", "Fieldline", "the field app's name on the phone"),
    Setting("FIELD_APP_COLOUR", "str", "#1d4ed8", "the field app's brand colour (`#rrggbb`)"),
    Setting(
        "WEB_SESSION_IDLE_MINUTES",
        "int",
        "120",
        "a browser session ends after this long without a request",
    ),
    Setting(
        "WEB_SESSION_MAX_HOURS",
        "int",
        "12",
        "a browser session ends this long after sign-in, however busy",
    ),
)
