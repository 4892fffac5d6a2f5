"""The staff console (staff and admins): dashboard, ticket queue, ticket pages,
people and notifications. Views call the API's services in-process, with the same
scope filter (server.scope); they never repeat a rule."""

from flask import g

from server.services import dashboard, notifications
from web import formatting
from web.blueprints import page_blueprint
from web.rendering import _now
from web.session import current_caller

bp = page_blueprint("console", __name__)


def clock_of(ticket):
    """The ticket's running SLA clock (response until answered, then resolution)."""
    if ticket.status not in ("new", "open", "on_hold"):
        return None
    if "warning_percents" not in g:
        g.warning_percents = dashboard.warning_percents()
    if ticket.first_response_at is None and ticket.sla_response_due_at is not None:
        due, what = ticket.sla_response_due_at, "first response"
    else:
        due, what = ticket.sla_resolution_due_at, "resolution"
    found = formatting.clock(
        due,
        ticket.created_at,
        _now(),
        g.warning_percents.get(ticket.priority),
        breached=ticket.sla_breached_at is not None and due is not None and due <= _now(),
    )
    return found and (found, what)


@bp.context_processor
def _console_globals():
    caller = current_caller()
    unread = (
        notifications.unread_count(caller) if caller and caller.role in ("staff", "admin") else 0
    )
    return {"clock_of": clock_of, "unread_count": unread}


from web.console import (  # noqa: E402,F401  (routes)
    billing_actions,
    billing_admin_pages,
    billing_pages,
    certificates_pages,
    create_ticket,
    dashboard_page,
    devices_pages,
    erp_pages,
    exports_page,
    mail_pages,
    notifications_page,
    people_pages,
    properties_pages,
    queue,
    reports_pages,
    settings_pages,
    ticket_actions,
    ticket_page,
)
