"""People's passwords: Argon2id (argon2-cffi's defaults, RFC 9106's second recommendation), and what a new
password must be."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..i18n import gettext

MIN_LENGTH = 12  # long rather than complicated (NIST SP 800-63B)
MAX_LENGTH = 200


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


# Verified when no account matches, so that an unknown identifier costs as long as a wrong password.
_DECOY = None


def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` is the one of `stored` (an Argon2 hash); with none stored, spends the same time."""
    global _DECOY
    if stored is None:
        _DECOY = _DECOY or hash_password("decoy password, never matches")
        stored, password = _DECOY, password + "\0"
    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher().check_needs_rehash(stored)


def password_problem(password: str) -> str | None:
    """Why a new password will not do, in the language of the moment; None when it will."""
    if len(password) < MIN_LENGTH:
        return gettext("Use at least %(count)s characters: a few words you remember make a good password.",
                       count=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return gettext("Use at most %(count)s characters.", count=MAX_LENGTH)
    if len(set(password)) < 4:
        return gettext("Use more different characters.")
    return None
