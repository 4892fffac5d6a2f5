"""The reports API: figures of a known scenario, the caller's scope, CSV, and bad
filters answered as problem+json."""

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.reports import scenario


def _today() -> str:
    return datetime.now(ZoneInfo("Europe/London")).date().isoformat()


def _volume_today(client, make, user, **extra):
    today = _today()
    answer = client.get(
        "/api/reports/volume",
        query_string={"from": today, "to": today, "group": "day", **extra},
        headers=make.headers(user),
    )
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_volume_counts_what_happened_today_in_the_managers_scope(client, make, people):
    scenario.build(make, people)
    body = _volume_today(client, make, people.manager)
    assert body["report"] == "volume"
    [row] = body["rows"]
    assert row["period"] == _today()
    assert (row["opened"], row["resolved"], row["closed"], row["backlog"]) == (4, 2, 2, 3)


def test_an_admin_counts_every_department(client, make, people):
    scenario.build(make, people)
    [row] = _volume_today(client, make, people.admin)["rows"]
    assert (row["opened"], row["backlog"]) == (5, 4)


def test_volume_split_by_block_names_the_blocks(client, make, people):
    found = scenario.build(make, people)
    rows = _volume_today(client, make, people.admin, by="block")["rows"]
    by_block = {row["block"]: row["opened"] for row in rows}
    assert by_block == {people.block.name: 4, found.other_block.name: 1}


def test_sla_counts_the_high_priority_tickets_with_their_clocks(client, make, people):
    from server.extensions import db
    from server.models import SlaPolicy

    with client.application.app_context():
        db.session.add(
            SlaPolicy(priority="high", first_response_minutes=60, resolution_minutes=480)
        )
        db.session.commit()
    scenario.build(make, people)
    today = _today()
    answer = client.get(
        "/api/reports/sla",
        query_string={"from": today, "to": today},
        headers=make.headers(people.manager),
    )
    body = answer.get_json()
    total = body["rows"][-1]
    assert total["priority"] == "All" and total["tickets"] == 4
    # Resolving stops the first-response clock: two met (resolved), two still running.
    assert total["first_response_met"] + total["first_response_pending"] == 4
    assert total["resolution_met"] == 1  # the one still resolved
    assert total["resolution_breached"] == 0


def test_ageing_puts_todays_open_tickets_in_the_youngest_band(client, make, people):
    scenario.build(make, people)
    answer = client.get("/api/reports/ageing", headers=make.headers(people.manager))
    rows = {row["band"]: row for row in answer.get_json()["rows"]}
    assert rows["under 1 day"]["total"] == 3
    assert rows["under 1 day"]["on_hold"] == 1
    assert rows["90+ days"]["total"] == 0


@pytest.mark.parametrize(
    "path, extra", [("/api/reports/volume.csv", {}), ("/api/reports/volume", {"format": "csv"})]
)
def test_csv_has_the_same_figures(client, make, people, path, extra):
    scenario.build(make, people)
    today = _today()
    answer = client.get(
        path,
        query_string={"from": today, "to": today, "group": "day", **extra},
        headers=make.headers(people.manager),
    )
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert [(r["opened"], r["resolved"], r["closed"], r["backlog"]) for r in rows] == [
        ("4", "2", "2", "3")
    ]


@pytest.mark.parametrize("role", ["tenant", "contractor"])
def test_customers_may_not_read_reports(client, make, people, role):
    answer = client.get("/api/reports/volume", headers=make.headers(getattr(people, role)))
    assert answer.status_code == 403
    assert answer.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    "query, field",
    [
        ({"from": "2025-02-01", "to": "2025-01-01"}, "from"),
        ({"from": "2020-01-01", "to": "2025-01-01"}, "to"),
        ({"group": "year"}, "group"),
        ({"priority": "urgent!"}, "priority"),
        ({"department": "0"}, "department"),
        ({"from": "not-a-date"}, "from"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_filters_are_a_problem_naming_the_field(client, make, people, query, field):
    answer = client.get(
        "/api/reports/volume", query_string=query, headers=make.headers(people.manager)
    )
    assert answer.status_code == 422
    assert answer.mimetype == "application/problem+json"
    assert field in answer.get_json()["errors"]


def test_an_unknown_report_is_not_found(client, make, people):
    answer = client.get("/api/reports/salaries", headers=make.headers(people.manager))
    assert answer.status_code == 404


def _log(app, ticket, contractor, minutes, chargeable, at):
    from server.extensions import db
    from server.models import Ticket
    from server.services import work
    from tests.factories import as_caller

    with app.app_context():
        work.log_time(
            as_caller(contractor),
            db.session.get(Ticket, ticket.id),
            id=f"te-{ticket.id}-{minutes}-{chargeable}",
            minutes=minutes,
            started_at=at,
            ended_at=at + timedelta(minutes=minutes),
            chargeable=chargeable,
            created_at=at + timedelta(minutes=minutes),
        )
        db.session.commit()


def test_work_sums_chargeable_and_other_hours_per_month_by_contractor(app, client, make, people):
    found = scenario.build(make, people)
    ticket = found.tickets[2]
    make.assign(ticket, people.contractor, people.manager)
    march = datetime(2026, 3, 12, 9, tzinfo=UTC)
    _log(app, ticket, people.contractor, 90, True, march)
    _log(app, ticket, people.contractor, 30, False, march)
    _log(app, ticket, people.contractor, 45, True, march + timedelta(days=30))
    answer = client.get(
        "/api/reports/work",
        query_string={"from": "2026-03-01", "to": "2026-04-30", "by": "contractor"},
        headers=make.headers(people.manager),
    )
    assert answer.status_code == 200, answer.get_json()
    rows = answer.get_json()["rows"]
    assert [
        (r["contractor"], r["period"], r["chargeable_hours"], r["other_hours"], r["entries"])
        for r in rows
    ] == [
        ("Carl Plumber", "2026-03-01", 1.5, 0.5, 2),
        ("Carl Plumber", "2026-04-01", 0.75, 0.0, 1),
    ]


def test_a_split_the_report_does_not_offer_is_refused(client, make, people):
    answer = client.get(
        "/api/reports/volume",
        query_string={"by": "contractor"},
        headers=make.headers(people.manager),
    )
    assert answer.status_code == 422
    assert answer.get_json()["errors"] == {
        "by": ["The volume report splits by: type, priority, department, block."]
    }
