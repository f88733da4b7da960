"""Throughput of the public opportunities page against a bare Litestar endpoint.

Run with ``python -m tests.bench.opportunities``. In a temporary directory it migrates a
SQLite database, inserts 1,000 published tenders (1 to 5 lots each, about a fifth of them
closed) with a few drafts and cancelled ones besides, and serves the platform with
``caretender serve`` (one uvicorn worker). A bare Litestar JSON endpoint is served by
uvicorn with the same settings in another process: the baseline.

Each is then loaded by 50 concurrent connections (httpx.AsyncClient, keep-alive) for a
fixed time after a warm-up: ``GET /opportunities?service_type=…&page=2`` (a filtered page
of 20, rendered as HTML) against the bare endpoint, taking turns, best of the rounds. It
prints requests per second, p50/p99 latency and how busy each server's process was (a
server below ~95% was held back by the client, not by itself), and ends with one
``RESULT opportunities`` line. No timing is asserted.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import httpx

from tests.bench.processes import (
    clean_env,
    exit_on_sigterm,
    migrate,
    serve_command,
    server,
    temporary_var_dir,
)
from tests.bench.signin import free_port

TENDERS = 1000
DRAFTS = 30
CANCELLED = 20
CLOSED_SHARE = 0.2
COUNCILS = (
    "Staffordshire County Council",
    "Stoke-on-Trent City Council",
    "Tamworth Borough Council",
    "Lichfield District Council",
    "Cannock Chase District Council",
)
CONCURRENCY = 50
WARM_UP_S = 2.0
DURATION_S = 10.0
ROUNDS = 2
SERVICE_TYPE = "supported_living"
PAGE_PATH = f"/opportunities?service_type={SERVICE_TYPE}&page=2"
BARE_PATH = "/opportunities"

BARE_APP = """
import sys
import uvicorn
from litestar import Litestar, get

@get("/opportunities")
async def opportunities() -> dict[str, object]:
    return {"items": [], "page": 2, "pages": 9, "total": 170}

@get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}

uvicorn.run(
    Litestar([opportunities, healthz]),
    host="127.0.0.1",
    port=int(sys.argv[1]),
    workers=1,
    proxy_headers=False,
    log_level="info",
)
"""

WORDS = (
    "Children's",
    "Adults'",
    "community",
    "short breaks",
    "overnight",
    "home care",
    "supported living",
    "complex needs",
    "learning disability",
    "autism",
    "mental health",
    "reablement",
    "respite",
    "transitions",
    "framework",
    "block contract",
)
LOT_NAMES = {
    "supported_living": "Supported living",
    "home_care": "Home care",
    "live_in_care": "Live-in care",
    "respite": "Short breaks",
    "day_opportunities": "Day opportunities",
    "shared_lives": "Shared Lives",
    "advocacy": "Advocacy",
    "life_skills": "Life skills",
    "community_support": "Community support",
    "complex_care": "Complex care",
    "overnight": "Overnight support",
    "nursing": "Nursing",
    "emergency_care": "Emergency placements",
}


# -- data ---------------------------------------------------------------------------------


async def seed(rng: random.Random) -> dict[str, int]:
    """Councils, tenders and lots as rows, in bulk: a thousand tenders in a second or two."""
    from app import database
    from app.tables import Organisation
    from tenders import domain_data
    from tenders.tables import Lot, Tender
    from tenders.vocabulary import ComplexityBand, TenderStatus

    now = datetime.now(UTC).replace(microsecond=0)
    councils = [uuid4() for _ in COUNCILS]
    tenders: list[Tender] = []
    lots: list[Lot] = []
    counts = {"open": 0, "closed": 0, "lots": 0}
    district_choices = [
        *(members for members in domain_data.DISTRICT_GROUPS.values()),
        domain_data.DISTRICTS,
        *((district,) for district in domain_data.DISTRICTS),
    ]
    for n in range(TENDERS + DRAFTS + CANCELLED):
        tender_id = uuid4()
        status = (
            TenderStatus.PUBLISHED
            if n < TENDERS
            else TenderStatus.DRAFT
            if n < TENDERS + DRAFTS
            else TenderStatus.CANCELLED
        )
        closed = status is TenderStatus.PUBLISHED and rng.random() < CLOSED_SHARE
        deadline = now + (
            -timedelta(days=rng.randint(1, 200)) if closed else timedelta(days=rng.randint(1, 90))
        )
        deadline = deadline.replace(hour=12, minute=0, second=0)
        published = deadline - timedelta(days=rng.randint(21, 60))
        if status is TenderStatus.PUBLISHED:
            counts["closed" if closed else "open"] += 1
        words = rng.sample(WORDS, 3)
        tenders.append(
            Tender(
                id=tender_id,
                buyer=rng.choice(councils),
                title=f"{words[0]} {words[1]} {words[2]}".capitalize()[:200],
                reference=f"BEN-{2026 - n % 3}-{n:04d}",
                description=(
                    f"The council is buying {words[1]} and {words[2]} services for people with "
                    f"{rng.choice(WORDS)}. " * rng.randint(2, 6)
                ),
                status=status,
                contract_months=rng.choice((12, 24, 36, 48, 60)),
                estimated_value_pence=rng.randint(50_000, 5_000_000) * 100,
                submission_deadline=deadline,
                clarification_deadline=deadline - timedelta(days=7),
                created_at=published - timedelta(days=14),
                published_at=None if status is TenderStatus.DRAFT else published,
                cancelled_at=published + timedelta(days=3)
                if status is TenderStatus.CANCELLED
                else None,
            )
        )
        for number in range(1, rng.randint(1, 5) + 1):
            service = rng.choice(list(LOT_NAMES))
            lots.append(
                Lot(
                    tender=tender_id,
                    number=number,
                    name=LOT_NAMES[service],
                    service_type=service,
                    districts="|".join(rng.choice(district_choices)),
                    complexity_band=rng.choice([None, *ComplexityBand]),
                )
            )
    counts["lots"] = len(lots)
    opened = await database.start()
    async with database.write_transaction():
        await Organisation.insert(
            *(
                Organisation(id=council, name=name, kind="buyer", created_at=now)
                for council, name in zip(councils, COUNCILS, strict=True)
            )
        )
        for start in range(0, len(tenders), 200):
            await Tender.insert(*tenders[start : start + 200])
        for start in range(0, len(lots), 400):
            await Lot.insert(*lots[start : start + 400])
    await database.stop(opened)
    return counts


# -- load ---------------------------------------------------------------------------------


@dataclass
class Run:
    requests: int
    seconds: float
    latencies: list[float]
    server_cpu: float
    #: Requests that failed in transport (a reset connection), warm-up included.
    failures: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def p(self, percentile: int) -> float:
        """The percentile in milliseconds."""
        return (
            statistics.quantiles(self.latencies, n=100, method="inclusive")[percentile - 1] * 1000
        )


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def load(base: str, path: str, seconds: float, pid: int, check: str) -> Run:
    """CONCURRENCY clients, each sending the next request as soon as one is answered."""
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    latencies: list[float] = []
    failures: list[str] = []
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

        async def one_client(until: float, record: bool) -> int:
            done = 0
            while time.perf_counter() < until:
                began = time.perf_counter()
                try:
                    response = await client.get(path)
                except httpx.TransportError as error:
                    # Counted, not fatal: one reset connection should not lose the run.
                    failures.append(repr(error))
                    continue
                elapsed = time.perf_counter() - began
                if response.status_code != 200 or check not in response.text:
                    raise RuntimeError(f"GET {path} gave {response.status_code}")
                if record:
                    latencies.append(elapsed)
                done += 1
            return done

        warm_until = time.perf_counter() + WARM_UP_S
        await asyncio.gather(*(one_client(warm_until, False) for _ in range(CONCURRENCY)))
        cpu_before = cpu_seconds(pid)
        started = time.perf_counter()
        counts = await asyncio.gather(
            *(one_client(started + seconds, True) for _ in range(CONCURRENCY))
        )
        elapsed = time.perf_counter() - started
        cpu = (cpu_seconds(pid) - cpu_before) / elapsed
    return Run(sum(counts), elapsed, latencies, cpu, len(failures))


# -- profile ------------------------------------------------------------------------------


async def time_service(var_dir: Path, calls: int = 200) -> tuple[float, float]:
    """The service alone, in this process: (ms per search, ms per rendered page)."""
    from asgi_lifespan import LifespanManager

    from app import database
    from app.application import create_app
    from app.platform import Platform
    from app.settings import settings_from_env
    from tenders.services import opportunities

    settings = settings_from_env()
    platform = Platform(settings)
    opened = await database.start()
    started = time.perf_counter()
    for _ in range(calls):
        await opportunities.search(platform, service_type=[SERVICE_TYPE], page=2)
    search_ms = (time.perf_counter() - started) / calls * 1000
    await database.stop(opened)
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await client.get(PAGE_PATH)
            started = time.perf_counter()
            for _ in range(calls):
                (await client.get(PAGE_PATH)).raise_for_status()
            page_ms = (time.perf_counter() - started) / calls * 1000
    return search_ms, page_ms


# -- main ---------------------------------------------------------------------------------


def run(var_dir: Path) -> None:
    env = clean_env(var_dir)
    os.environ.update({"CARETENDER_VAR_DIR": str(var_dir)})
    for key in [key for key in os.environ if key.startswith("CARETENDER_")]:
        if key != "CARETENDER_VAR_DIR":
            del os.environ[key]
    print(f"cores: {os.cpu_count()}; load average at start: {os.getloadavg()[0]:.1f}")

    migrate(env)
    started = time.perf_counter()
    counts = asyncio.run(seed(random.Random(2026)))
    print(
        f"inserted {TENDERS} published tenders ({counts['open']} open, {counts['closed']} closed)"
        f" with {counts['lots']} lots, {DRAFTS} drafts and {CANCELLED} cancelled"
        f" in {time.perf_counter() - started:.1f}s"
    )
    # The app made in this process logs every request httpx sends: the load would pay for it.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    search_ms, page_ms = asyncio.run(time_service(var_dir))
    print(f"in process: search() {search_ms:.2f} ms, whole page through ASGI {page_ms:.2f} ms")

    app_port, bare_port = free_port(), free_port()
    app_base, bare_base = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{bare_port}"
    serve = serve_command(app_port)
    bare_app = [sys.executable, "-c", BARE_APP, str(bare_port)]
    runs: dict[str, list[Run]] = {"opportunities": [], "bare": []}
    with (
        server(serve, env, var_dir / "serve.log", app_port) as app,
        server(bare_app, env, var_dir / "bare.log", bare_port) as bare,
    ):
        if "Find a tender" not in httpx.get(app_base + PAGE_PATH).text:
            raise RuntimeError("the opportunities page did not render")
        for _ in range(ROUNDS):
            runs["bare"].append(
                asyncio.run(load(bare_base, BARE_PATH, DURATION_S, bare.pid, '"total"'))
            )
            runs["opportunities"].append(
                asyncio.run(load(app_base, PAGE_PATH, DURATION_S, app.pid, "Find a tender"))
            )

    best = {name: max(results, key=lambda r: r.rps) for name, results in runs.items()}
    print()
    print(
        f"{CONCURRENCY} connections, {DURATION_S:.0f}s a run after {WARM_UP_S:.0f}s of warm-up,"
        f" best of {ROUNDS} interleaved runs"
    )
    print(
        f"  {'endpoint':<30} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7}"
        f" {'server CPU':>10} {'req per CPU-s':>13} {'failed':>6}"
    )
    for name in ("opportunities", "bare"):
        label = "caretender page" if name == "opportunities" else "bare Litestar JSON"
        for result in runs[name]:
            marker = "*" if result is best[name] else " "
            print(
                f"{marker} {label:<30} {result.requests:>8} {result.rps:7.0f}"
                f" {result.p(50):7.1f} {result.p(99):7.1f} {result.server_cpu:10.0%}"
                f" {result.rps / result.server_cpu:13.0f} {result.failures:>6}"
            )
    print(f"  caretender page: GET {PAGE_PATH}; bare: GET {BARE_PATH}")
    ratio = best["opportunities"].rps / best["bare"].rps
    capacity = (best["opportunities"].rps / best["opportunities"].server_cpu) / (
        best["bare"].rps / best["bare"].server_cpu
    )
    print(f"ratio of req/s: {ratio:.2f} (target: at least 0.20)")
    print(
        f"ratio of req per server CPU-second: {capacity:.3f} (the bare server is mostly idle"
        " when the one httpx client cannot send faster, so req/s flatters the ratio)"
    )
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    print()
    app_run, bare_run = best["opportunities"], best["bare"]
    print(
        f"RESULT opportunities rps={app_run.rps:.0f} p99_ms={app_run.p(99):.1f}"
        f" bare_rps={bare_run.rps:.0f} bare_p99_ms={bare_run.p(99):.1f} ratio={ratio:.2f}"
        f" tenders={TENDERS} concurrency={CONCURRENCY}"
    )


def main() -> None:
    exit_on_sigterm()
    with temporary_var_dir() as var_dir:
        run(var_dir)


if __name__ == "__main__":
    main()
