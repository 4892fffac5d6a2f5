"""Fixtures: a migrated database per test (SQLite by default, PostgreSQL with
TEST_DATABASE_URL), the app, its client and its CLI runner.

The schema is migrated once per session. SQLite tests copy the migrated file;
PostgreSQL tests truncate every table (TRUNCATE fires no row triggers, so the
append-only tables can be emptied between tests and nowhere else).
"""

import os
import shutil

import pytest
from sqlalchemy import create_engine, text

from server import create_app
from server.extensions import db
from tests.factories import Factory

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")


def pytest_report_header(config):
    return f"database: {'PostgreSQL ' + POSTGRES_URL if POSTGRES_URL else 'SQLite (embedded)'}"


def app_config(instance_path, database_url) -> dict:
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key-with-enough-entropy-for-hs256-and-hs512-0123456789abcdef",
        "PASSWORD_HASH_PROFILE": "fast",
        "AUTO_MIGRATE": False,
    }


def _migrate(url: str, instance_path) -> None:
    from server.cli import upgrade_database

    app = create_app(app_config(instance_path, url))
    with app.app_context():
        upgrade_database()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """Migrate an empty database once; tests start from copies of it."""
    instance = tmp_path_factory.mktemp("template-instance")
    if POSTGRES_URL:
        engine = create_engine(_psycopg(POSTGRES_URL))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        _migrate(_psycopg(POSTGRES_URL), instance)
        return _psycopg(POSTGRES_URL)
    path = tmp_path_factory.mktemp("template-db") / "template.sqlite3"
    _migrate(f"sqlite:///{path}", instance)
    return path


def _psycopg(url: str) -> str:
    from server.config import normalise_database_url

    return normalise_database_url(url)


# Tables owning a sequence that has handed out a number since it was last reset.
_ADVANCED_SEQUENCE_OWNERS = text(
    "SELECT DISTINCT t.relname FROM pg_class s "
    "JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass "
    "AND d.refclassid = 'pg_class'::regclass "
    "JOIN pg_class t ON t.oid = d.refobjid "
    "JOIN pg_sequences q ON q.sequencename = s.relname AND q.schemaname = 'public' "
    "WHERE s.relkind = 'S' AND q.last_value IS NOT NULL"
)
_tables: list[str] = []


def _empty_postgres(url: str) -> None:
    """Truncate what a test wrote: the tables holding rows, and those whose id
    sequence moved (a rolled-back insert), in one TRUNCATE. Truncating all ~45 tables
    every time cost ~0.3 s a test, most of the PostgreSQL run."""
    engine = create_engine(url)
    with engine.begin() as conn:
        if not _tables:
            _tables.extend(
                conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "AND tablename NOT IN ('alembic_version', 'ticket_types')"
                    )
                ).scalars()
            )
        probe = " UNION ALL ".join(
            f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in _tables
        )
        written = set(conn.execute(text(probe)).scalars())
        written |= set(conn.execute(_ADVANCED_SEQUENCE_OWNERS).scalars()) & set(_tables)
        if written:
            names = ", ".join(f'"{t}"' for t in sorted(written))
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        # Reference rows the migrations seed stay; what a test added goes.
        conn.execute(text("DELETE FROM ticket_types WHERE NOT built_in"))
    engine.dispose()


@pytest.fixture
def database_url(database_template, tmp_path) -> str:
    if POSTGRES_URL:
        _empty_postgres(database_template)
        return database_template
    path = tmp_path / "fieldline.sqlite3"
    shutil.copyfile(database_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(app_config(tmp_path / "instance", database_url))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(app):
    """Factory of domain objects with sensible defaults, each committed on its own."""
    return Factory(app)
