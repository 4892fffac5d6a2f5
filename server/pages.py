"""Opaque cursors of keyset-paginated lists: `kind:id`, base64url without padding."""

import base64
import binascii

from server.errors import Invalid
from server.schemas.ids import MAX_ID


def encode_cursor(row_id: int, kind: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{row_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str) -> int:
    """The id a cursor of `kind` points after; 422 for anything else."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        found, _, value = text.partition(":")
        row_id = int(value)
        if found != kind or not 0 < row_id <= MAX_ID:
            raise ValueError
        return row_id
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise Invalid("The cursor is not valid.", errors={"cursor": ["invalid cursor"]}) from None
