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
    # Pulls find moved tickets by activity_seq (and units by history_seq), and no
    # longer filter on tickets.sync_seq.
    op.create_index(op.f("ix_tickets_activity_seq"), "tickets", ["activity_seq"], unique=False)
    op.drop_index(op.f("ix_tickets_sync_seq"), table_name="tickets")
    op.add_column(
        "units", sa.Column("history_seq", sa.BigInteger(), nullable=False, server_default="0")
    )
    op.create_index(op.f("ix_units_history_seq"), "units", ["history_seq"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_units_history_seq"), table_name="units")
    op.drop_index(op.f("ix_tickets_activity_seq"), table_name="tickets")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_column("history_seq")
    op.create_index(op.f("ix_tickets_sync_seq"), "tickets", ["sync_seq"], unique=False)
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("record_updated_at")
        batch_op.drop_column("activity_seq")
