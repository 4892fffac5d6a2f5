"""The queue's query string read as the API reads it (TicketListQuerySchema), after the
one thing a browser sends differently: `<input type=date>` days (YYYY-MM-DD), which
mean the agency's midnight (TIMEZONE) of that day."""

import re
from datetime import date, datetime
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from flask import current_app
from werkzeug.datastructures import MultiDict

from server.errors import Invalid
from server.schemas.tickets import TicketListQuerySchema
from web.forms import read_form

DATE_FIELDS = ("created_after", "created_before", "updated_since", "updated_before")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# What the page says instead of the schema's terse words, for the fields a person picks.
PLAIN = {
    "sort": "Choose one of the orders in the list.",
    "sla": "Choose On time, At risk or Breached.",
    "status": "Choose a status from the list.",
    "priority": "Choose a priority from the list.",
    "cursor": "That page link is out of date: start again from the first page.",
}
# Query members that are not a filter: never saved with a filter set.
NOT_FILTERS = ("cursor", "limit", "csrf_token")


def agency_midnight(day: str) -> str | None:
    """`day` (YYYY-MM-DD) as the ISO instant of its midnight in the agency's zone."""
    try:
        parsed = date.fromisoformat(day)
        zone = ZoneInfo(current_app.config["TIMEZONE"])
        return datetime(parsed.year, parsed.month, parsed.day, tzinfo=zone).isoformat()
    except ValueError:
        return None


def load(args) -> tuple[dict, dict[str, list[str]]]:
    """(filters for ticket_queries.list_tickets, errors by field). With errors the
    filters are the defaults: a bad query shows the whole queue, never a guess."""
    raw, errors = {}, {}
    for name in args:
        value = args.get(name, "")
        if name in DATE_FIELDS and DAY.fullmatch(value.strip()):
            converted = agency_midnight(value.strip())
            if converted is None:
                errors[name] = ["Enter a real date, for example 2026-12-01."]
                continue
            value = converted
        raw[name] = value
    try:
        filters = read_form(TicketListQuerySchema(), raw)
    except Invalid as error:
        for name, messages in (error.errors or {}).items():
            errors.setdefault(name, [PLAIN.get(name, messages[0] if messages else "Not valid.")])
        filters = None
    if errors:
        return {"limit": 50}, errors
    return filters, {}


def filter_query(args) -> str:
    """The current filter set as a query string, without paging and empty members."""
    pairs = [(k, v) for k, v in args.items(multi=True) if k not in NOT_FILTERS and v.strip()]
    return urlencode(pairs)


def parse_saved(query: str) -> dict:
    """A saved filter's query string as args (for `load`)."""
    return MultiDict(parse_qsl(query, keep_blank_values=False))
