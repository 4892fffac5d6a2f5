"""Login throttling: per account and client address, with exponential backoff.

Any sign-in (the token endpoint today, a web form tomorrow) calls `begin_login_attempt`
with the email and the client address before checking the password, and
`login_succeeded` after a correct one. Every attempt is counted on three rows:

* `pair` (this account from this address): LOGIN_MAX_FAILURES attempts, then blocked;
* `address` (this address, any account): LOGIN_ADDRESS_MAX_FAILURES, against spraying;
* `account` (this account, any address): LOGIN_ACCOUNT_MAX_FAILURES, against a botnet.
  An address that has logged in to the account before (a `trusted` pair) is exempt
  from this block, so guesses from elsewhere cannot lock the owner out.

Past its limit a row is blocked for LOGIN_BACKOFF_SECONDS, doubling with each further
failure up to LOGIN_MAX_BACKOFF_SECONDS; attempts while blocked are refused (429 with
Retry-After) without being counted, so a block is never renewed by knocking. A row
forgets its failures after LOGIN_WINDOW_SECONDS without attempts (after its block).

The attempt is counted *before* the password is checked, on locked rows, and
committed at once: concurrent guesses queue on the rows, so no more than the limit
ever reach the password check (PostgreSQL: INSERT ... ON CONFLICT then SELECT ... FOR
UPDATE; SQLite serialises writers). A correct password then takes its attempt back.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from server.db import utcnow
from server.errors import TooManyRequests
from server.extensions import db
from server.models import LoginThrottle

UNKNOWN_ADDRESS = "unknown"


@dataclass(frozen=True)
class Counter:
    kind: str
    key: str
    email: str | None
    address: str | None
    limit: int


def _counters(email: str, address: str | None) -> list[Counter]:
    config = current_app.config
    address = (address or UNKNOWN_ADDRESS)[:64]
    return sorted(
        [
            Counter(
                "pair", f"pair:{address} {email}", email, address, config["LOGIN_MAX_FAILURES"]
            ),
            Counter(
                "address", f"address:{address}", None, address, config["LOGIN_ADDRESS_MAX_FAILURES"]
            ),
            Counter(
                "account", f"account:{email}", email, None, config["LOGIN_ACCOUNT_MAX_FAILURES"]
            ),
        ],
        key=lambda c: c.key,  # one lock order for every transaction
    )


def _locked_rows(counters: list[Counter], now: datetime) -> dict[str, LoginThrottle]:
    """The counters' rows, created if missing, locked until the transaction ends."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    values = [
        {
            "key": c.key,
            "kind": c.kind,
            "email": c.email,
            "address": c.address,
            "failures": 0,
            "last_attempt_at": now,
            "trusted": False,
        }
        for c in counters
    ]
    statement = insert(LoginThrottle).values(values)
    # A no-op update rather than DO NOTHING: it takes the row (and SQLite's write) lock.
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["key"], set_={"key": statement.excluded.key}
        )
    )
    query = (
        select(LoginThrottle)
        .where(LoginThrottle.key.in_([c.key for c in counters]))
        .order_by(LoginThrottle.key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {row.key: row for row in db.session.scalars(query)}


def _backoff(excess: int) -> timedelta:
    config = current_app.config
    seconds = config["LOGIN_BACKOFF_SECONDS"] * 2 ** min(excess, 32)
    return timedelta(seconds=min(seconds, config["LOGIN_MAX_BACKOFF_SECONDS"]))


def begin_login_attempt(email: str, address: str | None) -> None:
    """Count one attempt to log in to `email` from `address`, or raise 429 (counted
    nothing) while a block applies. Commits: the count stands whatever follows."""
    now = utcnow()
    window = current_app.config["LOGIN_WINDOW"]
    counters = _counters(email, address)
    rows = _locked_rows(counters, now)
    pair = next(rows[c.key] for c in counters if c.kind == "pair")
    blocked_until = []
    for counter in counters:
        row = rows[counter.key]
        if row.blocked_until is not None and row.blocked_until > now:
            if not (counter.kind == "account" and pair.trusted):
                blocked_until.append(row.blocked_until)
        elif now - max(row.last_attempt_at, row.blocked_until or row.last_attempt_at) > window:
            row.failures, row.blocked_until = 0, None
    if blocked_until:
        db.session.commit()  # the forgotten counts; nothing is added while blocked
        wait = ceil((max(blocked_until) - now).total_seconds())
        raise TooManyRequests(
            "Too many failed logins; try again later.",
            code="login_throttled",
            headers={"Retry-After": str(max(wait, 1))},
        )
    for counter in counters:
        row = rows[counter.key]
        row.failures += 1
        row.last_attempt_at = now
        if row.failures >= counter.limit:
            row.blocked_until = now + _backoff(row.failures - counter.limit)
    db.session.commit()


def login_succeeded(email: str, address: str | None) -> None:
    """The password was right: this pair starts afresh and is trusted from now on; the
    attempt is taken back from the address and account counts (their blocks stand)."""
    for counter in _counters(email, address):
        row = db.session.get(LoginThrottle, counter.key, with_for_update=True)
        if row is None:
            continue
        if counter.kind == "pair":
            row.failures, row.blocked_until, row.trusted = 0, None, True
        else:
            row.failures = max(row.failures - 1, 0)
    db.session.flush()


def unlock_account(email: str) -> int:
    """Admin: forget every failed login of this account, from every address."""
    result = db.session.execute(
        delete(LoginThrottle).where(LoginThrottle.email == email, LoginThrottle.trusted.is_(False))
    )
    for row in db.session.scalars(select(LoginThrottle).where(LoginThrottle.email == email)):
        row.failures, row.blocked_until = 0, None
    db.session.flush()
    return result.rowcount


def prune(now: datetime) -> dict[str, int]:
    """Worker job: drop idle, unblocked, untrusted counters (a trusted pair is kept)."""
    config = current_app.config
    idle = now - config["LOGIN_WINDOW"] - timedelta(seconds=config["LOGIN_MAX_BACKOFF_SECONDS"])
    result = db.session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.trusted.is_(False),
            LoginThrottle.last_attempt_at < idle,
            (LoginThrottle.blocked_until.is_(None)) | (LoginThrottle.blocked_until < now),
        )
    )
    return {"login counters pruned": result.rowcount}
