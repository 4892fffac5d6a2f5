"""Device sync protocol (SPEC §6): pull assigned work, push responses, hours, materials,
signatures, attachment bytes. WatermelonDB-compatible."""


def init_app(app, api) -> None:
    from sync import held_api
    from sync.api import blp

    app.config.setdefault("SYNC_MAX_PUSH_BYTES", 8 * 1024 * 1024)
    app.config.setdefault("SYNC_MAX_PUSH_RECORDS", 5000)
    api.register_blueprint(blp)
    api.register_blueprint(held_api.blp)
