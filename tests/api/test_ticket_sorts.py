"""The ticket list's `sort` (newest, updated, due, priority) with a keyset cursor per
sort, and the `sla` filter's ok / warning / breached."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from server.db import utcnow
from server.extensions import db
from server.models import Ticket
from server.services.ticket_queries import encode_cursor


def tickets_of(make, people, count):
    made = [make.ticket(people.manager, people.block, summary=f"Job {n}") for n in range(count)]
    return [t.id for t in made]


def set_columns(app, ticket_id, **values):
    with app.app_context():
        db.session.execute(update(Ticket).where(Ticket.id == ticket_id).values(**values))
        db.session.commit()


def walk(client, headers, query, limit=2):
    """Every id of a sort, page by page through its cursors."""
    seen, cursor = [], None
    for _ in range(50):
        url = f"/api/tickets?{query}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        seen += [t["id"] for t in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("the cursor never ended")


def test_the_default_sort_and_its_cursor_are_unchanged(client, make, people):
    ids = tickets_of(make, people, 3)
    headers = make.headers(people.manager)
    first = client.get("/api/tickets?limit=2", headers=headers).get_json()
    assert [t["id"] for t in first["items"]] == ids[::-1][:2]
    assert first["next_cursor"] == encode_cursor(ids[1])
    assert walk(client, headers, "sort=newest") == ids[::-1]


def test_recently_updated_pages_by_update_time_then_id(app, client, make, people):
    ids = tickets_of(make, people, 5)
    now = utcnow()
    stamps = [3, 1, 1, 5, 2]  # minutes ago; two share a time, so the id breaks the tie
    for ticket_id, minutes in zip(ids, stamps, strict=True):
        set_columns(app, ticket_id, updated_at=now - timedelta(minutes=minutes))
    expected = [ids[2], ids[1], ids[4], ids[0], ids[3]]
    assert walk(client, make.headers(people.manager), "sort=updated") == expected


def test_priority_sorts_critical_first_then_newest(app, client, make, people):
    ids = tickets_of(make, people, 5)
    for ticket_id, priority in zip(
        ids, ["low", "critical", "normal", "critical", "high"], strict=True
    ):
        set_columns(app, ticket_id, priority=priority)
    expected = [ids[3], ids[1], ids[4], ids[2], ids[0]]
    assert walk(client, make.headers(people.manager), "sort=priority") == expected


def test_due_soonest_puts_tickets_without_a_running_clock_last(app, client, make, people):
    ids = tickets_of(make, people, 6)
    now = utcnow()
    due = {ids[0]: 30, ids[1]: 10, ids[2]: None, ids[3]: 10, ids[4]: 90, ids[5]: None}
    for ticket_id, minutes in due.items():
        value = None if minutes is None else now + timedelta(minutes=minutes)
        set_columns(app, ticket_id, sla_response_due_at=value, first_response_at=None)
    set_columns(app, ids[4], status="resolved")  # a stopped clock is not due
    expected = [ids[1], ids[3], ids[0], ids[2], ids[4], ids[5]]
    assert walk(client, make.headers(people.manager), "sort=due") == expected
    assert walk(client, make.headers(people.manager), "sort=due", limit=1) == expected


def test_a_cursor_belongs_to_its_sort(client, make, people):
    tickets_of(make, people, 3)
    headers = make.headers(people.manager)
    cursor = client.get("/api/tickets?sort=updated&limit=1", headers=headers).get_json()[
        "next_cursor"
    ]
    for query in (f"sort=priority&cursor={cursor}", f"cursor={cursor}", "sort=due&cursor=xyz"):
        answer = client.get(f"/api/tickets?{query}", headers=headers)
        assert answer.status_code == 422
        assert answer.get_json()["errors"] == {"cursor": ["invalid cursor"]}


@pytest.mark.parametrize("query", ["sort=oldest", "sort=", "sla=late", "sla=OK"])
def test_unknown_sorts_and_sla_states_are_refused(client, make, people, query):
    answer = client.get(f"/api/tickets?{query}", headers=make.headers(people.manager))
    assert answer.status_code == 422
    assert set(answer.get_json()["errors"]) <= {"sort", "sla"}


def test_sla_states_split_running_clocks_by_the_policys_warning_percent(app, client, make, people):
    response = client.put(
        "/api/sla-policies/normal",
        json={"first_response_minutes": 60, "resolution_minutes": 600, "warning_percent": 50},
        headers=make.headers(people.admin),
    )
    assert response.status_code == 200, response.get_json()
    ok, warning, breached, stopped = tickets_of(make, people, 4)
    now = utcnow()
    started = now - timedelta(minutes=60)
    for ticket_id, due_in in ((ok, 100), (warning, 40), (breached, -5), (stopped, 40)):
        set_columns(
            app,
            ticket_id,
            priority="normal",
            created_at=started,
            first_response_at=None,
            sla_breached_at=None,
            sla_response_due_at=now + timedelta(minutes=due_in),
        )
    set_columns(app, stopped, status="closed")
    headers = make.headers(people.manager)

    def found(state):
        answer = client.get(f"/api/tickets?sla={state}", headers=headers)
        assert answer.status_code == 200, answer.get_json()
        return {t["id"] for t in answer.get_json()["items"]}

    assert found("ok") == {ok}  # 60 of 160 minutes used: under 50 %
    assert found("warning") == {warning}  # 60 of 100 minutes used
    assert found("breached") == {breached}
