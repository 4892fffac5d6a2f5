"""Extensions, created unbound here and bound to the app in create_app()."""

import threading

from apispec import BasePlugin
from flask_migrate import Migrate
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from flask_sqlalchemy import SQLAlchemy

from server.db import Base
from server.schemas.problems import ProblemSchema

PROBLEM_JSON = "application/problem+json"


class FieldlineApi(Api):
    """flask-smorest, documenting every error as the RFC 9457 problem we send.

    A blueprint's routes are registered at once, its OpenAPI documentation when the
    document is first read (`spec`): building it was most of create_app (0.55 s,
    0.08 s without here), paid by every test's app, while a server builds it once. The blueprints
    are documented in the order they were registered, so the document is the same."""

    ERROR_SCHEMA = ProblemSchema

    def __init__(self, *args, **kwargs):
        self._undocumented: list[tuple] = []  # (blueprint, name, parameters)
        self._component_sources: list = []  # callables returning {name: JSON schema}
        self._documenting = threading.Lock()
        super().__init__(*args, **kwargs)

    @property
    def spec(self):
        if self._undocumented or self._component_sources:
            with self._documenting:
                while self._component_sources:
                    for name, schema in self._component_sources.pop(0)().items():
                        self._spec.components.schema(name, schema)
                while self._undocumented:
                    blp, name, parameters = self._undocumented[0]
                    blp.register_views_in_doc(
                        self, self._app, self._spec, name=name, parameters=parameters
                    )
                    self._spec.tag({"name": name, "description": blp.description})
                    self._undocumented.pop(0)
        return self._spec

    @spec.setter
    def spec(self, value) -> None:
        self._spec = value

    def register_schema_components(self, source) -> None:
        """Schemas written outside marshmallow (e.g. from msgspec structs): `source()`
        returns {name: JSON schema}, called when the document is first read."""
        self._component_sources.append(source)

    def register_blueprint(self, blp, *, parameters=None, **options):
        """As flask-smorest's, with the documentation left for `spec` to write."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

    def _register_responses(self):
        for name, description in _error_responses():
            response = {"description": description, "schema": self.ERROR_SCHEMA}
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(name, response, lazy=True)

    def _register_error_handlers(self):
        """Error rendering belongs to server.errors alone."""

    def _init_spec(self, *args, extra_plugins=None, **kwargs):
        plugins = [*(extra_plugins or ()), BodyErrorsPlugin(self), AccessPlugin(self)]
        super()._init_spec(*args, extra_plugins=plugins, **kwargs)


class BodyErrorsPlugin(BasePlugin):
    """Document what the request hook (server/__init__.py) answers for any JSON body:
    400 malformed JSON, 413 too large, 415 not JSON. Views that take other bodies
    (`accepts_any_content_type`) document their own errors."""

    BODY_ERRORS = {
        "400": "BAD_REQUEST",
        "413": "REQUEST_ENTITY_TOO_LARGE",
        "415": "UNSUPPORTED_MEDIA_TYPE",
    }

    def __init__(self, api: Api):
        super().__init__()
        self.api = api

    def operation_helper(self, path=None, operations=None, rule=None, **kwargs):
        view = self.api._app.view_functions.get(rule.endpoint) if rule is not None else None
        if view is None or getattr(view, "accepts_any_content_type", False):
            return
        for operation in (operations or {}).values():
            if isinstance(operation, dict) and operation.get("requestBody"):
                responses = operation.setdefault("responses", {})
                for status, name in self.BODY_ERRORS.items():
                    responses.setdefault(status, name)


class AccessPlugin(BasePlugin):
    """Every operation's description ends with who may call it, read from its `requires`
    (so it cannot drift from the check), and every path parameter says what it names."""

    PATH_PARAMETERS = {
        "priority": "the priority: low, normal, high or critical",
        "token": "the token from the mailed link",
        "kind": "which export (see the description)",
        "flavor": "the e-invoice syntax",
    }

    def __init__(self, api: Api):
        super().__init__()
        self.api = api

    def path_helper(self, path=None, operations=None, parameters=None, **kwargs):
        for parameter in parameters or ():
            if isinstance(parameter, dict) and parameter.get("in") == "path":
                parameter.setdefault("description", self._describe(parameter["name"]))

    def _describe(self, name: str) -> str:
        if name in self.PATH_PARAMETERS:
            return self.PATH_PARAMETERS[name]
        if name.endswith("_id"):
            return f"id of the {name[:-3].replace('_', ' ')}"
        return f"the {name.replace('_', ' ')}"

    def operation_helper(self, path=None, operations=None, rule=None, **kwargs):
        view = self.api._app.view_functions.get(rule.endpoint) if rule is not None else None
        if view is None:
            return
        roles = getattr(view, "fieldline_roles", None)
        if roles is None:
            access = "Public: no login needed."
        elif roles:
            access = (
                f"Needs a Bearer token of a {' or '.join(roles)}; other roles get 403. "
                "Anything outside the caller's scope answers 404."
            )
        else:
            access = (
                "Needs a Bearer token (any role). Anything outside the caller's scope "
                "answers 404; an action the role may not take answers 403."
            )
        for operation in (operations or {}).values():
            if isinstance(operation, dict):
                described = operation.get("description")
                operation["description"] = f"{described}\n\n{access}" if described else access


def _error_responses():
    import http

    for status in http.HTTPStatus:
        if status >= 400:
            yield status.name, status.phrase
    yield "DEFAULT_ERROR", "Error (application/problem+json)"


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
