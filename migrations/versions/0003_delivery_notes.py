"""delivery notes: signed, numbered, sealed and immutable

Revision ID: 0003_delivery_notes
Revises: 0002_tickets
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_delivery_notes"
down_revision = "0002_tickets"
branch_labels = None
depends_on = None

# What the note says: no UPDATE may touch these (delivery_notes.models.CONTENT_COLUMNS).
CONTENT_COLUMNS = (
    "id",
    "ticket_id",
    "number",
    "signed_by",
    "signed_at",
    "signature_attachment_id",
    "work_summary",
    "created_at",
    "received_at",
    "contractor_id",
    "device_id",
    "context",
    "time_entry_ids",
    "material_ids",
)
# The seal: set once, while still empty (the signature's record may come after the note).
SEAL_COLUMNS = ("signature_sha256", "content_sha256")
SEALED = "OLD.content_sha256 IS NOT NULL"


def upgrade():
    op.create_table(
        "delivery_notes",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("signed_by", sa.String(length=200), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signature_attachment_id", sa.String(length=64), nullable=False),
        sa.Column("work_summary", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("time_entry_ids", sa.Text(), nullable=False),
        sa.Column("material_ids", sa.Text(), nullable=False),
        sa.Column("signature_sha256", sa.String(length=64), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("pdf_rendered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("render_error", sa.String(length=500), nullable=True),
        sa.Column("render_attempts", sa.Integer(), nullable=False),
        sa.Column("sync_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contractor_id"], ["users.id"], name=op.f("fk_delivery_notes_contractor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_delivery_notes_device_id_devices")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_delivery_notes_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_notes")),
        sa.UniqueConstraint("number", name=op.f("uq_delivery_notes_number")),
    )
    op.create_index(
        op.f("ix_delivery_notes_contractor_id"), "delivery_notes", ["contractor_id"], unique=False
    )
    op.create_index(
        op.f("ix_delivery_notes_sync_seq"), "delivery_notes", ["sync_seq"], unique=False
    )
    op.create_index(
        op.f("ix_delivery_notes_ticket_id"), "delivery_notes", ["ticket_id"], unique=False
    )
    op.create_index(
        "ix_delivery_notes_unrendered",
        "delivery_notes",
        ["received_at"],
        unique=False,
        sqlite_where=sa.text("pdf_sha256 IS NULL"),
        postgresql_where=sa.text("pdf_sha256 IS NULL"),
    )
    for statement in immutable_sql(op.get_bind().dialect.name):
        op.execute(statement)


def immutable_sql(dialect: str) -> list[str]:
    """Triggers: content never changes, the seal is set once, no row is deleted.

    PostgreSQL reuses `fieldline_append_only()` from migration 0002.
    """
    content, seal = ", ".join(CONTENT_COLUMNS), ", ".join(SEAL_COLUMNS)
    if dialect == "postgresql":
        run = "FOR EACH ROW EXECUTE FUNCTION fieldline_append_only()"
        return [
            "CREATE TRIGGER delivery_notes_content_immutable "
            f"BEFORE UPDATE OF {content} ON delivery_notes {run}",
            "CREATE TRIGGER delivery_notes_sealed_once "
            f"BEFORE UPDATE OF {seal} ON delivery_notes FOR EACH ROW WHEN ({SEALED}) "
            "EXECUTE FUNCTION fieldline_append_only()",
            f"CREATE TRIGGER delivery_notes_no_delete BEFORE DELETE ON delivery_notes {run}",
        ]
    refuse = "BEGIN SELECT RAISE(ABORT, 'delivery_notes are immutable'); END"
    return [
        "CREATE TRIGGER delivery_notes_content_immutable "
        f"BEFORE UPDATE OF {content} ON delivery_notes {refuse}",
        "CREATE TRIGGER delivery_notes_sealed_once "
        f"BEFORE UPDATE OF {seal} ON delivery_notes WHEN {SEALED} {refuse}",
        f"CREATE TRIGGER delivery_notes_no_delete BEFORE DELETE ON delivery_notes {refuse}",
    ]


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in ("content_immutable", "sealed_once", "no_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS delivery_notes_{name} ON delivery_notes")
    op.drop_index("ix_delivery_notes_unrendered", table_name="delivery_notes")
    op.drop_index(op.f("ix_delivery_notes_ticket_id"), table_name="delivery_notes")
    op.drop_index(op.f("ix_delivery_notes_sync_seq"), table_name="delivery_notes")
    op.drop_index(op.f("ix_delivery_notes_contractor_id"), table_name="delivery_notes")
    op.drop_table("delivery_notes")
