"""The PDF renderer: text escaped, identical bytes for identical input, PDF/A-3u, nothing
fetched from outside the assets folder, and WeasyPrint kept off the event loop."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import lxml.etree
import pytest
from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from pypdf import PdfReader

from app import pdf, pdf_writer
from app.templating import make_environment

CREATED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
RECEIPT = {
    "provider": "Moorlands Supported Living CIC",
    "note": "We'll start in March. <b>Not bold</b> & <script>alert(1)</script>",
    "prices": [("Supported living, 1:1 hours", "£1,234.50"), ("Waking night", "£980.00")],
}
PDFAID = "http://www.aiim.org/pdfa/ns/id/"


@pytest.fixture(scope="module", autouse=True)
def worker_pool() -> Iterator[None]:
    """One pool for the module's renders, stopped with it."""
    yield
    pdf.shutdown()


@pytest.fixture(scope="module")
def environment() -> Environment:
    """The platform's environment, also finding the templates kept for these tests."""
    platform = make_environment()
    loader = ChoiceLoader(
        [FileSystemLoader(Path(__file__).parent / "templates_pdf"), platform.loader]
    )
    return platform.overlay(loader=loader)


async def render_receipt(environment: Environment) -> bytes:
    return await pdf.render_pdf(
        "receipt.html", RECEIPT, title="Bid receipt", created=CREATED, environment=environment
    )


def text(document: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages)


async def test_pdf_shows_the_context_as_text_with_html_escaped(environment: Environment) -> None:
    document = await render_receipt(environment)

    assert document.startswith(b"%PDF-")
    shown = text(document)
    assert "Submitted by Moorlands Supported Living CIC." in shown
    assert "We'll start in March. <b>Not bold</b> & <script>alert(1)</script>" in shown
    assert "£1,234.50" in shown
    # The footer comes from pdf.css, so the bundled stylesheet was served.
    assert "Page 1 of 1" in shown


async def test_pdf_metadata_has_the_title_language_and_given_dates(
    environment: Environment,
) -> None:
    reader = PdfReader(io.BytesIO(await render_receipt(environment)))

    assert reader.metadata.title == "Bid receipt"
    assert reader.metadata.creation_date == CREATED
    assert reader.metadata.modification_date == CREATED
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"


async def test_same_input_gives_identical_bytes_in_another_process(
    environment: Environment,
) -> None:
    first = await render_receipt(environment)
    # A new pool is a new worker process, with its own hash seed and font caches.
    pdf.shutdown()
    second = await render_receipt(environment)

    assert first == second


async def test_pdf_declares_pdf_a_3u(environment: Environment) -> None:
    reader = PdfReader(io.BytesIO(await render_receipt(environment)))
    xmp = lxml.etree.fromstring(reader.trailer["/Root"]["/Metadata"].get_object().get_data())

    assert xmp.xpath("//@pdfaid:part", namespaces={"pdfaid": PDFAID}) == ["3"]
    assert xmp.xpath("//@pdfaid:conformance", namespaces={"pdfaid": PDFAID}) == ["U"]


class CountingHandler(BaseHTTPRequestHandler):
    """A server for the worker to reach if the fetcher let it: each request is counted."""

    requests: list[str] = []

    def do_GET(self) -> None:
        self.requests.append(self.path)
        body = b'body::after { content: "FETCHED FROM THE NETWORK" }'
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_rendering_fetches_nothing_outside_the_assets_folder(
    environment: Environment, local_server: str, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.css"
    outside.write_text('body::after { content: "READ FROM THE DISK" }')
    CountingHandler.requests.clear()

    document = await pdf.render_pdf(
        "outside_world.html",
        {
            "stylesheet_url": f"{local_server}/style.css",
            "image_url": f"{local_server}/logo.png",
            "outside_stylesheet": outside.as_uri(),
        },
        title="Outside world",
        created=CREATED,
        environment=environment,
    )

    shown = text(document)
    assert "Nothing below comes from outside the assets folder." in shown
    assert "FETCHED FROM THE NETWORK" not in shown
    assert "READ FROM THE DISK" not in shown
    assert CountingHandler.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/x.png",
        "http://127.0.0.1:8000/static/caretender.css",
        "file:///etc/passwd",
        "file://example.com/etc/passwd",
        (pdf_writer.ASSETS_DIR / ".." / "layout.html").as_uri(),
        (pdf_writer.ASSETS_DIR / "missing.css").as_uri(),
        "data:text/css,body{color:red}",
    ],
)
def test_fetcher_refuses_anything_but_a_bundled_asset(url: str) -> None:
    with pytest.raises(ValueError, match="PDFs use only the files in"):
        pdf_writer.AssetFetcher().fetch(url)


def test_fetcher_serves_the_bundled_stylesheet() -> None:
    stylesheet = pdf_writer.ASSETS_DIR / "pdf.css"

    response = pdf_writer.AssetFetcher().fetch(stylesheet.as_uri())

    assert response.read() == stylesheet.read_bytes()
    assert response.content_type == "text/css"


async def test_weasyprint_runs_in_a_spawned_worker_process() -> None:
    executor = pdf.executor()
    worker_pid = await asyncio.get_running_loop().run_in_executor(executor, os.getpid)

    assert worker_pid != os.getpid()
    assert executor._mp_context.get_start_method() == "spawn"


async def test_workers_run_at_a_lower_priority_than_the_server() -> None:
    # os.nice(0) changes nothing and answers the process's niceness.
    worker = await asyncio.get_running_loop().run_in_executor(pdf.executor(), os.nice, 0)

    assert worker == min(os.nice(0) + pdf.WORKER_NICENESS, 19)


async def test_a_burst_of_renders_never_starts_a_second_pool_beside_the_first(
    environment: Environment, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf.shutdown()
    monkeypatch.setattr(pdf, "RENDERS_PER_WORKER", 1)
    burst = 3 * pdf.WORKERS
    rendered = await asyncio.gather(*(render_receipt(environment) for _ in range(burst)))
    assert len(set(rendered)) == 1
    # Worn out long before the burst ended, the pool was kept until it was over...
    assert pdf._pool.renders == burst
    assert pdf._pool.in_flight == 0
    # ...and replaced for the next render.
    assert (await render_receipt(environment)).startswith(b"%PDF-")
    assert pdf._pool.renders == 1


async def test_a_render_on_a_pool_broken_by_a_killed_worker_is_made_on_a_new_pool(
    environment: Environment,
) -> None:
    """Found by the soak: a broken pool failed the render that found it broken (500)."""
    broken = pdf.executor()
    worker_pid = await asyncio.get_running_loop().run_in_executor(broken, os.getpid)
    os.kill(worker_pid, signal.SIGKILL)

    assert (await render_receipt(environment)).startswith(b"%PDF-")
    assert pdf.executor() is not broken


def _die(html: str) -> bytes:
    """A render that kills its worker."""
    os._exit(1)


async def test_a_render_fails_when_the_new_pool_breaks_too(
    environment: Environment, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf.shutdown()
    monkeypatch.setattr(pdf, "write_pdf", _die)

    with pytest.raises(BrokenProcessPool):
        await pdf.pdf_of("<p>Never made</p>")


#: A server in miniature: starts the pool, prints its workers' pids, then waits.
_SERVER_WITH_WORKERS = """
import time
from app import pdf
executor = pdf.executor()
for started in [executor.submit(time.sleep, 0.3) for _ in range(2 * pdf.WORKERS)]:
    started.result()
print(" ".join(map(str, sorted(set(executor._processes)))), flush=True)
time.sleep(60)
"""


def _running(pid: int) -> bool:
    """Alive and not a zombie (nobody may reap an orphan in a container)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


async def test_the_workers_go_when_the_server_is_killed() -> None:
    """Found by the crash test: after a SIGKILL of the server its PDF workers lived on."""
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _SERVER_WITH_WORKERS, stdout=asyncio.subprocess.PIPE
    )
    assert server.stdout is not None
    workers = [int(pid) for pid in (await server.stdout.readline()).split()]
    assert len(workers) == pdf.WORKERS
    assert all(_running(pid) for pid in workers)
    server.kill()
    # Within the time limit: a worker left alive keeps the server's stdout open.
    await asyncio.wait_for(server.wait(), timeout=15)
    for _ in range(100):
        if not any(_running(pid) for pid in workers):
            break
        await asyncio.sleep(0.1)
    assert [pid for pid in workers if _running(pid)] == []


def test_the_web_server_never_loads_weasyprint() -> None:
    """Only the workers render: loading WeasyPrint was a third of the server's start-up."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, app.application, app.cli; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "'app.pdf'" in loaded
    assert "weasyprint" not in loaded


async def test_naive_creation_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await pdf.render_pdf("pdf/base.html", {}, title="Letter", created=datetime(2026, 11, 23))
