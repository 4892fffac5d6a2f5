"""Push: record what a device did offline, atomically and idempotently.

The whole push is one transaction (the request boundary commits it). Only auth,
schema and malformed input fail a push; business conflicts are resolved
server-wins, recorded as `sync_conflict` events that staff see, and corrected on
the device's next pull (the recorded row is restamped so the pull carries it).
"""

import json
from contextlib import contextmanager

from sqlalchemy import event, literal, select, union_all

from delivery_notes import service as delivery_note_service
from delivery_notes.models import DeliveryNote
from server.auth import Caller
from server.changes import stamp
from server.db import utcnow
from server.errors import Conflict, DomainError, Invalid, TooLarge
from server.extensions import db
from server.id_lists import among, in_ids
from server.models import (
    Attachment,
    Material,
    Message,
    Ticket,
    TicketContractor,
    TicketEvent,
    TimeEntry,
)
from server.scope import ticket_scope, visible_tickets
from server.services import held_work, messages, tickets, work
from server.services.timeline import record_conflict, take_conflict_count
from sync import attachments, conflicts, records, schemas


class BadPush(DomainError):
    status, code, title = 400, "sync_bad_push", "Malformed push"


MODELS = {
    "ticket_messages": Message,
    "time_entries": TimeEntry,
    "materials": Material,
    "delivery_notes": DeliveryNote,
    "attachments": Attachment,
}
OWNER = {
    "ticket_messages": "author_id",
    "time_entries": "contractor_id",
    "materials": "contractor_id",
    "delivery_notes": "contractor_id",
    "attachments": "uploader_id",
}
BULK = {"time_entries": TimeEntry, "materials": Material}
# Hours and materials first: a message's notification flushes, and then writes their
# event and the ticket's moved chain head with its own (one UPDATE of the ticket, not
# one per table). Messages before their files; the hours before the note that signs
# them; status last.
ORDER = ("time_entries", "materials", "ticket_messages", "attachments", "delivery_notes")


def parse(changes, max_records: int) -> dict:
    """Check the shape and types; return {table: {created, updated, deleted}} of clean data."""
    if not isinstance(changes, dict):
        raise BadPush("The push body must be a JSON object of tables.")
    unknown = sorted(set(changes) - set(records.TABLES))
    if unknown:
        raise BadPush(f"Unknown table(s): {', '.join(unknown)}.", code="sync_unknown_table")
    parsed, errors, count = {}, {}, 0
    for table in records.TABLES:
        section = changes.get(table) or {}
        if not isinstance(section, dict):
            raise BadPush(f"{table} must be an object with created, updated and deleted.")
        lists = {}
        for key in ("created", "updated", "deleted"):
            items = section.get(key) or []
            if not isinstance(items, list):
                raise BadPush(f"{table}.{key} must be a list.")
            count += len(items)
            lists[key] = items
        if count > max_records:
            raise TooLarge(f"A push may carry at most {max_records} records.")
        clean = {"created": [], "updated": [], "deleted": []}
        for key in ("created", "updated"):
            loaded = schemas.load_many(table, lists[key]) if lists[key] else []
            if loaded is not None:
                clean[key] = loaded
                continue
            for index, raw in enumerate(lists[key]):  # which records, and why
                if not isinstance(raw, dict):
                    errors.setdefault(table, {})[f"{key}.{index}"] = ["not an object"]
                    continue
                try:
                    clean[key].append(schemas.load(table, raw))
                except schemas.RecordError as exc:
                    errors.setdefault(table, {})[f"{key}.{index}"] = exc.messages
        for index, record_id in enumerate(lists["deleted"]):
            if not isinstance(record_id, str) or not 0 < len(record_id) <= 64:
                errors.setdefault(table, {})[f"deleted.{index}"] = ["ids are strings"]
            else:
                clean["deleted"].append(record_id)
        _refuse_repeated_ids(table, lists, errors)
        parsed[table] = clean
    if errors:
        raise Invalid("Some pushed records are not valid; nothing was recorded.", errors=errors)
    if parsed["tickets"]["created"] or parsed["tickets"]["deleted"]:
        raise BadPush("Devices change tickets only by pushing a new status in `updated`.")
    return parsed


def _refuse_repeated_ids(table: str, lists: dict, errors: dict) -> None:
    """An id may appear once per table in a push (created, updated and deleted
    together): twice is not a change a device can mean, so it is refused, not guessed."""
    first_seen = {}
    for key in ("created", "updated", "deleted"):
        for index, item in enumerate(lists[key]):
            record_id = item.get("id") if isinstance(item, dict) else item
            if not isinstance(record_id, str):
                continue
            where = f"{key}.{index}"
            if record_id in first_seen:
                message = f"This id is in the push twice (also at {first_seen[record_id]})."
                entry = errors.setdefault(table, {}).setdefault(where, {})
                if isinstance(entry, dict):
                    entry.setdefault("id", []).append(message)
            else:
                first_seen[record_id] = where


class Push:
    """One push by one device: loads what it needs in bulk, then applies record by record.

    The push's tickets are checked against the caller's scope and locked in one query.
    A big push (a day's thousand hours over 300 tickets) reads only their chain heads
    there and loads a ticket whole (an ORM object) only when something other than
    hours and materials needs it; a small one, written through the ORM anyway, loads
    its tickets whole in that query."""

    def __init__(self, caller: Caller, parsed: dict):
        self.caller = caller
        self.device = caller.device
        self.parsed = parsed
        # Ticket id: its chain head, as locked and moved by bulk writes; once a ticket
        # is loaded whole, the ORM object is the head.
        self.heads: dict[int, work.Head] = {}
        self.tickets: dict[int, Ticket] = {}  # the ones loaded whole
        # Ticket id: whether the caller's work there counts (server.services.held_work).
        self.standings: dict[int, held_work.Standing] = {}

    def apply(self) -> dict:
        with conflict_events() as recorded:
            conflicts_count = self._apply()
        details = [conflicts.describe(e.ticket_id, json.loads(e.data)) for e in recorded]
        return {"conflicts": conflicts_count, "details": details}

    def _apply(self) -> int:
        take_conflict_count()  # counted from here: what this push records
        self._load_tickets()
        self.standings = held_work.standings(self.caller, self.heads)
        existing = self._load_existing()
        for table in ORDER:
            fresh = []
            for data in self.parsed[table]["created"] + self.parsed[table]["updated"]:
                recorded = existing[table].get(data["id"])
                if table == "delivery_notes":
                    self._delivery_note(data)  # the note service owns its re-push rules
                elif recorded is None and table in BULK:
                    fresh.append(data)
                elif recorded is None:
                    self._create(table, data)
                else:
                    self._repush(table, recorded, data)
            self._create_in_bulk(table, fresh)
            for record_id in self.parsed[table]["deleted"]:
                recorded = db.session.get(MODELS[table], record_id)
                if recorded is not None and self._ticket_of(recorded) is not None:
                    self._refuse_delete(table, recorded)
        for data in self.parsed["tickets"]["updated"]:
            self._status(data)
        if self.device is not None:
            self.device.last_push_at = utcnow()
        # Every conflict recorded (here, by the note service, by billing's refusals) went
        # through record_conflict, which also counted it on the device.
        return take_conflict_count()

    def _load_tickets(self) -> None:
        ids, count = set(), 0
        for table in records.TABLES:
            for data in self.parsed[table]["created"] + self.parsed[table]["updated"]:
                ids.add(int(data["ticket_id"] if table != "tickets" else data["id"]))
                count += 1
        if not ids:
            return
        dialect = db.session.get_bind().dialect.name
        if count < work.BULK_FROM:
            # A small push goes through the ORM anyway: its tickets whole, in this query.
            query = visible_tickets(self.caller).where(in_ids(Ticket.id, ids, dialect))
            query = query.order_by(Ticket.id).with_for_update(of=Ticket)
            self.tickets = {t.id: t for t in db.session.scalars(query)}
            self.heads = {i: work.Head(t) for i, t in self.tickets.items()}
        else:
            columns = (getattr(Ticket, c) for c in work.HEAD_COLUMNS)
            query = (
                select(Ticket.id, Ticket.unit_id, *columns)
                .where(ticket_scope(self.caller), in_ids(Ticket.id, ids, dialect))
                .order_by(Ticket.id)
                .with_for_update(of=Ticket)
            )
            self.heads = {row.id: work.Head(row) for row in db.session.execute(query)}
        missing = ids - set(self.heads)
        if missing:
            raise Invalid(
                "The push refers to tickets this device never had.",
                errors={"ticket_id": [f"unknown ticket {i}" for i in sorted(missing)]},
                code="sync_unknown_ticket",
            )

    def _load_existing(self) -> dict:
        """Records of this push already on the server (a retry, or another user's id).
        Ids and owners first, of every table in one light query; whole rows only for
        the few that exist (a fresh push of a thousand hours loads none)."""
        dialect = db.session.get_bind().dialect.name
        probes = []
        for number, (table, model) in enumerate(MODELS.items()):
            ids = {d["id"] for d in self.parsed[table]["created"] + self.parsed[table]["updated"]}
            if ids:
                owner = getattr(model, OWNER[table])
                probes.append(
                    select(literal(number), model.id, owner).where(
                        among(model.id, f"ids_{table}", dialect, ids)  # a name per table
                    )
                )
        found = {table: [] for table in MODELS}
        if probes:
            tables = list(MODELS)
            for number, record_id, by in db.session.execute(union_all(*probes)):
                found[tables[number]].append((record_id, by))
        existing = {}
        for table, model in MODELS.items():
            foreign = sorted(record_id for record_id, by in found[table] if by != self.caller.id)
            if foreign:
                raise Conflict(
                    f"These {table} ids belong to another user's records: {', '.join(foreign)}.",
                    code="sync_id_conflict",
                )
            rows = []
            if found[table]:
                mine = [record_id for record_id, _ in found[table]]
                rows = db.session.scalars(select(model).where(model.id.in_(mine))).all()
            existing[table] = {row.id: row for row in rows}
        return existing

    def _ticket(self, ticket_id: int) -> Ticket:
        """The ticket whole (in scope and locked by _load_tickets), read from the
        database the first time: a bulk write may have moved its head since any copy
        the session holds."""
        if ticket_id not in self.tickets:
            self.tickets[ticket_id] = db.session.get(Ticket, ticket_id, populate_existing=True)
        return self.tickets[ticket_id]

    def _counts(self, data: dict) -> bool:
        """Whether the caller's record counts as work on its ticket: they are on it, or
        were when the device made the record (offline work is never lost); otherwise it
        is kept but held for staff review."""
        standing = self.standings[int(data["ticket_id"])]
        return standing.covers(data.get("created_at") or utcnow())

    def _hold(self, table: str, data: dict) -> None:
        held_work.hold(
            self.caller,
            self._ticket(int(data["ticket_id"])),
            table,
            data["id"],
            data.get("created_at") or utcnow(),
            self.device,
        )

    def _create(self, table: str, data: dict) -> None:
        ticket = self._ticket(int(data["ticket_id"]))
        fields = {k: v for k, v in data.items() if k != "ticket_id"}
        if table == "ticket_messages":
            counts = self._counts(data)
            messages.post_message(
                self.caller,
                ticket.id,
                fields["body"],
                fields["visibility"],
                message_id=fields["id"],
                created_at=fields.get("created_at"),
                device=self.device,
                ticket=ticket,
                held=not counts,
            )
            if not counts:
                self._hold(table, data)
        elif table == "attachments":
            attachments.record_pushed(self.caller, ticket, data, self.device)

    def _create_in_bulk(self, table: str, records: list[dict]) -> None:
        """New hours and materials: the bulk of a day's push."""
        if not records:
            return
        unique = {}
        for data in records:
            unique.setdefault(data["id"], data)  # the same id twice in one push: first wins
        whole = len(unique) < work.BULK_FROM  # written through the ORM

        def head(ticket_id: int):
            if whole or ticket_id in self.tickets:
                return self._ticket(ticket_id)
            return self.heads[ticket_id]

        items = [(head(int(data["ticket_id"])), data) for data in unique.values()]
        work.log_many(BULK[table], self.caller, items, self.device)
        for data in unique.values():
            if not self._counts(data):
                self._hold(table, data)  # recorded above, held from billing

    def _delivery_note(self, data: dict) -> None:
        ticket = self._ticket(int(data["ticket_id"]))
        fields = dict(data, created_at=data.get("created_at") or utcnow())
        delivery_note_service.receive_note(self.caller, ticket, fields, device=self.device)

    def _repush(self, table: str, recorded, data: dict) -> None:
        recorded_values = {c: getattr(recorded, c, None) for c in conflicts.COMPARED[table]}
        changed = conflicts.differences(table, recorded_values, data)
        if not changed:
            return  # a retry after a lost response: nothing to do
        self._conflict(
            self._ticket(recorded.ticket_id),
            f"{table} {recorded.id} was pushed again with other content; the recorded "
            "version stands.",
            {
                "table": table,
                "id": recorded.id,
                "columns": changed,
                "recorded": conflicts.jsonable({c: recorded_values[c] for c in changed}),
                "pushed": conflicts.jsonable(data),
            },
        )
        stamp(recorded)

    def _ticket_of(self, recorded) -> Ticket | None:
        """The record's ticket if this caller may see it (deletions elsewhere are ignored)."""
        if recorded.ticket_id in self.heads:
            return self._ticket(recorded.ticket_id)
        if recorded.ticket_id not in self.tickets:
            query = visible_tickets(self.caller).where(Ticket.id == recorded.ticket_id)
            ticket = db.session.scalar(query.with_for_update(of=Ticket))
            if ticket is None:
                return None
            self.tickets[ticket.id] = ticket
        return self.tickets[recorded.ticket_id]

    def _refuse_delete(self, table: str, recorded) -> None:
        self._conflict(
            self._ticket(recorded.ticket_id),
            f"{table} {recorded.id} cannot be deleted: the ticket's history is append-only.",
            {"table": table, "id": recorded.id, "pushed": "deleted"},
        )
        stamp(recorded)

    def _status(self, data: dict) -> None:
        ticket = self._ticket(int(data["id"]))
        target = data["status"]
        if target == ticket.status:
            return
        assigned = db.session.get(TicketContractor, (ticket.id, self.caller.id))
        reason = None
        if assigned is None or not assigned.active:
            reason = "the device's contractor is no longer assigned"
        else:
            try:
                tickets.change_status(self.caller, ticket.id, target, ticket=ticket)
                return
            except DomainError as refusal:
                reason = refusal.detail
        self._conflict(
            ticket,
            f"The device set status {target!r}, refused: {reason}. The server's "
            f"status {ticket.status!r} stands.",
            {
                "table": "tickets",
                "id": str(ticket.id),
                "reason": reason,
                "pushed": {"status": target},
                "recorded": {"status": ticket.status},
            },
        )
        stamp(ticket)

    def _conflict(self, ticket: Ticket, detail: str, data: dict) -> None:
        record_conflict(ticket, self.caller, {"detail": detail, **data}, self.device)


@contextmanager
def conflict_events():
    """The `sync_conflict` events added to the session inside the block, whoever adds
    them (this push, the note service, held work, billing's refusals): what the device
    is told about each. Events of a savepoint rolled back are left out."""
    session = db.session()
    added = []

    def watch(_session, instance):
        if isinstance(instance, TicketEvent) and instance.kind == "sync_conflict":
            added.append(instance)

    event.listen(session, "transient_to_pending", watch)
    try:
        yield added
    finally:
        event.remove(session, "transient_to_pending", watch)
        added[:] = [e for e in added if e in session]


def push(caller: Caller, changes, max_records: int) -> dict:
    return Push(caller, parse(changes, max_records)).apply()
