"""Settings: declared once with their type, default and meaning, read from the environment
once when the app is created.

Every package declares its settings as `Setting`s: the server's are `SETTINGS` below, each
feature package's in its `settings` module (`SETTINGS`), merged into `app.config` by
`declare()` at its `init_app`. Code reads `app.config["NAME"]`, never
`app.config.get("NAME", default)`: the default lives in the declaration only. Values
passed to `create_app(config)` win over the environment (tests use that).
docs/CONFIGURATION.md's table is generated from the declarations (`python -m server.docs`;
tests/unit/test_settings.py keeps them equal).
"""

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

FEATURE_PACKAGES = ("sync", "delivery_notes", "billing", "web")


def _flag(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "on")


def _seconds(text: str) -> timedelta:
    return timedelta(seconds=int(text))


def _days(text: str) -> timedelta:
    return timedelta(days=int(text))


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split(","))


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(s) for s in text.split(","))


# type name (as the docs show it) -> parser of the environment's text
TYPES: dict[str, Callable[[str], object]] = {
    "str": str,
    "int": int,
    "flag": _flag,
    "seconds": _seconds,
    "days": _days,
    "list": _words,
    "int list": _ints,
}


@dataclass(frozen=True)
class Setting:
    """One setting: `app.config[key]`, read from the environment variable `env` (the key
    unless given), parsed by its type; `default` is the text the environment would hold,
    or a function of the instance path for defaults that live there."""

    key: str
    type: str
    default: str | Callable[[str], str]
    meaning: str
    env: str = ""

    @property
    def variable(self) -> str:
        return self.env or self.key

    def default_text(self, instance_path: str) -> str:
        return self.default(instance_path) if callable(self.default) else self.default

    def read(self, instance_path: str, environ=os.environ):
        text = environ.get(self.variable) or self.default_text(instance_path)
        return TYPES[self.type](text)


def _in_instance(*parts: str) -> Callable[[str], str]:
    def default(instance_path: str) -> str:
        return os.path.join(instance_path, *parts)

    default.__doc__ = "instance/" + "/".join(parts)
    return default


def _sqlite_in_instance(instance_path: str) -> str:
    return "sqlite:///" + os.path.join(instance_path, "fieldline.sqlite3")


_sqlite_in_instance.__doc__ = "sqlite:///instance/fieldline.sqlite3"
RETRY_SECONDS = "60,300,1800,7200,21600"

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SQLALCHEMY_DATABASE_URI",
        "str",
        _sqlite_in_instance,
        "`postgresql://…` selects PostgreSQL (psycopg 3)",
        env="DATABASE_URL",
    ),
    Setting(
        "SECRET_KEY",
        "str",
        "",
        "signs access tokens (HS256), mail tokens and links; empty: a random key kept in "
        "`instance/secret_key`. Set it in production and share it between servers",
    ),
    Setting("JWT_AUDIENCE", "str", "fieldline", "`aud` of access tokens, checked on every request"),
    Setting("JWT_ISSUER", "str", "fieldline", "`iss` of access tokens, checked on every request"),
    Setting(
        "ACCESS_TOKEN_TTL",
        "seconds",
        "900",
        "access tokens are short-lived",
        env="ACCESS_TOKEN_TTL_SECONDS",
    ),
    Setting(
        "REFRESH_TOKEN_TTL",
        "days",
        "30",
        "long enough for a handheld offline for weeks",
        env="REFRESH_TOKEN_TTL_DAYS",
    ),
    Setting(
        "LOGIN_MAX_FAILURES",
        "int",
        "5",
        "login attempts per account from one client address before it is blocked "
        '(docs/API.md, "Login throttle")',
    ),
    Setting(
        "LOGIN_ADDRESS_MAX_FAILURES",
        "int",
        "20",
        "login attempts from one client address over all accounts before it is blocked",
    ),
    Setting(
        "LOGIN_ACCOUNT_MAX_FAILURES",
        "int",
        "50",
        "login attempts on one account from all addresses before it is blocked for "
        "addresses its owner never used",
    ),
    Setting("LOGIN_BACKOFF_SECONDS", "int", "60", "first login block, doubled per further failure"),
    Setting("LOGIN_MAX_BACKOFF_SECONDS", "int", "3600", "longest login block"),
    Setting(
        "LOGIN_WINDOW",
        "seconds",
        "900",
        "a login counter forgets its failures after this long without attempts",
        env="LOGIN_WINDOW_SECONDS",
    ),
    Setting(
        "PROXY_FIX_X_FOR",
        "int",
        "0",
        "trusted proxies in front whose `X-Forwarded-For` gives the client address "
        "(werkzeug ProxyFix); 0 trusts no header. Login and signup throttles key on it",
    ),
    Setting(
        "PASSWORD_HASH_PROFILE",
        "str",
        "strong",
        "`strong` (argon2id); `fast` exists for the test suite only",
    ),
    Setting(
        "MAX_CONTENT_LENGTH",
        "int",
        str(16 * 1024 * 1024),
        "whole-request ceiling in bytes (413)",
        env="MAX_REQUEST_BYTES",
    ),
    Setting("MAX_JSON_BYTES", "int", str(2 * 1024 * 1024), "JSON bodies in bytes (413)"),
    Setting(
        "ATTACHMENT_MAX_BYTES",
        "int",
        str(10 * 1024 * 1024),
        "one uploaded file in bytes, counted while streaming (413)",
    ),
    Setting(
        "ATTACHMENT_TYPES",
        "list",
        "image/png,image/jpeg,image/webp,application/pdf,text/plain",
        "sniffed types accepted for attachments (415 otherwise)",
    ),
    Setting(
        "ATTACHMENT_DIR", "str", _in_instance("attachments"), "attachment bytes, stored by SHA-256"
    ),
    Setting(
        "ATTACHMENT_PENDING_MAX_BYTES",
        "int",
        str(200 * 1024 * 1024),
        "per user: bytes sent before their attachment records (507 `upload_quota_exceeded`)",
    ),
    Setting(
        "ATTACHMENT_ORPHAN_GRACE_HOURS",
        "int",
        "168",
        "bytes without a record, and blobs nothing refers to, are swept after this long",
    ),
    Setting(
        "SMTP_URL",
        "str",
        "",
        "e.g. `smtp://user:pass@host:587?starttls=1`; empty: mail is written as .eml "
        "files to `MAIL_DIR`",
    ),
    Setting("MAIL_FROM", "str", "Fieldline <fieldline@localhost>", "sender of every mail"),
    Setting(
        "MAIL_DIR",
        "str",
        _in_instance("outbox-mail"),
        "folder for .eml files when `SMTP_URL` is empty",
    ),
    Setting("SMTP_TIMEOUT_SECONDS", "int", "30", "connect and command timeout of the SMTP client"),
    Setting(
        "MAIL_DOMAIN", "str", "", "reply addresses live under it; empty: the domain of `MAIL_FROM`"
    ),
    Setting(
        "MAIL_INBOUND_SECRET",
        "str",
        "",
        "shared secret of the MTA endpoint; empty: the endpoint answers 404",
    ),
    Setting(
        "IMAP_URL",
        "str",
        "",
        "mailbox `fieldline mail-in` reads replies from, e.g. `imaps://user:pass@host/INBOX`",
    ),
    Setting("IMAP_POLL_SECONDS", "int", "60", "pause between IMAP polls"),
    Setting("MAIL_MAX_BYTES", "int", str(25 * 1024 * 1024), "largest inbound mail kept whole"),
    Setting("MAIL_MAX_ATTACHMENTS", "int", "20", "attachments kept per inbound mail"),
    Setting(
        "SIGNUP_MAX_PER_HOUR",
        "int",
        "5",
        "username requests per client address and per email in a sliding hour",
    ),
    Setting("SET_PASSWORD_TTL_HOURS", "int", "72", "life of a set-password link"),
    Setting("WORKER_POLL_SECONDS", "int", "5", "pause between the worker's passes"),
    Setting("OUTBOX_BATCH_SIZE", "int", "50", "outbox rows a worker claims per pass"),
    Setting(
        "OUTBOX_RETENTION_DAYS",
        "int",
        "30",
        "sent outbox rows are purged this many days after sending (dead rows stay)",
    ),
    Setting(
        "WORKER_JOB_SECONDS",
        "int",
        "60",
        "periodic worker jobs (SLA timers, PDF sweep) run once per this period, across all workers",
    ),
    Setting(
        "OUTBOX_LEASE_SECONDS",
        "int",
        "300",
        "a claimed row returns to the queue after this if its worker died",
    ),
    Setting(
        "OUTBOX_RETRY_SECONDS",
        "int list",
        RETRY_SECONDS,
        "retry delays of the mail and PDF channels",
    ),
    Setting(
        "OUTBOX_MAX_ATTEMPTS",
        "int",
        "0",
        "attempts before a row is dead; 0: one more than the retry delays",
    ),
    Setting(
        "INCLUDED_CLOSE_GRACE_SECONDS",
        "int",
        "0",
        "an included ticket closes this long after it is resolved (0: at once)",
    ),
    Setting(
        "ERP_INBOUND_SECRET",
        "str",
        "",
        "`whsec_…` secret the ERP signs payment reports with; empty: payments refused (401)",
    ),
    Setting(
        "PUBLIC_BASE_URL",
        "str",
        "http://127.0.0.1:5000",
        "used in links (verification QR codes, set-password links, webhook payloads, and every "
        "notification mail's link to its ticket: `PUBLIC_BASE_URL/tickets/{id}`)",
    ),
    Setting(
        "AGENCY_NAME",
        "str",
        "Fieldline Property Services",
        "printed on delivery notes and invoices",
    ),
    Setting(
        "AGENCY_ADDRESS",
        "str",
        "1 High Street, London",
        "printed on delivery notes and invoices (lines split at commas)",
    ),
    Setting(
        "TIMEZONE",
        "str",
        "Europe/London",
        "the agency's zone: SLA calendars, note years, invoice dates, exports",
    ),
    Setting("CURRENCY", "str", "GBP", "currency of new invoices"),
    Setting(
        "CERTIFICATE_REMINDER_DAYS",
        "int list",
        "60,30,7",
        "days before a certificate expires when the worker mails the block's manager "
        "(once per certificate and lead time)",
    ),
    Setting(
        "CERTIFICATE_RENEWAL_TICKETS",
        "flag",
        "0",
        "the first expiry reminder of a certificate also opens a renewal ticket on its block",
    ),
    Setting("VAT_RATE", "str", "20", "VAT percentage of new invoice lines"),
    Setting(
        "AUTO_MIGRATE",
        "str",
        "sqlite",
        "`sqlite`: migrate the embedded database on start; `always`; or `never`",
    ),
)


def declare(config: dict, settings: Iterable[Setting], instance_path: str, environ=os.environ):
    """Merge declared settings into `config` (a Flask config); values already there win."""
    for setting in settings:
        if setting.key not in config:
            config[setting.key] = setting.read(instance_path, environ)


class Config:
    """Production defaults; every declared value can be overridden by an environment variable."""

    def __init__(self, instance_path: str, environ=os.environ):
        self.INSTANCE_PATH = instance_path
        values: dict = {}
        declare(values, SETTINGS, instance_path, environ)
        vars(self).update(values)
        self.SECRET_KEY = self.SECRET_KEY or _instance_secret(instance_path)
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(self.SQLALCHEMY_DATABASE_URI)
        self.OUTBOX_MAX_ATTEMPTS = self.OUTBOX_MAX_ATTEMPTS or len(self.OUTBOX_RETRY_SECONDS) + 1
        self.AUTO_MIGRATE = self.AUTO_MIGRATE == "always" or (
            self.AUTO_MIGRATE == "sqlite" and self.SQLALCHEMY_DATABASE_URI.startswith("sqlite")
        )
        # Fixed, not settings.
        self.FEATURE_PACKAGES = FEATURE_PACKAGES
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        # JWT: HS256 is pinned; audience and issuer are checked on every request.
        self.JWT_ALGORITHM = "HS256"
        # OpenAPI, generated by flask-smorest from the marshmallow schemas.
        self.API_TITLE = "Fieldline"
        self.API_VERSION = "1"
        self.OPENAPI_VERSION = "3.1.0"
        self.OPENAPI_URL_PREFIX = "/api"
        self.OPENAPI_JSON_PATH = "openapi.json"


def markdown_table(packages: Iterable[tuple[str, Iterable[Setting]]]) -> str:
    """The settings of every package as docs/CONFIGURATION.md's table."""
    lines = [
        "| variable | package | type | default | meaning |",
        "|---|---|---|---|---|",
    ]
    for package, settings in packages:
        for s in settings:
            default = s.default.__doc__ if callable(s.default) else s.default
            default = f"`{default}`" if default else "empty"
            key = "" if s.variable == s.key else f" (`{s.key}`)"
            lines.append(
                f"| `{s.variable}`{key} | {package} | {s.type} | {default} | {s.meaning} |"
            )
    return "\n".join(lines) + "\n"


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever spelling the URL uses."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _instance_secret(instance_path: str) -> str:
    """A random key kept in the instance folder, so the embedded default needs no setup."""
    import secrets

    os.makedirs(instance_path, exist_ok=True)
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        # Written aside then linked into place: two workers starting at once agree on one key.
        tmp = f"{path}.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    with open(path) as f:
        return f.read().strip()


def all_settings() -> list[tuple[str, tuple[Setting, ...]]]:
    """The server's settings and each feature package's (imported by name, as create_app
    does, so the server package still imports none of them)."""
    import importlib

    found = [("server", SETTINGS)]
    for name in FEATURE_PACKAGES:
        found.append((name, importlib.import_module(f"{name}.settings").SETTINGS))
    return found
