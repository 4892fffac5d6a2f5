"""Messages on a ticket: who may write which visibility, the author's role on every
message, and which timeline events each role reads back."""

import pytest

from tests.api import ticket_site
from tests.api.ticket_site import events, report, triaged

act, site = ticket_site.act, ticket_site.site  # fixtures


def test_messages_carry_the_author_role(act, make, site):
    ticket = triaged(make, site)
    make.assign(ticket, site.contractor, site.staff)
    for user, role in (
        (site.tenant, "tenant"),
        (site.staff, "staff"),
        (site.contractor, "contractor"),
    ):
        response = act(user, "POST", "/messages", ticket, {"body": f"from {role}"})
        assert response.status_code == 201
        assert response.get_json()["author_role"] == role
        assert response.get_json()["author_name"] == user.name
    roles = [e["author_role"] for e in events(act, site.tenant, ticket) if e["kind"] == "message"]
    assert roles == ["tenant", "staff", "contractor"]


@pytest.mark.parametrize(
    ("author", "visibility", "status"),
    [
        ("tenant", "public", 201),
        ("tenant", "team", 403),
        ("tenant", "staff", 403),
        ("contractor", "public", 201),
        ("contractor", "team", 201),
        ("contractor", "staff", 403),
        ("staff", "staff", 201),
    ],
)
def test_who_may_write_which_visibility(act, make, site, author, visibility, status):
    ticket = triaged(make, site)
    make.assign(ticket, site.contractor, site.staff)
    before = make.reload(ticket).event_count
    response = act(
        getattr(site, author), "POST", "/messages", ticket, {"body": "x", "visibility": visibility}
    )
    assert response.status_code == status
    if status == 403:
        assert make.reload(ticket).event_count == before


def test_each_role_reads_only_the_events_it_may_see(act, make, site):
    ticket = report(make, site)
    make.triage(ticket, site.staff)  # a team event
    make.assign(ticket, site.contractor, site.staff)
    make.message(ticket, site.staff, "public", "public")
    make.message(ticket, site.staff, "team", "team")
    make.message(ticket, site.staff, "staff", "staff")

    def seen(user):
        return {
            (e["kind"], e["visibility"], e["data"].get("body")) for e in events(act, user, ticket)
        }

    assert seen(site.staff) >= {
        ("triaged", "team", None),
        ("message", "staff", "staff"),
        ("message", "team", "team"),
        ("message", "public", "public"),
    }
    contractor_sees = seen(site.contractor)
    assert ("message", "team", "team") in contractor_sees
    assert ("triaged", "team", None) in contractor_sees
    assert all(visibility != "staff" for _, visibility, _ in contractor_sees)
    tenant_sees = seen(site.tenant)
    assert ("message", "public", "public") in tenant_sees
    assert all(visibility == "public" for _, visibility, _ in tenant_sees)
    assert ("reported", "public", None) in tenant_sees
