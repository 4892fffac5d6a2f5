"""Tickets, their append-only timeline, messages and assignments.

The ticket row holds only derived current state; what happened lives in
`ticket_events` (hash-chained per ticket), `messages` and `assignments`, which
the database itself refuses to UPDATE or DELETE (see the migration's triggers).
"""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, utcnow
from server.domain.workflow import BILLING, PRIORITIES, STATUSES, TICKET_VISIBILITIES
from server.models.people import Department, User
from server.models.properties import Block, Unit

MESSAGE_VISIBILITIES = ("public", "team", "staff")
BUILT_IN_TYPES = (
    ("new_enquiry", "New enquiry"),
    ("repair", "Repair"),
    ("service_request", "Service request"),
    ("fault_report", "Fault report"),
    ("accounts_query", "Accounts query"),
    ("general", "General"),
)


class TicketType(Base):
    """Configurable list of ticket types; the built-in ones cannot be removed."""

    __tablename__ = "ticket_types"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    built_in: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)


# Predicates of the dashboard's partial indexes (and of its queries, word for word).
UNTRIAGED = "status = 'new' AND triaged_at IS NULL"
RESPONSE_CLOCK = (
    "status IN ('new', 'open') AND first_response_at IS NULL AND sla_response_due_at IS NOT NULL"
)
RESOLUTION_CLOCK = (
    "status IN ('new', 'open') AND first_response_at IS NOT NULL"
    " AND sla_resolution_due_at IS NOT NULL"
)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES!r}", name="status_known"),
        CheckConstraint(f"priority IN {PRIORITIES!r}", name="priority_known"),
        CheckConstraint(f"visibility IN {TICKET_VISIBILITIES!r}", name="visibility_known"),
        CheckConstraint(f"billing IN {BILLING!r}", name="billing_known"),
        Index("ix_tickets_customer_activity", "last_customer_activity_at"),
        CheckConstraint("duplicate_of_id <> id", name="not_own_duplicate"),
        # The dashboard's lists walk these small partial indexes in order and stop at
        # ten (server/services/dashboard.py repeats each predicate, literally).
        Index(
            "ix_tickets_untriaged",
            "id",
            sqlite_where=text(UNTRIAGED),
            postgresql_where=text(UNTRIAGED),
        ),
        Index(
            "ix_tickets_response_clock",
            "sla_response_due_at",
            sqlite_where=text(RESPONSE_CLOCK),
            postgresql_where=text(RESPONSE_CLOCK),
        ),
        Index(
            "ix_tickets_resolution_clock",
            "sla_resolution_due_at",
            sqlite_where=text(RESOLUTION_CLOCK),
            postgresql_where=text(RESOLUTION_CLOCK),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    summary: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(ForeignKey("ticket_types.name"))
    priority: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    visibility: Mapped[str] = mapped_column(String(20))
    billing: Mapped[str] = mapped_column(String(20))
    bill_to: Mapped[str | None] = mapped_column(String(200))
    block_id: Mapped[int] = mapped_column(ForeignKey("blocks.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    addressed_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # The staff member who owns the ticket (besides any contractors assigned to it).
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Closed as a duplicate of this ticket (the other ticket lists it back).
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    deadline_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    triaged_at: Mapped[datetime | None] = mapped_column()
    first_response_at: Mapped[datetime | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column(index=True)
    last_customer_activity_at: Mapped[datetime | None] = mapped_column()
    # The last staff message a tenant or contractor can read (public or team): the
    # dashboard's "waiting for an answer" compares it with the customer's last activity.
    last_staff_reply_at: Mapped[datetime | None] = mapped_column()
    # Set by billing while an invoice is unpaid: a chargeable ticket closes when paid.
    awaiting_payment: Mapped[bool] = mapped_column(default=False)
    # Set by billing: an invoice is paid in full and none is outstanding (closing rule).
    paid_in_full: Mapped[bool] = mapped_column(default=False, server_default=false())
    sla_response_due_at: Mapped[datetime | None] = mapped_column()
    sla_resolution_due_at: Mapped[datetime | None] = mapped_column()
    sla_breached_at: Mapped[datetime | None] = mapped_column()
    # Head of the hash chain.
    event_count: Mapped[int] = mapped_column(default=0)
    last_event_hash: Mapped[str | None] = mapped_column(String(64))
    # Sync stamps (server.changes): the ticket record a device shows changed at
    # `sync_seq` and `record_updated_at`. (What moved under it is stamped on its
    # assignment rows: TicketContractor.device_seq.)
    sync_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    record_updated_at: Mapped[datetime | None] = mapped_column(default=utcnow)

    block: Mapped[Block] = relationship()
    unit: Mapped[Unit | None] = relationship()
    department: Mapped[Department | None] = relationship()
    manager: Mapped[User | None] = relationship(foreign_keys=[manager_id])
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    addressed_to: Mapped[User | None] = relationship(foreign_keys=[addressed_to_id])
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])


class TicketStatusCount(Base):
    """How many tickets one (department, block, manager, owner, status) group holds.

    Kept by a database trigger on `tickets` (migration 0023) in the same transaction
    as every insert, delete or change of those columns, so the dashboard sums these
    rows instead of counting tickets. An id that is not set is stored as 0. Never
    written by the application; `fieldline verify-all` compares it with a recount."""

    __tablename__ = "ticket_status_counts"

    department_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    block_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    manager_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    owner_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    tickets: Mapped[int]


class TicketEvent(Base):
    """One thing that happened to a ticket. Never updated, never deleted."""

    __tablename__ = "ticket_events"
    __table_args__ = (
        UniqueConstraint("ticket_id", "position"),
        CheckConstraint(f"visibility IN {MESSAGE_VISIBILITIES!r}", name="visibility_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    position: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(String(40))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_role: Mapped[str] = mapped_column(String(20))
    visibility: Mapped[str] = mapped_column(String(10))
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column()
    device_time: Mapped[datetime | None] = mapped_column()
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    author: Mapped[User | None] = relationship()


class Message(Base):
    """A reply on a ticket. Ids are strings: devices generate their own offline."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(f"visibility IN {MESSAGE_VISIBILITIES!r}", name="visibility_known"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(10))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    author_role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    sync_seq: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
    # The sync sequence of the commit that created the row: new to a device, or not.
    created_seq: Mapped[int] = mapped_column(BigInteger, default=0)

    author: Mapped[User] = relationship()


class Assignment(Base):
    """Log of assignment starts and ends (append-only)."""

    __tablename__ = "assignments"
    __table_args__ = (CheckConstraint("action IN ('start', 'end')", name="action_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(10))
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketContractor(Base):
    """Derived from the assignment log: who is (or was) on a ticket, for scope queries."""

    __tablename__ = "ticket_contractors"
    __table_args__ = (
        Index("ix_ticket_contractors_contractor", "contractor_id", "active"),
        Index("ix_ticket_contractors_device", "contractor_id", "device_seq"),
    )

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    active: Mapped[bool] = mapped_column()
    started_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    # The assignment started or ended at `sync_seq`; anything its contractor's devices
    # must hear about for the ticket (the ticket, a row under it, what its record shows
    # of its unit and block) last changed at `device_seq`, and the ticket's device
    # record itself at `record_seq`: a pull reads only its own assignment rows to find
    # what moved and which tickets to send again (server.changes, sync.pull).
    sync_seq: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
    device_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    record_seq: Mapped[int] = mapped_column(BigInteger, default=0)

    contractor: Mapped[User] = relationship()


class Attachment(Base):
    """Metadata of a photo or document; the bytes live on disk under their SHA-256."""

    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    message_id: Mapped[str | None] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    uploaded: Mapped[bool] = mapped_column(default=False)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    created_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    sync_seq: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
    # The sync sequence of the commit that created the row: new to a device, or not.
    created_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class PendingUpload(Base):
    """Bytes a user sent for an attachment id whose record has not arrived yet: what
    proves, when the record comes, that its uploader holds those bytes (a record never
    becomes `uploaded` because someone else's bytes with its hash are stored). Counted
    against ATTACHMENT_PENDING_MAX_BYTES; swept after ATTACHMENT_ORPHAN_GRACE_HOURS."""

    __tablename__ = "pending_uploads"

    attachment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(100))  # sniffed
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class CannedResponse(Base):
    __tablename__ = "canned_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Retired: no longer offered when replying; old tickets' uses stay readable.
    retired_at: Mapped[datetime | None] = mapped_column()
