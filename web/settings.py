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
    Setting("AGENCY_PHONE", "str", "", "the managing agent's phone number in the tenant portal"),
    Setting("AGENCY_EMAIL", "str", "", "the managing agent's email address in the tenant portal"),
    Setting(
        "AGENCY_HOURS",
        "str",
        "",
        "when the managing agent answers, in the tenant portal (e.g. `Mon–Fri 9:00–17:30`)",
    ),
    Setting(
        "PORTAL_MAX_PHOTOS",
        "int",
        "5",
        "photos a tenant may send with one report or reply in the portal",
    ),
)
