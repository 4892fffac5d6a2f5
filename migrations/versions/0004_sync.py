"""sync: created_seq on device-visible records

Revision ID: 0004_sync
Revises: 0003_delivery_notes
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_sync"
down_revision = "0003_delivery_notes"
branch_labels = None
depends_on = None

TABLES = ("messages", "time_entries", "materials", "attachments")


def upgrade():
    # Plain ADD COLUMN (no batch copy): recreating the table would drop its triggers.
    for table in TABLES:
        op.add_column(
            table, sa.Column("created_seq", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade():
    for table in TABLES:
        op.drop_column(table, "created_seq")
