"""Check that uploaded signature bytes really are a small, well-formed PNG.

The signature arrives from a device as an attachment with a declared content
type we do not trust. A bad image must be refused when it is pushed, not
discovered later when the PDF is rendered after commit, so this walks every
chunk (lengths, CRCs, order) and inflates the image data to the exact size the
header promises, with limits that keep a decompression bomb cheap to refuse.

Why not Pillow: it decodes leniently by design. Pillow 13 opens, verifies and loads
PNGs whose IDAT or IEND CRC is corrupt, whose image data is shorter or longer than
the header promises (it stops at the last row), palette images without PLTE, and
files with bytes after IEND. The tests pin each of those as refused; Pillow would
only add its colour-type table and filter decoding to the checks kept here.
"""

from __future__ import annotations

import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_BYTES = 1024 * 1024
MAX_SIDE = 4000
MAX_PIXELS = 4_000_000

# colour type -> (samples per pixel, allowed bit depths), PNG spec table 11.1
_COLOUR_TYPES = {
    0: (1, (1, 2, 4, 8, 16)),
    2: (3, (8, 16)),
    3: (1, (1, 2, 4, 8)),
    4: (2, (8, 16)),
    6: (4, (8, 16)),
}
# Adam7 passes: (x start, y start, x step, y step)
_ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)


class SignatureImageError(ValueError):
    """The bytes are not an acceptable signature image; `code` is stable for clients."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def inspect_signature_png(
    data: bytes,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    max_side: int = MAX_SIDE,
) -> tuple[int, int]:
    """Return (width, height) of a valid PNG within the limits, else raise SignatureImageError.

    Codes: `not_png` (not a complete, well-formed PNG) and `image_too_large`
    (too many bytes, a side over `max_side` or more than `max_pixels` pixels).
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise SignatureImageError("not_png", "signature must be bytes")
    data = bytes(data)
    if len(data) > max_bytes:
        raise SignatureImageError("image_too_large", f"signature exceeds {max_bytes} bytes")
    if not data.startswith(PNG_SIGNATURE):
        raise SignatureImageError("not_png", "missing PNG signature")
    chunks = _chunks(data)
    if not chunks or chunks[0][0] != b"IHDR" or len(chunks[0][1]) != 13:
        raise SignatureImageError("not_png", "first chunk is not a valid IHDR")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", chunks[0][1]
    )
    if width == 0 or height == 0 or width > 2**31 - 1 or height > 2**31 - 1:
        raise SignatureImageError("not_png", "invalid dimensions")
    if width > max_side or height > max_side or width * height > max_pixels:
        raise SignatureImageError(
            "image_too_large", f"{width}x{height} exceeds the signature size limits"
        )
    samples, depths = _COLOUR_TYPES.get(colour, (0, ()))
    if depth not in depths or compression != 0 or filtering != 0 or interlace not in (0, 1):
        raise SignatureImageError("not_png", "invalid IHDR fields")
    kinds = [kind for kind, _ in chunks]
    if colour == 3 and b"PLTE" not in kinds:
        raise SignatureImageError("not_png", "palette image without PLTE")
    idat = [body for kind, body in chunks if kind == b"IDAT"]
    first = kinds.index(b"IDAT") if idat else -1
    if not idat or kinds[first : first + len(idat)] != [b"IDAT"] * len(idat):
        raise SignatureImageError("not_png", "image data missing or not contiguous")
    _check_image_data(b"".join(idat), _scanlines(width, height, depth * samples, interlace))
    return width, height


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Split into (type, body) chunks, verifying lengths, CRCs and that IEND ends the file."""
    chunks = []
    pos = len(PNG_SIGNATURE)
    while pos < len(data):
        if pos + 12 > len(data):
            raise SignatureImageError("not_png", "truncated chunk header")
        (length,) = struct.unpack_from(">I", data, pos)
        end = pos + 12 + length
        if end > len(data):
            raise SignatureImageError("not_png", "truncated chunk")
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : end - 4]
        if (
            not kind.isalpha()
            or zlib.crc32(kind + body) != struct.unpack_from(">I", data, end - 4)[0]
        ):
            raise SignatureImageError("not_png", "corrupt chunk")
        chunks.append((kind, body))
        pos = end
        if kind == b"IEND":
            if pos != len(data):
                raise SignatureImageError("not_png", "data after IEND")
            return chunks
    raise SignatureImageError("not_png", "missing IEND")


def _scanlines(
    width: int, height: int, bits_per_pixel: int, interlace: int
) -> list[tuple[int, int]]:
    """(rows, bytes per row including the filter byte) of each pass of the image."""
    passes = _ADAM7 if interlace else ((0, 0, 1, 1),)
    sizes = []
    for x0, y0, dx, dy in passes:
        pass_w = (width - x0 + dx - 1) // dx if width > x0 else 0
        pass_h = (height - y0 + dy - 1) // dy if height > y0 else 0
        if pass_w and pass_h:
            sizes.append((pass_h, 1 + (pass_w * bits_per_pixel + 7) // 8))
    return sizes


def _check_image_data(compressed: bytes, scanlines: list[tuple[int, int]]) -> None:
    """Inflate at most the promised size + 1, so a bomb costs no more than a legal image."""
    expected = sum(rows * stride for rows, stride in scanlines)
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(compressed, expected + 1)
    except zlib.error as exc:
        raise SignatureImageError("not_png", "image data does not inflate") from exc
    if len(raw) != expected or not inflater.eof or inflater.unconsumed_tail:
        raise SignatureImageError("not_png", "image data does not match the header")
    offset = 0
    for rows, stride in scanlines:
        if max(raw[offset : offset + rows * stride : stride]) > 4:
            raise SignatureImageError("not_png", "unknown scanline filter")
        offset += rows * stride
