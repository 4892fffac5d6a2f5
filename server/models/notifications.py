"""In-app notifications and the durable outbox that mail (and later webhooks) leave by."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow


class Notification(Base):
    """A user's in-app feed entry: email can go missing, this cannot."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_id_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_events.id"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column()


class OutboxMessage(Base):
    """Work for the worker, written in the same transaction as the change that caused it.

    `channel` says who delivers it (email now; feature packages add their own).
    A worker claims a row by setting `locked_until`; a crashed worker's claim expires.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_sent", "status", "sent_at"),  # the retention purge
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(30))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()


class WorkerJob(Base):
    """When a periodic worker job is next due, and who runs it now (its lease).

    Workers claim a job by moving `due_at` one period on and taking the lease, in
    one short transaction (the row read `FOR UPDATE SKIP LOCKED` on PostgreSQL), so
    a job runs once per period however many workers poll (server.services.jobs).
    """

    __tablename__ = "worker_jobs"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    due_at: Mapped[datetime] = mapped_column()
    lease_until: Mapped[datetime | None] = mapped_column()
    last_started_at: Mapped[datetime | None] = mapped_column()
    last_finished_at: Mapped[datetime | None] = mapped_column()
    runs: Mapped[int] = mapped_column(default=0)


class Counter(Base):
    """Named counters (ticket refs, sync sequence, document numbers) incremented in-transaction.

    The row lock taken by the increment serialises writers on that name, which is what
    makes the numbers gapless and the sync sequence commit in order.
    """

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class SlaPolicy(Base):
    __tablename__ = "sla_policies"
    __table_args__ = (
        CheckConstraint("calendar IN ('office_hours', 'always')", name="calendar_known"),
    )

    priority: Mapped[str] = mapped_column(String(20), primary_key=True)
    first_response_minutes: Mapped[int | None] = mapped_column()
    resolution_minutes: Mapped[int | None] = mapped_column()
    warning_percent: Mapped[int] = mapped_column(default=80)
    # `office_hours` (working hours minus holidays) or `always` (24/7, holidays too).
    calendar: Mapped[str] = mapped_column(String(20), default="office_hours")


class Holiday(Base):
    __tablename__ = "holidays"

    day: Mapped[date] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
