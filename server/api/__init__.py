"""Thin REST blueprints: parse with a schema, call one service, dump the result."""

from server.api import (
    attachments,
    auth,
    devices,
    mail,
    notifications,
    properties,
    reports,
    settings,
    signup,
    tickets,
    users,
)


def register_blueprints(api) -> None:
    modules = (
        auth,
        devices,
        users,
        properties,
        tickets,
        attachments,
        settings,
        notifications,
        reports,
    )
    for module in modules:
        api.register_blueprint(module.blp)
    for blueprint in (mail.blp, signup.blp, signup.page_blp):
        api.register_blueprint(blueprint)
