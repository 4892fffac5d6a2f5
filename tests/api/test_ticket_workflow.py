"""The ticket workflow through the API: triage first, automatic status moves on replies,
who may close, resolve and reopen, and who may report for whom."""

import pytest
from sqlalchemy import update

from server.extensions import db
from server.models import Ticket
from tests.api import ticket_site
from tests.api.ticket_site import events, report, status_of, triaged

act, site = ticket_site.act, ticket_site.site  # fixtures

# Triage ---------------------------------------------------------------------


def test_a_tenant_report_starts_as_an_untriaged_new_enquiry(act, site):
    response = act(
        site.tenant,
        "POST",
        "/api/tickets",
        json={"summary": "Damp", "description": "Mould", "block_id": site.block.id},
    )
    assert response.status_code == 201
    ticket = response.get_json()
    assert (ticket["type"], ticket["priority"], ticket["status"]) == (
        "new_enquiry",
        "unassigned",
        "new",
    )
    assert ticket["reporter_id"] == site.tenant.id
    assert ticket["visibility"] == "management"


STAFF_UPDATES = {
    "public reply": ("POST", "/messages", {"body": "On it"}),
    "team reply": ("POST", "/messages", {"body": "Note", "visibility": "team"}),
    "staff note": ("POST", "/messages", {"body": "Note", "visibility": "staff"}),
    "hold": ("POST", "/status", {"status": "on_hold"}),
    "resolve": ("POST", "/status", {"status": "resolved"}),
}


@pytest.mark.parametrize("update_name", [*STAFF_UPDATES, "assign"])
def test_staff_must_triage_a_tenant_report_before_any_other_update(act, make, site, update_name):
    ticket = report(make, site)
    before = events(act, site.staff, ticket)
    if update_name == "assign":
        method, path, body = "POST", "/assignments", {"contractor_id": site.contractor.id}
    else:
        method, path, body = STAFF_UPDATES[update_name]
    response = act(site.staff, method, path, ticket, body)
    assert response.status_code == 409
    assert response.get_json()["code"] == "ticket_not_triaged"
    assert "triage" in response.get_json()["detail"]
    assert events(act, site.staff, ticket) == before
    assert make.reload(ticket).status == "new"


def test_after_triage_staff_may_update(act, make, site):
    ticket = report(make, site)
    response = act(site.staff, "POST", "/triage", ticket, {"type": "repair", "priority": "high"})
    assert response.status_code == 200
    assert (response.get_json()["type"], response.get_json()["priority"]) == ("repair", "high")
    assign = act(site.staff, "POST", "/assignments", ticket, {"contractor_id": site.contractor.id})
    assert assign.status_code == 201
    assert act(site.staff, "POST", "/messages", ticket, {"body": "Booked"}).status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "new_enquiry", "priority": "high"}, "type"),
        ({"type": "repair", "priority": "unassigned"}, "priority"),
        ({"type": "no_such_type", "priority": "high"}, "type"),
        ({"type": "repair", "priority": "urgent"}, "priority"),
        ({"type": "repair", "priority": "high", "department_id": 999999}, "department_id"),
        ({"type": "repair", "priority": "high", "billing": "free"}, "billing"),
        ({"priority": "high"}, "type"),
    ],
)
def test_triage_needs_a_real_type_and_priority(act, make, site, body, field):
    ticket = report(make, site)
    response = act(site.staff, "POST", "/triage", ticket, body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert make.reload(ticket).triaged_at is None


def test_the_reporter_may_withdraw_an_untriaged_report(act, make, site):
    ticket = report(make, site)
    assert act(site.tenant, "POST", "/status", ticket, {"status": "closed"}).status_code == 200
    assert status_of(make, ticket) == "closed"


# Automatic moves on replies -------------------------------------------------


@pytest.mark.parametrize(
    ("start", "author", "visibility", "after"),
    [
        ("new", "staff", "public", "on_hold"),
        ("open", "staff", "public", "on_hold"),
        ("open", "staff", "team", "open"),
        ("open", "staff", "staff", "open"),
        ("new", "staff", "team", "new"),
        ("on_hold", "tenant", "public", "open"),
        ("new", "tenant", "public", "open"),
        ("on_hold", "contractor", "public", "open"),
        ("on_hold", "contractor", "team", "open"),
        ("new", "contractor", "public", "open"),
    ],
)
def test_replies_move_the_status(act, make, site, start, author, visibility, after):
    ticket = triaged(make, site)
    make.assign(ticket, site.contractor, site.staff)
    if start == "open":
        make.message(ticket, site.tenant)
    elif start == "on_hold":
        make.message(ticket, site.staff)
    assert status_of(make, ticket) == start
    user = getattr(site, author)
    response = act(user, "POST", "/messages", ticket, {"body": "Hi", "visibility": visibility})
    assert response.status_code == 201
    assert status_of(make, ticket) == after


def test_a_status_moved_by_a_reply_is_on_the_timeline(act, make, site):
    ticket = triaged(make, site)
    make.message(ticket, site.staff)
    moves = [e["data"] for e in events(act, site.tenant, ticket) if e["kind"] == "status_changed"]
    assert moves == [{"from": "new", "to": "on_hold", "reason": "staff replied"}]


# Status changes ---------------------------------------------------------------


def test_a_tenant_closes_and_reopens_their_own_ticket(act, make, site):
    ticket = triaged(make, site)
    closed = act(site.tenant, "POST", "/status", ticket, {"status": "closed", "reason": "Fixed"})
    assert closed.status_code == 200
    assert closed.get_json()["status"] == "closed"
    assert closed.get_json()["closed_at"] is not None
    reopened = act(site.tenant, "POST", "/status", ticket, {"status": "open"})
    assert reopened.status_code == 200
    assert reopened.get_json()["status"] == "open"
    assert reopened.get_json()["closed_at"] is None


@pytest.mark.parametrize("target", ["resolved", "on_hold"])
def test_a_tenant_may_not_resolve_or_hold(act, make, site, target):
    ticket = triaged(make, site)
    response = act(site.tenant, "POST", "/status", ticket, {"status": target})
    assert response.status_code == 403
    assert response.get_json()["code"] == "forbidden_status_move"
    assert status_of(make, ticket) == "new"


def test_a_neighbour_may_read_but_not_close_a_ticket_published_to_the_block(act, make, site):
    ticket = triaged(make, site, visibility="block")
    assert act(site.neighbour, "GET", "", ticket).status_code == 200
    assert act(site.neighbour, "POST", "/status", ticket, {"status": "closed"}).status_code == 403
    assert status_of(make, ticket) == "new"


def test_a_closed_ticket_has_no_contractor_left_to_move_it(act, make, site):
    ticket = triaged(make, site, billing="chargeable")
    make.assign(ticket, site.contractor, site.staff)
    make.status(ticket, site.staff, "closed")
    response = act(site.contractor, "POST", "/status", ticket, {"status": "resolved"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("role", "setup", "target", "code"),
    [
        ("staff", "on_hold", "new", "illegal_status_move"),
        ("staff", "on_hold", "on_hold", "status_unchanged"),
        ("tenant", "closed", "closed", "status_unchanged"),
        ("tenant", None, "open", "illegal_status_move"),
        ("staff", "closed", "resolved", "illegal_status_move"),
        ("contractor", None, "open", "illegal_status_move"),
    ],
)
def test_illegal_moves_are_409_with_a_code(act, make, site, role, setup, target, code):
    ticket = triaged(make, site, billing="chargeable")
    make.assign(ticket, site.contractor, site.staff)
    if setup:
        make.status(ticket, site.staff, setup)
    before = make.reload(ticket)
    user = {"staff": site.staff, "tenant": site.tenant, "contractor": site.contractor}[role]
    response = act(user, "POST", "/status", ticket, {"status": target})
    assert response.status_code == 409
    assert response.get_json()["code"] == code
    assert make.reload(ticket).event_count == before.event_count


def test_an_unknown_status_is_422(act, make, site):
    ticket = triaged(make, site)
    response = act(site.staff, "POST", "/status", ticket, {"status": "cancelled"})
    assert response.status_code == 422
    assert "status" in response.get_json()["errors"]


def test_an_included_ticket_closes_when_resolved(act, make, site):
    ticket = triaged(make, site)
    make.assign(ticket, site.contractor, site.staff)
    response = act(site.contractor, "POST", "/status", ticket, {"status": "resolved"})
    assert response.status_code == 200
    assert response.get_json()["status"] == "closed"
    moves = [
        (e["data"]["to"], e["author_role"])
        for e in events(act, site.staff, ticket)
        if e["kind"] == "status_changed"
    ]
    assert moves == [("resolved", "contractor"), ("closed", "system")]


def test_a_chargeable_ticket_stays_resolved_until_paid(act, make, site, app):
    ticket = triaged(make, site, billing="chargeable")
    resolved = act(site.staff, "POST", "/status", ticket, {"status": "resolved"})
    assert resolved.get_json()["status"] == "resolved"
    with app.app_context():  # what billing does when it issues the invoice
        db.session.execute(
            update(Ticket).where(Ticket.id == ticket.id).values(awaiting_payment=True)
        )
        db.session.commit()
    for user in (site.staff, site.tenant):
        response = act(user, "POST", "/status", ticket, {"status": "closed"})
        assert response.status_code == 409
        assert response.get_json()["code"] == "ticket_awaiting_payment"
    assert status_of(make, ticket) == "resolved"


# Who reports ------------------------------------------------------------------


def test_a_contractor_who_starts_a_ticket_is_assigned_to_it(act, site):
    response = act(
        site.contractor,
        "POST",
        "/api/tickets",
        json={"summary": "Cracked pane", "description": "Found on site", "block_id": site.block.id},
    )
    assert response.status_code == 201
    created = response.get_json()
    detail = act(site.contractor, "GET", f"/api/tickets/{created['id']}").get_json()
    assert [(a["contractor_id"], a["active"]) for a in detail["assignments"]] == [
        (site.contractor.id, True)
    ]
    assert created["type"] == "new_enquiry"
    listed = act(site.contractor, "GET", "/api/tickets").get_json()["items"]
    assert [t["id"] for t in listed] == [created["id"]]


def test_staff_report_on_behalf_of_a_tenant_who_then_owns_the_ticket(act, site):
    response = act(
        site.staff,
        "POST",
        "/api/tickets",
        json={
            "summary": "Phoned in: no heating",
            "description": "Called the office at 9",
            "block_id": site.block.id,
            "unit_id": site.unit.id,
            "reporter_id": site.tenant.id,
            "type": "repair",
            "priority": "high",
        },
    )
    assert response.status_code == 201
    ticket = response.get_json()
    assert (ticket["reporter_id"], ticket["type"], ticket["priority"]) == (
        site.tenant.id,
        "repair",
        "high",
    )
    path = f"/api/tickets/{ticket['id']}"
    assert act(site.tenant, "GET", path).status_code == 200
    assert act(site.tenant, "POST", path + "/messages", json={"body": "Thanks"}).status_code == 201
    # Staff opened it with a type and priority: no triage needed.
    assert act(site.staff, "POST", path + "/messages", json={"body": "Booked"}).status_code == 201


def test_staff_address_a_ticket_to_a_tenant_who_may_then_reply(act, site):
    response = act(
        site.staff,
        "POST",
        "/api/tickets",
        json={
            "summary": "Access needed",
            "description": "Please let the plumber in",
            "block_id": site.block.id,
            "addressed_to_id": site.neighbour.id,
        },
    )
    assert response.status_code == 201
    ticket = response.get_json()
    assert ticket["addressed_to_id"] == site.neighbour.id
    assert ticket["reporter_id"] == site.staff.id
    path = f"/api/tickets/{ticket['id']}"
    assert act(site.neighbour, "POST", path + "/messages", json={"body": "OK"}).status_code == 201
    assert act(site.tenant, "GET", path).status_code == 404


@pytest.mark.parametrize("field", ["reporter_id", "addressed_to_id"])
def test_only_a_tenant_can_be_reported_for_or_addressed(act, site, field):
    response = act(
        site.staff,
        "POST",
        "/api/tickets",
        json={"summary": "x", "description": "y", "block_id": site.block.id, field: site.staff.id},
    )
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


@pytest.mark.parametrize(
    "field",
    [
        ("type", "repair"),
        ("priority", "high"),
        ("billing", "chargeable"),
        ("bill_to", "Landlord"),
        ("deadline_at", "2030-01-01T00:00:00Z"),
        ("reporter_id", None),
        ("addressed_to_id", None),
    ],
    ids=lambda f: f[0],
)
def test_tenants_may_not_set_staff_fields_when_reporting(act, site, field):
    name, value = field
    body = {"summary": "x", "description": "y", "block_id": site.block.id}
    body[name] = site.neighbour.id if value is None else value
    response = act(site.tenant, "POST", "/api/tickets", json=body)
    assert response.status_code == 403
    assert name in response.get_json()["detail"]


def test_a_tenant_reports_only_where_they_live(act, make, site):
    elsewhere = make.block()
    response = act(
        site.tenant,
        "POST",
        "/api/tickets",
        json={"summary": "x", "description": "y", "block_id": elsewhere.id},
    )
    assert response.status_code == 422
    assert "block_id" in response.get_json()["errors"]
