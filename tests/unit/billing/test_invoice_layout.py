"""How the invoice PDF writes numbers and units, and how a free-text UK address splits
into EN 16931 address lines, postcode and city (no app, no database)."""

from decimal import Decimal

import pytest

from billing.einvoice import split_address
from billing.invoice_pdf import money, quantity, unit_price, unit_word


@pytest.mark.parametrize(
    "amount, currency, text",
    [
        ("1234.5", "GBP", "£1,234.50"),
        ("0", "GBP", "£0.00"),
        ("-12", "GBP", "-£12.00"),
        ("1000000", "EUR", "€1,000,000.00"),
        ("1500", "JPY", "1,500 JPY"),
    ],
)
def test_money_always_has_the_currencys_minor_unit_and_thousands_separators(amount, currency, text):
    assert money(Decimal(amount), currency) == text


def test_unit_prices_keep_sub_penny_decimals_and_quantities_follow_their_unit():
    assert unit_price(Decimal("52.5"), "GBP") == "£52.50"
    assert unit_price(Decimal("0.125"), "GBP") == "£0.125"
    assert quantity(Decimal("1.5"), "HUR") == "1.50"
    assert quantity(Decimal("2"), "C62") == "2"
    assert quantity(Decimal("2.0000"), "C62") == "2"
    assert quantity(Decimal("1.125"), "MTR") == "1.125"
    assert quantity(Decimal("-1.58"), "HUR") == "-1.58"


def test_un_ece_unit_codes_print_as_words():
    assert [unit_word(c) for c in ("HUR", "C62", "MTR", "KGM", "XYZ")] == [
        "hours",
        "each",
        "m",
        "kg",
        "XYZ",
    ]


@pytest.mark.parametrize(
    "text, lines, postcode, city",
    [
        ("12 River Lane, London E1 6AN", ("12 River Lane",), "E1 6AN", "London"),
        ("40 Dock Road\nBristol BS1 5AA", ("40 Dock Road",), "BS1 5AA", "Bristol"),
        ("8 Wharf Road, London, n1 7gr", ("8 Wharf Road",), "N1 7GR", "London"),
        ("Flat 12, 14 Quay Street, Bristol", ("Flat 12", "14 Quay Street", "Bristol"), "", ""),
        (
            "Flat 1, 12 River Lane, Whitechapel, Tower Hamlets, London E1 6AN",
            ("Flat 1", "12 River Lane", "Whitechapel, Tower Hamlets"),
            "E1 6AN",
            "London",
        ),
    ],
)
def test_a_uk_address_splits_into_lines_postcode_and_city(text, lines, postcode, city):
    assert split_address(text) == (lines, postcode, city)
