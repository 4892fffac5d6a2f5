"""Blocks (buildings), units (flats), tenancies and property certificates."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, utcnow
from server.models.people import Department, User

CERTIFICATE_KINDS = ("gas_safety", "electrical", "epc", "fire_safety", "asbestos", "other")


class Block(Base):
    __tablename__ = "blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    access_notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    manager: Mapped[User | None] = relationship()
    department: Mapped[Department | None] = relationship()


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    block_id: Mapped[int] = mapped_column(ForeignKey("blocks.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    access_notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    block: Mapped[Block] = relationship()


class Tenancy(Base):
    __tablename__ = "tenancies"
    __table_args__ = (
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    starts_on: Mapped[date] = mapped_column()
    ends_on: Mapped[date | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship()
    tenant: Mapped[User] = relationship()


class Certificate(Base):
    """Gas safety, electrical, EPC...: readable by tenants of the block and its contractors."""

    __tablename__ = "certificates"
    __table_args__ = (
        CheckConstraint(f"kind IN {CERTIFICATE_KINDS!r}", name="kind_known"),
        CheckConstraint("expires_on >= issued_on", name="expires_after_issue"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    block_id: Mapped[int] = mapped_column(ForeignKey("blocks.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    number: Mapped[str] = mapped_column(String(100))
    issued_on: Mapped[date] = mapped_column()
    expires_on: Mapped[date] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The name of a custom kind (`other`): "Lift inspection", "Legionella risk".
    label: Mapped[str | None] = mapped_column(String(100))
    # Set when a renewal replaces it: a replaced certificate is history, never reminded.
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"), index=True)

    block: Mapped[Block] = relationship()
    unit: Mapped[Unit | None] = relationship()


class CertificateReminder(Base):
    """One expiry reminder sent (queued) for a certificate at one lead time: the unique
    pair makes the worker's job idempotent across passes and workers."""

    __tablename__ = "certificate_reminders"
    __table_args__ = (UniqueConstraint("certificate_id", "lead_days"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"))
    lead_days: Mapped[int] = mapped_column()
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
