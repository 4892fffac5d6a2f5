"""Hours and materials logged on a ticket, mostly by contractors' devices (append-only).

A mistake is corrected by a reversing entry (negative minutes or quantity), never an edit.
"""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, utcnow
from server.models.people import User

# What one pushed record may say (sync.schemas checks them): within what the columns
# below store, and small enough that one record is always one invoice line billing can
# price, VAT included (billing.money's bounds; tests/billing/test_billing_bounds.py).
MINUTES_LIMIT = 10_000  # |minutes| of one time entry: a week of work
QUANTITY_LIMIT = Decimal(1_000_000)  # |quantity| of a material, 3 places
UNIT_PRICE_LIMIT = Decimal(100_000)  # a material's unit price, 0 to this, 2 places


class TimeEntry(Base):
    __tablename__ = "time_entries"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    started_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    minutes: Mapped[int] = mapped_column()
    chargeable: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    sync_seq: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
    # The sync sequence of the commit that created the row: new to a device, or not.
    created_seq: Mapped[int] = mapped_column(BigInteger, default=0)

    contractor: Mapped[User] = relationship()


class Material(Base):
    __tablename__ = "materials"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    unit: Mapped[str] = mapped_column(String(20))
    unit_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    chargeable: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    sync_seq: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
    # The sync sequence of the commit that created the row: new to a device, or not.
    created_seq: Mapped[int] = mapped_column(BigInteger, default=0)


HELD_KINDS = ("ticket_messages", "time_entries", "materials", "delivery_notes")
HELD_STATUSES = ("held", "approved", "rejected")


class HeldWork(Base):
    """Work a device pushed for a ticket its contractor was no longer on (and had not
    done while on it): kept in its own table, untouched, but held for staff review.
    While `held` (or once `rejected`) it is not billed and moves no status; `approved`
    work counts as if it had arrived in time (server.services.held_work)."""

    __tablename__ = "held_work"
    __table_args__ = (
        CheckConstraint(f"kind IN {HELD_KINDS!r}", name="kind_known"),
        CheckConstraint(f"status IN {HELD_STATUSES!r}", name="status_known"),
        CheckConstraint("(status = 'held') = (decided_at IS NULL)", name="decided_unless_held"),
        UniqueConstraint("kind", "record_id", name="uq_held_work_record"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # the record's sync table
    record_id: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    status: Mapped[str] = mapped_column(String(10), default="held")
    reason: Mapped[str] = mapped_column(Text)
    device_time: Mapped[datetime] = mapped_column()  # the record's own created_at
    held_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
