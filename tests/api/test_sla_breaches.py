"""SLA timers run by the worker: breaches and warnings recorded once, staff told,
holds respected, and included work closed after its grace period."""

from datetime import datetime, timedelta

from server.db import utcnow
from server.domain.sla import BusinessCalendar
from server.worker import run_once


def set_policy(client, make, people, priority="high", **targets):
    response = client.put(
        f"/api/sla-policies/{priority}", json=targets, headers=make.headers(people.admin)
    )
    assert response.status_code == 200, response.get_json()


def high_priority_ticket(client, make, people):
    ticket = make.ticket(people.tenant, people.block, people.unit, summary="No hot water")
    response = client.post(
        f"/api/tickets/{ticket.id}/triage",
        json={"type": "repair", "priority": "high"},
        headers=make.headers(people.manager),
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def events(client, make, user, ticket, kind):
    response = client.get(f"/api/tickets/{ticket['id']}", headers=make.headers(user))
    assert response.status_code == 200
    return [e for e in response.get_json()["events"] if e["kind"] == kind]


def breached_refs(client, make, user):
    response = client.get("/api/tickets?sla=breached", headers=make.headers(user))
    assert response.status_code == 200
    return [t["ref"] for t in response.get_json()["items"]]


def test_an_overdue_ticket_gets_exactly_one_breach_event_however_often_the_worker_runs(
    app, client, make, people, smtp
):
    set_policy(client, make, people, first_response_minutes=60, resolution_minutes=100000)
    ticket = high_priority_ticket(client, make, people)
    assert ticket["sla_response_due_at"] is not None
    assert breached_refs(client, make, people.manager) == []
    a_month_later = utcnow() + timedelta(days=30)

    first = run_once(app, now=a_month_later)
    second = run_once(app, now=a_month_later + timedelta(hours=1))

    assert first.jobs["sla"]["breaches"] == 1 and second.jobs["sla"]["breaches"] == 0
    [breach] = events(client, make, people.manager, ticket, "sla_breached")
    assert breach["visibility"] == "staff" and breach["author_role"] == "system"
    assert breach["data"]["clock"] == "first_response"
    assert breach["data"]["breached_at"] == ticket["sla_response_due_at"].replace("Z", "+00:00")
    assert breached_refs(client, make, people.manager) == [ticket["ref"]]
    detail = client.get(f"/api/tickets/{ticket['id']}", headers=make.headers(people.manager))
    assert detail.get_json()["sla_breached_at"] == ticket["sla_response_due_at"]
    assert events(client, make, people.tenant, ticket, "sla_breached") == []
    notes = client.get("/api/notifications", headers=make.headers(people.manager)).get_json()
    assert [n["kind"] for n in notes].count("sla_breached") == 1
    [mail] = [m for m in smtp.inbox.to(people.manager.email) if "SLA breached" in m["Subject"]]
    assert mail["Subject"] == f"[{ticket['ref']}] SLA breached (first response): No hot water"
    assert all("SLA" not in m["Subject"] for m in smtp.inbox.to(people.tenant.email))


def test_each_clock_records_its_own_breach_once(app, client, make, people):
    set_policy(client, make, people, first_response_minutes=60, resolution_minutes=120)
    ticket = high_priority_ticket(client, make, people)
    later = utcnow() + timedelta(days=30)

    run_once(app, now=later)
    run_once(app, now=later + timedelta(days=1))

    clocks = [
        e["data"]["clock"] for e in events(client, make, people.admin, ticket, "sla_breached")
    ]
    assert sorted(clocks) == ["first_response", "resolution"]


def test_a_ticket_on_hold_does_not_breach(app, client, make, people):
    set_policy(client, make, people, first_response_minutes=60, resolution_minutes=120)
    ticket = high_priority_ticket(client, make, people)
    response = client.post(
        f"/api/tickets/{ticket['id']}/messages",
        json={"body": "Waiting for the part to arrive."},
        headers=make.headers(people.manager),
    )
    assert response.status_code == 201
    held = client.get(f"/api/tickets/{ticket['id']}", headers=make.headers(people.manager))
    assert held.get_json()["status"] == "on_hold"

    stats = run_once(app, now=utcnow() + timedelta(days=30))

    assert stats.jobs["sla"]["breaches"] == 0
    assert events(client, make, people.manager, ticket, "sla_breached") == []
    assert breached_refs(client, make, people.manager) == []


def test_a_warning_is_recorded_once_before_the_breach(app, client, make, people):
    set_policy(client, make, people, resolution_minutes=600, warning_percent=80)
    ticket = high_priority_ticket(client, make, people)
    calendar = BusinessCalendar(timezone=app.config["TIMEZONE"])
    created = datetime.fromisoformat(ticket["created_at"])
    at_85_percent = calendar.add_business_seconds(created, 600 * 60 * 85 // 100)
    at_70_percent = calendar.add_business_seconds(created, 600 * 60 * 70 // 100)

    assert run_once(app, now=at_70_percent).jobs["sla"]["warnings"] == 0
    assert run_once(app, now=at_85_percent).jobs["sla"]["warnings"] == 1
    assert run_once(app, now=at_85_percent + timedelta(minutes=5)).jobs["sla"]["warnings"] == 0
    [warning] = events(client, make, people.manager, ticket, "sla_warning")
    assert warning["data"]["clock"] == "resolution" and warning["visibility"] == "staff"
    assert breached_refs(client, make, people.manager) == []

    run_once(app, now=at_85_percent + timedelta(days=14))

    assert len(events(client, make, people.manager, ticket, "sla_warning")) == 1
    assert len(events(client, make, people.manager, ticket, "sla_breached")) == 1
    titles = [
        n["title"]
        for n in client.get("/api/notifications", headers=make.headers(people.manager)).get_json()
    ]
    assert "SLA warning (resolution due soon): No hot water" in titles


def test_included_tickets_close_when_the_grace_period_after_resolving_has_passed(
    app, client, make, people
):
    app.config["INCLUDED_CLOSE_GRACE_SECONDS"] = 3600
    included = make.ticket(people.manager, people.block, billing="included", priority="normal")
    chargeable = make.ticket(people.manager, people.block, billing="chargeable", priority="normal")
    for ticket in (included, chargeable):
        response = client.post(
            f"/api/tickets/{ticket.id}/status",
            json={"status": "resolved"},
            headers=make.headers(people.manager),
        )
        assert response.status_code == 200 and response.get_json()["status"] == "resolved"

    assert run_once(app).jobs["sla"]["closed"] == 0
    assert run_once(app, now=utcnow() + timedelta(hours=2)).jobs["sla"]["closed"] == 1

    def status(ticket):
        response = client.get(f"/api/tickets/{ticket.id}", headers=make.headers(people.manager))
        return response.get_json()

    closed = status(included)
    assert closed["status"] == "closed"
    [move] = [e for e in closed["events"] if e["kind"] == "status_changed"][-1:]
    assert move["data"]["to"] == "closed" and move["author_role"] == "system"
    assert status(chargeable)["status"] == "resolved"


def test_each_priority_runs_on_its_own_calendar(client, make, people):
    today = utcnow().date()
    for n in range(4):  # no office hours left anywhere near
        client.post(
            "/api/holidays",
            json={"day": (today + timedelta(days=n)).isoformat(), "name": f"Closed {n}"},
            headers=make.headers(people.admin),
        )
    set_policy(client, make, people, "critical", resolution_minutes=240, calendar="always")
    set_policy(client, make, people, "high", resolution_minutes=240, calendar="office_hours")
    due = {}
    for priority in ("critical", "high"):
        ticket = make.ticket(people.tenant, people.block, people.unit)
        response = client.post(
            f"/api/tickets/{ticket.id}/triage",
            json={"type": "repair", "priority": priority},
            headers=make.headers(people.manager),
        )
        body = response.get_json()
        created = datetime.fromisoformat(body["created_at"])
        due[priority] = datetime.fromisoformat(body["sla_resolution_due_at"]) - created
    # 24/7 ignores weekends and holidays: four hours after the report, whenever it is.
    assert timedelta(hours=3, minutes=59) <= due["critical"] <= timedelta(hours=4)
    assert due["high"] > timedelta(days=3)
    policies = client.get("/api/sla-policies", headers=make.headers(people.admin)).get_json()
    assert {p["priority"]: p["calendar"] for p in policies} == {
        "critical": "always",
        "high": "office_hours",
    }


def test_an_unknown_calendar_is_422(client, make, people):
    response = client.put(
        "/api/sla-policies/critical",
        json={"resolution_minutes": 60, "calendar": "weekends"},
        headers=make.headers(people.admin),
    )
    assert response.status_code == 422
