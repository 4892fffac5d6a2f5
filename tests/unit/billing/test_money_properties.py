"""Properties of billing.money that must hold for every invoice, checked with Hypothesis.

The expected values are computed independently with exact fractions, so the
tests don't just re-run the module's own Decimal code.
"""

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from billing.money import (
    MINOR_UNITS,
    LineInput,
    compute_invoice,
    credit_note_lines,
    parse_amount,
    to_str,
)

# No example database: unit tests must not write into the work tree.
PROPERTY = settings(database=None, max_examples=300, deadline=None)

currencies = st.sampled_from(sorted(MINOR_UNITS))
rates = st.sampled_from(
    [Decimal("0"), Decimal("5"), Decimal("12.5"), Decimal("20"), Decimal("20.00")]
)


def decimals(min_value, max_value, max_places):
    return st.integers(0, max_places).flatmap(
        lambda places: st.decimals(
            min_value=min_value,
            max_value=max_value,
            places=places,
            allow_nan=False,
            allow_infinity=False,
        )
    )


line_inputs = st.builds(
    LineInput,
    description=st.just("Item"),
    quantity=decimals(-1000, 1000, 4),
    unit_price=decimals(0, 100_000, 4),
    vat_rate=rates,
    kind=st.sampled_from(["labour", "material", "callout"]),
    unit_code=st.sampled_from(["HUR", "C62"]),
)
invoices = st.lists(line_inputs, max_size=12)


def round_half_away(value: Fraction, places: int) -> Fraction:
    """Reference rounding on exact fractions: half-up, ties away from zero."""
    scaled = abs(value) * 10**places
    whole = scaled.numerator // scaled.denominator
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    return Fraction(whole if value >= 0 else -whole, 10**places)


@PROPERTY
@given(invoices, currencies)
def test_line_nets_are_exact_products_rounded_half_up(lines, currency):
    computed, _ = compute_invoice(lines, currency)
    for item, result in zip(lines, computed, strict=True):
        exact = Fraction(item.quantity) * Fraction(item.unit_price)
        assert Fraction(result.net) == round_half_away(exact, MINOR_UNITS[currency])


@PROPERTY
@given(invoices, currencies)
def test_line_nets_sum_to_the_net_total(lines, currency):
    computed, totals = compute_invoice(lines, currency)
    assert sum((item.net for item in computed), Decimal(0)) == totals.net_total


@PROPERTY
@given(invoices, currencies)
def test_gross_is_net_plus_vat(lines, currency):
    _, totals = compute_invoice(lines, currency)
    assert totals.gross_total == totals.net_total + totals.vat_total


@PROPERTY
@given(invoices, currencies)
def test_the_vat_breakdown_sums_to_the_totals_and_taxes_each_rate_once(lines, currency):
    computed, totals = compute_invoice(lines, currency)
    assert sum((row.taxable for row in totals.breakdown), Decimal(0)) == totals.net_total
    assert sum((row.tax for row in totals.breakdown), Decimal(0)) == totals.vat_total
    assert len({row.rate for row in totals.breakdown}) == len(totals.breakdown)
    for row in totals.breakdown:
        nets = [item.net for item in computed if item.vat_rate == row.rate]
        assert row.taxable == sum(nets, Decimal(0))
        expected = round_half_away(
            Fraction(row.taxable) * Fraction(row.rate) / 100, MINOR_UNITS[currency]
        )
        assert Fraction(row.tax) == expected


@PROPERTY
@given(invoices, currencies)
def test_credit_note_totals_are_the_exact_negation(lines, currency):
    _, invoice = compute_invoice(lines, currency)
    credited_lines, credit = compute_invoice(credit_note_lines(lines), currency)
    assert credit.net_total == -invoice.net_total
    assert credit.vat_total == -invoice.vat_total
    assert credit.gross_total == -invoice.gross_total
    assert [(row.rate, -row.taxable, -row.tax) for row in invoice.breakdown] == [
        (row.rate, row.taxable, row.tax) for row in credit.breakdown
    ]
    assert all(item.unit_price >= 0 for item in credited_lines)


@PROPERTY
@given(invoices, currencies, st.randoms(use_true_random=False))
def test_results_do_not_depend_on_line_order(lines, currency, rng):
    shuffled = list(lines)
    rng.shuffle(shuffled)
    assert compute_invoice(shuffled, currency)[1] == compute_invoice(lines, currency)[1]
    # Also the exact spelling, not just numeric equality.
    assert to_str(compute_invoice(shuffled, currency)[1].gross_total) == to_str(
        compute_invoice(lines, currency)[1].gross_total
    )


@PROPERTY
@given(invoices, currencies)
def test_every_amount_is_quantized_to_the_minor_unit(lines, currency):
    computed, totals = compute_invoice(lines, currency)
    amounts = [item.net for item in computed]
    amounts += [totals.net_total, totals.vat_total, totals.gross_total]
    amounts += [value for row in totals.breakdown for value in (row.taxable, row.tax)]
    for amount in amounts:
        assert amount.as_tuple().exponent == -MINOR_UNITS[currency]
        assert not (amount.is_zero() and amount.is_signed())


@PROPERTY
@given(currencies, st.integers(-(10**12) + 1, 10**12 - 1))
def test_amount_strings_round_trip(currency, minor_amount):
    amount = Decimal(minor_amount).scaleb(-MINOR_UNITS[currency])
    text = to_str(amount)
    assert parse_amount(text, currency) == amount
    assert to_str(parse_amount(text, currency)) == text
