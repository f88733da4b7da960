"""The one clock. Code asks a ``Clock`` for the time, never ``datetime.now()``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware UTC instant."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that stands still until moved: for tests and demo scripts."""

    instant: datetime

    def now(self) -> datetime:
        return self.instant

    def advance(self, delta: timedelta) -> None:
        self.instant += delta


@dataclass
class RehearsalClock:
    """The system clock, set forward (or back) by writing an instant to a file: while the
    file holds one, time runs on from it as if the clock had been set to it when the file
    was last written. For rehearsals and browser tests of what takes days, such as a
    standstill; never in production (``CARETENDER_CLOCK_FILE``, refused there)."""

    path: Path
    _read: tuple[int, timedelta] | None = field(default=None, init=False, repr=False)

    def _offset(self) -> timedelta:
        try:
            stamp = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return timedelta()
        if self._read is None or self._read[0] != stamp:
            text = self.path.read_text().strip()
            set_at = datetime.fromtimestamp(stamp / 1e9, UTC)
            offset = datetime.fromisoformat(text) - set_at if text else timedelta()
            self._read = (stamp, offset)
        return self._read[1]

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset()


def clock_for(clock_file: Path | None) -> Clock:
    """The platform's clock: the system's, or a rehearsal clock where one is configured."""
    return RehearsalClock(clock_file) if clock_file else SystemClock()
