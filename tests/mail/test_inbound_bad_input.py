"""Mail as it really arrives: broken MIME, wrong charsets, HTML only, oversized,
attachments we do not keep, auto-replies, bounces and loops. Nothing crashes,
nothing is appended where it does not belong, and nothing is lost."""

import hashlib

import pytest

from server.mail import transport
from server.worker import run_once
from tests.mail.mailclient import (
    client_reply,
    fresh_mail,
    messages_on,
    post_raw,
    quarantine,
)

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def sent(app, inbound):
    memory = app.extensions[transport.MAILER_KEY] = transport.MemoryMailer()
    return memory.sent


@pytest.fixture
def thread(app, make, people, sent):
    """A ticket the manager answered, and the notification the tenant got."""
    ticket = make.ticket(people.tenant, people.block, people.unit, summary="Leaking tap")
    make.triage(ticket, people.manager)
    make.message(ticket, people.manager, "We are on it.")
    run_once(app)
    [notification] = [
        m
        for m in sent
        if m["To"].addresses[0].addr_spec == people.tenant.email and "New message" in m["Subject"]
    ]
    return ticket, notification


def raw_reply(notification, content_type: str, body: bytes, extra: str = "") -> bytes:
    """A hand-written reply to the notification's Reply-To with an arbitrary body."""
    head = (
        f"From: Zoe <{notification['To'].addresses[0].addr_spec}>\r\n"
        f"To: {notification['Reply-To']}\r\n"
        f"Subject: Re: {notification['Subject']}\r\n"
        f"Message-ID: <{hashlib.sha1(body).hexdigest()}@mail.example.test>\r\n"
        f"In-Reply-To: {notification['Message-ID']}\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n{extra}\r\n"
    )
    return head.encode() + body


def posted(client, raw) -> dict:
    response = post_raw(client, raw)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def bodies(client, make, ticket, user) -> list[str]:
    return [m["data"]["body"] for m in messages_on(client, make, ticket, user)]


def test_a_mail_over_the_size_limit_is_refused_with_413(app, client, make, people, thread):
    app.config["MAIL_MAX_BYTES"] = 4096
    ticket, notification = thread
    raw = client_reply(notification, "x" * 5000, sender=people.tenant)

    response = post_raw(client, raw)

    assert response.status_code == 413
    assert response.get_json()["code"] == "payload_too_large"
    assert bodies(client, make, ticket, people.manager) == ["We are on it."]


def test_a_mail_larger_than_the_json_limit_but_within_the_mail_limit_is_accepted(
    app, client, make, people, thread
):
    app.config.update(MAX_CONTENT_LENGTH=10_000, MAIL_MAX_BYTES=100_000)
    ticket, notification = thread
    raw = client_reply(notification, "Long story. " * 2000, sender=people.tenant)

    assert posted(client, raw)["status"] == "appended"


def test_attachments_within_the_limits_are_kept_and_the_others_noted(
    app, client, make, people, thread
):
    app.config["ATTACHMENT_MAX_BYTES"] = 1000
    ticket, notification = thread
    reply = fresh_mail(people.tenant.email, f"Re: {notification['Subject']}", "Photos attached.")
    reply.add_attachment(PNG, maintype="image", subtype="png", filename="leak.png")
    reply.add_attachment(b"%PDF-1.4 " + b"0" * 2000, maintype="application", subtype="pdf",
                         filename="report.pdf")  # fmt: skip
    reply.add_attachment(b"MZ\x90\x00evil", maintype="application", subtype="x-msdownload",
                         filename="invoice.exe")  # fmt: skip

    assert posted(client, bytes(reply))["status"] == "appended"

    [*_, answer] = messages_on(client, make, ticket, people.tenant)
    assert answer["data"]["body"] == (
        "Photos attached.\n\n"
        "[Attachment not kept: report.pdf (larger than 1000 bytes)]\n"
        "[Attachment not kept: invoice.exe (file type not accepted)]"
    )
    files = client.get(
        f"/api/tickets/{ticket.id}/attachments", headers=make.headers(people.tenant)
    ).get_json()
    assert [(f["filename"], f["content_type"], f["message_id"]) for f in files] == [
        ("leak.png", "image/png", answer["data"]["message_id"])
    ]
    download = client.get(
        f"/api/tickets/{ticket.id}/attachments/{files[0]['id']}",
        headers=make.headers(people.tenant),
        buffered=True,
    )
    assert download.data == PNG


def test_broken_mime_is_read_as_far_as_it_goes(app, client, make, people, thread):
    ticket, notification = thread
    body = (
        b"--XYZ\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"The leak is back=21 =ZZ broken escape\r\n"
        b"--XYZ\r\nContent-Type: image/png; name*=utf-8''%ZZ%broken\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64 at all===\r\n"
    )  # and no closing boundary
    raw = raw_reply(notification, 'multipart/mixed; boundary="XYZ"', body)

    assert posted(client, raw)["status"] == "appended"

    [*_, answer] = messages_on(client, make, ticket, people.tenant)
    assert answer["data"]["body"].startswith("The leak is back! =ZZ broken escape")


def test_bytes_that_are_not_a_mail_at_all_are_kept_in_quarantine(client, make, people, inbound):
    raw = b"\x00\xff\xfe garbage \x00 without headers or sense\r\n\r\n\x00"

    result = posted(client, raw)

    assert (result["status"], result["reason"]) == ("quarantined", "unknown_sender")
    [held] = quarantine(client, make, people.admin)
    raw_back = client.get(
        f"/api/mail/quarantine/{held['id']}/raw", headers=make.headers(people.admin)
    )
    assert raw_back.status_code == 200 and raw_back.data == raw


@pytest.mark.parametrize(
    ("charset", "payload", "expected"),
    [
        ("iso-8859-1", "Caf\xe9 downstairs is flooded.".encode("latin-1"), "Café downstairs"),
        ("x-unknown-charset", "Zoë’s ceiling is wet.".encode(), "Zoë’s ceiling is wet."),
        ("us-ascii", "Caf\xe9 sign".encode("latin-1"), "Caf\ufffd sign"),
        ("utf-8", b"Broken \xff\xfe utf-8", "Broken \ufffd\ufffd utf-8"),
    ],
)
def test_wrong_and_unknown_charsets_decode_with_replacement_never_crash(
    app, client, make, people, thread, charset, payload, expected
):
    ticket, notification = thread
    raw = raw_reply(
        notification,
        f"text/plain; charset={charset}",
        payload,
        extra="Content-Transfer-Encoding: 8bit\r\n",
    )

    assert posted(client, raw)["status"] == "appended"
    assert expected in bodies(client, make, ticket, people.tenant)[-1]


def test_a_broken_encoded_subject_does_not_stop_the_mail(app, client, make, people, thread):
    ticket, notification = thread
    raw = raw_reply(notification, "text/plain; charset=utf-8", b"Fine otherwise.").replace(
        b"Subject: Re:", b"Subject: =?utf-8?B?!!invalid!!?= =?x-nope?Q?abc?= Re:"
    )
    assert posted(client, raw)["status"] == "appended"
    assert bodies(client, make, ticket, people.tenant)[-1] == "Fine otherwise."


def test_an_html_only_reply_is_appended_as_text_without_its_quote(
    app, client, make, people, thread
):
    ticket, notification = thread
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<div dir='ltr'><p>Thanks &amp; the boiler <b>works</b> again.</p><p>Zo&euml;</p></div>"
        "<div class='gmail_quote'><div>On Tue, 3 Jun 2025 at 10:00, Fieldline wrote:</div>"
        "<blockquote><p>We are on it.</p></blockquote></div></body></html>"
    )
    raw = raw_reply(notification, "text/html; charset=utf-8", html.encode())

    assert posted(client, raw)["status"] == "appended"
    assert bodies(client, make, ticket, people.tenant)[-1] == (
        "Thanks & the boiler works again.\n\nZoë"
    )


def test_a_reply_that_only_quotes_is_ignored(app, client, make, people, thread):
    ticket, notification = thread
    raw = client_reply(notification, "", sender=people.tenant)

    result = posted(client, raw)

    assert (result["status"], result["reason"]) == ("ignored", "empty_reply")
    assert bodies(client, make, ticket, people.tenant) == ["We are on it."]


@pytest.mark.parametrize(
    ("header", "value", "reason"),
    [
        ("Auto-Submitted", "auto-replied", "auto_submitted"),
        ("Precedence", "bulk", "precedence_bulk"),
        ("X-Autoreply", "yes", "auto_reply"),
        ("X-Auto-Response-Suppress", "All", "auto_reply"),
    ],
)
def test_auto_replies_are_recorded_as_ignored_and_not_appended(
    app, client, make, people, thread, header, value, reason
):
    ticket, notification = thread
    raw = client_reply(
        notification,
        "I am out of the office until Monday.",
        sender=people.tenant,
        extra_headers={header: value},
    )

    result = posted(client, raw)

    assert (result["status"], result["reason"]) == ("ignored", reason)
    assert bodies(client, make, ticket, people.tenant) == ["We are on it."]
    [ignored] = quarantine(client, make, people.manager, status="ignored")
    assert ignored["body_text"] == "I am out of the office until Monday."


def test_a_delivery_status_notification_is_ignored(app, client, make, people, thread):
    ticket, notification = thread
    body = (
        b"--B\r\nContent-Type: text/plain\r\n\r\nDelivery to the following recipient failed.\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.test\r\n\r\n"
        b"Final-Recipient: rfc822; gone@example.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"--B--\r\n"
    )
    raw = raw_reply(
        notification, 'multipart/report; report-type=delivery-status; boundary="B"', body
    ).replace(b"From: Zoe <", b"From: Mail Delivery System <MAILER-DAEMON@mx.test>\r\nX-Was: <")

    result = posted(client, raw)

    assert (result["status"], result["reason"]) == ("ignored", "delivery_report")
    assert bodies(client, make, ticket, people.tenant) == ["We are on it."]


def test_a_bounce_from_the_mailer_daemon_is_ignored(client, make, people, inbound):
    raw = bytes(fresh_mail("MAILER-DAEMON@mx.example.test", "Undelivered Mail", "Sorry."))
    assert posted(client, raw)["reason"] == "bounce"


def test_our_own_notification_coming_back_is_recognised_as_a_loop(
    app, client, make, people, thread
):
    ticket, notification = thread

    result = posted(client, bytes(notification))

    assert (result["status"], result["reason"]) == ("ignored", "mail_loop")
    assert bodies(client, make, ticket, people.manager) == ["We are on it."]


def test_references_to_tickets_that_do_not_exist_never_append_or_crash(
    client, make, people, inbound
):
    missing = fresh_mail(people.tenant.email, "Re: hello", "Where is it?")
    missing["References"] = "<ticket-424242@localhost>"
    huge = fresh_mail(people.tenant.email, "Re: hello", "Beyond any id.")
    huge["References"] = "<ticket-999999999999999999@localhost>"

    assert posted(client, bytes(missing))["reason"] == "unknown_ticket"
    assert posted(client, bytes(huge))["status"] == "new_ticket"  # not ours: a fresh mail
