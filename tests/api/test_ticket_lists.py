"""Ticket lists: filters, search, cursor pages that survive concurrent inserts, and the
staff dashboard of latest tenant and contractor activity."""

import base64
from dataclasses import dataclass

import pytest
from sqlalchemy import event

from server.extensions import db


@dataclass
class Desk:
    staff: object
    tenant: object
    contractor: object
    department: object
    block: object
    unit: object


@pytest.fixture
def desk(make) -> Desk:
    department = make.department()
    staff = make.user("staff", departments=[department])
    block = make.block(department=department, manager=staff)
    unit = make.unit(block)
    return Desk(staff, make.tenant_in(unit), make.user("contractor"), department, block, unit)


@pytest.fixture
def listing(client, make, desk):
    def listing(user=None, **query):
        response = client.get(
            "/api/tickets", query_string=query, headers=make.headers(user or desk.staff)
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return listing


def ids(page) -> list[int]:
    return [t["id"] for t in page["items"]]


def staff_ticket(make, desk, **fields):
    fields.setdefault("type", "repair")
    fields.setdefault("priority", "normal")
    return make.ticket(desk.staff, desk.block, **fields)


def test_filters_select_by_status_priority_type_department_and_assignee(make, desk, listing):
    other_department = make.department()
    urgent = staff_ticket(make, desk, priority="critical", type="fault_report")
    routine = staff_ticket(make, desk, priority="low")
    moved = staff_ticket(make, desk, department_id=other_department.id)
    make.assign(routine, desk.contractor, desk.staff)
    make.status(urgent, desk.staff, "on_hold")

    assert ids(listing(status="on_hold")) == [urgent.id]
    assert ids(listing(status="new")) == [moved.id, routine.id]
    assert ids(listing(priority="critical")) == [urgent.id]
    assert ids(listing(type="fault_report")) == [urgent.id]
    assert ids(listing(department=other_department.id)) == [moved.id]
    assert ids(listing(department=desk.department.id)) == [routine.id, urgent.id]
    assert ids(listing(assignee=desk.contractor.id)) == [routine.id]
    assert ids(listing(status="on_hold", priority="low")) == []


def test_an_ended_assignment_no_longer_matches_the_assignee_filter(make, desk, listing):
    ticket = staff_ticket(make, desk)
    make.assign(ticket, desk.contractor, desk.staff)
    make.end_assignment(ticket, desk.contractor, desk.staff)
    assert ids(listing(assignee=desk.contractor.id)) == []


def test_q_searches_ref_summary_and_description(make, desk, listing):
    leak = staff_ticket(make, desk, summary="Leaking tap", description="kitchen")
    light = staff_ticket(make, desk, summary="Hall light", description="Flickers near the TAP")
    assert ids(listing(q="tap")) == [light.id, leak.id]
    assert ids(listing(q="LEAK")) == [leak.id]
    assert ids(listing(q=make.reload(light).ref)) == [light.id]


@pytest.mark.parametrize(("q", "summary"), [("%", "100% done"), ("_", "a_b"), ("\\", "C:\\temp")])
def test_q_wildcard_characters_are_no_wildcards(make, desk, listing, q, summary):
    # Search matches words (letters and digits); punctuation alone matches nothing.
    staff_ticket(make, desk, summary=summary, description="-")
    assert ids(listing(q=q)) == []


def test_updated_since_returns_tickets_changed_at_or_after_the_instant(client, make, desk, listing):
    old = staff_ticket(make, desk)
    new = staff_ticket(make, desk)
    since = make.reload(new).updated_at.isoformat()
    assert ids(listing(updated_since=since)) == [new.id]
    make.message(old, desk.staff, "Any news?")
    assert ids(listing(updated_since=since)) == [new.id, old.id]


@pytest.mark.parametrize(
    "query",
    [
        {"updated_since": "2026-01-01T00:00:00"},  # no time zone
        {"status": "done"},
        {"priority": "urgent"},
        {"department": "sales"},
        {"assignee": "0"},
        {"department": str(10**30)},
        {"limit": "0"},
        {"limit": "1000"},
    ],
)
def test_bad_filters_are_422(client, make, desk, query):
    response = client.get("/api/tickets", query_string=query, headers=make.headers(desk.staff))
    assert response.status_code == 422
    assert set(query) <= set(response.get_json()["errors"])


def test_cursor_pages_return_every_ticket_once_even_while_tickets_are_added(make, desk, listing):
    existing = {staff_ticket(make, desk).id for _ in range(7)}
    seen, cursor, pages = [], None, 0
    while True:
        page = listing(limit=3, **({"cursor": cursor} if cursor else {}))
        seen += ids(page)
        pages += 1
        staff_ticket(make, desk)  # someone reports a problem between two pages
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(existing)
    assert len(seen) == len(set(seen))
    assert pages == 3


def test_the_last_page_has_no_cursor(make, desk, listing):
    staff_ticket(make, desk)
    assert listing(limit=5)["next_cursor"] is None


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    ["not a cursor", "!!!!", _cursor("x:5"), _cursor("t:abc"), _cursor("t:" + "9" * 30), "AA"],
)
def test_a_bad_cursor_is_422(client, make, desk, cursor):
    response = client.get(
        "/api/tickets", query_string={"cursor": cursor}, headers=make.headers(desk.staff)
    )
    assert response.status_code == 422
    assert "cursor" in response.get_json()["errors"]


def test_listing_costs_the_same_queries_for_5_or_25_tickets(app, make, desk, listing):
    def queries_for_listing() -> int:
        statements = []
        with app.app_context():
            engine = db.engine

        def count(*_args):
            statements.append(1)

        event.listen(engine, "before_cursor_execute", count)
        try:
            listing()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    for _ in range(5):
        staff_ticket(make, desk)
    few = queries_for_listing()
    for _ in range(20):
        staff_ticket(make, desk)
    assert queries_for_listing() == few


# Dashboard ------------------------------------------------------------------


@pytest.fixture
def dashboard(client, make):
    def dashboard(user):
        response = client.get("/api/dashboard/updates", headers=make.headers(user))
        assert response.status_code == 200
        return [t["id"] for t in response.get_json()]

    return dashboard


def test_the_dashboard_puts_the_latest_tenant_or_contractor_update_on_top(make, desk, dashboard):
    first = make.ticket(desk.tenant, desk.block, desk.unit)
    second = make.ticket(desk.tenant, desk.block, desk.unit)
    third = make.ticket(desk.tenant, desk.block, desk.unit)
    for ticket in (first, second, third):
        make.triage(ticket, desk.staff)
    assert dashboard(desk.staff) == [third.id, second.id, first.id]

    make.assign(first, desk.contractor, desk.staff)
    make.message(first, desk.contractor, "On site now")
    assert dashboard(desk.staff) == [first.id, third.id, second.id]

    make.message(second, desk.tenant, "Still broken")
    assert dashboard(desk.staff) == [second.id, first.id, third.id]

    # Staff activity does not reorder the manager's view of customer activity.
    make.message(third, desk.staff, "We'll look")
    assert dashboard(desk.staff) == [second.id, first.id, third.id]


def test_the_dashboard_shows_only_tickets_in_scope(make, desk, dashboard):
    ticket = make.ticket(desk.tenant, desk.block, desk.unit)
    outsider = make.user("staff", departments=[make.department()])
    assert dashboard(desk.staff) == [ticket.id]
    assert dashboard(outsider) == []
