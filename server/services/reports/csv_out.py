"""A report as CSV, handed out line by line (a streamed response).

Cells that a spreadsheet could run as a formula get a leading quote: the rule of
billing.csv_safety (department and block names are typed by people), restated here
because the server package may not import billing; plain numbers stay numbers.
"""

import csv
import io
import re
from collections.abc import Iterator

from server.services.reports.result import Report

_TRIGGERS = tuple("=+-@\t\r＝＋－＠")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def safe(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_TRIGGERS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def lines(report: Report) -> Iterator[bytes]:
    """UTF-8 CSV: a header of the column keys, then one line per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    keys = [key for key, _ in report.columns]
    writer.writerow(keys)
    for row in report.rows:
        writer.writerow([safe(row.get(key)) for key in keys])
        if buffer.tell() > 32 * 1024:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def filename(report: Report) -> str:
    f = report.filters
    return f"{report.name}-{f.start.isoformat()}-{f.end.isoformat()}.csv"
