"""Reading an incoming RFC 822 message into what Fieldline needs, without ever raising.

Mail comes from anyone, so nothing here trusts its input: headers are read raw and
decoded defensively (a header the email package cannot parse falls back to its raw
text), charsets that are wrong or unknown decode with replacement characters, broken
MIME yields whatever parts can be found, and every string is made storable (no lone
surrogates, no NUL). Pure stdlib; deciding what to do with the mail is
server.services.inbound_mail's job.
"""

import codecs
import email
import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr

from server.mail.reply_text import html_to_text, strip_reply

MESSAGE_ID = re.compile(r"<[^<>\s]{1,500}>")
RECIPIENT_HEADERS = (
    "To",
    "Cc",
    "Delivered-To",
    "X-Original-To",
    "Envelope-To",
    "X-Envelope-To",
    "X-Forwarded-To",
)
BOUNCE_SENDERS = ("mailer-daemon", "postmaster")
MAX_ID = 255
MAX_PARTS = 200


@dataclass
class MailAttachment:
    filename: str
    declared_type: str
    data: bytes


@dataclass
class ParsedMail:
    message_id: str
    sender: str
    sender_name: str
    subject: str
    recipients: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    text: str = ""  # what the sender wrote, history and signature cut
    attachments: list[MailAttachment] = field(default_factory=list)
    automatic: str | None = None  # why this is not a person writing: auto reply, bounce…
    from_fieldline: bool = False  # carries our own X-Fieldline-Ticket header
    dmarc_failed: bool = False


def storable(text: str) -> str:
    """A str any database accepts: surrogate escapes decoded or replaced, NULs gone."""
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        data = text.encode("utf-8", "replace")
    return data.decode("utf-8", "replace").replace("\x00", "")


def _raw_headers(message: Message, name: str) -> list[str]:
    """Every raw value of a header, unparsed (parsing can fail on hostile input)."""
    name = name.lower()
    values = []
    for key, value in message.raw_items():
        if key.lower() == name:
            values.append(storable(str(value)))
    return values


def _first(message: Message, name: str) -> str:
    values = _raw_headers(message, name)
    return values[0].strip() if values else ""


def _decode_words(value: str) -> str:
    """RFC 2047 encoded words decoded; the raw text when they are broken."""
    try:
        decoded = str(make_header(decode_header(value)))
    except Exception:  # unknown or non-text charsets, broken base64: keep the raw text
        decoded = value
    return " ".join(storable(decoded).split())


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text in its declared charset if that fits, else UTF-8, else the declared (or
    Windows-1252) charset with replacement characters: never an exception, whatever
    the charset names (unknown ones, or codecs that are not text encodings at all)."""
    name = None
    if charset:
        try:
            name = codecs.lookup(charset.strip().strip('"')).name
        except (LookupError, ValueError, TypeError):
            name = None
    for candidate in (name, "utf-8"):
        if candidate:
            try:
                return data.decode(candidate)
            except Exception:  # UnicodeError, or LookupError for "base64", "zlib"…
                continue
    if name:
        try:
            return data.decode(name, "replace")
        except Exception:
            pass
    return data.decode("cp1252", "replace")


def _message_id(message: Message, raw: bytes) -> str:
    found = MESSAGE_ID.search(_first(message, "Message-ID"))
    if found and len(found.group(0)) <= MAX_ID:
        return found.group(0)
    # No usable id: the content names the message, so the same bytes twice are one mail.
    seed = found.group(0).encode() if found else raw
    return f"<{hashlib.sha256(seed).hexdigest()}@message-id.invalid>"


def _automatic(message: Message, sender: str) -> str | None:
    """RFC 3834 and the de-facto headers of auto-responders, DSNs and bounces."""
    auto_submitted = _first(message, "Auto-Submitted").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return "auto_submitted"
    if _first(message, "Precedence").lower() in ("bulk", "junk", "list"):
        return "precedence_bulk"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply", "X-Auto-Response-Suppress"):
        if _raw_headers(message, name):
            return "auto_reply"
    content_type = _first(message, "Content-Type").lower()
    if content_type.startswith(("multipart/report", "message/delivery-status")):
        return "delivery_report"
    if sender.split("@")[0] in BOUNCE_SENDERS:
        return "bounce"
    if _first(message, "Return-Path").replace(" ", "") == "<>":
        return "bounce"
    return None


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:  # a Content-Type the parser chokes on reads as plain text
        return "text/plain"


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return storable(raw).encode() if isinstance(raw, str) else b""


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    return storable(name) if name else None


def _is_attachment(part: Message, content_type: str) -> bool:
    try:
        disposition = part.get_content_disposition()
    except Exception:
        disposition = None
    if disposition == "attachment" or _filename(part):
        return True
    return content_type not in ("text/plain", "text/html")


def _leaves(part: Message, depth: int = 0):
    """The leaf parts in order; an attached message is one leaf (its body is not ours)."""
    if depth > 20:
        return
    if part.is_multipart() and not _content_type(part).startswith("message/"):
        payload = part.get_payload()
        for child in payload if isinstance(payload, list) else []:
            yield from _leaves(child, depth + 1)
    else:
        yield part


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:
        return None


def parse(raw: bytes) -> ParsedMail:
    """Everything inbound_mail needs from the raw bytes of one message."""
    message = email.message_from_bytes(raw, policy=policy.default)
    name, address = parseaddr(_first(message, "From"))
    sender = storable(address).strip().lower()[:254]
    recipients = []
    for header in RECIPIENT_HEADERS:
        for _, recipient in getaddresses(_raw_headers(message, header)):
            if "@" in recipient:
                recipients.append(storable(recipient).strip().lower())
    references = MESSAGE_ID.findall(
        " ".join(_raw_headers(message, "In-Reply-To") + _raw_headers(message, "References"))
    )
    parsed = ParsedMail(
        message_id=_message_id(message, raw),
        sender=sender,
        sender_name=_decode_words(name)[:200],
        subject=_decode_words(_first(message, "Subject"))[:300],
        recipients=recipients,
        references=references,
        automatic=_automatic(message, sender),
        from_fieldline=bool(_raw_headers(message, "X-Fieldline-Ticket")),
        dmarc_failed=any(
            "dmarc=fail" in value.lower()
            for value in _raw_headers(message, "Authentication-Results")
        ),
    )
    plain = html = None
    for index, part in enumerate(_leaves(message)):
        if index >= MAX_PARTS:
            break
        content_type = _content_type(part)
        if _is_attachment(part, content_type):
            parsed.attachments.append(
                MailAttachment(_filename(part) or "attachment", content_type, _payload(part))
            )
        elif content_type == "text/html" and html is None:
            html = decode_bytes(_payload(part), _charset(part))
        elif content_type == "text/plain" and plain is None:
            plain = decode_bytes(_payload(part), _charset(part))
    text = plain if plain is not None and plain.strip() else html_to_text(html or "")
    parsed.text = storable(strip_reply(text))
    return parsed
