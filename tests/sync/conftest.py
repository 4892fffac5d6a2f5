"""A small agency with one contractor's device, built through the real services."""

import json
from dataclasses import dataclass
from datetime import date

import pytest

from server.auth import Caller
from server.extensions import db
from server.models import User
from server.services import assignments, auth, messages, properties, tickets
from server.services.people import create_department, create_user
from tests.factories import PASSWORD

EMPTY = ("created", "updated", "deleted")
TABLES = (
    "tickets",
    "ticket_messages",
    "time_entries",
    "materials",
    "delivery_notes",
    "attachments",
)


@dataclass
class World:
    app: object
    client: object
    staff_id: int
    contractor_id: int
    other_contractor_id: int
    tenant_id: int
    block_id: int
    unit_id: int
    ticket_id: int

    def caller(self, user_id: int) -> Caller:
        return Caller(db.session.get(User, user_id), None)

    def headers(self, email: str, device_id: str | None = "handheld-1") -> dict:
        with self.app.app_context():
            pair = auth.login(email, PASSWORD, device_key=device_id)
            db.session.commit()
        return {"Authorization": f"Bearer {pair['access_token']}"}

    def as_staff(self, fn, *args, **kwargs):
        """Run a service as the staff member, committed like a request."""
        with self.app.app_context():
            result = fn(self.caller(self.staff_id), *args, **kwargs)
            db.session.commit()
            return getattr(result, "id", result)

    def new_ticket(self, summary="Boiler pressure low", assign_to: int | None = None) -> int:
        with self.app.app_context():
            staff = self.caller(self.staff_id)
            ticket = tickets.report_ticket(
                staff,
                summary=summary,
                description="Details",
                block_id=self.block_id,
                unit_id=self.unit_id,
                type="repair",
                priority="normal",
                reporter_id=self.tenant_id,
            )
            if assign_to:
                assignments.assign(staff, ticket.id, assign_to)
            db.session.commit()
            return ticket.id

    def staff_reply(self, ticket_id: int, body: str, visibility="public") -> str:
        with self.app.app_context():
            message = messages.post_message(self.caller(self.staff_id), ticket_id, body, visibility)
            db.session.commit()
            return message.id

    def pull(self, headers, last=None, **params):
        query = {"last_pulled_at": "" if last is None else str(last), **params}
        return self.client.get("/api/sync/pull", query_string=query, headers=headers)

    def push(self, headers, changes: dict, last=1, content_type="text/plain"):
        body = {t: {k: [] for k in EMPTY} for t in TABLES}
        for table, section in changes.items():
            body[table].update(section)
        return self.client.post(
            f"/api/sync/push?last_pulled_at={last}",
            data=json.dumps(body),
            headers=headers,
            content_type=content_type,
        )


@pytest.fixture
def world(app, client) -> World:
    with app.app_context():
        department = create_department(None, name="Maintenance")
        staff = create_user(
            None,
            email="staff@x.test",
            name="Sally Staff",
            role="staff",
            password=PASSWORD,
            department_ids=[department.id],
        )
        contractor = create_user(
            None,
            email="carl@x.test",
            name="Carl Contractor",
            role="contractor",
            password=PASSWORD,
            company="Pipes Ltd",
        )
        other = create_user(
            None, email="olga@x.test", name="Olga Other", role="contractor", password=PASSWORD
        )
        tenant = create_user(
            None,
            email="zoe@x.test",
            name="Zoë Łukasiewicz",
            role="tenant",
            password=PASSWORD,
            phone="+44 7700 900000",
        )
        admin = Caller(
            create_user(None, email="admin@x.test", name="Ada", role="admin", password=PASSWORD),
            None,
        )
        block = properties.create_block(
            admin,
            name="Riverside",
            address="1 River Lane",
            manager_id=staff.id,
            department_id=department.id,
            access_notes="Key safe code 1234",
        )
        unit = properties.create_unit(admin, block.id, name="Flat 1")
        properties.create_tenancy(admin, unit.id, tenant_id=tenant.id, starts_on=date(2020, 1, 1))
        properties.create_certificate(
            admin,
            block.id,
            kind="gas_safety",
            number="GS-1",
            issued_on=date(2026, 1, 1),
            expires_on=date(2027, 1, 1),
        )
        db.session.commit()
        w = World(app, client, staff.id, contractor.id, other.id, tenant.id, block.id, unit.id, 0)
    w.ticket_id = w.new_ticket("Leaking tap", assign_to=w.contractor_id)
    return w


def ids(section: dict) -> dict:
    return {k: sorted(r["id"] if isinstance(r, dict) else r for r in section[k]) for k in EMPTY}
