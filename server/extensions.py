"""Extensions, created unbound here and bound to the app in create_app()."""

from flask_migrate import Migrate
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from flask_sqlalchemy import SQLAlchemy

from server.db import Base
from server.schemas.problems import ProblemSchema

PROBLEM_JSON = "application/problem+json"


class FieldlineApi(Api):
    """flask-smorest, documenting every error as the RFC 9457 problem we send."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self):
        for name, description in _error_responses():
            response = {"description": description, "schema": self.ERROR_SCHEMA}
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(name, response, lazy=True)

    def _register_error_handlers(self):
        """Error rendering belongs to server.errors alone."""


def _error_responses():
    import http

    for status in http.HTTPStatus:
        if status >= 400:
            yield status.name, status.phrase
    yield "DEFAULT_ERROR", "Error (application/problem+json)"


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
