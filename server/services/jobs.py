"""Periodic worker jobs that run once per period across all workers.

Each job has a `worker_jobs` row: when it is next due and, while it runs, the lease
of the worker running it. A worker claims a due job in one short transaction: it
reads the row (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so a second worker skips it
instead of waiting; SQLite's BEGIN IMMEDIATE serialises claimers), moves `due_at`
one period on and takes the lease, and commits; then it runs the job, and clears
the lease. Another worker finds the job not due (or leased) and passes. A worker
that dies mid-job holds it only until the lease runs out. A `due_at` further ahead
than one period (the clock was set back) counts as due, so a job never stalls.
"""

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from server.extensions import db
from server.models import WorkerJob


def _locked_row(name: str) -> WorkerJob | None:
    query = select(WorkerJob).where(WorkerJob.name == name)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return db.session.scalar(query.execution_options(populate_existing=True))


def claim(name: str, now: datetime, every: timedelta, lease: timedelta) -> datetime | None:
    """Take the job if it is due and nobody runs it; commits. Returns the lease's end
    (to hand to `finish`), or None when this worker must not run it now."""
    try:
        row = _locked_row(name)
        if row is None:
            dialect = db.session.get_bind().dialect.name
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            db.session.execute(
                insert(WorkerJob)
                .values(name=name, due_at=now, runs=0)
                .on_conflict_do_nothing(index_elements=["name"])
            )
            row = _locked_row(name)  # None: another worker holds it right now
        due = row is not None and (row.due_at <= now or row.due_at > now + every)
        free = row is not None and (row.lease_until is None or row.lease_until <= now)
        if not (due and free):
            db.session.commit()
            return None
        lease_until = now + max(lease, every)
        row.due_at, row.lease_until = now + every, lease_until
        row.last_started_at, row.runs = now, row.runs + 1
        db.session.commit()
        return lease_until
    except BaseException:
        db.session.rollback()
        raise


def finish(name: str, lease_until: datetime, now: datetime) -> None:
    """Give the lease back (only if it is still ours); commits."""
    try:
        db.session.execute(
            update(WorkerJob)
            .where(WorkerJob.name == name, WorkerJob.lease_until == lease_until)
            .values(lease_until=None, last_finished_at=now)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
