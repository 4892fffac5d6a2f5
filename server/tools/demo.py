"""Demo data for `fieldline demo`: a small agency anyone can log in to.

Feature packages add to the demo from their `init_app` with `register_demo_part`
(billing: rates, an owner, seller and bank settings, the ERP secret, the walkthrough).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from server.auth import Caller
from server.extensions import db
from server.models import Block, Department, Unit, User
from server.services import assignments, messages, properties, settings, tickets
from server.services.people import create_department, create_user

DEMO_PASSWORD = "fieldline-demo"
PEOPLE = [
    ("admin", "admin@demo.fieldline", "Ada Admin"),
    ("staff", "maria.manager@demo.fieldline", "Maria Manager"),
    ("staff", "sam.support@demo.fieldline", "Sam Support"),
    ("contractor", "carl.plumber@demo.fieldline", "Carl Plumber"),
    ("contractor", "eve.electric@demo.fieldline", "Eve Electric"),
    ("tenant", "zoe@demo.fieldline", "Zoë Łukasiewicz"),
    ("tenant", "obrien@demo.fieldline", "Pat O'Brien"),
    ("tenant", "nina@demo.fieldline", "Nina Núñez"),
]


DEMO_PARTS = "fieldline.demo_parts"


@dataclass(frozen=True)
class DemoPart:
    """What a feature package adds to the demo."""

    # Applied to the demo's app before it serves; returns the settings to print.
    settings: Callable[[object], dict[str, str]]
    # Its demo data, after the agency's; safe to run again.
    load: Callable[[], None]
    # Commands that walk a user through it: (base URL, demo password) -> text.
    walkthrough: Callable[[str, str], str] | None = None


def register_demo_part(app, part: DemoPart) -> None:
    app.extensions.setdefault(DEMO_PARTS, []).append(part)


def demo_parts(app) -> list[DemoPart]:
    return list(app.extensions.get(DEMO_PARTS, []))


def load_demo_data() -> list[tuple[str, str, str]]:
    """Create the demo agency once; return (role, email, name) of every demo login."""
    if db.session.scalar(select(User.id).where(User.email == PEOPLE[0][1])) is None:
        _create()
    return PEOPLE


def _create() -> None:
    users, departments = _people()
    admin = Caller(users["admin"], None)
    _sla_policies(admin)
    blocks, flats = _homes(admin, users, departments)
    _tickets(users, blocks, flats)


def _people() -> tuple[dict[str, User], dict[str, Department]]:
    """The demo logins (keyed by the local part of their email) and two departments."""
    departments = {
        "maintenance": create_department(None, name="Maintenance"),
        "lettings": create_department(None, name="Lettings"),
    }
    members = {
        "maria.manager@demo.fieldline": [departments["maintenance"].id],
        "sam.support@demo.fieldline": [departments["lettings"].id],
    }
    companies = {"carl.plumber": "Plumb Perfect Ltd", "eve.electric": "Spark & Co"}
    users = {}
    for role, email, name in PEOPLE:
        login = email.split("@")[0]
        users[login] = create_user(
            None,
            email=email,
            name=name,
            role=role,
            password=DEMO_PASSWORD,
            department_ids=members.get(email, []),
            phone="+44 20 7946 0000" if role == "tenant" else None,
            company=companies.get(login),
        )
    return users, departments


def _sla_policies(admin: Caller) -> None:
    for priority, response, resolution, calendar in (
        ("critical", 60, 240, "always"),  # a gas smell on Sunday is due on Sunday
        ("high", 240, 960, "office_hours"),
        ("normal", 480, 4800, "office_hours"),
        ("low", 960, 9600, "office_hours"),
    ):
        settings.set_sla_policy(
            admin,
            priority,
            first_response_minutes=response,
            resolution_minutes=resolution,
            calendar=calendar,
        )


def _homes(
    admin: Caller, users: dict[str, User], departments: dict[str, Department]
) -> tuple[dict[str, Block], dict[str, Unit]]:
    """Two blocks with their flats, three tenancies and Riverside's certificates."""
    blocks = {
        "riverside": properties.create_block(
            admin,
            name="Riverside Court",
            address="12 River Lane, London E1 6AN",
            manager_id=users["maria.manager"].id,
            department_id=departments["maintenance"].id,
            access_notes="Key safe by the bin store, code from the office.",
        ),
        "hillview": properties.create_block(
            admin,
            name="Hillview House",
            address="3 Hill Road, Bristol BS1 4DJ",
            manager_id=users["sam.support"].id,
            department_id=departments["lettings"].id,
        ),
    }
    flats = {}
    for block, names in (
        ("riverside", ("Flat 1", "Flat 2", "Flat 3")),
        ("hillview", ("Flat A", "Flat B")),
    ):
        for name in names:
            flats[name] = properties.create_unit(admin, blocks[block].id, name=name)
    start = date.today() - timedelta(days=365)
    for tenant, flat in (("zoe", "Flat 1"), ("obrien", "Flat 2"), ("nina", "Flat A")):
        properties.create_tenancy(
            admin, flats[flat].id, tenant_id=users[tenant].id, starts_on=start
        )
    for kind, number, issued_days_ago, expires_in_days in (
        ("gas_safety", "GS-2026-0042", 200, 165),
        ("electrical", "EICR-88121", 900, 925),
    ):
        properties.create_certificate(
            admin,
            blocks["riverside"].id,
            kind=kind,
            number=number,
            issued_on=date.today() - timedelta(days=issued_days_ago),
            expires_on=date.today() + timedelta(days=expires_in_days),
        )
    return blocks, flats


def _tickets(users: dict[str, User], blocks: dict[str, Block], flats: dict[str, Unit]) -> None:
    """Four tickets at different stages: triaged and assigned, reported, planned work."""
    maria = Caller(users["maria.manager"], None)
    riverside, hillview = blocks["riverside"], blocks["hillview"]
    leak = tickets.report_ticket(
        Caller(users["zoe"], None),
        summary="Leaking kitchen tap",
        block_id=riverside.id,
        unit_id=flats["Flat 1"].id,
        description="The cold tap in the kitchen drips constantly, and the cabinet below is wet.",
    )
    tickets.triage(maria, leak.id, type="repair", priority="high", billing="chargeable")
    assignments.assign(maria, leak.id, users["carl.plumber"].id)
    messages.post_message(maria, leak.id, "Carl from Plumb Perfect will visit on Tuesday morning.")
    tickets.report_ticket(
        Caller(users["obrien"], None),
        summary="Hallway light flickering",
        block_id=riverside.id,
        unit_id=flats["Flat 2"].id,
        visibility="block",
        description="The communal hallway light outside Flat 2 flickers at night.",
    )
    boiler = tickets.report_ticket(
        maria,
        summary="Annual boiler service",
        block_id=riverside.id,
        unit_id=flats["Flat 1"].id,
        description="Annual gas boiler service under the maintenance contract.",
        type="service_request",
        priority="normal",
        billing="included",
    )
    assignments.assign(maria, boiler.id, users["carl.plumber"].id)
    tickets.report_ticket(
        Caller(users["nina"], None),
        summary="Intercom not working",
        block_id=hillview.id,
        unit_id=flats["Flat A"].id,
        description="The entry-phone doesn't ring in Flat A.",
    )
