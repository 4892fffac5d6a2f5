"""login throttle and pending uploads: login attempts counted per account and client
address with backoff (login_throttles replaces login_failures); bytes sent before
their attachment record are remembered per uploader (pending_uploads)

Revision ID: 0016_login_throttle
Revises: 0014_bill_to
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_login_throttle"
down_revision = "0014_bill_to"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("trusted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttles")),
    )
    op.create_index(op.f("ix_login_throttles_email"), "login_throttles", ["email"])
    # Failures in flight are forgotten: at worst an attacker gets one more window.
    op.drop_index("ix_login_failures_email_at", table_name="login_failures")
    op.drop_table("login_failures")
    op.create_table(
        "pending_uploads",
        sa.Column("attachment_id", sa.String(length=64), nullable=False),
        sa.Column("uploader_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["uploader_id"], ["users.id"], name=op.f("fk_pending_uploads_uploader_id_users")
        ),
        sa.PrimaryKeyConstraint("attachment_id", "uploader_id", name=op.f("pk_pending_uploads")),
    )
    op.create_index(op.f("ix_pending_uploads_sha256"), "pending_uploads", ["sha256"])
    op.create_index(op.f("ix_pending_uploads_received_at"), "pending_uploads", ["received_at"])


def downgrade():
    op.drop_index(op.f("ix_pending_uploads_received_at"), table_name="pending_uploads")
    op.drop_index(op.f("ix_pending_uploads_sha256"), table_name="pending_uploads")
    op.drop_table("pending_uploads")
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index("ix_login_failures_email_at", "login_failures", ["email", "at"])
    op.drop_index(op.f("ix_login_throttles_email"), table_name="login_throttles")
    op.drop_table("login_throttles")
