"""What the web layer adds to `fieldline demo`: the managing agent's contact details
shown in the tenant portal (where the environment left them empty)."""

import os

SETTINGS = {
    "AGENCY_PHONE": "020 7946 0123",
    "AGENCY_EMAIL": "help@demo.fieldline",
    "AGENCY_HOURS": "Monday to Friday, 9:00 to 17:30",
}


def apply_settings(app) -> dict[str, str]:
    used = {}
    for name, value in SETTINGS.items():
        if not os.environ.get(name) and not app.config.get(name):
            app.config[name] = value
        used[name] = str(app.config[name])
    return used


def load() -> None:
    """The portal needs no data of its own: the agency's tenants are the demo's."""
