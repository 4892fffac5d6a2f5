"""Notification mail: who gets it, what it looks like, and where it goes without SMTP.

Mail is delivered by the real worker to a real SMTP server (aiosmtpd on 127.0.0.1)
and parsed back with the email package.
"""

import email
import logging
import os
from email import policy

from sqlalchemy import select

from server.extensions import db
from server.models import OutboxMessage
from server.worker import run_once
from tests.api.mailbox import free_port


def text_of(message) -> str:
    """The plain-text part (notifications carry text and HTML alternatives)."""
    return message.get_body(("plain",)).get_content()


def replies_to(smtp, user) -> list:
    """Mail to `user` besides the confirmation of their own report."""
    return [m for m in smtp.inbox.to(user.email) if "We received your report" not in m["Subject"]]


def reply(client, make, ticket, author, body, visibility="public"):
    response = client.post(
        f"/api/tickets/{ticket.id}/messages",
        json={"body": body, "visibility": visibility},
        headers=make.headers(author),
    )
    assert response.status_code == 201, response.get_json()


def feed(client, make, user):
    response = client.get("/api/notifications", headers=make.headers(user))
    assert response.status_code == 200
    return response.get_json()


def triaged_ticket(make, people, **fields):
    ticket = make.ticket(people.tenant, people.block, people.unit, summary="Leaking tap")
    make.triage(ticket, people.manager, **fields)
    return ticket


def test_a_staff_reply_reaches_the_tenant_by_mail_and_in_the_app(app, client, make, smtp, people):
    ticket = triaged_ticket(make, people)
    reply(client, make, ticket, people.manager, "A plumber comes on Tuesday morning.")

    stats = run_once(app)

    # The manager heard of the report, the tenant got its confirmation and the reply.
    assert stats.sent == 3
    [mail] = replies_to(smtp, people.tenant)
    [envelope] = [
        e
        for e in smtp.inbox.envelopes
        if e.rcpt_tos == [people.tenant.email] and b"New message" in e.content
    ]
    assert mail["To"].addresses[0].display_name == "Zoë Łukasiewicz"
    assert mail["From"] == "Fieldline <fieldline@localhost>"
    assert mail["Subject"] == f"[{ticket.ref}] New message on Leaking tap"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Message-ID"].startswith("<") and mail["Message-ID"].endswith("@localhost>")
    assert mail["X-Fieldline-Ticket"] == ticket.ref
    assert "A plumber comes on Tuesday morning." in text_of(mail)
    assert envelope.mail_from == "fieldline@localhost"
    [entry] = feed(client, make, people.tenant)
    assert entry["kind"] == "message" and entry["ticket_id"] == ticket.id
    assert entry["body"] == "A plumber comes on Tuesday morning."
    [report_mail] = smtp.inbox.to(people.manager.email)
    assert report_mail["Subject"] == f"[{ticket.ref}] New ticket: Leaking tap"


def test_every_mail_about_a_ticket_threads_under_it(app, client, make, smtp, people):
    ticket = triaged_ticket(make, people)
    reply(client, make, ticket, people.manager, "First answer.")
    reply(client, make, ticket, people.manager, "Second answer.")

    run_once(app)

    confirmation, first, second = smtp.inbox.to(people.tenant.email)
    assert len({m["Message-ID"] for m in (confirmation, first, second)}) == 3
    assert {m["References"] for m in (confirmation, first, second)} == {
        f"<ticket-{ticket.id}@localhost>"
    }


def test_a_tenant_who_switched_notify_me_off_gets_the_reply_in_the_app_only(
    app, client, make, smtp, people
):
    ticket = triaged_ticket(make, people)
    response = client.put(
        "/api/me/preferences", json={"notify_me": False}, headers=make.headers(people.tenant)
    )
    assert response.status_code == 200 and response.get_json()["notify_me"] is False

    reply(client, make, ticket, people.manager, "We are on it.")
    run_once(app)

    assert replies_to(smtp, people.tenant) == []
    assert [e["body"] for e in feed(client, make, people.tenant)] == ["We are on it."]
    assert len(smtp.inbox.to(people.manager.email)) == 1  # staff mail is unaffected


def test_staff_only_messages_never_notify_tenants_or_contractors(app, client, make, smtp, people):
    ticket = triaged_ticket(make, people)
    make.assign(ticket, people.contractor, people.manager)
    run_once(app)
    before = {u.email: len(smtp.inbox.to(u.email)) for u in (people.tenant, people.contractor)}

    reply(client, make, ticket, people.admin, "Tenant is in rent arrears.", visibility="staff")
    run_once(app)

    for user in (people.tenant, people.contractor):
        assert len(smtp.inbox.to(user.email)) == before[user.email]
        assert all("arrears" not in e["body"] for e in feed(client, make, user))
    [note] = [m for m in smtp.inbox.to(people.manager.email) if "arrears" in text_of(m)]
    assert note["Subject"] == f"[{ticket.ref}] New message on Leaking tap"


def test_team_messages_reach_the_contractor_but_not_the_tenant(app, client, make, smtp, people):
    ticket = triaged_ticket(make, people)
    make.assign(ticket, people.contractor, people.manager)

    reply(client, make, ticket, people.manager, "Gate code is 4711.", visibility="team")
    run_once(app)

    contractor_mail = smtp.inbox.to(people.contractor.email)
    assert any("Gate code is 4711." in text_of(m) for m in contractor_mail)
    assert all("4711" not in text_of(m) for m in smtp.inbox.to(people.tenant.email))
    assert any(e["body"] == "Gate code is 4711." for e in feed(client, make, people.contractor))
    assert all("4711" not in e["body"] for e in feed(client, make, people.tenant))


def test_mail_is_written_to_a_folder_as_eml_files_when_no_smtp_server_is_configured(
    app, client, make, people, tmp_path
):
    app.config.update(SMTP_URL="", MAIL_DIR=str(tmp_path / "mail"))
    ticket = triaged_ticket(make, people)
    reply(client, make, ticket, people.manager, "Written to disk.")

    assert run_once(app).sent == 3  # the report (manager, its confirmation), the reply
    assert run_once(app).sent == 0

    names = sorted(os.listdir(tmp_path / "mail"))
    assert len(names) == 3 and all(name.endswith(".eml") for name in names)
    parsed = []
    for name in names:
        with open(tmp_path / "mail" / name, "rb") as f:
            parsed.append(email.message_from_bytes(f.read(), policy=policy.default))
    [tenant_mail] = [
        m
        for m in parsed
        if m["To"].addresses[0].addr_spec == people.tenant.email and "New message" in m["Subject"]
    ]
    assert tenant_mail["Subject"] == f"[{ticket.ref}] New message on Leaking tap"
    assert tenant_mail["Message-ID"].strip("<>").replace("@", "_") + ".eml" in names
    assert "Written to disk." in text_of(tenant_mail)


def test_a_line_break_in_a_summary_cannot_add_a_mail_header(app, make, smtp, people):
    ticket = make.ticket(
        people.tenant, people.block, people.unit, summary="Leak\r\nBcc: thief@example.test"
    )

    assert run_once(app).sent == 2  # the manager, and the tenant's confirmation

    assert sorted(e.rcpt_tos[0] for e in smtp.inbox.envelopes) == sorted(
        [people.manager.email, people.tenant.email]
    )
    [mail] = smtp.inbox.to(people.manager.email)
    assert all(m["Bcc"] is None for m in smtp.inbox.messages)
    assert mail["Subject"] == f"[{ticket.ref}] New ticket: Leak Bcc: thief@example.test"


def test_the_smtp_password_never_reaches_the_log_or_the_outbox(app, make, people, caplog):
    app.config["SMTP_URL"] = f"smtp://fieldline:s3cr3t-pa55@127.0.0.1:{free_port()}"
    make.ticket(people.tenant, people.block, people.unit)

    with caplog.at_level(logging.DEBUG):
        stats = run_once(app)

    assert stats.retrying == 2  # the manager's mail and the tenant's confirmation
    assert "s3cr3t-pa55" not in caplog.text
    assert "smtp://fieldline:***@127.0.0.1" in caplog.text
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage)).all()
        assert len(rows) == 2
        assert all(row.last_error and "s3cr3t-pa55" not in row.last_error for row in rows)
