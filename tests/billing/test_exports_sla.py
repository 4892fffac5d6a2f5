"""The tickets export carries each ticket's SLA clocks, as the live SLA state derives
them: first-response time, due times, breach flags and time to resolve."""

import csv
import io
from datetime import UTC, datetime, timedelta

from server.extensions import db
from tests.factories import Factory
from tests.reports import timelines
from tests.reports.timelines import History


def test_a_late_resolution_shows_both_breaches_and_the_time_it_took(app, client, make, people):
    created = datetime.now(UTC).replace(microsecond=0) - timedelta(days=10)
    resolved = created + timedelta(days=5)
    late = History(created_at=created, priority="normal", moves=[(resolved, "resolved")])
    running = History(
        created_at=created, priority="normal", first_response_at=created + timedelta(hours=1)
    )
    block = Factory(app).block(department=people.department)
    with app.app_context():
        timelines.set_policies()  # normal: 4 h to respond, 48 h to resolve, 24/7
        timelines.write([late, running], block.id, people.department.id)
        db.session.commit()
    answer = client.get("/api/exports/tickets.csv", headers=make.headers(people.admin))
    assert answer.status_code == 200
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    first, second = rows[-2], rows[-1]
    assert first["status"] == "resolved" and first["resolved_at"]  # the old columns stay
    assert first["first_response_breached"] == "true"
    assert datetime.fromisoformat(first["first_response_breached_at"]) == created + timedelta(
        hours=4
    )
    assert first["resolution_breached"] == "true"
    assert datetime.fromisoformat(first["resolution_breached_at"]) == created + timedelta(hours=48)
    assert first["resolution_due_at"] == ""  # stopped: no deadline running
    assert first["time_to_resolve_business_minutes"] == str(5 * 24 * 60)
    assert first["time_to_resolve_hours"] == "120.00"
    # Answered within the hour, still unresolved after ten days.
    assert second["first_response_breached"] == "false"
    assert second["first_response_business_minutes"] == "60"
    assert (
        second["resolution_breached"] == "true" and second["time_to_resolve_business_minutes"] == ""
    )
    assert datetime.fromisoformat(second["resolution_due_at"]) == created + timedelta(hours=48)
