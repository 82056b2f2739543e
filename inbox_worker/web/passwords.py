"""Password hashing for staff accounts: argon2id (argon2-cffi), verified in constant effort."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()
# Verified against when the address is unknown, so an unknown address takes as long as a wrong password.
_DUMMY = _HASHER.hash("not-a-password-of-anyone")
MIN_LENGTH = 10


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise ValueError(f"adgangskoden skal være mindst {MIN_LENGTH} tegn")
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash or _DUMMY, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
