"""What a person's mail client does: read a notification, answer it (Re: subject,
In-Reply-To/References, quoted text, signature, sent to the Reply-To address), or
write a fresh mail. Plus small readers of the API for the assertions."""

from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

INBOUND_SECRET = "inbound-test-secret-0123456789"


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


def client_reply(
    original: EmailMessage,
    body: str,
    *,
    sender,
    signature: str = "Zoë Łukasiewicz\nFlat 3, 07700 900123",
    to: str | None = None,
    extra_headers: dict | None = None,
) -> bytes:
    """Thunderbird-style top-posted reply: text, signature, attribution, quote."""
    reply = EmailMessage()
    reply["From"] = Address(sender.name, addr_spec=sender.email)
    reply["To"] = to or str(original["Reply-To"] or original["From"])
    reply["Subject"] = "Re: " + str(original["Subject"])
    reply["Date"] = formatdate(localtime=True)
    reply["Message-ID"] = make_msgid(domain="mail.example.test")
    reply["In-Reply-To"] = original["Message-ID"]
    reply["References"] = f"{original['References']} {original['Message-ID']}".strip()
    for name, value in (extra_headers or {}).items():
        reply[name] = value
    quoted = "\n".join(f"> {line}" for line in text_of(original).splitlines())
    reply.set_content(
        f"{body}\n\n-- \n{signature}\n\n"
        f"On Tue, 3 Jun 2025 at 10:00, Fieldline <fieldline@localhost> wrote:\n{quoted}\n"
    )
    return reply.as_bytes(policy=policy.SMTP)


def fresh_mail(sender_email: str, subject: str, body: str, **headers) -> EmailMessage:
    """A new mail (no thread) to the agency's address."""
    mail = EmailMessage()
    mail["From"] = sender_email
    mail["To"] = "help@localhost"
    mail["Subject"] = subject
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = make_msgid(domain="mail.example.test")
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body)
    return mail


def post_raw(client, raw: bytes, secret: str = INBOUND_SECRET):
    return client.post(
        "/api/mail/inbound",
        data=raw,
        headers={"X-Fieldline-Mail-Secret": secret, "Content-Type": "message/rfc822"},
    )


def messages_on(client, make, ticket, viewer) -> list[dict]:
    """The ticket's message events as `viewer` sees them, oldest first."""
    response = client.get(f"/api/tickets/{ticket.id}", headers=make.headers(viewer))
    assert response.status_code == 200, response.get_json()
    return [e for e in response.get_json()["events"] if e["kind"] == "message"]


def ticket_json(client, make, ticket, viewer) -> dict:
    response = client.get(f"/api/tickets/{ticket.id}", headers=make.headers(viewer))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def chain_intact(client, make, ticket, viewer) -> bool:
    response = client.get(f"/api/tickets/{ticket.id}/verify", headers=make.headers(viewer))
    return response.get_json()["intact"]


def quarantine(client, make, staff, status: str = "quarantined") -> list[dict]:
    response = client.get(f"/api/mail/quarantine?status={status}", headers=make.headers(staff))
    assert response.status_code == 200, response.get_json()
    return response.get_json()
