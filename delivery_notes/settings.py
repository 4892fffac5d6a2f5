"""The settings of signed delivery notes: declared here, merged into app.config at init_app
(docs/CONFIGURATION.md lists them)."""

import os

from server.config import Setting


def _note_dir(instance_path: str) -> str:
    return os.path.join(instance_path, "delivery-notes")


_note_dir.__doc__ = "instance/delivery-notes"
SETTINGS = (
    Setting("DELIVERY_NOTE_DIR", "str", _note_dir, "rendered delivery note PDFs, by SHA-256"),
    Setting("AGENCY_LOGO_PATH", "str", "", "a PNG printed on delivery notes; empty: none"),
)
