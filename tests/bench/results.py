"""A lot's results, 200 bids of 40 questions scored by 5 evaluators, computed through the
service with its database loading, on SQLite and on PostgreSQL, beside the pure scoring
alone on the same figures.

Run with ``python -m tests.bench.results`` (``--profile`` adds a cProfile of further calls
of the service, made after the timings so that it does not slow them). For each database,
in a temporary directory (and, for PostgreSQL, a fresh database on
``postgresql://postgres@127.0.0.1:5432`` dropped afterwards), it runs ``caretender
migrate``, then a child process of this module with that database configured, which:

* inserts one moderated tender of one lot (Quality 40 with 2 pass or fail and 20 scored
  questions, Price 30 with 3 price items, Social value 10 with 3 scored questions, Outcomes
  20 with 15 outcome tests), 200 sealed bids, 5 evaluators' scores, the consensus and the
  sign-off, as rows in bulk (``tests.bench.evaluation_seed``);
* checks the figures: ``evaluation.services.results.lot_results`` gives 200 results, some
  excluded, equal to ``score_lot`` on the entries and rules the seed built from the same
  figures without reading them back (the same ranks, totals, exclusions and explanations);
* after a warm-up, takes turns ``REPEATS`` times between: ``lot_results()`` as an officer
  calls it; the steps it loads by, each timed on its own in the same order (the tender
  and the officer's seat, the sign-off, the bidders, the consensus, the sealed prices, and
  apart the JSON parsing of the 200 sealed contents the prices are read from); and the
  pure ``score_lot(lot_rules(tender, lot), entries)`` on the seed's entries.

It prints a table for each database: median, p90 and max of the wall time, and the median
CPU of the event loop's thread and of the whole process (on SQLite, aiosqlite's thread runs
the queries and converts their rows: CPU of this process all the same, though not of the
loop's thread; on PostgreSQL the server's own work is in neither), with the garbage
collections made meanwhile, and ends with one ``RESULT results`` line. The first call of
the process is shown apart: it loads the tender's lots and questions, kept in memory from
then on. No timing is asserted; the target is under 500 ms through the service.
"""

from __future__ import annotations

import contextlib
import cProfile
import gc
import inspect
import json
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

from app import database
from evaluation.scoring import score_lot
from evaluation.services import moderation, panels, results
from tenders.tables import Submission
from tests.bench.evaluation_seed import EVALUATORS, QUESTIONS, SeededEvaluation, evaluated_lot
from tests.bench.processes import (
    PROFILE,
    Figures,
    main_on_each_database,
    measure_each_database,
    print_profile,
)

BIDS = 200
REPEATS = 20
WARM_UP = 2
TARGET_MS = 500
#: Calls of the service under the profiler.
PROFILED_CALLS = 5

T = TypeVar("T")


class Step:
    """One thing timed again and again, in milliseconds: wall time, CPU of the event loop's
    thread, and CPU of the whole process (aiosqlite runs SQLite queries, and the
    conversion of their rows, in a thread of its own)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.process_cpu: list[float] = []

    async def time(self, call: Callable[[], T | Awaitable[T]]) -> T:
        process_cpu = time.process_time()
        cpu = time.thread_time()
        began = time.perf_counter()
        result = call()
        if inspect.isawaitable(result):
            result = await result
        self.wall.append((time.perf_counter() - began) * 1000)
        self.cpu.append((time.thread_time() - cpu) * 1000)
        self.process_cpu.append((time.process_time() - process_cpu) * 1000)
        return result  # type: ignore[return-value]

    def clear(self) -> None:
        for values in (self.wall, self.cpu, self.process_cpu):
            values.clear()

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def p90(self) -> float:
        return statistics.quantiles(self.wall, n=10, method="inclusive")[8]


# -- in the child: one database ---------------------------------------------------------


def check(found: results.LotResults, seeded: SeededEvaluation) -> list[str]:
    """What is wrong with the service's results; nothing, if all is well."""
    problems = []
    expected = score_lot(seeded.rules, seeded.entries)
    if len(found.results) != BIDS:
        problems.append(f"{len(found.results)} results, not {BIDS}")
    if found.results != score_lot(results.lot_rules(found.tender, found.lot), seeded.entries):
        problems.append("the service's results differ from score_lot on the seed's entries")
    if found.results != expected:
        problems.append("the service's results differ from score_lot on the seed's own rules")
    excluded = sum(result.excluded for result in found.results)
    if not 0 < excluded < BIDS:
        problems.append(f"{excluded} bids excluded: the seed should exclude some, not all")
    ranks = [result.rank for result in found.results if not result.excluded]
    if ranks != list(range(1, BIDS - excluded + 1)):
        problems.append("the ranks are not 1, 2, 3 ... in order")
    if sum(result.awarded for result in found.results) != found.lot.providers_to_award:
        problems.append("the wrong number of bids awarded")
    return problems


@contextlib.contextmanager
def collections() -> Iterator[dict[int, tuple[int, float]]]:
    """The garbage collections made meanwhile, by generation: (how many, milliseconds)."""
    collected: dict[int, tuple[int, float]] = {}
    began = 0.0

    def callback(phase: str, info: dict[str, int]) -> None:
        nonlocal began
        if phase == "start":
            began = time.perf_counter()
            return
        count, pause = collected.get(info["generation"], (0, 0.0))
        collected[info["generation"]] = (count + 1, pause + (time.perf_counter() - began) * 1000)

    gc.callbacks.append(callback)
    try:
        yield collected
    finally:
        gc.callbacks.remove(callback)


async def one_database(profile: bool) -> Figures:
    label = "SQLite" if database.is_sqlite() else "PostgreSQL"
    opened = await database.start()
    try:
        started = time.perf_counter()
        seeded = await evaluated_lot(BIDS)
        rows = ", ".join(f"{count:,} {table}" for table, count in seeded.rows.items())
        print(f"{label}: inserted in {time.perf_counter() - started:.1f}s: {rows}")
        print(
            f"  sealed contents: {seeded.content_bytes / 1e6:.1f} MB together,"
            f" {seeded.content_bytes / BIDS / 1000:.0f} kB a bid"
        )
        officer, tender_id, lot_id = seeded.officer, seeded.tender_id, seeded.lot_id

        cold = Step("first call")
        found = await cold.time(lambda: results.lot_results(officer, tender_id, lot_id))
        problems = check(found, seeded)
        contents = [
            row["content"]
            for row in await Submission.select(Submission.content).where(
                Submission.tender == tender_id
            )
        ]

        service = Step("lot_results(), the whole service")
        tender_step = Step("  tender and seat (visible_lot)")
        sign_off_step = Step("  sign-off")
        bidders_step = Step("  bidders (lot_bidders)")
        consensus_step = Step("  consensus marks (consensus_marks)")
        prices_step = Step("  sealed prices (unit_prices)")
        parsing = Step("    of which json.loads of contents")
        pure = Step("score_lot(lot_rules(), entries)")
        loads = (tender_step, sign_off_step, bidders_step, consensus_step, prices_step)
        together = Step("  the loading steps together")

        async def one_round() -> None:
            await service.time(lambda: results.lot_results(officer, tender_id, lot_id))
            tender, lot, _ = await tender_step.time(
                lambda: panels.visible_lot(officer, tender_id, lot_id)
            )
            await sign_off_step.time(lambda: moderation.signed_off(lot.id))
            bids = tuple(await bidders_step.time(lambda: panels.lot_bidders(tender.id, lot.id)))
            await consensus_step.time(lambda: results.consensus_marks(lot.id))
            await prices_step.time(lambda: results.unit_prices(bids, lot.id))
            together.wall.append(sum(step.wall[-1] for step in loads))
            together.cpu.append(sum(step.cpu[-1] for step in loads))
            together.process_cpu.append(sum(step.process_cpu[-1] for step in loads))
            await parsing.time(lambda: [json.loads(content) for content in contents])
            await pure.time(lambda: score_lot(results.lot_rules(tender, lot), seeded.entries))

        for _ in range(WARM_UP):
            await one_round()
        steps = (service, *loads, together, parsing, pure)
        for step in steps:
            step.clear()
        load_before = os.getloadavg()[0]
        with collections() as collected:
            for _ in range(REPEATS):
                await one_round()
        load_after = os.getloadavg()[0]

        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
            for _ in range(PROFILED_CALLS):
                await results.lot_results(officer, tender_id, lot_id)
            profiler.disable()
    finally:
        await database.stop(opened)

    excluded = sum(result.excluded for result in found.results)
    print(
        f"  {REPEATS} rounds after {WARM_UP} of warm-up, load average"
        f" {load_before:.1f} before and {load_after:.1f} after;"
        " loop CPU = CPU of the event loop's thread"
    )
    print(
        f"  {'':<38} {'median ms':>9} {'p90 ms':>7} {'max ms':>7} {'loop CPU ms':>11}"
        f" {'process CPU ms':>14}"
    )
    for step in (cold, *steps):
        print(
            f"  {step.name:<38} {step.median:9.1f}"
            f" {step.p90 if len(step.wall) > 1 else step.median:7.1f} {max(step.wall):7.1f}"
            f" {statistics.median(step.cpu):11.1f} {statistics.median(step.process_cpu):14.1f}"
        )
    print(
        f"  service / pure: {service.median / pure.median:.1f}x;"
        f" all but the scoring (service - pure): {service.median - pure.median:.1f} ms"
    )
    print(
        f"  garbage collections in the {REPEATS} rounds: "
        + ", ".join(
            f"generation {generation} {count}x, {pause:.0f} ms"
            for generation, (count, pause) in sorted(collected.items())
        )
    )
    print(
        "  checked: "
        + (
            "; ".join(problems)
            if problems
            else f"{len(found.results)} results ({BIDS - excluded} ranked, {excluded} excluded,"
            f" {found.lot.providers_to_award} awarded), equal to score_lot on the seed's"
            " entries, with lot_rules() and with the seed's own rules"
        )
    )
    if profiler:
        print_profile(profiler, f"profile of {PROFILED_CALLS} calls of lot_results(), by {{order}}")
    return {
        "service_ms": round(service.median, 1),
        "service_p90_ms": round(service.p90, 1),
        "service_cpu_ms": round(statistics.median(service.cpu), 1),
        "service_process_cpu_ms": round(statistics.median(service.process_cpu), 1),
        "pure_ms": round(pure.median, 1),
        "prices_ms": round(prices_step.median, 1),
        "consensus_ms": round(consensus_step.median, 1),
        "cold_ms": round(cold.median, 1),
        "excluded": excluded,
        "checked": "ok" if not problems else "FAILED",
    }


# -- in the parent: each database in turn -----------------------------------------------


def run(var_dir: Path, profile: bool) -> None:
    print(f"cores: {os.cpu_count()}; load average at start: {os.getloadavg()[0]:.1f}")
    sqlite, pg = measure_each_database("tests.bench.results", var_dir, [PROFILE] if profile else [])
    print(
        f"target: under {TARGET_MS} ms through the service, for {BIDS} bids,"
        f" {QUESTIONS} questions, {len(EVALUATORS)} evaluators"
    )
    print(
        f"  {'database':<11} {'service ms':>10} {'p90 ms':>7} {'loop CPU':>8} {'proc CPU':>8}"
        f" {'pure ms':>8}"
        f" {'prices ms':>9} {'consensus':>9} {'first ms':>8} {'excluded':>8} {'checked':>7}"
    )
    for name, figures in (("SQLite", sqlite), ("PostgreSQL", pg)):
        print(
            f"  {name:<11} {figures['service_ms']:>10} {figures['service_p90_ms']:>7}"
            f" {figures['service_cpu_ms']:>8} {figures['service_process_cpu_ms']:>8}"
            f" {figures['pure_ms']:>8} {figures['prices_ms']:>9}"
            f" {figures['consensus_ms']:>9} {figures['cold_ms']:>8} {figures['excluded']:>8}"
            f" {figures['checked']:>7}"
        )
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    print()
    keys = ("service_ms", "service_p90_ms", "pure_ms", "consensus_ms", "prices_ms")
    result = {
        **{f"sqlite_{key}": sqlite[key] for key in keys},
        **{f"pg_{key}": pg[key] for key in keys},
        "bids": BIDS,
        "questions": QUESTIONS,
        "evaluators": len(EVALUATORS),
        "checked": "ok" if sqlite["checked"] == pg["checked"] == "ok" else "FAILED",
    }
    print("RESULT results " + " ".join(f"{key}={value}" for key, value in result.items()))


def main() -> None:
    main_on_each_database(one_database, run)


if __name__ == "__main__":
    main()
