"""What the benchmarks (and the tests that run the server as a process) share about their
processes: stopping cleanly on SIGTERM, a temporary folder for the platform's files, the
``caretender`` command and its environment, a server started and waited for, a fresh
PostgreSQL database, and a child process that measures one database and hands its figures
back to the parent on one ``FIGURES`` line of JSON.

A benchmark measured on each database in turn has ``main_on_each_database`` for its main():
the parent calls ``measure_each_database``, which starts the child, the same module with
``CHILD`` among its arguments, once on each database.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import io
import json
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import uvloop

POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"
#: The argument that makes a benchmark's process the child measuring one database.
CHILD = "--one-database"
PROFILE = "--profile"
#: The start of the child's last line: its figures, as JSON.
FIGURES = "FIGURES "
#: Functions shown from a profile, by their own time and by cumulative time.
PROFILE_LINES = 30

Figures = dict[str, float | int | str]


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def exit_on_sigterm() -> None:
    """Make SIGTERM raise SystemExit, so that what ``with`` opened (a temporary folder, a
    database, a server) is closed as it would be on an exception; on the main thread only,
    the one that may set a signal handler."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop_on_sigterm)


@contextlib.contextmanager
def temporary_var_dir() -> Iterator[Path]:
    """A folder for the platform's files, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="caretender-bench-") as var_dir:
        yield Path(var_dir)


def caretender_command() -> list[str]:
    script = Path(sys.executable).with_name("caretender")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from app.cli import main; main()"]


def serve_command(port: int) -> list[str]:
    """``caretender serve`` on 127.0.0.1 at ``port``."""
    return [*caretender_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]


@contextlib.contextmanager
def server(
    command: list[str], env: dict[str, str], log: Path, port: int, *, timeout: float = 30
) -> Iterator[subprocess.Popen[bytes]]:
    """The server ``command`` starts, once it answers /healthz on ``port``; stopped on the
    way out if it is still alive. Raises ``RuntimeError``, with its log, if it exits first
    or does not answer within ``timeout`` seconds (and then says what its threads wait in:
    a start takes a second or two, and ten times that when other suites share the cores)."""
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while not _answers(port):
            if process.poll() is not None:
                raise RuntimeError(f"server exited ({process.returncode}):\n{log.read_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"server did not answer /healthz in {timeout:.0f} s; its threads wait in "
                    f"{_waiting_in(process.pid)}:\n{log.read_text()}"
                )
            time.sleep(0.05)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _waiting_in(pid: int) -> list[str]:
    """What each thread of a process is doing (its state and kernel wait channel)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            state = (task / "stat").read_text().rsplit(")", 1)[1].split()[0]
            found.append(f"{state}:{(task / 'wchan').read_text()}")
    return found


def clean_env(var_dir: Path) -> dict[str, str]:
    """This environment without any CARETENDER_* setting, so argon2 runs at production cost."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CARETENDER_")}
    env["CARETENDER_VAR_DIR"] = str(var_dir)
    return env


def migrate(env: dict[str, str]) -> None:
    """``caretender migrate`` on the database ``env`` configures."""
    subprocess.run(
        [*caretender_command(), "migrate"], env=env, check=True, stdout=subprocess.DEVNULL
    )


@contextlib.contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A database of its own on the local server, dropped afterwards."""
    name = f"caretender_bench_{os.getpid()}"
    server = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
    subprocess.run(["createdb", *server, name], check=True)
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        subprocess.run(["dropdb", *server, "--force", "--if-exists", name], check=True)


# -- in the parent ------------------------------------------------------------------------


def measure_child(module: str, url: str, var_dir: Path, args: Sequence[str]) -> Figures:
    """Migrate the database at ``url`` and run ``python -m module`` on it as the child,
    with ``args``: its figures. The child's other lines are printed as they came."""
    env = {**clean_env(var_dir), "CARETENDER_DATABASE_URL": url}
    migrate(env)
    finished = subprocess.run(
        [sys.executable, "-m", module, CHILD, *args], env=env, stdout=subprocess.PIPE, text=True
    )
    figures = {}
    for line in finished.stdout.splitlines():
        if line.startswith(FIGURES):
            figures = json.loads(line.removeprefix(FIGURES))
        else:
            print(line)
    finished.check_returncode()
    return figures


def measure_each_database(
    module: str, var_dir: Path, args: Sequence[str]
) -> tuple[Figures, Figures]:
    """The child's figures on SQLite, then on a fresh PostgreSQL database, each with a
    folder of its own in ``var_dir``: (SQLite's, PostgreSQL's)."""
    (var_dir / "sqlite").mkdir()
    sqlite = measure_child(
        module, f"sqlite:///{var_dir / 'sqlite' / 'caretender.sqlite'}", var_dir / "sqlite", args
    )
    print()
    (var_dir / "postgres").mkdir()
    with fresh_postgres_database() as url:
        pg = measure_child(module, url, var_dir / "postgres", args)
    print()
    return sqlite, pg


# -- in the child -------------------------------------------------------------------------


def run_child(one_database: Callable[[bool], Coroutine[Any, Any, Figures]]) -> None:
    """Measure the database configured, with a profile if PROFILE was asked for, on the
    event loop ``caretender serve`` runs the services on; print the figures last."""
    uvloop.install()
    figures = asyncio.run(one_database(PROFILE in sys.argv))
    print(FIGURES + json.dumps(figures), flush=True)


def print_profile(profiler: cProfile.Profile, heading: str) -> None:
    """The PROFILE_LINES functions first by their own time, then by cumulative time, each
    under ``heading`` with ``{order}`` in it replaced by the order."""
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(PROFILE_LINES)
        print(f"\n{heading.format(order=order)}:")
        print(out.getvalue().split("\n\n", 2)[-1].rstrip())


# -- either ---------------------------------------------------------------------------------


def main_on_each_database(
    one_database: Callable[[bool], Coroutine[Any, Any, Figures]],
    run: Callable[[Path, bool], None],
) -> None:
    """A benchmark's main(): as the child (CHILD among the arguments), ``one_database`` on
    the database configured; as the parent, ``run`` in a temporary folder, told whether
    PROFILE was asked for."""
    if CHILD in sys.argv:
        run_child(one_database)
        return
    exit_on_sigterm()
    with temporary_var_dir() as var_dir:
        run(var_dir, PROFILE in sys.argv)
