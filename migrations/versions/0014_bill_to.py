"""bill-to parties: customers (landlords, owners) on blocks, units and tickets; the
buyer's details snapshotted on invoices

Revision ID: 0014_bill_to
Revises: 0015_held_work

The new buyer columns join the content an issued invoice may never change: the
`invoices_issued_immutable` trigger is recreated with them. Existing invoices get
the address their documents printed so far (unit name, block address), filled in
before the trigger covers the column.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_bill_to"
down_revision = "0015_held_work"
branch_labels = None
depends_on = None

# Kept in step with billing.models.CONTENT_COLUMNS.
OLD_CONTENT = (
    "number, kind, credited_invoice_id, ticket_id, currency, net_total, vat_total, "
    "gross_total, issue_date, due_date, bill_to, created_at, issued_at, reason"
)
NEW_CONTENT = OLD_CONTENT + ", customer_id, buyer_address, buyer_email, buyer_vat_number"
BUYER_COLUMNS = ("customer_id", "buyer_address", "buyer_email", "buyer_vat_number")


def upgrade():
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("vat_number", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    for table, key, target in (
        ("block_owners", "block_id", "blocks"),
        ("unit_owners", "unit_id", "units"),
        ("ticket_bill_to", "ticket_id", "tickets"),
    ):
        op.create_table(
            table,
            sa.Column(key, sa.Integer(), nullable=False),
            sa.Column("customer_id", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(
                [key], [f"{target}.id"], name=op.f(f"fk_{table}_{key}_{target}")
            ),
            sa.ForeignKeyConstraint(
                ["customer_id"], ["customers.id"], name=op.f(f"fk_{table}_customer_id_customers")
            ),
            sa.PrimaryKeyConstraint(key, name=op.f(f"pk_{table}")),
        )
        op.create_index(op.f(f"ix_{table}_customer_id"), table, ["customer_id"], unique=False)

    # Plain ADD COLUMNs (no table rebuild on SQLite, which would drop the triggers).
    # No foreign key: SQLite could not drop the column again, and customers are never
    # deleted (the id only says which customer the snapshot was taken from).
    op.add_column("invoices", sa.Column("customer_id", sa.Integer(), nullable=True))
    op.add_column(
        "invoices",
        sa.Column("buyer_address", sa.String(length=500), nullable=False, server_default=""),
    )
    op.add_column("invoices", sa.Column("buyer_email", sa.String(length=320), nullable=True))
    op.add_column("invoices", sa.Column("buyer_vat_number", sa.String(length=20), nullable=True))
    op.create_index(op.f("ix_invoices_customer_id"), "invoices", ["customer_id"], unique=False)
    # What the documents printed so far: "unit, block address".
    op.execute(
        "UPDATE invoices SET buyer_address = (SELECT CASE WHEN u.name IS NULL THEN b.address "
        "ELSE u.name || ', ' || b.address END FROM tickets t JOIN blocks b ON b.id = t.block_id "
        "LEFT JOIN units u ON u.id = t.unit_id WHERE t.id = invoices.ticket_id)"
    )
    _replace_immutable_trigger(NEW_CONTENT)


def downgrade():
    _replace_immutable_trigger(OLD_CONTENT)
    op.drop_index(op.f("ix_invoices_customer_id"), table_name="invoices")
    for column in reversed(BUYER_COLUMNS):
        op.drop_column("invoices", column)
    for table in ("ticket_bill_to", "unit_owners", "block_owners"):
        op.drop_index(op.f(f"ix_{table}_customer_id"), table_name=table)
        op.drop_table(table)
    op.drop_table("customers")


def _replace_immutable_trigger(columns: str) -> None:
    issued = "OLD.status <> 'draft'"
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER invoices_issued_immutable ON invoices")
        op.execute(
            f"CREATE TRIGGER invoices_issued_immutable BEFORE UPDATE OF {columns} ON invoices "
            f"FOR EACH ROW WHEN ({issued}) EXECUTE FUNCTION fieldline_append_only()"
        )
        return
    op.execute("DROP TRIGGER invoices_issued_immutable")
    op.execute(
        f"CREATE TRIGGER invoices_issued_immutable BEFORE UPDATE OF {columns} ON invoices "
        f"WHEN {issued} BEGIN SELECT RAISE(ABORT, 'issued invoices are immutable'); END"
    )
