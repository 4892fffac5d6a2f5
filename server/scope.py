"""Who may see which tickets and which timeline entries: decided here and nowhere else.

Every read path (list, detail, sub-resources, sync, exports, files) starts from
`visible_tickets(caller)` or `get_visible_ticket(caller, id)`, so a new endpoint
cannot forget the rule. Outside scope is 404, never 403: existence is not revealed.
"""

from datetime import date

from sqlalchemy import Select, and_, exists, false, or_, select, true

from server.auth import Caller
from server.errors import NotFound
from server.extensions import db
from server.models import (
    Attachment,
    Block,
    Certificate,
    HeldWork,
    Message,
    Tenancy,
    Ticket,
    TicketContractor,
    Unit,
    User,
    department_members,
)

# Which message/event visibilities each role may read.
READABLE = {
    "tenant": ("public",),
    "contractor": ("public", "team"),
    "staff": ("public", "team", "staff"),
    "admin": ("public", "team", "staff"),
}
# Which visibilities each role may write with.
WRITABLE = {
    "tenant": ("public",),
    "contractor": ("public", "team"),
    "staff": ("public", "team", "staff"),
    "admin": ("public", "team", "staff"),
}


def current_units(user_id: int, today: date | None = None):
    """Ids of the units a tenant lives in today (a subquery)."""
    today = today or date.today()
    return select(Tenancy.unit_id).where(
        Tenancy.tenant_id == user_id,
        Tenancy.starts_on <= today,
        or_(Tenancy.ends_on.is_(None), Tenancy.ends_on >= today),
    )


def ticket_scope(caller: Caller, today: date | None = None):
    """A WHERE clause over `Ticket` selecting the tickets `caller` may see."""
    user_id, role = caller.user.id, caller.role
    if role == "admin":
        return Ticket.id.is_not(None)
    if role == "staff":
        return staff_scope(user_id, Ticket)
    if role == "contractor":
        return exists().where(
            TicketContractor.ticket_id == Ticket.id, TicketContractor.contractor_id == user_id
        )
    if role == "tenant":
        units = current_units(user_id, today)
        blocks = select(Unit.block_id).where(Unit.id.in_(units))
        return or_(
            Ticket.reporter_id == user_id,
            Ticket.addressed_to_id == user_id,
            and_(Ticket.visibility == "unit", Ticket.unit_id.in_(units)),
            and_(Ticket.visibility == "block", Ticket.block_id.in_(blocks)),
        )
    return false()


def staff_scope(user_id: int, rows):
    """A staff member's tickets: their departments', their blocks', those they manage
    or own. Over `Ticket`, or over any table with the same four columns (the status
    counts), so the dashboard's counts cannot drift from the rule."""
    my_departments = select(department_members.c.department_id).where(
        department_members.c.user_id == user_id
    )
    managed_blocks = select(Block.id).where(Block.manager_id == user_id)
    return or_(
        rows.department_id.in_(my_departments),
        rows.block_id.in_(managed_blocks),
        rows.manager_id == user_id,
        rows.owner_id == user_id,
    )


def visible_tickets(caller: Caller) -> Select:
    return select(Ticket).where(ticket_scope(caller))


def get_visible_ticket(caller: Caller, ticket_id: int, *, for_update: bool = False) -> Ticket:
    """The ticket if the caller may see it; 404 otherwise. `for_update` locks the row
    (PostgreSQL) so concurrent writers append to the timeline one after the other."""
    query = visible_tickets(caller).where(Ticket.id == ticket_id)
    if for_update:
        query = query.with_for_update(of=Ticket)
    ticket = db.session.scalar(query)
    if ticket is None:
        raise NotFound("No such ticket.", code="ticket_not_found")
    return ticket


def readable_visibilities(caller: Caller) -> tuple[str, ...]:
    return READABLE[caller.role]


def message_scope(caller: Caller):
    """A WHERE clause over `Message` (the ticket is checked apart): a visibility the
    caller's role may read, and for non-staff not a reply held for review or rejected
    (server.services.held_work: those are staff-only, and so are their files)."""
    clause = Message.visibility.in_(READABLE[caller.role])
    if caller.role not in ("staff", "admin"):
        held = select(HeldWork.record_id).where(
            HeldWork.kind == "ticket_messages", HeldWork.status.in_(("held", "rejected"))
        )
        clause = and_(clause, Message.id.not_in(held))
    return clause


def attachment_scope(caller: Caller):
    """A WHERE clause over `Attachment`: on a visible ticket, and either on no message
    or on a message of that ticket the caller may read (a file is as private as its
    message; one whose message has not arrived yet, or is held for review, stays hidden)."""
    readable_message = exists().where(
        Message.id == Attachment.message_id,
        Message.ticket_id == Attachment.ticket_id,
        message_scope(caller),
    )
    return and_(
        Attachment.ticket_id.in_(select(Ticket.id).where(ticket_scope(caller))),
        or_(Attachment.message_id.is_(None), readable_message),
    )


def is_participant(caller: Caller, ticket: Ticket) -> bool:
    """Reporter, addressee, assigned contractor, or staff: may act, not only read."""
    if caller.role in ("staff", "admin"):
        return True
    if caller.role == "tenant":
        return caller.user.id in (ticket.reporter_id, ticket.addressed_to_id)
    if caller.role == "contractor":
        return (
            db.session.scalar(
                select(TicketContractor.active).where(
                    TicketContractor.ticket_id == ticket.id,
                    TicketContractor.contractor_id == caller.user.id,
                )
            )
            is True
        )
    return False


def certificate_scope(caller: Caller):
    """A WHERE clause over `Certificate`, within a block the caller may read: a tenant
    reads the building's own certificates and their home's, not their neighbours'."""
    if caller.role == "tenant":
        return or_(
            Certificate.unit_id.is_(None), Certificate.unit_id.in_(current_units(caller.user.id))
        )
    return true()


def may_read_block(caller: Caller, block_id: int) -> bool:
    """Block-level data (certificates): staff; tenants living in the block; contractors
    actively assigned to a ticket in it."""
    if caller.role in ("staff", "admin"):
        return True
    if caller.role == "tenant":
        lives_there = exists().where(
            Unit.block_id == block_id, Unit.id.in_(current_units(caller.user.id))
        )
        return bool(db.session.scalar(select(lives_there)))
    if caller.role == "contractor":
        works_there = exists().where(
            TicketContractor.contractor_id == caller.user.id,
            TicketContractor.active.is_(True),
            TicketContractor.ticket_id == Ticket.id,
            Ticket.block_id == block_id,
        )
        return bool(db.session.scalar(select(works_there)))
    return False


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its wildcards escaped with backslash."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def block_scope(caller: Caller):
    """A WHERE clause over `Block`: the blocks a staff member looks after (their
    departments' and the ones they manage); every block for admins; none otherwise."""
    if caller.role == "admin":
        return Block.id.is_not(None)
    if caller.role != "staff":
        return false()
    my_departments = select(department_members.c.department_id).where(
        department_members.c.user_id == caller.user.id
    )
    return or_(Block.department_id.in_(my_departments), Block.manager_id == caller.user.id)


def user_scope(caller: Caller):
    """A WHERE clause over `User`: who the caller may look up. Admins: everyone. Staff:
    themselves, every contractor (they assign them), and the tenants of their scope
    (a tenancy, past or present, in one of their blocks, or on a ticket they see).
    Tenants and contractors: themselves."""
    if caller.role == "admin":
        return User.id.is_not(None)
    if caller.role != "staff":
        return User.id == caller.user.id
    my_blocks = select(Block.id).where(block_scope(caller))
    housed = select(Tenancy.tenant_id).where(
        Tenancy.unit_id.in_(select(Unit.id).where(Unit.block_id.in_(my_blocks)))
    )
    on_tickets = select(Ticket.reporter_id).where(ticket_scope(caller))
    addressed = select(Ticket.addressed_to_id).where(ticket_scope(caller))
    return or_(
        User.id == caller.user.id,
        User.role == "contractor",
        and_(
            User.role == "tenant",
            or_(User.id.in_(housed), User.id.in_(on_tickets), User.id.in_(addressed)),
        ),
    )


def get_visible_user(caller: Caller, user_id: int) -> User:
    """The user if the caller may look them up; 404 otherwise."""
    user = db.session.scalar(select(User).where(User.id == user_id, user_scope(caller)))
    if user is None:
        raise NotFound("No such user.", code="user_not_found")
    return user
