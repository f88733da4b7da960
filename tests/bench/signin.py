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
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import argon2
import httpx

from app import demo_data
from app.settings import PasswordSettings
from tests.bench.processes import (
    caretender_command,
    clean_env,
    exit_on_sigterm,
    serve_command,
    server,
    temporary_var_dir,
)

#: Sign-ins (and bare verifies) per throughput run, and the runs at each concurrency.
SIGNINS = 32
ROUNDS = 2
#: Sign-ins at once: a moderate load, and the acceptance's 20.
CONCURRENCIES = (4, 20)
BARE_SINGLE = 6
#: Sign-ins at once while /healthz is probed, and how many such bursts.
BURST = 20
BURSTS = 2
IDLE_PROBES = 300

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak_rss(pid: int) -> None:
    """Start the peak (VmHWM) afresh; Linux takes "5" in clear_refs for that."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# -- bare argon2 -------------------------------------------------------------------------


class BareArgon2:
    """argon2id with the production parameters, verified in this process's threads."""

    def __init__(self) -> None:
        params = PasswordSettings()
        self.hasher = argon2.PasswordHasher(
            time_cost=params.time_cost,
            memory_cost=params.memory_cost,
            parallelism=params.parallelism,
            type=argon2.Type.ID,
        )
        self.password = demo_data.COUNCIL_OFFICER.password
        self.hashed = self.hasher.hash(self.password)

    def verify(self, _: object = None) -> None:
        self.hasher.verify(self.hashed, self.password)

    def one_verify_s(self, count: int) -> float:
        """The fastest of ``count`` single verifies, in seconds."""
        self.verify()  # warm up
        times = []
        for _ in range(count):
            started = time.perf_counter()
            self.verify()
            times.append(time.perf_counter() - started)
        return min(times)

    def per_s(self, count: int, threads: int) -> float:
        """Verifies per second, ``threads`` at once."""
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(self.verify, range(threads)))  # start the threads
            started = time.perf_counter()
            list(pool.map(self.verify, range(count)))
            return count / (time.perf_counter() - started)


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


async def probe(
    bases: list[str], count: int = 0, while_signing_in: str = ""
) -> tuple[list[list[float]], float]:
    """Sequential /healthz probes taking turns between ``bases``: ``count`` rounds, or,
    with ``while_signing_in``, as many as fit while BURST sign-ins run there at once.
    Returns each base's latencies and the seconds it took."""
    clients = [httpx.AsyncClient(base_url=base, timeout=30) for base in bases]
    latencies: list[list[float]] = [[] for _ in bases]
    try:
        for _ in range(10):  # warm up
            for client in clients:
                (await client.get("/healthz")).raise_for_status()
        burst = (
            asyncio.create_task(sign_ins(while_signing_in, BURST, BURST))
            if while_signing_in
            else None
        )
        started = time.perf_counter()
        rounds = 0
        while (burst is not None and not burst.done()) or (burst is None and rounds < count):
            for client, times in zip(clients, latencies, strict=True):
                begun = time.perf_counter()
                (await client.get("/healthz")).raise_for_status()
                times.append(time.perf_counter() - begun)
            rounds += 1
        if burst is not None:
            await burst
        return latencies, time.perf_counter() - started
    finally:
        for client in clients:
            await client.aclose()


def p(latencies: list[float], percentile: int) -> float:
    """The percentile in milliseconds."""
    return statistics.quantiles(latencies, n=100, method="inclusive")[percentile - 1] * 1000


# -- main --------------------------------------------------------------------------------


def run(var_dir: Path) -> None:
    env = clean_env(var_dir)
    print(f"cores: {os.cpu_count()}; argon2id {PasswordSettings()} (production defaults)")
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")

    started = time.perf_counter()
    subprocess.run([*caretender_command(), "demo"], env=env, check=True, stdout=subprocess.DEVNULL)
    print(f"demo data loaded in {time.perf_counter() - started:.1f}s")

    bare = BareArgon2()
    verify_s = bare.one_verify_s(BARE_SINGLE)

    app_port, bare_port = free_port(), free_port()
    app_base, bare_base = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{bare_port}"
    serve = serve_command(app_port)
    bare_app = [sys.executable, "-c", BARE_APP, str(bare_port)]
    with (
        server(serve, env, var_dir / "serve.log", app_port) as app,
        server(bare_app, env, var_dir / "bare.log", bare_port),
    ):
        app_pid = app.pid
        rss_idle = rss_mb(app_pid)
        asyncio.run(sign_ins(app_base, 2, 1))  # warm up: imports, connections, caches

        # Baseline and sign-ins take turns, best of ROUNDS: the machine may be shared.
        bare_rates: dict[int, list[float]] = {c: [] for c in CONCURRENCIES}
        rates: dict[int, list[float]] = {c: [] for c in CONCURRENCIES}
        latencies: dict[int, list[float]] = {c: [] for c in CONCURRENCIES}
        peaks: dict[int, float] = dict.fromkeys(CONCURRENCIES, 0.0)
        for _ in range(ROUNDS):
            for concurrency in CONCURRENCIES:
                bare_rates[concurrency].append(bare.per_s(SIGNINS, concurrency))
                reset_peak_rss(app_pid)
                rate, times = asyncio.run(sign_ins(app_base, SIGNINS, concurrency))
                peaks[concurrency] = max(peaks[concurrency], peak_rss_mb(app_pid))
                rates[concurrency].append(rate)
                latencies[concurrency].extend(times)

        (idle_app, idle_bare), _ = asyncio.run(probe([app_base, bare_base], IDLE_PROBES))
        load_app: list[float] = []
        load_bare: list[float] = []
        burst_s = []
        for _ in range(BURSTS):
            (app_times, bare_times), seconds = asyncio.run(
                probe([app_base, bare_base], while_signing_in=app_base)
            )
            load_app.extend(app_times)
            load_bare.extend(bare_times)
            burst_s.append(seconds)

    best = {c: max(rates[c]) for c in CONCURRENCIES}
    best_bare = {c: max(bare_rates[c]) for c in CONCURRENCIES}
    print()
    print(f"one bare argon2id verify: {verify_s * 1000:.0f} ms (fastest of {BARE_SINGLE})")
    print()
    print("sign-ins (POST /api/v1/tokens, all 201) against bare verifies in this process;")
    print(f"{SIGNINS} of each per run, best of {ROUNDS} interleaved runs")
    print(
        f"  {'at once':>7} {'bare /s':>8} {'sign-ins /s':>11} {'ratio':>6}"
        f" {'p50 ms':>7} {'p99 ms':>7} {'server peak RSS':>16}"
    )
    for c in CONCURRENCIES:
        print(
            f"  {c:>7} {best_bare[c]:8.2f} {best[c]:11.2f} {best[c] / best_bare[c]:6.2f}"
            f" {p(latencies[c], 50):7.0f} {p(latencies[c], 99):7.0f} {peaks[c]:12.0f} MiB"
        )
    print(f"  server RSS idle after start-up: {rss_idle:.0f} MiB")
    print()
    print("/healthz latency: sequential probes taking turns between the two servers;")
    print(
        f"under load = while {BURST} sign-ins run at once on caretender"
        f" ({BURSTS} bursts, {' and '.join(f'{s:.1f}s' for s in burst_s)})"
    )
    print(f"  {'server':<28} {'probes':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    rows = [
        ("caretender, idle", idle_app),
        ("bare Litestar, idle", idle_bare),
        ("caretender, under load", load_app),
        ("bare Litestar, under load", load_bare),
    ]
    for label, times in rows:
        print(
            f"  {label:<28} {len(times):>6} {p(times, 50):8.2f}"
            f" {p(times, 99):8.2f} {max(times) * 1000:8.2f}"
        )
    print(f"  (a verify on the event loop would hold each probe up to ~{verify_s * 1000:.0f} ms)")
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")

    low, high = CONCURRENCIES
    figures = {
        "signins_per_s": f"{best[low]:.2f}",
        "argon2_verify_per_s": f"{best_bare[low]:.2f}",
        "ratio": f"{best[low] / best_bare[low]:.2f}",
        f"signins_per_s_c{high}": f"{best[high]:.2f}",
        f"argon2_verify_per_s_c{high}": f"{best_bare[high]:.2f}",
        f"ratio_c{high}": f"{best[high] / best_bare[high]:.2f}",
        "argon2_verify_ms": f"{verify_s * 1000:.0f}",
        "healthz_p99_idle_ms": f"{p(idle_app, 99):.2f}",
        "healthz_p99_under_load_ms": f"{p(load_app, 99):.2f}",
        "bare_healthz_p99_under_load_ms": f"{p(load_bare, 99):.2f}",
        "healthz_max_under_load_ms": f"{max(load_app) * 1000:.2f}",
        f"server_peak_rss_mb_c{low}": f"{peaks[low]:.0f}",
        f"server_peak_rss_mb_c{high}": f"{peaks[high]:.0f}",
        "signins_concurrent": str(BURST),
    }
    print()
    print("RESULT signin " + " ".join(f"{key}={value}" for key, value in figures.items()))


def main() -> None:
    exit_on_sigterm()
    with temporary_var_dir() as var_dir:
        run(var_dir)


if __name__ == "__main__":
    main()
