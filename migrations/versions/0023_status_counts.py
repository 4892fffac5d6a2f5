"""ticket status counts: how many tickets each (department, block, manager, owner,
status) holds, kept current by a trigger on `tickets` in the same transaction as every
change, so the dashboard sums a few hundred rows instead of counting tickets

Revision ID: 0023_status_counts
Revises: 0022_certificate_reminders
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_status_counts"
down_revision = "0022_certificate_reminders"
branch_labels = None
depends_on = None

KEY = ("department_id", "block_id", "manager_id", "owner_id", "status")


def _key_parts(row: str) -> list[str]:
    """The group of a ticket row (NEW/OLD or the table), none as 0: a primary key
    cannot hold NULL, and 0 matches no id in a scope predicate."""
    return [f"COALESCE({row}.{column}, 0)" for column in KEY[:-1]] + [f"{row}.status"]


def _key(row: str) -> str:
    return ", ".join(_key_parts(row))


POSTGRES_BUMP = """
CREATE FUNCTION fieldline_bump_status_count(d integer, b integer, m integer, o integer,
                                            s varchar, delta integer) RETURNS void AS $$
    INSERT INTO ticket_status_counts AS c
        (department_id, block_id, manager_id, owner_id, status, tickets)
    VALUES (d, b, m, o, s, delta)
    ON CONFLICT (department_id, block_id, manager_id, owner_id, status)
    DO UPDATE SET tickets = c.tickets + EXCLUDED.tickets
$$ LANGUAGE sql
"""

# Two tickets moving opposite ways (open -> on hold, on hold -> open) in concurrent
# transactions would lock the same two count rows in opposite orders: always touch
# the smaller group first, so they queue instead of deadlocking.
POSTGRES_TRIGGER_FUNCTION = f"""
CREATE FUNCTION fieldline_ticket_status_counts() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM fieldline_bump_status_count({_key("NEW")}, 1);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM fieldline_bump_status_count({_key("OLD")}, -1);
    ELSIF ROW({_key("OLD")}) IS DISTINCT FROM ROW({_key("NEW")}) THEN
        IF ROW({_key("OLD")}) < ROW({_key("NEW")}) THEN
            PERFORM fieldline_bump_status_count({_key("OLD")}, -1);
            PERFORM fieldline_bump_status_count({_key("NEW")}, 1);
        ELSE
            PERFORM fieldline_bump_status_count({_key("NEW")}, 1);
            PERFORM fieldline_bump_status_count({_key("OLD")}, -1);
        END IF;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""

POSTGRES = [
    POSTGRES_BUMP,
    POSTGRES_TRIGGER_FUNCTION,
    "CREATE TRIGGER tickets_status_counts AFTER INSERT OR DELETE OR UPDATE OF "
    + ", ".join(KEY)
    + " ON tickets FOR EACH ROW EXECUTE FUNCTION fieldline_ticket_status_counts()",
]


def _sqlite_bump(row: str, delta: int) -> str:
    # SQLite takes no UPSERT in a trigger body: make sure the row exists, then add.
    columns = ", ".join(KEY)
    return (
        f"INSERT OR IGNORE INTO ticket_status_counts ({columns}, tickets) "
        f"VALUES ({_key(row)}, 0); "
        f"UPDATE ticket_status_counts SET tickets = tickets + ({delta}) WHERE "
        + " AND ".join(
            f"{column} = {value}" for column, value in zip(KEY, _key_parts(row), strict=True)
        )
        + ";"
    )


SQLITE = [
    "CREATE TRIGGER tickets_status_counts_insert AFTER INSERT ON tickets BEGIN "
    + _sqlite_bump("NEW", 1)
    + " END",
    "CREATE TRIGGER tickets_status_counts_delete AFTER DELETE ON tickets BEGIN "
    + _sqlite_bump("OLD", -1)
    + " END",
    "CREATE TRIGGER tickets_status_counts_update AFTER UPDATE OF "
    + ", ".join(KEY)
    + " ON tickets WHEN "
    + " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in KEY)
    + " BEGIN "
    + _sqlite_bump("OLD", -1)
    + " "
    + _sqlite_bump("NEW", 1)
    + " END",
]

BACKFILL = (
    "INSERT INTO ticket_status_counts "
    f"({', '.join(KEY)}, tickets) "
    f"SELECT {_key('tickets')}, COUNT(*) FROM tickets GROUP BY {_key('tickets')}"
)


def upgrade():
    op.create_table(
        "ticket_status_counts",
        *(sa.Column(column, sa.Integer(), nullable=False) for column in KEY[:-1]),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*KEY, name=op.f("pk_ticket_status_counts")),
    )
    op.execute(BACKFILL)
    dialect = op.get_bind().dialect.name
    for statement in POSTGRES if dialect == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS tickets_status_counts ON tickets")
        op.execute("DROP FUNCTION IF EXISTS fieldline_ticket_status_counts()")
        op.execute(
            "DROP FUNCTION IF EXISTS fieldline_bump_status_count"
            "(integer, integer, integer, integer, varchar, integer)"
        )
    else:
        for suffix in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS tickets_status_counts_{suffix}")
    op.drop_table("ticket_status_counts")
