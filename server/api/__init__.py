"""Thin REST blueprints: parse with a schema, call one service, dump the result."""

from server.api import auth, devices, users


def register_blueprints(api) -> None:
    for module in (auth, devices, users):
        api.register_blueprint(module.blp)
