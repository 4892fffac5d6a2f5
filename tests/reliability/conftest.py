"""Two agencies' worth of people and tickets, so every probe has something to hit
(fuzzing) and something it must not see (IDOR): built through the real services."""

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from server.extensions import db
from tests.factories import Factory
from tests.reliability.live import LiveServer, environment
from tests.sync.conftest import world  # noqa: F401  (the sync suite's agency and device)

# Rows that logging in or failing to log in writes; everything else must stay put.
AUTH_TABLES = {"refresh_tokens", "token_families", "devices", "login_throttles"}


@dataclass
class Site:
    """One department: its manager, block, flat, tenant, contractor and a worked ticket."""

    admin: object
    staff: object
    tenant: object
    contractor: object
    department: object
    block: object
    unit: object
    ticket: object


def build_site(make: Factory, label: str) -> Site:
    department = make.department(f"{label} maintenance")
    staff = make.user("staff", departments=[department], name=f"{label} Manager")
    block = make.block(manager=staff, department=department, name=f"{label} House")
    unit = make.unit(block, f"{label} Flat 1")
    tenant = make.tenant_in(unit, name=f"{label} Tenant")
    contractor = make.user("contractor", name=f"{label} Plumber", company=f"{label} Pipes")
    ticket = make.ticket(tenant, block, unit, summary=f"{label}: tap drips")
    make.triage(ticket, staff)
    make.assign(ticket, contractor, staff)
    make.message(ticket, contractor, f"{label}: on my way", "team")
    return Site(
        make.user("admin", name=f"{label} Admin"),
        staff,
        tenant,
        contractor,
        department,
        block,
        unit,
        ticket,
    )


@pytest.fixture
def ours(make) -> Site:
    return build_site(make, "Ours")


@pytest.fixture
def theirs(make, ours) -> Site:
    return build_site(make, "Theirs")


def row_counts(app) -> dict:
    """How many rows every table holds, and every counter's value (ticket refs, note and
    invoice numbers, the sync sequence): a refused request must change none of them."""
    with app.app_context():
        counts = {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
            if table.name not in AUTH_TABLES
        }
        counters = db.metadata.tables["counters"]
        counts["counter values"] = sorted(db.session.execute(select(counters)).all())
        return counts


@pytest.fixture
def live(app, database_url, tmp_path):
    """Start a gunicorn server on the test database: `live(**env)` -> LiveServer."""
    servers = []

    def start(**env) -> LiveServer:
        server = LiveServer(environment(app, database_url, **env), tmp_path / "server.log")
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()
