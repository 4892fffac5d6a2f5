"""Ticket refs (`T-000001`, ...) are unique and gapless, also when many people report at
once: on PostgreSQL the counter row lock makes concurrent reporters queue, on SQLite
the writers are serialised anyway."""

import threading

import pytest

THREADS = 6
REPORTS_EACH = 5


@pytest.fixture
def block_with_tenants(make):
    department = make.department()
    staff = make.user("staff", departments=[department])
    block = make.block(department=department)
    tenants = [make.tenant_in(make.unit(block)) for _ in range(THREADS)]
    return block, tenants, staff


def report(client, headers, block, summary="Leak"):
    return client.post(
        "/api/tickets",
        json={"summary": summary, "description": "Water everywhere", "block_id": block.id},
        headers=headers,
    )


def test_refs_are_sequential_in_reporting_order(client, make, block_with_tenants):
    block, tenants, _ = block_with_tenants
    headers = make.headers(tenants[0])
    refs = [report(client, headers, block).get_json()["ref"] for _ in range(3)]
    assert refs == ["T-000001", "T-000002", "T-000003"]


def test_a_rejected_report_uses_no_ref(client, make, block_with_tenants):
    block, tenants, _ = block_with_tenants
    headers = make.headers(tenants[0])
    first = report(client, headers, block).get_json()["ref"]
    assert report(client, headers, block, summary="x" * 201).status_code == 422
    stranger = make.headers(make.user("tenant"))
    assert report(client, stranger, block).status_code == 422  # lives elsewhere
    assert report(client, headers, block).get_json()["ref"] == _next(first)


def _next(ref: str) -> str:
    return f"T-{int(ref[2:]) + 1:06d}"


def test_concurrent_reporters_never_share_or_skip_a_ref(app, make, block_with_tenants):
    block, tenants, staff = block_with_tenants
    headers = [make.headers(tenant) for tenant in tenants]
    start = threading.Barrier(THREADS)
    results: list[tuple[int, str]] = []
    failures: list[BaseException] = []

    def reporter(tenant_headers):
        client = app.test_client()  # its own requests, app contexts and connections
        try:
            start.wait(timeout=30)
            for n in range(REPORTS_EACH):
                response = report(client, tenant_headers, block, summary=f"Leak {n}")
                assert response.status_code == 201, response.get_json()
                results.append((response.get_json()["id"], response.get_json()["ref"]))
        except BaseException as error:  # surfaced in the main thread below
            failures.append(error)

    threads = [threading.Thread(target=reporter, args=(h,)) for h in headers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    total = THREADS * REPORTS_EACH
    refs = sorted(ref for _, ref in results)
    assert refs == [f"T-{n:06d}" for n in range(1, total + 1)]
    # Every one of them is there for staff to see, each with its own ref.
    client = app.test_client()
    listed = client.get(
        "/api/tickets", query_string={"limit": 200}, headers=make.headers(staff)
    ).get_json()
    assert sorted(t["ref"] for t in listed["items"]) == refs
