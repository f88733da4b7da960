"""Password hashing with argon2id, always off the event loop, and the password rules."""

from __future__ import annotations

import os

import anyio
import anyio.to_thread
import argon2
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from app.settings import PasswordSettings

MIN_LENGTH = 8
#: Long passphrases are welcome; the cap only stops hashing megabytes on purpose.
MAX_LENGTH = 1000
#: The 30,000 most common passwords from leaked sets (zxcvbn's list).
_COMMON = frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str) -> str | None:
    """What is wrong with a new password, in words for the person choosing it."""
    if not password:
        return "Enter a password"
    if len(password) < MIN_LENGTH:
        return f"Password must be {MIN_LENGTH} characters or more"
    if len(password) > MAX_LENGTH:
        return f"Password must be {MAX_LENGTH} characters or fewer"
    if password.lower() in _COMMON or password.strip().lower() in _COMMON:
        return "This password is too common. Choose a different password"
    return None


class PasswordHasher:
    def __init__(self, params: PasswordSettings) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=params.time_cost,
            memory_cost=params.memory_cost,
            parallelism=params.parallelism,
            type=argon2.Type.ID,
        )
        # Compared against when the email is unknown, so both paths cost the same.
        self._dummy = self._hasher.hash("no account has this password")
        self._limiter: anyio.CapacityLimiter | None = None

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        """One hash at a time per core: each holds ``memory_cost`` KiB, so a burst of
        sign-ins must queue rather than take the shared thread pool and gigabytes."""
        if self._limiter is None:  # made on first use: it needs the running event loop
            self._limiter = anyio.CapacityLimiter(os.cpu_count() or 1)
        return self._limiter

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hasher.hash, password, limiter=self.limiter)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await anyio.to_thread.run_sync(
            self._verify, password_hash, password, limiter=self.limiter
        )

    def _verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self._dummy, password) and (
                password_hash is not None
            )
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
