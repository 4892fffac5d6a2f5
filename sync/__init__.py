"""Device sync protocol (SPEC §6): pull assigned work, push responses, hours, materials,
signatures, attachment bytes. WatermelonDB-compatible."""


def init_app(app, api) -> None:
    from sync import openapi
    from sync.api import blp

    app.config.setdefault("SYNC_MAX_PUSH_BYTES", 8 * 1024 * 1024)
    app.config.setdefault("SYNC_MAX_PUSH_RECORDS", 5000)
    api.register_schema_components(openapi.components)
    api.register_blueprint(blp)
