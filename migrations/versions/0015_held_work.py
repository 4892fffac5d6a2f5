"""held work: what a device pushed for a ticket its contractor was no longer on is kept,
but held for staff review (not billed, no status move) until approved or rejected

Revision ID: 0015_held_work
Revises: 0013_chain_payments
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_held_work"
down_revision = "0013_chain_payments"
branch_labels = None
depends_on = None

KINDS = ("ticket_messages", "time_entries", "materials", "delivery_notes")
STATUSES = ("held", "approved", "rejected")


def upgrade():
    op.create_table(
        "held_work",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("device_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(f"kind IN {KINDS!r}", name=op.f("ck_held_work_kind_known")),
        sa.CheckConstraint(f"status IN {STATUSES!r}", name=op.f("ck_held_work_status_known")),
        sa.CheckConstraint(
            "(status = 'held') = (decided_at IS NULL)",
            name=op.f("ck_held_work_decided_unless_held"),
        ),
        sa.ForeignKeyConstraint(
            ["contractor_id"], ["users.id"], name=op.f("fk_held_work_contractor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_held_work_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_held_work_device_id_devices")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_held_work_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_work")),
        sa.UniqueConstraint("kind", "record_id", name="uq_held_work_record"),
    )
    op.create_index(op.f("ix_held_work_ticket_id"), "held_work", ["ticket_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_held_work_ticket_id"), table_name="held_work")
    op.drop_table("held_work")
