"""A tender's assessment summaries, one for each of 100 bidders, rendered through the PDF
process pool while the same process serves the platform, beside bare WeasyPrint rendering
the same HTML one after another.

Run with ``python -m tests.bench.notices``; on SQLite only (the database is read once, to
build the summaries, before anything is timed). In a temporary directory it runs
``caretender migrate``, then a child process of this module with that database configured,
which:

* inserts one moderated tender of one lot with 100 sealed bids, every evaluator's scores,
  the consensus and the sign-off, as rows in bulk (``tests.bench.evaluation_seed``);
* builds each bidder's assessment summary as issuing the notices does
  (``evaluation.services.notices.issue``): the lot's results and consensus through the
  services, then ``summary_content`` for each bidder;
* serves the platform (``create_app`` under uvicorn, as ``caretender serve`` runs it) on its
  event loop, and measures ``GET /healthz`` with the server idle, by a poller: this module
  with ``--poll``, in a process of its own (a thread would share this process's GIL), which
  sends a request every ``POLL_INTERVAL_S`` on a fixed schedule, not waiting for earlier
  answers, so that a stalled event loop shows in every request sent meanwhile;
* warms up: one render in this process (fonts loaded), and ``2 * WORKERS`` through the
  pool (its workers started, with their fonts loaded);
* then takes turns, ``ROUNDS`` times, each round on every ``ROUNDS``-th bidder (so each has
  successful and unsuccessful bidders, short summaries and long): the baseline,
  ``app.pdf.write_pdf`` on the summaries' HTML one after another in this process, which is
  bare WeasyPrint with the platform's settings (PDF/A-3u, the assets-only URL fetcher) and
  no pool, on HTML made by ``app.pdf.html_for`` as ``render_pdf`` makes it; then the same
  summaries through ``render_pdf``, concurrently with ``asyncio.gather`` as
  ``render_notices`` renders them, with the poller going. The pool is replaced after
  ``pdf.RENDERS_PER_WORKER`` renders a worker, between rounds, as in the server's steady
  state;
* checks that every document is a PDF and that the pool's bytes equal the baseline's.

Turns, because the machine may be shared: other processes slow the niced workers first, so
the pool / serial ratio is judged on the round in which the rest of the machine took the
least CPU (shown for every round, and flagged when it is more than ``SHARED_CORES``). It
prints each round's wall times and CPU (this process, the PDF workers, the poller and the
rest of the machine), the ratio over all rounds, the healthz latencies idle and while the
pool rendered, and ends with one ``RESULT notices`` line. Targets: the pool at most 0.65x
the serial time, healthz p99 under 50 ms while it renders. No timing is asserted. It takes
about five minutes on two cores: an unsuccessful bidder's summary, which sets its scores
and reasons beside the three awarded bids', runs to some 30 pages.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
import uvloop
from pypdf import PdfReader

from app import database, pdf
from app.application import create_app
from app.settings import settings_from_env
from evaluation import standstill
from evaluation.services import moderation, results
from evaluation.services.notice_documents import (
    SUMMARY_TEMPLATE,
    LotEvaluation,
    SummaryContent,
    bidders,
    summary_content,
)
from tenders.services.views import load_tender
from tests.bench.evaluation_seed import evaluated_lot
from tests.bench.opportunities import cpu_seconds
from tests.bench.processes import (
    CHILD,
    Figures,
    exit_on_sigterm,
    measure_child,
    run_child,
    temporary_var_dir,
)
from tests.bench.signin import free_port

BIDDERS = 100
#: Turns taken between the serial run and the pool's, each on its share of the bidders.
ROUNDS = 4
TARGET_RATIO = 0.65
TARGET_P99_MS = 50.0
#: The poller's argument, followed by the port to poll.
POLL = "--poll"
POLL_INTERVAL_S = 0.01
#: Connections idle longer are not reused: uvicorn closes them after 5 s.
KEEP_ALIVE_S = 2.0
IDLE_S = 5.0
#: Other processes' use of the machine, in cores, past which the figures are flagged.
SHARED_CORES = 0.1
#: The documents' creation date: fixed, so the pool's bytes can be compared with the
#: baseline's.
NOW = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)
HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


# -- the poller, a process of its own -----------------------------------------------------


@dataclass(frozen=True)
class Sample:
    #: ``time.monotonic()`` when the request was sent: one clock for every process.
    sent: float
    ms: float
    #: Why the request failed, in a word; empty when it was answered 200.
    error: str


@dataclass
class Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    #: ``time.monotonic()`` when its last answer came.
    used: float


async def _connection(idle: list[Connection], port: int) -> Connection:
    """The connection used last, unless the server may have closed it for being idle
    (uvicorn's keep-alive timeout is 5 s); else a new one."""
    while idle:
        connection = idle.pop()
        if time.monotonic() - connection.used < KEEP_ALIVE_S:
            return connection
        connection.writer.close()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    return Connection(reader, writer, time.monotonic())


async def _get_healthz(idle: list[Connection], port: int) -> str:
    """One ``GET /healthz``, on an idle keep-alive connection if there is one: why it
    failed, or nothing."""
    try:
        connection = await _connection(idle, port)
        connection.writer.write(HEALTHZ)
        head = await connection.reader.readuntil(b"\r\n\r\n")
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                await connection.reader.readexactly(int(value))
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
        return type(error).__name__
    connection.used = time.monotonic()
    idle.append(connection)
    return "" if head.startswith(b"HTTP/1.1 200 ") else f"status-{head[9:12].decode()}"


async def poll(port: int) -> None:
    """Send ``GET /healthz`` every POLL_INTERVAL_S until stdin closes, then print one line
    per request: when it was sent, its latency in ms, and why it failed if it did. Prints
    ``polling`` once the first answer is in."""
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    closed = asyncio.ensure_future(stdin.read())
    idle: list[Connection] = []
    samples: list[Sample] = []
    pending: set[asyncio.Task[None]] = set()

    async def one() -> None:
        sent = time.monotonic()
        error = await _get_healthz(idle, port)
        samples.append(Sample(sent, (time.monotonic() - sent) * 1000, error))

    await one()
    print("polling", flush=True)
    began = time.monotonic()
    ticks = 0
    while not closed.done():
        ticks += 1
        # On a fixed schedule: a late tick fires at once, the next keeps its own time.
        await asyncio.wait(
            [closed], timeout=max(0.0, began + ticks * POLL_INTERVAL_S - time.monotonic())
        )
        task = asyncio.create_task(one())
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.wait(pending)
    for sample in samples[1:]:
        print(f"{sample.sent:.6f} {sample.ms:.3f} {sample.error or '-'}")


@dataclass
class Polling:
    pid: int
    #: Filled in once the poller has stopped.
    samples: list[Sample]


@contextlib.asynccontextmanager
async def poller(port: int) -> AsyncIterator[Polling]:
    """The poller running against ``port``; once the block ends, it has its samples."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.bench.notices",
        POLL,
        str(port),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    polling = Polling(process.pid, [])
    try:
        if await process.stdout.readline() != b"polling\n":
            raise RuntimeError("the poller did not start")
        yield polling
    finally:
        process.stdin.close()
        out, _ = await process.communicate()
    for line in out.decode().splitlines():
        sent, ms, error = line.split()
        polling.samples.append(Sample(float(sent), float(ms), "" if error == "-" else error))


# -- CPU ----------------------------------------------------------------------------------


def _children_cpu() -> float:
    """CPU seconds of this process's children, those still running and those reaped."""
    me = str(os.getpid())
    running = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            if stat.read_text().rsplit(")", 1)[1].split()[1] == me:
                running += cpu_seconds(int(stat.parent.name))
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    return running + reaped.ru_utime + reaped.ru_stime


def _machine_cpu() -> float:
    """CPU seconds the whole machine has been busy, all cores together."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    # user nice system idle iowait irq softirq steal (guest time is within user already).
    busy = sum(fields[:8]) - fields[3] - fields[4]
    return busy / os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    """The wall time of a run, and the CPU seconds it took: this process (the event loop,
    the server and the pool's threads), its children (the PDF workers), the poller, and
    every other process on the machine."""

    seconds: float = 0.0
    own_cpu: float = 0.0
    workers_cpu: float = 0.0
    poller_cpu: float = 0.0
    others_cpu: float = 0.0

    @contextlib.contextmanager
    def timed(self, poller_pid: int | None = None) -> Iterator[None]:
        def poller() -> float:
            return 0.0 if poller_pid is None else cpu_seconds(poller_pid)

        own, children, polling = time.process_time(), _children_cpu(), poller()
        machine = _machine_cpu()
        began = time.perf_counter()
        yield
        self.seconds = time.perf_counter() - began
        self.own_cpu = time.process_time() - own
        self.poller_cpu = poller() - polling
        self.workers_cpu = _children_cpu() - children - self.poller_cpu
        ours = self.own_cpu + self.workers_cpu + self.poller_cpu
        self.others_cpu = max(0.0, _machine_cpu() - machine - ours)

    @property
    def others_cores(self) -> float:
        return self.others_cpu / self.seconds


# -- the child: one database, one server --------------------------------------------------


async def summaries() -> list[SummaryContent]:
    """Every bidder's assessment summary of a lot evaluated to the end, built as issuing
    the notices builds them."""
    started = time.perf_counter()
    seeded = await evaluated_lot(BIDDERS)
    rows = ", ".join(f"{count:,} {table}" for table, count in seeded.rows.items())
    print(f"inserted in {time.perf_counter() - started:.1f}s: {rows}")
    tender = await load_tender(seeded.tender_id)
    assert tender is not None
    lot = next(lot for lot in tender.lots if lot.id == seeded.lot_id)
    found = await results.compute(tender, lot)
    lots = [LotEvaluation(found, await moderation.load_consensus(found.lot.id))]
    issued_on = NOW.date()
    last_day = (
        standstill.last_day(issued_on, tender.standstill_days)
        if tender.standstill_applies
        else None
    )
    return [
        summary_content(
            tender, lots, organisation, issued_on=issued_on, standstill_last_day=last_day
        )
        for organisation in bidders(lots)
    ]


def html_of(summary: SummaryContent) -> str:
    return pdf.html_for(SUMMARY_TEMPLATE, {"summary": summary}, title=summary.title, created=NOW)


async def render(summary: SummaryContent) -> bytes:
    """The summary as ``render_notices`` renders it."""
    return await pdf.render_pdf(
        SUMMARY_TEMPLATE, {"summary": summary}, title=summary.title, created=NOW
    )


@contextlib.asynccontextmanager
async def serving() -> AsyncIterator[int]:
    """The platform served on this event loop, on a free port, as ``caretender serve``
    serves it: the port."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings_from_env()),
        host="127.0.0.1",
        port=port,
        proxy_headers=False,
        http="httptools",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the server stopped before it started")
        await asyncio.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


def latencies(samples: list[Sample], began: float, ended: float) -> list[float]:
    return sorted(s.ms for s in samples if began <= s.sent <= ended)


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


@dataclass
class Round:
    """The serial run and the pool's on the same share of the summaries."""

    serial: Run
    pool: Run
    expected: list[bytes]
    rendered: list[bytes]
    #: What the poller measured, and when the pool began and ended (``time.monotonic()``).
    samples: list[Sample]
    began: float
    ended: float

    @property
    def healthz(self) -> list[float]:
        """The latencies of the requests sent while the pool rendered, in ms, sorted."""
        return latencies(self.samples, self.began, self.ended)

    @property
    def ratio(self) -> float:
        return self.pool.seconds / self.serial.seconds

    @property
    def others_cores(self) -> float:
        """The most the rest of the machine took, in either run."""
        return max(self.serial.others_cores, self.pool.others_cores)


async def one_round(port: int, contents: list[SummaryContent], htmls: list[str]) -> Round:
    """The serial baseline, then the pool on the same summaries with the poller going."""
    serial = Run()
    with serial.timed():
        expected = [pdf.write_pdf(html) for html in htmls]
    pool = Run()
    async with poller(port) as polling:
        began = time.monotonic()
        with pool.timed(polling.pid):
            rendered = await asyncio.gather(*(render(summary) for summary in contents))
        ended = time.monotonic()
    return Round(serial, pool, expected, rendered, polling.samples, began, ended)


async def one_database(profile: bool) -> Figures:
    opened = await database.start()
    try:
        contents = await summaries()
    finally:
        await database.stop(opened)
    htmls = [html_of(summary) for summary in contents]
    sizes = sorted(len(html) for html in htmls)
    print(
        f"{len(contents)} assessment summaries, HTML of {sizes[0] / 1000:.0f} to"
        f" {sizes[-1] / 1000:.0f} kB; {ROUNDS} rounds of {len(contents) // ROUNDS}, each"
        f" serial then through the pool ({pdf.WORKERS} workers)"
    )

    rounds: list[Round] = []
    async with serving() as port:
        async with poller(port) as idle:
            idle_began = time.monotonic()
            await asyncio.sleep(IDLE_S)
            idle_ended = time.monotonic()
        # The app set the root logger to INFO, at which WeasyPrint logs every page; the
        # workers, spawned with logging as Python starts it, log only warnings.
        logging.getLogger("weasyprint").setLevel(logging.WARNING)
        # Warm up: the fonts loaded here, and each worker started with its fonts loaded.
        pdf.write_pdf(htmls[0])
        warm_up = 2 * pdf.WORKERS
        await asyncio.gather(*(render(summary) for summary in contents[:warm_up]))
        for n in range(ROUNDS):
            # Every ROUNDS-th bidder: each round has successful and unsuccessful bidders.
            rounds.append(await one_round(port, contents[n::ROUNDS], htmls[n::ROUNDS]))
    pdf.shutdown()

    idle_ms = latencies(idle.samples, idle_began, idle_ended)
    batch_ms = sorted(ms for found in rounds for ms in found.healthz)
    samples = idle.samples + [sample for found in rounds for sample in found.samples]
    failures = Counter(sample.error for sample in samples if sample.error)
    expected = [document for found in rounds for document in found.expected]
    rendered = [document for found in rounds for document in found.rendered]
    not_pdf = sum(not document.startswith(b"%PDF-") for document in rendered + expected)
    identical = sum(a == b for a, b in zip(rendered, expected, strict=True))
    serial_s = sum(found.serial.seconds for found in rounds)
    pool_s = sum(found.pool.seconds for found in rounds)
    quietest = min(rounds, key=lambda found: found.others_cores)
    pages = [len(PdfReader(io.BytesIO(document)).pages) for document in expected]

    print(
        f"  {'round':<5} {'PDFs':>4} {'serial s':>8} {'pool s':>6} {'ratio':>6}"
        f" {'serial CPU':>10} {'workers CPU':>11} {'loop CPU':>8} {'poller CPU':>10}"
        f" {'others, cores':>13} {'healthz p99':>11}"
    )
    for n, found in enumerate(rounds, 1):
        serial, pool = found.serial, found.pool
        print(
            f"  {n:<5} {len(found.expected):>4} {serial.seconds:8.1f} {pool.seconds:6.1f}"
            f" {found.ratio:6.3f} {serial.own_cpu:10.1f} {pool.workers_cpu:11.1f}"
            f" {pool.own_cpu:8.1f} {pool.poller_cpu:10.1f}"
            f" {serial.others_cores:6.2f}/{pool.others_cores:4.2f}"
            f" {percentile(found.healthz, 99):8.1f} ms"
        )
    print(
        f"  {'all':<5} {len(expected):>4} {serial_s:8.1f} {pool_s:6.1f}"
        f" {pool_s / serial_s:6.3f}; the quietest round, {rounds.index(quietest) + 1}:"
        f" {quietest.ratio:.3f}"
    )
    print(
        "  (CPU in seconds: serial = this process in the serial run; in the pool's, workers ="
        " the PDF pool's processes, loop = this process, its event loop serving the platform,"
        " poller = the healthz client; others = the rest of the machine, in cores, in the"
        " serial run / the pool's: the niced workers give way to it)"
    )
    print(
        f"  target: pool / serial at most {TARGET_RATIO}, judged on the round the rest of the"
        f" machine took least of; {warm_up} renders of warm-up before, the pool replaced every"
        f" {pdf.RENDERS_PER_WORKER} renders a worker, while none is in progress"
    )
    if quietest.others_cores > SHARED_CORES:
        print(
            f"  the machine was shared in every round (at least {quietest.others_cores:.2f}"
            " cores taken by other processes): the ratio understates the pool"
        )
    print(f"  {'healthz':<30} {'count':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>8}")
    for name, values in (("server idle", idle_ms), ("while the pool rendered", batch_ms)):
        print(
            f"  {name:<30} {len(values):7} {statistics.median(values):7.1f}"
            f" {percentile(values, 99):7.1f} {max(values):8.1f}"
        )
    print(
        f"  checked: {len(rendered) + len(expected) - not_pdf} of"
        f" {len(rendered) + len(expected)} documents are PDFs ({min(pages)} to {max(pages)}"
        f" pages), {identical} of {len(rendered)} from the pool identical to the baseline's;"
        f" healthz failures: {dict(failures) or 'none'}"
    )
    return {
        "bidders": len(contents),
        "workers": pdf.WORKERS,
        "serial_s": round(serial_s, 1),
        "pool_s": round(pool_s, 1),
        "ratio": round(pool_s / serial_s, 3),
        "quietest_round_ratio": round(quietest.ratio, 3),
        "quietest_round_others_cores": round(quietest.others_cores, 2),
        "serial_cpu_s": round(sum(found.serial.own_cpu for found in rounds), 1),
        "pool_workers_cpu_s": round(sum(found.pool.workers_cpu for found in rounds), 1),
        "healthz_count": len(batch_ms),
        "healthz_p50_ms": round(statistics.median(batch_ms), 1),
        "healthz_p99_ms": round(percentile(batch_ms, 99), 1),
        "healthz_max_ms": round(max(batch_ms), 1),
        "healthz_idle_p99_ms": round(percentile(idle_ms, 99), 1),
        "healthz_failures": sum(failures.values()),
        "identical": identical,
        "checked": "ok"
        if not not_pdf and not failures and identical == len(rendered)
        else "FAILED",
    }


# -- the parent ---------------------------------------------------------------------------


def run(var_dir: Path) -> None:
    print(f"cores: {os.cpu_count()}; load average at start: {os.getloadavg()[0]:.1f}")
    figures = measure_child(
        "tests.bench.notices", f"sqlite:///{var_dir / 'caretender.sqlite'}", var_dir, []
    )
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    print()
    result = {
        **figures,
        "ratio_met": "yes" if float(figures["quietest_round_ratio"]) <= TARGET_RATIO else "no",
        "healthz_met": "yes" if float(figures["healthz_p99_ms"]) < TARGET_P99_MS else "no",
    }
    print("RESULT notices " + " ".join(f"{key}={value}" for key, value in result.items()))


def main() -> None:
    if POLL in sys.argv:
        uvloop.install()
        asyncio.run(poll(int(sys.argv[sys.argv.index(POLL) + 1])))
    elif CHILD in sys.argv:
        run_child(one_database)
    else:
        exit_on_sigterm()
        with temporary_var_dir() as var_dir:
            run(var_dir)


if __name__ == "__main__":
    main()
