"""Every page blueprint is made here, so each gets the same guards once: CSRF before
any state change, errors as pages, the layer's security headers, and the layout's
helpers in every template."""

from flask import Blueprint
from werkzeug.exceptions import InternalServerError

from server.errors import DomainError
from web import rendering
from web.session import csrf_ok

# Pages take form posts (urlencoded or multipart) and their own query strings: the
# API's JSON-only body rule and declared-query rule are for API views (server/__init__).
PAGE_BLUEPRINTS: list[str] = []


def page_blueprint(name: str, import_name: str) -> Blueprint:
    blueprint = Blueprint(name, import_name, template_folder="templates")
    blueprint.root_path = rendering.WEB_ROOT  # templates live in web/templates

    @blueprint.before_request
    def _check_csrf():
        if rendering.request_changes_state() and not csrf_ok():
            return rendering.page("errors/csrf.html", 400)
        return None

    blueprint.register_error_handler(DomainError, rendering.error_page)
    blueprint.register_error_handler(InternalServerError, rendering.server_error)
    blueprint.after_request(rendering.security_headers)
    blueprint.context_processor(rendering.template_globals)
    PAGE_BLUEPRINTS.append(name)
    return blueprint


def install(app) -> None:
    """App-wide parts of the pages: template helpers, and forms accepted as bodies."""
    app.jinja_env.globals.update(rendering.TEMPLATE_GLOBALS)
    for endpoint, view in app.view_functions.items():
        if endpoint.split(".")[0] in PAGE_BLUEPRINTS:
            view.accepts_any_content_type = True
            view.accepts_any_query = True
