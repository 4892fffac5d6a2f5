"""Ticket search: one document of words per ticket, PostgreSQL full-text search
(tsvector, GIN) or SQLite FTS5, kept current in the transaction that changes it.

The words are made here, not by the databases' parsers, so both see the same tokens
and find the same tickets: lowercase runs of letters and digits (`T-000123` is `t`
and `000123`; `a.b@x.test` is `a`, `b`, `x`, `test`). A query is its words, each
matched as a prefix, all of them required.

What a document holds: the ticket's ref, summary and description, every message body
(whatever its visibility: the list is scoped to tickets, not to messages, so a
tenant finding a ticket by a staff-only note learns only that the ticket matches),
the reporter's name, the block's name and address and the unit's name. A session
hook notes the tickets whose words may have changed at each flush (the ticket, a
new message, a renamed block, unit or reporter) and rewrites their documents just
before commit.
"""

import re

from sqlalchemy import Select, bindparam, event, inspect, literal, select, text
from sqlalchemy.orm import Session

from server.extensions import db
from server.models import Block, Message, Ticket, Unit, User

SEARCH_TABLE = "ticket_search"
_PENDING = "fieldline_search_pending"  # ticket ids to reindex at commit
_PENDING_BLOCKS = "fieldline_search_blocks"
_PENDING_UNITS = "fieldline_search_units"
_PENDING_USERS = "fieldline_search_users"
_WORD = re.compile(r"[^\W_]+")
MAX_TERMS = 10


def is_search_table(name: str | None) -> bool:
    """The index's tables (FTS5 adds shadow tables), which no model declares."""
    return bool(name) and (name == SEARCH_TABLE or name.startswith(SEARCH_TABLE + "_"))


def document_words(*texts: str | None) -> str:
    return " ".join(_WORD.findall(" ".join(t for t in texts if t).lower()))


def matching_tickets(q: str) -> Select:
    """Ids of the tickets whose documents hold every word of `q` (as prefixes)."""
    terms = document_words(q).split()[:MAX_TERMS]
    if not terms:
        return select(Ticket.id).where(literal(False))
    if db.session.get_bind().dialect.name == "postgresql":
        query = " & ".join(f"{term}:*" for term in terms)
        return (
            select(text("ticket_id"))
            .select_from(
                text(f"{SEARCH_TABLE} WHERE document @@ to_tsquery('simple', :search_query)")
            )
            .params(search_query=query)
        )
    query = " ".join(f'"{term}"*' for term in terms)
    return (
        select(text("rowid"))
        .select_from(text(f"{SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH :search_query"))
        .params(search_query=query)
    )


_DOCUMENT = (
    select(
        Ticket.id,
        Ticket.ref,
        Ticket.summary,
        Ticket.description,
        Block.name,
        Block.address,
        Unit.name,
        User.name,
    )
    .join(Block, Block.id == Ticket.block_id)
    .outerjoin(Unit, Unit.id == Ticket.unit_id)
    .outerjoin(User, User.id == Ticket.reporter_id)
    .where(Ticket.id.in_(bindparam("ids", expanding=True)))
)


def reindex(ticket_ids) -> None:
    """Rewrite the documents of these tickets from what the session holds now."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return
    session = db.session
    bodies: dict[int, list[str]] = {}
    for ticket_id, body in session.execute(
        select(Message.ticket_id, Message.body)
        .where(Message.ticket_id.in_(ids))
        .order_by(Message.created_at, Message.id)
    ):
        bodies.setdefault(ticket_id, []).append(body)
    rows = [
        {"t": ticket_id, "d": document_words(*texts, *bodies.get(ticket_id, ()))}
        for ticket_id, *texts in session.execute(_DOCUMENT, {"ids": ids})
    ]
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text(
                f"INSERT INTO {SEARCH_TABLE} (ticket_id, document) "
                "VALUES (:t, to_tsvector('simple', :d)) "
                "ON CONFLICT (ticket_id) DO UPDATE SET document = EXCLUDED.document"
            ),
            rows,
        )
    else:
        session.execute(text(f"DELETE FROM {SEARCH_TABLE} WHERE rowid = :t"), rows)
        session.execute(text(f"INSERT INTO {SEARCH_TABLE} (rowid, document) VALUES (:t, :d)"), rows)


def _changed(obj, *names) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names)


def _after_flush(session: Session, _context) -> None:
    pending = session.info.setdefault(_PENDING, set())
    for obj in session.new:
        if isinstance(obj, Ticket):
            pending.add(obj.id)
        elif isinstance(obj, Message):
            pending.add(obj.ticket_id)
    for obj in session.dirty:
        if isinstance(obj, Ticket) and _changed(
            obj, "ref", "summary", "description", "block_id", "unit_id", "reporter_id"
        ):
            pending.add(obj.id)
        elif isinstance(obj, Block) and _changed(obj, "name", "address"):
            session.info.setdefault(_PENDING_BLOCKS, set()).add(obj.id)
        elif isinstance(obj, Unit) and _changed(obj, "name"):
            session.info.setdefault(_PENDING_UNITS, set()).add(obj.id)
        elif isinstance(obj, User) and _changed(obj, "name"):
            session.info.setdefault(_PENDING_USERS, set()).add(obj.id)


def _before_commit(session: Session) -> None:
    session.flush()
    pending = session.info.pop(_PENDING, set())
    for key, column in (
        (_PENDING_BLOCKS, Ticket.block_id),
        (_PENDING_UNITS, Ticket.unit_id),
        (_PENDING_USERS, Ticket.reporter_id),
    ):
        if ids := session.info.pop(key, None):
            pending.update(session.scalars(select(Ticket.id).where(column.in_(sorted(ids)))))
    if pending:
        with session.no_autoflush:
            reindex(pending)


def _forget(session: Session, *_args) -> None:
    for key in (_PENDING, _PENDING_BLOCKS, _PENDING_UNITS, _PENDING_USERS):
        session.info.pop(key, None)


def install(session) -> None:
    """Register the indexing hooks on the app's session (idempotent)."""
    for name, fn in (
        ("after_flush", _after_flush),
        ("before_commit", _before_commit),
        ("after_commit", _forget),
        ("after_rollback", _forget),
        ("after_soft_rollback", _forget),
    ):
        if not event.contains(session, name, fn):
            event.listen(session, name, fn)
