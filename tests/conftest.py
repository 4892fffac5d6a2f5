"""Fixtures shared by every suite: a migrated database per test (SQLite by default,
PostgreSQL with TEST_DATABASE_URL), the app, its client and CLI runner, the factory
(`make`), a small agency (`people`, `world`), a real SMTP server (`smtp`) and a
statement counter (`queries`).

The schema is migrated once per session. SQLite tests copy the migrated file;
PostgreSQL tests empty the tables a test wrote with DELETE, row triggers off for the
transaction so the append-only tables can be emptied (TRUNCATE only without superuser
rights), and reset the sequences that moved; see `_empty_postgres`. Under pytest-xdist
(`-n auto` in pyproject.toml, as .ci/run runs it), each worker on PostgreSQL gets a
database of its own next to TEST_DATABASE_URL's, created here and dropped at the end.
"""

import contextlib
import os
import shutil
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, event, make_url, text

from server import create_app
from server.extensions import db
from tests.api.mailbox import agency, smtp_server
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
        # Periodic jobs run on every pass, as the tests' run_once calls expect; the
        # period itself is tested in tests/api/test_worker_jobs.py.
        "WORKER_JOB_SECONDS": 0,
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
        url = _worker_database(_psycopg(POSTGRES_URL))
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        _migrate(url, instance)
        yield url
        if url != _psycopg(POSTGRES_URL):
            _admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
        return
    path = tmp_path_factory.mktemp("template-db") / "template.sqlite3"
    _migrate(f"sqlite:///{path}", instance)
    yield path


def _worker_database(url: str) -> str:
    """TEST_DATABASE_URL itself, or under pytest-xdist a new database for this worker."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    name = f"{make_url(url).database}_{worker}"
    _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(url, f'CREATE DATABASE "{name}"')
    # A throwaway database need not wait for its WAL to reach the disk at each commit.
    _admin(url, f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _admin(url: str, statement: str) -> None:
    """CREATE/DROP DATABASE, from a connection to the given database (outside a
    transaction, as PostgreSQL requires)."""
    engine = create_engine(_psycopg(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()


def _psycopg(url: str) -> str:
    from server.config import normalise_database_url

    return normalise_database_url(url)


# Sequences that have handed out a number since they were last reset, with the table
# owning each.
_ADVANCED_SEQUENCES = text(
    "SELECT DISTINCT t.relname, s.relname FROM pg_class s "
    "JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass "
    "AND d.refclassid = 'pg_class'::regclass "
    "JOIN pg_class t ON t.oid = d.refobjid "
    "JOIN pg_sequences q ON q.sequencename = s.relname AND q.schemaname = 'public' "
    "WHERE s.relkind = 'S' AND q.last_value IS NOT NULL"
)
_tables: list[str] = []


def _empty_postgres(url: str) -> None:
    """Empty what a test wrote: the tables holding rows, and reset the id sequences
    that moved (a rolled-back insert moves one too). Truncating all ~45 tables every
    time cost ~0.3 s a test; truncating only the written ones still cost ~0.25 s (new
    files for each table and index), so a superuser deletes their rows instead, with
    triggers off for the transaction (the history tables refuse DELETE): ~0.02 s."""
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
        moved = [(t, seq) for t, seq in conn.execute(_ADVANCED_SEQUENCES) if t in _tables]
        superuser = conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
        if superuser.scalar():
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in sorted(written):
                conn.execute(text(f'DELETE FROM "{table}"'))
            for _, sequence in moved:
                reset = text("SELECT setval(CAST(:s AS regclass), 1, false)")
                conn.execute(reset, {"s": f'"{sequence}"'})
        elif written or moved:
            names = ", ".join(f'"{t}"' for t in sorted(written | {t for t, _ in moved}))
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


@pytest.fixture
def people(make):
    """A block managed by one staff member (`manager`), with a tenant in a flat, a
    contractor and an admin (tests.api.mailbox.agency)."""
    return agency(make)


@dataclass
class World:
    """`people`, with a triaged ticket of the tenant's assigned to the contractor, and a
    unit of another block."""

    department: object
    admin: object
    staff: object
    tenant: object
    contractor: object
    block: object
    unit: object
    foreign_unit: object
    ticket: object


@pytest.fixture
def world(make, people) -> World:
    ticket = make.ticket(people.tenant, people.block, people.unit)
    make.triage(ticket, people.manager)
    make.assign(ticket, people.contractor, people.manager)
    return World(
        people.department,
        people.admin,
        people.manager,
        people.tenant,
        people.contractor,
        people.block,
        people.unit,
        make.unit(make.block()),
        make.reload(ticket),
    )


@pytest.fixture
def smtp(app):
    """A real SMTP server (aiosmtpd on 127.0.0.1) the app sends its mail to."""
    with smtp_server() as server:
        app.config["SMTP_URL"] = server.url
        yield server


class QueryCounter:
    """The SQL statements the app's engine ran inside `with queries:` (SQLAlchemy's
    before_cursor_execute event), to show a request's count does not grow with rows."""

    def __init__(self, app):
        self.app = app
        self.statements: list[str] = []

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)

    @contextlib.contextmanager
    def __call__(self):
        self.statements = []
        with self.app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", self._record)
        try:
            yield self
        finally:
            event.remove(engine, "before_cursor_execute", self._record)


@pytest.fixture
def queries(app) -> QueryCounter:
    """`with queries() as counted: ...` then `counted.count`."""
    return QueryCounter(app)
