"""The `fieldline` CLI: demo data and create-user, through the real command objects."""

import re

from server.extensions import db
from server.models import User


def test_demo_creates_every_login_it_prints_and_they_can_log_in(app, runner, client):
    result = runner.invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    password = re.search(r"password is: (\S+)", result.output).group(1)
    emails = re.findall(r"^\s+(\w+)\s+(\S+@\S+)", result.output, re.MULTILINE)
    assert {role for role, _ in emails} == {"admin", "staff", "contractor", "tenant"}
    for role, email in emails:
        response = client.post("/api/auth/token", json={"email": email, "password": password})
        assert response.status_code == 200, email
        me = client.get(
            "/api/me", headers={"Authorization": f"Bearer {response.get_json()['access_token']}"}
        ).get_json()
        assert me["role"] == role


def test_demo_is_safe_to_run_twice(app, runner):
    assert runner.invoke(args=["demo", "--no-serve"]).exit_code == 0
    assert runner.invoke(args=["demo", "--no-serve"]).exit_code == 0
    with app.app_context():
        assert db.session.query(User).count() == 8


def test_create_user_command_creates_a_user_who_can_log_in(runner, client):
    result = runner.invoke(
        args=[
            "create-user",
            "--role",
            "admin",
            "--email",
            "Boss@Example.test",
            "--password",
            "s3cret-pass",
        ]
    )
    assert result.exit_code == 0, result.output
    login = client.post(
        "/api/auth/token", json={"email": "boss@example.test", "password": "s3cret-pass"}
    )
    assert login.status_code == 200


def test_create_user_command_refuses_a_duplicate_email(runner):
    args = [
        "create-user",
        "--role",
        "staff",
        "--email",
        "dup@example.test",
        "--password",
        "pw-12345678",
    ]
    assert runner.invoke(args=args).exit_code == 0
    second = runner.invoke(args=args)
    assert second.exit_code != 0
    assert "already exists" in second.output
