"""Helpers of the page tests: sign in through the form, as a browser does, and post
forms with the page's CSRF token."""

import re

from tests.factories import PASSWORD

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(client, path: str = "/") -> str:
    page = client.get(path)
    found = TOKEN.search(page.get_data(as_text=True))
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client, user, password: str = PASSWORD):
    token = csrf(client, "/")
    return client.post("/", data={"email": user.email, "password": password, "csrf_token": token})


def post(client, path: str, data: dict | None = None, *, token_from: str | None = None):
    """POST a form as the page at `token_from` (default: the same path) would."""
    token = csrf(client, token_from or "/account/password")
    return client.post(path, data={**(data or {}), "csrf_token": token})
