"""assignment stamp: what moved for a contractor is stamped on its assignment rows, so a
pull reads only those (one index range) instead of everything that moved agency-wide

Revision ID: 0010_assignment_stamp
Revises: 0009_block_context
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_assignment_stamp"
down_revision = "0009_block_context"
branch_labels = None
depends_on = None

RAISE = """UPDATE ticket_contractors SET device_seq = ({value})
WHERE ({value}) > device_seq{active}"""
OF_TICKET = "SELECT {column} FROM tickets WHERE tickets.id = ticket_contractors.ticket_id"
OF_PLACE = (
    "SELECT {table}.{column} FROM tickets JOIN {table} ON {table}.id = tickets.{key} "
    "WHERE tickets.id = ticket_contractors.ticket_id"
)


def upgrade():
    op.add_column(
        "ticket_contractors",
        sa.Column("device_seq", sa.BigInteger(), nullable=False, server_default="0"),
    )
    # The latest of what each assignment's devices heard about through the old stamps:
    # the assignment, its ticket's activity, and (while active) its unit and block.
    op.execute("UPDATE ticket_contractors SET device_seq = sync_seq")
    op.execute(RAISE.format(value=OF_TICKET.format(column="activity_seq"), active=""))
    for table, column, key in (
        ("units", "history_seq", "unit_id"),
        ("blocks", "context_seq", "block_id"),
    ):
        value = OF_PLACE.format(table=table, column=column, key=key)
        op.execute(RAISE.format(value=value, active=" AND active"))
    op.create_index(
        "ix_ticket_contractors_device", "ticket_contractors", ["contractor_id", "device_seq"]
    )
    op.drop_index(op.f("ix_tickets_activity_seq"), table_name="tickets")
    # A plain DROP COLUMN (SQLite 3.35+), no batch copy of `tickets`: see 0008.
    op.drop_column("tickets", "activity_seq")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ANALYZE ticket_contractors")


def downgrade():
    op.add_column(
        "tickets",
        sa.Column("activity_seq", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.execute("UPDATE tickets SET activity_seq = sync_seq")
    op.create_index(op.f("ix_tickets_activity_seq"), "tickets", ["activity_seq"], unique=False)
    op.drop_index("ix_ticket_contractors_device", table_name="ticket_contractors")
    op.drop_column("ticket_contractors", "device_seq")
