"""The signed delivery note as recorded: immutable content, plus its rendering state.

Everything the note says is frozen when it is received: the device's columns,
the ticket context printed on it (`context`, JSON) and the ids of the time
entries and materials it covers (JSON lists), so later work on the ticket never
changes a signed note. The database refuses to UPDATE those columns or DELETE a
row (triggers in migration 0003); the seal (`signature_sha256`,
`content_sha256`) may be set once, while it is still empty, and the rendering
columns and sync stamps change freely.
"""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow

# Columns no UPDATE may touch (the migration's trigger lists the same).
CONTENT_COLUMNS = (
    "id",
    "ticket_id",
    "number",
    "signed_by",
    "signed_at",
    "signature_attachment_id",
    "work_summary",
    "created_at",
    "received_at",
    "contractor_id",
    "device_id",
    "context",
    "time_entry_ids",
    "material_ids",
)
# Set once, when the signature's digest is known (at receipt, or when its record arrives).
SEAL_COLUMNS = ("signature_sha256", "content_sha256")


UNRENDERED = "pdf_sha256 IS NULL"


class DeliveryNote(Base):
    __tablename__ = "delivery_notes"
    __table_args__ = (
        # The worker's sweep looks only at notes without a PDF: a handful, whatever the total.
        Index(
            "ix_delivery_notes_unrendered",
            "received_at",
            sqlite_where=text(UNRENDERED),
            postgresql_where=text(UNRENDERED),
        ),
    )

    # Device-generated, like every synced record.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    # Gapless per series and year: DN-2026-000001.
    number: Mapped[str] = mapped_column(String(20), unique=True)
    signed_by: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime] = mapped_column()  # device time
    # No foreign key: the attachment record may reach the server after the note.
    signature_attachment_id: Mapped[str] = mapped_column(String(64))
    work_summary: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column()  # device time
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    # Frozen at receipt: what the note prints about the ticket, agency and contractor.
    context: Mapped[str] = mapped_column(Text)
    time_entry_ids: Mapped[str] = mapped_column(Text)
    material_ids: Mapped[str] = mapped_column(Text)
    signature_sha256: Mapped[str | None] = mapped_column(String(64))
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    # Rendering state: the PDF is made after commit, by the worker or on first read.
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_rendered_at: Mapped[datetime | None] = mapped_column()
    render_error: Mapped[str | None] = mapped_column(String(500))
    render_attempts: Mapped[int] = mapped_column(default=0)
    sync_seq: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
    # The sync sequence of the commit that created the row: new to a device, or not.
    created_seq: Mapped[int] = mapped_column(BigInteger, default=0)
