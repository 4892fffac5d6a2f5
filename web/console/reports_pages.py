"""Management reports in the console: the API's reports (same services, same scope)
as a filter form, an SVG chart, the table beside it and a CSV download."""

from datetime import date

from flask import current_app, request, stream_with_context
from sqlalchemy import select

from server.domain.workflow import PRIORITIES
from server.errors import Invalid, NotFound
from server.extensions import db
from server.models import Block, Department, TicketType
from server.schemas.reports import ReportQuerySchema
from server.scope import block_scope
from server.services import reports
from server.services.reports import csv_out
from server.services.reports.filters import GROUPS
from web.access import STAFF, signed_in
from web.charts import bar_chart
from web.console import bp
from web.forms import read_form
from web.rendering import page

LABELS = {
    "from": "From",
    "to": "To",
    "department": "Department",
    "block": "Block",
    "priority": "Priority",
    "type": "Type",
    "group": "Period",
    "by": "Split by",
    "format": "Format",
}
DESCRIPTIONS = {
    "volume": "Tickets opened, resolved and closed in each period, and how many were still "
    "open at its end.",
    "sla": "First-response and resolution targets met and breached, for tickets reported in "
    "the range, with business hours taken and the clocks at risk now.",
    "ageing": "Tickets still open (new, open, on hold) by how long ago they were reported.",
    "work": "Hours logged by contractors in each period, chargeable and not.",
}


def _load(name: str):
    if name not in reports.REPORTS:
        raise NotFound("No such report.", code="not_found")
    try:
        return read_form(ReportQuerySchema(), request.args), {}
    except Invalid as error:
        return {}, error.errors or {}


@bp.get("/reports")
@signed_in(*STAFF)
def reports_home(caller):
    return _render(caller, "volume")


@bp.get("/reports/<name>")
@signed_in(*STAFF)
def report_page(caller, name):
    return _render(caller, name)


@bp.get("/reports/<name>.csv")
@signed_in(*STAFF)
def report_csv(caller, name):
    query, errors = _load(name)
    if errors:
        raise Invalid("Check the report's filters.", errors=errors)
    built = reports.build(name, caller, query)
    headers = {
        "Content-Disposition": f'attachment; filename="{csv_out.filename(built)}"',
        "Cache-Control": "private, no-store",
    }
    return current_app.response_class(
        stream_with_context(csv_out.lines(built)), mimetype="text/csv", headers=headers
    )


def _render(caller, name: str):
    query, errors = _load(name)
    try:
        built = reports.build(name, caller, query)
    except Invalid as error:  # a split this report does not offer
        errors = error.errors or {}
        built = reports.build(name, caller, {})
    labels = dict(built.columns)
    chart = None
    if built.chart and built.rows:
        rows = built.rows
        if built.split:  # one bar group per period: the split's rows summed
            rows = _totals(built.rows, built.chart)
        chart = bar_chart(
            rows,
            built.chart.x,
            built.chart.bars,
            built.chart.line,
            labels,
            name_of=lambda day: _period_name(day, built.filters.group),
            top=built.chart.top,
        )
    args = {k: v for k, v in request.args.items() if v}
    # The table shows the period's first day; its end stays in JSON and CSV.
    shown = tuple(column for column in built.columns if column[0] != "period_end")
    return page(
        "console/reports/report.html",
        status=422 if errors else 200,
        report=built,
        columns=shown,
        name=name,
        names=reports.REPORTS,
        description=DESCRIPTIONS[name],
        chart=chart,
        errors=errors,
        labels=LABELS,
        args=request.args,
        csv_url=f"/reports/{name}.csv" + ("?" + _encode(args) if args else ""),
        priorities=PRIORITIES,
        groups=GROUPS,
        dimensions=reports.SPLITS.get(name, ()),
        types=db.session.scalars(select(TicketType.name).order_by(TicketType.name)).all(),
        departments=db.session.scalars(select(Department).order_by(Department.name)).all(),
        blocks=db.session.scalars(
            select(Block).where(block_scope(caller)).order_by(Block.name).limit(500)
        ).all(),
    )


def _period_name(day: str, group: str) -> str:
    """A period's short name on the chart's axis: "Dec 2025", "1 Dec"."""
    moment = date.fromisoformat(day)
    return moment.strftime("%b %Y") if group == "month" else f"{moment.day} {moment:%b}"


def _totals(rows, chart):
    summed: dict = {}
    for row in rows:
        key = tuple(row[k] for k in chart.x)
        total = summed.setdefault(key, {k: row[k] for k in chart.x})
        for series in (*chart.bars, *([chart.line] if chart.line else [])):
            total[series] = total.get(series, 0) + (row.get(series) or 0)
    return list(summed.values())


def _encode(args: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(args)
