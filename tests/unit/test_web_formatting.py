"""How pages write times, durations, money and SLA clocks (web/formatting.py)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from web.formatting import clock, local_time, money, relative, span

NOW = datetime(2026, 12, 1, 14, 5, tzinfo=UTC)


def test_times_are_in_the_agency_zone_with_the_year_only_when_it_differs():
    assert local_time(NOW, "Europe/London", NOW) == "Tue 1 Dec, 14:05"
    summer = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    assert local_time(summer, "Europe/London", NOW) == "Wed 1 Jul, 10:00"  # BST
    last_year = datetime(2025, 12, 1, 9, 0, tzinfo=UTC)
    assert local_time(last_year, "Europe/London", NOW) == "Mon 1 Dec 2025, 09:00"
    assert local_time(None, "Europe/London", NOW) == ""


def test_durations_use_the_largest_unit_that_fits():
    assert span(timedelta(seconds=30)) == "under a minute"
    assert span(timedelta(minutes=45)) == "45 min"
    assert span(timedelta(hours=2, minutes=30)) == "2 h 30 min"
    assert span(timedelta(hours=30)) == "30 h"
    assert span(timedelta(days=5)) == "5 days"
    assert relative(NOW - timedelta(hours=2), NOW) == "2 h ago"
    assert relative(NOW + timedelta(minutes=10), NOW) == "in 10 min"
    assert relative(NOW, NOW) == "just now"


def test_money_has_its_symbol_thousands_and_pence():
    assert money(Decimal("1234.5")) == "£1,234.50"
    assert money("-12.00") == "-£12.00"
    assert money(Decimal("3"), "CHF") == "3.00 CHF"


def test_an_sla_clock_turns_amber_at_the_policy_threshold_and_red_when_due():
    start = NOW - timedelta(hours=8)
    assert clock(NOW + timedelta(hours=4), start, NOW, 80).state == "ok"  # 67 % used
    assert clock(NOW + timedelta(hours=2), start, NOW, 80).state == "warning"  # 80 %
    assert clock(NOW + timedelta(hours=1), start, NOW, 80).state == "warning"
    late = clock(NOW - timedelta(minutes=30), start, NOW, 80)
    assert (late.state, late.label) == ("breached", "30 min over")
    assert clock(None, start, NOW, 80) is None
