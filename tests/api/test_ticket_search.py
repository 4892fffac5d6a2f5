"""Search and filters of the ticket list (`GET /api/tickets`): the same tickets on
SQLite (FTS5) and PostgreSQL (tsvector), kept current by the change itself."""

from datetime import timedelta

import pytest

from server.db import utcnow


@pytest.fixture
def site(make):
    department = make.department()
    staff = make.user("staff", departments=[department])
    admin = make.user("admin")
    riverside = make.block(department=department, name="Riverside Court", address="12 Mill Lane")
    hillview = make.block(department=department, name="Hillview", address="3 Hill Road")
    flat = make.unit(riverside, "Flat 7")
    zoe = make.tenant_in(flat, name="Zoë Łukasiewicz")
    boiler = make.ticket(zoe, riverside, flat, summary="Boiler pressure low")
    window = make.ticket(staff, hillview, summary="Cracked window", description="Pane in hall")
    make.triage(boiler, staff)
    make.message(boiler, staff, "The engineer brings a thermocouple on Tuesday")
    return staff, admin, riverside, hillview, flat, zoe, boiler, window


def found(client, make, user, query):
    response = client.get(f"/api/tickets?{query}", headers=make.headers(user))
    assert response.status_code == 200, response.get_json()
    return [t["id"] for t in response.get_json()["items"]]


@pytest.mark.parametrize(
    ("q", "which"),
    [
        ("boiler", "boiler"),
        ("BOIL", "boiler"),  # prefixes, any case
        ("thermocouple", "boiler"),  # a message body
        ("łukasiewicz", "boiler"),  # the reporter's name
        ("zoë", "boiler"),
        ("mill lane", "boiler"),  # the block's address
        ("riverside", "boiler"),
        ("flat 7", "boiler"),
        ("pane hall", "window"),  # the description, every word required
        ("hillview", "window"),
        ("window boiler", None),
        ("%", None),
        ("nothing-like-this", None),
    ],
)
def test_search_finds_tickets_by_their_words(client, make, site, q, which):
    staff, *_, boiler, window = site
    expected = {"boiler": [boiler.id], "window": [window.id], None: []}[which]
    assert found(client, make, staff, f"q={q}") == expected


def test_search_finds_a_ticket_by_its_ref(client, make, site):
    staff, *_, boiler, _ = site
    assert found(client, make, staff, f"q={boiler.ref}") == [boiler.id]


def test_search_follows_a_renamed_block_and_a_new_message_at_once(client, make, site):
    staff, admin, riverside, *_, boiler, _ = site
    client.patch(
        f"/api/blocks/{riverside.id}", json={"name": "Waterside"}, headers=make.headers(admin)
    )
    assert found(client, make, staff, "q=waterside") == [boiler.id]
    assert found(client, make, staff, "q=riverside") == []
    client.post(
        f"/api/tickets/{boiler.id}/messages",
        json={"body": "Gasket ordered"},
        headers=make.headers(staff),
    )
    assert found(client, make, staff, "q=gasket") == [boiler.id]


def test_search_stays_inside_the_callers_scope(client, make, site):
    *_, boiler, _ = site
    outsider = make.user("staff", departments=[make.department()])
    assert found(client, make, outsider, "q=boiler") == []


def test_filters_by_reporter_block_unit_manager_and_time(client, make, site):
    staff, _, riverside, hillview, flat, zoe, boiler, window = site
    assert found(client, make, staff, f"reporter={zoe.id}") == [boiler.id]
    assert found(client, make, staff, f"block={hillview.id}") == [window.id]
    assert found(client, make, staff, f"unit={flat.id}") == [boiler.id]
    assert found(client, make, staff, f"manager={staff.id}") == []
    hour_ago = (utcnow() - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    in_an_hour = (utcnow() + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert set(found(client, make, staff, f"created_after={hour_ago}")) == {boiler.id, window.id}
    assert found(client, make, staff, f"created_before={hour_ago}") == []
    assert set(found(client, make, staff, f"updated_before={in_an_hour}")) == {boiler.id, window.id}


@pytest.mark.parametrize(
    "query", ["colour=red", "reporter=abc", "limit=500", "customer=1", "created_after=yesterday"]
)
def test_unknown_or_bad_list_parameters_answer_422(client, make, site, query):
    staff = site[0]
    response = client.get(f"/api/tickets?{query}", headers=make.headers(staff))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
