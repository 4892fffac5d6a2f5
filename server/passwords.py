"""Password hashing with argon2id; the cheap profile exists only to keep tests fast."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

_PROFILES = {
    "strong": PasswordHasher(),  # argon2-cffi's RFC 9106 low-memory defaults
    "fast": PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
}
# Verifying against this hash when the email is unknown keeps timing equal (no enumeration).
_DUMMY = {}


def _hasher() -> PasswordHasher:
    return _PROFILES[current_app.config["PASSWORD_HASH_PROFILE"]]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    hasher = _hasher()
    if password_hash is None:
        password_hash = _DUMMY.setdefault(id(hasher), hasher.hash("not-a-password"))
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
