"""Evidence uploads: throughput against the disk, the server's memory, and refusal of a body
over the limit.

Run with ``python -m tests.bench.upload``. In a temporary directory it migrates a SQLite
database, makes a provider's bid on a published tender in this process (through the same
services providers use), serves the platform with ``caretender serve`` and measures, best
of ROUNDS taken in turns (the machine may be shared):

* a 100 MB PDF sent with its Content-Length, as a browser sends a form, by http.client in
  256 KiB chunks straight to the socket, to
  ``POST /api/v1/bids/{bid}/lots/{lot}/questions/{question}/evidence`` (evidence limit
  raised to 200 MB): MB/s. (httpx, sending chunked from a generator, took 0.6 ms of CPU
  a MB to http.client's 0.25, on the two cores the server needs too.)
* against it, a plain write of the same chunks to a file on the same disk in the same run,
  then fsync: the store fsyncs before it answers, so this is the disk doing the same work,
  and the ratio the target is set on. Without fsync it mostly measures copying into the
  page cache: printed too. The plain file is deleted at once and the store lets an upload's
  pages go once they are on the disk, so each write gets memory just freed (on this VM,
  memory the kernel has not touched for a while is several times slower to write into);
* the same body to ``drain``, an ASGI app that only reads it, served by uvicorn as the
  platform is: what the server itself costs an upload (a guide, not a bound: an app that
  reads more slowly is handed fewer, larger pieces);
* SHA-256 of the same chunks in one thread: the store hashes every upload (its files are
  named by digest), in the thread that also writes it, while the event loop receives the
  next batch on the other core;
* the server's resident memory during that upload, sampled from /proc every ~10 ms from a
  thread, and its growth over the memory before the upload;
* a 1 GB upload to a second server with the default 50 MB limit, sent with its
  Content-Length and chunked (without one): the status, and how much of the body the client
  had handed to its socket when the answer or the closed connection came back.

MB are 1,000,000 bytes, as in CARETENDER_EVIDENCE_MAX_MB. No timing is asserted; it prints
its figures and ends with one ``RESULT upload`` line.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import http.client
import json
import os
import select
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from litestar.types import Receive, Scope, Send

from tests.bench.opportunities import cpu_seconds
from tests.bench.processes import (
    clean_env,
    exit_on_sigterm,
    migrate,
    serve_command,
    server,
    temporary_var_dir,
)
from tests.bench.signin import (
    free_port,
    peak_rss_mb,
    reset_peak_rss,
    rss_mb,
)

MB = 1_000_000
UPLOAD_BYTES = 100 * MB
REFUSED_BYTES = 1000 * MB
CHUNK = 256 * 1024
ROUNDS = 5
SAMPLE_S = 0.01
BOUNDARY = "caretender-bench-upload"
PASSWORD = "correct horse battery staple"
PROVIDER_EMAIL = "bench.provider@upload.example"
#: A fixed block of filler, so that making the body costs the client next to nothing.
FILLER = bytes(range(256)) * (CHUNK // 256)


# -- data ---------------------------------------------------------------------------------


async def seed() -> str:
    """A provider's bid on a one-lot tender, open for a month: its evidence URL."""
    from app import accounts, database
    from app.clock import FixedClock
    from app.platform import Platform
    from app.settings import settings_from_env
    from tenders.services import bids
    from tenders.tables import Tender
    from tests import conftest
    from tests.conftest import START
    from tests.tenders.factories import DEADLINE, published_tender

    # The suite's conftest, imported with the factories, makes a folder for a test
    # database; this process uses the one CARETENDER_DATABASE_URL names.
    with contextlib.suppress(OSError):
        conftest._TMP.rmdir()
    opened = await database.start()
    try:
        # The factories' dates are the suite's: made then, the deadline moved a month ahead.
        platform = Platform(settings_from_env(), FixedClock(START))
        officer = await accounts.create_buyer(
            platform, "Bench County Council", "Priya Shah", "officer@bench.example", PASSWORD
        )
        tender = await published_tender(platform, officer, lots=1)
        deadline = max(DEADLINE, datetime.now(UTC) + timedelta(days=30))
        await Tender.update({Tender.submission_deadline: deadline.astimezone(UTC)}).where(
            Tender.id == tender.id
        )
        provider = await accounts.register_provider(
            platform,
            {
                "organisation_name": "Bench Supported Living CIC",
                "cqc_provider_id": "1-101234567",
                "contact_name": "Helen Mills",
                "email": PROVIDER_EMAIL,
                "password": PASSWORD,
            },
        )
        bid_id = await bids.start_bid(platform, provider, tender.id)
        lot = tender.lots[0]
        question = tender.questions_for(lot)[0]
        return f"/api/v1/bids/{bid_id}/lots/{lot.id}/questions/{question.id}/evidence"
    finally:
        await database.stop(opened)


# -- bodies -------------------------------------------------------------------------------


def pdf_chunks(size: int, tag: int) -> Iterator[bytes]:
    """A valid PDF of exactly ``size`` bytes, in CHUNK-sized pieces; ``tag`` makes it
    unlike the other rounds' (the store keeps one copy of identical files)."""
    head = f"%PDF-1.7\n% round {tag}\n".encode()
    tail = b"\n%%EOF\n"
    first = head + FILLER[: CHUNK - len(head)]
    yield first
    left = size - len(first) - len(tail)
    while left > CHUNK:
        yield FILLER
        left -= CHUNK
    yield FILLER[:left] + tail


def part_head(filename: str) -> bytes:
    return (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()


PART_END = f"\r\n--{BOUNDARY}--\r\n".encode()


@dataclass
class Body:
    """A multipart body of one file, made as it is sent; counts what the client took."""

    size: int
    tag: int
    sent: int = 0

    def length(self) -> int:
        return len(part_head("evidence.pdf")) + self.size + len(PART_END)

    def __iter__(self) -> Iterator[bytes]:
        for chunk in (part_head("evidence.pdf"), *pdf_chunks(self.size, self.tag), PART_END):
            yield chunk
            self.sent += len(chunk)


def headers(token: str | None, length: int | None = None) -> dict[str, str]:
    sent = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    if length is not None:
        sent["Content-Length"] = str(length)
    return sent


def post(port: int, url: str, token: str | None, body: Body) -> tuple[int, bytes]:
    """Send ``body`` with its Content-Length, as a browser sends a form, each chunk
    straight to the socket: the answer's status and body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        connection.request("POST", url, body=body, headers=headers(token, body.length()))
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def sign_in(base: str) -> str:
    response = httpx.post(
        f"{base}/api/v1/tokens", json={"email": PROVIDER_EMAIL, "password": PASSWORD}, timeout=60
    )
    response.raise_for_status()
    return response.json()["token"]


# -- measures -----------------------------------------------------------------------------


class RssSampler(threading.Thread):
    """The highest VmRSS of a process, read every SAMPLE_S until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0.0
        self.samples = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            self.samples += 1
            time.sleep(SAMPLE_S)

    def stop(self) -> float:
        self._done.set()
        self.join()
        return self.peak


@dataclass
class Upload:
    status: int
    mb_per_s: float
    rss_before: float
    rss_peak: float
    hwm_growth: float
    samples: int
    #: CPU seconds per second of upload: the server's, and this client's.
    server_cpu: float
    client_cpu: float


def upload(port: int, url: str, token: str, pid: int, tag: int) -> Upload:
    body = Body(UPLOAD_BYTES, tag)
    rss_before = rss_mb(pid)
    reset_peak_rss(pid)
    hwm_before = peak_rss_mb(pid)
    sampler = RssSampler(pid)
    sampler.start()
    cpu_before, client_before = cpu_seconds(pid), time.process_time()
    started = time.perf_counter()
    status, answer = post(port, url, token, body)
    elapsed = time.perf_counter() - started
    server_cpu = (cpu_seconds(pid) - cpu_before) / elapsed
    client_cpu = (time.process_time() - client_before) / elapsed
    peak = sampler.stop()
    if status != 201 or json.loads(answer)["size"] != UPLOAD_BYTES:
        raise RuntimeError(f"upload {tag} gave {status}: {answer[:500]!r}")
    return Upload(
        status,
        UPLOAD_BYTES / MB / elapsed,
        rss_before,
        max(peak, rss_mb(pid)),
        peak_rss_mb(pid) - hwm_before,
        sampler.samples,
        server_cpu,
        client_cpu,
    )


async def drain(scope: Scope, receive: Receive, send: Send) -> None:
    """An ASGI app that reads a request's body, keeps none of it and answers how many bytes
    it read."""
    read = 0
    while True:
        message = await receive()
        read += len(message.get("body", b""))
        if not message.get("more_body", False):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(read).encode()})


def drained(port: int, tag: int) -> float:
    """The upload's body sent to ``drain``: MB/s."""
    body = Body(UPLOAD_BYTES, tag)
    started = time.perf_counter()
    status, answer = post(port, "/", None, body)
    elapsed = time.perf_counter() - started
    if status != 200 or int(answer) != body.length():
        raise RuntimeError(f"the drain gave {status}: {answer[:500]!r}")
    return UPLOAD_BYTES / MB / elapsed


def disk_write(folder: Path, tag: int, *, fsync: bool) -> float:
    """The same chunks written to a file as they are made, then (``fsync``) flushed to the
    disk, as the store does before it answers: MB/s."""
    path = folder / f"plain-{tag}-{fsync}"
    started = time.perf_counter()
    with path.open("xb") as out:
        for chunk in pdf_chunks(UPLOAD_BYTES, tag):
            out.write(chunk)
        if fsync:
            out.flush()
            os.fsync(out.fileno())
    elapsed = time.perf_counter() - started
    path.unlink()
    return UPLOAD_BYTES / MB / elapsed


def hashed(tag: int) -> float:
    """SHA-256 of the same chunks in one thread, as the store hashes an upload: MB/s. The
    store's thread also writes what it hashes, beside the event loop receiving the body,
    on the same cores."""
    digest = hashlib.sha256()
    chunks = list(pdf_chunks(UPLOAD_BYTES, tag))
    started = time.perf_counter()
    for chunk in chunks:
        digest.update(chunk)
    return UPLOAD_BYTES / MB / (time.perf_counter() - started)


@dataclass
class Refusal:
    how: str
    status: str
    #: What the client had handed to its socket when the answer's head arrived.
    at_answer_mb: float
    #: What it had handed over when the server closed the connection, or all of it.
    accepted_mb: float
    closed: bool
    seconds: float


def refused_upload(port: int, url: str, token: str, *, announce: bool) -> Refusal:
    """1 GB to a server whose limit is 50 MB, over a plain socket (httpx reads no answer
    before the whole body is sent): sending goes on after the answer arrives, to see
    whether the server closes the connection or reads the rest."""
    body = Body(REFUSED_BYTES, 0)
    framing = f"Content-Length: {body.length()}" if announce else "Transfer-Encoding: chunked"
    head = (
        f"POST {url} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        + "".join(f"{name}: {value}\r\n" for name, value in headers(token).items())
        + f"{framing}\r\n\r\n"
    ).encode()
    chunks = iter(body)
    answer = b""
    at_answer: float | None = None
    closed = False
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        pending = memoryview(b"")
        while time.perf_counter() - started < 60:
            if not pending:
                chunk = next(chunks, None)
                if chunk is None:
                    break
                pending = memoryview(chunk if announce else b"%x\r\n%s\r\n" % (len(chunk), chunk))
            readable, writable, _ = select.select([sock], [sock], [], 1)
            if readable:
                try:
                    received = sock.recv(65536)
                except ConnectionError:
                    received = b""
                if not received:
                    closed = True
                    break
                answer += received
                if at_answer is None and b"\r\n\r\n" in answer:
                    at_answer = body.sent
            if writable:
                try:
                    pending = pending[sock.send(pending) :]
                except (BlockingIOError, InterruptedError):
                    pass
                except ConnectionError:
                    closed = True
                    break
    status = answer.split(b" ", 2)[1].decode() if answer.startswith(b"HTTP/") else "none"
    return Refusal(
        "Content-Length" if announce else "chunked",
        status,
        (body.sent if at_answer is None else at_answer) / MB,
        body.sent / MB,
        closed,
        time.perf_counter() - started,
    )


# -- main ---------------------------------------------------------------------------------


def run(var_dir: Path) -> None:
    env = clean_env(var_dir)
    for key in [key for key in os.environ if key.startswith("CARETENDER_")]:
        del os.environ[key]
    # Named here, as the server finds it by default: the suite's conftest, imported with
    # the factories, would otherwise point this process at a test database of its own.
    os.environ["CARETENDER_VAR_DIR"] = str(var_dir)
    os.environ["CARETENDER_DATABASE_URL"] = f"sqlite:///{var_dir / 'caretender.sqlite'}"
    print(f"cores: {os.cpu_count()}; load average at start: {os.getloadavg()[0]:.1f}")

    migrate(env)
    url = asyncio.run(seed())
    files_dir = var_dir / "files"
    plain_dir = var_dir / "plain"
    plain_dir.mkdir()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve = serve_command(port)
    large = {**env, "CARETENDER_EVIDENCE_MAX_MB": "200", "CARETENDER_BID_MAX_MB": "2000"}
    drain_port = free_port()
    drain_serve = [
        *[sys.executable, "-m", "uvicorn", "tests.bench.upload:drain", "--lifespan", "off"],
        *["--host", "127.0.0.1", "--port", str(drain_port), "--no-proxy-headers"],
    ]
    uploads: list[Upload] = []
    drains: list[float] = []
    plain: list[float] = []
    plain_fsync: list[float] = []
    hashes: list[float] = []
    with (
        server(serve, large, var_dir / "serve.log", port) as served,
        server(drain_serve, env, var_dir / "drain.log", drain_port),
    ):
        pid = served.pid
        token = sign_in(base)
        # Warm up: the route's imports, connections and caches, before memory is measured.
        status, answer = post(port, url, token, Body(2 * MB, 99))
        if status != 201:
            raise RuntimeError(f"the warm-up upload gave {status}: {answer[:500]!r}")
        rss_idle = rss_mb(pid)
        # The measures take turns, best of ROUNDS each: the machine may be shared.
        for tag in range(1, ROUNDS + 1):
            uploads.append(upload(port, url, token, pid, tag))
            drains.append(drained(drain_port, tag))
            plain.append(disk_write(plain_dir, tag, fsync=False))
            plain_fsync.append(disk_write(plain_dir, tag, fsync=True))
            hashes.append(hashed(tag))
    stored = [path for path in (files_dir / "sha256").rglob("*") if path.is_file()]
    left_tmp = list((files_dir / "tmp").glob("*"))

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with server(serve_command(port), env, var_dir / "serve-default.log", port) as served:
        pid = served.pid
        token = sign_in(base)
        rss_before_refusals = rss_mb(pid)
        sampler = RssSampler(pid)
        sampler.start()
        refusals = [
            refused_upload(port, url, token, announce=True),
            refused_upload(port, url, token, announce=False),
        ]
        refusal_peak = sampler.stop()
    left_tmp += list((files_dir / "tmp").glob("*"))

    best = max(uploads, key=lambda u: u.mb_per_s)
    drain_best = max(drains)
    disk = max(plain)
    disk_fsync = max(plain_fsync)
    growth = max(u.rss_peak - u.rss_before for u in uploads)
    chunked = refusals[1]
    print()
    print(
        f"{UPLOAD_BYTES // MB} MB PDF in {CHUNK // 1024} KiB chunks with its Content-Length,"
        f" to the evidence route over 127.0.0.1; {ROUNDS} rounds, each beside a plain write"
    )
    print(
        f"  {'round':>5} {'upload MB/s':>11} {'drain MB/s':>10} {'disk+fsync MB/s':>15}"
        f" {'disk MB/s':>9}"
        f" {'RSS before':>10} {'RSS peak':>9} {'growth':>7} {'VmHWM growth':>12} {'samples':>7}"
        f" {'server CPU':>10} {'client CPU':>10}"
    )
    for n, (u, c, f, d) in enumerate(zip(uploads, drains, plain_fsync, plain, strict=True), 1):
        print(
            f"  {n:>5} {u.mb_per_s:11.0f} {c:10.0f} {f:15.0f} {d:9.0f} {u.rss_before:7.0f} MB"
            f" {u.rss_peak:6.0f} MB {u.rss_peak - u.rss_before:4.1f} MB"
            f" {u.hwm_growth:9.1f} MB {u.samples:>7} {u.server_cpu:10.0%} {u.client_cpu:10.0%}"
        )
    print(
        f"  best upload {best.mb_per_s:.0f} MB/s; best plain write with fsync"
        f" {disk_fsync:.0f} MB/s (ratio {best.mb_per_s / disk_fsync:.2f}, target at least"
        f" 0.5); without fsync {disk:.0f} MB/s (ratio {best.mb_per_s / disk:.2f})"
    )
    print(
        f"  the same body to an app that only reads it, on the same server: best"
        f" {drain_best:.0f} MB/s (ratio to the plain write with fsync"
        f" {drain_best / disk_fsync:.2f})"
    )
    print(
        f"  SHA-256 alone, in one thread: best {max(hashes):.0f} MB/s (ratio to the plain"
        f" write with fsync {max(hashes) / disk_fsync:.2f}): the store hashes and writes in"
        " one thread while the event loop receives"
    )
    print(
        f"  server RSS after warm-up {rss_idle:.0f} MB; peak growth during an upload"
        f" {growth:.1f} MB (target at most 30)"
    )
    print(f"  stored files: {len(stored)}; temporary files left: {len(left_tmp)}")
    print()
    print(f"{REFUSED_BYTES // MB} MB upload to a server with the default 50 MB limit")
    print(
        f"  {'sent as':<15} {'status':>6} {'sent at the answer':>18}"
        f" {'sent in all':>11} {'then':<28} {'seconds':>7}"
    )
    for refusal in refusals:
        then = "the server closed" if refusal.closed else "the server read all of it"
        print(
            f"  {refusal.how:<15} {refusal.status:>6} {refusal.at_answer_mb:15.1f} MB"
            f" {refusal.accepted_mb:8.1f} MB {then:<28} {refusal.seconds:7.2f}"
        )
    print(
        "  (sent = handed to the client's socket; the two sockets' buffers hold a few MB the"
        f" server has not read. Server RSS {rss_before_refusals:.0f} MB before, peak"
        f" {refusal_peak:.0f} MB)"
    )
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    print()
    figures = {
        "mb_per_s": f"{best.mb_per_s:.0f}",
        "disk_fsync_mb_per_s": f"{disk_fsync:.0f}",
        "ratio": f"{best.mb_per_s / disk_fsync:.2f}",
        "disk_mb_per_s": f"{disk:.0f}",
        "ratio_no_fsync": f"{best.mb_per_s / disk:.2f}",
        "drain_mb_per_s": f"{drain_best:.0f}",
        "sha256_mb_per_s": f"{max(hashes):.0f}",
        "peak_rss_growth_mb": f"{growth:.1f}",
        "refused_after_mb": f"{chunked.at_answer_mb:.1f}",
        "refused_status": chunked.status,
        "read_after_refusal_mb": f"{chunked.accepted_mb - chunked.at_answer_mb:.1f}",
        "announced_refused_after_mb": f"{refusals[0].at_answer_mb:.1f}",
        "announced_refused_status": refusals[0].status,
        "announced_read_after_refusal_mb": (
            f"{refusals[0].accepted_mb - refusals[0].at_answer_mb:.1f}"
        ),
        "temporary_files_left": str(len(left_tmp)),
    }
    print("RESULT upload " + " ".join(f"{key}={value}" for key, value in figures.items()))


def main() -> None:
    exit_on_sigterm()
    with temporary_var_dir() as var_dir:
        run(var_dir)


if __name__ == "__main__":
    main()
