"""An agency with a tenant, a contractor and a ticket, and helpers to sign notes on it.

The sync push is not involved: notes are received by calling the service the push
calls (`receive_note`), hours and materials are logged with the services sync uses,
and the signature is an attachment record plus bytes, as a device would send them.
"""

import hashlib
import io
import itertools
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from delivery_notes.models import DeliveryNote
from delivery_notes.service import receive_note
from delivery_notes.stored_pdfs import render_pending
from server.auth import Caller
from server.extensions import db
from server.models import Ticket, User
from server.services import assignments, tickets, work
from server.services.attachments import record_attachment, store_bytes_for
from server.storage import StoredBlob
from tests.unit.delivery_notes.note_factories import make_png

SIGNER = "Zoë Łukasiewicz"
CONTRACTOR = "Şükrü Ñúñez"
COMPANY = "O'Brien & Sons"
SIGNED_AT = datetime(2026, 3, 12, 14, 0, tzinfo=UTC)
VISIT = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
_ids = itertools.count(1)


class Agency:
    def __init__(self, app, make):
        self.app, self.make = app, make
        department = make.department()
        self.staff = make.user("staff", name="Maria Manager", department_ids=[department.id])
        block = make.block(
            manager=self.staff,
            department=department,
            name="Harbour View",
            address="14 Quay Street, Bristol",
        )
        self.block_id = block.id
        unit = make.unit(block, "Flat 12")
        self.unit_id = unit.id
        self.tenant = make.tenant_in(unit, name=SIGNER)
        elsewhere = make.unit(make.block(department=department), "Flat 1")
        self.other_tenant = make.tenant_in(elsewhere, name="Other Tenant")
        self.contractor = make.user("contractor", name=CONTRACTOR, company=COMPANY)

    def caller(self, user) -> Caller:
        return Caller(user=db.session.get(User, user.id), device=None)

    def headers(self, user) -> dict:
        return self.make.headers(user)

    def run(self, fn):
        """Run `fn()` in an app context and commit, like a request or a push would."""
        with self.app.app_context():
            result = fn()
            db.session.commit()
            return result

    def ticket(self, billing: str = "included") -> int:
        def create():
            staff = self.caller(self.staff)
            ticket = tickets.report_ticket(
                staff,
                summary="Leaking radiator valve",
                description="Water under the bedroom radiator.",
                block_id=self.block_id,
                unit_id=self.unit_id,
                type="repair",
                priority="normal",
                billing=billing,
                reporter_id=self.tenant.id,
            )
            assignments.assign(staff, ticket.id, self.contractor.id)
            return ticket.id

        return self.run(create)

    def log_time(self, ticket_id, minutes=90, started_at=VISIT, chargeable=True, created_at=None):
        def log():
            ticket = db.session.get(Ticket, ticket_id)
            return work.log_time(
                self.caller(self.contractor),
                ticket,
                id=f"te-{next(_ids)}",
                minutes=minutes,
                started_at=started_at,
                ended_at=started_at + timedelta(minutes=minutes),
                chargeable=chargeable,
                created_at=created_at or started_at + timedelta(minutes=minutes),
            ).id

        return self.run(log)

    def use_material(self, ticket_id, description="Thermostatic valve 15 mm", created_at=VISIT):
        def use():
            ticket = db.session.get(Ticket, ticket_id)
            return work.use_material(
                self.caller(self.contractor),
                ticket,
                id=f"mat-{next(_ids)}",
                description=description,
                quantity=Decimal("2"),
                unit="pc",
                unit_price=Decimal("18.50"),
                created_at=created_at,
            ).id

        return self.run(use)

    def signature(self, ticket_id, png: bytes | None = None, *, upload: bool = True) -> str:
        """The signature's attachment record (and, with `upload`, its bytes)."""
        png = png or make_png(300, 100)
        attachment_id = f"sig-{uuid.uuid4()}"

        def record():
            ticket = db.session.get(Ticket, ticket_id)
            blob = StoredBlob(hashlib.sha256(png).hexdigest(), len(png))
            record_attachment(
                self.caller(self.contractor),
                ticket,
                filename="signature.png",
                content_type="image/png",
                blob=blob,
                attachment_id=attachment_id,
                created_at=SIGNED_AT,
            )

        self.run(record)
        if upload:
            self.upload(attachment_id, png)
        return attachment_id

    def upload(self, attachment_id: str, png: bytes) -> None:
        sha = hashlib.sha256(png).hexdigest()
        self.run(
            lambda: store_bytes_for(
                self.caller(self.contractor), attachment_id, io.BytesIO(png), sha
            )
        )

    def fields(self, ticket_id, attachment_id, **overrides) -> dict:
        fields = {
            "id": str(uuid.uuid4()),
            "ticket_id": str(ticket_id),
            "signed_by": SIGNER,
            "signed_at": SIGNED_AT,
            "signature_attachment_id": attachment_id,
            "work_summary": "Replaced the valve and bled the radiator. No further leaks.",
            "created_at": SIGNED_AT,
        }
        fields.update(overrides)
        return fields

    def receive(self, fields: dict) -> dict:
        """Receive a pushed note as the contractor; the recorded note's columns."""

        def push():
            ticket = db.session.get(Ticket, int(fields["ticket_id"]))
            return receive_note(self.caller(self.contractor), ticket, fields)

        self.run(push)
        return self.note(fields["id"])

    def sign(self, ticket_id, **overrides) -> dict:
        """A complete visit: the signature uploaded, then the note pushed."""
        return self.receive(self.fields(ticket_id, self.signature(ticket_id), **overrides))

    def note(self, note_id) -> dict:
        def load():
            note = db.session.get(DeliveryNote, note_id)
            return {c.key: getattr(note, c.key) for c in DeliveryNote.__table__.columns}

        return self.run(load)

    def notes_of(self, ticket_id) -> list[dict]:
        def load():
            return db.session.scalars(
                text("SELECT id FROM delivery_notes WHERE ticket_id = :t ORDER BY number"),
                {"t": ticket_id},
            ).all()

        return [self.note(note_id) for note_id in self.run(load)]

    def render_pending(self) -> dict:
        return render_pending(self.app)

    def tamper(self, sql: str, **params) -> None:
        """Change stored rows behind the application's back, past the immutability triggers."""

        def change():
            if db.session.get_bind().dialect.name == "postgresql":
                db.session.execute(text("SET LOCAL session_replication_role = replica"))
            else:
                for trigger in ("content_immutable", "sealed_once"):
                    db.session.execute(text(f"DROP TRIGGER delivery_notes_{trigger}"))
                db.session.execute(text("DROP TRIGGER IF EXISTS time_entries_no_update"))
            db.session.execute(text(sql), params)

        self.run(change)

    def pdf(self, ticket_id, note_id, user, **headers):
        return self.app.test_client().get(
            f"/api/tickets/{ticket_id}/delivery-notes/{note_id}.pdf",
            headers={**self.headers(user), **headers},
        )

    def detail(self, ticket_id) -> dict:
        response = self.app.test_client().get(
            f"/api/tickets/{ticket_id}", headers=self.headers(self.staff)
        )
        assert response.status_code == 200
        return response.get_json()


@pytest.fixture
def agency(app, make) -> Agency:
    return Agency(app, make)


@pytest.fixture
def visit(agency) -> int:
    """An included ticket with 90 chargeable minutes, 30 not chargeable, and a material."""
    ticket_id = agency.ticket()
    agency.log_time(ticket_id, minutes=90)
    agency.log_time(ticket_id, minutes=30, started_at=VISIT + timedelta(hours=2), chargeable=False)
    agency.use_material(ticket_id)
    return ticket_id
