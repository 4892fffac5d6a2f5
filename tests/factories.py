"""Test factories: users, properties and tickets with defaults, built through the same
services as the API so every row a test starts from is one the API could have made."""

import functools
import itertools
from datetime import date, timedelta

from server.auth import Caller
from server.db import Base
from server.extensions import db
from server.models import Ticket, User
from server.services import assignments, messages, people, properties, tickets
from server.services import auth as auth_service

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


def committed(method):
    """Run a factory method in its own app context and commit, like a request would.

    The returned objects are loaded and detached, so tests can read their columns
    without holding a context open (which would leak `g` across test requests).
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self.app.app_context():
            result = method(self, *args, **kwargs)
            db.session.commit()
            for obj in result if isinstance(result, list | tuple) else [result]:
                if isinstance(obj, Base) and obj in db.session:
                    db.session.refresh(obj)
                    db.session.expunge(obj)
            return result

    return wrapper


def as_caller(user) -> Caller:
    """The acting caller for a (possibly detached) user, loaded in the current session."""
    return Caller(user=db.session.get(User, user.id), device=None)


class Factory:
    def __init__(self, app):
        self.app = app

    @committed
    def department(self, name: str | None = None):
        return people.create_department(None, name=name or f"Department {next(_counter)}")

    @committed
    def user(self, role: str = "tenant", **fields):
        n = next(_counter)
        fields.setdefault("email", f"{role}{n}@example.test")
        fields.setdefault("name", f"{role.title()} {n}")
        fields.setdefault("password", PASSWORD)
        if "departments" in fields:
            fields["department_ids"] = [d.id for d in fields.pop("departments")]
        return people.create_user(None, role=role, **fields)

    @committed
    def tokens(self, user, device_id: str | None = None) -> dict:
        return auth_service.login(user.email, PASSWORD, device_key=device_id)

    def headers(self, user, device_id: str | None = None) -> dict:
        return {"Authorization": f"Bearer {self.tokens(user, device_id)['access_token']}"}

    # Properties -------------------------------------------------------------

    @committed
    def block(self, manager=None, department=None, **fields):
        n = next(_counter)
        fields.setdefault("name", f"Block {n}")
        fields.setdefault("address", f"{n} Test Street, London")
        return properties.create_block(
            None,
            manager_id=manager.id if manager else None,
            department_id=department.id if department else None,
            **fields,
        )

    @committed
    def unit(self, block, name: str | None = None):
        return properties.create_unit(None, block.id, name=name or f"Flat {next(_counter)}")

    @committed
    def tenancy(self, tenant, unit, starts_on: date | None = None, ends_on: date | None = None):
        starts_on = starts_on or date.today() - timedelta(days=30)
        return properties.create_tenancy(
            None, unit.id, tenant_id=tenant.id, starts_on=starts_on, ends_on=ends_on
        )

    def tenant_in(self, unit, **fields):
        """A tenant with a current tenancy of `unit`."""
        tenant = self.user("tenant", **fields)
        self.tenancy(tenant, unit)
        return tenant

    @committed
    def certificate(self, block, kind: str = "gas_safety", unit=None, **fields):
        fields.setdefault("number", f"CERT-{next(_counter)}")
        fields.setdefault("issued_on", date.today() - timedelta(days=100))
        fields.setdefault("expires_on", date.today() + timedelta(days=265))
        return properties.create_certificate(
            None, block.id, kind=kind, unit_id=unit.id if unit else None, **fields
        )

    # Tickets ----------------------------------------------------------------

    @committed
    def ticket(self, reporter, block, unit=None, **fields):
        """Report a ticket as `reporter` (tenants must live in the block or unit)."""
        n = next(_counter)
        fields.setdefault("summary", f"Problem {n}")
        fields.setdefault("description", f"Description of problem {n}")
        return tickets.report_ticket(
            as_caller(reporter), block_id=block.id, unit_id=unit.id if unit else None, **fields
        )

    @committed
    def triage(self, ticket, by, type: str = "repair", priority: str = "normal", **fields):
        return tickets.triage(as_caller(by), ticket.id, type=type, priority=priority, **fields)

    @committed
    def assign(self, ticket, contractor, by):
        return assignments.assign(as_caller(by), ticket.id, contractor.id)

    @committed
    def end_assignment(self, ticket, contractor, by):
        return assignments.end_assignment(as_caller(by), ticket.id, contractor.id)

    @committed
    def message(self, ticket, author, body: str = "A reply.", visibility: str = "public"):
        return messages.post_message(as_caller(author), ticket.id, body, visibility)

    @committed
    def status(self, ticket, by, status: str, reason: str | None = None):
        return tickets.change_status(as_caller(by), ticket.id, status, reason)

    @committed
    def reload(self, ticket):
        """The ticket as it is now in the database."""
        return db.session.get(Ticket, ticket.id)
