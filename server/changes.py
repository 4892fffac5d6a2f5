"""The sync change sequence: every committed change to a synced row gets a number.

All rows a transaction touched get one number, taken from the `sync` counter just
before commit. Taking it locks the counter row until the commit ends, so numbers
become visible in commit order: a reader that sees counter value N also sees every
row stamped <= N. That is what lets a device pull `seq > last` and never miss a
change, even on PostgreSQL where a plain sequence can commit out of order.

At commit, the transaction's rows are written first, then the number is taken and
stamped with one UPDATE per table (one statement on PostgreSQL) just before COMMIT,
so each writer holds the counter row briefly. (A big push written with Core
reserves its number early: see reserve_sequence.)

A ticket's `sync_seq` (and `record_updated_at`) move only when a column the device's
ticket record is built from changes, so a reply or an hour logged does not send the
whole ticket, with its address, tenant and unit history, again. What a ticket record
embeds from its property moves when the unit gets a ticket or one of its tickets
changes what the unit's history shows (ref, summary, outcome), when the unit gets a
tenancy or a certificate, when the block gets a certificate, and when the unit or
block itself changes what the record shows (name, address, access notes).

Each assignment row's `device_seq` moves with all of that: any change to its ticket
or a row under it (a message, hours), and, while it is active, what its unit or
block shows; its `record_seq` moves with what the ticket's device record shows (the
ticket's own columns, and while active its unit's or block's part). A pull then
finds what moved for its contractor, and which of those records to send again, in
its own assignment rows (one index range), not among everything that moved
agency-wide since its last pull.
Stamping the assignment rows of a unit's other tickets locks rows nobody else holds
while waiting for the counter: writers of assignment rows (server.services.
assignments) take the number before touching them.
"""

from sqlalchemy import BigInteger, case, event, func, inspect, literal, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from server.db import utcnow
from server.extensions import db
from server.models import Block, Certificate, Tenancy, Ticket, TicketContractor, Unit
from server.services.counters import current_value, next_value, taking

SYNC_COUNTER = "sync"
_TOUCHED = "fieldline_sync_touched"  # {obj: created in this transaction?}
_RECORDS = "fieldline_sync_records"  # tickets whose device record changed
_HISTORIES = "fieldline_sync_histories"  # units whose part of ticket records changed
_BLOCKS = "fieldline_sync_blocks"  # blocks whose part of ticket records changed
_RESERVED = "fieldline_sync_reserved"
_MOVED = "fieldline_sync_moved"  # ids of tickets whose rows were written with Core
# The ticket columns the device record (sync.records.ticket_record) is built from.
TICKET_RECORD_COLUMNS = (
    "ref",
    "summary",
    "description",
    "status",
    "priority",
    "type",
    "billing",
    "block_id",
    "unit_id",
    "reporter_id",
    "addressed_to_id",
    "deadline_at",
    "created_at",
)
# What a ticket's device record shows of its unit and its block (sync.pull).
UNIT_RECORD_COLUMNS = ("name", "access_notes")
BLOCK_RECORD_COLUMNS = ("name", "address", "access_notes")
# What a unit's ticket history (sent with each of its tickets) shows of a ticket.
HISTORY_COLUMNS = ("ref", "summary", "status", "created_at", "unit_id")


def _synced(obj) -> bool:
    return hasattr(obj, "sync_seq")


def _remember(session: Session) -> bool:
    """Note what this flush changed; whether the transaction has anything to stamp."""
    touched = session.info.setdefault(_TOUCHED, {})
    histories = session.info.setdefault(_HISTORIES, set())
    blocks = session.info.setdefault(_BLOCKS, set())
    for obj in session.new:
        if _synced(obj):
            touched[obj] = True
            if isinstance(obj, Ticket):
                histories.add(obj.unit_id)
        elif isinstance(obj, Tenancy):
            histories.add(obj.unit_id)  # the tenant shown on the unit's tickets
        elif isinstance(obj, Certificate) and obj.unit_id is not None:
            histories.add(obj.unit_id)
        elif isinstance(obj, Certificate):
            blocks.add(obj.block_id)  # block-wide: on every ticket of the block
    records = session.info.setdefault(_RECORDS, set())
    for obj in session.dirty:
        if _synced(obj) and session.is_modified(obj, include_collections=False):
            touched.setdefault(obj, False)
            if isinstance(obj, Ticket):
                _ticket_changed(obj, records, histories)
        elif isinstance(obj, Unit) and _any_changed(obj, UNIT_RECORD_COLUMNS):
            histories.add(obj.id)  # its name and access notes, on each of its tickets
        elif isinstance(obj, Block) and _any_changed(obj, BLOCK_RECORD_COLUMNS):
            blocks.add(obj.id)  # its name, address and access notes, on each ticket
        elif isinstance(obj, Tenancy) and _any_changed(obj, ("ends_on",)):
            histories.add(obj.unit_id)  # an ended tenancy: the tenant shown may change
    histories.discard(None)
    return bool(touched or histories or blocks or session.info.get(_MOVED))


def _any_changed(obj, names) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names)


def _ticket_changed(ticket: Ticket, records: set, histories: set) -> None:
    attrs = inspect(ticket).attrs
    if any(attrs[name].history.has_changes() for name in TICKET_RECORD_COLUMNS):
        records.add(ticket)
    if any(attrs[name].history.has_changes() for name in HISTORY_COLUMNS):
        histories.add(ticket.unit_id)
        histories.update(attrs.unit_id.history.deleted)  # the unit it left


def _after_flush(session: Session, _context) -> None:
    _remember(session)


def _before_commit(session: Session) -> None:
    if not _remember(session):
        _forget(session)
        return
    # Write everything first, unstamped (invisible to others until commit anyway), so
    # the counter row is locked only for the stamping and the commit: every writing
    # transaction queues on that row, for as long as each holds it.
    session.flush()
    plan = _Stamps(session.info.pop(_RECORDS, set()))
    for obj, created in session.info.get(_TOUCHED, {}).items():
        plan.add(obj, created)
    plan.activity.update(session.info.pop(_MOVED, set()))
    plan.units.update(session.info.pop(_HISTORIES, set()))
    plan.blocks.update(session.info.pop(_BLOCKS, set()))
    with session.no_autoflush:
        plan.write(session, session.info.pop(_RESERVED, None), utcnow())
    session.flush()  # rows without an `id` key (assignments) are stamped through the ORM
    session.info.pop(_TOUCHED, None)


class _Stamps:
    """What a committing transaction stamps with its sync number, written with one
    UPDATE per table by id (one statement in all on PostgreSQL), not one ORM UPDATE
    per row: the counter row stays locked while this runs, so it must be short."""

    def __init__(self, records: set):
        self.records = records  # tickets whose device record changed
        self.rows: dict = {}  # table: {id: created in this transaction?}
        self.objects: list = []  # (object, created): their loaded values follow
        self.orm: list = []  # rows keyed otherwise: stamped through the ORM
        self.activity: set[int] = set()  # tickets whose activity moved
        self.tickets: dict[int, bool] = {}  # touched ticket id: its record changed?
        self.units: set[int] = set()
        self.blocks: set[int] = set()

    def add(self, obj, created: bool) -> None:
        table = obj.__table__
        if isinstance(obj, Ticket):
            changed = created or obj in self.records
            self.tickets[obj.id] = self.tickets.get(obj.id, False) or changed
        elif "id" not in table.c or len(table.primary_key.columns) != 1:
            self.orm.append(obj)
            return
        else:
            self.rows.setdefault(table, {})[obj.id] = created
            if getattr(obj, "ticket_id", None) is not None:
                # A changed child moves its ticket's assignment rows: pulls then look
                # at children only of tickets that moved, which keeps empty pulls cheap.
                self.activity.add(obj.ticket_id)
        self.objects.append((obj, created))

    def statements(self, value, now) -> list:
        """The UPDATEs, setting the number `value` (a literal, or taken by the statement)."""
        statements = []
        for table, rows in sorted(self.rows.items(), key=lambda item: item[0].name):
            values = {"sync_seq": value}
            created = sorted(i for i, new in rows.items() if new)
            if "created_seq" in table.c and created:
                values["created_seq"] = case(
                    (table.c.id.in_(created), value), else_=table.c.created_seq
                )
            statements.append(update(table).where(table.c.id.in_(sorted(rows))).values(values))
        tickets = Ticket.__table__
        changed = self._changed_records()
        if changed:
            statements.append(
                update(tickets)
                .where(tickets.c.id.in_(changed))
                .values(
                    sync_seq=value, record_updated_at=literal(now, tickets.c.record_updated_at.type)
                )
            )
        statements += self._assignments(value, changed)
        return statements

    def _changed_records(self) -> list[int]:
        return sorted(i for i, record in self.tickets.items() if record)

    def _assignments(self, value, changed: list[int]) -> list:
        """Every assignment row of a moved ticket; the active ones of tickets whose unit
        or block moved what their records show. Those whose ticket record changed (its
        own columns, its unit's or block's part) also get `record_seq`. (The rows, not
        the other tickets of a unit or block: those would be locked in no particular
        order, against pushes locking them.)"""
        links, tickets = TicketContractor.__table__, Ticket.__table__
        moved = sorted(self.activity | set(self.tickets))
        where, records = [], []
        if moved:
            where.append(links.c.ticket_id.in_(moved))
        if changed:
            records.append(links.c.ticket_id.in_(changed))
        places = []
        units = sorted(i for i in self.units if i is not None)
        blocks = sorted(i for i in self.blocks if i is not None)
        if units:
            places.append(tickets.c.unit_id.in_(units))
        if blocks:
            places.append(tickets.c.block_id.in_(blocks))
        if places:
            shown = select(tickets.c.id).where(or_(*places))
            where.append(links.c.active.is_(True) & links.c.ticket_id.in_(shown))
            records.append(where[-1])
        if not where:
            return []
        values = {"device_seq": value}
        if records:
            values["record_seq"] = case((or_(*records), value), else_=links.c.record_seq)
        return [update(links).where(or_(*where)).values(values)]

    def write(self, session: Session, reserved: int | None, now) -> int:
        """Take the number (unless reserved) and stamp; return the number."""
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            seq = self._write_in_one_statement(connection, reserved, now)
        else:
            seq = reserved or next_value(SYNC_COUNTER)
            for statement in self.statements(literal(seq, BigInteger), now):
                connection.execute(statement)
        for obj, created in self.objects:
            if isinstance(obj, Ticket):
                if self.tickets[obj.id]:
                    set_committed_value(obj, "sync_seq", seq)
                    set_committed_value(obj, "record_updated_at", now)
            else:
                set_committed_value(obj, "sync_seq", seq)
                if created and hasattr(obj, "created_seq"):
                    set_committed_value(obj, "created_seq", seq)
        for obj in self.orm:
            obj.sync_seq = seq
            if isinstance(obj, TicketContractor):
                obj.device_seq = seq  # as the statement above stored it; flushed alike
        return seq

    def _write_in_one_statement(self, connection, reserved: int | None, now) -> int:
        """PostgreSQL: take the number and stamp every table in one statement of
        data-modifying CTEs. The counter row is locked from here to COMMIT, and the
        holder makes no other round trip (nor waits for the GIL between two)."""
        if reserved is not None:
            taken = select(literal(reserved, BigInteger).label("value")).cte("seq")
        else:
            taken = taking(SYNC_COUNTER).cte("seq")
        value = select(taken.c.value).scalar_subquery()
        stamps = [
            statement.returning(literal(1)).cte(f"stamp_{n}")
            for n, statement in enumerate(self.statements(value, now))
        ]
        counts = (select(func.count()).select_from(c).scalar_subquery() for c in stamps)
        return connection.execute(select(taken.c.value, *counts)).scalar_one()


def _forget(session: Session, *_args) -> None:
    session.info.pop(_TOUCHED, None)
    session.info.pop(_RECORDS, None)
    session.info.pop(_HISTORIES, None)
    session.info.pop(_BLOCKS, None)
    session.info.pop(_RESERVED, None)
    session.info.pop(_MOVED, None)


def install(session) -> None:
    """Register the stamping hooks on the app's session (idempotent)."""
    for name, fn in (
        ("after_flush", _after_flush),
        ("before_commit", _before_commit),
        ("after_commit", _forget),
        ("after_rollback", _forget),
        ("after_soft_rollback", _forget),
    ):
        if not event.contains(session, name, fn):
            event.listen(session, name, fn)


def reserve_sequence() -> int:
    """Take this transaction's sync number now, for rows written in bulk with Core
    (which bypasses the ORM hooks). The counter stays locked until commit, so commit
    order is kept; the commit then stamps ORM rows with the same number."""
    reserved = db.session.info.get(_RESERVED)
    if reserved is None:
        reserved = db.session.info[_RESERVED] = next_value(SYNC_COUNTER)
    return reserved


def note_moved(ticket_ids) -> None:
    """Note tickets under which rows were written with Core (a bulk push), which the
    ORM hooks do not see: their assignment rows are stamped at commit."""
    db.session.info.setdefault(_MOVED, set()).update(ticket_ids)


def current_sequence() -> int:
    return current_value(SYNC_COUNTER)


def stamp_as_new(obj) -> None:
    """Stamp a row no device was ever sent (a held message staff approved) as created in
    this transaction, `created_seq` included: devices receive it as `created`."""
    db.session.info.setdefault(_TOUCHED, {})[obj] = True


def stamp(obj) -> None:
    """Mark a row changed in this transaction even if none of its columns changed
    (e.g. a recorded record re-sent to a device after a conflicting re-push, or a
    ticket whose refused status change the device must undo): devices get the whole
    record again."""
    db.session.info.setdefault(_TOUCHED, {}).setdefault(obj, False)
    if isinstance(obj, Ticket):
        db.session.info.setdefault(_RECORDS, set()).add(obj)
