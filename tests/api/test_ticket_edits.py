"""Editing a ticket after it was reported, owners, duplicates and the messages list,
through the API."""

import pytest


@pytest.fixture
def site(make):
    department = make.department()
    staff = make.user("staff", departments=[department])
    block = make.block(department=department)
    unit, other_unit = make.unit(block), make.unit(block)
    tenant = make.tenant_in(unit)
    ticket = make.ticket(tenant, block, unit)
    return department, staff, block, unit, other_unit, tenant, ticket


def detail(client, make, user, ticket_id):
    response = client.get(f"/api/tickets/{ticket_id}", headers=make.headers(user))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def feed_titles(client, make, user):
    return [
        n["title"] for n in client.get("/api/notifications", headers=make.headers(user)).get_json()
    ]


def test_an_edit_records_old_and_new_values_in_one_event(client, make, site):
    _, staff, _, unit, other_unit, _, ticket = site
    make.triage(ticket, staff)
    response = client.patch(
        f"/api/tickets/{ticket.id}",
        json={
            "summary": "Leak under the sink",
            "visibility": "unit",
            "unit_id": other_unit.id,
            "deadline_at": "2030-01-02T09:00:00+00:00",
        },
        headers=make.headers(staff),
    )
    assert response.status_code == 200, response.get_json()
    body = detail(client, make, staff, ticket.id)
    assert (body["summary"], body["visibility"], body["unit_id"]) == (
        "Leak under the sink",
        "unit",
        other_unit.id,
    )
    [event] = [e for e in body["events"] if e["kind"] == "updated"]
    changes = event["data"]["changes"]
    assert changes["summary"]["to"] == "Leak under the sink"
    assert changes["unit_id"] == {"from": unit.id, "to": other_unit.id}
    assert changes["deadline_at"]["from"] is None
    assert body["deadline_at"].startswith("2030-01-02T09:00:00")
    # The deadline can be cleared, and saying the same again adds nothing.
    client.patch(
        f"/api/tickets/{ticket.id}", json={"deadline_at": None}, headers=make.headers(staff)
    )
    client.patch(
        f"/api/tickets/{ticket.id}", json={"deadline_at": None}, headers=make.headers(staff)
    )
    again = detail(client, make, staff, ticket.id)
    assert again["deadline_at"] is None
    assert [e["kind"] for e in again["events"]].count("updated") == 2


def test_an_untriaged_or_closed_ticket_refuses_edits_with_409(client, make, site):
    _, staff, *_, ticket = site
    untriaged = client.patch(
        f"/api/tickets/{ticket.id}", json={"summary": "X"}, headers=make.headers(staff)
    )
    assert untriaged.status_code == 409 and untriaged.get_json()["code"] == "ticket_not_triaged"
    make.triage(ticket, staff)
    make.status(ticket, staff, "closed")
    closed = client.patch(
        f"/api/tickets/{ticket.id}", json={"summary": "X"}, headers=make.headers(staff)
    )
    assert closed.status_code == 409 and closed.get_json()["code"] == "ticket_closed"
    assert detail(client, make, staff, ticket.id)["summary"] != "X"


@pytest.mark.parametrize(
    "body",
    [{"unit_id": "other block"}, {"manager_id": "tenant"}, {"owner_id": 999999}, {"summary": ""}],
)
def test_bad_values_change_nothing(client, make, site, body):
    _, staff, _, _, _, tenant, ticket = site
    make.triage(ticket, staff)
    if body.get("unit_id") == "other block":
        body = {"unit_id": make.unit(make.block()).id}
    if body.get("manager_id") == "tenant":
        body = {"manager_id": tenant.id}
    before = detail(client, make, staff, ticket.id)
    response = client.patch(
        f"/api/tickets/{ticket.id}",
        json={"summary": "Changed", **body},
        headers=make.headers(staff),
    )
    assert response.status_code == 422
    after = detail(client, make, staff, ticket.id)
    assert after["summary"] == before["summary"] and after["events"] == before["events"]


def test_a_staff_owner_sees_the_ticket_is_told_and_filters_by_it(client, make, site):
    _, staff, *_, ticket = site
    owner = make.user("staff")  # in no department: sees the ticket only as its owner
    make.triage(ticket, staff)
    assert client.get(f"/api/tickets/{ticket.id}", headers=make.headers(owner)).status_code == 404
    client.patch(
        f"/api/tickets/{ticket.id}", json={"owner_id": owner.id}, headers=make.headers(staff)
    )
    assert detail(client, make, owner, ticket.id)["owner_id"] == owner.id
    assert any(t.startswith("Ticket updated") for t in feed_titles(client, make, owner))
    listed = client.get(f"/api/tickets?owner={owner.id}", headers=make.headers(staff)).get_json()
    assert [t["id"] for t in listed["items"]] == [ticket.id]


def test_moving_a_ticket_to_a_department_tells_its_members(client, make, site):
    _, staff, *_, ticket = site
    lettings = make.department()
    member = make.user("staff", departments=[lettings])
    make.triage(ticket, staff)
    client.patch(
        f"/api/tickets/{ticket.id}",
        json={"department_id": lettings.id},
        headers=make.headers(staff),
    )
    assert any(t.startswith("Ticket updated") for t in feed_titles(client, make, member))


def test_a_duplicate_is_closed_linked_both_ways_and_its_reporter_told(client, make, site):
    _, staff, block, unit, _, tenant, original = site
    neighbour = make.tenant_in(unit)
    duplicate = make.ticket(neighbour, block, unit)
    response = client.post(
        f"/api/tickets/{duplicate.id}/duplicate",
        json={"duplicate_of": original.id},
        headers=make.headers(staff),
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "closed"
    assert response.get_json()["duplicate_of_id"] == original.id
    assert detail(client, make, staff, original.id)["duplicate_ids"] == [duplicate.id]
    seen = client.get("/api/notifications", headers=make.headers(neighbour)).get_json()
    assert any(f"Duplicate of {original.ref}" in n["body"] for n in seen)
    again = client.post(
        f"/api/tickets/{duplicate.id}/duplicate",
        json={"duplicate_of": original.id},
        headers=make.headers(staff),
    )
    assert again.status_code == 409 and again.get_json()["code"] == "ticket_closed"
    third = make.ticket(tenant, block, unit)
    chained = client.post(
        f"/api/tickets/{third.id}/duplicate",
        json={"duplicate_of": duplicate.id},
        headers=make.headers(staff),
    )
    assert chained.status_code == 409 and chained.get_json()["code"] == "duplicate_of_duplicate"
    myself = client.post(
        f"/api/tickets/{third.id}/duplicate",
        json={"duplicate_of": third.id},
        headers=make.headers(staff),
    )
    assert myself.status_code == 422


def test_closing_a_ticket_ends_its_assignments(client, make, site):
    _, staff, *_, ticket = site
    contractor = make.user("contractor")
    make.triage(ticket, staff)
    make.assign(ticket, contractor, staff)
    client.post(
        f"/api/tickets/{ticket.id}/status", json={"status": "closed"}, headers=make.headers(staff)
    )
    body = detail(client, make, staff, ticket.id)
    [assignment] = body["assignments"]
    assert assignment["active"] is False and assignment["ended_at"]
    assert body["events"][-1]["kind"] == "unassigned"
    listed = client.get(f"/api/tickets?assignee={contractor.id}", headers=make.headers(staff))
    assert listed.get_json()["items"] == []


def test_messages_are_listed_as_the_caller_may_read_them_a_page_at_a_time(client, make, site):
    _, staff, *_, tenant, ticket = site
    contractor = make.user("contractor")
    make.triage(ticket, staff)
    make.assign(ticket, contractor, staff)
    for n in range(3):
        make.message(ticket, staff, f"public {n}")
    make.message(ticket, staff, "team note", "team")
    make.message(ticket, staff, "staff note", "staff")

    def bodies(user, limit=2):
        seen, cursor = [], None
        while True:
            query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
            page = client.get(
                f"/api/tickets/{ticket.id}/messages{query}", headers=make.headers(user)
            )
            assert page.status_code == 200, page.get_json()
            seen += [m["body"] for m in page.get_json()["items"]]
            cursor = page.get_json()["next_cursor"]
            if cursor is None:
                return seen

    assert bodies(tenant) == ["public 0", "public 1", "public 2"]
    assert bodies(contractor) == ["public 0", "public 1", "public 2", "team note"]
    assert bodies(staff, limit=50) == [
        "public 0",
        "public 1",
        "public 2",
        "team note",
        "staff note",
    ]
    bad = client.get(f"/api/tickets/{ticket.id}/messages?cursor=nope", headers=make.headers(staff))
    assert bad.status_code == 422
