"""The soak run: the whole journey at a fixed arrival rate against two server workers on
PostgreSQL, for 10 minutes; no errors, latency by page, and memory that stays flat.

Run with ``python -m tests.bench.soak`` (``--minutes N`` for another length, ``--short``
for about 45 seconds of load, as CI runs it; ``--rate R`` for another arrival rate). In a
temporary directory, on a fresh PostgreSQL database dropped afterwards, it:

* loads the demo (``caretender demo``), then, in a child process through the same
  services, what the load needs for its length: published tenders and provider
  organisations to bid on them, tenders closed and opened with their panel seated and
  cleared (``evaluation.demo.load``), and a few scored and signed off
  (``evaluation.demo.load_moderated``);
* serves the platform with ``caretender serve --workers 2`` and runs ``caretender worker``
  beside it (on PostgreSQL the web workers leave the mail outbox to it);
* warms up (every kind of journey, twice at once; bids until both workers have started
  their PDF pools; then WARM_UP_SHARE of the load's length at its rate, at most a minute),
  then starts journeys at a fixed rate (JOURNEYS_PER_S a second, whatever the servers'
  answers take: an open system, as people arrive), each person on connections of their
  own, in a fixed mix (``MIX``): visitors browsing opportunities, providers signing in and out,
  drafting bids through the pages (lots, answers, a PDF of evidence of a few hundred KB,
  prices, the check page, submission, receipt) and through the API, evaluators scoring a
  lot's bids and submitting their sheet, the moderator agreeing consensus and signing off
  (each lot once both sheets are in), the officer producing the award report, approving
  the award and issuing the notices, and bidders reading their decision
  (``tests.bench.soak_journeys``);
* reads the resident memory (VmRSS) of each worker, the children of the uvicorn parent,
  after the warm-up and again once the last journey has finished, and every
  RSS_EVERY_S between; and their CPU (with the PDF pool's processes they start).

It prints the requests by route template with p50, p95, p99 and max latency, the journeys
by kind, the memory and CPU, every failure with the server's log lines of errors, and one
``RESULT soak`` line. It exits 1 if any request failed (any answer outside 2xx and 3xx a
journey did not expect, a form not answered with a redirect, a timeout), if a worker was
replaced or the servers logged an error during the load, or if a worker's memory grew by
more than GROWTH_BOUND_MB. A worker uvicorn replaced as the servers started, before any
load, is printed but not counted. ``--log-dir D`` keeps the servers' logs in D.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import shutil
import ssl
import statistics
import subprocess
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvloop

from app import demo_data
from tests.bench.processes import (
    CHILD,
    Figures,
    caretender_command,
    clean_env,
    exit_on_sigterm,
    fresh_postgres_database,
    measure_child,
    run_child,
    server,
    temporary_var_dir,
)
from tests.bench.signin import free_port
from tests.bench.signin import rss_mb as _rss_mb
from tests.bench.soak_journeys import (
    Browser,
    EvaluationLot,
    Journey,
    JourneyFailed,
    Person,
    Recorder,
    Work,
    account,
    award,
    bid_through_pages,
    bid_through_the_api,
    decision,
    evaluate,
    moderate,
    visitor,
)

MINUTES = 10.0
SHORT_S = 45.0
#: Journeys started a second. Each is 5 to 30 requests; in this mix about 11 requests a
#: second, most of them pages, with a notice run (seven PDFs) every 40 seconds: on two
#: cores the servers take about a quarter of one, so latencies are the platform's, not a
#: queue's.
JOURNEYS_PER_S = 1.0
#: Journeys by kind in every 40 arrivals, spread evenly.
MIX: dict[str, int] = {
    "visitor": 17,
    "account": 2,
    "bid (pages)": 6,
    "bid (API)": 3,
    "evaluator": 6,
    "moderator": 2,
    "officer": 1,
    "decision": 3,
}
JOURNEYS: dict[str, Journey] = {
    "visitor": visitor,
    "account": account,
    "bid (pages)": bid_through_pages,
    "bid (API)": bid_through_the_api,
    "evaluator": evaluate,
    "moderator": moderate,
    "officer": award,
    "decision": decision,
}
#: What each kind takes from: when it is empty the arrival is a visitor instead (counted).
QUEUES = {
    "bid (pages)": "bids",
    "bid (API)": "bids",
    "evaluator": "sheets",
    "moderator": "moderation",
    "officer": "awards",
    "decision": "decisions",
}
#: A worker whose resident memory grows by more than this from the warm-up to the end
#: fails the run. Each worker serves ~3,000 requests in 10 minutes: 30 MB is ~10 kB kept
#: a request, well above what caches and the allocator settle to once every page has been
#: served in the warm-up, and well below what a leak of a page, a file or a PDF a request
#: would keep.
GROWTH_BOUND_MB = 30.0
#: The warm-up's journeys, in order (four sheets: two lots to evaluate, one to moderate).
WARM_UP = (
    "visitor",
    "account",
    "bid (pages)",
    "bid (API)",
    *("evaluator",) * 4,
    "moderator",
    "officer",
    "decision",
)
RSS_EVERY_S = 10.0
#: After the warm-up's journeys, the load at its rate for this share of its length (at
#: most WARM_UP_MAX_S) before memory is read: caches fill in the first minutes.
WARM_UP_SHARE = 0.1
WARM_UP_MAX_S = 60.0
#: Rounds of bids at most, in the warm-up, for every worker to start its PDF pool.
POOL_ROUNDS = 4
#: Seconds with nothing asked before memory is read.
SETTLE_S = 2.0
REQUEST_TIMEOUT_S = 60.0
#: The servers speak plain HTTP: one context for every client, rather than one made (with
#: its certificates read) for each journey's.
TLS_UNUSED = ssl.create_default_context()
#: How long journeys still going when the arrivals stop may take to finish.
DRAIN_S = 120.0
WORKERS = 2
PROVIDER_PASSWORD = "soak provider passphrase"
SEED_FILE = "soak-seed.json"
#: What marks a line of the servers' logs as an error: uvicorn tells of a worker it had to
#: kill and replace (it pings each every half second) at INFO, as "died".
LOG_ERRORS = ("ERROR", "Traceback", "CRITICAL", "died", "not ready in time")
STARTED = "Application startup complete."
STARTUP_S = 60.0


# -- the seed, in a child process with the database configured ----------------------------


def _seed_sizes() -> dict[str, int]:
    sizes = {}
    for name in ("bids", "lots", "awards"):
        sizes[name] = int(sys.argv[sys.argv.index(f"--{name}") + 1])
    return sizes


async def seed(profile: bool) -> Figures:
    """Published tenders and providers for ``--bids`` bids, ``--lots`` lots opened for
    evaluation and ``--awards`` lots signed off, on top of the demo; the work written to
    SEED_FILE in the var folder."""
    # Imported here, in the child: the tables find their engine from the environment the
    # child was started with.
    from app import accounts, database
    from app.platform import Platform
    from app.settings import settings_from_env
    from app.tables import User
    from app.tokens import Scope
    from evaluation import demo as evaluation_demo
    from tenders import demo as tender_demo
    from tenders.tables import Bid, Lot, Tender
    from tenders.vocabulary import TenderStatus

    sizes = _seed_sizes()
    settings = settings_from_env()
    platform = Platform(settings)
    started = time.perf_counter()
    opened = await database.start()
    try:

        async def person(user: demo_data.DemoUser) -> accounts.CurrentUser:
            signed_in, _ = await accounts.sign_in(
                platform, {"email": user.email, "password": user.password}, "127.0.0.1", Scope.WEB
            )
            return signed_in

        officer = await person(demo_data.COUNCIL_OFFICER)
        *evaluators, moderator = [await person(user) for user in demo_data.COUNCIL_EVALUATORS]
        demo_providers = [await person(provider.user) for provider in demo_data.PROVIDERS]
        # Each demo load publishes two open tenders: providers x tenders >= bids.
        registered = max(2, math.ceil(math.sqrt(sizes["bids"] / 2)) - len(demo_providers))
        providers = len(demo_providers) + registered
        loads = max(0, math.ceil(sizes["bids"] / providers / 2) - 1)
        for _ in range(loads):
            await tender_demo.load(platform, officer)
        for n in range(registered):
            await accounts.register_provider(
                platform,
                {
                    "organisation_name": f"Soak Care {n:03d} Ltd",
                    "cqc_provider_id": f"1-{200000000 + n}",
                    "contact_name": f"Bid Writer {n:03d}",
                    "email": f"bids{n:03d}@soak-care.example",
                    "password": PROVIDER_PASSWORD,
                },
            )
        for _ in range(sizes["lots"] - 1):  # the demo's is one
            await evaluation_demo.load(platform, officer, evaluators, moderator, demo_providers)
        for _ in range(sizes["awards"]):
            await evaluation_demo.load_moderated(
                platform, officer, evaluators, moderator, demo_providers
            )

        now = platform.clock.now()
        open_tenders = [
            str(row["id"])
            for row in await Tender.select(Tender.id)
            .where(Tender.status == TenderStatus.PUBLISHED)
            .where(Tender.submission_deadline > now)
            .order_by(Tender.created_at)
        ]
        emails = {
            str(row["organisation"]): row["email"]
            for row in await User.select(User.organisation, User.email).where(
                User.role == "provider"
            )
        }

        async def lots_of(title: str, status: TenderStatus) -> list[dict[str, object]]:
            found = []
            for tender in await Tender.select(Tender.id).where(
                (Tender.title == title) & (Tender.status == status)
            ):
                lot = await Lot.select(Lot.id).where(Lot.tender == tender["id"]).first()
                bids = await Bid.select(Bid.id, Bid.organisation).where(Bid.tender == tender["id"])
                found.append(
                    {
                        "tender_id": str(tender["id"]),
                        "lot_id": str(lot["id"]),
                        "bids": {emails[str(b["organisation"])]: str(b["id"]) for b in bids},
                    }
                )
            return found

        passwords = {p.user.email: p.user.password for p in demo_data.PROVIDERS}
        manifest = {
            "open_tenders": open_tenders,
            "providers": {
                email: passwords.get(email, PROVIDER_PASSWORD) for email in emails.values()
            },
            "lots": await lots_of(evaluation_demo.TITLE, TenderStatus.OPENED),
            "awards": await lots_of(evaluation_demo.MODERATED_TITLE, TenderStatus.MODERATED),
        }
    finally:
        await database.stop(opened)
    (settings.var_dir / SEED_FILE).write_text(json.dumps(manifest))
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "open_tenders": len(manifest["open_tenders"]),
        "providers": len(manifest["providers"]),
        "lots": len(manifest["lots"]),
        "awards": len(manifest["awards"]),
    }


def work_from(manifest: dict, rng: random.Random) -> Work:
    """The seed's work, in the order the journeys take it."""
    providers = {
        email: Person(email, password) for email, password in manifest["providers"].items()
    }
    pairs = [
        (person, tender) for tender in manifest["open_tenders"] for person in providers.values()
    ]
    rng.shuffle(pairs)

    def lot(found: dict) -> EvaluationLot:
        return EvaluationLot(found["tender_id"], found["lot_id"], found["bids"])

    def demo(user: demo_data.DemoUser) -> Person:
        return Person(user.email, user.password)

    *evaluators, moderator = (demo(user) for user in demo_data.COUNCIL_EVALUATORS)
    lots = [lot(found) for found in manifest["lots"]]
    return Work(
        visitor_tenders=[f"/opportunities/{tender}" for tender in manifest["open_tenders"]],
        evaluators=(evaluators[0], evaluators[1]),
        moderator=moderator,
        officer=demo(demo_data.COUNCIL_OFFICER),
        providers=providers,
        bids=deque(pairs),
        sheets=deque((one, person) for one in lots for person in evaluators),
        awards=deque(lot(found) for found in manifest["awards"]),
    )


# -- the servers' processes -----------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return sorted(found)


def workers_of(parent: int) -> list[int]:
    """The uvicorn parent's worker processes (not multiprocessing's resource tracker)."""
    deadline = time.monotonic() + 30
    while True:
        found = []
        for pid in _children(parent):
            with contextlib.suppress(OSError):
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
                if b"spawn_main" in command:
                    found.append(pid)
        if len(found) == WORKERS or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def tree_cpu_s(pid: int) -> float:
    """CPU seconds of a process, of its children reaped, and of those still running (the
    PDF pool's)."""

    def own(one: int, reaped: bool) -> float:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            ticks = int(fields[11]) + int(fields[12])
            if reaped:
                ticks += int(fields[13]) + int(fields[14])
            return ticks / os.sysconf("SC_CLK_TCK")
        return 0.0

    return own(pid, True) + sum(own(child, True) for child in _children(pid))


def rss_mb(pid: int) -> float:
    """VmRSS in MB; NaN once the process is gone (a worker killed and replaced)."""
    try:
        return _rss_mb(pid)
    except OSError:
        return math.nan


def pool_rss_mb(pid: int) -> float:
    """Resident memory of a worker's children: its PDF pool."""
    return sum(rss for rss in map(rss_mb, _children(pid)) if not math.isnan(rss))


@contextlib.contextmanager
def mail_worker(env: dict[str, str], log: Path) -> Iterator[None]:
    """``caretender worker``, delivering the outbox as files; stopped, and waited for, after."""
    command = [*caretender_command(), "worker", "--interval", "5"]
    with (
        log.open("wb") as out,
        subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT) as process,
    ):
        try:
            yield
        finally:
            process.terminate()


def log_lines(log: Path) -> list[str]:
    return log.read_text(errors="replace").splitlines() if log.exists() else []


def workers_started(parent: int, log: Path) -> list[int]:
    """The workers, once as many as asked for have started the application."""
    deadline = time.monotonic() + STARTUP_S
    while sum(STARTED in line for line in log_lines(log)) < WORKERS:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{WORKERS} workers did not start in {STARTUP_S:.0f}s")
        time.sleep(0.2)
    return workers_of(parent)


def logged_errors(*logs: Path, after: int = 0) -> list[str]:
    """Lines of the servers' logs that tell of an error, from line ``after`` on."""
    found = []
    for log in logs:
        lines = log_lines(log)
        for number, line in enumerate(lines[after:], after):
            if any(sign in line for sign in LOG_ERRORS):
                found.append(f"{log.name}:{number + 1}: {line}")
                if "Traceback" in line:  # its last lines: where and what
                    found.extend(f"    {more}" for more in lines[number + 1 : number + 40][-6:])
    return found


# -- the load -------------------------------------------------------------------------------


def arrivals() -> list[str]:
    """One cycle of MIX, each kind spread evenly (smooth weighted round robin)."""
    total = sum(MIX.values())
    credit = dict.fromkeys(MIX, 0)
    order = []
    for _ in range(total):
        for kind, weight in MIX.items():
            credit[kind] += weight
        chosen = max(credit, key=lambda kind: credit[kind])
        credit[chosen] -= total
        order.append(chosen)
    return order


@dataclass
class Memory:
    workers: list[int]
    start: list[float]
    end: list[float]
    pool_start: list[float]
    pool_end: list[float]
    #: (seconds into the load, RSS of each worker).
    samples: list[tuple[float, list[float]]]

    def growth(self) -> list[float]:
        return [end - start for start, end in zip(self.start, self.end, strict=True)]

    @property
    def flat(self) -> bool:
        return all(grown <= GROWTH_BOUND_MB for grown in self.growth())


@dataclass
class Load:
    warm_up: Recorder
    recorder: Recorder
    seconds: float
    started: int
    substituted: Counter[str]
    unfinished: int
    most_at_once: int
    memory: Memory
    cpu_s: float


async def one(
    kind: str, journey: Journey, base: str, recorder: Recorder, rng: random.Random, work: Work
) -> None:
    """One person's journey, on connections of its own, as a browser has: the workers share
    the listening socket, so new connections are what spreads people over them."""
    counts = recorder.journeys[kind]
    counts[0] += 1
    try:
        async with httpx.AsyncClient(
            base_url=base, timeout=REQUEST_TIMEOUT_S, verify=TLS_UNUSED
        ) as http:
            await journey(Browser(http, recorder, kind), rng, work)
    except JourneyFailed:
        counts[2] += 1
        return
    except Exception as error:  # the page was not what the journey needs: a failure too
        recorder.fail(kind, "-", "-", None, f"{type(error).__name__}: {error}")
        counts[2] += 1
        return
    counts[1] += 1


def pick(kind: str, work: Work) -> str:
    queue = QUEUES.get(kind)
    return kind if queue is None or getattr(work, queue) else "visitor"


@dataclass
class Arrivals:
    """Journeys started at a fixed rate, in the order of ``arrivals()``, carried on from one
    period to the next; those still going are waited for at the end."""

    base: str
    work: Work
    rate: float
    rng: random.Random
    cycle: list[str] = field(default_factory=arrivals)
    n: int = 0
    substituted: Counter[str] = field(default_factory=Counter)
    most_at_once: int = 0

    async def run(
        self, seconds: float, recorder: Recorder, sample: Callable[[float], None] | None = None
    ) -> tuple[float, int]:
        """Arrivals for ``seconds``, then wait for them: (seconds of arrivals, how many
        journeys were still going DRAIN_S later)."""
        tasks: set[asyncio.Task[None]] = set()
        first, began, next_sample = self.n, time.monotonic(), 0.0
        while (self.n - first) / self.rate < seconds:
            now = time.monotonic() - began
            if sample and now >= next_sample:
                sample(now)
                next_sample += RSS_EVERY_S
            if (wait := (self.n - first) / self.rate - now) > 0:
                await asyncio.sleep(wait)
            kind = self.cycle[self.n % len(self.cycle)]
            chosen = pick(kind, self.work)
            if chosen != kind:
                self.substituted[kind] += 1
            task = asyncio.create_task(
                one(chosen, JOURNEYS[chosen], self.base, recorder, self.rng, self.work)
            )
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            self.most_at_once = max(self.most_at_once, len(tasks))
            self.n += 1
        elapsed = time.monotonic() - began
        pending: set[asyncio.Task[None]] = set()
        if tasks:
            _, pending = await asyncio.wait(set(tasks), timeout=DRAIN_S)
        for task in pending:
            task.cancel()
            recorder.fail("-", "-", "-", None, f"journey still going {DRAIN_S:.0f}s after the load")
        return elapsed, len(pending)


def warm_up_s(seconds: float) -> float:
    return min(WARM_UP_MAX_S, seconds * WARM_UP_SHARE)


async def run_load(base: str, work: Work, rate: float, seconds: float, workers: list[int]) -> Load:
    rng = random.Random(20261124)
    warm_up = Recorder()

    async def in_turn(kinds: Iterable[str]) -> None:
        for kind in kinds:
            chosen = pick(kind, work)
            await one(chosen, JOURNEYS[chosen], base, warm_up, rng, work)

    # Every kind of journey in turn, as many times at once as there are workers; then
    # bids (each with its receipt's PDF) until every worker has started its PDF pool.
    await asyncio.gather(*(in_turn(WARM_UP) for _ in range(WORKERS)))
    for _ in range(POOL_ROUNDS):
        if all(pool_rss_mb(pid) for pid in workers):
            break
        await asyncio.gather(*(in_turn(["bid (pages)"]) for _ in range(WORKERS)))
    # Then a while of the load itself, so that the first minutes' caches are filled.
    arriving = Arrivals(base, work, rate, rng)
    await arriving.run(warm_up_s(seconds), warm_up)
    await asyncio.sleep(SETTLE_S)
    rss_start = [rss_mb(pid) for pid in workers]
    pool_start = [pool_rss_mb(pid) for pid in workers]
    cpu_start = sum(tree_cpu_s(pid) for pid in workers)

    recorder = Recorder()
    samples: list[tuple[float, list[float]]] = []
    started = arriving.n
    load_s, unfinished = await arriving.run(
        seconds, recorder, lambda now: samples.append((now, [rss_mb(p) for p in workers]))
    )
    await asyncio.sleep(SETTLE_S)
    rss_end = [rss_mb(pid) for pid in workers]
    samples.append((load_s, rss_end))
    cpu_s = sum(tree_cpu_s(pid) for pid in workers) - cpu_start
    return Load(
        warm_up,
        recorder,
        load_s,
        arriving.n - started,
        arriving.substituted,
        unfinished,
        arriving.most_at_once,
        Memory(workers, rss_start, rss_end, pool_start, [pool_rss_mb(p) for p in workers], samples),
        cpu_s,
    )


# -- the report -------------------------------------------------------------------------------


def percentile(values: list[float], p: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def report(
    load: Load, rate: float, seed: Figures, replaced: list[int], log_errors: list[str]
) -> bool:
    """Print the figures and the RESULT line: True if the run passed."""
    recorder = load.recorder
    print(
        f"load: {load.seconds:.0f}s, {load.started} journeys started at {rate:g} a second"
        f" ({recorder.requests / load.seconds:.1f} requests a second), at most {load.most_at_once}"
        " going at once"
    )
    print(f"  {'journey':<14} {'started':>7} {'done':>6} {'failed':>6} {'instead visitor':>15}")
    for kind in MIX:
        started, done, failed = recorder.journeys.get(kind, [0, 0, 0])
        print(f"  {kind:<14} {started:>7} {done:>6} {failed:>6} {load.substituted[kind]:>15}")
    print(f"  {'route':<78} {'count':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>8} {'max ms':>8}")
    everything = []
    worst = ("-", 0.0)
    for route in sorted(recorder.latencies, key=lambda r: (r.split(" ", 1)[1], r)):
        values = recorder.latencies[route]
        everything.extend(values)
        p99 = percentile(values, 99)
        if p99 > worst[1]:
            worst = (route, p99)
        print(
            f"  {route:<78} {len(values):>6} {percentile(values, 50):7.1f}"
            f" {percentile(values, 95):7.1f} {p99:8.1f} {max(values):8.1f}"
        )
    overall = {p: percentile(everything, p) if everything else 0.0 for p in (50, 95, 99)}
    print(
        f"  {'all':<78} {len(everything):>6} {overall[50]:7.1f} {overall[95]:7.1f}"
        f" {overall[99]:8.1f} {max(everything, default=0):8.1f}"
    )

    memory = load.memory
    print(
        f"memory (VmRSS of each worker, MB): after the warm-up, then every {RSS_EVERY_S:.0f}s;"
        f" a worker may grow by {GROWTH_BOUND_MB:.0f} MB at most"
    )
    for index, pid in enumerate(memory.workers):
        trail = " ".join(f"{sample[1][index]:.0f}" for sample in memory.samples)
        print(
            f"  worker {pid}: {memory.start[index]:.1f} -> {memory.end[index]:.1f}"
            f" ({memory.growth()[index]:+.1f}); PDF pool {memory.pool_start[index]:.0f} ->"
            f" {memory.pool_end[index]:.0f}; samples: {trail}"
        )
    print(
        f"server CPU: {load.cpu_s:.0f}s in {load.seconds:.0f}s of load,"
        f" {load.cpu_s / load.seconds:.0%} of one core ({os.cpu_count()} cores)"
        " (both workers and their PDF pools)"
    )

    failures = load.warm_up.failures + recorder.failures
    if failures:
        print(f"FAILURES: {len(failures)}")
        by_route = Counter(
            (f.journey, f"{f.method} {f.path.split('?')[0]}" if f.method != "-" else "-", f.status)
            for f in failures
        )
        for (journey, where, status), count in by_route.most_common(20):
            print(f"  {count}x {journey}: {where} -> {status}")
        for failure in failures[:20]:
            print(
                f"  at {failure.at:.1f}s {failure.journey}: {failure.method} {failure.path}"
                f" -> {failure.status}: {failure.detail}"
            )
    if replaced:
        print(f"WORKERS GONE BY THE END (killed, or died, and replaced): {replaced}")
    if log_errors:
        print(f"ERRORS IN THE SERVERS' LOGS: {len(log_errors)} lines")
        for line in log_errors[:80]:
            print(f"  {line}")

    passed = not failures and not replaced and not log_errors and memory.flat
    print()
    result = {
        "minutes": round(load.seconds / 60, 2),
        "rate_per_s": rate,
        "journeys": load.started,
        "requests": recorder.requests,
        "warm_up_requests": load.warm_up.requests,
        "errors": len(failures),
        "log_errors": len(log_errors),
        "workers_replaced": len(replaced),
        "p50_ms": round(overall[50], 1),
        "p99_ms": round(overall[99], 1),
        "worst_page": worst[0].replace(" ", "_"),
        "worst_p99_ms": round(worst[1], 1),
        "rss_start_mb": "/".join(f"{value:.0f}" for value in memory.start),
        "rss_end_mb": "/".join(f"{value:.0f}" for value in memory.end),
        "growth_mb": "/".join(f"{value:+.1f}" for value in memory.growth()),
        "cpu_share": round(load.cpu_s / load.seconds, 2),
        "seed_s": seed.get("seconds", 0),
        "flat": "yes" if memory.flat else "no",
        "passed": "yes" if passed else "no",
    }
    print("RESULT soak " + " ".join(f"{key}={value}" for key, value in result.items()))
    return passed


# -- main -------------------------------------------------------------------------------------


def sizes(rate: float, seconds: float) -> dict[str, int]:
    """What to seed for the load and its warm-up, with a margin."""
    arrivals_ = rate * (seconds + warm_up_s(seconds)) * 1.1
    share = {kind: count / sum(MIX.values()) for kind, count in MIX.items()}
    warm_up = Counter(WARM_UP)
    bids = math.ceil(arrivals_ * (share["bid (pages)"] + share["bid (API)"]))
    bids += WORKERS * (warm_up["bid (pages)"] + warm_up["bid (API)"] + POOL_ROUNDS)
    sheets = math.ceil(arrivals_ * share["evaluator"]) + WORKERS * warm_up["evaluator"]
    # The demo's moderated tender and these are for the warm-up; the load's officers award
    # the lots moderated during the load.
    return {"bids": bids, "lots": math.ceil(sheets / 2), "awards": WORKERS * warm_up["officer"]}


def run(var_dir: Path, url: str, rate: float, seconds: float, log_dir: Path | None) -> bool:
    print(
        f"cores: {os.cpu_count()}; load average at start: {os.getloadavg()[0]:.1f};"
        f" {seconds / 60:.2f} minutes at {rate:g} journeys a second against {WORKERS}"
        " workers on PostgreSQL"
    )
    env = {**clean_env(var_dir), "CARETENDER_DATABASE_URL": url}
    started = time.perf_counter()
    subprocess.run([*caretender_command(), "demo"], env=env, check=True, stdout=subprocess.DEVNULL)
    wanted = sizes(rate, seconds)
    seeded = measure_child(
        "tests.bench.soak",
        url,
        var_dir,
        [arg for name, count in wanted.items() for arg in (f"--{name}", str(count))],
    )
    print(
        f"seeded in {time.perf_counter() - started:.1f}s (demo, then {seeded['seconds']}s):"
        f" {seeded['open_tenders']} open tenders, {seeded['providers']} providers,"
        f" {seeded['lots']} lots to evaluate, {seeded['awards']} to award"
    )
    work = work_from(json.loads((var_dir / SEED_FILE).read_text()), random.Random(1))

    port = free_port()
    serve_log, mail_log = var_dir / "serve.log", var_dir / "worker.log"
    serve = [*caretender_command(), "serve", "--port", str(port), "--workers", str(WORKERS)]
    try:
        with mail_worker(env, mail_log), server(serve, env, serve_log, port) as uvicorn:
            parent = uvicorn.pid
            workers = workers_started(parent, serve_log)
            if len(workers) != WORKERS:
                raise RuntimeError(f"{len(workers)} workers, not {WORKERS}")
            # What went wrong as the servers started is told apart from what the load did.
            startup = logged_errors(serve_log)
            started_lines = len(log_lines(serve_log))
            uvloop.install()
            load = asyncio.run(run_load(f"http://127.0.0.1:{port}", work, rate, seconds, workers))
            replaced = sorted(set(workers) - set(workers_of(parent)))
    except BaseException:
        for line in logged_errors(serve_log, mail_log):
            print(line)
        raise
    finally:
        if log_dir:
            log_dir.mkdir(parents=True, exist_ok=True)
            for log in (serve_log, mail_log):
                shutil.copy(log, log_dir / log.name)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    if startup:
        print(
            "AS THE SERVERS STARTED (before any load; not counted against it): uvicorn kills"
            " a worker that has not answered its health check within 5s, as a worker busy"
            " importing the app on a busy machine may not:"
        )
        for line in startup:
            print(f"  {line}")
    during = logged_errors(serve_log, after=started_lines) + logged_errors(mail_log)
    return report(load, rate, seeded, replaced, during)


def main() -> None:
    if CHILD in sys.argv:
        run_child(seed)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--minutes", type=float, default=MINUTES, help="of load (default 10)")
    length.add_argument("--short", action="store_true", help=f"{SHORT_S:.0f}s of load, for CI")
    parser.add_argument("--rate", type=float, default=JOURNEYS_PER_S, help="journeys a second")
    parser.add_argument("--log-dir", type=Path, help="where to keep the servers' logs")
    args = parser.parse_args()
    seconds = SHORT_S if args.short else args.minutes * 60
    exit_on_sigterm()
    with temporary_var_dir() as var_dir, fresh_postgres_database() as url:
        passed = run(var_dir, url, args.rate, seconds, args.log_dir)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
