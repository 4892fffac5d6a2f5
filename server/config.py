"""Settings, read from the environment once when the app is created."""

import os
from datetime import timedelta


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Config:
    """Production defaults; every value can be overridden by an environment variable."""

    def __init__(self, instance_path: str):
        self.INSTANCE_PATH = instance_path
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or _instance_secret(instance_path)
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            os.environ.get("DATABASE_URL")
            or "sqlite:///" + os.path.join(instance_path, "fieldline.sqlite3")
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        # JWT: HS256 is pinned; audience and issuer are checked on every request.
        self.JWT_ALGORITHM = "HS256"
        self.JWT_AUDIENCE = os.environ.get("JWT_AUDIENCE", "fieldline")
        self.JWT_ISSUER = os.environ.get("JWT_ISSUER", "fieldline")
        self.ACCESS_TOKEN_TTL = timedelta(seconds=_int("ACCESS_TOKEN_TTL_SECONDS", 900))
        # Long enough for a handheld that stays offline for weeks.
        self.REFRESH_TOKEN_TTL = timedelta(days=_int("REFRESH_TOKEN_TTL_DAYS", 30))
        self.LOGIN_MAX_FAILURES = _int("LOGIN_MAX_FAILURES", 5)
        self.LOGIN_WINDOW = timedelta(seconds=_int("LOGIN_WINDOW_SECONDS", 900))
        self.PASSWORD_HASH_PROFILE = os.environ.get("PASSWORD_HASH_PROFILE", "strong")
        # Whole-request ceiling; uploads have their own, smaller limits.
        self.MAX_CONTENT_LENGTH = _int("MAX_REQUEST_BYTES", 16 * 1024 * 1024)
        self.MAX_JSON_BYTES = _int("MAX_JSON_BYTES", 2 * 1024 * 1024)
        self.ATTACHMENT_MAX_BYTES = _int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
        self.ATTACHMENT_TYPES = tuple(
            os.environ.get(
                "ATTACHMENT_TYPES", "image/png,image/jpeg,image/webp,application/pdf,text/plain"
            ).split(",")
        )
        self.ATTACHMENT_DIR = os.environ.get(
            "ATTACHMENT_DIR", os.path.join(instance_path, "attachments")
        )
        self.SMTP_URL = os.environ.get("SMTP_URL", "")
        self.MAIL_FROM = os.environ.get("MAIL_FROM", "Fieldline <fieldline@localhost>")
        self.MAIL_DIR = os.environ.get("MAIL_DIR", os.path.join(instance_path, "outbox-mail"))
        self.SMTP_TIMEOUT_SECONDS = _int("SMTP_TIMEOUT_SECONDS", 30)
        # Mail in and out (server/mail/, docs/MAIL.md): reply addresses live under MAIL_DOMAIN
        # (empty: the domain of MAIL_FROM). Replies are read when either inbound path
        # is configured: the MTA endpoint (a shared secret) or the IMAP poller.
        self.MAIL_DOMAIN = os.environ.get("MAIL_DOMAIN", "")
        self.MAIL_INBOUND_SECRET = os.environ.get("MAIL_INBOUND_SECRET", "")
        self.IMAP_URL = os.environ.get("IMAP_URL", "")
        self.IMAP_POLL_SECONDS = _int("IMAP_POLL_SECONDS", 60)
        self.MAIL_MAX_BYTES = _int("MAIL_MAX_BYTES", 25 * 1024 * 1024)
        self.MAIL_MAX_ATTACHMENTS = _int("MAIL_MAX_ATTACHMENTS", 20)
        # Username requests: per client address and per email, in a sliding hour.
        self.SIGNUP_MAX_PER_HOUR = _int("SIGNUP_MAX_PER_HOUR", 5)
        self.SET_PASSWORD_TTL_HOURS = _int("SET_PASSWORD_TTL_HOURS", 72)
        # The worker (server/worker.py): batch, lease of claimed rows, retry schedule.
        self.WORKER_POLL_SECONDS = _int("WORKER_POLL_SECONDS", 5)
        self.OUTBOX_BATCH_SIZE = _int("OUTBOX_BATCH_SIZE", 50)
        self.OUTBOX_LEASE_SECONDS = _int("OUTBOX_LEASE_SECONDS", 300)
        self.OUTBOX_RETRY_SECONDS = tuple(
            int(s)
            for s in os.environ.get("OUTBOX_RETRY_SECONDS", "60,300,1800,7200,21600").split(",")
        )
        self.OUTBOX_MAX_ATTEMPTS = _int("OUTBOX_MAX_ATTEMPTS", len(self.OUTBOX_RETRY_SECONDS) + 1)
        # Sent outbox rows are purged this many days after sending (dead rows stay).
        self.OUTBOX_RETENTION_DAYS = _int("OUTBOX_RETENTION_DAYS", 30)
        # Periodic worker jobs (SLA timers, PDF sweep) run once per this period,
        # across all workers together.
        self.WORKER_JOB_SECONDS = _int("WORKER_JOB_SECONDS", 60)
        # An included ticket closes this long after it is resolved (0: at once).
        self.INCLUDED_CLOSE_GRACE_SECONDS = _int("INCLUDED_CLOSE_GRACE_SECONDS", 0)
        self.ERP_INBOUND_SECRET = os.environ.get("ERP_INBOUND_SECRET", "")
        self.PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
        self.AGENCY_NAME = os.environ.get("AGENCY_NAME", "Fieldline Property Services")
        self.AGENCY_ADDRESS = os.environ.get("AGENCY_ADDRESS", "1 High Street, London")
        self.TIMEZONE = os.environ.get("TIMEZONE", "Europe/London")
        self.CURRENCY = os.environ.get("CURRENCY", "GBP")
        self.VAT_RATE = os.environ.get("VAT_RATE", "20")
        self.AUTO_MIGRATE = os.environ.get("AUTO_MIGRATE", "sqlite") == "always" or (
            os.environ.get("AUTO_MIGRATE", "sqlite") == "sqlite"
            and self.SQLALCHEMY_DATABASE_URI.startswith("sqlite")
        )
        # OpenAPI, generated by flask-smorest from the marshmallow schemas.
        self.API_TITLE = "Fieldline"
        self.API_VERSION = "1"
        self.OPENAPI_VERSION = "3.1.0"
        self.OPENAPI_URL_PREFIX = "/api"
        self.OPENAPI_JSON_PATH = "openapi.json"
        self.OPENAPI_REDOC_PATH = "/docs"
        self.OPENAPI_REDOC_URL = "https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js"


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
