"""An evidence upload cut short, by the client going away or by the server being killed,
leaves no evidence row and no stored file behind."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from litestar import Litestar

from app.settings import Settings
from tenders.services import bids
from tenders.tables import Evidence, Tender
from tests.bench.processes import serve_command, server
from tests.bench.signin import free_port
from tests.conftest import PASSWORD, bearer, buyer_officer, provider_user
from tests.tenders.factories import DEADLINE, published_tender

BOUNDARY = "caretender-interrupted-upload"
CHUNK = 64 * 1024
PDF_START = b"%PDF-1.7\n"
#: The cheapest argon2id parameters, for the users these tests sign in to a real server.
CHEAP_ARGON2 = {
    "CARETENDER_ARGON2_TIME_COST": "1",
    "CARETENDER_ARGON2_MEMORY_COST": "8",
    "CARETENDER_ARGON2_PARALLELISM": "1",
}


async def _open_bid(platform, *, deadline: datetime = DEADLINE) -> tuple[Any, UUID, str]:
    """A provider's bid on a one-lot tender (its lot chosen when it starts), open until
    ``deadline``: (the provider, the bid's id, the evidence URL of its pass/fail question)."""
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    if deadline != DEADLINE:
        await Tender.update({Tender.submission_deadline: deadline.astimezone(UTC)}).where(
            Tender.id == tender.id
        )
    provider = await provider_user(platform)
    bid_id = await bids.start_bid(platform, provider, tender.id)
    lot = tender.lots[0]
    question = tender.questions_for(lot)[0]
    url = f"/api/v1/bids/{bid_id}/lots/{lot.id}/questions/{question.id}/evidence"
    return provider, bid_id, url


def _part_head(filename: str = "cqc-registration.pdf") -> bytes:
    return (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()


def _files_tree(settings: Settings) -> set[Path]:
    """Every file under the store's folder, the audit checkpoints aside (the app may write
    them whenever it records an event)."""
    if not settings.files_dir.exists():
        return set()
    return {
        path
        for path in settings.files_dir.rglob("*")
        if path.is_file() and path != settings.audit_checkpoints_path
    }


# The client goes away ---------------------------------------------------------------------


def _scope(url: str, headers: dict[str, str]) -> dict[str, Any]:
    """An HTTP scope as a server makes it, for a multipart body of unknown length."""
    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    raw += [
        (b"host", b"testserver"),
        (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
        (b"transfer-encoding", b"chunked"),
    ]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "https",
        "path": url,
        "raw_path": url.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": raw,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 443),
    }


def _body_chunks(count: int) -> list[bytes]:
    """The start of a PDF upload: the part's headers, then ``count`` chunks of the file."""
    return [_part_head() + PDF_START, *(b"0" * CHUNK for _ in range(count))]


async def _call(app: Litestar, url: str, headers: dict[str, str], receive: Callable) -> list[dict]:
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    await asyncio.wait_for(app(_scope(url, headers), receive, send), timeout=10)
    return sent


async def test_a_client_that_disconnects_mid_upload_leaves_nothing_behind(
    app, client, platform, settings
):
    provider, _, url = await _open_bid(platform)
    headers = await bearer(client, provider.email)
    before = _files_tree(settings)
    # Past the store's write batch, so that part of the file was on disk when it stopped.
    chunks = _body_chunks(40)

    async def receive() -> dict:
        if chunks:
            return {"type": "http.request", "body": chunks.pop(0), "more_body": True}
        return {"type": "http.disconnect"}

    sent = await _call(app, url, headers, receive)

    statuses = [m["status"] for m in sent if m["type"] == "http.response.start"]
    assert 201 not in statuses
    assert await Evidence.count() == 0
    assert _files_tree(settings) == before
    assert not list((settings.files_dir / "tmp").glob("*"))


async def test_an_upload_cancelled_by_the_server_mid_stream_leaves_nothing_behind(
    app, client, platform, settings
):
    """A server that cancels the request's task (on shutdown, or a timeout) rather than
    telling it of a disconnect: the partial file still goes."""
    provider, _, url = await _open_bid(platform)
    headers = await bearer(client, provider.email)
    before = _files_tree(settings)
    chunks = _body_chunks(40)
    stalled = asyncio.Event()

    async def receive() -> dict:
        if chunks:
            return {"type": "http.request", "body": chunks.pop(0), "more_body": True}
        stalled.set()
        await asyncio.Event().wait()  # the client sends nothing more
        raise AssertionError("unreachable")

    task = asyncio.create_task(_call(app, url, headers, receive))
    await asyncio.wait_for(stalled.wait(), timeout=10)
    assert [p for p in _files_tree(settings) - before if p.parent.name == "tmp"], (
        "the upload should be part-written when it is cancelled"
    )
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert await Evidence.count() == 0
    assert _files_tree(settings) == before
    assert not list((settings.files_dir / "tmp").glob("*"))


# The server is killed ---------------------------------------------------------------------


def _wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


def _partial_size(tmp: Path) -> int:
    return max((path.stat().st_size for path in tmp.glob("*") if path.is_file()), default=0)


async def test_a_server_killed_mid_upload_stores_no_evidence_and_no_file(platform, tmp_path):
    """The server and this test share the suite's database (a SQLite file, or PostgreSQL):
    the bid is made here, the upload is sent to the server over a socket."""
    now = datetime.now(UTC)
    _, bid_id, url = await _open_bid(platform, deadline=max(DEADLINE, now + timedelta(days=30)))
    var_dir = tmp_path / "server"
    files_dir = var_dir / "files"
    env = {name: value for name, value in os.environ.items() if not name.startswith("CARETENDER_")}
    env |= CHEAP_ARGON2 | {
        "CARETENDER_DATABASE_URL": os.environ["CARETENDER_DATABASE_URL"],
        "CARETENDER_VAR_DIR": str(var_dir),
        "CARETENDER_SECRET_KEY": "test-secret-key-not-for-production",
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"

    sent = 0
    server_gone = threading.Event()
    outcome: list[BaseException | httpx.Response] = []

    def body() -> Iterator[bytes]:
        nonlocal sent
        yield _part_head() + PDF_START
        for _ in range(40 * 1024 * 1024 // CHUNK):  # 40 MB, under the 50 MB limit
            if sent >= 4 * 1024 * 1024:
                # Hold the rest back until the server is dead: it must not finish first.
                server_gone.wait(10)
            sent += CHUNK
            yield b"0" * CHUNK
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    def upload(token: str) -> None:
        try:
            outcome.append(
                httpx.post(
                    base + url,
                    content=body(),
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                    },
                    timeout=15,
                )
            )
        except BaseException as error:  # what happened is asserted below
            outcome.append(error)

    with server(serve_command(port), env, log, port, timeout=15) as process:
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            response = await http.post(
                "/api/v1/tokens",
                json={"email": "helen@moorlands-care.example", "password": PASSWORD},
            )
        assert response.status_code == 201, f"{response.text}\n{log.read_text()}"
        sender = threading.Thread(target=upload, args=(response.json()["token"],))
        sender.start()
        try:
            # Killed once the store holds a part-written file of at least one batch.
            _wait_for(lambda: _partial_size(files_dir / "tmp") >= 1024 * 1024, 10, "a partial file")
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        finally:
            server_gone.set()
            sender.join(timeout=15)
    assert not sender.is_alive()
    assert isinstance(outcome[0], httpx.TransportError), outcome

    assert await Evidence.count().where(Evidence.bid == bid_id) == 0
    assert not (files_dir / "sha256").exists(), "a file of the killed upload was stored"
    left_by_kill = list((files_dir / "tmp").glob("*"))
    assert left_by_kill, "the kill came before the upload reached the store"

    with server(serve_command(port), env, log, port, timeout=15):
        pass
    # The restart swept the partial upload of the process that died.
    assert not [path for path in left_by_kill if path.exists()]
    assert not (files_dir / "sha256").exists()
