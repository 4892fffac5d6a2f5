"""Blocks, units and tenancies through the API: read, edit, end; `/api/me` for tenants."""

from datetime import date, timedelta

from tests.sync.conftest import world  # noqa: F401  (the sync fixture, for a device's view)


def test_staff_read_a_block_and_its_units(client, make):
    staff = make.user("staff")
    block = make.block(name="Riverside")
    flat_b, flat_a = make.unit(block, "Flat B"), make.unit(block, "Flat A")
    headers = make.headers(staff)
    assert client.get(f"/api/blocks/{block.id}", headers=headers).get_json()["name"] == "Riverside"
    units = client.get(f"/api/blocks/{block.id}/units", headers=headers).get_json()
    assert [u["id"] for u in units] == [flat_a.id, flat_b.id]
    assert client.get(f"/api/units/{flat_a.id}", headers=headers).get_json()["name"] == "Flat A"
    assert client.get("/api/blocks/999999/units", headers=headers).status_code == 404


def test_admin_edits_a_block_and_a_unit_and_bad_input_changes_nothing(client, make):
    admin = make.user("admin")
    block = make.block(name="Old name")
    unit = make.unit(block, "Flat 1")
    headers = make.headers(admin)
    response = client.patch(
        f"/api/blocks/{block.id}",
        json={"name": "New name", "address": "2 New Road", "access_notes": None},
        headers=headers,
    )
    assert response.status_code == 200
    assert (response.get_json()["name"], response.get_json()["address"]) == (
        "New name",
        "2 New Road",
    )
    bad = client.patch(
        f"/api/blocks/{block.id}", json={"name": "X", "manager_id": 999999}, headers=headers
    )
    assert bad.status_code == 422
    assert client.get(f"/api/blocks/{block.id}", headers=headers).get_json()["name"] == "New name"
    renamed = client.patch(f"/api/units/{unit.id}", json={"name": "Flat 1A"}, headers=headers)
    assert renamed.status_code == 200 and renamed.get_json()["name"] == "Flat 1A"
    empty = client.patch(f"/api/units/{unit.id}", json={"name": ""}, headers=headers)
    assert empty.status_code == 422


def test_ending_a_tenancy_keeps_it_in_the_units_history_and_ends_the_tenants_view(client, make):
    staff = make.user("staff")
    block = make.block()
    unit = make.unit(block)
    tenant = make.tenant_in(unit)
    neighbour = make.tenant_in(make.unit(block))
    shared = make.ticket(neighbour, block, visibility="block")
    assert client.get(f"/api/tickets/{shared.id}", headers=make.headers(tenant)).status_code == 200
    [tenancy] = client.get(
        f"/api/units/{unit.id}/tenancies", headers=make.headers(staff)
    ).get_json()
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    response = client.post(
        f"/api/tenancies/{tenancy['id']}/end",
        json={"ends_on": yesterday},
        headers=make.headers(staff),
    )
    assert response.status_code == 200 and response.get_json()["ends_on"] == yesterday
    history = client.get(f"/api/units/{unit.id}/tenancies", headers=make.headers(staff)).get_json()
    assert [t["ends_on"] for t in history] == [yesterday]
    assert history[0]["tenant_name"] == tenant.name
    assert client.get(f"/api/tickets/{shared.id}", headers=make.headers(tenant)).status_code == 404
    again = client.post(f"/api/tenancies/{tenancy['id']}/end", json={}, headers=make.headers(staff))
    assert again.status_code == 409 and again.get_json()["code"] == "tenancy_ended"


def test_a_tenancy_cannot_end_before_it_starts(client, make):
    staff = make.user("staff")
    unit = make.unit(make.block())
    tenant = make.user("tenant")
    tenancy = make.tenancy(tenant, unit, starts_on=date.today())
    response = client.post(
        f"/api/tenancies/{tenancy.id}/end",
        json={"ends_on": (date.today() - timedelta(days=3)).isoformat()},
        headers=make.headers(staff),
    )
    assert response.status_code == 422
    listed = client.get(f"/api/units/{unit.id}/tenancies", headers=make.headers(staff)).get_json()
    assert listed[0]["ends_on"] is None


def test_me_tells_a_tenant_where_they_live_today(client, make):
    block = make.block(name="Riverside", address="1 River Lane")
    unit = make.unit(block, "Flat 3")
    tenant = make.tenant_in(unit)
    make.tenancy(
        tenant, make.unit(make.block()), starts_on=date(2000, 1, 1), ends_on=date(2001, 1, 1)
    )
    me = client.get("/api/me", headers=make.headers(tenant)).get_json()
    assert me["tenancies"] == [
        {
            "id": me["tenancies"][0]["id"],
            "unit_id": unit.id,
            "unit_name": "Flat 3",
            "block_id": block.id,
            "block_name": "Riverside",
            "address": "1 River Lane",
            "starts_on": me["tenancies"][0]["starts_on"],
            "ends_on": None,
        }
    ]
    staff = client.get("/api/me", headers=make.headers(make.user("staff"))).get_json()
    assert staff["tenancies"] == []


def test_a_renamed_block_and_unit_reach_the_device_at_its_next_pull(world):  # noqa: F811
    headers = world.headers("carl@x.test")
    first = world.pull(headers).get_json()
    [ticket] = first["changes"]["tickets"]["created"]
    assert ticket["address"] == "1 River Lane"
    nothing = world.pull(headers, last=first["timestamp"]).get_json()
    assert nothing["changes"]["tickets"]["updated"] == []
    admin = {"Authorization": world.headers("admin@x.test", None)["Authorization"]}
    world.client.patch(
        f"/api/blocks/{world.block_id}",
        json={"address": "9 New Quay", "access_notes": "Ring the porter"},
        headers=admin,
    )
    world.client.patch(f"/api/units/{world.unit_id}", json={"name": "Flat 1B"}, headers=admin)
    later = world.pull(headers, last=first["timestamp"]).get_json()
    [again] = later["changes"]["tickets"]["updated"]
    assert (again["address"], again["unit_name"]) == ("9 New Quay", "Flat 1B")
    assert again["access_notes"].startswith("Ring the porter")
