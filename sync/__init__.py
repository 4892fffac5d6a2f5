"""Device sync protocol (SPEC §6): pull assigned work, push responses, hours, materials,
signatures, attachment bytes. WatermelonDB-compatible."""


def init_app(app, api) -> None:
    from server.config import declare
    from sync import held_api, openapi
    from sync.api import blp
    from sync.settings import SETTINGS

    declare(app.config, SETTINGS, app.instance_path)
    api.register_schema_components(openapi.components)
    api.register_blueprint(blp)
    api.register_blueprint(held_api.blp)
