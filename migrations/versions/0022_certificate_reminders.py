"""certificate reminders: one row per certificate and lead time the worker has mailed
(unique, so the job is idempotent); a custom kind's name and the renewal that replaces
a certificate; retired canned responses

Revision ID: 0022_certificate_reminders
Revises: 0021_billing_pages
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_certificate_reminders"
down_revision = "0021_billing_pages"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "certificate_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("lead_days", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name=op.f("fk_certificate_reminders_certificate_id_certificates"),
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"], ["users.id"], name=op.f("fk_certificate_reminders_manager_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_certificate_reminders_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_reminders")),
        sa.UniqueConstraint(
            "certificate_id",
            "lead_days",
            name=op.f("uq_certificate_reminders_certificate_id"),
        ),
    )
    with op.batch_alter_table("certificates") as batch:
        batch.add_column(sa.Column("label", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("replaced_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_certificates_replaced_by_id_certificates"),
            "certificates",
            ["replaced_by_id"],
            ["id"],
        )
        batch.create_index(op.f("ix_certificates_replaced_by_id"), ["replaced_by_id"])
    with op.batch_alter_table("canned_responses") as batch:
        batch.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("canned_responses") as batch:
        batch.drop_column("retired_at")
    with op.batch_alter_table("certificates") as batch:
        batch.drop_index(op.f("ix_certificates_replaced_by_id"))
        batch.drop_constraint(
            op.f("fk_certificates_replaced_by_id_certificates"), type_="foreignkey"
        )
        batch.drop_column("replaced_by_id")
        batch.drop_column("label")
    op.drop_table("certificate_reminders")
