"""Password hashing with Argon2id (argon2-cffi's defaults meet OWASP's recommendation)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """A salted Argon2id hash, safe to store."""
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True iff ``password`` matches; never raises on a wrong or malformed hash."""
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verified against when the user does not exist, so a wrong name costs the same time as a
# wrong password and response times do not reveal which usernames exist.
DUMMY_HASH = hash_password("not-a-real-password")
