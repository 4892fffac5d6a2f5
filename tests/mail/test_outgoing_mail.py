"""Notification mail threads in every client and can be answered: checked on what a
real SMTP server (aiosmtpd on 127.0.0.1) received, parsed with the email package."""

import re
from urllib.parse import urlsplit

from server.mail.tokens import read_reply_token
from server.worker import run_once
from tests.mail.mailclient import html_of, text_of

SECRET = "test-secret-key-with-enough-entropy-for-hs256-and-hs512-0123456789abcdef"


def mails_to(smtp, user):
    """Mail to `user`, besides the confirmation of a report they made themselves."""
    return [m for m in smtp.inbox.to(user.email) if "We received your report" not in m["Subject"]]


def reply_on(client, make, ticket, author, body, visibility="public"):
    response = client.post(
        f"/api/tickets/{ticket.id}/messages",
        json={"body": body, "visibility": visibility},
        headers=make.headers(author),
    )
    assert response.status_code == 201, response.get_json()


def test_a_notification_threads_under_its_ticket_and_can_be_answered(
    app, client, make, smtp, inbound, people
):
    ticket = make.ticket(people.tenant, people.block, people.unit, summary="Leaking tap")
    make.triage(ticket, people.manager)
    reply_on(client, make, ticket, people.manager, "A plumber comes on Tuesday.")

    run_once(app)

    [mail] = mails_to(smtp, people.tenant)
    assert mail["Subject"] == f"[{ticket.ref}] New message on Leaking tap"
    assert mail["In-Reply-To"] == mail["References"] == f"<ticket-{ticket.id}@localhost>"
    assert re.fullmatch(r"<[0-9a-f]{40}@localhost>", mail["Message-ID"])
    assert mail["Auto-Submitted"] == "auto-generated"
    reply_to = mail["Reply-To"].addresses[0]
    assert reply_to.domain == "localhost" and reply_to.username.startswith("reply+")
    assert len(reply_to.username) <= 64  # fits the RFC 5321 local-part limit
    token = reply_to.username.removeprefix("reply+")
    assert read_reply_token(SECRET, token) == (ticket.id, people.tenant.id)
    assert read_reply_token(SECRET, token.upper()) == (ticket.id, people.tenant.id)
    assert read_reply_token("another-secret", token) is None
    assert mail.get_content_type() == "multipart/alternative"
    assert "A plumber comes on Tuesday." in text_of(mail)
    assert "Reply to this email to answer on" in text_of(mail)
    assert "<p>A plumber comes on Tuesday.</p>" in html_of(mail)


def test_every_recipient_and_ticket_gets_its_own_reply_address(
    app, client, make, smtp, inbound, people
):
    first = make.ticket(people.tenant, people.block, people.unit)
    second = make.ticket(people.tenant, people.block, people.unit)
    make.triage(first, people.manager)
    make.triage(second, people.manager)
    make.assign(first, people.contractor, people.manager)
    reply_on(client, make, first, people.manager, "First.")
    reply_on(client, make, second, people.manager, "Second.")

    run_once(app)

    addresses = {
        (m["To"].addresses[0].addr_spec, m["X-Fieldline-Ticket"]): str(m["Reply-To"])
        for m in smtp.inbox.messages
        if m["Reply-To"]
    }
    tenant_first = addresses[(people.tenant.email, first.ref)]
    assert tenant_first != addresses[(people.tenant.email, second.ref)]
    assert tenant_first != addresses[(people.contractor.email, first.ref)]


def test_user_text_is_escaped_in_the_html_part(app, client, make, smtp, inbound, people):
    ticket = make.ticket(people.tenant, people.block, people.unit)
    make.triage(ticket, people.manager)
    reply_on(client, make, ticket, people.manager, '<script>alert("x")</script> & <b>bold</b>')

    run_once(app)

    [mail] = mails_to(smtp, people.tenant)
    markup = html_of(mail)
    assert "<script>" not in markup and "<b>bold</b>" not in markup
    assert (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in markup
    )


def test_without_an_inbound_path_mail_says_replies_are_not_read(app, client, make, smtp, people):
    ticket = make.ticket(people.tenant, people.block, people.unit)
    make.triage(ticket, people.manager)
    reply_on(client, make, ticket, people.manager, "Hello.")

    run_once(app)

    [mail] = mails_to(smtp, people.tenant)
    assert mail["Reply-To"] is None
    assert "replies to this email are not read" in text_of(mail)


def test_mail_domain_names_the_reply_address_and_the_thread(
    app, client, make, smtp, inbound, people
):
    app.config["MAIL_DOMAIN"] = "tickets.agency.example"
    ticket = make.ticket(people.tenant, people.block, people.unit)
    make.triage(ticket, people.manager)
    reply_on(client, make, ticket, people.manager, "Hello.")

    run_once(app)

    [mail] = mails_to(smtp, people.tenant)
    assert mail["Reply-To"].addresses[0].domain == "tickets.agency.example"
    assert mail["References"] == f"<ticket-{ticket.id}@tickets.agency.example>"
    assert mail["Message-ID"].endswith("@tickets.agency.example>")


def unsubscribe_path(mail) -> str:
    return urlsplit(mail["List-Unsubscribe"].strip("<>")).path


def test_one_click_unsubscribe_switches_notify_me_off(app, client, make, smtp, inbound, people):
    ticket = make.ticket(people.tenant, people.block, people.unit)
    make.triage(ticket, people.manager)
    reply_on(client, make, ticket, people.manager, "First answer.")
    run_once(app)
    [mail] = mails_to(smtp, people.tenant)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["List-Unsubscribe"].startswith("<http://127.0.0.1:5000/api/mail/unsubscribe/")
    path = unsubscribe_path(mail)

    page = client.get(path)  # a link scanner's GET changes nothing
    assert page.status_code == 200 and b'<form method="post">' in page.data
    assert client.get("/api/me", headers=make.headers(people.tenant)).json["notify_me"] is True

    done = client.post(path, data="List-Unsubscribe=One-Click",
                       content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert done.status_code == 200
    assert client.get("/api/me", headers=make.headers(people.tenant)).json["notify_me"] is False
    reply_on(client, make, ticket, people.manager, "Second answer.")
    run_once(app)
    assert len(mails_to(smtp, people.tenant)) == 1


def test_a_tampered_unsubscribe_link_changes_nothing(app, client, make, smtp, inbound, people):
    ticket = make.ticket(people.tenant, people.block, people.unit)
    make.triage(ticket, people.manager)
    reply_on(client, make, ticket, people.manager, "Answer.")
    run_once(app)
    path = unsubscribe_path(mails_to(smtp, people.tenant)[0])
    forged = path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")

    assert client.post(forged, data="List-Unsubscribe=One-Click").status_code == 404
    assert client.get("/api/me", headers=make.headers(people.tenant)).json["notify_me"] is True


def test_staff_mail_offers_no_unsubscribe_since_staff_always_get_mail(
    app, make, smtp, inbound, people
):
    make.ticket(people.tenant, people.block, people.unit)

    run_once(app)

    [mail] = mails_to(smtp, people.manager)
    assert mail["List-Unsubscribe"] is None and mail["Reply-To"] is not None
