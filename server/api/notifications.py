"""The in-app notification feed, mail preferences, and the staff dashboard."""

from flask_smorest import Blueprint

from server.api.access import requires
from server.auth import current_caller
from server.schemas.people import UserSchema
from server.schemas.settings import NotificationQuerySchema, NotificationSchema, PreferencesSchema
from server.schemas.tickets import TicketSchema
from server.services import notifications, ticket_queries

blp = Blueprint("notifications", __name__, url_prefix="/api", description="Notifications")


@blp.get("/notifications")
@requires()
@blp.arguments(NotificationQuerySchema, location="query")
@blp.response(200, NotificationSchema(many=True))
def feed(query):
    """The caller's notifications, newest first (`before` = last id seen, to page)."""
    return notifications.feed(
        current_caller(), unread=query["unread"], before=query.get("before"), limit=query["limit"]
    )


@blp.post("/notifications/<int:notification_id>/read")
@requires()
@blp.response(200, NotificationSchema)
def mark_read(notification_id):
    """Mark one of the caller's notifications read."""
    return notifications.mark_read(current_caller(), notification_id)


@blp.put("/me/preferences")
@requires()
@blp.arguments(PreferencesSchema)
@blp.response(200, UserSchema)
def set_preferences(data):
    """Switch "notify me when my ticket is updated" emails on or off."""
    return notifications.set_notify_me(current_caller(), data["notify_me"])


@blp.get("/dashboard/updates")
@requires("staff", "admin")
@blp.response(200, TicketSchema(many=True))
def dashboard_updates():
    """Tickets in scope, latest tenant or contractor activity first."""
    return ticket_queries.dashboard_updates(current_caller())
