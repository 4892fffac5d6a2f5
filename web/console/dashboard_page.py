"""The dashboard: what needs a property manager now, each item one click from its ticket."""

from server.services import dashboard
from web.access import STAFF, signed_in
from web.console import bp
from web.rendering import page


@bp.get("/dashboard")
@signed_in(*STAFF)
def dashboard_view(caller):
    latest = dashboard.latest_updates(caller)
    return page(
        "console/dashboard.html",
        counts=dashboard.status_counts(caller),
        latest=latest,
        last_events=dashboard.last_events(latest),
        mine=dashboard.my_queue(caller),
        sla=dashboard.sla_watch(caller),
        untriaged=dashboard.untriaged(caller),
        unanswered=dashboard.unanswered(caller),
    )
