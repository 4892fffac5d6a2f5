"""CSV cells that a spreadsheet will not run as formulas (CSV/formula injection).

Rule: a cell whose text starts with = + - @ TAB or CR (or their full-width
forms ＝ ＋ － ＠, which some spreadsheet locales also accept) is prefixed with
a single quote, which spreadsheets treat as "this is text".

Exception, decided for the back-office exports: a plain decimal number such as
"-12.50" (our `money.to_str` output for credits) is left as it is so that it
stays numeric in Excel/LibreOffice. Only ``-?digits(.digits)?`` qualifies; a
number cannot carry a formula, so this is safe.

Cost: a consumer that is not a spreadsheet sees the added quote; the
transformation is reversible (strip one leading quote from a cell that
`needs_escape` would flag).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

__all__ = ["FORMULA_TRIGGERS", "needs_escape", "safe_cell"]

FORMULA_TRIGGERS = frozenset("=+-@\t\r＝＋－＠")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def needs_escape(text: str) -> bool:
    """True when `text` could start a formula and is not a plain decimal number."""
    return bool(text) and text[0] in FORMULA_TRIGGERS and not _PLAIN_NUMBER.fullmatch(text)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):  # before anything else: True would print as "True"
        return "true" if value else "false"
    if isinstance(value, float):
        raise TypeError("floats don't belong in exports; pass a Decimal")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("non-finite Decimal in export")
        return format(value.copy_abs() if value.is_zero() else value, "f")
    if isinstance(value, dt.date):  # datetime is a date too
        return value.isoformat()
    return str(value)


def safe_cell(value: object) -> str:
    """The text to write in a CSV cell for `value`, defused against formula injection."""
    text = _text(value)
    return "'" + text if needs_escape(text) else text
