"""Asking for a login: no enumeration, rate limits, staff approval, and a mailed
set-password link that works once and expires."""

import re
from datetime import timedelta

from sqlalchemy import update

from server.db import utcnow
from server.extensions import db
from server.models import PasswordToken
from server.worker import run_once
from tests.mail.mailclient import text_of


def ask(client, email, name="Nia Newcomer", ip="203.0.113.7", **hints):
    return client.post(
        "/api/signup-requests",
        json={"email": email, "name": name, **hints},
        environ_base={"REMOTE_ADDR": ip},
    )


def requests_seen_by(client, make, staff, status="pending"):
    response = client.get(f"/api/signup-requests?status={status}", headers=make.headers(staff))
    assert response.status_code == 200
    return response.get_json()


def approve(client, make, staff, request_id, **body):
    return client.post(
        f"/api/signup-requests/{request_id}/approve", json=body, headers=make.headers(staff)
    )


def link_token(smtp, email) -> str:
    [mail] = smtp.inbox.to(email)
    assert mail["Subject"] == "Your Fieldline login"
    return re.search(r"/set-password\?token=([\w-]+)", text_of(mail)).group(1)


def test_the_answer_is_the_same_whether_or_not_the_address_has_a_login(client, make, people):
    unknown = ask(client, "nia@example.test")
    known = ask(client, people.tenant.email.upper(), ip="203.0.113.8")

    assert unknown.status_code == known.status_code == 202
    assert unknown.get_data() == known.get_data()
    assert unknown.headers["Content-Type"] == known.headers["Content-Type"]
    seen = {r["email"]: r["account_exists"] for r in requests_seen_by(client, make, people.manager)}
    assert seen == {"nia@example.test": False, people.tenant.email: True}


def test_requests_are_rate_limited_per_client_and_per_email(app, client):
    app.config["SIGNUP_MAX_PER_HOUR"] = 3
    for n in range(3):
        assert ask(client, f"person{n}@example.test").status_code == 202
    throttled = ask(client, "person9@example.test")
    assert throttled.status_code == 429 and throttled.get_json()["code"] == "signup_throttled"
    assert throttled.headers["Retry-After"] == "3600"

    for n in range(3):
        assert ask(client, "same@example.test", ip=f"198.51.100.{n}").status_code == 202
    assert ask(client, "same@example.test", ip="198.51.100.99").status_code == 429


def test_only_staff_see_and_decide_requests(client, make, people):
    ask(client, "nia@example.test")
    assert client.get("/api/signup-requests").status_code == 401
    assert (
        client.get("/api/signup-requests", headers=make.headers(people.tenant)).status_code == 403
    )


def test_an_approved_request_becomes_a_tenant_who_sets_a_password_once(
    app, client, make, smtp, people
):
    ask(client, "nia@example.test", unit_hint="Flat 2")
    [request] = requests_seen_by(client, make, people.manager)

    response = approve(client, make, people.manager, request["id"], unit_id=people.unit.id)

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "approved"
    assert (
        client.post(
            "/api/auth/token", json={"email": "nia@example.test", "password": "anything-at-all"}
        ).status_code
        == 401
    )
    run_once(app)
    token = link_token(smtp, "nia@example.test")
    with app.app_context():
        stored = db.session.scalars(db.select(PasswordToken.token_hash)).all()
    assert token not in str(stored)  # only its hash is kept

    done = client.post("/api/auth/set-password", json={"token": token, "password": "new-pass-123"})
    assert done.status_code == 200 and done.get_json() == {"email": "nia@example.test"}
    login = client.post(
        "/api/auth/token", json={"email": "nia@example.test", "password": "new-pass-123"}
    )
    assert login.status_code == 200
    me = client.get(
        "/api/me", headers={"Authorization": f"Bearer {login.get_json()['access_token']}"}
    ).get_json()
    assert (me["role"], me["name"]) == ("tenant", "Nia Newcomer")
    reused = client.post("/api/auth/set-password", json={"token": token, "password": "stolen-99"})
    assert reused.status_code == 400 and reused.get_json()["code"] == "password_link_invalid"
    again = approve(client, make, people.manager, request["id"])
    assert again.status_code == 409 and again.get_json()["code"] == "signup_decided"


def test_an_expired_link_no_longer_sets_a_password(app, client, make, smtp, people):
    ask(client, "late@example.test")
    [request] = requests_seen_by(client, make, people.manager)
    assert approve(client, make, people.manager, request["id"]).status_code == 200
    run_once(app)
    token = link_token(smtp, "late@example.test")
    with app.app_context():
        db.session.execute(update(PasswordToken).values(expires_at=utcnow() - timedelta(1)))
        db.session.commit()

    response = client.post("/api/auth/set-password", json={"token": token, "password": "pw-123456"})

    assert response.status_code == 400 and response.get_json()["code"] == "password_link_expired"


def test_the_link_page_sets_the_password_from_a_browser(app, client, make, smtp, people):
    ask(client, "web@example.test")
    [request] = requests_seen_by(client, make, people.manager)
    approve(client, make, people.manager, request["id"])
    run_once(app)
    token = link_token(smtp, "web@example.test")

    page = client.get(f"/set-password?token={token}")
    assert page.status_code == 200 and f'value="{token}"'.encode() in page.data
    done = client.post("/set-password", data={"token": token, "password": "browser-pass-1"})
    assert done.status_code == 200 and b"Password set" in done.data
    assert client.post(
        "/set-password", data={"token": token, "password": "x" * 12}
    ).status_code == (400)
    assert (
        client.post(
            "/api/auth/token", json={"email": "web@example.test", "password": "browser-pass-1"}
        ).status_code
        == 200
    )


def test_approving_a_request_for_an_existing_login_is_refused(client, make, people):
    ask(client, people.tenant.email)
    [request] = requests_seen_by(client, make, people.manager)

    response = approve(client, make, people.manager, request["id"])

    assert response.status_code == 409 and response.get_json()["code"] == "email_taken"


def test_a_rejected_request_creates_no_login(client, make, people):
    ask(client, "no@example.test")
    [request] = requests_seen_by(client, make, people.manager)

    response = client.post(
        f"/api/signup-requests/{request['id']}/reject", headers=make.headers(people.manager)
    )

    assert response.status_code == 200 and response.get_json()["status"] == "rejected"
    assert requests_seen_by(client, make, people.manager) == []
    assert (
        client.post(
            "/api/auth/token", json={"email": "no@example.test", "password": "whatever-123"}
        ).status_code
        == 401
    )


def test_behind_a_trusted_proxy_each_client_has_its_own_signup_budget(database_url, tmp_path):
    from server import create_app
    from tests.conftest import app_config

    config = {**app_config(tmp_path / "proxied", database_url), "SIGNUP_MAX_PER_HOUR": 2}
    proxied_app, direct_app = create_app({**config, "PROXY_FIX_X_FOR": 1}), create_app(config)

    def via_proxy(client, email, forwarded_for):
        return client.post(
            "/api/signup-requests",
            json={"email": email, "name": "Nia"},
            headers={"X-Forwarded-For": forwarded_for},
            environ_base={"REMOTE_ADDR": "10.0.0.2"},  # the proxy
        )

    try:
        proxied = proxied_app.test_client()
        for n in range(2):
            assert via_proxy(proxied, f"a{n}@example.test", "198.51.100.1").status_code == 202
            assert via_proxy(proxied, f"b{n}@example.test", "198.51.100.2").status_code == 202
        assert via_proxy(proxied, "a9@example.test", "198.51.100.1").status_code == 429
        # Without a trusted proxy the header is the client's word and counts for nothing.
        direct = direct_app.test_client()
        statuses = [
            via_proxy(direct, f"c{n}@example.test", f"198.51.100.{10 + n}") for n in range(3)
        ]
        assert [s.status_code for s in statuses] == [202, 202, 429]
    finally:
        for created in (proxied_app, direct_app):
            with created.app_context():
                db.session.remove()
                db.engine.dispose()
