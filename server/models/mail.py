"""Mail that came in (server.services.inbound_mail)."""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow

INBOUND_STATUSES = ("appended", "quarantined", "ignored", "new_ticket", "rejected")


class InboundMail(Base):
    """One received message, recorded in the same transaction as what it caused.

    `message_id` is unique: a message polled twice, or posted by the MTA twice, is
    processed once. The raw bytes are kept in the blob store under `raw_sha256`.
    """

    __tablename__ = "inbound_mails"
    __table_args__ = (CheckConstraint(f"status IN {INBOUND_STATUSES!r}", name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    reason: Mapped[str | None] = mapped_column(String(60))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    appended_message_id: Mapped[str | None] = mapped_column(String(64))
    sender: Mapped[str] = mapped_column(String(254))
    sender_name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    raw_sha256: Mapped[str | None] = mapped_column(String(64))
    raw_size: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
