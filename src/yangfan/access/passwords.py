"""Password hashing with argon2id (the argon2-cffi defaults, RFC 9106 low-memory profile)."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from yangfan.errors import YangfanError

_hasher = PasswordHasher()
MIN_LENGTH = 12


def hash_password(password: str) -> str:
    """An argon2id hash of an acceptable password; a short one is refused."""
    if len(password) < MIN_LENGTH:
        raise YangfanError.single("password.short", f"密码至少需要 {MIN_LENGTH} 个字符",
                                  f"a password needs at least {MIN_LENGTH} characters")
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    # A hash of a random password nobody knows, with the same parameters as real ones: checking against it
    # costs what a real check costs. Made on first use, so that importing this module stays quick.
    return _hasher.hash(secrets.token_urlsafe(32))


def check_password(stored_hash: str | None, password: str) -> bool:
    """True when the password matches the stored hash. ``None`` (no such account) is checked against a
    dummy hash and is always False: an unknown user takes as long to refuse as a wrong password."""
    try:
        matched = _hasher.verify(_dummy_hash() if stored_hash is None else stored_hash, password)
        return matched and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
