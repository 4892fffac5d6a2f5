"""Password hashing with argon2id, and the rules a new password and a login email follow
(one place for the API and the CLI); the cheap profile exists only to keep tests fast."""

import re

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


MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
# One @, something before it, a dotted domain after it, no spaces: what a mail system
# can deliver to. (marshmallow's Email field says the same for API bodies.)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def password_problems(password: str) -> list[str]:
    """Why `password` may not be used (empty when it may)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"The password must be at most {MAX_PASSWORD_LENGTH} characters long.")
    if password and not password.strip():
        problems.append("The password cannot be only spaces.")
    return problems


def email_problems(email: str) -> list[str]:
    """Why `email` cannot be a login (empty when it can)."""
    if len(email) > 254 or not _EMAIL.match(email):
        return [f"{email!r} is not an email address."]
    return []
