"""Which ticket a mail belongs to, who may post by mail, and what happens otherwise:
everything through `POST /api/mail/inbound`, as an MTA would deliver it."""

import base64

import pytest

from server.mail import transport
from server.mail.tokens import REPLY_MAC_BYTES
from server.worker import run_once
from tests.mail.mailclient import (
    chain_intact,
    client_reply,
    fresh_mail,
    messages_on,
    post_raw,
    quarantine,
    ticket_json,
)


@pytest.fixture
def sent(app, inbound):
    memory = app.extensions[transport.MAILER_KEY] = transport.MemoryMailer()
    return memory.sent


def notification_to(app, sent, user):
    run_once(app)
    return [
        m
        for m in sent
        if m["To"].addresses[0].addr_spec == user.email
        and "We received your report" not in m["Subject"]
    ][-1]


def answered_ticket(app, client, make, people, sent, visibility="public"):
    ticket = make.ticket(people.tenant, people.block, people.unit, summary="Leaking tap")
    make.triage(ticket, people.manager)
    make.message(ticket, people.manager, "We are on it.", visibility)
    return ticket


def received(client, raw) -> dict:
    response = post_raw(client, raw)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_inbound_endpoint_is_off_until_a_secret_is_configured(client, people):
    response = post_raw(client, bytes(fresh_mail(people.tenant.email, "Hi", "Hello")))
    assert response.status_code == 404


def test_the_inbound_endpoint_refuses_a_wrong_or_missing_secret(client, inbound, people):
    raw = bytes(fresh_mail(people.tenant.email, "Hi", "Hello"))
    assert post_raw(client, raw, secret="guess").status_code == 401
    response = client.post("/api/mail/inbound", data=raw, content_type="message/rfc822")
    assert response.status_code == 401
    assert response.get_json()["code"] == "mail_secret_invalid"


def test_a_reply_threads_by_references_when_sent_to_the_general_address(
    app, client, make, people, sent
):
    ticket = answered_ticket(app, client, make, people, sent)
    notification = notification_to(app, sent, people.tenant)
    raw = client_reply(notification, "Still dripping.", sender=people.tenant, to="help@localhost")

    result = received(client, raw)

    assert (result["status"], result["ticket_id"]) == ("appended", ticket.id)
    assert messages_on(client, make, ticket, people.tenant)[-1]["data"]["body"] == "Still dripping."


def test_a_new_mail_with_the_ticket_ref_in_its_subject_is_appended(app, client, make, people, sent):
    ticket = answered_ticket(app, client, make, people, sent)
    raw = bytes(fresh_mail(people.tenant.email, f"About [{ticket.ref}]", "Any update?"))

    assert received(client, raw)["status"] == "appended"
    assert messages_on(client, make, ticket, people.tenant)[-1]["data"]["body"] == "Any update?"


def test_the_same_message_id_is_processed_once(app, client, make, people, sent):
    ticket = answered_ticket(app, client, make, people, sent)
    raw = client_reply(notification_to(app, sent, people.tenant), "Once.", sender=people.tenant)

    first, second = received(client, raw), received(client, raw)

    assert first["status"] == "appended"
    assert second["status"] == "duplicate" and second["inbound_id"] == first["inbound_id"]
    assert [m["data"]["body"] for m in messages_on(client, make, ticket, people.tenant)] == [
        "We are on it.",
        "Once.",
    ]


def _tamper(address: str, ticket_id: int) -> str:
    """Move a reply token to another ticket, keeping its MAC: what an attacker can do."""
    token = address.split("+", 1)[1].split("@")[0]
    raw = base64.b32decode(token.upper() + "=" * (-len(token) % 8))
    moved = ticket_id.to_bytes(8, "big") + raw[8:]
    assert len(raw) == 16 + REPLY_MAC_BYTES
    return "reply+" + base64.b32encode(moved).decode().rstrip("=").lower() + "@localhost"


def test_a_reply_token_moved_to_another_ticket_is_quarantined(app, client, make, people, sent):
    mine = answered_ticket(app, client, make, people, sent)
    notification = notification_to(app, sent, people.tenant)
    other = make.ticket(people.tenant, people.block, people.unit, summary="Other")
    forged = _tamper(str(notification["Reply-To"]), other.id)
    reply = fresh_mail(people.tenant.email, "Hello", "Post this elsewhere.")
    reply.replace_header("To", forged)

    result = received(client, bytes(reply))

    assert (result["status"], result["reason"]) == ("quarantined", "reply_token_invalid")
    assert len(messages_on(client, make, mine, people.tenant)) == 1
    assert messages_on(client, make, other, people.tenant) == []
    [held] = quarantine(client, make, people.manager)
    assert held["body_text"] == "Post this elsewhere." and held["status"] == "quarantined"


def test_a_reply_token_used_by_someone_else_is_quarantined(app, client, make, people, sent):
    ticket = answered_ticket(app, client, make, people, sent)
    make.assign(ticket, people.contractor, people.manager)
    notification = notification_to(app, sent, people.tenant)
    raw = client_reply(notification, "I'm the tenant, honest.", sender=people.contractor)

    result = received(client, raw)

    assert (result["status"], result["reason"]) == ("quarantined", "sender_mismatch")
    assert len(messages_on(client, make, ticket, people.manager)) == 1


def test_a_token_for_one_ticket_with_another_tickets_subject_is_quarantined(
    app, client, make, people, sent
):
    ticket = answered_ticket(app, client, make, people, sent)
    other = make.ticket(people.tenant, people.block, people.unit, summary="Other")
    notification = notification_to(app, sent, people.tenant)
    reply = fresh_mail(people.tenant.email, f"[{other.ref}] about this one", "Which one?")
    reply.replace_header("To", str(notification["Reply-To"]))

    result = received(client, bytes(reply))

    assert (result["status"], result["reason"]) == ("quarantined", "thread_conflict")
    assert len(messages_on(client, make, ticket, people.tenant)) == 1
    assert messages_on(client, make, other, people.tenant) == []


def test_a_sender_who_is_not_on_the_ticket_is_quarantined(app, client, make, people, sent):
    ticket = answered_ticket(app, client, make, people, sent)
    neighbour = make.tenant_in(make.unit(people.block), name="Nosy Neighbour")
    raw = bytes(fresh_mail(neighbour.email, f"Re: [{ticket.ref}] Leaking tap", "Mine too!"))

    result = received(client, raw)

    assert (result["status"], result["reason"]) == ("quarantined", "not_participant")
    assert result["ticket_id"] == ticket.id
    assert len(messages_on(client, make, ticket, people.manager)) == 1
    assert chain_intact(client, make, ticket, people.manager)


def test_mail_from_an_unknown_address_without_a_ticket_is_quarantined(
    client, make, inbound, people
):
    raw = bytes(fresh_mail("stranger@example.test", "Is the flat still free?", "Hello"))

    result = received(client, raw)

    assert (result["status"], result["reason"]) == ("quarantined", "unknown_sender")
    [held] = quarantine(client, make, people.manager)
    assert (held["sender"], held["subject"], held["ticket_id"]) == (
        "stranger@example.test",
        "Is the flat still free?",
        None,
    )


def test_a_known_tenant_writing_about_something_new_opens_a_ticket(app, client, make, people, sent):
    raw = bytes(fresh_mail(people.tenant.email, "Fwd: Broken window", "The kitchen window."))

    result = received(client, raw)

    assert result["status"] == "new_ticket"
    listing = client.get("/api/tickets", headers=make.headers(people.tenant)).get_json()["items"]
    [ticket] = [t for t in listing if t["id"] == result["ticket_id"]]
    assert (ticket["summary"], ticket["description"]) == ("Broken window", "The kitchen window.")
    assert (ticket["unit_id"], ticket["reporter_id"]) == (people.unit.id, people.tenant.id)
    assert (ticket["type"], ticket["priority"], ticket["status"]) == (
        "new_enquiry",
        "unassigned",
        "new",
    )
    run_once(app)
    assert any(m["Subject"].endswith("New ticket: Broken window") for m in sent)


def test_a_contractor_mail_that_names_no_ticket_is_quarantined(client, inbound, people):
    raw = bytes(fresh_mail(people.contractor.email, "Invoice", "Please pay."))
    assert received(client, raw)["reason"] == "no_ticket"


def test_staff_replies_by_mail_are_as_private_as_the_mail_they_answer(
    app, client, make, people, sent
):
    ticket = answered_ticket(app, client, make, people, sent)
    make.message(ticket, people.admin, "Tenant owes rent.", "staff")
    note = notification_to(app, sent, people.manager)
    assert "owes rent" in note.get_body(("plain",)).get_content()

    assert received(client, client_reply(note, "Noted.", sender=people.manager))["status"] == (
        "appended"
    )

    [*_, internal] = messages_on(client, make, ticket, people.manager)
    assert (internal["data"]["body"], internal["visibility"]) == ("Noted.", "staff")
    assert all(
        m["data"]["body"] != "Noted." for m in messages_on(client, make, ticket, people.tenant)
    )


def test_a_contractor_answering_a_team_message_by_mail_answers_the_team(
    app, client, make, people, sent
):
    ticket = answered_ticket(app, client, make, people, sent)
    make.assign(ticket, people.contractor, people.manager)
    make.message(ticket, people.manager, "Gate code is 4711.", "team")
    note = notification_to(app, sent, people.contractor)
    assert "4711" in note.get_body(("plain",)).get_content()

    received(client, client_reply(note, "Got it, there at 9.", sender=people.contractor))

    [*_, answer] = messages_on(client, make, ticket, people.manager)
    assert (answer["data"]["body"], answer["author_role"], answer["visibility"]) == (
        "Got it, there at 9.",
        "contractor",
        "team",
    )
    assert ticket_json(client, make, ticket, people.manager)["status"] == "open"
    assert all(
        "there at 9" not in m["data"]["body"]
        for m in messages_on(client, make, ticket, people.tenant)
    )
    assert chain_intact(client, make, ticket, people.manager)


def test_a_failed_dmarc_check_sends_the_mail_to_quarantine(app, client, make, people, sent):
    ticket = answered_ticket(app, client, make, people, sent)
    raw = client_reply(
        notification_to(app, sent, people.tenant),
        "Spoofed.",
        sender=people.tenant,
        extra_headers={"Authentication-Results": "mx.localhost; dmarc=fail header.from=x"},
    )
    assert received(client, raw)["reason"] == "dmarc_failed"
    assert len(messages_on(client, make, ticket, people.manager)) == 1


def test_a_mail_without_a_message_id_is_still_processed_once(app, client, make, people, sent):
    reply = fresh_mail(people.tenant.email, "New problem", "The door sticks.")
    del reply["Message-ID"]
    raw = bytes(reply)

    first, second = received(client, raw), received(client, raw)

    assert first["status"] == "new_ticket" and second["status"] == "duplicate"
    listing = client.get("/api/tickets", headers=make.headers(people.tenant)).get_json()["items"]
    assert [t["summary"] for t in listing] == ["New problem"]
