"""Management reports (staff: their scope; admins: all), as JSON or streamed CSV."""

from flask import current_app, stream_with_context
from flask_smorest import Blueprint

from server.api.access import requires
from server.auth import current_caller
from server.schemas.reports import ReportQuerySchema, ReportSchema
from server.services import reports
from server.services.reports import csv_out

STAFF = ("staff", "admin")
NAMES = ", ".join(reports.REPORTS)

blp = Blueprint(
    "reports",
    __name__,
    url_prefix="/api/reports",
    description=(
        "Management reports over the tickets in the caller's scope: volume, SLA compliance, "
        "ageing. Dates are in the agency's time zone (TIMEZONE); see docs/REPORTS.md."
    ),
)


def _csv(report):
    headers = {
        "Content-Disposition": f'attachment; filename="{csv_out.filename(report)}"',
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return current_app.response_class(
        stream_with_context(csv_out.lines(report)), mimetype="text/csv", headers=headers
    )


@blp.get(f"/<any({NAMES}):name>")
@requires(*STAFF)
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, ReportSchema)
@blp.alt_response(200, success=True, content_type="text/csv", description="with format=csv")
def report(query, name):
    """One report: `volume`, `sla` or `ageing` (JSON; CSV with `format=csv`)."""
    built = reports.build(name, current_caller(), query)
    if query.get("format") == "csv":
        return _csv(built)
    return built.as_dict()


@blp.get(f"/<any({NAMES}):name>.csv")
@requires(*STAFF)
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, {"type": "string"}, content_type="text/csv")
def report_csv(query, name):
    """One report as CSV (a header of column keys, one line per row)."""
    return _csv(reports.build(name, current_caller(), query))
