"""Password hashing with argon2id; the cheap profile exists only to keep tests fast."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

_PROFILES = {
    "strong": PasswordHasher(),  # argon2-cffi's RFC 9106 low-memory defaults
    "fast": PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
}
# Verifying against this hash when the email is unknown keeps timing equal (no
# enumeration): made once per profile with the same parameters as real hashes, so an
# unknown email costs one verification, like a known one, never a hash plus one.
_DUMMY: dict[str, str] = {}


def _profile() -> str:
    return current_app.config["PASSWORD_HASH_PROFILE"]


def _hasher() -> PasswordHasher:
    return _PROFILES[_profile()]


def dummy_hash() -> str:
    profile = _profile()
    if profile not in _DUMMY:
        _DUMMY[profile] = _PROFILES[profile].hash("not-a-password")
    return _DUMMY[profile]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    hasher = _hasher()
    if password_hash is None:
        password_hash = dummy_hash()
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
