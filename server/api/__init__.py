"""Thin REST blueprints: parse with a schema, call one service, dump the result."""

from server.api import auth, devices, notifications, properties, settings, tickets, users


def register_blueprints(api) -> None:
    for module in (auth, devices, users, properties, tickets, settings, notifications):
        api.register_blueprint(module.blp)
