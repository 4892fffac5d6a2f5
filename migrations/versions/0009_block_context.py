"""block context stamp: a new block certificate re-sends the block's tickets to devices

Revision ID: 0009_block_context
Revises: 0008_ticket_activity
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_block_context"
down_revision = "0008_ticket_activity"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "blocks", sa.Column("context_seq", sa.BigInteger(), nullable=False, server_default="0")
    )
    op.create_index(op.f("ix_blocks_context_seq"), "blocks", ["context_seq"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # Fresh statistics for the new column, so pulls find moved blocks through its
        # index instead of visiting every block of a contractor's tickets.
        op.execute("ANALYZE blocks")


def downgrade():
    op.drop_index(op.f("ix_blocks_context_seq"), table_name="blocks")
    with op.batch_alter_table("blocks", schema=None) as batch_op:
        batch_op.drop_column("context_seq")
