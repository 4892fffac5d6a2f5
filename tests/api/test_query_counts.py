"""The ticket list and a ticket's detail run as many SQL statements for many rows as for
few: no query per ticket, message, contractor or event (the `queries` fixture counts)."""


def _tickets(make, people, count: int) -> list:
    found = []
    for n in range(count):
        ticket = make.ticket(people.tenant, people.block, people.unit, summary=f"Leak {n}")
        make.triage(ticket, people.manager)
        make.assign(ticket, people.contractor, people.manager)
        make.message(ticket, people.manager, f"On it ({n})")
        found.append(ticket)
    return found


def _count(client, queries, url, headers) -> tuple[int, object]:
    client.get(url, headers=headers)  # warm: the same token, the same caches
    with queries() as counted:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_json()
    return counted.count, response.get_json()


def test_the_ticket_list_costs_the_same_for_two_tickets_as_for_twenty(
    client, make, people, queries
):
    for user in (people.manager, people.tenant, people.contractor):
        headers = make.headers(user)
        _tickets(make, people, 2) if user is people.manager else None
        few, listed = _count(client, queries, "/api/tickets", headers)
        assert len(listed["items"]) >= 2
        _tickets(make, people, 10)
        many, listed = _count(client, queries, "/api/tickets", headers)
        assert len(listed["items"]) >= 12
        assert many == few, user.role


def test_a_ticket_detail_costs_the_same_with_one_message_as_with_thirty(
    client, make, people, queries
):
    headers = make.headers(people.manager)
    [ticket] = _tickets(make, people, 1)
    url = f"/api/tickets/{ticket.id}"
    few, detail = _count(client, queries, url, headers)
    for n in range(15):
        make.message(ticket, people.tenant, f"Any news? ({n})")
        make.message(ticket, people.manager, f"Tomorrow ({n})", "team")
    for n in range(3):  # more contractors, each an author too
        helper = make.user("contractor", name=f"Helper {n}")
        make.assign(ticket, helper, people.manager)
        make.message(ticket, helper, f"Helper {n} here")
    many, detail = _count(client, queries, url, headers)
    assert len([e for e in detail["events"] if e["kind"] == "message"]) >= 34
    assert len(detail["assignments"]) == 4
    assert many == few
