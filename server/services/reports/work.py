"""Work: hours logged per period, chargeable and not, optionally by contractor or block.

Time entries count by when they were logged (`created_at`, as the time-entries export
does), on tickets in the caller's scope; a reply held for review or rejected
(server.services.held_work) is not counted until staff approve it. One GROUP BY
over the local period; minutes are summed as integers and shown as hours.
"""

from sqlalchemy import case, func, literal, select

from server.auth import Caller
from server.extensions import db
from server.models import Block, HeldWork, Ticket, TimeEntry, User
from server.services.reports.buckets import local_period, periods
from server.services.reports.filters import Filters
from server.services.reports.result import Chart, Report

SPLITS = {"contractor": TimeEntry.contractor_id, "block": Ticket.block_id}
COLUMNS = (
    ("period", "Period from"),
    ("chargeable_hours", "Chargeable hours"),
    ("other_hours", "Not chargeable hours"),
    ("entries", "Entries"),
)


def figures(caller: Caller, filters: Filters, by: str | None = None) -> list[dict]:
    key = SPLITS[by] if by else literal("")
    bucket = local_period(
        TimeEntry.created_at, filters.group, filters.zone, filters.start_at, filters.end_at
    ).label("bucket")
    held = select(HeldWork.record_id).where(
        HeldWork.kind == "time_entries", HeldWork.status.in_(("held", "rejected"))
    )
    minutes = func.sum(TimeEntry.minutes)
    query = (
        select(
            bucket,
            key.label("key"),
            func.sum(case((TimeEntry.chargeable, TimeEntry.minutes), else_=0)).label("paid"),
            minutes.label("minutes"),
            func.count().label("entries"),
        )
        .join(Ticket, Ticket.id == TimeEntry.ticket_id)
        .where(
            *filters.ticket_conditions(caller),
            TimeEntry.created_at >= filters.start_at,
            TimeEntry.created_at < filters.end_at,
            TimeEntry.id.not_in(held),
        )
        .group_by(bucket, key)
    )
    found = {(row.bucket, row.key): row for row in db.session.execute(query)}
    keys = sorted({k for _, k in found}, key=str)
    names = _names(by, keys)
    table = []
    for key_value in keys:
        for start in periods(filters.start, filters.end, filters.group):
            row = found.get((start.isoformat(), key_value))
            paid = int(row.paid or 0) if row else 0
            total = int(row.minutes or 0) if row else 0
            entry = {
                "period": start.isoformat(),
                "chargeable_hours": round(paid / 60, 2),
                "other_hours": round((total - paid) / 60, 2),
                "entries": int(row.entries) if row else 0,
            }
            table.append({by: names.get(key_value), **entry} if by else entry)
    return table


def _names(by, keys) -> dict:
    model = {"contractor": User, "block": Block}.get(by or "")
    if model is None:
        return {}
    return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(keys))).all())


def report(caller: Caller, filters: Filters, by: str | None = None) -> Report:
    columns = ((by, by.title()),) if by else ()
    return Report(
        name="work",
        title="Work",
        filters=filters,
        columns=(*columns, *COLUMNS),
        rows=figures(caller, filters, by),
        chart=Chart(x=("period",), bars=("chargeable_hours", "other_hours")),
        split=by,
    )
