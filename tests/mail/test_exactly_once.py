"""Two receivers racing on the same mail (a poller and the MTA endpoint, or two
pollers) append it once: the unique Message-ID decides, inside the transaction."""

import threading

from server.extensions import db
from server.mail import transport
from server.services import inbound_mail
from server.worker import run_once
from tests.mail.mailclient import client_reply, messages_on


def test_the_same_mail_received_twice_at_once_is_appended_once(app, client, make, people, inbound):
    app.extensions[transport.MAILER_KEY] = sent = transport.MemoryMailer()
    ticket = make.ticket(people.tenant, people.block, people.unit)
    make.triage(ticket, people.manager)
    make.message(ticket, people.manager, "We are on it.")
    run_once(app)
    [notification] = [
        m
        for m in sent.sent
        if m["To"].addresses[0].addr_spec == people.tenant.email and "New message" in m["Subject"]
    ]
    raw = client_reply(notification, "Racing reply.", sender=people.tenant)
    start = threading.Barrier(2)
    outcomes, errors = [], []

    def receiver():
        try:
            with app.app_context():
                start.wait(10)
                outcome = inbound_mail.receive(raw, source="imap").status
                db.session.commit()
                outcomes.append(outcome)
                db.session.remove()
        except Exception as error:  # surfaced below: a thread cannot fail the test itself
            errors.append(error)

    threads = [threading.Thread(target=receiver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert sorted(outcomes) == ["appended", "duplicate"]
    bodies = [m["data"]["body"] for m in messages_on(client, make, ticket, people.manager)]
    assert bodies == ["We are on it.", "Racing reply."]
