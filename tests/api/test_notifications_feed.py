"""The in-app feed (`GET /api/notifications`): own entries only, newest first, unread
filter, marking read; someone else's entry does not exist for you."""

import pytest


def reply(client, make, ticket, author, body):
    response = client.post(
        f"/api/tickets/{ticket.id}/messages", json={"body": body}, headers=make.headers(author)
    )
    assert response.status_code == 201, response.get_json()


def feed(client, make, user, query=""):
    response = client.get(f"/api/notifications{query}", headers=make.headers(user))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def two_tenants_with_replies(client, make, people):
    """Our tenant has two replies on their ticket; a neighbour has one on theirs."""
    neighbour = make.tenant_in(make.unit(people.block))
    mine = make.ticket(people.tenant, people.block, people.unit)
    theirs = make.ticket(neighbour, people.block)
    for ticket in (mine, theirs):
        make.triage(ticket, people.manager)
    reply(client, make, mine, people.manager, "First reply to you.")
    reply(client, make, theirs, people.manager, "Reply to your neighbour.")
    reply(client, make, mine, people.manager, "Second reply to you.")
    return mine, theirs, neighbour


def test_the_feed_lists_only_my_notifications_newest_first(
    client, make, people, two_tenants_with_replies
):
    mine, _, neighbour = two_tenants_with_replies

    entries = feed(client, make, people.tenant)

    assert [e["body"] for e in entries] == ["Second reply to you.", "First reply to you."]
    assert {e["ticket_id"] for e in entries} == {mine.id}
    assert all(e["read_at"] is None and e["kind"] == "message" for e in entries)
    assert [e["body"] for e in feed(client, make, neighbour)] == ["Reply to your neighbour."]


def test_the_feed_pages_backwards_from_the_last_id_seen(
    client, make, people, two_tenants_with_replies
):
    [newest] = feed(client, make, people.tenant, "?limit=1")
    [older] = feed(client, make, people.tenant, f"?limit=1&before={newest['id']}")
    assert (newest["body"], older["body"]) == ("Second reply to you.", "First reply to you.")
    assert feed(client, make, people.tenant, f"?before={older['id']}") == []


def test_marking_an_entry_read_takes_it_out_of_the_unread_filter(
    client, make, people, two_tenants_with_replies
):
    headers = make.headers(people.tenant)
    newest, oldest = feed(client, make, people.tenant)

    response = client.post(f"/api/notifications/{oldest['id']}/read", headers=headers)

    assert response.status_code == 200
    read_at = response.get_json()["read_at"]
    assert read_at is not None
    unread = feed(client, make, people.tenant, "?unread=true")
    assert [e["id"] for e in unread] == [newest["id"]]
    again = client.post(f"/api/notifications/{oldest['id']}/read", headers=headers)
    assert again.status_code == 200 and again.get_json()["read_at"] == read_at
    assert len(feed(client, make, people.tenant)) == 2  # read entries stay in the feed


def test_another_users_notification_answers_404(client, make, people, two_tenants_with_replies):
    _, _, neighbour = two_tenants_with_replies
    [theirs] = feed(client, make, neighbour)

    response = client.post(
        f"/api/notifications/{theirs['id']}/read", headers=make.headers(people.tenant)
    )

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert feed(client, make, neighbour, "?unread=true")[0]["id"] == theirs["id"]
    missing = client.post("/api/notifications/999999/read", headers=make.headers(people.tenant))
    assert missing.status_code == 404


def test_the_feed_needs_a_login(client):
    response = client.get("/api/notifications")
    assert response.status_code == 401
