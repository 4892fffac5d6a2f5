"""One configuration idiom: every setting the code reads is declared, with its type and
default, and docs/CONFIGURATION.md's table is the declarations."""

import ast
import pathlib
from datetime import timedelta

import pytest

from server.config import SETTINGS, Config, Setting, all_settings, declare, markdown_table
from server.docs import between

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGES = ("server", "sync", "delivery_notes", "billing")
# Keys that are not settings: Flask's and flask-smorest's own, and Config's fixed values.
NOT_SETTINGS = {"TESTING", "INSTANCE_PATH"} | set(
    vars(Config("/nowhere", environ={"SECRET_KEY": "x"}))
)
# Every module reads config["KEY"] now (the mail package and worker included).
LEFT_FOR_THE_MAIL_REWORK: set[str] = set()


def _config_reads():
    """(path, line, key, has its own default) for every config["KEY"] and config.get("KEY")."""
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            where = str(path.relative_to(ROOT))
            for node in ast.walk(ast.parse(path.read_text())):
                target, key, own_default = None, None, False
                if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
                    target, key = node.value, node.slice.value
                elif (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "get"
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                ):
                    target, key = node.func.value, node.args[0].value
                    own_default = len(node.args) > 1
                name = target.attr if isinstance(target, ast.Attribute) else None
                name = target.id if isinstance(target, ast.Name) else name
                if name == "config" and isinstance(key, str):
                    yield where, node.lineno, key, own_default


def test_every_setting_read_is_declared():
    declared = {s.key for _, settings in all_settings() for s in settings}
    reads = list(_config_reads())
    assert len(reads) > 50  # the scan sees the code
    undeclared = [f"{p}:{n} {k}" for p, n, k, _ in reads if k not in declared | NOT_SETTINGS]
    assert undeclared == []


def test_no_setting_is_read_with_a_default_of_its_own():
    own = [f"{p}:{n} {k}" for p, n, k, d in _config_reads() if d]
    assert [o for o in own if o.split(":")[0] not in LEFT_FOR_THE_MAIL_REWORK] == []


def test_each_key_is_declared_once_across_packages():
    keys = [s.key for _, settings in all_settings() for s in settings]
    assert sorted({k for k in keys if keys.count(k) > 1}) == []


def test_settings_are_typed_from_the_environment(tmp_path):
    environ = {
        "ACCESS_TOKEN_TTL_SECONDS": "60",
        "ATTACHMENT_TYPES": "image/png,text/plain",
        "OUTBOX_RETRY_SECONDS": "1,2",
        "DATABASE_URL": "postgres://u@h/db",
        "AUTO_MIGRATE": "",  # empty counts as unset
        "SECRET_KEY": "s",
    }
    config = Config(str(tmp_path), environ=environ)
    assert config.ACCESS_TOKEN_TTL == timedelta(seconds=60)
    assert config.ATTACHMENT_TYPES == ("image/png", "text/plain")
    assert config.OUTBOX_RETRY_SECONDS == (1, 2)
    assert config.OUTBOX_MAX_ATTEMPTS == 3  # one more than the delays
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@h/db"
    assert config.AUTO_MIGRATE is False  # "sqlite", but the database is PostgreSQL
    assert config.ATTACHMENT_DIR == str(tmp_path / "attachments")


@pytest.mark.parametrize(("text", "value"), [("1", True), ("yes", True), ("0", False)])
def test_a_package_setting_merges_without_overriding_a_given_value(tmp_path, text, value):
    flag = Setting("SOME_FLAG", "flag", "", "a flag")
    config: dict = {}
    declare(config, [flag], str(tmp_path), {"SOME_FLAG": text})
    assert config["SOME_FLAG"] is value
    config = {"SOME_FLAG": "given"}
    declare(config, [flag], str(tmp_path), {"SOME_FLAG": text})
    assert config["SOME_FLAG"] == "given"


def test_the_configuration_docs_carry_every_declaration():
    _, table, _ = between((ROOT / "docs" / "CONFIGURATION.md").read_text(), "settings")
    assert table == markdown_table(all_settings()), "run: python -m server.docs"
    assert len(table.splitlines()) == 2 + len(SETTINGS) + sum(
        len(settings) for package, settings in all_settings() if package != "server"
    )
