"""dashboard: when staff last wrote a message a tenant or contractor can read (so the
dashboard finds tickets waiting for an answer without a correlated subquery over every
message), and small partial indexes the dashboard's lists walk in order

Revision ID: 0019_last_staff_reply
Revises: 0017_operations
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_last_staff_reply"
down_revision = "0017_operations"
branch_labels = None
depends_on = None

# As server/models/tickets.py declares them (copied: a migration never imports models).
INDEXES = (
    ("ix_tickets_untriaged", "id", "status = 'new' AND triaged_at IS NULL"),
    (
        "ix_tickets_response_clock",
        "sla_response_due_at",
        "status IN ('new', 'open') AND first_response_at IS NULL"
        " AND sla_response_due_at IS NOT NULL",
    ),
    (
        "ix_tickets_resolution_clock",
        "sla_resolution_due_at",
        "status IN ('new', 'open') AND first_response_at IS NOT NULL"
        " AND sla_resolution_due_at IS NOT NULL",
    ),
)


def upgrade():
    op.add_column(
        "tickets", sa.Column("last_staff_reply_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute(
        "UPDATE tickets SET last_staff_reply_at = ("
        " SELECT max(messages.created_at) FROM messages"
        " WHERE messages.ticket_id = tickets.id"
        " AND messages.author_role IN ('staff', 'admin')"
        " AND messages.visibility IN ('public', 'team'))"
    )

    for name, column, where in INDEXES:
        op.create_index(
            name,
            "tickets",
            [column],
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )

    op.create_index("ix_tickets_closed_at", "tickets", ["closed_at"])


def downgrade():
    op.drop_index("ix_tickets_closed_at", "tickets")
    for name, _, _ in INDEXES:
        op.drop_index(name, "tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("last_staff_reply_at")
