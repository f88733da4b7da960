"""The rehearsal clock: time set forward by writing an instant to a file, for rehearsals and
browser tests of what takes days; never in production."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.clock import RehearsalClock, SystemClock, clock_for
from app.settings import settings_from_env


def test_without_the_file_it_is_the_system_clock(tmp_path: Path) -> None:
    clock = RehearsalClock(tmp_path / "clock")
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=1)


def test_time_runs_on_from_the_instant_written(tmp_path: Path) -> None:
    path = tmp_path / "clock"
    path.write_text("2027-01-05T23:59:00+00:00\n")
    clock = RehearsalClock(path)
    first = clock.now()
    assert timedelta(0) <= first - datetime(2027, 1, 5, 23, 59, tzinfo=UTC) < timedelta(seconds=5)
    # Written again later: the clock follows, without restarting anything.
    path.write_text("2027-01-06T09:00:00+00:00")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000))
    assert clock.now().date().isoformat() == "2027-01-06"
    path.unlink()
    assert clock.now() < first


def test_settings_name_the_file_and_production_refuses_it(tmp_path: Path) -> None:
    env = {"CARETENDER_VAR_DIR": str(tmp_path), "CARETENDER_SECRET_KEY": "k" * 40}
    assert isinstance(clock_for(settings_from_env(env).clock_file), SystemClock)
    rehearsal = {**env, "CARETENDER_CLOCK_FILE": str(tmp_path / "clock")}
    assert isinstance(clock_for(settings_from_env(rehearsal).clock_file), RehearsalClock)
    with pytest.raises(RuntimeError, match="never production"):
        settings_from_env({**rehearsal, "CARETENDER_ENV": "production"})
