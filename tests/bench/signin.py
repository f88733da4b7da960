"""Sign-in throughput and event-loop freedom under production argon2 parameters.

Run with ``python -m tests.bench.signin``. It loads the demo data into a temporary
directory, serves the platform with ``caretender serve`` (one uvicorn worker) and measures:

* the bare argon2id verify rate in this process (1 and 2 threads), the baseline;
* sign-ins per second (POST /api/v1/tokens, all 201) at 4 and 20 at once, and their
  ratio to the best bare verify rate: a sign-in is one verify plus a little database work;
* the p50/p99 latency of ``/healthz`` idle, and while 20 sign-ins run at once. A bare
  Litestar app served by uvicorn is probed the same way, under the same sign-in load, so
  the cost of sharing two cores with argon2 can be told apart from a blocked event loop;
* the server's peak resident memory (each argon2 verify holds ``memory_cost`` KiB).

No timing is asserted; it prints its figures and ends with one ``RESULT signin`` line.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import argon2
import httpx

from app import demo_data
from app.settings import PasswordSettings

SIGNINS = 40
CONCURRENCIES = (4, 20)
BURST = 20
IDLE_PROBES = 300
BARE_VERIFIES = 16

BARE_APP = """
import sys
import uvicorn
from litestar import Litestar, get

@get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}

uvicorn.run(Litestar([healthz]), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""

USERS = [
    demo_data.COUNCIL_OFFICER,
    *demo_data.COUNCIL_EVALUATORS,
    *(provider.user for provider in demo_data.PROVIDERS),
]


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def caretender_command() -> list[str]:
    script = Path(sys.executable).with_name("caretender")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from app.cli import main; main()"]


def clean_env(var_dir: Path) -> dict[str, str]:
    """This environment without any CARETENDER_* setting, so argon2 runs at production cost."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CARETENDER_")}
    env["CARETENDER_VAR_DIR"] = str(var_dir)
    return env


@contextmanager
def server(command: list[str], env: dict[str, str], log: Path, port: int) -> Iterator[int]:
    """Start a server, wait for /healthz, yield its pid; always stop it."""
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited ({process.returncode}):\n{log.read_text()}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not answer /healthz:\n{log.read_text()}")
            time.sleep(0.1)
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# -- bare argon2 -------------------------------------------------------------------------


@dataclass
class BareArgon2:
    verify_s: float
    per_s_1: float
    per_s_2: float

    @property
    def best(self) -> float:
        return max(self.per_s_1, self.per_s_2)


def bare_argon2() -> BareArgon2:
    params = PasswordSettings()
    hasher = argon2.PasswordHasher(
        time_cost=params.time_cost,
        memory_cost=params.memory_cost,
        parallelism=params.parallelism,
        type=argon2.Type.ID,
    )
    password = demo_data.COUNCIL_OFFICER.password
    hashed = hasher.hash(password)
    hasher.verify(hashed, password)  # warm up

    started = time.perf_counter()
    for _ in range(BARE_VERIFIES):
        hasher.verify(hashed, password)
    single = time.perf_counter() - started

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda _: hasher.verify(hashed, password), range(2)))  # warm up
        started = time.perf_counter()
        list(pool.map(lambda _: hasher.verify(hashed, password), range(BARE_VERIFIES * 2)))
        double = time.perf_counter() - started
    return BareArgon2(
        verify_s=single / BARE_VERIFIES,
        per_s_1=BARE_VERIFIES / single,
        per_s_2=BARE_VERIFIES * 2 / double,
    )


# -- HTTP --------------------------------------------------------------------------------


async def sign_in(client: httpx.AsyncClient, index: int) -> float:
    user = USERS[index % len(USERS)]
    started = time.perf_counter()
    response = await client.post(
        "/api/v1/tokens", json={"email": user.email, "password": user.password}
    )
    elapsed = time.perf_counter() - started
    if response.status_code != 201:
        raise RuntimeError(f"sign-in {index} gave {response.status_code}: {response.text}")
    return elapsed


async def sign_ins(base: str, count: int, concurrency: int) -> tuple[float, list[float]]:
    """``count`` sign-ins, ``concurrency`` at a time: (sign-ins per second, latencies)."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:

        async def one(index: int) -> float:
            async with gate:
                return await sign_in(client, index)

        started = time.perf_counter()
        latencies = await asyncio.gather(*(one(i) for i in range(count)))
        return count / (time.perf_counter() - started), latencies


async def probe_idle(base: str, count: int) -> list[float]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for _ in range(20):  # warm up
            (await client.get("/healthz")).raise_for_status()
        latencies = []
        for _ in range(count):
            started = time.perf_counter()
            (await client.get("/healthz")).raise_for_status()
            latencies.append(time.perf_counter() - started)
        return latencies


async def probe_under_load(signin_base: str, probe_base: str) -> tuple[list[float], float]:
    """Sequential /healthz probes on ``probe_base`` while BURST sign-ins run at once on
    ``signin_base``: (probe latencies, seconds the burst took)."""
    async with httpx.AsyncClient(base_url=probe_base, timeout=30) as probe:
        for _ in range(5):  # warm up
            (await probe.get("/healthz")).raise_for_status()
        burst = asyncio.create_task(sign_ins(signin_base, BURST, BURST))
        started = time.perf_counter()
        latencies = []
        while not burst.done():
            begun = time.perf_counter()
            (await probe.get("/healthz")).raise_for_status()
            latencies.append(time.perf_counter() - begun)
        await burst
        return latencies, time.perf_counter() - started


def p(latencies: list[float], percentile: int) -> float:
    """The percentile in milliseconds."""
    return statistics.quantiles(latencies, n=100, method="inclusive")[percentile - 1] * 1000


# -- main --------------------------------------------------------------------------------


def run(var_dir: Path) -> None:
    env = clean_env(var_dir)
    print(f"cores: {os.cpu_count()}, argon2id {PasswordSettings()} (production defaults)")

    started = time.perf_counter()
    subprocess.run(
        [*caretender_command(), "demo"], env=env, check=True, stdout=subprocess.DEVNULL
    )
    print(f"demo data loaded in {time.perf_counter() - started:.1f}s")

    bare = bare_argon2()
    print()
    print("bare argon2id verify (this process)")
    print(f"  one verify                 {bare.verify_s * 1000:8.1f} ms")
    print(f"  1 thread                   {bare.per_s_1:8.2f} /s")
    print(f"  2 threads                  {bare.per_s_2:8.2f} /s")

    app_port, bare_port = free_port(), free_port()
    app_base, bare_base = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{bare_port}"
    serve = [*caretender_command(), "serve", "--host", "127.0.0.1", "--port", str(app_port)]
    bare_app = [sys.executable, "-c", BARE_APP, str(bare_port)]
    with (
        server(serve, env, var_dir / "serve.log", app_port) as app_pid,
        server(bare_app, env, var_dir / "bare.log", bare_port),
    ):
        rss_before = rss_mb(app_pid)
        asyncio.run(sign_ins(app_base, 2, 1))  # warm up: imports, connections, caches

        rates: dict[int, float] = {}
        print()
        print(f"sign-ins: POST /api/v1/tokens, {SIGNINS} each, all 201")
        print(f"  {'at once':>7} {'per s':>8} {'vs bare':>8} {'p50 ms':>8} {'p99 ms':>8}")
        for concurrency in CONCURRENCIES:
            rate, latencies = asyncio.run(sign_ins(app_base, SIGNINS, concurrency))
            rates[concurrency] = rate
            print(
                f"  {concurrency:>7} {rate:8.2f} {rate / bare.best:8.2f}"
                f" {p(latencies, 50):8.0f} {p(latencies, 99):8.0f}"
            )

        idle_app = asyncio.run(probe_idle(app_base, IDLE_PROBES))
        idle_bare = asyncio.run(probe_idle(bare_base, IDLE_PROBES))
        load_app, burst_app = asyncio.run(probe_under_load(app_base, app_base))
        load_bare, burst_bare = asyncio.run(probe_under_load(app_base, bare_base))
        peak = peak_rss_mb(app_pid)

    print()
    print(f"/healthz latency, sequential probes; 'under load' = while {BURST} sign-ins run at once")
    print(f"  {'server':<32} {'probes':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    rows = [
        ("caretender, idle", idle_app),
        ("bare Litestar, idle", idle_bare),
        (f"caretender, under load ({burst_app:.1f}s)", load_app),
        (f"bare Litestar, under load ({burst_bare:.1f}s)", load_bare),
    ]
    for label, latencies in rows:
        print(
            f"  {label:<32} {len(latencies):>6} {p(latencies, 50):8.2f}"
            f" {p(latencies, 99):8.2f} {max(latencies) * 1000:8.2f}"
        )
    print(f"  (a verify on the event loop would stall probes for ~{bare.verify_s * 1000:.0f} ms)")
    print()
    print("caretender server memory")
    print(f"  RSS after start-up         {rss_before:8.0f} MiB")
    print(f"  peak RSS                   {peak:8.0f} MiB")

    figures = {
        "signins_per_s": f"{rates[4]:.2f}",
        "signins_per_s_c20": f"{rates[20]:.2f}",
        "argon2_verify_per_s": f"{bare.best:.2f}",
        "ratio": f"{rates[4] / bare.best:.2f}",
        "argon2_verify_ms": f"{bare.verify_s * 1000:.1f}",
        "healthz_p99_idle_ms": f"{p(idle_app, 99):.2f}",
        "healthz_p99_under_load_ms": f"{p(load_app, 99):.2f}",
        "bare_healthz_p99_under_load_ms": f"{p(load_bare, 99):.2f}",
        "healthz_max_under_load_ms": f"{max(load_app) * 1000:.2f}",
        "server_peak_rss_mb": f"{peak:.0f}",
        "signins_concurrent": str(BURST),
    }
    print()
    print("RESULT signin " + " ".join(f"{key}={value}" for key, value in figures.items()))


def main() -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
    with tempfile.TemporaryDirectory(prefix="caretender-bench-") as var_dir:
        run(Path(var_dir))


if __name__ == "__main__":
    main()
