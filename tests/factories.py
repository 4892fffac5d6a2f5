"""Test factories: users and tokens with defaults, built through the same services as the API."""

import functools
import itertools

from server.db import Base
from server.extensions import db
from server.services import auth as auth_service
from server.services import people

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


def committed(method):
    """Run a factory method in its own app context and commit, like a request would.

    The returned objects are loaded and detached, so tests can read their columns
    without holding a context open (which would leak `g` across test requests).
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self.app.app_context():
            result = method(self, *args, **kwargs)
            db.session.commit()
            for obj in result if isinstance(result, list | tuple) else [result]:
                if isinstance(obj, Base) and obj in db.session:
                    db.session.refresh(obj)
                    db.session.expunge(obj)
            return result

    return wrapper


class Factory:
    def __init__(self, app):
        self.app = app

    @committed
    def department(self, name: str | None = None):
        return people.create_department(None, name=name or f"Department {next(_counter)}")

    @committed
    def user(self, role: str = "tenant", **fields):
        n = next(_counter)
        fields.setdefault("email", f"{role}{n}@example.test")
        fields.setdefault("name", f"{role.title()} {n}")
        fields.setdefault("password", PASSWORD)
        return people.create_user(None, role=role, **fields)

    @committed
    def tokens(self, user, device_id: str | None = None) -> dict:
        return auth_service.login(user.email, PASSWORD, device_key=device_id)

    def headers(self, user, device_id: str | None = None) -> dict:
        return {"Authorization": f"Bearer {self.tokens(user, device_id)['access_token']}"}
