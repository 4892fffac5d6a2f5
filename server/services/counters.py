"""Named counters incremented inside the caller's transaction (gapless, in commit order)."""

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from server.extensions import db
from server.models import Counter


def next_value(name: str) -> int:
    """Take the next number of `name`. The row stays locked until the transaction ends,
    so a rollback gives the number back and concurrent takers queue behind it."""
    taken = db.session.execute(_NEXT, {"counter": name}).scalar_one_or_none()
    if taken is None:  # the counter's first use
        dialect = db.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        first = insert(Counter).values(name=name, value=0)
        db.session.execute(first.on_conflict_do_nothing(index_elements=["name"]))
        taken = db.session.execute(_NEXT, {"counter": name}).scalar_one()
    return taken


_NEXT = (
    update(Counter)
    .where(Counter.name == bindparam("counter"))
    .values(value=Counter.value + 1)
    .returning(Counter.value)
)
_CURRENT = select(Counter.value).where(Counter.name == bindparam("name"))


def taking(name: str):
    """The statement that takes the next number of `name` on PostgreSQL, creating the
    counter on first use (an upsert, RETURNING the number): for callers that take it
    inside a bigger statement (server.changes stamps with it in one round trip)."""
    counter = Counter.__table__
    return (
        pg_insert(counter)
        .values(name=name, value=1)
        .on_conflict_do_update(index_elements=["name"], set_={"value": counter.c.value + 1})
        .returning(counter.c.value)
    )


def current_value(name: str) -> int:
    return db.session.scalar(_CURRENT, {"name": name}) or 0
