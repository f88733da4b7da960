"""The rush before a deadline: 1,000 bids submitted by 100 providers at once, on SQLite and
on PostgreSQL, against the bare commit rate of the same database.

Run with ``python -m tests.bench.deadline_rush`` (``--profile`` adds a cProfile of the
submissions). For each database, in a temporary directory (and, for PostgreSQL, a fresh
database on ``postgresql://postgres@127.0.0.1:5432`` dropped afterwards), it runs
``caretender migrate``, then a child process of this module with that database
configured, which:

* inserts one published tender of two lots (a pass or fail and a scored question, one
  price item a lot) and 1,000 provider organisations, each with a complete bid for both
  lots, as rows in bulk (``tests.bench.bids_seed``);
* measures the baseline: 1,000 bare single-row INSERTs, each committed in its own
  ``database.write_transaction()``, 100 at a time, through the same engine;
* calls ``tenders.services.submissions.submit`` once for every bid, from 100 asyncio tasks
  each taking the next bid as soon as its last call returned, timing every call, on
  uvloop (the event loop ``caretender serve`` runs);
* the baseline again, so that a machine busy in one phase shows up;
* checks the result: exactly 1,000 submissions, each digest recomputed from its content,
  every bid submitted, one receipt queued per submission, and the audit chain verified.

It prints submissions per second and their p50/p99 latency beside the bare commits', and
how busy the event loop's thread was and its CPU time per call: a loop near 100% is held
back by Python, not by the database. It ends with one ``RESULT deadline_rush`` line. No
timing is asserted. With ``--profile`` the submissions run under cProfile, which about
halves their rate: read the profile for where the time goes, not for the figures.

With 100 calls always outstanding, the mean latency is 100 divided by the throughput
(Little's law): p99 under 250 ms needs well over 400 submissions a second, and a tail
close to the mean. ``submit()`` takes them ``SUBMITTING_AT_ONCE`` at a time, in turn:
begun all together and interleaved, the first hundred would all finish late.
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from piccolo.columns import Integer, Varchar
from piccolo.table import Table

from app import audit, database
from app.platform import Platform
from app.settings import settings_from_env
from app.tables import OutboxMessage
from tenders import sealing
from tenders.services import submissions
from tenders.tables import Bid, Submission
from tenders.vocabulary import BidStatus
from tests.bench.bids_seed import tender_with_complete_bids
from tests.bench.processes import (
    PROFILE,
    Figures,
    main_on_each_database,
    measure_each_database,
    print_profile,
)

PROVIDERS = 1000
CONCURRENCY = 100


class BenchCommit(Table, tablename="bench_commit"):
    """A scratch table for the baseline: one short row per commit."""

    worker = Integer()
    note = Varchar(length=40)


@dataclass
class Run:
    calls: int
    seconds: float
    latencies: list[float]
    failures: list[str]
    #: CPU seconds of the event loop's thread: where Python's share of the work runs.
    loop_cpu: float

    @property
    def per_s(self) -> float:
        return self.calls / self.seconds

    @property
    def loop_busy(self) -> float:
        return self.loop_cpu / self.seconds

    @property
    def loop_cpu_ms(self) -> float:
        """CPU of the event loop per call, in milliseconds."""
        return self.loop_cpu / max(1, self.calls) * 1000

    def p(self, percentile: int) -> float:
        """The percentile in milliseconds."""
        return (
            statistics.quantiles(self.latencies, n=100, method="inclusive")[percentile - 1] * 1000
        )


async def rush(calls: list[Callable[[], Awaitable[object]]], concurrency: int) -> Run:
    """Every call once, ``concurrency`` tasks each taking the next as soon as it is free."""
    pending = iter(calls)
    latencies: list[float] = []
    failures: list[str] = []

    async def worker() -> None:
        # One event loop thread: taking the next call from the iterator needs no lock.
        for call in pending:
            began = time.perf_counter()
            try:
                await call()
            except Exception as error:  # counted and shown, so one failure keeps the figures
                failures.append(repr(error))
                continue
            latencies.append(time.perf_counter() - began)

    cpu_before = time.thread_time()
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    loop_cpu = time.thread_time() - cpu_before
    return Run(len(latencies), seconds, latencies, failures, loop_cpu)


# -- in the child: one database ---------------------------------------------------------


async def bare_commits(count: int, concurrency: int, round_: int) -> Run:
    async def commit(n: int) -> None:
        async with database.write_transaction():
            await BenchCommit.insert(BenchCommit(worker=n, note=f"round {round_} commit {n}"))

    return await rush([lambda n=n: commit(n) for n in range(count)], concurrency)


async def verify(platform: Platform) -> list[str]:
    """What is wrong with the database after the rush; nothing, if all went well."""

    problems = []
    rows = await Submission.select(Submission.bid, Submission.content, Submission.digest)
    if len(rows) != PROVIDERS:
        problems.append(f"{len(rows)} submissions, not {PROVIDERS}")
    if len({str(row["bid"]) for row in rows}) != len(rows):
        problems.append("a bid was submitted twice")
    wrong = [r for r in rows if sealing.digest(json.loads(r["content"])) != r["digest"]]
    if wrong:
        problems.append(f"{len(wrong)} digests do not recompute from their content")
    submitted = await Bid.count().where(Bid.status == BidStatus.SUBMITTED)
    if submitted != PROVIDERS:
        problems.append(f"{submitted} bids submitted, not {PROVIDERS}")
    receipts = await OutboxMessage.count()
    if receipts != PROVIDERS:
        problems.append(f"{receipts} receipts queued, not {PROVIDERS}")
    chain = await audit.verify(platform)
    if not chain.ok or chain.events_checked != PROVIDERS:
        problems.append(f"audit chain: {chain}")
    return problems


async def one_database(profile: bool) -> Figures:

    platform = Platform(settings_from_env())
    label = "SQLite" if platform.settings.database.is_sqlite else "PostgreSQL"
    opened = await database.start()
    try:
        started = time.perf_counter()
        seeded = await tender_with_complete_bids(PROVIDERS, open_for=timedelta(days=1))
        await BenchCommit.create_table()
        print(
            f"{label}: inserted a tender of 2 lots and {PROVIDERS} complete bids"
            f" in {time.perf_counter() - started:.1f}s"
        )

        before = await bare_commits(PROVIDERS, CONCURRENCY, 1)
        calls = [
            lambda bid=bid: submissions.submit(
                platform, bid.provider, bid.bid_id, submissions.new_request_key()
            )
            for bid in seeded.bids
        ]
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        rushed = await rush(calls, CONCURRENCY)
        if profiler:
            profiler.disable()
        if not rushed.latencies:
            raise RuntimeError(f"every submission failed: {rushed.failures[0]}")
        after = await bare_commits(PROVIDERS, CONCURRENCY, 2)

        started = time.perf_counter()
        problems = await verify(platform)
        verify_s = time.perf_counter() - started
    finally:
        await database.stop(opened)

    bare = max(before, after, key=lambda run: run.per_s)
    print(
        f"  {CONCURRENCY} at once; bare = a one-row INSERT in its own write_transaction();"
        " loop = CPU of the event loop's thread"
    )
    print(
        f"  {'':<22} {'calls':>6} {'per s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
        f" {'loop busy':>9} {'loop CPU ms/call':>16}"
    )
    for name, run in (
        ("bare commits, before", before),
        ("submit()", rushed),
        ("bare commits, after", after),
    ):
        print(
            f"  {name:<22} {run.calls:>6} {run.per_s:7.0f} {run.p(50):7.1f} {run.p(99):7.1f}"
            f" {max(run.latencies) * 1000:7.1f} {run.loop_busy:9.0%} {run.loop_cpu_ms:16.2f}"
        )
    print(
        f"  ratio of submissions to bare commits: {rushed.per_s / bare.per_s:.2f};"
        f" one submission every {1000 / rushed.per_s:.2f} ms,"
        f" one bare commit every {1000 / bare.per_s:.2f} ms"
    )
    for failure in sorted(set(rushed.failures))[:5]:
        print(f"  FAILED ({rushed.failures.count(failure)}x): {failure}")
    print(
        f"  checked in {verify_s:.1f}s: "
        + (
            "; ".join(problems)
            if problems
            else f"{PROVIDERS} submissions, digests recomputed, bids submitted, receipts queued,"
            " audit chain verified"
        )
    )
    if profiler:
        print_profile(
            profiler,
            f"profile of the event loop's thread, by {{order}} ({rushed.calls} submissions)",
        )
    return {
        "sps": round(rushed.per_s),
        "p50_ms": round(rushed.p(50), 1),
        "p99_ms": round(rushed.p(99), 1),
        "bare_cps": round(bare.per_s),
        "bare_p99_ms": round(bare.p(99), 1),
        "ratio": round(rushed.per_s / bare.per_s, 2),
        "loop_busy": round(rushed.loop_busy, 2),
        "loop_cpu_ms": round(rushed.loop_cpu_ms, 2),
        "failed": len(rushed.failures),
        "checked": "ok" if not problems else "FAILED",
    }


# -- in the parent: each database in turn -----------------------------------------------


def run(var_dir: Path, profile: bool) -> None:
    print(f"cores: {os.cpu_count()}; load average at start: {os.getloadavg()[0]:.1f}")
    sqlite, pg = measure_each_database(
        "tests.bench.deadline_rush", var_dir, [PROFILE] if profile else []
    )
    print("target: at least 300 submissions/s on each, p99 under 250 ms")
    print(
        f"  {'database':<11} {'subm/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'bare/s':>7}"
        f" {'bare p99':>8} {'ratio':>6} {'loop busy':>9} {'loop CPU ms':>11}"
        f" {'failed':>6} {'checked':>7}"
    )
    for name, figures in (("SQLite", sqlite), ("PostgreSQL", pg)):
        print(
            f"  {name:<11} {figures['sps']:>7} {figures['p50_ms']:>7} {figures['p99_ms']:>7}"
            f" {figures['bare_cps']:>7} {figures['bare_p99_ms']:>8} {figures['ratio']:>6}"
            f" {figures['loop_busy']:>9.0%} {figures['loop_cpu_ms']:>11}"
            f" {figures['failed']:>6} {figures['checked']:>7}"
        )
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    print()
    keys = ("sps", "p50_ms", "p99_ms", "bare_cps", "loop_cpu_ms")
    result = {
        **{f"sqlite_{key}": sqlite[key] for key in keys},
        **{f"pg_{key}": pg[key] for key in keys},
        "submissions": PROVIDERS,
        "concurrency": CONCURRENCY,
        "checked": "ok" if sqlite["checked"] == pg["checked"] == "ok" else "FAILED",
    }
    print("RESULT deadline_rush " + " ".join(f"{key}={value}" for key, value in result.items()))


def main() -> None:
    main_on_each_database(one_database, run)


if __name__ == "__main__":
    main()
