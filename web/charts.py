"""Server-rendered SVG bar charts for the reports: geometry here, markup in
templates/console/reports/_chart.html. No JavaScript; colours by CSS class from the
Okabe-Ito palette (safe for colour-blind readers), a legend with words, and the
table beside every chart carries the same figures."""

from dataclasses import dataclass

WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 12, 44
MAX_LABELS = 8  # x labels shown at most; the table has every row


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int
    label: str


def _nice_max(value: float) -> float:
    """The top of the scale: 4, 8, 20, 40, 80, 200 ... so the four gridlines fall on
    whole numbers (counts) and round ones."""
    step = 1
    while True:
        for factor in (4, 8, 20):
            if step * factor >= value:
                return step * factor
        step *= 10


def bar_chart(rows, x_keys, bars, line=None, labels=None, name_of=None, top=None) -> dict:
    """Geometry of grouped bars per row for each key in `bars`, and a polyline for
    `line`, all on one scale from 0."""
    labels = labels or {}
    values = [row.get(key) or 0 for row in rows for key in (*bars, *([line] if line else []))]
    top = top or _nice_max(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(rows), 1)
    bar_w = max(slot * 0.8 / max(len(bars), 1), 0.5)

    def y_of(value: float) -> float:
        return TOP + plot_h - (value / top) * plot_h

    drawn, points, ticks = [], [], []
    every = max(1, -(-len(rows) // MAX_LABELS))
    for n, row in enumerate(rows):
        name = " · ".join(
            (name_of or str)(row.get(key))
            if key == "period"
            else str(row.get(key)).replace("_", " ")
            for key in x_keys
        )
        for s, key in enumerate(bars):
            value = row.get(key) or 0
            drawn.append(
                Bar(
                    x=LEFT + n * slot + slot * 0.1 + s * bar_w,
                    y=y_of(value),
                    width=bar_w,
                    height=TOP + plot_h - y_of(value),
                    series=s,
                    label=f"{name}: {labels.get(key, key)} {value}",
                )
            )
        if line:
            points.append(f"{LEFT + n * slot + slot / 2:.1f},{y_of(row.get(line) or 0):.1f}")
        if n % every == 0:
            ticks.append((LEFT + n * slot + slot / 2, name))
    grid = [(y_of(top * i / 4), _number(top * i / 4)) for i in range(5)]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "bottom": TOP + plot_h,
        "bars": drawn,
        "line": " ".join(points),
        "line_series": len(bars),
        "grid": grid,
        "ticks": ticks,
        "legend": [
            (s, labels.get(key, key)) for s, key in enumerate((*bars, *([line] if line else [])))
        ],
    }


def _number(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"
