"""Composing a notification email so it threads in every mail client and can be
answered: stable Message-ID, References to the ticket's root, `[T-000123]` in the
subject, a signed per-ticket, per-recipient Reply-To, text and HTML parts, and a
one-click List-Unsubscribe for tenants (RFC 8058). Pure: config in, message out.
The text and HTML parts are the templates `templates/notification.txt` and `.html`.
"""

import hashlib
import re
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from server.mail import tokens as mail_tokens
from server.mail.templating import render

OWN_MESSAGE_ID = re.compile(r"<([0-9a-f]{40})@([^>\s]+)>")
THREAD_ROOT = re.compile(r"<ticket-(\d{1,18})@([^>\s]+)>", re.IGNORECASE)


class Unsendable(ValueError):
    """The payload can never become a message (no recipient, a malformed address):
    the outbox channel dead-letters the row instead of retrying it."""


def domain_of(mail_from: str) -> str:
    address = parseaddr(mail_from)[1]
    return address.rpartition("@")[2] or "fieldline.invalid"


@dataclass(frozen=True)
class MailSettings:
    """What composing needs from the config, read once per delivery."""

    mail_from: str
    domain: str
    secret: str = ""
    base_url: str = ""
    replies_read: bool = False  # an inbound path (endpoint or IMAP) is configured

    @classmethod
    def from_config(cls, config) -> "MailSettings":
        return cls(
            mail_from=config["MAIL_FROM"],
            domain=(config.get("MAIL_DOMAIN") or domain_of(config["MAIL_FROM"])).lower(),
            secret=config["SECRET_KEY"],
            base_url=config["PUBLIC_BASE_URL"].rstrip("/"),
            replies_read=bool(config.get("MAIL_INBOUND_SECRET") or config.get("IMAP_URL")),
        )


def message_id(dedupe_key: str, domain: str) -> str:
    """Stable per outbox row, so a retry after a crash repeats the same Message-ID."""
    return f"<{hashlib.sha256(dedupe_key.encode()).hexdigest()[:40]}@{domain}>"


def thread_root(ticket_id: int, domain: str) -> str:
    """The Message-ID every mail of a ticket refers to (never sent itself)."""
    return f"<ticket-{ticket_id}@{domain}>"


def reply_address(settings: MailSettings, ticket_id: int, user_id: int) -> str:
    token = mail_tokens.reply_token(settings.secret, ticket_id, user_id)
    return f"reply+{token}@{settings.domain}"


def unsubscribe_url(settings: MailSettings, user_id: int) -> str:
    token = mail_tokens.unsubscribe_token(settings.secret, user_id)
    return f"{settings.base_url}/api/mail/unsubscribe/{token}"


def _footer(settings: MailSettings, payload: dict, can_reply: bool, unsubscribe: str | None):
    ref = payload.get("ticket_ref")
    if can_reply:
        lines = [f"Reply to this email to answer on {ref}; your reply is added to the ticket."]
    elif ref:
        lines = ["You receive this because you are on this ticket. Reply in Fieldline;"]
        lines.append("replies to this email are not read.")
    else:
        lines = []
    if unsubscribe:
        lines.append(f"Stop emails about ticket updates: {unsubscribe}")
    return lines


def _html(body: str, footer: list[str], unsubscribe: str | None) -> str:
    paragraphs = [p.split("\n") for p in re.split(r"\n\s*\n", body.strip()) if p.strip()]
    # The template escapes user text: a ticket summary or reply never becomes markup.
    line = f"Stop emails about ticket updates: {unsubscribe}" if unsubscribe else None
    return render(
        "notification.html",
        paragraphs=paragraphs,
        footer=footer,
        unsubscribe=unsubscribe,
        unsubscribe_line=line,
    )


# RFC 5322 allows 998 characters a line; folding at 78 turned a long unbreakable value
# (the List-Unsubscribe URL) into RFC 2047 encoded words, which mail providers do not
# read as a link: headers are folded at whitespace only when past this length.
MAIL_POLICY = policy.SMTP.clone(max_line_length=998)


def compose(
    payload: dict, dedupe_key: str, settings: MailSettings, *, unsubscribe: bool = False
) -> EmailMessage:
    """A notification email from an outbox payload (to, to_name, subject, body,
    ticket_id, ticket_ref, user_id). `unsubscribe` adds the one-click header (tenants:
    the only role whose mail the notify-me preference switches off)."""
    missing = [key for key in ("to", "subject") if not payload.get(key)]
    if missing:
        raise Unsendable(f"the outbox payload has no {', '.join(missing)}")
    message = EmailMessage(policy=MAIL_POLICY)
    try:
        message["From"] = settings.mail_from
        name = " ".join((payload.get("to_name") or "").split())
        message["To"] = Address(display_name=name, addr_spec=payload["to"])
    except (ValueError, IndexError, TypeError) as exc:
        raise Unsendable(f"not a usable address: {payload.get('to')!r}") from exc
    # A line break in a ticket summary must not become a header injection (or a crash).
    message["Subject"] = " ".join(str(payload["subject"]).split())
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id(dedupe_key, settings.domain)
    ticket_id, user_id = payload.get("ticket_id"), payload.get("user_id")
    if ticket_id is not None:
        # Mail clients thread every message of a ticket together.
        message["In-Reply-To"] = thread_root(ticket_id, settings.domain)
        message["References"] = thread_root(ticket_id, settings.domain)
    if payload.get("ticket_ref"):
        message["X-Fieldline-Ticket"] = payload["ticket_ref"]
    can_reply = settings.replies_read and ticket_id is not None and user_id is not None
    if can_reply:
        message["Reply-To"] = reply_address(settings, int(ticket_id), int(user_id))
    link = unsubscribe_url(settings, int(user_id)) if unsubscribe and user_id else None
    if link:
        message["List-Unsubscribe"] = f"<{link}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    body = payload.get("body", "")
    footer = _footer(settings, payload, can_reply, link)
    message.set_content(render("notification.txt", body=body, footer=footer))
    message.add_alternative(_html(body, footer, link), subtype="html")
    return message
