"""Invoices for the page tests, made through the same services as the API: a
chargeable ticket of `people`, its contractor's hours at a labour rate, a draft."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from billing import service
from billing.models import LabourCategory
from server import create_app
from server.extensions import db
from server.models import Ticket, User
from server.services import work
from tests.conftest import app_config
from tests.factories import as_caller

BILLING_CONFIG = {"AGENCY_VAT_ID": "GB123456789", "ALLOW_LOOPBACK_WEBHOOK_URLS": True}


@pytest.fixture(name="app")
def billing_app(database_url, tmp_path):
    """The suite's app with what issuing needs (a seller VAT number) and webhooks to
    127.0.0.1 allowed (the local receivers)."""
    app = create_app({**app_config(tmp_path / "instance", database_url), **BILLING_CONFIG})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def give_rate(app, contractor, rate: str = "50.00") -> None:
    """The contractor bills at `rate` an hour (no rate: labour lines warn at 0.00)."""
    with app.app_context():
        category = LabourCategory(name=f"Trade {uuid.uuid4().hex[:6]}", hourly_rate=Decimal(rate))
        db.session.add(category)
        db.session.flush()
        db.session.get(User, contractor.id).labour_category_id = category.id
        db.session.commit()


def draft_invoice(app, make, people, minutes: int = 60, status: str | None = None) -> tuple:
    """(invoice id, ticket id): a draft for `minutes` of the contractor's work on a new
    chargeable ticket; `status` moves the ticket first (e.g. "resolved")."""
    ticket = make.ticket(
        people.manager,
        people.block,
        people.unit,
        type="repair",
        priority="normal",
        billing="chargeable",
        reporter_id=people.tenant.id,
        summary="Leaking pipe",
    )
    make.assign(ticket, people.contractor, people.manager)
    start = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
    with app.app_context():
        row = db.session.get(Ticket, ticket.id)
        work.log_time(
            as_caller(people.contractor),
            row,
            id=f"te-{uuid.uuid4().hex}",
            minutes=minutes,
            started_at=start,
            ended_at=start + timedelta(minutes=minutes),
            chargeable=True,
            created_at=start + timedelta(minutes=minutes),
        )
        db.session.commit()
    if status:
        make.status(make.reload(ticket), people.contractor, status)
    with app.app_context():
        invoice = service.draft_for_ticket(as_caller(people.manager), ticket.id)
        db.session.commit()
        return invoice.id, ticket.id


def issued_invoice(app, make, people, minutes: int = 60, status: str | None = None) -> tuple:
    invoice_id, ticket_id = draft_invoice(app, make, people, minutes, status)
    with app.app_context():
        service.issue_invoice(as_caller(people.manager), invoice_id)
        db.session.commit()
    return invoice_id, ticket_id
