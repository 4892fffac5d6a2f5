"""Device sync protocol (SPEC §6): pull assigned work, push responses, hours, materials,
signatures, attachment bytes. WatermelonDB-compatible."""

from server.config import Setting

SETTINGS = (
    Setting("SYNC_MAX_PUSH_BYTES", "int", str(8 * 1024 * 1024), "largest push body in bytes (413)"),
    Setting("SYNC_MAX_PUSH_RECORDS", "int", "5000", "most records in one push (413)"),
)


def init_app(app, api) -> None:
    from server.config import declare
    from sync.api import blp

    declare(app.config, SETTINGS, app.instance_path)
    api.register_blueprint(blp)
