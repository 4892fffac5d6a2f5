"""operations: admins' new-ticket mail preference, a staff owner and a duplicate link on
tickets, a calendar per SLA priority, and the ticket search index (PostgreSQL tsvector
with GIN; SQLite FTS5)

Revision ID: 0017_operations
Revises: 0018_outbox_jobs
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0017_operations"
down_revision = "0018_outbox_jobs"
branch_labels = None
depends_on = None

CALENDARS = ("office_hours", "always")


def _defer_foreign_keys_on_sqlite() -> None:
    """SQLite's batch mode rebuilds `tickets` (copy, DROP, rename): the DROP's implicit
    delete would trip the foreign keys of every row that points at a ticket. PRAGMA
    foreign_keys cannot change inside a transaction; deferring them to the commit can,
    and the rebuilt table holds the same rows by then (as 0013 does for invoices)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA defer_foreign_keys = ON")


def upgrade():
    _defer_foreign_keys_on_sqlite()
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("notify_new_tickets", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("duplicate_of_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_tickets_owner_id_users"), "users", ["owner_id"], ["id"])
        batch.create_foreign_key(
            op.f("fk_tickets_duplicate_of_id_tickets"), "tickets", ["duplicate_of_id"], ["id"]
        )
        batch.create_check_constraint(op.f("ck_tickets_not_own_duplicate"), "duplicate_of_id <> id")
        batch.create_index(op.f("ix_tickets_owner_id"), ["owner_id"])
        batch.create_index(op.f("ix_tickets_duplicate_of_id"), ["duplicate_of_id"])
    with op.batch_alter_table("sla_policies") as batch:
        batch.add_column(
            sa.Column(
                "calendar", sa.String(length=20), nullable=False, server_default="office_hours"
            )
        )
        batch.create_check_constraint(
            op.f("ck_sla_policies_calendar_known"), f"calendar IN {CALENDARS!r}"
        )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.create_table(
            "ticket_search",
            sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), primary_key=True),
            sa.Column("document", sa.dialects.postgresql.TSVECTOR(), nullable=False),
        )
        op.create_index(
            "ix_ticket_search_document", "ticket_search", ["document"], postgresql_using="gin"
        )
    else:
        # rowid is the ticket id; words as server.search writes them (lowercase, split
        # on everything but letters and digits), so both databases find the same tickets.
        op.execute(
            "CREATE VIRTUAL TABLE ticket_search USING fts5("
            "document, tokenize = 'unicode61 remove_diacritics 0')"
        )
    _index_existing_tickets(bind)


def _words(*texts) -> str:
    # The same normalisation as server.search.document_words (kept here: a migration
    # does not import application code that may change after it).
    return " ".join(re.findall(r"[^\W_]+", " ".join(t for t in texts if t).lower()))


def _index_existing_tickets(bind) -> None:
    rows = bind.execute(
        sa.text(
            "SELECT t.id, t.ref, t.summary, t.description, b.name, b.address, u.name, "
            "r.name FROM tickets t JOIN blocks b ON b.id = t.block_id "
            "LEFT JOIN units u ON u.id = t.unit_id LEFT JOIN users r ON r.id = t.reporter_id"
        )
    ).all()
    for ticket_id, *texts in rows:
        bodies = bind.execute(
            sa.text("SELECT body FROM messages WHERE ticket_id = :t ORDER BY created_at"),
            {"t": ticket_id},
        ).scalars()
        document = _words(*texts, *bodies)
        if bind.dialect.name == "postgresql":
            bind.execute(
                sa.text(
                    "INSERT INTO ticket_search (ticket_id, document) "
                    "VALUES (:t, to_tsvector('simple', :d))"
                ),
                {"t": ticket_id, "d": document},
            )
        else:
            bind.execute(
                sa.text("INSERT INTO ticket_search (rowid, document) VALUES (:t, :d)"),
                {"t": ticket_id, "d": document},
            )


def downgrade():
    _defer_foreign_keys_on_sqlite()
    op.execute("DROP TABLE ticket_search")
    with op.batch_alter_table("sla_policies") as batch:
        batch.drop_constraint(op.f("ck_sla_policies_calendar_known"), type_="check")
        batch.drop_column("calendar")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index(op.f("ix_tickets_duplicate_of_id"))
        batch.drop_index(op.f("ix_tickets_owner_id"))
        batch.drop_constraint(op.f("ck_tickets_not_own_duplicate"), type_="check")
        batch.drop_constraint(op.f("fk_tickets_duplicate_of_id_tickets"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_tickets_owner_id_users"), type_="foreignkey")
        batch.drop_column("duplicate_of_id")
        batch.drop_column("owner_id")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("notify_new_tickets")
