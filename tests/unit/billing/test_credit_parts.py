"""Credit notes in parts (billing.money.credit_part): however an invoice is credited,
the parts add up exactly to it; one credit of everything is its exact negation."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from billing.money import LineInput, compute_invoice, credit_note_lines, credit_part

D = Decimal


def invoice(*items):
    lines = [LineInput(f"line {i}", D(q), D(p), D("20"), "material", "C62")
             for i, (q, p) in enumerate(items)]  # fmt: skip
    return compute_invoice(lines, "GBP")


def test_one_credit_of_everything_is_the_exact_negation():
    lines, totals = invoice(("1.58", "52.50"), ("3.333", "18.50"), ("-0.25", "52.50"))
    credited, credit_totals = credit_part(lines, [D(0)] * 3, [li.quantity for li in lines], "GBP")
    _, negated = compute_invoice(credit_note_lines(lines), "GBP")
    assert [c.net for c in credited] == [-li.net for li in lines]
    assert credit_totals == negated
    assert credit_totals.gross_total == -totals.gross_total


def test_a_quarter_then_the_rest_adds_up_where_separate_rounding_would_not():
    lines, totals = invoice(("1", "52.50"), ("1", "45.00"))
    first, a = credit_part(lines, [D(0), D(0)], [D("0.25"), D(0)], "GBP")
    second, b = credit_part(lines, [D("0.25"), D(0)], [D("0.75"), D(1)], "GBP")
    assert (a.net_total, a.vat_total) == (D("-13.13"), D("-2.63"))
    assert a.gross_total + b.gross_total == -totals.gross_total
    assert a.vat_total + b.vat_total == -totals.vat_total


def test_crediting_more_than_a_line_has_is_refused():
    lines, _ = invoice(("1", "52.50"))
    for before, now in ((D("0.5"), D("0.6")), (D(0), D("-0.1"))):
        try:
            credit_part(lines, [before], [now], "GBP")
        except ValueError:
            continue
        raise AssertionError(f"{before} + {now} was accepted")


@given(
    st.lists(
        st.tuples(st.integers(1, 5000), st.integers(0, 100000), st.integers(1, 4)),
        min_size=1,
        max_size=4,
    )
)
def test_any_split_into_parts_adds_up_exactly(rows):
    lines, totals = invoice(*((D(q) / 1000, D(p) / 100) for q, p, _ in rows))
    pieces = [max(1, parts) for _, _, parts in rows]
    done = [D(0)] * len(lines)
    sums = [D(0), D(0), D(0)]
    for step in range(max(pieces)):
        now = []
        for index, line in enumerate(lines):
            share = (line.quantity / pieces[index]).quantize(D("0.0001"))
            last = step == pieces[index] - 1
            now.append(
                line.quantity - done[index] if last else share if step < pieces[index] else D(0)
            )
        if not any(now):
            continue
        _, part = credit_part(lines, done, now, "GBP")
        sums = [sums[0] + part.net_total, sums[1] + part.vat_total, sums[2] + part.gross_total]
        done = [d + n for d, n in zip(done, now, strict=True)]
    assert sums == [-totals.net_total, -totals.vat_total, -totals.gross_total]
