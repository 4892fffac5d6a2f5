"""The first hour with Fieldline: an unmigrated database, a busy port, `--help` and
`--version`, each answered with one clear line instead of a traceback."""

import os
import socket
import subprocess
import sys

import pytest
from sqlalchemy import make_url, text

from server import create_app
from server.extensions import db
from tests.conftest import POSTGRES_URL, _admin, _psycopg, app_config


@pytest.fixture
def empty_database_url(database_template, tmp_path):
    """A database nobody migrated: a new SQLite file, or a new PostgreSQL database."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    name = f"{make_url(database_template).database}_empty"
    _admin(database_template, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(database_template, f'CREATE DATABASE "{name}"')
    yield (
        make_url(_psycopg(database_template))
        .set(database=name)
        .render_as_string(hide_password=False)
    )
    _admin(database_template, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def unmigrated_app(empty_database_url, tmp_path):
    app = create_app(
        {
            **app_config(tmp_path / "instance", empty_database_url),
            "IMAP_URL": "imap://user:pass@127.0.0.1:1/INBOX",
        }
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


COMMANDS = {
    "create-user": [
        "create-user",
        "--role",
        "admin",
        "--email",
        "a@b.test",
        "--password",
        "x" * 12,
    ],
    "worker": ["worker", "--once"],
    "seed": ["seed", "--tickets", "1"],
    "mail-in": ["mail-in", "--once"],
    "export": ["export", "all", "--out", "OUT"],
    "render-delivery-notes": ["render-delivery-notes"],
    "serve": ["serve", "--port", "PORT"],
}


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_on_an_unmigrated_database_says_to_run_db_upgrade(
    unmigrated_app, tmp_path, name
):
    args = [
        str(tmp_path / "out") if a == "OUT" else str(free_port()) if a == "PORT" else a
        for a in COMMANDS[name]
    ]
    result = unmigrated_app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "is not migrated" in lines[0] and "run `fieldline db upgrade`" in lines[0]
    with unmigrated_app.app_context():
        tables = db.session.execute(text("SELECT 1")).all()  # still reachable, still empty
        assert tables == [(1,)]


def test_the_api_on_an_unmigrated_database_answers_503_with_a_code(unmigrated_app):
    response = unmigrated_app.test_client().post(
        "/api/auth/token", json={"email": "a@b.test", "password": "whatever-long"}
    )
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "database_not_migrated"
    assert "fieldline db upgrade" in response.get_json()["detail"]


def test_db_upgrade_then_makes_every_command_work(unmigrated_app):
    runner = unmigrated_app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=COMMANDS["create-user"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_busy_port_fails_before_the_banner_naming_the_port_option(runner, command):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(args=[command, "--port", str(port)])
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert f"Port {port}" in line and "--port" in line
    assert "password" not in result.output  # no demo banner


def _fieldline(*args, tmp_path) -> subprocess.CompletedProcess:
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        INSTANCE_PATH=str(tmp_path / "instance"),
        SECRET_KEY="test-secret-key-with-enough-entropy-for-hs256-0123456789abcdef",
    )
    code = "from server.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_help_lists_fieldlines_commands_not_flasks_options(tmp_path):
    result = _fieldline("--help", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    for command in ("serve", "demo", "worker", "create-user", "seed", "db", "mail-in"):
        assert f"\n  {command} " in result.stdout
    for flask_option in ("--env-file", "-A, --app", "--debug"):
        assert flask_option not in result.stdout
    commands = result.stdout.split("Commands:")[1]
    assert "..." not in commands  # each description shows whole


def test_version_prints_fieldlines_version(tmp_path):
    from importlib.metadata import version

    result = _fieldline("--version", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"fieldline {version('fieldline')}"
    assert "Flask" not in result.stdout
