"""The in-app notification feed, mail preferences, and the staff dashboard."""

from flask_smorest import Blueprint
from sqlalchemy import select

from server.api.access import requires
from server.auth import current_caller
from server.db import utcnow
from server.errors import NotFound
from server.extensions import db
from server.models import Notification
from server.schemas.people import UserSchema
from server.schemas.settings import NotificationQuerySchema, NotificationSchema, PreferencesSchema
from server.schemas.tickets import TicketSchema
from server.services import ticket_queries

blp = Blueprint("notifications", __name__, url_prefix="/api", description="Notifications")


@blp.get("/notifications")
@requires()
@blp.arguments(NotificationQuerySchema, location="query")
@blp.response(200, NotificationSchema(many=True))
def feed(query):
    """The caller's notifications, newest first (`before` = last id seen, to page)."""
    select_ = select(Notification).where(Notification.user_id == current_caller().id)
    if query["unread"]:
        select_ = select_.where(Notification.read_at.is_(None))
    if query.get("before"):
        select_ = select_.where(Notification.id < query["before"])
    select_ = select_.order_by(Notification.id.desc()).limit(query["limit"])
    return db.session.scalars(select_).all()


@blp.post("/notifications/<int:notification_id>/read")
@requires()
@blp.response(200, NotificationSchema)
def mark_read(notification_id):
    """Mark one of the caller's notifications read."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_caller().id:
        raise NotFound("No such notification.")
    notification.read_at = notification.read_at or utcnow()
    return notification


@blp.put("/me/preferences")
@requires()
@blp.arguments(PreferencesSchema)
@blp.response(200, UserSchema)
def set_preferences(data):
    """Switch "notify me when my ticket is updated" emails on or off."""
    user = current_caller().user
    user.notify_me = data["notify_me"]
    return user


@blp.get("/dashboard/updates")
@requires("staff", "admin")
@blp.response(200, TicketSchema(many=True))
def dashboard_updates():
    """Tickets in scope, latest tenant or contractor activity first."""
    return ticket_queries.dashboard_updates(current_caller())
