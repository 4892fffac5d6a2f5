"""Invoice arithmetic in Decimal, rounded in one place so that totals add up exactly.

Rules (SPEC §8, EN 16931):

* a line's net is quantity × unit price rounded half-up to the currency's minor
  unit;
* VAT is computed per rate on the *sum of the line nets* of that rate
  (BR-CO-17) and rounded half-up once;
* net total = Σ line nets, VAT total = Σ per-rate VAT, gross = net + VAT, with
  no further rounding.

Half-up here is Decimal's ROUND_HALF_UP, which rounds ties *away from zero*:
round(-x) == -round(x), which is why a credit note (negated quantities) has
totals that are the exact negation of the invoice's.

Floats are refused everywhere (TypeError): a float has already lost the cents.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import (
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
)
from typing import Literal

__all__ = [
    "MAX_AMOUNT",
    "MAX_QUANTITY",
    "MAX_RATE",
    "MAX_UNIT_PRICE",
    "AmountTooLarge",
    "MINOR_UNITS",
    "InvalidAmount",
    "Line",
    "LineInput",
    "LineKind",
    "Totals",
    "VatBreakdown",
    "compute_invoice",
    "credit_note_lines",
    "credit_part",
    "labour_quantity_hours",
    "minor_unit",
    "outstanding",
    "parse_amount",
    "price_str",
    "quantize_money",
    "to_str",
]

# ISO 4217 exponents of the currencies we bill in; extend deliberately.
MINOR_UNITS: dict[str, int] = {"GBP": 2, "EUR": 2, "USD": 2, "JPY": 0}

# Largest magnitudes accepted, each what the column that stores it holds (billing.models;
# tests/billing/test_billing_bounds.py checks they agree): an amount (line net, totals,
# payments: NUMERIC(14, 2)), a line's quantity (NUMERIC(14, 4)) and unit price
# (NUMERIC(16, 4)), an hourly rate (NUMERIC(12, 4)). Anything larger is refused here,
# never left for the database to overflow on.
MAX_AMOUNT = Decimal("999999999999.99")
MAX_QUANTITY = Decimal("9999999999.9999")
MAX_UNIT_PRICE = Decimal("999999999999.9999")
MAX_RATE = Decimal("99999999.9999")

# Decimal places accepted on inputs: EN 16931 / Factur-X carry prices and
# quantities with up to 4 decimals and percentages with 2.
MAX_QUANTITY_PLACES = 4
MAX_PRICE_PLACES = 4
MAX_RATE_PLACES = 2

LineKind = Literal["labour", "material", "callout"]
LINE_KINDS: frozenset[str] = frozenset({"labour", "material", "callout"})

# Multiplications and sums must be exact: with bounded inputs 60 digits always
# suffice, and trapping Inexact turns any silent rounding into an error.
_EXACT = Context(
    prec=60,
    rounding=ROUND_HALF_UP,
    traps=[InvalidOperation, DivisionByZero, Overflow, Inexact],
)
# Rounding to the minor unit is the one place where precision is dropped.
_ROUNDING = Context(prec=60, rounding=ROUND_HALF_UP, traps=[InvalidOperation])

_AMOUNT_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_MAX_TEXT_LENGTH = 40


class InvalidAmount(ValueError):
    """An amount string that is not a plain decimal within our bounds."""


class AmountTooLarge(ValueError):
    """An invoice whose amounts exceed MAX_AMOUNT (too much work for one document)."""


def minor_unit(currency: str) -> int:
    """Number of decimals of `currency`; unknown currencies are refused."""
    try:
        return MINOR_UNITS[currency]
    except (KeyError, TypeError):
        raise ValueError(f"unsupported currency {currency!r}") from None


def _decimal(value: object, name: str) -> Decimal:
    """Accept Decimal or int (never float or bool) and refuse NaN/Infinity."""
    if isinstance(value, float):
        raise TypeError(f"{name} must be a Decimal, not a float")
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{name} must be a Decimal, got {type(value).__name__}")
    result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"{name} must be finite")
    return result


def _bounded(value: Decimal, name: str, places: int, limit: Decimal = MAX_AMOUNT) -> Decimal:
    if abs(value) > limit:
        raise ValueError(f"{name} exceeds {limit}")
    # Trailing zeros don't count: Decimal("1.50000") has one decimal place.
    exponent = value.normalize(_ROUNDING).as_tuple().exponent
    if -exponent > places:  # type: ignore[operator]
        raise ValueError(f"{name} has more than {places} decimal places")
    return value


def quantize_money(amount: Decimal, currency: str) -> Decimal:
    """Round `amount` half-up (ties away from zero) to the currency's minor unit."""
    value = _decimal(amount, "amount")
    exponent = Decimal(1).scaleb(-minor_unit(currency))
    result = value.quantize(exponent, rounding=ROUND_HALF_UP, context=_ROUNDING)
    # -0.00 would print as "-0.00"; zero has no sign in an invoice.
    return result.copy_abs() if result.is_zero() else result


def _sum(values: Iterable[Decimal]) -> Decimal:
    total = Decimal(0)
    for value in values:
        total = _EXACT.add(total, value)
    return total


@dataclass(frozen=True, slots=True)
class LineInput:
    """One chargeable line as entered: quantity × unit price at a VAT rate."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal  # percent, e.g. Decimal("20")
    kind: LineKind
    unit_code: str  # UN/ECE rec 20, e.g. "HUR" hours, "C62" one

    def __post_init__(self) -> None:
        quantity = _bounded(
            _decimal(self.quantity, "quantity"), "quantity", MAX_QUANTITY_PLACES, MAX_QUANTITY
        )
        unit_price = _bounded(
            _decimal(self.unit_price, "unit_price"), "unit_price", MAX_PRICE_PLACES, MAX_UNIT_PRICE
        )
        vat_rate = _bounded(_decimal(self.vat_rate, "vat_rate"), "vat_rate", MAX_RATE_PLACES)
        if unit_price < 0:
            # EN 16931 BR-27: an item net price is never negative; negate the
            # quantity instead (that is what credit notes do).
            raise ValueError("unit_price must not be negative")
        if not Decimal(0) <= vat_rate <= Decimal(100):
            raise ValueError("vat_rate must be a percentage between 0 and 100")
        if self.kind not in LINE_KINDS:
            raise ValueError(f"kind must be one of {sorted(LINE_KINDS)}")
        if not isinstance(self.description, str) or not self.description.strip():
            raise ValueError("description must be a non-empty string")
        if not isinstance(self.unit_code, str) or not self.unit_code.strip():
            raise ValueError("unit_code must be a non-empty string")
        # ints were accepted above; store Decimals only.
        object.__setattr__(self, "quantity", quantity)
        object.__setattr__(self, "unit_price", unit_price)
        object.__setattr__(self, "vat_rate", vat_rate)


@dataclass(frozen=True, slots=True)
class Line:
    """A line with its net amount, as computed by `compute_invoice`."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    kind: LineKind
    unit_code: str
    net: Decimal


@dataclass(frozen=True, slots=True)
class VatBreakdown:
    """VAT of one rate: computed once on the sum of that rate's line nets."""

    rate: Decimal
    taxable: Decimal
    tax: Decimal


@dataclass(frozen=True, slots=True)
class Totals:
    """Document totals; `breakdown` is ordered by ascending rate."""

    net_total: Decimal
    vat_total: Decimal
    gross_total: Decimal
    breakdown: tuple[VatBreakdown, ...]


def _line_input(line: LineInput | Line) -> LineInput:
    if isinstance(line, LineInput):
        return line
    if isinstance(line, Line):
        return LineInput(
            line.description,
            line.quantity,
            line.unit_price,
            line.vat_rate,
            line.kind,
            line.unit_code,
        )
    raise TypeError(f"expected LineInput, got {type(line).__name__}")


def compute_invoice(lines: Sequence[LineInput], currency: str) -> tuple[list[Line], Totals]:
    """Line nets and document totals per SPEC §8; the input order is kept."""
    minor_unit(currency)
    computed: list[Line] = []
    for item in map(_line_input, lines):
        net = quantize_money(_EXACT.multiply(item.quantity, item.unit_price), currency)
        computed.append(
            Line(
                item.description,
                item.quantity,
                item.unit_price,
                item.vat_rate,
                item.kind,
                item.unit_code,
                net,
            )
        )

    taxable_by_rate: dict[Decimal, list[Decimal]] = {}
    for line in computed:
        # 20 and 20.00 are one rate; key on one canonical spelling.
        rate = line.vat_rate.quantize(Decimal(1).scaleb(-MAX_RATE_PLACES))
        taxable_by_rate.setdefault(rate, []).append(line.net)

    breakdown = []
    for rate in sorted(taxable_by_rate):
        taxable = _sum(taxable_by_rate[rate])
        tax = quantize_money(_EXACT.divide(_EXACT.multiply(taxable, rate), 100), currency)
        breakdown.append(VatBreakdown(rate=rate, taxable=taxable, tax=tax))

    net_total = quantize_money(_sum(line.net for line in computed), currency)
    vat_total = quantize_money(_sum(row.tax for row in breakdown), currency)
    # What we write we must be able to read back (parse_amount's bound).
    for amount in (*(line.net for line in computed), net_total, net_total + vat_total):
        if abs(amount) > MAX_AMOUNT:
            raise AmountTooLarge(f"invoice amounts are limited to {MAX_AMOUNT}")
    totals = Totals(
        net_total=net_total,
        vat_total=vat_total,
        gross_total=quantize_money(_EXACT.add(net_total, vat_total), currency),
        breakdown=tuple(breakdown),
    )
    return computed, totals


def labour_quantity_hours(minutes: int) -> Decimal:
    """Chargeable minutes as hours, rounded half-up to 0.01 h.

    The invoice shows this quantity, and quantity × hourly rate must reproduce
    the line net a reader can check; so we round the *quantity* once (at most
    18 s per line) rather than carry 0.333… hours into the net.
    """
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise TypeError("minutes must be an int")
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    hours = Decimal(minutes) / Decimal(60)
    return hours.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP, context=_ROUNDING)


def credit_note_lines(lines: Sequence[LineInput | Line]) -> list[LineInput]:
    """The lines of a credit note for `lines`: same prices, negated quantities.

    Prices stay non-negative (BR-27); half-up rounding is symmetric, so every
    net and total of the credit note is the exact negation of the original's.
    """
    credited = []
    for item in map(_line_input, lines):
        quantity = -item.quantity
        credited.append(
            LineInput(
                item.description,
                quantity.copy_abs() if quantity.is_zero() else quantity,
                item.unit_price,
                item.vat_rate,
                item.kind,
                item.unit_code,
            )
        )
    return credited


def credit_part(
    lines: Sequence[Line],
    before: Sequence[Decimal],
    now: Sequence[Decimal],
    currency: str,
) -> tuple[list[Line], Totals]:
    """A credit note crediting `now[i]` more of `lines[i]`, `before[i]` having been
    credited already (quantities in the line's own sign; 0: not this line).

    Nets and VAT are differences of cumulative amounts: the credited part of a line so
    far is worth round(quantity × price) (its whole quantity: its own net), and the VAT
    of a rate so far is round(rate × those nets). So however an invoice is credited in
    parts, the parts add up exactly to the invoice, and one credit of everything is its
    exact negation (same nets, same VAT per rate)."""
    if not len(lines) == len(before) == len(now):
        raise ValueError("lines, before and now must have the same length")

    def worth(line: Line, quantity: Decimal) -> Decimal:
        if quantity == line.quantity:
            return line.net
        return quantize_money(_EXACT.multiply(quantity, line.unit_price), currency)

    credited: list[Line] = []
    rates: dict[Decimal, list[Decimal]] = {}  # rate -> [taxable before, taxable after]
    for line, done, more in zip(lines, before, now, strict=True):
        after = _EXACT.add(done, more)
        if abs(after) > abs(line.quantity) or (after and after * line.quantity < 0):
            raise ValueError("cannot credit more of a line than it has")
        rate = line.vat_rate.quantize(Decimal(1).scaleb(-MAX_RATE_PLACES))
        sums = rates.setdefault(rate, [Decimal(0), Decimal(0)])
        sums[0] = _EXACT.add(sums[0], worth(line, done))
        sums[1] = _EXACT.add(sums[1], worth(line, after))
        if more:
            net = -_EXACT.subtract(worth(line, after), worth(line, done))
            credited.append(
                Line(
                    line.description,
                    -more,
                    line.unit_price,
                    line.vat_rate,
                    line.kind,
                    line.unit_code,
                    net.copy_abs() if net.is_zero() else net,
                )  # fmt: skip
            )
    if not credited:
        raise ValueError("nothing to credit")

    def vat(rate: Decimal, taxable: Decimal) -> Decimal:
        return quantize_money(_EXACT.divide(_EXACT.multiply(taxable, rate), 100), currency)

    breakdown = []
    for rate in sorted(rates):
        lines_here = [c.net for c in credited if c.vat_rate.quantize(rate) == rate]
        if not lines_here:
            continue
        done, after = rates[rate]
        tax = -_EXACT.subtract(vat(rate, after), vat(rate, done))
        taxable = _sum(lines_here)
        breakdown.append(
            VatBreakdown(rate=rate, taxable=taxable, tax=tax.copy_abs() if tax.is_zero() else tax)
        )
    net_total = _sum(c.net for c in credited)
    vat_total = _sum(row.tax for row in breakdown)
    totals = Totals(
        net_total=net_total,
        vat_total=vat_total,
        gross_total=_EXACT.add(net_total, vat_total),
        breakdown=tuple(breakdown),
    )
    return credited, totals


def to_str(amount: Decimal) -> str:
    """A Decimal as a plain decimal string ("-12.50"), never with an exponent."""
    value = _decimal(amount, "amount")
    if value.is_zero():
        value = value.copy_abs()
    return format(value, "f")


def price_str(price: Decimal) -> str:
    """A unit price as people read it: 2 decimals ("18.50", "45.00"); up to 4 only when
    they are not zeros ("52.125"). The stored scale never leaks ("18.5000")."""
    value = _decimal(price, "price")
    four = value.quantize(Decimal("0.0001"), context=_ROUNDING)
    two = four.quantize(Decimal("0.01"), context=_ROUNDING)
    return to_str(two if two == four else four.normalize(_ROUNDING))


def parse_amount(text: str, currency: str) -> Decimal:
    """Parse a decimal string from a client or ERP, quantized to `currency`.

    Accepts only ``-?digits(.digits)?`` in ASCII: no exponent, NaN, Infinity,
    sign "+", spaces or thousands separators; no more decimals than the
    currency has; magnitude at most MAX_AMOUNT.
    """
    if not isinstance(text, str):
        raise TypeError("amount must be given as a string")
    places = minor_unit(currency)
    if len(text) > _MAX_TEXT_LENGTH or not _AMOUNT_TEXT.fullmatch(text):
        raise InvalidAmount(f"not a plain decimal amount: {text[:_MAX_TEXT_LENGTH]!r}")
    _, _, fraction = text.partition(".")
    if len(fraction) > places:
        raise InvalidAmount(f"{currency} amounts have at most {places} decimals")
    value = Decimal(text)
    if abs(value) > MAX_AMOUNT:
        raise InvalidAmount(f"amount exceeds {MAX_AMOUNT}")
    return quantize_money(value, currency)


def outstanding(gross_total: Decimal, credited: Decimal, paid: Decimal) -> Decimal:
    """What is still owed on an invoice: its gross less credit notes and payments, exact
    (negative when more was paid than is now owed after a credit)."""
    return _EXACT.subtract(_EXACT.subtract(gross_total, credited), paid)
