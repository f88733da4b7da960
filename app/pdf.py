"""PDFs (receipts, award reports, letters) rendered from Jinja templates by WeasyPrint.

Templates live in ``templates/pdf/`` and extend ``pdf/base.html``. The HTML is rendered
here; WeasyPrint, synchronous and CPU-bound, turns it into PDF/A-3u in worker processes
(``app.pdf_writer``, which only they import) so the event loop never waits on it. There
is a worker for every core the process may run on, so that a burst of PDFs (issuing a
tender's notices renders two for every bidder) has the whole machine; the workers run at
a lower scheduling priority (``WORKER_NICENESS``), so the kernel runs the web server's
event loop first whenever it has work, and pages and health checks stay quick while the
burst goes on.

The same template and context give the same bytes (with the same WeasyPrint and fonts):
the dates come from the caller, the PDF identifier from a hash of the HTML, fonts from the
system only. Rendering never touches the network: the only URLs served are files in
``templates/pdf/``.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment

from app.templating import make_environment

#: Worker processes: one a core this process may run on (its CPU affinity, where the
#: system has one), so a burst of PDFs uses the whole machine.
WORKERS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
#: Added to the workers' nice value: the web server, at the default priority, gets the CPU
#: before them whenever it wants it, and they take what it leaves.
WORKER_NICENESS = 10
#: Renders each worker makes before the workers are replaced, so WeasyPrint's caches cannot
#: grow for ever. Done by replacing the pool rather than with ``max_tasks_per_child``, which
#: deadlocks queued work on Python 3.11 (cpython gh-115634, not fixed there); and only when
#: no render is in progress, so that a burst (a tender's notices) never starts a second
#: pool beside the first on the same cores.
RENDERS_PER_WORKER = 100


def _start_worker(server: int) -> None:
    """In each worker process as it starts: give way to the web server, and go when it
    goes. A worker holds both ends of its queue, so it would never see a killed server's
    end close, and would live on (found by the crash test)."""
    os.nice(WORKER_NICENESS)
    threading.Thread(target=_exit_with, args=(server,), daemon=True).start()


def _exit_with(server: int) -> None:
    while os.getppid() == server:
        time.sleep(1)
    os._exit(1)


def write_pdf(html: str) -> bytes:
    """The HTML as PDF/A-3u, identified by its own SHA-256: what a worker process does for
    each render, synchronously, in the calling process. WeasyPrint is imported here, not
    with this module, so that the web server, which only hands HTML to the workers, never
    loads it: a third of its start-up time."""
    from app import pdf_writer

    return pdf_writer.write_pdf(html)


class _Pool:
    """The worker processes: spawned (never forked from a process running an event loop
    and threads) on first use, and replaced once they have made ``RENDERS_PER_WORKER``
    renders each and none is in progress."""

    def __init__(self) -> None:
        self.executor: ProcessPoolExecutor | None = None
        self.renders = 0
        #: Renders submitted and not yet finished (``render_pdf`` counts them).
        self.in_flight = 0

    def for_one_render(self) -> ProcessPoolExecutor:
        worn = self.renders >= RENDERS_PER_WORKER * WORKERS
        if self.executor is not None and worn and not self.in_flight:
            self.executor.shutdown(wait=False)
            self.executor = None
        if self.executor is None:
            self.executor = ProcessPoolExecutor(
                WORKERS,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
            self.renders = 0
        self.renders += 1
        return self.executor

    def discard(self, executor: ProcessPoolExecutor) -> None:
        """Drop a pool whose worker died (killed, out of memory): a broken pool refuses
        all work, so the next render needs a new one."""
        if self.executor is executor:
            self.executor = None
        executor.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None


_pool = _Pool()


def executor() -> ProcessPoolExecutor:
    """The process pool for one more render (counted towards replacing the workers)."""
    return _pool.for_one_render()


def shutdown() -> None:
    """Stop the workers, waiting for renders in progress and cancelling queued ones; safe
    to call more than once, and the next render starts a new pool."""
    _pool.shutdown()


def html_for(
    template_name: str,
    context: Mapping[str, Any],
    *,
    title: str,
    created: datetime,
    environment: Environment | None = None,
) -> str:
    """The HTML ``render_pdf`` makes a PDF of, with the same arguments."""
    if created.tzinfo is None:
        raise ValueError("created must be timezone-aware")
    template = (environment or make_environment()).get_template(template_name)
    # pdf/base.html writes these into the document's metadata.
    stamp = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return template.render({**context, "pdf_title": title, "pdf_created": stamp})


async def pdf_of(html: str) -> bytes:
    """The HTML (from ``html_for``) as PDF/A-3u, made in the worker processes. A pool
    broken under the render (a worker killed, out of memory, or failing to start) is
    replaced and the render made once more on the new one; raises ``BrokenProcessPool``
    if that breaks too."""
    try:
        return await _render_once(html)
    except BrokenProcessPool:
        return await _render_once(html)  # on the pool that replaced the broken one


async def _render_once(html: str) -> bytes:
    """One render on the current pool; a pool that breaks under it is dropped."""
    pool = executor()
    _pool.in_flight += 1
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, write_pdf, html)
    except BrokenProcessPool:
        _pool.discard(pool)
        raise
    finally:
        _pool.in_flight -= 1


async def render_pdf(
    template_name: str,
    context: Mapping[str, Any],
    *,
    title: str,
    created: datetime,
    environment: Environment | None = None,
) -> bytes:
    """A PDF/A-3u document from a template in ``templates/pdf/``.

    ``created`` is both its creation and modification date, so rendering the same template
    and context again gives identical bytes. ``environment`` defaults to the platform's;
    tests pass one that also finds their own templates.
    """
    return await pdf_of(
        html_for(template_name, context, title=title, created=created, environment=environment)
    )
