"""Management reports: each module answers one question with SQL aggregates over the
tickets a caller may see (server.scope), in the agency's time zone.

`build(name, caller, query)` is the one entry point for the API and the console.
"""

from datetime import datetime

from server.auth import Caller
from server.errors import Invalid
from server.services.reports import ageing, sla, volume, work
from server.services.reports.filters import Filters
from server.services.reports.result import Report

REPORTS = {
    "volume": "Volume",
    "sla": "SLA compliance",
    "ageing": "Ageing",
    "work": "Work",
}


# The `by` splits each report offers.
SPLITS = {"volume": tuple(volume.DIMENSIONS), "work": tuple(work.SPLITS)}


def build(name: str, caller: Caller, query: dict, now: datetime | None = None) -> Report:
    """The report `name` for `caller`, from a loaded ReportQuerySchema."""
    filters = Filters.from_query(query)
    by = query.get("by")
    if by is not None and by not in SPLITS.get(name, ()):
        offered = ", ".join(SPLITS.get(name, ())) or "nothing"
        raise Invalid(
            f"The {name} report cannot be split by {by}.",
            code="validation_failed",
            errors={"by": [f"The {name} report splits by: {offered}."]},
        )
    if name == "volume":
        return volume.report(caller, filters, query.get("by"))
    if name == "sla":
        return sla.report(caller, filters, now)
    if name == "work":
        return work.report(caller, filters, query.get("by"))
    if name == "ageing":
        return ageing.report(caller, filters, now)
    raise KeyError(name)
