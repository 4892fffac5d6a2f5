"""The sync change sequence: every committed change to a synced row gets a number.

All rows a transaction touched get one number, taken from the `sync` counter just
before commit. Taking it locks the counter row until the commit ends, so numbers
become visible in commit order: a reader that sees counter value N also sees every
row stamped <= N. That is what lets a device pull `seq > last` and never miss a
change, even on PostgreSQL where a plain sequence can commit out of order.
"""

from sqlalchemy import event
from sqlalchemy.orm import Session

from server.extensions import db
from server.services.counters import current_value, next_value

SYNC_COUNTER = "sync"
_TOUCHED = "fieldline_sync_touched"


def _after_flush(session: Session, _context) -> None:
    touched = session.info.setdefault(_TOUCHED, set())
    for obj in (*session.new, *session.dirty):
        if hasattr(obj, "sync_seq"):
            touched.add(obj)


def _before_commit(session: Session) -> None:
    session.flush()
    touched = session.info.pop(_TOUCHED, None)
    if not touched:
        return
    seq = next_value(SYNC_COUNTER)
    for obj in touched:
        obj.sync_seq = seq
    session.flush()
    session.info.pop(_TOUCHED, None)


def _forget(session: Session, *_args) -> None:
    session.info.pop(_TOUCHED, None)


def install(session) -> None:
    """Register the stamping hooks on the app's session (idempotent)."""
    for name, fn in (
        ("after_flush", _after_flush),
        ("before_commit", _before_commit),
        ("after_rollback", _forget),
        ("after_soft_rollback", _forget),
    ):
        if not event.contains(session, name, fn):
            event.listen(session, name, fn)


def current_sequence() -> int:
    return current_value(SYNC_COUNTER)


def stamp(obj) -> None:
    """Mark a row changed in this transaction even if none of its columns changed
    (e.g. a recorded record re-sent to a device after a conflicting re-push)."""
    db.session.info.setdefault(_TOUCHED, set()).add(obj)
