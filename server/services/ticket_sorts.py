"""The queue's orders and SLA states as SQL: each sort is a key with a keyset cursor
that stays correct while tickets change, and the SLA filter's ok / warning / breached.

`newest` (the default) keeps the original cursor (`t:<id>`, ticket_queries) so clients'
saved cursors still work. The other sorts' cursors carry the sort's name, the key of
the page's last row and its id (`<sort>|<key>|<id>`): a cursor of one sort is refused
by another.
"""

import base64
import binascii
from datetime import UTC, datetime

from sqlalchemy import Float, and_, case, func, not_, or_, select, type_coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from server.db import UTCDateTime
from server.domain.workflow import ACTIVE, PRIORITIES
from server.errors import Invalid
from server.models import SlaPolicy, Ticket
from server.schemas.ids import MAX_ID

DEFAULT_WARNING_PERCENT = 80  # as web.formatting.clock, when a priority has no policy
_RANK = {name: rank for rank, name in enumerate(PRIORITIES)}  # critical ranks highest


class epoch(FunctionElement):  # noqa: N801  (an SQL function's name)
    """Seconds since 1970 of a UTC timestamp column, on PostgreSQL and SQLite alike."""

    type = Float()
    inherit_cache = True


@compiles(epoch)
def _epoch_postgres(element, compiler, **kw):
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})"


@compiles(epoch, "sqlite")
def _epoch_sqlite(element, compiler, **kw):
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


def running_due():
    """The due time of the clock that runs now (first response until there is one, then
    resolution); none once the ticket is resolved or closed."""
    return case(
        (Ticket.status.not_in(ACTIVE), None),
        (Ticket.first_response_at.is_(None), Ticket.sla_response_due_at),
        else_=Ticket.sla_resolution_due_at,
    )


def priority_rank():
    return case(_RANK, value=Ticket.priority, else_=-1)


def breached(now: datetime):
    """A due time passed or was missed (the API's `sla=breached` since it existed)."""
    return or_(
        Ticket.sla_breached_at.is_not(None),
        Ticket.sla_response_due_at < now,
        Ticket.sla_resolution_due_at < now,
    )


def sla_state(state: str, now: datetime):
    """A WHERE clause: `breached`; `warning` = a running clock not breached that has
    used the priority policy's warning_percent of its time on the wall clock (as the
    pages' clocks count it, from the ticket's creation); `ok` = a running clock neither."""
    if state == "breached":
        return breached(now)
    due = running_due()
    percent = func.coalesce(
        select(SlaPolicy.warning_percent)
        .where(SlaPolicy.priority == Ticket.priority)
        .correlate(Ticket)
        .scalar_subquery(),
        DEFAULT_WARNING_PERCENT,
    )
    started = epoch(Ticket.created_at)
    used = now.timestamp() - started
    at_risk = used * 100 >= percent * (epoch(due) - started)
    running = and_(due.is_not(None), not_(breached(now)))
    return and_(running, at_risk if state == "warning" else not_(at_risk))


def order_and_after(sort: str, cursor: tuple | None):
    """(ORDER BY clauses, WHERE clause after `cursor` or None) of a sort."""
    tid = Ticket.id
    if sort == "updated":
        key = Ticket.updated_at
        after = cursor and or_(key < cursor[0], and_(key == cursor[0], tid < cursor[1]))
        return (key.desc(), tid.desc()), after
    if sort == "priority":
        key = priority_rank()
        after = cursor and or_(key < cursor[0], and_(key == cursor[0], tid < cursor[1]))
        return (key.desc(), tid.desc()), after
    # due: soonest first, tickets without a running clock last (by id)
    key = type_coerce(running_due(), UTCDateTime())
    after = None
    if cursor is not None:
        value, last_id = cursor
        if value is None:
            after = and_(key.is_(None), tid > last_id)
        else:
            after = or_(key > value, and_(key == value, tid > last_id), key.is_(None))
    return (case((key.is_(None), 1), else_=0), key.asc(), tid.asc()), after


def key_of(sort: str, ticket: Ticket):
    """The sort key of a listed ticket, as the cursor keeps it."""
    if sort == "updated":
        return ticket.updated_at
    if sort == "priority":
        return _RANK.get(ticket.priority, -1)
    if ticket.status not in ACTIVE:
        return None
    if ticket.first_response_at is None:
        return ticket.sla_response_due_at
    return ticket.sla_resolution_due_at


def encode_cursor(sort: str, key, ticket_id: int) -> str:
    if isinstance(key, datetime):
        text = key.astimezone(UTC).isoformat()
    else:
        text = "" if key is None else str(key)
    raw = f"{sort}|{text}|{ticket_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(sort: str, cursor: str) -> tuple:
    """(key, id) of a cursor of `sort`; 422 for anything else."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        found, key_text, id_text = text.split("|")
        ticket_id = int(id_text)
        if found != sort or not 0 < ticket_id <= MAX_ID:
            raise ValueError
        if sort == "priority":
            key = int(key_text)
            if key not in _RANK.values():
                raise ValueError
        elif sort == "due" and key_text == "":
            key = None
        else:
            key = datetime.fromisoformat(key_text)
            if key.tzinfo is None:
                raise ValueError
            key = key.astimezone(UTC)
        return key, ticket_id
    except (ValueError, UnicodeDecodeError, binascii.Error, OverflowError):
        raise Invalid("The cursor is not valid.", errors={"cursor": ["invalid cursor"]}) from None
