"""Where a finished message goes: the `Mailer` protocol and its three transports.

The mailer is picked by config: `SMTP_URL` set means SMTP (stdlib smtplib), empty
means every message is written as an .eml file to `MAIL_DIR`, so nothing is lost
on a machine without a mail server. Tests use `MemoryMailer` or a real local SMTP
server. What a message looks like is decided in `server.mail.compose`; the outbox
channel that sends one per row is `server.mail.channel`.
"""

import logging
import os
import re
import smtplib
import ssl
import tempfile
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, current_app, g

from server.services.outbox import PermanentFailure

log = logging.getLogger(__name__)

MAILER_KEY = "fieldline_mailer"


class Mailer(Protocol):
    """Somewhere a finished message goes. `send` raises on failure; `close` ends a batch."""

    display_url: str

    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


def mask_url(url: str) -> str:
    """The URL with its password replaced, fit for logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return parts._replace(netloc=f"{user}:***@{netloc}").geturl()


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None
    password: str | None = field(repr=False)
    implicit_tls: bool
    starttls: bool
    timeout: float

    @classmethod
    def from_url(cls, url: str, timeout: float) -> "SmtpSettings":
        """`smtp://user:pass@host:port?starttls=1` or `smtps://user:pass@host:port`."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(
                f"SMTP_URL must be smtp://host[:port] or smtps://…, not {mask_url(url)}"
            )
        query = parse_qs(parts.query)
        implicit_tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if implicit_tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=implicit_tls,
            starttls=not implicit_tls and query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
            timeout=float(query.get("timeout", [timeout])[0]),
        )


class SmtpMailer:
    """Delivers over SMTP, keeping one connection open for a batch of messages."""

    def __init__(self, url: str, timeout: float = 30):
        self.settings = SmtpSettings.from_url(url, timeout)
        self.display_url = mask_url(url)
        self._connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        if s.implicit_tls:
            connection = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
        else:
            connection = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            connection.ehlo()
            if s.starttls:
                connection.starttls(context=context)
                connection.ehlo()
            if s.username:
                connection.login(s.username, s.password or "")
        except BaseException:
            connection.close()
            raise
        return connection

    def _live_connection(self) -> smtplib.SMTP:
        # A kept connection may have been dropped by the server while idle: probe it
        # before the message, never retry after it (that could send twice).
        if self._connection is not None:
            try:
                self._connection.noop()
            except (smtplib.SMTPException, OSError):
                self.close()
        if self._connection is None:
            self._connection = self._connect()
        return self._connection

    def send(self, message: EmailMessage) -> None:
        connection = self._live_connection()
        try:
            connection.send_message(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
            self._reset()
            codes = _refusal_codes(exc)
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentFailure(f"SMTP refused the message: {exc}") from exc
            raise
        except smtplib.SMTPDataError as exc:
            self._reset()
            if 500 <= exc.smtp_code < 600:
                raise PermanentFailure(f"SMTP refused the message: {exc}") from exc
            raise
        except (smtplib.SMTPException, OSError):
            self.close()
            raise

    def _reset(self) -> None:
        try:
            self._connection.rset()
        except (smtplib.SMTPException, OSError, AttributeError):
            self.close()

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()


def _refusal_codes(exc: Exception) -> list[int]:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return [code for code, _ in exc.recipients.values()]
    return [exc.smtp_code]


class FolderMailer:
    """Writes each message to `<directory>/<message id>.eml`, atomically (temp + rename).

    A retry after a crash writes the same file again instead of a second copy.
    """

    def __init__(self, directory: str):
        self.directory = directory
        self.display_url = f"folder {directory}"

    def path_for(self, message: EmailMessage) -> str:
        name = re.sub(r"[^A-Za-z0-9._-]", "_", message["Message-ID"].strip("<>"))
        return os.path.join(self.directory, f"{name}.eml")

    def send(self, message: EmailMessage) -> None:
        os.makedirs(self.directory, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".incoming-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(message.as_bytes())  # the message's own policy (mail_compose)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temporary, self.path_for(message))
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
        directory = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives a power cut
        finally:
            os.close(directory)

    def close(self) -> None:
        """Nothing stays open between messages."""


class MemoryMailer:
    """Keeps messages in a list; `fail_next` makes the next sends raise, like a dead server."""

    display_url = "memory"

    def __init__(self):
        self.sent: list[EmailMessage] = []
        self.fail_next = 0

    def send(self, message: EmailMessage) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionRefusedError("memory mailer told to fail")
        self.sent.append(message)

    def close(self) -> None:
        """Nothing to close."""


def mailer_for(app: Flask) -> Mailer:
    """The mailer config asks for; an instance in `app.extensions` (tests) wins."""
    if MAILER_KEY in app.extensions:
        return app.extensions[MAILER_KEY]
    if app.config["SMTP_URL"]:
        return SmtpMailer(app.config["SMTP_URL"], app.config["SMTP_TIMEOUT_SECONDS"])
    return FolderMailer(app.config["MAIL_DIR"])


def current_mailer() -> Mailer:
    """One mailer per app context (one worker run), so a batch shares a connection."""
    if "fieldline_mailer" not in g:
        g.fieldline_mailer = mailer_for(current_app)
        log.info("mail goes to %s", g.fieldline_mailer.display_url)
    return g.fieldline_mailer


def close_current_mailer() -> None:
    mailer = g.pop("fieldline_mailer", None)
    if mailer is not None:
        mailer.close()
