"""What every service needs from its surroundings, built once per application."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from functools import cached_property

from app.clock import Clock, SystemClock
from app.files import LocalFileStore
from app.passwords import PasswordHasher
from app.settings import Settings


@dataclass(frozen=True)
class Platform:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)

    @cached_property
    def passwords(self) -> PasswordHasher:
        return PasswordHasher(self.settings.passwords)

    @cached_property
    def files(self) -> LocalFileStore:
        return LocalFileStore(self.settings.files_dir)

    def derived_key(self, purpose: str) -> bytes:
        """A key for one purpose, so that no two uses share a key."""
        return hmac.new(
            self.settings.secret_key.encode(), purpose.encode(), hashlib.sha256
        ).digest()
