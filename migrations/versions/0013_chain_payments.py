"""chain payments: the closing rule's paid flag, payments recorded by staff,
idempotency keys, partial credit notes

- tickets.paid_in_full: billing sets it with awaiting_payment (the closing rule reads both);
- payments.source / method / recorded_by_id: staff record payments by hand too;
- idempotency_keys: responses remembered per user and Idempotency-Key header;
- invoices.amount_credited (moves after issue, like amount_paid), and credited_invoice_id
  is no longer unique (several partial credit notes per invoice);
  invoice_lines.credited_line_id: the line a credit note line credits.

SQLite cannot drop a unique constraint in place: `invoices` is rebuilt (foreign keys
deferred to the commit, the billing triggers dropped and created again as 0006 made them).

Revision ID: 0013_chain_payments
Revises: 0012_drop_place_stamps
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_chain_payments"
down_revision = "0012_drop_place_stamps"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=14, scale=2)
# Kept in step with billing.models.CONTENT_COLUMNS and migration 0006.
CONTENT = (
    "number, kind, credited_invoice_id, ticket_id, currency, net_total, vat_total, "
    "gross_total, issue_date, due_date, bill_to, created_at, issued_at, reason"
)
INVOICE_COLUMNS = (
    "id, number, kind, credited_invoice_id, ticket_id, delivery_note_id, status, currency, "
    "net_total, vat_total, gross_total, amount_paid, issue_date, due_date, bill_to, reason, "
    "warnings, created_at, issued_at, paid_at"
)
SOURCE_CHECK = "source IN ('erp', 'staff')"
METHOD_CHECK = "method IS NULL OR method IN ('bank_transfer', 'card', 'cash', 'cheque', 'other')"
SQLITE_TRIGGERS = (
    "invoices_issued_immutable",
    "invoices_no_redraft",
    "invoices_issued_no_delete",
    "invoice_lines_frozen_insert",
    "invoice_lines_frozen_update",
    "invoice_lines_frozen_delete",
)


def _sqlite_triggers() -> list[str]:
    """The SQLite triggers of migration 0006 that name `invoices`, as it wrote them."""
    issued = "OLD.status <> 'draft'"
    redraft = "OLD.status <> 'draft' AND NEW.status = 'draft'"
    invoice = "BEGIN SELECT RAISE(ABORT, 'issued invoices are immutable'); END"
    lines = "BEGIN SELECT RAISE(ABORT, 'lines of an issued invoice are immutable'); END"
    status_of = "(SELECT status FROM invoices WHERE id = {}.invoice_id) <> 'draft'"
    return [
        f"CREATE TRIGGER invoices_issued_immutable BEFORE UPDATE OF {CONTENT} ON invoices "
        f"WHEN {issued} {invoice}",
        f"CREATE TRIGGER invoices_no_redraft BEFORE UPDATE OF status ON invoices WHEN {redraft} "
        f"{invoice}",
        f"CREATE TRIGGER invoices_issued_no_delete BEFORE DELETE ON invoices WHEN {issued} "
        f"{invoice}",
        "CREATE TRIGGER invoice_lines_frozen_insert BEFORE INSERT ON invoice_lines "
        f"WHEN {status_of.format('NEW')} {lines}",
        "CREATE TRIGGER invoice_lines_frozen_update BEFORE UPDATE ON invoice_lines "
        f"WHEN {status_of.format('OLD')} OR {status_of.format('NEW')} {lines}",
        "CREATE TRIGGER invoice_lines_frozen_delete BEFORE DELETE ON invoice_lines "
        f"WHEN {status_of.format('OLD')} {lines}",
    ]


def _invoices_table(name: str, *, unique_credit: bool, amount_credited: bool) -> None:
    columns = [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("credited_invoice_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("delivery_note_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("net_total", MONEY, nullable=False),
        sa.Column("vat_total", MONEY, nullable=False),
        sa.Column("gross_total", MONEY, nullable=False),
        sa.Column("amount_paid", MONEY, nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("bill_to", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("warnings", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
    ]
    if amount_credited:
        columns.append(sa.Column("amount_credited", MONEY, server_default="0", nullable=False))
    constraints = [
        sa.CheckConstraint(
            "(kind = 'credit_note') = (credited_invoice_id IS NOT NULL)",
            name="ck_invoices_credit_names_invoice",
        ),
        sa.CheckConstraint("kind IN ('invoice', 'credit_note')", name="ck_invoices_kind_known"),
        sa.CheckConstraint(
            "status = 'draft' OR number IS NOT NULL", name="ck_invoices_issued_has_number"
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'issued', 'partially_paid', 'paid', 'credited')",
            name="ck_invoices_status_known",
        ),
        sa.ForeignKeyConstraint(
            ["credited_invoice_id"],
            ["invoices.id"],
            name="fk_invoices_credited_invoice_id_invoices",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name="fk_invoices_ticket_id_tickets"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_invoices"),
        sa.UniqueConstraint("number", name="uq_invoices_number"),
    ]
    if unique_credit:
        constraints.append(
            sa.UniqueConstraint("credited_invoice_id", name="uq_invoices_credited_invoice_id")
        )
    op.create_table(name, *columns, *constraints)


LINE_COLUMNS = (
    "id, invoice_id, position, kind, description, quantity, unit_code, unit_price, "
    "vat_rate, net, time_entry_id, material_id"
)
LINE_INDEXES = (
    ("ix_invoice_lines_invoice_position", ["invoice_id", "position"], True),
    ("ix_invoice_lines_material_id", ["material_id"], False),
    ("ix_invoice_lines_time_entry_id", ["time_entry_id"], False),
)


def _invoice_lines_table(*, credited_line: bool) -> None:
    columns = [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("unit_code", sa.String(length=10), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("vat_rate", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("net", MONEY, nullable=False),
        sa.Column("time_entry_id", sa.String(length=64), nullable=True),
        sa.Column("material_id", sa.String(length=64), nullable=True),
    ]
    constraints = [
        sa.CheckConstraint(
            "kind IN ('labour', 'material', 'callout')", name="ck_invoice_lines_kind_known"
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name="fk_invoice_lines_invoice_id_invoices",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_invoice_lines"),
    ]
    if credited_line:
        columns.append(sa.Column("credited_line_id", sa.Integer(), nullable=True))
        constraints.append(
            sa.ForeignKeyConstraint(
                ["credited_line_id"],
                ["invoice_lines.id"],
                name="fk_invoice_lines_credited_line_id_invoice_lines",
            )
        )
    op.create_table("invoice_lines", *columns, *constraints)
    indexes = LINE_INDEXES + (
        (("ix_invoice_lines_credited_line_id", ["credited_line_id"], False),)
        if credited_line
        else ()
    )
    for name, index_columns, unique in indexes:
        op.create_index(name, "invoice_lines", index_columns, unique=unique)


def _rebuild_sqlite_invoices(*, upgrade: bool) -> None:
    """Swap `invoices` (and `invoice_lines`, which cascades from it) for tables of the new
    shape, in this transaction. PRAGMA foreign_keys cannot change inside a transaction,
    so DROP TABLE's implicit delete counts as deleting the rows: both tables are parked
    in plain copies (no constraints, so nothing cascades), dropped, created again under
    their own names and refilled. Foreign keys are deferred to the commit; refilling the
    parents settles what the drop left dangling (payments)."""
    op.execute("PRAGMA defer_foreign_keys = ON")
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute(f"CREATE TABLE invoices_parked AS SELECT {INVOICE_COLUMNS} FROM invoices")
    op.execute(f"CREATE TABLE invoice_lines_parked AS SELECT {LINE_COLUMNS} FROM invoice_lines")
    op.drop_table("invoice_lines")  # first: its rows are parked, nothing cascades
    op.drop_table("invoices")  # indexes go with the tables
    _invoices_table("invoices", unique_credit=not upgrade, amount_credited=upgrade)
    op.execute(
        f"INSERT INTO invoices ({INVOICE_COLUMNS}) "
        f"SELECT {INVOICE_COLUMNS} FROM invoices_parked ORDER BY id"
    )
    op.create_index("ix_invoices_ticket_id", "invoices", ["ticket_id"], unique=False)
    if upgrade:
        op.create_index(
            "ix_invoices_credited_invoice_id", "invoices", ["credited_invoice_id"], unique=False
        )
    _invoice_lines_table(credited_line=upgrade)
    op.execute(
        f"INSERT INTO invoice_lines ({LINE_COLUMNS}) "
        f"SELECT {LINE_COLUMNS} FROM invoice_lines_parked ORDER BY id"
    )
    op.drop_table("invoice_lines_parked")
    op.drop_table("invoices_parked")
    for statement in _sqlite_triggers():
        op.execute(statement)


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column(
        "tickets",
        sa.Column("paid_in_full", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    if sqlite:
        _rebuild_sqlite_invoices(upgrade=True)
    else:
        op.add_column("invoices", sa.Column("amount_credited", MONEY, server_default="0"))
        op.alter_column("invoices", "amount_credited", nullable=False)
        op.drop_constraint("uq_invoices_credited_invoice_id", "invoices", type_="unique")
        op.create_index(
            "ix_invoices_credited_invoice_id", "invoices", ["credited_invoice_id"], unique=False
        )
    if sqlite:
        # SQLite adds a column with its constraints inline, or not at all.
        for statement in (
            "ALTER TABLE payments ADD COLUMN source VARCHAR(10) DEFAULT 'erp' NOT NULL "
            f"CONSTRAINT ck_payments_source_known CHECK ({SOURCE_CHECK})",
            "ALTER TABLE payments ADD COLUMN method VARCHAR(20) "
            f"CONSTRAINT ck_payments_method_known CHECK ({METHOD_CHECK})",
            "ALTER TABLE payments ADD COLUMN recorded_by_id INTEGER CONSTRAINT "
            "fk_payments_recorded_by_id_users REFERENCES users (id)",
        ):
            op.execute(statement)
    else:
        op.add_column("invoice_lines", sa.Column("credited_line_id", sa.Integer()))
        op.create_index("ix_invoice_lines_credited_line_id", "invoice_lines", ["credited_line_id"])
        op.create_foreign_key(
            "fk_invoice_lines_credited_line_id_invoice_lines",
            "invoice_lines",
            "invoice_lines",
            ["credited_line_id"],
            ["id"],
        )
        op.add_column(
            "payments",
            sa.Column("source", sa.String(length=10), server_default="erp", nullable=False),
        )
        op.add_column("payments", sa.Column("method", sa.String(length=20), nullable=True))
        op.add_column("payments", sa.Column("recorded_by_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_payments_recorded_by_id_users", "payments", "users", ["recorded_by_id"], ["id"]
        )
        op.create_check_constraint("ck_payments_source_known", "payments", SOURCE_CHECK)
        op.create_check_constraint("ck_payments_method_known", "payments", METHOD_CHECK)
    # What existed before: full credit notes, paid invoices.
    op.execute(
        "UPDATE invoices SET amount_credited = -(SELECT COALESCE(SUM(n.gross_total), 0) "
        "FROM invoices n WHERE n.credited_invoice_id = invoices.id AND n.kind = 'credit_note' "
        "AND n.status <> 'draft') WHERE kind = 'invoice'"
    )
    op.execute(
        "UPDATE tickets SET paid_in_full = "
        + ("1" if sqlite else "true")
        + " WHERE NOT awaiting_payment AND EXISTS (SELECT 1 FROM invoices i WHERE "
        "i.ticket_id = tickets.id AND i.kind = 'invoice' AND i.status = 'paid')"
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_idempotency_keys_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("user_id", "key", name=op.f("uq_idempotency_keys_user_id")),
    )
    op.create_index(
        op.f("ix_idempotency_keys_created_at"), "idempotency_keys", ["created_at"], unique=False
    )


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index(op.f("ix_idempotency_keys_created_at"), table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    if not sqlite:
        op.drop_constraint("ck_payments_method_known", "payments", type_="check")
        op.drop_constraint("ck_payments_source_known", "payments", type_="check")
        op.drop_constraint("fk_payments_recorded_by_id_users", "payments", type_="foreignkey")
        op.drop_constraint(
            "fk_invoice_lines_credited_line_id_invoice_lines", "invoice_lines", type_="foreignkey"
        )
    for column in ("recorded_by_id", "method", "source"):
        op.drop_column("payments", column)
    if sqlite:
        _rebuild_sqlite_invoices(upgrade=False)
    else:
        op.drop_index("ix_invoice_lines_credited_line_id", table_name="invoice_lines")
        op.drop_column("invoice_lines", "credited_line_id")
        op.drop_index("ix_invoices_credited_invoice_id", table_name="invoices")
        op.create_unique_constraint(
            "uq_invoices_credited_invoice_id", "invoices", ["credited_invoice_id"]
        )
        op.drop_column("invoices", "amount_credited")
    op.drop_column("tickets", "paid_in_full")
