"""Pull: what changed for this contractor since `last_pulled_at`, in WatermelonDB's format.

The timestamp handed to the device is the sync counter + 1, read in the same
snapshot as the rows (REPEATABLE READ on PostgreSQL; SQLite transactions are
serialised). A device that pulled timestamp T has seen every change stamped < T.
"""

from functools import lru_cache

from sqlalchemy import BigInteger, Row, bindparam, cast, extract, func, literal, select, union_all

from delivery_notes.models import DeliveryNote
from server.auth import Caller
from server.changes import SYNC_COUNTER, TICKET_RECORD_COLUMNS, current_sequence
from server.db import UTCDateTime
from server.extensions import db
from server.id_lists import among, bind
from server.models import (
    Attachment,
    Block,
    Certificate,
    Counter,
    Material,
    Message,
    Tenancy,
    Ticket,
    TicketContractor,
    TimeEntry,
    Unit,
    User,
)
from server.services.held_work import not_counting
from sync import records

SNAPSHOT = "REPEATABLE READ"
DEVICE_VISIBILITIES = ("public", "team")  # staff-only messages never reach a device


def _device_messages(messages):
    """Messages a device may receive: public or team, and not held for review or
    rejected (server.services.held_work: a held reply reaches no one but staff and its
    own author, whose devices keep it like any record they pushed). Parameter `me`."""
    return messages.visibility.in_(DEVICE_VISIBILITIES) & (
        messages.id.not_in(not_counting("ticket_messages"))
        | (messages.author_id == bindparam("me"))
    )


CHILDREN = {
    "ticket_messages": (Message, records.message_record),
    "time_entries": (TimeEntry, records.time_entry_record),
    "materials": (Material, records.material_record),
    "delivery_notes": (DeliveryNote, records.delivery_note_record),
    "attachments": (Attachment, records.attachment_record),
}


@lru_cache
def _children_query(table: str, dialect: str, incremental: bool):
    """Plain rows (no ORM identity map): a first pull serialises thousands of them.
    Parameters: `tickets` (ids) and, when incremental, `since`."""
    model, _ = CHILDREN[table]
    # Table columns, not ORM attributes: the rows skip the ORM's loading machinery.
    rows = model.__table__.c
    columns = [_epoch_ms(c, dialect) if _is_time(c) else c for c in rows]
    query = select(*columns).where(among(rows.ticket_id, "tickets", dialect))
    if incremental:
        query = query.where(rows.sync_seq > bindparam("since"))
    if model is Message:
        # The author's name travels with the message: joined here, not looked up.
        users = User.__table__.c
        query = query.add_columns(users.name.label("author_name")).outerjoin(
            User.__table__, users.id == rows.author_id
        )
        query = query.where(_device_messages(rows))
    if model is Attachment:
        messages = Message.__table__.c
        device_messages = select(messages.id).where(_device_messages(messages))
        query = query.where(
            # As private as its message; hidden until that message has arrived.
            rows.message_id.is_(None) | rows.message_id.in_(device_messages)
        )
    return query.order_by(rows.id)


def _is_time(column) -> bool:
    return isinstance(column.type, UTCDateTime)


def _epoch_ms(column, dialect: str):
    """A time column as epoch milliseconds (floored, as records.ms does), computed by
    the database: a first pull sends thousands of times, and parsing each into a
    datetime only to turn it into a number again cost more than the query."""
    if dialect == "postgresql":
        value = cast(func.floor(extract("epoch", column) * 1000), BigInteger)
    else:  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC)
        seconds = cast(func.strftime("%s", column), BigInteger)
        value = seconds * 1000 + cast(func.substr(column, 21, 3), BigInteger)
    return value.label(column.name)


@lru_cache
def _tickets_query(dialect: str):
    """Parameter `tickets` (ids): the tickets as plain rows with what their device
    records show of their block and unit (sync.records.ticket_record)."""
    tickets, blocks, units = Ticket.__table__, Block.__table__, Unit.__table__
    # What the record is built from (the columns whose change re-sends it), and when
    # the record last changed.
    names = ("id", *TICKET_RECORD_COLUMNS, "record_updated_at", "updated_at")
    columns = [
        _epoch_ms(tickets.c[n], dialect) if _is_time(tickets.c[n]) else tickets.c[n] for n in names
    ]
    return (
        select(
            *columns,
            blocks.c.name.label("block_name"),
            blocks.c.address,
            blocks.c.access_notes.label("block_access_notes"),
            units.c.name.label("unit_name"),
            units.c.access_notes.label("unit_access_notes"),
        )
        .join(blocks, blocks.c.id == tickets.c.block_id)
        .outerjoin(units, units.c.id == tickets.c.unit_id)
        .where(among(tickets.c.id, "tickets", dialect))
        .order_by(tickets.c.id)
    )


@lru_cache
def _ids_query(table: str, dialect: str, own_device: bool):
    """Ids of a table's rows under some tickets (or only those this device pushed since)."""
    model, _ = CHILDREN[table]
    query = select(model.id).where(among(model.ticket_id, "tickets", dialect))
    if own_device:
        query = query.where(
            model.device_id == bindparam("device"), model.sync_seq > bindparam("since")
        )
    return query


@lru_cache
def _history_query(dialect: str):
    """Parameter `units` (ids): the units' tickets, newest first per unit. Plain rows
    cut to 11 per unit in Python: a window function over them cost twice as much."""
    return (
        select(
            Ticket.id,
            Ticket.unit_id,
            Ticket.ref,
            Ticket.summary,
            _epoch_ms(Ticket.created_at, dialect),
            Ticket.status,
        )
        .where(among(Ticket.unit_id, "units", dialect))
        .order_by(Ticket.unit_id, Ticket.created_at.desc(), Ticket.id.desc())
    )


# All of this contractor's assignments (a first or migration pull).
_LINKS = select(TicketContractor.ticket_id, TicketContractor.active).where(
    TicketContractor.contractor_id == bindparam("me")
)


def _what_moved():
    """One statement for an incremental pull: the counter, and this contractor's
    assignment rows that moved since `since` (one index range: server.changes stamps
    on them whatever their devices must hear about), with when the assignment itself
    last started or ended and when the ticket's device record last changed. An empty
    pull is then this and the caller's query."""
    counter = select(
        Counter.value.label("ticket_id"),
        literal(True).label("active"),
        literal(-1, BigInteger).label("link_seq"),
        literal(-1, BigInteger).label("record_seq"),
    ).where(Counter.name == SYNC_COUNTER)
    links = select(
        TicketContractor.ticket_id,
        TicketContractor.active,
        TicketContractor.sync_seq,
        TicketContractor.record_seq,
    ).where(
        TicketContractor.contractor_id == bindparam("me"),
        TicketContractor.device_seq > bindparam("since"),
    )
    return union_all(counter, links)


@lru_cache
def _changed_tables(dialect: str):
    """Parameters `tickets` (ids) and `since`: which child tables have a row changed
    under those tickets since. One round trip, so that a pull after fifty replies
    does not also query the four tables nothing changed in."""
    probes = []
    for number, (model, _) in enumerate(CHILDREN.values()):
        changed = select(model.id).where(
            among(model.ticket_id, "tickets", dialect), model.sync_seq > bindparam("since")
        )
        if model is Message:
            changed = changed.where(_device_messages(Message.__table__.c))
        probes.append(select(literal(number).label("table")).where(changed.exists()))
    return union_all(*probes)


_WHAT_MOVED = _what_moved()


class Context:
    """Everything the ticket serializer needs, loaded in a handful of bulk queries as
    plain rows: people's name, phone and role; certificates' fields."""

    def __init__(self, tickets: list[Row], base_url: str = ""):
        self.users: dict[int, Row] = {}
        self.tenants: dict[int, Row] = {}
        self.certificates: dict[int, list[Row]] = {}
        self.history: dict[int, list[tuple[int, dict]]] = {}  # unit: (ticket id, entry)
        if not tickets:
            return
        connection = db.session.connection()
        unit_ids = {t.unit_id for t in tickets if t.unit_id}
        block_ids = {t.block_id for t in tickets}
        people, tenancies = User.__table__, Tenancy.__table__.c
        person = (people.c.id, people.c.name, people.c.phone, people.c.role)
        today = func.current_date()
        tenancy_rows = connection.execute(
            select(tenancies.unit_id, *person)
            .join(people, people.c.id == tenancies.tenant_id)
            .where(
                tenancies.unit_id.in_(unit_ids),
                tenancies.starts_on <= today,
                tenancies.ends_on.is_(None) | (tenancies.ends_on >= today),
            )
            .order_by(tenancies.starts_on)
        )
        self.tenants = {row.unit_id: row for row in tenancy_rows}
        ids = {t.reporter_id for t in tickets} | {t.addressed_to_id for t in tickets}
        ids.discard(None)
        if ids:
            users = connection.execute(select(*person).where(people.c.id.in_(ids)))
            self.users = {row.id: row for row in users}
        certificates = Certificate.__table__
        for certificate in connection.execute(
            select(certificates)
            .where(certificates.c.block_id.in_(block_ids))
            .order_by(certificates.c.expires_on, certificates.c.id)
        ):
            self.certificates.setdefault(certificate.block_id, []).append(certificate)
        self._load_history(unit_ids)

    def _load_history(self, unit_ids) -> None:
        """The last 11 tickets per unit (10 besides the one being sent), in one query."""
        dialect = db.session.get_bind().dialect.name
        rows = (
            db.session.connection()
            .execute(_history_query(dialect), {"units": bind(unit_ids, dialect)})
            .all()  # one fetch: row by row cost a DB-API call per row, thousands here
        )
        for ticket_id, unit_id, ref, summary, date, outcome in rows:
            entries = self.history.setdefault(unit_id, [])
            if len(entries) < 11:
                entry = {"ref": ref, "summary": summary, "date": date, "outcome": outcome}
                entries.append((ticket_id, entry))

    def tenant_for(self, ticket: Row) -> Row | None:
        for user_id in (ticket.reporter_id, ticket.addressed_to_id):
            user = self.users.get(user_id)
            if user is not None and user.role == "tenant":
                return user
        return self.tenants.get(ticket.unit_id)

    def certificates_for(self, ticket: Row) -> list[dict]:
        return [
            {
                "kind": c.kind,
                "number": c.number,
                "issued_on": c.issued_on.isoformat(),
                "expires_on": c.expires_on.isoformat(),
            }
            for c in self.certificates.get(ticket.block_id, [])
            if c.unit_id in (None, ticket.unit_id)
        ]

    def history_for(self, ticket: Row) -> list[dict]:
        entries = self.history.get(ticket.unit_id, []) if ticket.unit_id else []
        return [entry for ticket_id, entry in entries if ticket_id != ticket.id][:10]

    def pdf_url(self, note) -> str:
        return f"/api/tickets/{note.ticket_id}/delivery-notes/{note.id}.pdf"


def begin_snapshot() -> None:
    """One snapshot for the counter and the rows (PostgreSQL reads per statement
    otherwise). The pull endpoint calls this before authenticating, so the whole
    request is one REPEATABLE READ transaction; otherwise a transaction already begun
    is ended first (it read, wrote nothing: the caller's objects stay loaded)."""
    session = db.session()
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite transactions are serialised: one snapshot already
    if session.in_transaction():
        options = session.connection().get_execution_options()
        if options.get("isolation_level") == SNAPSHOT:
            return
        expire, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire
    session.connection(execution_options={"isolation_level": SNAPSHOT})


def pull(caller: Caller, last_pulled_at: int | None, migration: dict | None = None) -> dict:
    begin_snapshot()
    since = None if last_pulled_at is None else last_pulled_at - 1
    own_device = caller.device.id if caller.device else None
    migrated = _migrated_tables(migration)
    changes = {table: {"created": [], "updated": [], "deleted": []} for table in records.TABLES}
    dialect = db.session.get_bind().dialect.name
    # fresh: assignments started since the last pull (sent whole, as created); gone:
    # ended (sent as deleted); moved: other tickets on the device whose activity
    # moved (their changed children are sent); resend: those whose record changed.
    fresh, gone, moved, resend, ended_moved = set(), set(), set(), set(), set()
    changed_tables = set(CHILDREN) if since is None else set()
    if since is None:
        timestamp = current_sequence() + 1
        links = db.session.execute(_LINKS, {"me": caller.id}).all()
        fresh = active = {ticket_id for ticket_id, is_active in links if is_active}
    else:
        timestamp = 1
        for ticket_id, is_active, link_seq, record_seq in db.session.execute(
            _WHAT_MOVED, {"me": caller.id, "since": since}
        ):
            if link_seq < 0:  # the counter
                timestamp = ticket_id + 1
            elif link_seq > since:  # assigned or unassigned since: sent whole, or deleted
                (fresh if is_active else gone).add(ticket_id)
            elif is_active:
                moved.add(ticket_id)
                if record_seq > since:
                    resend.add(ticket_id)
            else:
                ended_moved.add(ticket_id)
        if moved or ended_moved:
            tables = list(CHILDREN)
            changed_tables = {
                tables[number]
                for number in db.session.scalars(
                    _changed_tables(dialect),
                    {
                        "tickets": bind(moved | ended_moved, dialect),
                        "since": since,
                        "me": caller.id,
                    },
                )
            }
        active = None
        if migrated:  # whole tables or columns the app just added: every ticket on it
            links = db.session.execute(_LINKS, {"me": caller.id}).all()
            active = {ticket_id for ticket_id, is_active in links if is_active}
    ongoing = active - fresh if active is not None else set()

    def bucket_of(row) -> str:
        if own_device is not None and row.device_id == own_device:
            return "updated"  # a device's own records come back as updated, never created
        if since is None or row.ticket_id in fresh:
            return "created"
        return "created" if getattr(row, "created_seq", 0) > since else "updated"

    # Tickets: whole for new assignments, changed records for ongoing, ids for ended.
    wanted = active if since is None or "tickets" in migrated else fresh | resend
    connection = db.session.connection()

    def run(query, ticket_ids, **params):
        params = {"tickets": bind(ticket_ids, dialect), "me": caller.id, **params}
        return connection.execute(query, params)

    tickets = run(_tickets_query(dialect), wanted).all() if wanted else []
    context = Context(tickets)
    for ticket in tickets:
        bucket = "created" if ticket.id in fresh else "updated"
        changes["tickets"][bucket].append(records.ticket_record(ticket, context))
    changes["tickets"]["deleted"] = [str(i) for i in sorted(gone)]

    for table, (_model, serialize) in CHILDREN.items():
        rows = []
        if fresh:
            rows += run(_children_query(table, dialect, False), fresh).all()
        if table in migrated and ongoing:
            rows += run(_children_query(table, dialect, False), ongoing).all()
        elif moved and table in changed_tables:
            rows += run(_children_query(table, dialect, True), moved, since=since).all()
        for row in rows:
            changes[table][bucket_of(row)].append(serialize(row, context))
        deleted = set()
        if gone:
            deleted |= set(run(_ids_query(table, dialect, False), gone).scalars())
        if own_device is not None and ended_moved and table in changed_tables:
            # Work this device pushed to a ticket no longer on it is kept on the server
            # but leaves the device, like the rest of that ticket did. (A contractor
            # pushes only to tickets assigned to them once: see server.scope.)
            query = _ids_query(table, dialect, True)
            deleted |= set(run(query, ended_moved, device=own_device, since=since).scalars())
        changes[table]["deleted"] = sorted(deleted)
    return {"changes": changes, "timestamp": timestamp}


def _migrated_tables(migration: dict | None) -> set[str]:
    """Tables (or tables with new columns) the app just added: sent whole."""
    if not migration:
        return set()
    tables = set(migration.get("tables") or [])
    for entry in migration.get("columns") or []:
        tables.add(entry["table"])
    return tables
