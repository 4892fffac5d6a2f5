"""The one sign-in page: each role lands home, the API's throttle and deactivation
apply, sessions end when the server says so, and every form needs its CSRF token."""

import pytest

from server.extensions import db
from server.services.people import deactivate_user
from tests.factories import PASSWORD, as_caller
from tests.web.pages import csrf, post, sign_in


def test_each_role_lands_on_its_home(app, people):
    homes = {
        people.manager: "/dashboard",
        people.admin: "/dashboard",
        people.tenant: "/portal",
        people.contractor: "/field/",
    }
    for user, home in homes.items():
        client = app.test_client()
        answer = sign_in(client, user)
        assert answer.status_code == 303, answer.get_data(as_text=True)
        assert answer.headers["Location"] == home
        assert client.get("/").headers["Location"] == home


def test_a_wrong_password_is_refused_in_plain_words_and_keeps_the_email(client, people):
    answer = sign_in(client, people.manager, password="not the password")
    assert answer.status_code == 401
    html = answer.get_data(as_text=True)
    assert "There is a problem" in html
    assert "The email address or password is not right." in html
    assert f'value="{people.manager.email}"' in html
    assert client.get("/dashboard").status_code == 303  # still signed out


def test_sign_in_shares_the_api_throttle(app, client, people):
    app.config["LOGIN_MAX_FAILURES"] = 2
    for _ in range(2):
        sign_in(client, people.manager, password="wrong password here")
    answer = sign_in(client, people.manager)  # even the right password waits now
    assert answer.status_code == 429
    assert "Retry-After" in answer.headers
    api = client.post("/api/auth/token", json={"email": people.manager.email, "password": "x" * 12})
    assert api.status_code == 429


def test_a_deactivated_user_is_signed_out_at_once(app, people):
    client = app.test_client()
    sign_in(client, people.manager)
    assert client.get("/dashboard").status_code == 200
    with app.app_context():
        deactivate_user(as_caller(people.admin), people.manager.id)
        db.session.commit()
    answer = client.get("/dashboard")
    assert answer.status_code == 303 and answer.headers["Location"] == "/?next=/dashboard"
    assert sign_in(app.test_client(), people.manager).status_code == 401


def test_signing_out_ends_the_session_on_the_server(app, people):
    client = app.test_client()
    sign_in(client, people.manager)
    with client.session_transaction() as saved:
        cookie = dict(saved)
    post(client, "/sign-out", token_from="/dashboard")
    assert client.get("/dashboard").status_code == 303
    replay = app.test_client()  # the old cookie, replayed, is worth nothing
    with replay.session_transaction() as session:
        session.update(cookie)
    assert replay.get("/dashboard").status_code == 303


def test_an_idle_session_expires(app, people):
    client = app.test_client()
    sign_in(client, people.manager)
    with client.session_transaction() as session:
        session["seen"] -= app.config["WEB_SESSION_IDLE_MINUTES"] * 60 + 1
    assert client.get("/dashboard").status_code == 303


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_form_without_its_csrf_token_changes_nothing(app, people, token):
    client = app.test_client()
    sign_in(client, people.manager)
    data = {"current_password": "x", "new_password": "a new long password"}
    if token is not None:
        data["csrf_token"] = token
    answer = client.post("/account/password", data=data)
    assert answer.status_code == 400
    assert "This form has expired" in answer.get_data(as_text=True)


def test_sign_in_never_redirects_to_another_site(client, people):
    token = csrf(client, "/?next=//evil.example/x")
    html = client.get("/?next=//evil.example/x").get_data(as_text=True)
    assert "evil.example" not in html
    answer = client.post(
        "/",
        data={
            "email": people.manager.email,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "https://evil.example/",
        },
    )
    assert "evil.example" not in answer.headers.get("Location", "")


def test_changing_the_password_ends_other_sessions(app, people):
    first, second = app.test_client(), app.test_client()
    sign_in(first, people.manager)
    sign_in(second, people.manager)
    answer = post(
        first,
        "/account/password",
        {"current_password": PASSWORD, "new_password": "another long passphrase"},
    )
    assert answer.status_code == 200
    assert "Your password has been changed" in answer.get_data(as_text=True)
    assert first.get("/dashboard").status_code == 200
    assert second.get("/dashboard").status_code == 303


def test_pages_carry_a_strict_content_security_policy(client):
    answer = client.get("/")
    policy = answer.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "unsafe" not in policy
    assert answer.headers["X-Frame-Options"] == "DENY"
    html = answer.get_data(as_text=True)
    assert "<script>" not in html and "style=" not in html
