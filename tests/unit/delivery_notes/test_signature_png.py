import io
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image as PILImage

from delivery_notes.signature_png import SignatureImageError, inspect_signature_png
from tests.unit.delivery_notes.note_factories import PNG_SIGNATURE, chunk, ihdr, make_png

SMALL_PNG = make_png(12, 7)


def refusal_code(data: bytes, **limits) -> str:
    with pytest.raises(SignatureImageError) as caught:
        inspect_signature_png(data, **limits)
    return caught.value.code


def test_a_valid_png_reports_its_width_and_height():
    assert inspect_signature_png(make_png(300, 100)) == (300, 100)


@pytest.mark.parametrize(
    ("colour_type", "bit_depth"),
    [
        (0, 1),
        (0, 2),
        (0, 4),
        (0, 8),
        (0, 16),
        (2, 8),
        (2, 16),
        (3, 1),
        (3, 8),
        (4, 8),
        (6, 8),
        (6, 16),
    ],
)
@pytest.mark.parametrize("interlace", [0, 1])
def test_every_legal_pixel_format_is_accepted_and_decodes(colour_type, bit_depth, interlace):
    png = make_png(13, 9, bit_depth=bit_depth, colour_type=colour_type, interlace=interlace)

    assert inspect_signature_png(png) == (13, 9)
    # Pillow agrees the test image is sound, so acceptance is not circular.
    with PILImage.open(io.BytesIO(png)) as image:
        image.load()
        assert image.size == (13, 9)


@pytest.mark.parametrize("mode", ["RGBA", "RGB", "L", "LA", "P", "1"])
def test_pngs_written_by_pillow_are_accepted(mode):
    buffer = io.BytesIO()
    PILImage.new(mode, (64, 32)).save(buffer, format="PNG")

    assert inspect_signature_png(buffer.getvalue()) == (64, 32)


def test_jpeg_bytes_are_not_a_png():
    buffer = io.BytesIO()
    PILImage.new("RGB", (16, 16), "white").save(buffer, format="JPEG")

    assert refusal_code(buffer.getvalue()) == "not_png"


@pytest.mark.parametrize("data", [b"", b"not an image", PNG_SIGNATURE, b"GIF89a" + bytes(20)])
def test_bytes_without_a_png_structure_are_refused(data):
    assert refusal_code(data) == "not_png"


def test_a_string_is_refused_rather_than_encoded():
    assert refusal_code("\x89PNG") == "not_png"


def test_every_truncation_of_a_png_is_refused():
    for length in range(len(SMALL_PNG)):
        assert refusal_code(SMALL_PNG[:length]) == "not_png", length


@given(
    position=st.integers(min_value=len(PNG_SIGNATURE), max_value=len(SMALL_PNG) - 1),
    flip=st.integers(1, 255),
)
def test_any_corrupted_byte_is_refused(position, flip):
    damaged = bytearray(SMALL_PNG)
    damaged[position] ^= flip

    assert refusal_code(bytes(damaged)) == "not_png"


def test_data_after_the_end_chunk_is_refused():
    assert refusal_code(SMALL_PNG + b"trailing") == "not_png"


def test_a_png_without_image_data_is_refused():
    assert refusal_code(PNG_SIGNATURE + ihdr(10, 10) + chunk(b"IEND", b"")) == "not_png"


def test_image_data_that_does_not_fill_the_declared_size_is_refused():
    short = zlib.compress(b"\x00" + bytes(4 * 10))  # one scanline of ten
    png = PNG_SIGNATURE + ihdr(10, 10) + chunk(b"IDAT", short) + chunk(b"IEND", b"")

    assert refusal_code(png) == "not_png"


def test_an_unknown_scanline_filter_is_refused():
    raw = b"".join(b"\x07" + bytes(4 * 10) for _ in range(10))
    png = PNG_SIGNATURE + ihdr(10, 10) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")

    assert refusal_code(png) == "not_png"


@pytest.mark.parametrize(("bit_depth", "colour_type"), [(16, 3), (4, 2), (8, 5), (3, 0)])
def test_impossible_depth_and_colour_combinations_are_refused(bit_depth, colour_type):
    png = (
        PNG_SIGNATURE
        + ihdr(4, 4, bit_depth, colour_type)
        + chunk(b"IDAT", b"")
        + chunk(b"IEND", b"")
    )

    assert refusal_code(png) == "not_png"


def test_a_palette_image_without_a_palette_is_refused():
    png = make_png(8, 8, colour_type=3).replace(
        chunk(b"PLTE", bytes([255, 255, 255, 20, 20, 120])), b""
    )

    assert refusal_code(png) == "not_png"


def test_zero_width_is_refused():
    png = PNG_SIGNATURE + ihdr(0, 10) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")

    assert refusal_code(png) == "not_png"


@pytest.mark.parametrize(
    ("width", "height"), [(100_000, 100_000), (4001, 10), (10, 4001), (2**31 - 1, 1)]
)
def test_huge_declared_dimensions_are_refused_without_inflating(width, height):
    png = (
        PNG_SIGNATURE
        + ihdr(width, height)
        + chunk(b"IDAT", zlib.compress(bytes(100)))
        + chunk(b"IEND", b"")
    )

    assert refusal_code(png) == "image_too_large"


def test_an_image_over_the_pixel_budget_is_refused():
    assert refusal_code(make_png(30, 30), max_pixels=899) == "image_too_large"
    assert inspect_signature_png(make_png(30, 30), max_pixels=900) == (30, 30)


def test_a_file_over_the_byte_budget_is_refused():
    png = make_png(30, 30)

    assert refusal_code(png, max_bytes=len(png) - 1) == "image_too_large"
    assert inspect_signature_png(png, max_bytes=len(png)) == (30, 30)


def test_a_decompression_bomb_behind_a_small_header_is_refused():
    bomb = zlib.compress(bytes(20 * 1024 * 1024), 9)  # 20 MiB of zeros in about 20 KB
    png = PNG_SIGNATURE + ihdr(100, 100) + chunk(b"IDAT", bomb) + chunk(b"IEND", b"")

    with pytest.raises(SignatureImageError, match="does not match the header") as caught:
        inspect_signature_png(png)
    assert caught.value.code == "not_png"


def test_the_error_is_a_value_error_carrying_a_stable_code():
    error = SignatureImageError("not_png", "missing PNG signature")

    assert isinstance(error, ValueError)
    assert error.code == "not_png"
    assert str(error) == "missing PNG signature"


@settings(max_examples=50)
@given(width=st.integers(1, 64), height=st.integers(1, 64), interlace=st.sampled_from([0, 1]))
def test_any_small_valid_png_reports_its_own_size(width, height, interlace):
    assert inspect_signature_png(make_png(width, height, interlace=interlace)) == (width, height)
