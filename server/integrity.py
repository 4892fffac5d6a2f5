"""`fieldline verify-all`: every ticket's hash chain, every stored attachment's bytes,
and whatever the feature packages register (delivery notes: each sealed note's
content hash). Run after a restore, or any time, to prove nothing was altered or lost.

Streams: one ordered query over all events (not one per ticket), blobs read in
chunks, so memory stays flat on any size of database.
"""

import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from server.domain.chain import first_broken
from server.extensions import db
from server.models import Attachment, Ticket, TicketEvent
from server.services.ticket_counts import kept_counts, rebuild, recount
from server.services.timeline import stored_event
from server.storage import blob_store

EXTENSION_KEY = "integrity_checks"
BATCH = 2000


@dataclass
class Report:
    """What one check looked at, and each thing it found wrong (in words)."""

    name: str
    checked: int = 0
    problems: list[str] = field(default_factory=list)


Check = Callable[[], Report]


def register_check(app: Flask, check: Check) -> None:
    """A feature package adds its own check (the server package imports none of them)."""
    app.extensions.setdefault(EXTENSION_KEY, []).append(check)


def ticket_chains() -> Report:
    """Recompute every event's hash, ticket by ticket, and compare each ticket's head."""
    report = Report("ticket timelines")
    heads = db.session.execute(
        select(Ticket.id, Ticket.ref, Ticket.event_count, Ticket.last_event_hash).order_by(
            Ticket.id
        )
    ).yield_per(BATCH)
    events = (
        db.session.execute(select(TicketEvent).order_by(TicketEvent.ticket_id, TicketEvent.id))
        .scalars()
        .yield_per(BATCH)
    )
    by_ticket = itertools.groupby(events, key=lambda event: event.ticket_id)
    pending = next(by_ticket, None)
    for ticket_id, ref, event_count, last_hash in heads:
        rows = []
        while pending is not None and pending[0] < ticket_id:
            report.problems.append(f"events of a missing ticket #{pending[0]}")
            pending = next(by_ticket, None)
        if pending is not None and pending[0] == ticket_id:
            rows = list(pending[1])
            pending = next(by_ticket, None)
        report.checked += 1
        broken = first_broken(stored_event(row) for row in rows)
        if broken is not None:
            report.problems.append(f"{ref}: the chain breaks at event {broken}")
        elif len(rows) != event_count or (rows[-1].hash if rows else None) != last_hash:
            report.problems.append(f"{ref}: events are missing from the end of the chain")
    return report


def attachment_bytes() -> Report:
    """Every uploaded attachment's bytes are stored and still hash to their digest."""
    report = Report("attachment files")
    store = blob_store()
    seen: set[str] = set()
    rows = db.session.execute(
        select(Attachment.sha256, Attachment.filename, Attachment.ticket_id)
        .where(Attachment.uploaded.is_(True))
        .order_by(Attachment.sha256)
    ).yield_per(BATCH)
    for sha256, filename, ticket_id in rows:
        if sha256 in seen:
            continue
        seen.add(sha256)
        report.checked += 1
        try:
            with store.open(sha256) as stream:
                digest = _sha256_of(stream)
        except FileNotFoundError:
            report.problems.append(f"{filename} (ticket #{ticket_id}): the file is missing")
            continue
        if digest != sha256:
            report.problems.append(f"{filename} (ticket #{ticket_id}): the bytes changed")
    return report


def status_counts() -> Report:
    """The counts the dashboard reads (kept by a trigger) equal a recount of tickets."""
    report = Report("ticket status counts")
    kept, truth = kept_counts(), recount()
    report.checked = len(truth)
    for group in sorted(set(kept) | set(truth), key=str):
        if kept.get(group, 0) != truth.get(group, 0):
            department, block, manager, owner, status = group
            report.problems.append(
                f"department {department}, block {block}, manager {manager}, owner {owner},"
                f" {status}: kept {kept.get(group, 0)}, counted {truth.get(group, 0)}"
            )
    return report


def _sha256_of(stream) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(64 * 1024), b""):
        digest.update(chunk)
    return digest.hexdigest()


def run_all(app: Flask) -> list[Report]:
    checks: list[Check] = [
        ticket_chains,
        attachment_bytes,
        status_counts,
        *app.extensions.get(EXTENSION_KEY, []),
    ]
    return [check() for check in checks]


@click.command("verify-all", short_help="Check every hash chain, attachment and note.")
@with_appcontext
def verify_all_command():
    """Check every ticket's hash chain, every attachment's bytes, the dashboard's
    status counts and every delivery note's content hash; exit 1 if anything does not
    match."""
    from server.cli import prepare_database

    prepare_database()
    reports = run_all(current_app._get_current_object())
    failed = False
    for report in reports:
        verdict = "all intact" if not report.problems else f"{len(report.problems)} PROBLEM(S)"
        click.echo(f"{report.name}: {report.checked} checked, {verdict}")
        for problem in report.problems[:50]:
            click.echo(f"  {problem}")
        failed = failed or bool(report.problems)
    if failed:
        raise SystemExit(1)


@click.command("recount", short_help="Rebuild the dashboard's ticket status counts.")
@with_appcontext
def recount_command():
    """Rebuild the ticket status counts the dashboard reads from the tickets themselves.
    Needed only if `verify-all` finds them wrong (a write with triggers switched off)."""
    from server.cli import prepare_database

    prepare_database()
    groups = rebuild()
    db.session.commit()
    click.echo(f"ticket status counts rebuilt: {groups} group(s)")
