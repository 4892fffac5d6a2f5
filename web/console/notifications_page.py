"""The in-app feed: the caller's notifications (server.services.notifications), each
opening its ticket and marking itself read; mark all read; the "notify me" mail switch."""

from flask import flash, redirect, request

from server.services import notifications
from web.access import STAFF, signed_in
from web.console import bp
from web.rendering import page

PAGE_SIZE = 50


@bp.get("/notifications")
@signed_in(*STAFF)
def notifications_view(caller):
    before = request.args.get("before", "")
    before_id = int(before) if before.isdigit() and len(before) < 10 else None
    unread_only = request.args.get("unread") == "1"
    items = notifications.feed(caller, unread=unread_only, before=before_id, limit=PAGE_SIZE + 1)
    more = len(items) > PAGE_SIZE
    items = items[:PAGE_SIZE]
    next_url = None
    if more:
        next_url = f"/notifications?before={items[-1].id}" + ("&unread=1" if unread_only else "")
    return page(
        "console/notifications.html",
        items=items,
        unread_only=unread_only,
        notify_me=caller.user.notify_me,
        next_url=next_url,
        first_url="/notifications" + ("?unread=1" if unread_only else "") if before_id else None,
    )


@bp.post("/notifications/<int:notification_id>/read")
@signed_in(*STAFF)
def read_notification(caller, notification_id):
    """Mark one read; `open` goes on to its ticket (the item's link), else back."""
    notification = notifications.mark_read(caller, notification_id)
    if request.form.get("open") and notification.ticket_id:
        return redirect(f"/tickets/{notification.ticket_id}", code=303)
    flash("Marked as read.", "success")
    return redirect("/notifications", code=303)


@bp.post("/notifications/read-all")
@signed_in(*STAFF)
def read_all_notifications(caller):
    notifications.mark_all_read(caller)
    flash("All notifications are marked as read.", "success")
    return redirect("/notifications", code=303)


@bp.post("/notifications/preferences")
@signed_in(*STAFF)
def notification_preferences(caller):
    on = request.form.get("notify_me") in ("on", "true", "1")
    notifications.set_notify_me(caller, on)
    flash(
        "You will get an email when your tickets are updated."
        if on
        else "You will no longer get emails when your tickets are updated.",
        "success",
    )
    return redirect("/notifications", code=303)
