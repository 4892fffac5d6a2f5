"""Worked examples of billing.money: rounding, VAT per rate, credit notes, parsing."""

from decimal import Decimal

import pytest

from billing.money import (
    InvalidAmount,
    Line,
    LineInput,
    VatBreakdown,
    compute_invoice,
    credit_note_lines,
    labour_quantity_hours,
    minor_unit,
    parse_amount,
    quantize_money,
    to_str,
)


def line(quantity="1", unit_price="10.00", vat_rate="20", kind="material", unit_code="C62"):
    return LineInput(
        description="Item",
        quantity=Decimal(quantity),
        unit_price=Decimal(unit_price),
        vat_rate=Decimal(vat_rate),
        kind=kind,
        unit_code=unit_code,
    )


def test_a_line_net_is_quantity_times_price_rounded_half_up():
    lines, _ = compute_invoice([line("3", "2.335")], "GBP")  # 7.005
    assert lines[0].net == Decimal("7.01")  # half-even would say 7.00


def test_a_negative_tie_rounds_away_from_zero_so_rounding_is_symmetric():
    assert quantize_money(Decimal("-0.125"), "GBP") == Decimal("-0.13")
    assert quantize_money(Decimal("0.125"), "GBP") == Decimal("0.13")


def test_vat_is_computed_on_the_sum_of_line_nets():
    # Each line's VAT would round 0.026 up to 0.03 (0.09 in all); the rule
    # taxes the 0.39 of nets once: 0.078 -> 0.08.
    _, totals = compute_invoice([line("1", "0.13")] * 3, "GBP")
    assert totals.breakdown == (
        VatBreakdown(rate=Decimal("20.00"), taxable=Decimal("0.39"), tax=Decimal("0.08")),
    )
    assert totals.vat_total == Decimal("0.08")


def test_vat_is_broken_down_per_rate_in_ascending_order():
    lines = [line("1", "100", "20"), line("1", "40", "5"), line("2", "10", "20.00")]
    _, totals = compute_invoice(lines, "GBP")
    assert [row.rate for row in totals.breakdown] == [Decimal("5"), Decimal("20")]
    assert totals.breakdown[1] == VatBreakdown(
        Decimal("20.00"), Decimal("120.00"), Decimal("24.00")
    )
    assert totals.breakdown[0] == VatBreakdown(Decimal("5.00"), Decimal("40.00"), Decimal("2.00"))


def test_totals_add_up_exactly():
    lines, totals = compute_invoice(
        [
            line("0.33", "60", kind="labour", unit_code="HUR"),
            line("3", "2.335"),
            line("1", "45", "5"),
        ],
        "GBP",
    )
    assert [item.net for item in lines] == [Decimal("19.80"), Decimal("7.01"), Decimal("45.00")]
    assert totals.net_total == Decimal("71.81")
    assert totals.vat_total == Decimal("5.36") + Decimal("2.25")
    assert totals.gross_total == Decimal("79.42")


def test_computed_lines_keep_the_input_order_and_fields():
    lines, _ = compute_invoice([line("2", "1.5"), line("1", "9")], "GBP")
    assert lines == [
        Line(
            "Item", Decimal("2"), Decimal("1.5"), Decimal("20"), "material", "C62", Decimal("3.00")
        ),
        Line("Item", Decimal("1"), Decimal("9"), Decimal("20"), "material", "C62", Decimal("9.00")),
    ]


def test_yen_amounts_have_no_decimals():
    lines, totals = compute_invoice([line("3", "33.5", "10")], "JPY")  # 100.5
    assert lines[0].net == Decimal("101")
    assert totals.vat_total == Decimal("10")  # 10.1 -> 10
    assert to_str(totals.gross_total) == "111"


def test_an_invoice_without_lines_totals_zero():
    lines, totals = compute_invoice([], "EUR")
    assert lines == []
    assert (totals.net_total, totals.vat_total, totals.gross_total) == (0, 0, 0)
    assert totals.breakdown == ()


def test_a_credit_note_negates_quantities_and_keeps_prices():
    original = [line("2", "12.345"), line("1", "45", "5", kind="callout")]
    credited = credit_note_lines(original)
    assert [item.quantity for item in credited] == [Decimal("-2"), Decimal("-1")]
    assert [item.unit_price for item in credited] == [Decimal("12.345"), Decimal("45")]
    _, invoice = compute_invoice(original, "GBP")
    _, credit = compute_invoice(credited, "GBP")
    assert credit.gross_total == -invoice.gross_total


def test_a_credit_note_can_be_made_from_computed_lines():
    computed, _ = compute_invoice([line("2", "5")], "GBP")
    assert credit_note_lines(computed) == [line("-2", "5")]


@pytest.mark.parametrize(
    ("minutes", "hours"),
    [
        (0, "0.00"),
        (1, "0.02"),
        (20, "0.33"),
        (30, "0.50"),
        (40, "0.67"),
        (90, "1.50"),
        (125, "2.08"),
    ],
)
def test_labour_minutes_become_hours_rounded_half_up_to_a_hundredth(minutes, hours):
    assert labour_quantity_hours(minutes) == Decimal(hours)
    assert str(labour_quantity_hours(minutes)) == hours


def test_labour_hours_refuse_negative_or_non_integer_minutes():
    with pytest.raises(ValueError):
        labour_quantity_hours(-1)
    with pytest.raises(TypeError):
        labour_quantity_hours(1.5)
    with pytest.raises(TypeError):
        labour_quantity_hours(True)


@pytest.mark.parametrize("field", ["quantity", "unit_price", "vat_rate"])
def test_floats_are_refused_on_line_inputs(field):
    values = {"quantity": Decimal("1"), "unit_price": Decimal("1"), "vat_rate": Decimal("20")}
    values[field] = 1.0
    with pytest.raises(TypeError):
        LineInput("Item", kind="material", unit_code="C62", **values)


def test_floats_are_refused_by_every_money_helper():
    with pytest.raises(TypeError):
        quantize_money(0.1, "GBP")
    with pytest.raises(TypeError):
        to_str(0.1)
    with pytest.raises(TypeError):
        parse_amount(0.1, "GBP")


def test_ints_are_accepted_as_exact_decimals():
    item = LineInput("Item", 2, 3, 20, "material", "C62")
    assert isinstance(item.quantity, Decimal)
    assert compute_invoice([item], "GBP")[1].gross_total == Decimal("7.20")


@pytest.mark.parametrize(
    "changes",
    [
        {"unit_price": Decimal("-1")},
        {"vat_rate": Decimal("-1")},
        {"vat_rate": Decimal("100.01")},
        {"vat_rate": Decimal("20.001")},
        {"quantity": Decimal("1.00001")},
        {"unit_price": Decimal("0.00001")},
        {"quantity": Decimal("1E+13")},
        {"quantity": Decimal("NaN")},
        {"unit_price": Decimal("Infinity")},
        {"kind": "discount"},
        {"description": " "},
        {"unit_code": ""},
    ],
)
def test_line_inputs_outside_the_rules_are_refused(changes):
    values = {
        "description": "Item",
        "quantity": Decimal("1"),
        "unit_price": Decimal("1"),
        "vat_rate": Decimal("20"),
        "kind": "material",
        "unit_code": "C62",
    }
    values.update(changes)
    with pytest.raises(ValueError):
        LineInput(**values)


def test_large_amounts_are_computed_exactly():
    lines, totals = compute_invoice([line("999999.9999", "999999.9999", "0")], "GBP")
    assert lines[0].net == Decimal("999999999800.00")  # exactly 999999999800.00000001
    assert totals.gross_total == Decimal("999999999800.00")


def test_invoices_above_the_amount_bound_are_refused():
    with pytest.raises(ValueError):
        compute_invoice([line("1000000", "1000000.01", "0")], "GBP")
    with pytest.raises(ValueError):
        compute_invoice([line("1", "1000000000000", "20")], "GBP")  # gross 1.2e12


def test_trailing_zeros_do_not_count_as_decimal_places():
    assert LineInput(
        "Item", Decimal("1.500000"), Decimal("2.00000"), Decimal("20.000"), "material", "C62"
    )


def test_unknown_currencies_are_refused():
    with pytest.raises(ValueError):
        minor_unit("XYZ")
    with pytest.raises(ValueError):
        compute_invoice([line()], "gbp")


def test_zero_is_never_written_with_a_minus_sign():
    assert to_str(Decimal("-0.00")) == "0.00"
    assert to_str(quantize_money(Decimal("-0.001"), "GBP")) == "0.00"
    assert to_str(compute_invoice(credit_note_lines([line("0")]), "GBP")[1].gross_total) == "0.00"


def test_amounts_print_as_plain_decimal_strings():
    assert to_str(Decimal("1E+3")) == "1000"
    assert to_str(Decimal("-12.50")) == "-12.50"
    assert to_str(Decimal("0.000001")) == "0.000001"


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("12.5", "GBP", "12.50"),
        ("12.50", "GBP", "12.50"),
        ("-0.01", "EUR", "-0.01"),
        ("0", "USD", "0.00"),
        ("999999999999.99", "GBP", "999999999999.99"),  # what NUMERIC(14, 2) stores
        ("1500", "JPY", "1500"),
    ],
)
def test_amount_strings_parse_to_quantized_decimals(text, currency, expected):
    parsed = parse_amount(text, currency)
    assert to_str(parsed) == expected


@pytest.mark.parametrize(
    "text",
    [
        "12.505",
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "inf",
        "1e3",
        "1E+3",
        "1e-2",
        " 12",
        "12 ",
        "+12",
        "12,00",
        "1_000",
        "",
        "-",
        ".5",
        "5.",
        "0x10",
        "\u0661\u0662",  # Arabic-Indic digits, which Decimal() would accept
        "1000000000000",  # one more than the amount columns store
        "1000000000000.01",
        "9" * 41,
    ],
)
def test_amount_strings_that_are_not_plain_bounded_decimals_are_refused(text):
    with pytest.raises(InvalidAmount):
        parse_amount(text, "GBP")


def test_yen_amount_strings_may_not_have_decimals():
    with pytest.raises(InvalidAmount):
        parse_amount("100.0", "JPY")


def test_invalid_amount_is_a_value_error():
    assert issubclass(InvalidAmount, ValueError)
