"""Replies by mail, end to end against real servers on 127.0.0.1: a notification goes
out through SMTP (aiosmtpd), the tenant's mail client answers it, the answer lands in
an IMAP mailbox (Dovecot), and `fieldline mail-in --once` appends it to the ticket."""

from server.extensions import db
from server.services import inbound_mail
from server.worker import run_once
from tests.mail.mailclient import (
    chain_intact,
    client_reply,
    fresh_mail,
    messages_on,
    quarantine,
    text_of,
    ticket_json,
)


def staff_answers(app, client, make, people, smtp, body="A plumber comes on Tuesday."):
    """A triaged ticket the manager answered publicly; returns it and the tenant's mail."""
    ticket = make.ticket(people.tenant, people.block, people.unit, summary="Leaking tap")
    make.triage(ticket, people.manager)
    response = client.post(
        f"/api/tickets/{ticket.id}/messages",
        json={"body": body},
        headers=make.headers(people.manager),
    )
    assert response.status_code == 201
    run_once(app)
    [notification] = [
        m for m in smtp.inbox.to(people.tenant.email) if "New message" in m["Subject"]
    ]
    return ticket, notification


def test_a_tenant_reply_by_mail_is_appended_to_the_ticket_once(
    app, client, make, runner, smtp, mailbox, people
):
    app.config["IMAP_URL"] = mailbox.url
    ticket, notification = staff_answers(app, client, make, people, smtp)
    assert ticket_json(client, make, ticket, people.manager)["status"] == "on_hold"
    assert str(notification["Reply-To"]).startswith("reply+")
    raw = client_reply(notification, "Thanks, Tuesday morning suits me.", sender=people.tenant)
    mailbox.deliver(raw)

    result = runner.invoke(args=["mail-in", "--once"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "mail-in: 1 appended"
    *_, answer = messages_on(client, make, ticket, people.manager)
    assert answer["data"]["body"] == "Thanks, Tuesday morning suits me."  # no quote, no signature
    assert (answer["author_id"], answer["author_role"]) == (people.tenant.id, "tenant")
    assert answer["visibility"] == "public"
    assert ticket_json(client, make, ticket, people.manager)["status"] == "open"
    assert chain_intact(client, make, ticket, people.manager)
    assert mailbox.unseen() == 0

    again = runner.invoke(args=["mail-in", "--once"])
    assert again.output.strip() == "mail-in: no new mail"
    mailbox.deliver(raw)  # the same message delivered a second time
    twice = runner.invoke(args=["mail-in", "--once"])
    assert twice.output.strip() == "mail-in: 1 duplicate"
    assert len(messages_on(client, make, ticket, people.manager)) == 2

    run_once(app)  # the manager hears of the tenant's answer, by mail as for an API reply
    [told] = [m for m in smtp.inbox.to(people.manager.email) if "Tuesday morning" in text_of(m)]
    assert told["Subject"] == f"[{ticket.ref}] New message on Leaking tap"


def test_a_poller_that_dies_after_appending_does_not_append_again(
    app, client, make, runner, smtp, mailbox, people
):
    app.config["IMAP_URL"] = mailbox.url
    ticket, notification = staff_answers(app, client, make, people, smtp)
    raw = client_reply(notification, "Any news?", sender=people.tenant)
    mailbox.deliver(raw)
    with app.app_context():  # the doomed pass: received and committed, never flagged \Seen
        assert inbound_mail.receive(raw, source="imap").status == "appended"
        db.session.commit()
    assert mailbox.unseen() == 1

    result = runner.invoke(args=["mail-in", "--once"])

    assert result.output.strip() == "mail-in: 1 duplicate"
    assert [m["data"]["body"] for m in messages_on(client, make, ticket, people.manager)] == [
        "A plumber comes on Tuesday.",
        "Any news?",
    ]
    assert mailbox.unseen() == 0


def test_a_mail_too_large_to_fetch_is_quarantined_from_its_headers(
    app, client, make, runner, mailbox, people
):
    app.config.update(IMAP_URL=mailbox.url, MAIL_MAX_BYTES=2000)
    mail = fresh_mail(people.tenant.email, "Photos of the damp", "See attached.")
    mail.add_attachment(b"\xff\xd8\xff" + b"j" * 5000, maintype="image", subtype="jpeg")
    mailbox.deliver(bytes(mail))

    result = runner.invoke(args=["mail-in", "--once"])

    assert result.output.strip() == "mail-in: 1 quarantined"
    [held] = quarantine(client, make, people.manager)
    assert (held["reason"], held["sender"], held["subject"]) == (
        "too_large",
        people.tenant.email,
        "Photos of the damp",
    )
    assert held["raw_size"] > 2000
    assert mailbox.unseen() == 0


def test_mail_in_moves_handled_mail_to_another_folder_when_asked(
    app, client, make, runner, mailbox, people
):
    with mailbox.session() as connection:
        assert connection.create("Processed")[0] == "OK"
    app.config["IMAP_URL"] = mailbox.url + "?move=Processed"
    mailbox.deliver(bytes(fresh_mail(people.tenant.email, "Broken window", "Kitchen window.")))

    assert runner.invoke(args=["mail-in", "--once"]).output.strip() == "mail-in: 1 new_ticket"

    assert mailbox.count() == 0
    with mailbox.session() as connection:
        connection.select("Processed")
        assert len(connection.search(None, "SEEN")[1][0].split()) == 1


def test_mail_in_says_clearly_when_the_imap_server_cannot_be_reached(app, runner):
    app.config["IMAP_URL"] = "imap://someone:hunter2-secret@127.0.0.1:9/INBOX"

    result = runner.invoke(args=["mail-in", "--once"])

    assert result.exit_code == 1
    assert "imap://someone:***@127.0.0.1:9/INBOX" in result.output
    assert "hunter2-secret" not in result.output


def test_mail_in_refuses_to_start_without_an_imap_url(runner):
    result = runner.invoke(args=["mail-in", "--once"])
    assert result.exit_code == 1 and "IMAP_URL is not set" in result.output
