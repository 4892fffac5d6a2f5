"""Who may open a page: signed in (else to sign-in), and of a role that may (else a
403 page). Scope inside a page is the API's: `server.scope`, never a copy."""

from functools import wraps

from server.errors import Forbidden, NotAuthenticated
from web.session import current_caller

STAFF = ("staff", "admin")


def signed_in(*roles: str):
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            caller = current_caller()
            if caller is None:
                raise NotAuthenticated("Sign in to continue.")
            if roles and caller.role not in roles:
                raise Forbidden("This page is not for your role.")
            return view(caller, *args, **kwargs)

        return wrapper

    return decorator
