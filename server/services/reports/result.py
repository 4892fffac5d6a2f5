"""A report's answer: named columns and rows of plain values, ready for JSON, CSV or a page."""

from dataclasses import dataclass, field

from server.services.reports.filters import Filters


@dataclass(frozen=True)
class Chart:
    """What the console draws: bars per row for each of `bars`, and `line` over them;
    a row is labelled by its `x` columns joined."""

    x: tuple[str, ...]
    bars: tuple[str, ...]
    line: str | None = None
    # A fixed top of the scale (100 for percentages); else from the figures.
    top: int | None = None


@dataclass
class Report:
    name: str
    title: str
    filters: Filters
    columns: tuple[tuple[str, str], ...]  # (key, label)
    rows: list[dict]
    chart: Chart | None = None
    # The column the rows are split by (volume's `by`), if any.
    split: str | None = None
    # Figures over the whole report (SLA: at risk now), shown above the table.
    summary: dict = field(default_factory=dict)
    # Further tables (name -> (columns, rows)), e.g. ageing's oldest tickets.
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "report": self.name,
            "title": self.title,
            "filters": self.filters.as_dict(),
            "columns": [{"key": key, "label": label} for key, label in self.columns],
            "rows": self.rows,
            "summary": self.summary,
        }
