"""billing pages: an ERP endpoint's previous signing secret, kept for an overlap window
after a rotation so receivers can switch keys without refusing a delivery

Revision ID: 0021_billing_pages
Revises: 0020_saved_filters
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_billing_pages"
down_revision = "0020_saved_filters"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (nullable, no default): no table rebuild on SQLite.
    op.add_column(
        "webhook_endpoints", sa.Column("previous_secret", sa.String(length=200), nullable=True)
    )
    op.add_column(
        "webhook_endpoints",
        sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade():
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.drop_column("previous_secret_expires_at")
        batch.drop_column("previous_secret")
