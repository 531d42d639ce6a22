"""Password hashing with argon2id (the argon2-cffi defaults, RFC 9106 low-memory profile)."""

from __future__ import annotations

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


def check_password(stored_hash: str, password: str) -> bool:
    """True when the password matches the stored hash."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
