"""assignment record stamp: when its ticket's device record last changed is stamped on
each assignment row too, so a pull knows which moved tickets to send again from the
rows it already reads, without a query joining tickets, units and blocks

Revision ID: 0011_assignment_record_stamp
Revises: 0010_assignment_stamp
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_assignment_record_stamp"
down_revision = "0010_assignment_stamp"
branch_labels = None
depends_on = None

# The latest of the stamps a record was re-sent by: the ticket's own, its unit's
# history, its block's context.
BACKFILL = """UPDATE ticket_contractors SET record_seq = (
    SELECT {greatest}(tickets.sync_seq, COALESCE(units.history_seq, 0), blocks.context_seq)
    FROM tickets JOIN blocks ON blocks.id = tickets.block_id
    LEFT JOIN units ON units.id = tickets.unit_id
    WHERE tickets.id = ticket_contractors.ticket_id)"""


def upgrade():
    op.add_column(
        "ticket_contractors",
        sa.Column("record_seq", sa.BigInteger(), nullable=False, server_default="0"),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.execute(BACKFILL.format(greatest="GREATEST" if postgresql else "MAX"))
    if postgresql:
        op.execute("ANALYZE ticket_contractors")


def downgrade():
    op.drop_column("ticket_contractors", "record_seq")
