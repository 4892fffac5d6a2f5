"""`fieldline mail-in`: poll an IMAP mailbox (stdlib imaplib) and receive each new mail.

`IMAP_URL` is `imap://user:pass@host:143/INBOX` (`?starttls=1` to upgrade) or
`imaps://user:pass@host:993/INBOX`; `?move=Processed` also moves handled mail there.
Each UNSEEN message is fetched without marking it (BODY.PEEK), received and committed
in its own transaction, and only then flagged \\Seen. A crash between the commit and
the flag is harmless: the next pass finds the Message-ID recorded and appends nothing.
A mail over MAIL_MAX_BYTES is not downloaded: it is quarantined from its headers.
"""

import imaplib
import logging
import re
import signal
import ssl
import threading
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from server import mail_in
from server.extensions import db
from server.mail import mask_url

log = logging.getLogger(__name__)
SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    username: str
    password: str = field(repr=False)
    mailbox: str
    implicit_tls: bool
    starttls: bool
    move_to: str | None
    timeout: float

    @classmethod
    def from_url(cls, url: str, timeout: float = 60) -> "ImapSettings":
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
            shown = mask_url(url)
            raise ValueError(f"IMAP_URL must be imap[s]://user:pass@host[:port]/BOX, not {shown}")
        query = parse_qs(parts.query)
        implicit_tls = parts.scheme == "imaps"
        return cls(
            host=parts.hostname,
            port=parts.port or (993 if implicit_tls else 143),
            username=unquote(parts.username),
            password=unquote(parts.password or ""),
            mailbox=unquote(parts.path.lstrip("/")) or "INBOX",
            implicit_tls=implicit_tls,
            starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
            move_to=query.get("move", [None])[0],
            timeout=float(query.get("timeout", [timeout])[0]),
        )


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class PollStats:
    outcomes: Counter = field(default_factory=Counter)
    failed: int = 0

    def summary(self) -> str:
        done = ", ".join(f"{n} {status}" for status, n in sorted(self.outcomes.items()))
        text = done or "no new mail"
        return text + (f"; {self.failed} failed (left unseen, see log)" if self.failed else "")


def connect(settings: ImapSettings) -> imaplib.IMAP4:
    context = ssl.create_default_context()
    if settings.implicit_tls:
        connection = imaplib.IMAP4_SSL(
            settings.host, settings.port, ssl_context=context, timeout=settings.timeout
        )
    else:
        connection = imaplib.IMAP4(settings.host, settings.port, timeout=settings.timeout)
        if settings.starttls:
            connection.starttls(ssl_context=context)
    try:
        connection.login(settings.username, settings.password)
        status, _ = connection.select(_quoted(settings.mailbox))
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot open mailbox {settings.mailbox!r}")
    except BaseException:
        connection.shutdown()
        raise
    return connection


def _fetch(connection: imaplib.IMAP4, uid: bytes, item: str) -> list:
    status, data = connection.uid("FETCH", uid, f"({item})")
    if status != "OK":
        raise imaplib.IMAP4.error(f"FETCH {item} failed for UID {uid!r}")
    return data


def _body(data: list) -> bytes:
    for entry in data:
        if isinstance(entry, tuple) and len(entry) == 2:
            return entry[1]
    raise imaplib.IMAP4.error("the server sent no message body")


def _handled(connection: imaplib.IMAP4, uid: bytes, settings: ImapSettings) -> None:
    connection.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    if not settings.move_to:
        return
    target = _quoted(settings.move_to)
    if "MOVE" in connection.capabilities:
        connection.uid("MOVE", uid, target)
    else:
        connection.uid("COPY", uid, target)
        connection.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
        connection.expunge()


def _receive_one(connection: imaplib.IMAP4, uid: bytes, limit: int) -> str:
    """Receive one message and commit; returns its outcome."""
    size_data = _fetch(connection, uid, "RFC822.SIZE")
    found = SIZE.search(b" ".join(x if isinstance(x, bytes) else x[0] for x in size_data))
    size = int(found.group(1)) if found else 0
    try:
        if size > limit:
            headers = _body(_fetch(connection, uid, "BODY.PEEK[HEADER]"))
            result = mail_in.record_oversized(headers, size, source="imap")
        else:
            result = mail_in.receive(_body(_fetch(connection, uid, "BODY.PEEK[]")), source="imap")
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return result.status


def poll_once(app: Flask, settings: ImapSettings, stop: threading.Event | None = None):
    """Receive every UNSEEN message of the mailbox once; returns the counts."""
    stats = PollStats()
    connection = connect(settings)
    try:
        status, data = connection.uid("SEARCH", None, "UNSEEN")
        if status != "OK":
            raise imaplib.IMAP4.error("SEARCH UNSEEN failed")
        with app.app_context():
            try:
                for uid in data[0].split():
                    if stop is not None and stop.is_set():
                        break
                    try:
                        outcome = _receive_one(connection, uid, app.config["MAIL_MAX_BYTES"])
                    except (imaplib.IMAP4.abort, OSError):
                        raise  # the connection is gone: end this pass
                    except Exception:
                        stats.failed += 1
                        log.exception("mail UID %s could not be received; left unseen", uid)
                        continue
                    stats.outcomes[outcome] += 1
                    _handled(connection, uid, settings)
            finally:
                db.session.remove()
    finally:
        try:
            connection.logout()
        except (imaplib.IMAP4.error, OSError):
            connection.shutdown()
    return stats


@click.command("mail-in")
@click.option("--once", is_flag=True, help="Receive what is unseen, print a summary and exit.")
@click.option("--poll", type=click.FloatRange(min=1), default=None, help="Seconds between passes.")
@with_appcontext
def mail_in_command(once, poll):
    """Poll the IMAP_URL mailbox and receive replies and new requests by mail."""
    app = current_app._get_current_object()
    if not app.config.get("IMAP_URL"):
        raise click.ClickException("IMAP_URL is not set (imap[s]://user:pass@host/INBOX).")
    try:
        settings = ImapSettings.from_url(app.config["IMAP_URL"])
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    shown = mask_url(app.config["IMAP_URL"])
    from server.cli import prepare_database

    prepare_database()
    if once:
        try:
            stats = poll_once(app, settings)
        except (imaplib.IMAP4.error, OSError) as exc:
            raise click.ClickException(f"mail-in: {shown}: {exc}") from exc
        click.echo(f"mail-in: {stats.summary()}")
        if stats.failed:
            raise click.exceptions.Exit(1)
        return
    _run_forever(app, settings, shown, poll or app.config["IMAP_POLL_SECONDS"])


def _run_forever(app: Flask, settings: ImapSettings, shown: str, seconds: float) -> None:
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s: %(message)s")
    log.info("mail-in polling %s every %ss", shown, seconds)
    while not stop.is_set():
        try:
            stats = poll_once(app, settings, stop)
            if stats.outcomes or stats.failed:
                log.info("mail-in: %s", stats.summary())
        except Exception:
            log.exception("mail-in pass on %s failed; trying again in %ss", shown, seconds)
        stop.wait(seconds)
