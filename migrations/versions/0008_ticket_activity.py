"""ticket activity stamp: a child's change no longer re-sends the whole ticket record;
units stamp their ticket history instead of every ticket of the unit being restamped

Revision ID: 0008_ticket_activity
Revises: 0007_mail_in
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_ticket_activity"
down_revision = "0007_mail_in"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN, no batch copy: SQLite cannot drop and recreate `tickets` while
    # other tables' foreign keys point at it. (The server default stays: SQLite cannot
    # drop one without that copy either.)
    op.add_column(
        "tickets",
        sa.Column("activity_seq", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.add_column("tickets", sa.Column("record_updated_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE tickets SET activity_seq = sync_seq, record_updated_at = updated_at")
    # Pulls read both stamps through the contractor's assignments; unindexed, they
    # cost nothing more on the many ticket updates.
    op.drop_index(op.f("ix_tickets_sync_seq"), table_name="tickets")
    op.add_column(
        "units", sa.Column("history_seq", sa.BigInteger(), nullable=False, server_default="0")
    )


def downgrade():
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_column("history_seq")
    op.create_index(op.f("ix_tickets_sync_seq"), "tickets", ["sync_seq"], unique=False)
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("record_updated_at")
        batch_op.drop_column("activity_seq")
