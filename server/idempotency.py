"""`Idempotency-Key` for POSTs a person may send twice (a double click, a retry after a
lost response), after the IETF httpapi draft "The Idempotency-Key HTTP Header Field".

The header's value is a Structured Field string (`Idempotency-Key: "8e03978e-..."`; a
bare token is accepted too), at most 255 characters. Keys are scoped per user. The first
request with a key claims it (a row under a unique constraint) in the request's own
transaction and stores the response it gave there; so the key and the change commit
together, or neither does. Then:

- the same key with the same request (method, path and JSON body, compared by
  fingerprint) answers the first response again, same status and body, and changes
  nothing (`Idempotent-Replayed: true` says so);
- the same key with another request answers 422 `idempotency_key_reused`;
- a request that failed stored nothing: sending it again with the same key runs it again;
- two at once (PostgreSQL): the second waits on the unique index until the first
  commits, then answers its response.

Kept IDEMPOTENCY_KEY_RETENTION_HOURS (default 72), then forgotten by a worker job.
"""

import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app, request
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from server.auth import Caller
from server.db import utcnow
from server.errors import Conflict, DomainError, Invalid
from server.extensions import db
from server.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_LENGTH = 255
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z:/=]+")


def key_from_header() -> str | None:
    """The request's key, or None without the header; a malformed one is a 400."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    return checked_key(raw)


def checked_key(raw: str) -> str:
    """A key as sent (header value or a page's hidden form field); a malformed one is a
    400 `idempotency_key_invalid`."""
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        valid = all(" " <= c <= "~" for c in value)
    else:
        valid = bool(_TOKEN.fullmatch(value))
    if not value or not valid or len(value) > MAX_LENGTH:
        raise DomainError(
            f"{HEADER} must be a string of 1 to {MAX_LENGTH} printable ASCII characters, e.g. "
            f'{HEADER}: "8e03978e-40d5-43e8-bc93-6894a57f9324".',
            code="idempotency_key_invalid",
        )
    return value


def fingerprint() -> str:
    """SHA-256 of the method, path and JSON body (key order and spacing do not count)."""
    body = request.get_json(silent=True)
    text = json.dumps([request.method, request.path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def respond_once(caller: Caller, status: int, produce: Callable[[], dict]):
    """Run `produce` (a service call whose result is dumped to a dict) at most once per
    key of the caller, and answer `status` with its JSON; without a key, just run it."""
    key = key_from_header()
    if key is None:
        return _json_response(json.dumps(produce()), status)
    body, code, replayed = run_once(caller, key, fingerprint(), status, produce)
    response = _json_response(body, code)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def run_once(
    caller: Caller, key: str, digest: str, status: int, produce: Callable[[], dict]
) -> tuple[str, int, bool]:
    """The mechanism under `respond_once`, for the API and the console's forms alike:
    (JSON body, status, replayed). The first request with `key` runs `produce` and keeps
    its answer; the same key and `digest` again gives that answer back without running
    it; the same key with another digest is 422 `idempotency_key_reused`."""
    claimed = _claim(caller.user.id, key, digest)
    if claimed is None:
        row = _replay(caller.user.id, key, digest)
        return row.response_body, row.status_code, True
    body = json.dumps(produce())
    claimed_row = db.session.get(IdempotencyKey, claimed)
    claimed_row.status_code = status
    claimed_row.response_body = body
    db.session.flush()
    return body, status, False


def _claim(user_id: int, key: str, digest: str) -> int | None:
    """Insert the key (None if it exists: on PostgreSQL this waits for a twin in flight)."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return db.session.execute(
        insert(IdempotencyKey)
        .values(user_id=user_id, key=key, fingerprint=digest, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(IdempotencyKey.id)
    ).scalar()


def _replay(user_id: int, key: str, digest: str):
    row = db.session.scalar(
        select(IdempotencyKey)
        .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
        .execution_options(populate_existing=True)
    )
    if row is None or row.status_code is None:  # not expected: claims commit with answers
        raise Conflict(
            "A request with this Idempotency-Key is still being processed; try again.",
            code="idempotency_key_in_use",
        )
    if row.fingerprint != digest:
        raise Invalid(
            "This Idempotency-Key was used for another request; use a new key for a new request.",
            code="idempotency_key_reused",
        )
    return row


def _json_response(body: str, status: int):
    return current_app.response_class(body, status=status, mimetype="application/json")


def forget_old_keys(now: datetime) -> dict[str, int]:
    """Worker job: drop keys older than IDEMPOTENCY_KEY_RETENTION_HOURS."""
    hours = current_app.config["IDEMPOTENCY_KEY_RETENTION_HOURS"]
    result = db.session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < now - timedelta(hours=hours))
    )
    return {"forgotten": result.rowcount or 0}
