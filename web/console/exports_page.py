"""Exports in the console: one form per CSV export with a date range, streamed by the
same `billing.exports.csv_chunks` the API and `fieldline export` use, in the caller's
scope; and, when EXPORT_DROP_DIR is set, the last runs written there with their
manifests."""

import json
import os

from flask import current_app, request, stream_with_context

from billing import exports
from billing.schemas import ExportQuerySchema
from server.errors import Invalid, NotFound
from server.scope import ticket_scope
from web.access import STAFF, signed_in
from web.console import bp
from web.forms import read_form
from web.rendering import page

TITLES = {
    "tickets": ("Tickets", "tickets, by the day each was reported"),
    "time_entries": ("Time entries", "hours logged, by the day they were logged"),
    "materials": ("Materials", "materials used, by the day they were recorded"),
    "invoices": ("Invoices", "issued invoices and credit notes, by issue date"),
    "invoice_lines": ("Invoice lines", "their lines, by issue date"),
    "xero_invoices": ("Xero sales invoices", "Xero's sales invoice import, one row per line"),
}
RUNS_SHOWN = 10


def last_runs(folder: str) -> list[dict]:
    """The newest manifests in the drop folder (written last by each run, so each one
    names complete files); unreadable ones are listed as such, not skipped."""
    try:
        names = sorted(
            (n for n in os.listdir(folder) if n.endswith("-manifest.json")), reverse=True
        )[:RUNS_SHOWN]
    except OSError as error:
        return [{"name": folder, "error": f"cannot read the folder: {error.strerror}"}]
    runs = []
    for name in names:
        try:
            with open(os.path.join(folder, name), encoding="utf-8") as handle:
                runs.append({"name": name, "manifest": json.load(handle)})
        except (OSError, ValueError):
            runs.append({"name": name, "error": "the manifest cannot be read"})
    return runs


@bp.get("/exports")
@signed_in(*STAFF)
def exports_home(caller):
    return _exports_page()


def _exports_page(status=200, errors=None, failed=None):
    folder = current_app.config["EXPORT_DROP_DIR"]
    return page(
        "console/billing/exports.html",
        status=status,
        kinds=[(kind, *TITLES[kind]) for kind in exports.KINDS],
        errors=errors or {},
        failed=failed,
        args=request.args,
        folder=folder,
        runs=last_runs(folder) if folder else [],
    )


@bp.get("/exports/<kind>.csv")
@signed_in(*STAFF)
def export_csv(caller, kind):
    if kind not in exports.KINDS:
        raise NotFound("There is no such export.", code="not_found")
    try:
        query = read_form(ExportQuerySchema(), request.args)
    except Invalid as error:
        errors = {f"{kind}-{name}": messages for name, messages in error.errors.items()}
        return _exports_page(422, errors, kind)
    chunks = exports.csv_chunks(kind, ticket_scope(caller), query.get("start"), query.get("end"))
    headers = {
        "Content-Disposition": f'attachment; filename="{kind}.csv"',
        "Cache-Control": "private, no-store",
    }
    return current_app.response_class(
        stream_with_context(chunks), mimetype="text/csv", headers=headers
    )
