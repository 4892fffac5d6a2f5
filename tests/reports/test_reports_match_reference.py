"""Every volume and SLA figure equals a slow reference computed over the same random
timelines (holds, resumes, reopens, a holiday, the spring DST change in the range)."""

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.auth import Caller
from server.extensions import db
from server.models import User
from server.services.reports import sla, volume
from server.services.reports.buckets import next_period, periods
from server.services.reports.filters import Filters
from tests.factories import Factory
from tests.reports import timelines
from tests.reports.timelines import History, local_midnight

START, END = date(2025, 3, 26), date(2025, 4, 4)  # clocks go forward on 30 March
EARLIEST = local_midnight(START) - timedelta(days=3)
LATEST = local_midnight(END + timedelta(days=1)) + timedelta(days=1)
NOW = LATEST + timedelta(hours=1)
SPAN = int((LATEST - EARLIEST).total_seconds() // 60)
# Instants where bucketing goes wrong first: local midnights, the DST change, 09:00.
EDGES = sorted(
    {
        local_midnight(START + timedelta(days=n)) + timedelta(minutes=delta)
        for n in range(-2, 11)
        for delta in (-1, 0, 1, 9 * 60)
    }
    | {datetime(2025, 3, 30, 1, tzinfo=UTC) + timedelta(minutes=d) for d in (-1, 0, 1)}
)

instants = st.one_of(
    st.integers(0, SPAN - 1).map(lambda m: EARLIEST + timedelta(minutes=m)),
    st.sampled_from(EDGES),
)


@st.composite
def histories(draw):
    created = draw(instants)
    history = History(created_at=created, priority=draw(st.sampled_from(("high", "normal"))))
    status, at = "new", created
    for _ in range(draw(st.integers(0, 6))):
        at = at + timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))
        if at >= LATEST:
            break
        status = draw(st.sampled_from(timelines.MOVES[status]))
        history.moves.append((at, status))
    if draw(st.booleans()):
        reply = created + timedelta(minutes=draw(st.integers(0, 2 * 24 * 60)))
        history.first_response_at = reply if reply < LATEST else None
    return history


def _write(app, found):
    factory = Factory(app)
    department = factory.department()
    block = factory.block(department=department)
    with app.app_context():
        timelines.set_policies()
        timelines.write(found, block.id, department.id)
        db.session.commit()
        return department.id


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(found=st.lists(histories(), min_size=1, max_size=6), group=st.sampled_from(("day", "week")))
def test_volume_and_backlog_equal_the_reference(app, people, found, group):
    department = _write(app, found)
    filters = Filters(start=START, end=END, group=group, department=department)
    with app.app_context():
        admin = Caller(db.session.get(User, people.admin.id), None)
        got = volume.figures(admin, filters)
    spans = [
        (p, min(next_period(p, group), END + timedelta(days=1))) for p in periods(START, END, group)
    ]
    # The first week starts before the range: only its days inside the range count.
    spans = [(max(first, START), after) for first, after in spans]
    expected = timelines.reference_volume(found, spans)
    for row, span in zip(expected, spans, strict=True):
        row["period"] = (
            span[0].isoformat() if span[0] != START else periods(START, END, group)[0].isoformat()
        )
    assert [
        {k: r[k] for k in ("period", "opened", "resolved", "closed", "backlog")} for r in got
    ] == expected


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(found=st.lists(histories(), min_size=1, max_size=5))
def test_sla_figures_equal_the_minute_by_minute_reference(app, people, found):
    department = _write(app, found)
    # Every ticket of the example is in the range of creation.
    filters = Filters(start=date(2025, 3, 20), end=date(2025, 4, 10), department=department)
    with app.app_context():
        admin = Caller(db.session.get(User, people.admin.id), None)
        rows = sla.figures(admin, filters, now=NOW)
    total = rows[-1]
    clocks = [timelines.reference_clocks(h, NOW) for h in found]
    assert total["tickets"] == len(found)
    for name in ("first_response", "resolution"):
        outcomes = [c[name]["outcome"] for c in clocks]
        for outcome in ("met", "breached", "pending"):
            assert total[f"{name}_{outcome}"] == outcomes.count(outcome), (name, outcome)
        taken = [c[name]["elapsed_minutes"] * 60 for c in clocks if c[name]["stopped"]]
        for percent in (50, 90):
            value = timelines.nearest_rank(taken, percent)
            key = f"{name}_{'median' if percent == 50 else 'p90'}_hours"
            assert total[key] == (None if value is None else round(value / 3600, 2))
        assert total[f"{name}_at_risk"] == sum(c[name]["at_risk"] for c in clocks)
    per_priority = {}
    for history, clock in zip(found, clocks, strict=True):
        per_priority.setdefault(history.priority, []).append(clock)
    for row in rows[:-1]:
        mine = per_priority[row["priority"]]
        assert row["tickets"] == len(mine)
        assert row["resolution_breached"] == sum(
            c["resolution"]["outcome"] == "breached" for c in mine
        )
