"""The settings of the device sync protocol: declared here, merged into app.config at init_app
(docs/CONFIGURATION.md lists them)."""

from server.config import Setting

SETTINGS = (
    Setting("SYNC_MAX_PUSH_BYTES", "int", str(8 * 1024 * 1024), "largest push body in bytes (413)"),
    Setting("SYNC_MAX_PUSH_RECORDS", "int", "5000", "most records in one push (413)"),
)
