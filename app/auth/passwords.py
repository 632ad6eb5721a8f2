"""Passwords people sign in with: Argon2id (argon2-cffi's defaults, RFC 9106's low-memory
recommendation), checked off the event loop; only the hash is stored."""

import asyncio
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.errors import Unprocessable

MIN_LENGTH, MAX_LENGTH = 8, 128
_hasher = PasswordHasher()


def checked(password: str) -> str:
    """The password if it may be used; 422 with the rule it breaks otherwise."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise Unprocessable(f"a password has {MIN_LENGTH} to {MAX_LENGTH} characters")
    if "\x00" in password:
        raise Unprocessable("a password cannot contain a NUL character")
    return password


async def hashed(password: str) -> str:
    """The Argon2id hash of a password that meets the rules (422 otherwise), made in a worker thread."""
    return await asyncio.to_thread(_hasher.hash, checked(password))


async def matches(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` is the one hashed in ``stored_hash`` (None: nobody), in a worker thread:
    a check costs tens of milliseconds of CPU."""
    return await asyncio.to_thread(_verify, stored_hash or _nobody(), password, stored_hash is not None)


@cache
def _nobody() -> str:
    """Checked against when the name is unknown, so a wrong name takes as long as a wrong password
    (made on first use: a hash costs tens of milliseconds and 64 MiB for a moment)."""
    return _hasher.hash("no user has this password")


def _verify(stored_hash: str, password: str, real: bool) -> bool:
    try:
        return _hasher.verify(stored_hash, password) and real
    except (VerificationError, InvalidHashError):
        return False
