"""outbox jobs: the lease rows that make a periodic worker job run once per period
across all workers (server.services.jobs), and an index for purging sent outbox rows

Revision ID: 0018_outbox_jobs
Revises: 0016_login_throttle
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_outbox_jobs"
down_revision = "0016_login_throttle"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "worker_jobs",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_jobs")),
    )
    op.create_index("ix_outbox_sent", "outbox", ["status", "sent_at"], unique=False)


def downgrade():
    op.drop_index("ix_outbox_sent", table_name="outbox")
    op.drop_table("worker_jobs")
