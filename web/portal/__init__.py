"""The tenant portal (tenants only, phone first): my home, report a problem with
photos, my tickets with their public timeline, replies, close and reopen.

Views call the API's services in-process with the same scope (server.scope): the
tickets a tenant sees here are exactly those the API shows them (their own, those
addressed to them, those published to their unit or block), and the timeline is the
public one. Nothing here decides visibility."""

from flask import current_app
from werkzeug.exceptions import RequestEntityTooLarge

from server.services import notifications
from web.blueprints import page_blueprint
from web.rendering import page
from web.session import current_caller

bp = page_blueprint("portal", __name__)


@bp.context_processor
def _portal_globals():
    from web.portal.photos import size_words

    caller = current_caller()
    unread = notifications.unread_count(caller) if caller and caller.role == "tenant" else 0
    return {
        "photo_limit": size_words(current_app.config["ATTACHMENT_MAX_BYTES"]),
        "unread_count": unread,
    }


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    """A form bigger than the server takes (photos, or a huge text) is refused before it
    is read: nothing of it is saved, and the tenant is told what to send instead."""
    from web.portal.photos import size_words

    limit = size_words(current_app.config["MAX_CONTENT_LENGTH"])
    return page("portal/too_large.html", 413, limit=limit)


from web.portal import files, home, report, tickets, updates  # noqa: E402,F401  (routes)
