"""The database itself refuses to edit or delete the timeline, and the hash chain
catches an edit made behind its back (trigger bypassed by someone with DB access).

Bypassing differs per database: SQLite drops the trigger in this test's own copy of
the database; PostgreSQL sets `session_replication_role = replica` for one
transaction (the test user is a superuser), so the shared test database keeps its
triggers.
"""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from server.extensions import db
from server.models import Material, TicketEvent, TimeEntry


@pytest.fixture
def worked_ticket(make, app):
    """A ticket with events, an assignment, messages, hours and a material."""
    department = make.department()
    staff = make.user("staff", departments=[department])
    block = make.block(department=department)
    unit = make.unit(block)
    tenant = make.tenant_in(unit)
    contractor = make.user("contractor")
    ticket = make.ticket(tenant, block, unit)
    make.triage(ticket, staff)
    make.assign(ticket, contractor, staff)
    make.message(ticket, staff, "We'll come on Monday.")
    make.message(ticket, tenant, "Thanks!")
    now = datetime.now(UTC)
    with app.app_context():
        db.session.add(
            TimeEntry(
                id="te-1",
                ticket_id=ticket.id,
                contractor_id=contractor.id,
                minutes=90,
                created_at=now,
                note="Replaced washer",
            )
        )
        db.session.add(
            Material(
                id="mat-1",
                ticket_id=ticket.id,
                contractor_id=contractor.id,
                description="Washer",
                quantity=Decimal("2"),
                unit="each",
                unit_price=Decimal("0.40"),
                created_at=now,
            )
        )
        db.session.commit()
    return make.reload(ticket)


def run_sql(app, sql: str, **params) -> None:
    """Run raw SQL in its own transaction, as anyone with database access could."""
    with app.app_context():
        try:
            db.session.execute(text(sql), params)
            db.session.commit()
        finally:
            db.session.rollback()


def refused(app, sql: str, **params) -> str:
    with pytest.raises(DBAPIError) as error:
        run_sql(app, sql, **params)
    return str(error.value.orig)


def event_ids(app, ticket) -> list[int]:
    with app.app_context():
        return db.session.scalars(
            select(TicketEvent.id)
            .where(TicketEvent.ticket_id == ticket.id)
            .order_by(TicketEvent.position)
        ).all()


def one_id(app, table: str, ticket) -> str:
    with app.app_context():
        return db.session.execute(
            text(f"SELECT id FROM {table} WHERE ticket_id = :t ORDER BY id LIMIT 1"),
            {"t": ticket.id},
        ).scalar_one()


def tamper(app, sql: str, **params) -> None:
    """Change the timeline with its append-only trigger out of the way."""
    with app.app_context():
        engine = db.engine
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            else:
                conn.execute(text("DROP TRIGGER IF EXISTS ticket_events_no_update"))
                conn.execute(text("DROP TRIGGER IF EXISTS ticket_events_no_delete"))
            conn.execute(text(sql), params)


EDITS = [
    ("ticket_events", "data", "'{}'"),
    ("ticket_events", "hash", "'0000'"),
    ("ticket_events", "author_role", "'admin'"),
    ("assignments", "action", "'end'"),
    ("assignments", "contractor_id", "contractor_id"),
    ("messages", "body", "'edited'"),
    ("messages", "visibility", "'staff'"),
    ("time_entries", "minutes", "1"),
    ("time_entries", "note", "NULL"),
    ("materials", "quantity", "1"),
    ("materials", "unit_price", "0"),
]


@pytest.mark.parametrize(("table", "column", "value"), EDITS)
def test_the_database_refuses_to_edit_the_timeline(app, worked_ticket, table, column, value):
    row = one_id(app, table, worked_ticket)
    message = refused(app, f"UPDATE {table} SET {column} = {value} WHERE id = :id", id=row)
    assert "append-only" in message


@pytest.mark.parametrize(
    "table", ["ticket_events", "assignments", "messages", "time_entries", "materials"]
)
def test_the_database_refuses_to_delete_from_the_timeline(app, worked_ticket, table):
    row = one_id(app, table, worked_ticket)
    if table == "ticket_events":
        run_sql(app, "DELETE FROM notifications WHERE event_id = :id", id=row)
    message = refused(app, f"DELETE FROM {table} WHERE id = :id", id=row)
    assert "append-only" in message
    with app.app_context():
        count = db.session.execute(
            text(f"SELECT count(*) FROM {table} WHERE id = :id"), {"id": row}
        )
        assert count.scalar_one() == 1


@pytest.mark.parametrize("table", ["messages", "time_entries", "materials"])
def test_sync_may_restamp_the_sequence_of_synced_rows_and_nothing_else(app, worked_ticket, table):
    row = one_id(app, table, worked_ticket)
    run_sql(app, f"UPDATE {table} SET sync_seq = sync_seq + 1000 WHERE id = :id", id=row)
    with app.app_context():
        seq = db.session.execute(text(f"SELECT sync_seq FROM {table} WHERE id = :id"), {"id": row})
        assert seq.scalar_one() >= 1000
    refused(app, f"UPDATE {table} SET sync_seq = 1, ticket_id = ticket_id WHERE id = :id", id=row)


def verify(client, make, ticket):
    admin = make.user("admin")
    response = client.get(f"/api/tickets/{ticket.id}/verify", headers=make.headers(admin))
    assert response.status_code == 200
    return response.get_json()


def test_an_untouched_timeline_verifies(client, make, worked_ticket):
    assert verify(client, make, worked_ticket) == {
        "intact": True,
        "events": worked_ticket.event_count,
    }
    assert worked_ticket.event_count >= 5


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("data", '\'{"body":"I never said that"}\''),
        ("author_id", "NULL"),
        ("author_role", "'tenant'"),
        ("visibility", "'staff'"),
        ("kind", "'note'"),
        ("prev_hash", "NULL"),
        ("position", "position + 100"),
    ],
)
def test_an_event_edited_behind_the_triggers_back_is_found(
    app, client, make, worked_ticket, column, value
):
    target = event_ids(app, worked_ticket)[2]
    tamper(app, f"UPDATE ticket_events SET {column} = {value} WHERE id = :id", id=target)
    assert verify(client, make, worked_ticket) == {"intact": False, "first_broken_event": target}


def test_an_edited_timestamp_is_found(app, client, make, worked_ticket):
    target = event_ids(app, worked_ticket)[1]
    with app.app_context():
        event = db.session.get(TicketEvent, target)
        moved = event.created_at.replace(year=event.created_at.year - 1)
        db.session.rollback()
    tamper(app, "UPDATE ticket_events SET created_at = :at WHERE id = :id", at=moved, id=target)
    assert verify(client, make, worked_ticket) == {"intact": False, "first_broken_event": target}


def test_a_deleted_event_is_found_where_the_chain_breaks(app, client, make, worked_ticket):
    ids = event_ids(app, worked_ticket)
    run_sql(app, "DELETE FROM notifications WHERE event_id = :id", id=ids[1])
    tamper(app, "DELETE FROM ticket_events WHERE id = :id", id=ids[1])
    assert verify(client, make, worked_ticket) == {"intact": False, "first_broken_event": ids[2]}


def test_deleting_the_head_event_is_found(app, client, make, worked_ticket):
    ids = event_ids(app, worked_ticket)
    run_sql(app, "DELETE FROM notifications WHERE event_id = :id", id=ids[-1])
    tamper(app, "DELETE FROM ticket_events WHERE id = :id", id=ids[-1])
    assert verify(client, make, worked_ticket) == {"intact": False, "first_broken_event": ids[-2]}


def test_deleting_every_event_is_found(app, client, make, worked_ticket):
    run_sql(app, "DELETE FROM notifications WHERE ticket_id = :t", t=worked_ticket.id)
    tamper(app, "DELETE FROM ticket_events WHERE ticket_id = :t", t=worked_ticket.id)
    assert verify(client, make, worked_ticket) == {"intact": False, "first_broken_event": None}


def test_the_chain_stays_intact_as_the_ticket_moves_on(app, client, make, worked_ticket):
    staff = make.user("admin")
    make.status(worked_ticket, staff, "resolved")
    make.status(worked_ticket, staff, "open")
    ticket = make.reload(worked_ticket)
    assert verify(client, make, ticket) == {"intact": True, "events": ticket.event_count}
