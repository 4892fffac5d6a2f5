"""The PDFs of recorded notes (drawn by `render`), made after commit: by the worker, or on
its first read, and kept.

Rendering never runs inside a push, so a push never fails or slows down because
of it. The note row is the source of truth (`pdf_sha256` empty = not rendered):
the outbox row written with the note wakes the worker at once, and the worker job
(`render_job`, also `render_pending(app)` and the CLI) sweeps the notes whose
signature has arrived since, so nothing is lost when the bytes come late.
`render_error` says why a note has no PDF yet: `waiting: …` (retried), `failed: …`
(the stored content cannot make a PDF, e.g. a broken PNG; not retried) or
`error: …` (unexpected; retried).
"""

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select

from delivery_notes.content import content_sha256
from delivery_notes.files import read_attachment, read_pdf, store_pdf
from delivery_notes.models import DeliveryNote
from delivery_notes.render import render_pdf
from delivery_notes.service import seal_late
from delivery_notes.signature_png import SignatureImageError
from delivery_notes.snapshots import ContentMissing, build_snapshot
from server.db import utcnow
from server.errors import Conflict
from server.extensions import db
from server.models import Attachment
from server.services.outbox import RetryLater

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30


class NoteNotReady(Conflict):
    """The signature has not arrived yet; the note is rendered when it does."""

    code, title = "note_not_ready", "Delivery note not ready"

    def __init__(self, detail: str):
        super().__init__(detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class NoteNotRenderable(Conflict):
    """The stored note cannot make a PDF (a broken signature image, missing rows)."""

    code, title = "note_not_renderable", "Delivery note cannot be rendered"


def pdf_bytes(note: DeliveryNote) -> bytes:
    """The note's PDF: the stored file, or rendered now if there is none yet."""
    if note.pdf_sha256:
        stored = read_pdf(note.pdf_sha256)
        if stored is not None:
            return stored
    return render_note(note)


def render_note(note: DeliveryNote) -> bytes:
    """Render and store the PDF, recording the outcome on the note (flushed, not committed).

    Raises NoteNotReady while the signature is missing and NoteNotRenderable when
    the stored content cannot make a PDF. Only real attempts (signature in hand)
    are counted, and a note is written only when its state changes, so sweeping
    waiting notes does not churn their sync stamps.
    """
    try:
        pdf = _render(note)
    except NoteNotReady as waiting:
        _set_error(note, f"waiting: {waiting.detail}")
        raise
    except NoteNotRenderable as failure:
        _set_error(note, f"failed: {failure.detail}")
        raise
    note.pdf_sha256 = store_pdf(pdf)
    note.pdf_rendered_at = utcnow()
    note.render_error = None
    db.session.flush()
    return pdf


def _set_error(note: DeliveryNote, message: str) -> None:
    if note.render_error != message[:500]:
        note.render_error = message[:500]


def _render(note: DeliveryNote) -> bytes:
    seal_late(note)
    if note.content_sha256 is None:
        raise NoteNotReady("The signature's attachment record has not arrived yet.")
    attachment = db.session.get(Attachment, note.signature_attachment_id)
    if attachment is None or not attachment.uploaded:
        raise NoteNotReady("The signature image has not been uploaded yet.")
    png = read_attachment(note.signature_sha256)
    if png is None:
        raise NoteNotReady("The signature image is not in storage yet.")
    note.render_attempts = (note.render_attempts or 0) + 1
    try:
        snapshot = build_snapshot(note, signature_png=png, logo_png=_logo())
    except ContentMissing as missing:
        raise NoteNotRenderable(str(missing)) from None
    if content_sha256(snapshot) != note.content_sha256:
        raise NoteNotRenderable("The stored content no longer matches its content hash.")
    try:
        return render_pdf(snapshot)
    except SignatureImageError as bad:
        raise NoteNotRenderable(f"The signature image is unusable ({bad.code}: {bad}).") from None


def _logo() -> bytes | None:
    path = current_app.config["AGENCY_LOGO_PATH"]
    if not path:
        return None
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        log.warning("AGENCY_LOGO_PATH %s cannot be read; notes are printed without a logo", path)
        return None


def render_pending(app, limit: int = 200) -> dict[str, int]:
    """`sweep` in a fresh app context (outside any request or worker pass)."""
    with app.app_context():
        return sweep(limit)


def render_job(now: datetime) -> dict[str, int]:
    """The worker job (`register_job`): sweep on every pass, in the worker's context."""
    return {name: count for name, count in sweep().items() if count}


def sweep(limit: int = 200) -> dict[str, int]:
    """Render the notes without a PDF whose signature may have arrived; a commit per note.

    A late signature shows as its attachment record (to seal) or its `uploaded` flag.
    Safe on several workers at once (a note held elsewhere is skipped). Returns
    counts of `rendered`, `waiting`, `failed` and `skipped` notes.
    """
    signature = and_(
        Attachment.id == DeliveryNote.signature_attachment_id,
        Attachment.ticket_id == DeliveryNote.ticket_id,
    )
    ids = db.session.scalars(
        select(DeliveryNote.id)
        .join(Attachment, signature)
        .where(
            DeliveryNote.pdf_sha256.is_(None),
            or_(DeliveryNote.content_sha256.is_(None), Attachment.uploaded.is_(True)),
            or_(
                DeliveryNote.render_error.is_(None),
                DeliveryNote.render_error.not_like("failed:%"),
            ),
        )
        .order_by(DeliveryNote.received_at, DeliveryNote.id)
        .limit(limit)
    ).all()
    db.session.commit()
    counts = {"rendered": 0, "waiting": 0, "failed": 0, "skipped": 0}
    for note_id in ids:
        counts[render_one(note_id)] += 1
    return counts


def render_one(note_id: str) -> str:
    """Render one note in its own transaction; returns rendered, waiting, failed or skipped."""
    outcome = "failed"
    try:
        note = db.session.scalar(
            select(DeliveryNote)
            .where(DeliveryNote.id == note_id, DeliveryNote.pdf_sha256.is_(None))
            .with_for_update(skip_locked=True)
        )
        if note is None:
            db.session.rollback()
            return "skipped"  # rendered meanwhile, or being rendered elsewhere
        try:
            render_note(note)
            outcome = "rendered"
        except NoteNotReady:
            outcome = "waiting"
        except NoteNotRenderable:
            log.warning("delivery note %s cannot be rendered: %s", note_id, note.render_error)
        db.session.commit()
    except Exception as error:  # one bad note must not stop the others
        log.exception("rendering delivery note %s failed", note_id)
        db.session.rollback()
        _record_error(note_id, f"error: {type(error).__name__}: {error}")
    return outcome


def _record_error(note_id: str, message: str) -> None:
    try:
        note = db.session.get(DeliveryNote, note_id)
        if note is not None:
            note.render_attempts = (note.render_attempts or 0) + 1
            _set_error(note, message)
        db.session.commit()
    except Exception:
        log.exception("recording the render error of delivery note %s failed", note_id)
        db.session.rollback()


def handle_render_message(item) -> None:
    """Outbox handler of channel `delivery_note_pdf` (payload `{"note_id": …}`).

    Done when rendered or when the note cannot be rendered (the reason is on the
    note); while the signature is missing, asks the worker to try again later.
    """
    outcome = render_one(item.payload["note_id"])
    if outcome == "waiting":
        raise RetryLater("The signature has not arrived yet.", delay=timedelta(minutes=1))
