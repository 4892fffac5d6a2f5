"""drop place stamps: units.history_seq and blocks.context_seq were read only to find
which records to send again, which the assignment rows' record_seq now says (0011)

Revision ID: 0012_drop_place_stamps
Revises: 0011_assignment_record_stamp
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_drop_place_stamps"
down_revision = "0011_assignment_record_stamp"
branch_labels = None
depends_on = None

STAMPS = (("units", "history_seq"), ("blocks", "context_seq"))


def upgrade():
    for table, column in STAMPS:
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
        # A plain DROP COLUMN (SQLite 3.35+; the index went first), as in 0010.
        op.drop_column(table, column)


def downgrade():
    # Restored from the assignment rows: the latest record stamp of the place's tickets.
    for table, column in STAMPS:
        op.add_column(table, sa.Column(column, sa.BigInteger(), nullable=False, server_default="0"))
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)
    for table, column, key in (
        ("units", "history_seq", "unit_id"),
        ("blocks", "context_seq", "block_id"),
    ):
        op.execute(
            f"UPDATE {table} SET {column} = COALESCE((SELECT MAX(tc.record_seq) "
            f"FROM ticket_contractors tc JOIN tickets t ON t.id = tc.ticket_id "
            f"WHERE t.{key} = {table}.id), 0)"
        )
