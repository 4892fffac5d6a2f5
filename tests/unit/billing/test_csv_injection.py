"""billing.csv_safety: cells that spreadsheets won't evaluate, numbers that stay numbers."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.csv_safety import FORMULA_TRIGGERS, needs_escape, safe_cell
from billing.money import to_str

PROPERTY = settings(database=None, max_examples=500, deadline=None)
PLAIN_NUMBER_CHARS = set("-0123456789.")


@pytest.mark.parametrize(
    "text",
    [
        "=SUM(A1:A9)",
        '=HYPERLINK("http://evil.example","click")',
        "+1+1",
        "-1+1",
        "-A1",
        "-",
        "--12",
        "-12.",
        "-1e5",
        "@SUM(A1)",
        "\t=1+1",
        "\r=1+1",
        "＝1+1",
        "+12.50",
    ],
)
def test_cells_that_could_start_a_formula_get_a_leading_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["-12.50", "-0.01", "-3", "12.50", "0"])
def test_plain_decimal_numbers_stay_numeric(text):
    assert safe_cell(text) == text


def test_credit_amounts_from_money_stay_numeric():
    assert safe_cell(Decimal("-12.50")) == "-12.50"
    assert safe_cell(to_str(Decimal("-1E+3"))) == "-1000"


@pytest.mark.parametrize(
    "text", ["Boiler service", "Flat 3, 2 Low Road", "a=b", " =1", "'quoted", ""]
)
def test_ordinary_text_is_left_alone(text):
    assert safe_cell(text) == text


def test_values_are_written_the_way_exports_need_them():
    assert safe_cell(None) == ""
    assert safe_cell(42) == "42"
    assert safe_cell(Decimal("1E+2")) == "100"
    assert safe_cell(Decimal("-0.00")) == "0.00"
    assert safe_cell(date(2026, 1, 5)) == "2026-01-05"
    assert safe_cell(datetime(2026, 1, 5, 9, 30, tzinfo=UTC)) == "2026-01-05T09:30:00+00:00"


def test_floats_are_refused():
    with pytest.raises(TypeError):
        safe_cell(1.5)


def test_non_finite_decimals_are_refused():
    with pytest.raises(ValueError):
        safe_cell(Decimal("NaN"))


@PROPERTY
@given(st.text())
def test_no_cell_starts_a_formula_unless_it_is_a_plain_number(text):
    cell = safe_cell(text)
    if cell and cell[0] in FORMULA_TRIGGERS:
        assert set(cell) <= PLAIN_NUMBER_CHARS
        assert Decimal(cell).is_finite()


@PROPERTY
@given(st.text())
def test_escaping_only_ever_adds_one_quote(text):
    cell = safe_cell(text)
    assert cell in (text, "'" + text)
    assert (cell != text) == needs_escape(text)


@PROPERTY
@given(st.text())
def test_escaping_is_idempotent(text):
    assert safe_cell(safe_cell(text)) == safe_cell(text)


@PROPERTY
@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=2, min_value=-(10**12), max_value=10**12
    )
)
def test_every_money_amount_stays_numeric(amount):
    assert safe_cell(amount) == to_str(amount)


@PROPERTY
@given(st.lists(st.text(), max_size=5))
def test_escaped_cells_survive_a_csv_round_trip(row):
    buffer = io.StringIO()
    csv.writer(buffer).writerow([safe_cell(value) for value in row])
    (read,) = csv.reader(io.StringIO(buffer.getvalue(), newline=""))
    if row == [""]:  # the csv module writes a lone empty field as '""'
        assert read == [""]
    else:
        assert read == [safe_cell(value) for value in row]
