"""Rewrite the generated tables of the docs: `python -m server.docs` (from the repository).

docs/API.md's problem codes come from server/problems.py, docs/CONFIGURATION.md's settings
from the declarations (server/config.py and each feature package's `SETTINGS`). Each table
sits between `<!-- NAME: start -->` and `<!-- NAME: end -->` markers; the tests fail when a
table differs from its source.
"""

import pathlib
import sys

from server.config import all_settings
from server.config import markdown_table as settings_table
from server.problems import markdown_table as problems_table

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"


def tables() -> dict[tuple[str, str], str]:
    """(file, marker name) -> the table that belongs there."""
    return {
        ("API.md", "problem-codes"): problems_table(),
        ("CONFIGURATION.md", "settings"): settings_table(all_settings()),
    }


def between(text: str, name: str) -> tuple[str, str, str]:
    """The text before the table's markers, the table, and the text from its end marker."""
    start, end = f"<!-- {name}: start -->\n", f"<!-- {name}: end -->"
    head, rest = text.split(start, 1)
    table, tail = rest.split(end, 1)
    return head + start, table, end + tail


def main() -> int:
    for (file, name), table in tables().items():
        path = DOCS / file
        head, old, tail = between(path.read_text(), name)
        if old != table:
            path.write_text(head + table + tail)
            print(f"rewrote the {name} table of docs/{file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
