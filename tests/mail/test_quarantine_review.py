"""Staff review quarantined mail: who sees it, releasing it onto a ticket, rejecting it."""

import pytest

from server.mail import transport
from tests.mail.mailclient import chain_intact, fresh_mail, messages_on, post_raw, quarantine

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture(autouse=True)
def memory_mailer(app, inbound):
    app.extensions[transport.MAILER_KEY] = transport.MemoryMailer()


def stranger_mail_about(client, ticket, body="My neighbour's tap leaks into my flat."):
    raw = fresh_mail("neighbour@example.test", f"[{ticket.ref}] water", body)
    raw.add_attachment(PNG, maintype="image", subtype="png", filename="ceiling.png")
    result = post_raw(client, bytes(raw)).get_json()
    assert (result["status"], result["reason"]) == ("quarantined", "unknown_sender")
    return result["inbound_id"]


def test_staff_see_quarantined_mail_of_their_tickets_and_mail_naming_none(client, make, people):
    ticket = make.ticket(people.tenant, people.block, people.unit)
    stranger_mail_about(client, ticket)
    post_raw(client, bytes(fresh_mail("spam@example.test", "Cheap watches", "Buy now")))
    outsider = make.user("staff", departments=[make.department()])

    assert len(quarantine(client, make, people.manager)) == 2
    assert len(quarantine(client, make, people.admin)) == 2
    assert [m["subject"] for m in quarantine(client, make, outsider)] == ["Cheap watches"]
    denied = client.get("/api/mail/quarantine", headers=make.headers(people.tenant))
    assert denied.status_code == 403


def test_releasing_a_mail_posts_it_on_the_ticket_with_its_files(client, make, people):
    ticket = make.ticket(people.tenant, people.block, people.unit)
    make.triage(ticket, people.manager)
    inbound_id = stranger_mail_about(client, ticket)

    response = client.post(
        f"/api/mail/quarantine/{inbound_id}/release",
        json={"visibility": "staff"},
        headers=make.headers(people.manager),
    )

    assert response.status_code == 200, response.get_json()
    released = response.get_json()
    assert (released["status"], released["ticket_id"]) == ("appended", ticket.id)
    assert released["decided_by_id"] == people.manager.id
    [note] = messages_on(client, make, ticket, people.manager)
    assert note["data"]["body"] == (
        "Email from neighbour@example.test:\n\nMy neighbour's tap leaks into my flat."
    )
    assert (note["author_id"], note["visibility"]) == (people.manager.id, "staff")
    assert messages_on(client, make, ticket, people.tenant) == []
    files = client.get(
        f"/api/tickets/{ticket.id}/attachments", headers=make.headers(people.manager)
    ).get_json()
    assert [f["filename"] for f in files] == ["ceiling.png"]
    assert chain_intact(client, make, ticket, people.manager)
    assert quarantine(client, make, people.manager) == []

    again = client.post(
        f"/api/mail/quarantine/{inbound_id}/release", json={}, headers=make.headers(people.manager)
    )
    assert again.status_code == 409 and again.get_json()["code"] == "inbound_mail_decided"


def test_a_mail_naming_no_ticket_is_released_onto_the_one_staff_choose(client, make, people):
    ticket = make.ticket(people.tenant, people.block, people.unit)
    make.triage(ticket, people.manager)
    result = post_raw(client, bytes(fresh_mail("a@example.test", "Hello", "About the leak")))
    inbound_id = result.get_json()["inbound_id"]
    url = f"/api/mail/quarantine/{inbound_id}/release"

    missing = client.post(url, json={}, headers=make.headers(people.manager))
    assert missing.status_code == 422 and "ticket_id" in missing.get_json()["errors"]

    done = client.post(
        url,
        json={"ticket_id": ticket.id, "visibility": "public"},
        headers=make.headers(people.manager),
    )
    assert done.status_code == 200
    [message] = messages_on(client, make, ticket, people.tenant)
    assert message["data"]["body"] == "Email from a@example.test:\n\nAbout the leak"


def test_staff_cannot_release_onto_a_ticket_outside_their_scope(client, make, people):
    ticket = make.ticket(people.tenant, people.block, people.unit)
    inbound_id = stranger_mail_about(client, ticket)
    outsider = make.user("staff", departments=[make.department()])
    other_block = make.block(manager=outsider)
    theirs = make.ticket(outsider, other_block)

    response = client.post(
        f"/api/mail/quarantine/{inbound_id}/release",
        json={"ticket_id": theirs.id},
        headers=make.headers(people.manager),
    )

    assert response.status_code == 404
    assert len(quarantine(client, make, people.manager)) == 1


def test_rejecting_a_mail_keeps_it_on_record(client, make, people):
    ticket = make.ticket(people.tenant, people.block, people.unit)
    inbound_id = stranger_mail_about(client, ticket)

    response = client.post(
        f"/api/mail/quarantine/{inbound_id}/reject", headers=make.headers(people.manager)
    )

    assert response.status_code == 200 and response.get_json()["status"] == "rejected"
    assert quarantine(client, make, people.manager) == []
    [kept] = quarantine(client, make, people.manager, status="rejected")
    assert kept["id"] == inbound_id
    assert messages_on(client, make, ticket, people.manager) == []
