"""A user's in-app feed: read, count, mark read, and the "notify me" preference.
The API and the console call these; nothing else queries the feed."""

from sqlalchemy import func, select

from server.auth import Caller
from server.db import utcnow
from server.errors import NotFound
from server.extensions import db
from server.models import Notification, User


def feed(
    caller: Caller, *, unread: bool = False, before: int | None = None, limit: int = 50
) -> list[Notification]:
    """The caller's notifications, newest first (`before` = last id seen, to page)."""
    query = select(Notification).where(Notification.user_id == caller.id)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    if before:
        query = query.where(Notification.id < before)
    return db.session.scalars(query.order_by(Notification.id.desc()).limit(limit)).all()


def unread_count(caller: Caller) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == caller.id, Notification.read_at.is_(None))
    )


def mark_read(caller: Caller, notification_id: int) -> Notification:
    """Mark one of the caller's notifications read; another user's is a 404."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != caller.id:
        raise NotFound("No such notification.")
    notification.read_at = notification.read_at or utcnow()
    db.session.flush()
    return notification


def mark_all_read(caller: Caller) -> None:
    for notification in feed(caller, unread=True, limit=1000):
        notification.read_at = utcnow()
    db.session.flush()


def set_notify_me(caller: Caller, notify_me: bool) -> User:
    """Switch "notify me when my ticket is updated" emails on or off."""
    caller.user.notify_me = notify_me
    db.session.flush()
    return caller.user
