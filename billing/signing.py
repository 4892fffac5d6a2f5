"""Standard Webhooks signatures (v1, HMAC-SHA256 of "id.timestamp.body"), stdlib only.

Used for ERP deliveries out and for payments reported in (SPEC §8). The
signed content is the raw body bytes: verify before parsing, never re-serialise.
See https://www.standardwebhooks.com.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from typing import Literal

__all__ = [
    "DEFAULT_TOLERANCE_SECONDS",
    "SECRET_PREFIX",
    "SignatureError",
    "generate_secret",
    "headers_for",
    "sign",
    "to_json",
    "verify",
]

SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_SECONDS = 300
# The spec recommends secrets of 24 to 64 random bytes.
SECRET_BYTES = 32

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
# A header listing more signatures than this is an attack, not key rotation.
_MAX_SIGNATURES = 16

Reason = Literal["missing_headers", "bad_timestamp", "stale_timestamp", "bad_signature"]


class SignatureError(ValueError):
    """A webhook that must be refused; `reason` is stable for logs and metrics."""

    def __init__(self, reason: Reason, message: str | None = None) -> None:
        super().__init__(message or reason)
        self.reason: Reason = reason


def generate_secret() -> str:
    """A fresh signing secret in the Standard Webhooks form "whsec_<base64>"."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    """The HMAC key: base64 after the optional "whsec_" prefix (as the reference libs)."""
    if not isinstance(secret, str):
        raise TypeError("secret must be a str")
    encoded = secret.removeprefix(SECRET_PREFIX)
    # Tolerate unpadded base64, like the reference implementation.
    encoded += "=" * (-len(encoded) % 4)
    try:
        key = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise ValueError("webhook secret is not base64") from None
    if not key:
        raise ValueError("webhook secret is empty")
    return key


def _signature(key: bytes, msg_id: str, timestamp: int, body: bytes) -> bytes:
    signed = msg_id.encode() + b"." + str(timestamp).encode() + b"." + body
    return hmac.new(key, signed, hashlib.sha256).digest()


def _check_timestamp(timestamp: int) -> None:
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise TypeError("timestamp must be an int (Unix seconds)")
    if timestamp < 0:
        raise ValueError("timestamp must not be negative")


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The "v1,<base64>" signature of one delivery attempt."""
    if not isinstance(body, bytes):
        raise TypeError("body must be the raw bytes that are sent")
    if not isinstance(msg_id, str) or not msg_id:
        raise ValueError("msg_id must be a non-empty string")
    # "." separates the signed fields and spaces separate header values: an
    # id containing either could make two different messages sign alike.
    if "." in msg_id or any(ch.isspace() for ch in msg_id):
        raise ValueError("msg_id must not contain '.' or whitespace")
    _check_timestamp(timestamp)
    digest = _signature(_key(secret), msg_id, timestamp, body)
    return "v1," + base64.b64encode(digest).decode()


def headers_for(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers of one delivery attempt (same id on every retry)."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    now: int,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    """Return if `body` is signed by `secret` within `tolerance`; else raise SignatureError.

    Every "v1," entry of the space-separated signature header is compared in
    constant time (several entries happen during key rotation); entries of
    other versions or that are not base64 are ignored.
    """
    if not isinstance(body, bytes):
        raise TypeError("body must be the raw request bytes")
    _check_timestamp(now)
    key = _key(secret)
    lowered = {name.lower(): value for name, value in headers.items()}
    msg_id = lowered.get("webhook-id")
    timestamp_text = lowered.get("webhook-timestamp")
    signature_header = lowered.get("webhook-signature")
    if not (msg_id and timestamp_text and signature_header):
        raise SignatureError("missing_headers", "webhook headers are missing")

    if not _TIMESTAMP.fullmatch(timestamp_text):
        raise SignatureError("bad_timestamp", "webhook-timestamp is not Unix seconds")
    timestamp = int(timestamp_text)
    if abs(now - timestamp) > tolerance:
        raise SignatureError("stale_timestamp", "webhook-timestamp outside tolerance")

    expected = _signature(key, msg_id, timestamp, body)
    matched = False
    for entry in signature_header.split()[:_MAX_SIGNATURES]:
        version, _, encoded = entry.partition(",")
        if version != "v1":
            continue
        try:
            candidate = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            continue
        # No early exit: the time taken does not depend on which entry matched.
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureError("bad_signature", "no matching webhook signature")


def to_json(value) -> str:
    """Compact, sorted JSON: the bytes that are signed and stored."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
