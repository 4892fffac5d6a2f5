"""Signed tokens that travel in mail: reply addresses, one-click unsubscribe links and
set-password links. Pure functions of the app's secret, so they need no table.

Each kind of token uses its own key derived from SECRET_KEY (HMAC with a label), so
a token of one kind is never valid as another, nor as anything else SECRET_KEY signs.
MACs are compared in constant time.
"""

import base64
import binascii
import hashlib
import hmac
import struct

REPLY_MAC_BYTES = 10  # 80 bits: unguessable, short enough for a 64-character local part
_IDS = struct.Struct(">QQ")
_ID = struct.Struct(">Q")


def _key(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), f"fieldline/{purpose}/v1".encode(), hashlib.sha256).digest()


def _mac(secret: str, purpose: str, data: bytes, size: int) -> bytes:
    return hmac.new(_key(secret, purpose), data, hashlib.sha256).digest()[:size]


def _b32(data: bytes) -> str:
    # Lower-case base32 without padding: survives MTAs that fold the local part's case.
    return base64.b32encode(data).decode().rstrip("=").lower()


def _unb32(text: str) -> bytes | None:
    text = text.strip().upper()
    try:
        return base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError):
        return None


def reply_token(secret: str, ticket_id: int, user_id: int) -> str:
    """The `<token>` of `reply+<token>@MAIL_DOMAIN`: ticket, recipient and their MAC."""
    data = _IDS.pack(ticket_id, user_id)
    return _b32(data + _mac(secret, "reply-to", data, REPLY_MAC_BYTES))


def read_reply_token(secret: str, token: str) -> tuple[int, int] | None:
    """(ticket id, recipient id), or None for anything not minted by us exactly so."""
    raw = _unb32(token)
    if raw is None or len(raw) != _IDS.size + REPLY_MAC_BYTES:
        return None
    data, mac = raw[: _IDS.size], raw[_IDS.size :]
    if not hmac.compare_digest(mac, _mac(secret, "reply-to", data, REPLY_MAC_BYTES)):
        return None
    return _IDS.unpack(data)


def unsubscribe_token(secret: str, user_id: int) -> str:
    """URL-safe token naming one user, for the List-Unsubscribe one-click link."""
    data = _ID.pack(user_id)
    return _b32(data + _mac(secret, "unsubscribe", data, 16))


def read_unsubscribe_token(secret: str, token: str) -> int | None:
    raw = _unb32(token)
    if raw is None or len(raw) != _ID.size + 16:
        return None
    data, mac = raw[: _ID.size], raw[_ID.size :]
    if not hmac.compare_digest(mac, _mac(secret, "unsubscribe", data, 16)):
        return None
    return _ID.unpack(data)[0]


def set_password_token(secret: str, salt: str) -> str:
    """The secret of a set-password link, derived from a random per-row salt (not
    stored): the database keeps only its SHA-256, the outbox only the row's id."""
    mac = _mac(secret, "set-password", salt.encode(), 32)
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
