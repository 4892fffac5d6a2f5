"""A small site for ticket workflow tests: a department's staff, a block with a tenant
and a neighbour, a contractor; plus helpers to act through the API."""

from dataclasses import dataclass

import pytest


@dataclass
class Site:
    staff: object
    tenant: object
    neighbour: object
    contractor: object
    block: object
    unit: object


@pytest.fixture
def site(make) -> Site:
    department = make.department()
    staff = make.user("staff", departments=[department])
    block = make.block(department=department)
    unit = make.unit(block)
    return Site(
        staff=staff,
        tenant=make.tenant_in(unit),
        neighbour=make.tenant_in(make.unit(block)),
        contractor=make.user("contractor"),
        block=block,
        unit=unit,
    )


@pytest.fixture
def act(client, make):
    """POST/GET as a user: act(user, "POST", "/messages", ticket, json)."""

    def act(user, method, path, ticket=None, json=None):
        url = f"/api/tickets/{ticket.id}{path}" if ticket is not None else path
        return client.open(url, method=method, json=json, headers=make.headers(user))

    return act


def events(act, user, ticket) -> list[dict]:
    response = act(user, "GET", "", ticket)
    assert response.status_code == 200
    return response.get_json()["events"]


def status_of(make, ticket) -> str:
    return make.reload(ticket).status


def report(make, site, **fields):
    return make.ticket(site.tenant, site.block, site.unit, **fields)


def triaged(make, site, billing="included", **fields):
    ticket = report(make, site, **fields)
    make.triage(ticket, site.staff, billing=billing)
    return ticket
