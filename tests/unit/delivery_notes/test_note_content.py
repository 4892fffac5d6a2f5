import hashlib
import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from delivery_notes.content import (
    Agency,
    MaterialRow,
    TimeRow,
    canonical_json,
    content_sha256,
    minutes_to_hours,
    note_totals,
    plain_decimal,
)
from tests.unit.delivery_notes.note_factories import (
    SIGNED_AT,
    make_png,
    make_snapshot,
    time_rows,
    with_signature,
)

BASE = make_snapshot()


def test_canonical_json_is_compact_sorted_utf8():
    data = canonical_json(BASE)
    decoded = json.loads(data.decode("utf-8"))

    assert (
        data
        == json.dumps(decoded, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )
    assert "Zoë Łukasiewicz".encode() in data
    assert data.startswith(b'{"address":"14 Quay Street\\nBristol BS1 4QA","agency":{')


def test_canonical_json_spells_times_in_utc_decimals_as_strings_and_the_signature_as_its_hash():
    decoded = json.loads(canonical_json(BASE))

    assert decoded["v"] == 1
    assert decoded["signed_at"] == "2026-03-12T14:00:00Z"
    assert decoded["time_entries"][0] == {
        "started_at": "2026-03-12T08:00:00Z",
        "ended_at": "2026-03-12T08:45:00Z",
        "minutes": 45,
        "chargeable": False,
    }
    assert decoded["materials"][0]["quantity"] == "1"
    assert decoded["materials"][0]["unit_price"] == "18.5"
    assert decoded["materials"][1]["unit_price"] is None
    assert decoded["signature_sha256"] == hashlib.sha256(BASE.signature_png).hexdigest()
    assert decoded["agency"] == {
        "name": "Harbourside Lettings",
        "address_lines": ["1 Anchor Road", "Bristol BS1 5TT"],
    }


def test_presentation_is_left_out_of_the_canonical_json():
    decoded = json.loads(canonical_json(BASE))

    assert "verify_url" not in decoded
    assert "signature_png" not in decoded
    assert "logo_png" not in decoded["agency"]


def test_content_hash_is_the_sha256_of_the_canonical_json():
    assert content_sha256(BASE) == hashlib.sha256(canonical_json(BASE)).hexdigest()


def test_a_decimal_reloaded_with_another_scale_hashes_the_same():
    at_scale_3 = replace(
        BASE, materials=(MaterialRow("PTFE tape", Decimal("0.500"), "roll", Decimal("2.10"), True),)
    )
    as_pushed = replace(
        BASE, materials=(MaterialRow("PTFE tape", Decimal("0.5"), "roll", Decimal("2.1"), True),)
    )

    assert content_sha256(at_scale_3) == content_sha256(as_pushed)


def test_the_same_instant_in_another_timezone_hashes_the_same():
    paris = timezone(timedelta(hours=1))

    assert content_sha256(replace(BASE, signed_at=SIGNED_AT.astimezone(paris))) == content_sha256(
        BASE
    )


def test_sub_second_times_are_kept():
    precise = replace(BASE, signed_at=SIGNED_AT + timedelta(microseconds=1500))

    assert json.loads(canonical_json(precise))["signed_at"] == "2026-03-12T14:00:00.001500Z"
    assert content_sha256(precise) != content_sha256(BASE)


CHANGES = {
    "note_id": "another-id",
    "number": "DN-2026-000043",
    "ticket_ref": "T-2026-0118",
    "ticket_summary": "Leaking radiator valve in kitchen",
    "block_name": "Harbour Views",
    "unit_name": None,
    "address": "15 Quay Street\nBristol BS1 4QA",
    "customer_name": "Zoe Lukasiewicz",
    "signed_at": SIGNED_AT + timedelta(seconds=1),
    "contractor_name": "Sukru Nunez",
    "contractor_company": None,
    "work_summary": "Replaced the thermostatic valve.",
    "time_entries": time_rows(4),
    "materials": (),
    "agency": Agency("Harbourside Lettings Ltd", ("1 Anchor Road", "Bristol BS1 5TT")),
    "display_timezone": "Europe/Dublin",
}


@pytest.mark.parametrize("field", sorted(CHANGES))
def test_changing_any_field_changes_the_content_hash(field):
    assert content_sha256(replace(BASE, **{field: CHANGES[field]})) != content_sha256(BASE)


@pytest.mark.parametrize(
    "row",
    [
        TimeRow(SIGNED_AT, SIGNED_AT + timedelta(minutes=45), 44, False),
        TimeRow(SIGNED_AT, SIGNED_AT + timedelta(minutes=45), 45, True),
        TimeRow(SIGNED_AT, SIGNED_AT + timedelta(minutes=46), 45, False),
        TimeRow(SIGNED_AT - timedelta(minutes=1), SIGNED_AT + timedelta(minutes=45), 45, False),
    ],
)
def test_changing_any_time_entry_column_changes_the_content_hash(row):
    original = TimeRow(SIGNED_AT, SIGNED_AT + timedelta(minutes=45), 45, False)

    assert content_sha256(replace(BASE, time_entries=(row,))) != content_sha256(
        replace(BASE, time_entries=(original,))
    )


@pytest.mark.parametrize(
    "row",
    [
        MaterialRow("Tape", Decimal("2"), "roll", Decimal("1.5"), True),
        MaterialRow("Valve", Decimal("3"), "roll", Decimal("1.5"), True),
        MaterialRow("Valve", Decimal("2"), "m", Decimal("1.5"), True),
        MaterialRow("Valve", Decimal("2"), "roll", None, True),
        MaterialRow("Valve", Decimal("2"), "roll", Decimal("1.5"), False),
    ],
)
def test_changing_any_material_column_changes_the_content_hash(row):
    original = MaterialRow("Valve", Decimal("2"), "roll", Decimal("1.5"), True)

    assert content_sha256(replace(BASE, materials=(row,))) != content_sha256(
        replace(BASE, materials=(original,))
    )


def test_a_different_signature_image_changes_the_content_hash():
    assert content_sha256(with_signature(BASE, make_png(301, 100))) != content_sha256(BASE)


def test_reordering_time_entries_changes_the_content_hash():
    entries = time_rows(3)

    assert content_sha256(replace(BASE, time_entries=entries[::-1])) != content_sha256(
        replace(BASE, time_entries=entries)
    )


@given(logo=st.none() | st.binary(max_size=64), url=st.text(max_size=80))
def test_the_logo_and_the_verify_url_never_change_the_content_hash(logo, url):
    agency = replace(BASE.agency, logo_png=logo)

    assert content_sha256(replace(BASE, agency=agency, verify_url=url)) == content_sha256(BASE)


@given(
    field=st.sampled_from(
        ["customer_name", "contractor_name", "work_summary", "address", "ticket_summary"]
    ),
    text=st.text(max_size=40),
)
def test_any_other_text_in_a_field_gives_another_hash(field, text):
    changed = replace(BASE, **{field: text})

    assert (content_sha256(changed) == content_sha256(BASE)) == (text == getattr(BASE, field))


@given(
    value=st.decimals(
        allow_nan=False, allow_infinity=False, places=4, min_value=-(10**6), max_value=10**6
    )
)
def test_plain_decimal_round_trips_the_value_without_exponent(value):
    text = plain_decimal(value)

    assert Decimal(text) == value
    assert "E" not in text and "e" not in text
    assert text == "0" or not (("." in text) and text.endswith("0"))


def test_plain_decimal_writes_large_round_numbers_in_full():
    assert plain_decimal(Decimal("1E+2")) == "100"
    assert plain_decimal(Decimal("-0.00")) == "0"


def test_totals_add_minutes_and_show_hours_to_the_hundredth():
    entries = (
        TimeRow(SIGNED_AT, SIGNED_AT, 90, True),
        TimeRow(SIGNED_AT, SIGNED_AT, 20, False),
        TimeRow(SIGNED_AT, SIGNED_AT, 1, True),
    )
    totals = note_totals(replace(BASE, time_entries=entries))

    assert (totals.total_minutes, totals.chargeable_minutes) == (111, 91)
    assert (totals.total_hours, totals.chargeable_hours) == (Decimal("1.85"), Decimal("1.52"))
    assert (totals.material_lines, totals.chargeable_material_lines) == (2, 1)


@pytest.mark.parametrize(
    ("minutes", "hours"), [(0, "0.00"), (1, "0.02"), (20, "0.33"), (45, "0.75"), (600, "10.00")]
)
def test_minutes_become_hours_rounded_half_up(minutes, hours):
    assert minutes_to_hours(minutes) == Decimal(hours)
    assert str(minutes_to_hours(minutes)) == hours


def test_a_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        replace(BASE, signed_at=datetime(2026, 3, 12, 14, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        TimeRow(datetime(2026, 3, 12, 8, 0), SIGNED_AT, 45, True)


def test_a_signature_hash_that_does_not_match_the_image_is_refused():
    with pytest.raises(ValueError, match="signature_sha256"):
        replace(BASE, signature_sha256="0" * 64)


@pytest.mark.parametrize("minutes", [-1, 1.5, True])
def test_minutes_must_be_a_non_negative_integer(minutes):
    with pytest.raises(ValueError, match="minutes"):
        TimeRow(SIGNED_AT, SIGNED_AT, minutes, True)


@pytest.mark.parametrize("quantity", [Decimal("NaN"), Decimal("Infinity"), 1.5, "2"])
def test_quantities_must_be_finite_decimals(quantity):
    with pytest.raises(ValueError, match="quantity"):
        MaterialRow("Valve", quantity, "pc", None, True)


def test_rows_given_as_lists_are_frozen_into_tuples():
    note = replace(BASE, time_entries=list(time_rows(2)), materials=[])

    assert isinstance(note.time_entries, tuple) and isinstance(note.materials, tuple)


def test_snapshots_are_immutable():
    with pytest.raises(AttributeError):
        BASE.customer_name = "Someone else"  # type: ignore[misc]


def test_utc_offsets_are_normalised_not_trusted():
    east = timezone(timedelta(hours=5, minutes=30))
    row = TimeRow(
        datetime(2026, 3, 12, 13, 30, tzinfo=east),
        datetime(2026, 3, 12, 14, 15, tzinfo=east),
        45,
        False,
    )

    decoded = json.loads(canonical_json(replace(BASE, time_entries=(row,))))

    assert decoded["time_entries"][0]["started_at"] == "2026-03-12T08:00:00Z"


def test_plain_decimal_ignores_the_decimal_context_precision():
    long_value = Decimal("12345678901234567890.123456789012345")

    with localcontext() as context:
        context.prec = 5
        assert plain_decimal(long_value) == "12345678901234567890.123456789012345"


@given(minutes=st.integers(min_value=0, max_value=10**7))
def test_hours_are_minutes_over_sixty_rounded_half_up(minutes):
    exact = Decimal(minutes) / Decimal(60)

    assert minutes_to_hours(minutes) == exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_chargeable_must_be_a_real_bool():
    with pytest.raises(ValueError, match="chargeable"):
        TimeRow(SIGNED_AT, SIGNED_AT, 45, 1)
    with pytest.raises(ValueError, match="chargeable"):
        MaterialRow("Valve", Decimal("1"), "pc", None, "yes")
