"""Blocks, units, tenancies and certificates: the admin endpoints, their validation,
and who may read a block's certificates."""

from datetime import date, timedelta

import pytest

TODAY = date.today()


@pytest.fixture
def admin(make):
    return make.user("admin")


@pytest.fixture
def post(client, make):
    def post(user, url, body):
        return client.post(url, json=body, headers=make.headers(user))

    return post


def blocks(client, make, user) -> list[dict]:
    return client.get("/api/blocks", headers=make.headers(user)).get_json()


# Blocks and units ------------------------------------------------------------


def test_an_admin_creates_a_block_with_its_manager_and_department(client, make, admin, post):
    manager, department = make.user("staff"), make.department()
    response = post(
        admin,
        "/api/blocks",
        {
            "name": "Riverside Court",
            "address": "12 River Lane",
            "manager_id": manager.id,
            "department_id": department.id,
            "access_notes": "Key safe by the bins",
        },
    )
    assert response.status_code == 201
    block = response.get_json()
    assert (block["manager_id"], block["department_id"]) == (manager.id, department.id)
    assert [b["name"] for b in blocks(client, make, admin)] == ["Riverside Court"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"address": "1 Road"}, "name"),
        ({"name": "", "address": "1 Road"}, "name"),
        ({"name": "x" * 201, "address": "1 Road"}, "name"),
        ({"name": "A", "address": "1 Road", "manager_id": 999999}, "manager_id"),
        ({"name": "A", "address": "1 Road", "manager_id": "tenant"}, "manager_id"),
        ({"name": "A", "address": "1 Road", "manager_id": 10**30}, "manager_id"),
        ({"name": "A", "address": "1 Road", "department_id": 999999}, "department_id"),
        ({"name": "A", "address": "1 Road", "department_id": "1"}, "department_id"),
        ({"name": "A", "address": "1 Road", "floors": 3}, "floors"),
    ],
)
def test_a_bad_block_is_422_and_nothing_is_written(client, make, admin, post, body, field):
    if body.get("manager_id") == "tenant":
        body["manager_id"] = make.user("tenant").id  # a manager is staff
    response = post(admin, "/api/blocks", body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert blocks(client, make, admin) == []


def test_an_admin_adds_units_to_a_block(make, admin, post):
    block = make.block()
    response = post(admin, f"/api/blocks/{block.id}/units", {"name": "Flat 1"})
    assert response.status_code == 201
    assert (response.get_json()["block_id"], response.get_json()["name"]) == (block.id, "Flat 1")


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "name"), ({"name": ""}, "name"), ({"name": "x" * 101}, "name"), ({"name": 5}, "name")],
)
def test_a_bad_unit_is_422(make, admin, post, body, field):
    response = post(admin, f"/api/blocks/{make.block().id}/units", body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_a_unit_of_an_unknown_block_is_404(admin, post):
    assert post(admin, "/api/blocks/424242/units", {"name": "Flat 1"}).status_code == 404


# Tenancies ------------------------------------------------------------------


@pytest.fixture
def flat(make):
    return make.unit(make.block())


def tenancy(post, user, unit, tenant, starts_on, ends_on=None):
    body = {"tenant_id": tenant.id, "starts_on": starts_on.isoformat()}
    if ends_on is not None:
        body["ends_on"] = ends_on.isoformat()
    return post(user, f"/api/units/{unit.id}/tenancies", body)


def test_staff_record_a_tenancy_which_lets_the_tenant_report(make, post, flat):
    staff, tenant = make.user("staff"), make.user("tenant")
    response = tenancy(post, staff, flat, tenant, TODAY)
    assert response.status_code == 201
    assert response.get_json()["ends_on"] is None
    report = post(
        tenant,
        "/api/tickets",
        {"summary": "Leak", "description": "Drip", "block_id": flat.block_id, "unit_id": flat.id},
    )
    assert report.status_code == 201


@pytest.mark.parametrize(
    ("existing", "new"),
    [
        ((0, None), (10, None)),  # open-ended tenancy already covers the new start
        ((0, 30), (30, 60)),  # shares the last day
        ((10, 20), (0, None)),  # new open-ended one starts before it
        ((10, 20), (12, 15)),  # inside
    ],
)
def test_an_overlapping_tenancy_of_the_same_tenant_is_409(make, post, flat, existing, new):
    staff, tenant = make.user("staff"), make.user("tenant")

    def days(offsets):
        start, end = offsets
        ends_on = None if end is None else TODAY + timedelta(days=end)
        return TODAY + timedelta(days=start), ends_on

    assert tenancy(post, staff, flat, tenant, *days(existing)).status_code == 201
    response = tenancy(post, staff, flat, tenant, *days(new))
    assert response.status_code == 409
    assert response.get_json()["code"] == "tenancy_overlap"


def test_consecutive_tenancies_and_joint_tenants_are_fine(make, post, flat):
    staff, tenant, partner = make.user("staff"), make.user("tenant"), make.user("tenant")
    first_end = TODAY + timedelta(days=30)
    assert tenancy(post, staff, flat, tenant, TODAY, first_end).status_code == 201
    assert tenancy(post, staff, flat, tenant, first_end + timedelta(days=1)).status_code == 201
    assert tenancy(post, staff, flat, partner, TODAY).status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"starts_on": "2026-01-01"}, "tenant_id"),
        ({"tenant_id": 999999, "starts_on": "2026-01-01"}, "tenant_id"),
        ({"tenant_id": "staff", "starts_on": "2026-01-01"}, "tenant_id"),
        ({"tenant_id": "tenant"}, "starts_on"),
        ({"tenant_id": "tenant", "starts_on": "yesterday"}, "starts_on"),
        ({"tenant_id": "tenant", "starts_on": "2026-02-01", "ends_on": "2026-01-01"}, "ends_on"),
        ({"tenant_id": "tenant", "starts_on": "2026-01-01", "rent": 900}, "rent"),
    ],
)
def test_a_bad_tenancy_is_422(make, post, flat, body, field):
    staff = make.user("staff")
    if isinstance(body.get("tenant_id"), str):
        body["tenant_id"] = make.user(body["tenant_id"]).id
    response = post(staff, f"/api/units/{flat.id}/tenancies", body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_a_tenancy_of_an_unknown_unit_is_404(make, post):
    body = {"tenant_id": make.user("tenant").id, "starts_on": TODAY.isoformat()}
    assert post(make.user("staff"), "/api/units/424242/tenancies", body).status_code == 404


@pytest.mark.parametrize(
    ("starts", "ends"), [(-60, -1), (1, None)], ids=["ended", "not yet started"]
)
def test_only_a_current_tenancy_lets_a_tenant_see_their_block(make, client, starts, ends):
    block = make.block()
    neighbour = make.tenant_in(make.unit(block))
    published = make.ticket(neighbour, block, visibility="block")
    tenant = make.user("tenant")
    make.tenancy(
        tenant,
        make.unit(block),
        starts_on=TODAY + timedelta(days=starts),
        ends_on=None if ends is None else TODAY + timedelta(days=ends),
    )
    headers = make.headers(tenant)
    assert client.get(f"/api/tickets/{published.id}", headers=headers).status_code == 404
    report = client.post(
        "/api/tickets",
        json={"summary": "x", "description": "y", "block_id": block.id},
        headers=headers,
    )
    assert report.status_code == 422


# Certificates -----------------------------------------------------------------


def test_staff_record_certificates_listed_by_expiry(client, make, post):
    staff, block = make.user("staff"), make.block()
    unit = make.unit(block)
    for kind, expires, unit_id in (("epc", 3000, None), ("gas_safety", 200, unit.id)):
        body = {
            "kind": kind,
            "number": f"{kind}-1",
            "issued_on": TODAY.isoformat(),
            "expires_on": (TODAY + timedelta(days=expires)).isoformat(),
            "unit_id": unit_id,
        }
        assert post(staff, f"/api/blocks/{block.id}/certificates", body).status_code == 201
    listed = client.get(f"/api/blocks/{block.id}/certificates", headers=make.headers(staff))
    assert [(c["kind"], c["unit_id"]) for c in listed.get_json()] == [
        ("gas_safety", unit.id),
        ("epc", None),
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "plumbing"}, "kind"),
        ({"number": ""}, "number"),
        ({"issued_on": "2026-13-01"}, "issued_on"),
        ({"expires_on": "2020-01-01"}, "expires_on"),
        ({"unit_id": "elsewhere"}, "unit_id"),
        ({"unit_id": 999999}, "unit_id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_certificate_is_422_and_nothing_is_written(client, make, post, change, field):
    staff, block = make.user("staff"), make.block()
    body = {"kind": "epc", "number": "E-1", "issued_on": "2026-01-01", "expires_on": "2036-01-01"}
    body.update(change)
    if body.get("unit_id") == "elsewhere":
        body["unit_id"] = make.unit(make.block()).id
    response = post(staff, f"/api/blocks/{block.id}/certificates", body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    listed = client.get(f"/api/blocks/{block.id}/certificates", headers=make.headers(staff))
    assert listed.get_json() == []


def test_certificates_of_an_unknown_block_are_404(client, make, post):
    staff = make.user("staff")
    assert (
        client.get("/api/blocks/424242/certificates", headers=make.headers(staff)).status_code
        == 404
    )
    body = {"kind": "epc", "number": "E-1", "issued_on": "2026-01-01", "expires_on": "2036-01-01"}
    assert post(staff, "/api/blocks/424242/certificates", body).status_code == 404


@pytest.fixture
def certified(make):
    """A certified block with a tenant, a ticket and contractors in various relations."""
    department = make.department()
    staff = make.user("staff", departments=[department])
    block = make.block(department=department)
    make.certificate(block, number="GS-1")
    tenant = make.tenant_in(make.unit(block))
    ticket = make.ticket(tenant, block)
    make.triage(ticket, staff)
    working, finished = make.user("contractor"), make.user("contractor")
    make.assign(ticket, working, staff)
    make.assign(ticket, finished, staff)
    make.end_assignment(ticket, finished, staff)
    return {
        "tenant of the block": (tenant, 200),
        "contractor working in the block": (working, 200),
        "contractor whose job there ended": (finished, 404),
        "contractor never there": (make.user("contractor"), 404),
        "tenant of another block": (make.tenant_in(make.unit(make.block())), 404),
        "tenant without a home": (make.user("tenant"), 404),
        "block": block,
    }


@pytest.mark.parametrize(
    "who",
    [
        "tenant of the block",
        "contractor working in the block",
        "contractor whose job there ended",
        "contractor never there",
        "tenant of another block",
        "tenant without a home",
    ],
)
def test_who_reads_a_blocks_certificates(client, make, certified, who):
    user, status = certified[who]
    block = certified["block"]
    response = client.get(f"/api/blocks/{block.id}/certificates", headers=make.headers(user))
    assert response.status_code == status
    if status == 200:
        assert [c["number"] for c in response.get_json()] == ["GS-1"]


def test_a_tenant_reads_the_buildings_certificates_and_their_homes_not_a_neighbours(client, make):
    block = make.block()
    home, next_door = make.unit(block), make.unit(block)
    tenant = make.tenant_in(home)
    make.certificate(block, number="BLOCK-FIRE")
    make.certificate(block, kind="electrical", unit=home, number="MY-EICR")
    make.certificate(block, kind="electrical", unit=next_door, number="NEIGHBOUR-EICR")
    staff = make.user("staff")
    path = f"/api/blocks/{block.id}/certificates"
    mine = client.get(path, headers=make.headers(tenant)).get_json()
    every = client.get(path, headers=make.headers(staff)).get_json()
    assert sorted(c["number"] for c in mine) == ["BLOCK-FIRE", "MY-EICR"]
    assert sorted(c["number"] for c in every) == ["BLOCK-FIRE", "MY-EICR", "NEIGHBOUR-EICR"]
