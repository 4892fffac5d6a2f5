"""Updates: the tenant's in-app feed (the notifications service, the same feed as the
API's), marking it read, and the "email me" switch."""

from flask import flash, redirect, request

from server.schemas.settings import PreferencesSchema
from server.services import notifications
from web.access import signed_in
from web.forms import read_form
from web.portal import bp
from web.rendering import page


@bp.get("/portal/updates")
@signed_in("tenant")
def updates(caller):
    return page("portal/updates.html", feed=notifications.feed(caller, limit=50))


@bp.post("/portal/updates/read")
@signed_in("tenant")
def mark_all_read(caller):
    notifications.mark_all_read(caller)
    flash("All updates are marked as read.", "success")
    return redirect("/portal/updates", code=303)


@bp.post("/portal/updates/email")
@signed_in("tenant")
def email_switch(caller):
    data = read_form(PreferencesSchema(), request.form, flags=("notify_me",))
    notifications.set_notify_me(caller, data["notify_me"])
    flash(
        "We will email you when your tickets are updated."
        if data["notify_me"]
        else "We will not email you about your tickets. Updates still appear here.",
        "success",
    )
    return redirect("/portal/updates", code=303)
