"""Crash safety (issue 8): ``caretender serve`` killed with SIGKILL at random moments while
providers submit bids and upload evidence, evaluators save and submit scores, and the
officer approves awards and issues notices; restarted on the same database and files each
time.

At each restart the audit chain verifies (``caretender audit verify``, run as the server
starts, with new audit events held back until it is done) and nothing is partial: no
evidence, notice or award report without its file, no stored file that is not whole, no
submission whose seal does not match its content, or without its files, audit event or
receipt email, no notice set half-issued; and all the server acknowledged is there:
submissions with the digest their receipt gave (and a retry with the key of one never
answered gets that one, not a second), evidence, score sheets, answers and scores as last
saved (or as the request in flight left them). Once the server answers, the store's folder
for partial uploads is empty. At the end the outbox is delivered to a real SMTP server
(each restart moves the server's clock past ``mail.ABANDONED_AFTER``, so the claims of the
killed server are taken over), each message once, apart from repeats the audit log records
as such. The killed server's PDF workers must die with it.

``CARETENDER_CRASH_SEED`` repeats a run (the seed is printed); ``CARETENDER_CRASH_ROUNDS``
sets the number of kills (50). The server gets a database of its own: a SQLite file, or a
fresh PostgreSQL database when the suite runs on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import httpx

from app.mail import ABANDONED_AFTER
from tenders.sealing import file_digests
from tests.bench.processes import (
    caretender_command,
    clean_env,
    fresh_postgres_database,
    serve_command,
    server,
)
from tests.bench.signin import free_port
from tests.browser.conftest import CHEAP_ARGON2, ServerClock, smtp_server
from tests.crash import workload
from tests.crash.workload import AWARD, KINDS, SCORE, UPLOAD, Ledger, Trigger, Workload

ROUNDS = int(os.environ.get("CARETENDER_CRASH_ROUNDS", "50"))
#: More tenders than the demo's one of each: scores are submitted once per evaluator and
#: lot, notices issued once per tender.
EXTRA_SCORING_TENDERS = 4
EXTRA_MODERATED_TENDERS = 4
#: How long after it starts each kind of work is killed, at most, in seconds (uploads and
#: award steps are killed at a point drawn in a request instead).
LONGEST = {workload.SUBMIT: 1.0, SCORE: 0.8}
#: Each restart moves the server's clock on this far, so that the claims on outbox mail
#: that the killed server held count as abandoned and are taken over.
CLOCK_STEP = ABANDONED_AFTER + timedelta(minutes=1)
#: Seconds a start of the server may take.
START_TIMEOUT = 90


# The server's database, read directly -----------------------------------------------------


class Database:
    """The server's database (never the suite's), read with plain SQL: a SQLite file, or
    PostgreSQL. Values come back as the SQLite file holds them: ids as text."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._pg: asyncpg.Connection | None = None
        self._sqlite: sqlite3.Connection | None = None

    async def __aenter__(self) -> Database:
        if self.url.startswith("postgresql"):
            self._pg = await asyncpg.connect(self.url)
        else:
            self._sqlite = sqlite3.connect(
                self.url.removeprefix("sqlite:///"), timeout=30, isolation_level=None
            )
            self._sqlite.row_factory = sqlite3.Row
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._pg is not None:
            await self._pg.close()
        if self._sqlite is not None:
            self._sqlite.close()

    @contextlib.asynccontextmanager
    async def audit_held(self) -> AsyncIterator[None]:
        """No new audit event while the block runs (the server's appends wait), so that
        ``caretender audit verify`` can run beside a starting server: it reads the events,
        then the checkpoints the server appends after each commit, and would take a
        checkpoint newer than the events it read for a cut-off tail."""
        if self._pg is not None:
            async with self._pg.transaction():
                await self._pg.execute("LOCK TABLE audit_event IN EXCLUSIVE MODE")
                yield
            return
        assert self._sqlite is not None
        self._sqlite.execute("BEGIN IMMEDIATE")  # SQLite: one writer, and it is us
        try:
            yield
        finally:
            self._sqlite.execute("COMMIT")

    async def rows(self, sql: str) -> list[dict[str, Any]]:
        if self._pg is not None:
            found = [dict(row) for row in await self._pg.fetch(sql)]
        else:
            assert self._sqlite is not None
            found = [dict(row) for row in self._sqlite.execute(sql).fetchall()]
        return [
            {name: str(value) if isinstance(value, UUID) else value for name, value in row.items()}
            for row in found
        ]


# What is checked after each kill ---------------------------------------------------------


@dataclass
class Seen:
    """What earlier checks learnt, so that each check reads only what is new."""

    #: Stored files already hashed (a file at a digest's address never changes).
    hashed: set[Path] = field(default_factory=set)
    audit_seq: int = 0
    #: Ids of submissions that have their audit event.
    submit_events: set[str] = field(default_factory=set)
    #: Notices issued, by tender: the event's details.
    notice_events: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: How often each message was recorded as sent, and which sends said they were repeats.
    sent_events: Counter[str] = field(default_factory=Counter)
    repeats: set[str] = field(default_factory=set)
    #: For each request key a submission was sent with and not answered: the submission
    #: the database held for it after the kill (None: none), which a retry must return.
    unanswered: dict[str, str | None] = field(default_factory=dict)
    orphans: int = 0


async def _audit(db: Database, seen: Seen) -> None:
    after = int(seen.audit_seq)
    for row in await db.rows(
        f"SELECT seq, action, body FROM audit_event WHERE seq > {after} ORDER BY seq"  # noqa: S608
    ):
        seen.audit_seq = row["seq"]
        body = json.loads(row["body"])
        details = body["details"]
        if row["action"] == "bid:bid:submit":
            seen.submit_events.add(details["submission"])
        elif row["action"] == "evaluation:notice:issue":
            seen.notice_events[body["object_id"]] = details
        elif row["action"] == "mail:message:send":
            seen.sent_events[body["object_id"]] += 1
            if details.get("repeat_after_interruption"):
                seen.repeats.add(body["object_id"])


def _stored_files(files_dir: Path, seen: Seen, problems: list[str]) -> dict[str, int]:
    """Every file in the store, by digest: its size. Each is checked to be whole once."""
    stored = {}
    for path in (files_dir / "sha256").rglob("*"):
        if not path.is_file():
            continue
        if path not in seen.hashed:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest != path.name:
                problems.append(f"stored file {path.name} is not whole (its SHA-256 is {digest})")
            seen.hashed.add(path)
        stored[path.name] = path.stat().st_size
    return stored


def _resolve(
    problems: list[str],
    what: str,
    acknowledged: dict[Any, Any],
    in_flight: dict[Any, Any],
    stored: dict[Any, Any],
) -> None:
    """Each acknowledged value is stored, or the one in flight when the server died, which
    (if stored) counts as acknowledged from now on."""
    for place, value in acknowledged.items():
        now = stored.get(place)
        if now != value and not (place in in_flight and now == in_flight[place]):
            problems.append(f"{what} {place}: acknowledged {value!r}, stored {now!r}")
    for place, value in in_flight.items():
        if stored.get(place) == value:
            acknowledged[place] = value
    in_flight.clear()


async def problems_after_kill(
    db: Database, files_dir: Path, ledger: Ledger, seen: Seen
) -> list[str]:
    """Whatever is partial or lost, described; the server is down while this runs."""
    problems: list[str] = []
    await _audit(db, seen)
    stored = _stored_files(files_dir, seen, problems)
    referenced: set[str] = set()

    def has_file(what: str, sha256: str, size: int | None = None) -> None:
        referenced.add(sha256)
        if sha256 not in stored:
            problems.append(f"{what} without its file {sha256}")
        elif size is not None and stored[sha256] != size:
            problems.append(f"{what}: its file {sha256} has {stored[sha256]} bytes, not {size}")

    # Evidence: each row with its whole file; each acknowledged upload there.
    evidence = {row["id"]: row for row in await db.rows("SELECT * FROM evidence")}
    for row in evidence.values():
        has_file(f"evidence {row['id']}", row["sha256"], row["size"])
    for evidence_id, (bid_id, sha256, size) in ledger.evidence.items():
        row = evidence.get(evidence_id)
        if row is None or (row["bid"], row["sha256"], row["size"]) != (bid_id, sha256, size):
            problems.append(f"acknowledged evidence {evidence_id} ({sha256}) lost: {row}")
    for bid_id, sha256 in ledger.maybe_evidence:
        for row in evidence.values():
            if (row["bid"], row["sha256"]) == (bid_id, sha256):
                ledger.evidence[row["id"]] = (bid_id, sha256, row["size"])
    ledger.maybe_evidence.clear()

    # Submissions: sealed whole, with their files, audit event and receipt email.
    submissions = await db.rows("SELECT id, bid, content, digest, request_key FROM submission")
    for row in submissions:
        if hashlib.sha256(row["content"].encode()).hexdigest() != row["digest"]:
            problems.append(f"submission {row['id']}: its content does not match its seal")
        for sha256 in file_digests(json.loads(row["content"])):
            has_file(f"submission {row['id']}", sha256)
        if row["id"] not in seen.submit_events:
            problems.append(f"submission {row['id']} has no audit event")
    by_key = {row["request_key"]: row for row in submissions}
    for key, (bid_id, submission_id, digest) in ledger.submissions.items():
        row = by_key.get(f"{bid_id}:{key}")
        if row is None or (row["id"], row["digest"]) != (submission_id, digest):
            found = row and (row["id"], row["digest"])
            problems.append(f"acknowledged submission {submission_id} ({digest}) lost: {found}")
    for key, bid_id in ledger.maybe_submissions.items():
        row = by_key.get(f"{bid_id}:{key}")
        seen.unanswered[key] = row["id"] if row else None

    # Answers and scores: as last acknowledged, or as the request in flight left them.
    answers = {
        (row["bid"], row["lot"], row["question"]): row["text"]
        for row in await db.rows("SELECT bid, lot, question, text FROM answer")
    }
    _resolve(problems, "answer", ledger.answers, ledger.maybe_answers, answers)
    scores = {
        (row["lot"], row["bid"], row["question"], row["evaluator"]): (
            row["mark"],
            row["rationale"],
        )
        for row in await db.rows(
            "SELECT score.lot, submission.bid, score.question, score.evaluator, score.mark,"
            " score.rationale FROM score JOIN submission ON submission.id = score.submission"
        )
    }
    _resolve(problems, "score", ledger.scores, ledger.maybe_scores, scores)
    sheets = {(row["lot"], row["evaluator"]) for row in await db.rows("SELECT * FROM score_sheet")}
    problems += [f"acknowledged score sheet {sheet} lost" for sheet in ledger.sheets - sheets]

    # Award reports and notices: each with its file; a tender's notices all or none.
    reports = {row["id"]: row for row in await db.rows("SELECT * FROM award_report")}
    for row in reports.values():
        has_file(f"award report {row['id']}", row["sha256"], row["size"])
    problems += [f"acknowledged award report {r} lost" for r in set(ledger.reports) - set(reports)]
    decisions = {row["tender"]: row for row in await db.rows("SELECT * FROM award_decision")}
    problems += [f"acknowledged approval of {t} lost" for t in ledger.approved - set(decisions)]
    notices: dict[str, list[dict[str, Any]]] = {}
    for row in await db.rows("SELECT * FROM notice"):
        notices.setdefault(row["tender"], []).append(row)
        has_file(f"notice {row['id']}", row["sha256"], row["size"])
    bids_of: dict[str, set[str]] = {}
    for row in await db.rows("SELECT id, tender FROM bid"):
        bids_of.setdefault(row["tender"], set()).add(row["id"])
    outbox = await db.rows("SELECT message_id, status, subject, body FROM outbox_message")
    for tender_id in set(decisions) | set(notices):
        issued = decisions.get(tender_id, {}).get("notices_issued_at") is not None
        event = seen.notice_events.get(tender_id)
        kept = sorted(
            (n["kind"], n["organisation"], n["sha256"]) for n in notices.get(tender_id, [])
        )
        links = [f"/bids/{bid_id}/decision" for bid_id in bids_of.get(tender_id, ())]
        emails = sum(
            1
            for mail in outbox
            if mail["subject"].startswith("Decision on ")
            and any(link in mail["body"] for link in links)
        )
        if not issued:
            if kept or event or emails:
                problems.append(
                    f"tender {tender_id}: notices half-issued: not issued, yet {len(kept)} "
                    f"notices, {emails} emails, audit event {event is not None}"
                )
            continue
        listed = sorted(
            (n["kind"], n["organisation"], n["sha256"]) for n in (event or {}).get("notices", [])
        )
        if event is None or kept != listed or emails != event["emails"] or not kept:
            problems.append(
                f"tender {tender_id}: notices half-issued: {len(kept)} notices kept, "
                f"{len(listed)} in the audit event, {emails} emails"
            )
    problems += [
        f"acknowledged notices of {tender_id} lost"
        for tender_id in ledger.issued
        if decisions.get(tender_id, {}).get("notices_issued_at") is None
    ]

    # The outbox: each receipt email there; each message marked sent has its audit event.
    receipts = sum(1 for mail in outbox if mail["subject"].startswith("Bid received: "))
    if receipts != len(submissions):
        problems.append(f"{len(submissions)} submissions but {receipts} receipt emails")
    for mail in outbox:
        if mail["status"] == "sent" and not seen.sent_events[mail["message_id"]]:
            problems.append(f"mail {mail['message_id']} marked sent with no audit event")

    documents = await db.rows("SELECT sha256 FROM tender_document")
    referenced |= {row["sha256"] for row in documents}
    # The store's design allows these: a file is stored before the row that refers to it
    # is committed, and files are never deleted. Counted, for the report; checked whole.
    seen.orphans = len(set(stored) - referenced)
    return problems


# The server and its processes --------------------------------------------------------


def _children(pid: int) -> list[int]:
    """The processes ``pid`` started (its PDF workers)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def _kill(pid: int) -> None:
    """SIGKILL, and back once the process is dead (its sockets, files and locks let go)."""
    os.kill(pid, signal.SIGKILL)
    while _alive(pid):
        time.sleep(0.005)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _end_orphans(figures: Figures) -> None:
    """The PDF workers of a server killed a round ago (seconds ago) should have gone with
    it; those still running are counted, and ended, so as not to slow the run down."""
    for pid in figures.workers_of_the_killed:
        if _alive(pid):
            figures.orphaned_workers.append(pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    figures.workers_of_the_killed.clear()


@contextlib.contextmanager
def _server_database(tmp_path: Path) -> Iterator[str]:
    """A database for the server alone: never the one the suite runs on."""
    if os.environ.get("CARETENDER_DATABASE_URL", "").startswith("postgresql"):
        with fresh_postgres_database() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'crash.sqlite'}"


def _caretender(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*caretender_command(), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _seed(env: dict[str, str]) -> None:
    """The demo's data, and more tenders to score and to award."""
    more = [str(EXTRA_SCORING_TENDERS), str(EXTRA_MODERATED_TENDERS)]
    loading = subprocess.run(
        [sys.executable, "-m", "tests.crash.workload", *more],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert loading.returncode == 0, f"loading the demo failed:\n{loading.stderr}"


def _finished(process: subprocess.Popen[str], what: str) -> str:
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 0, f"{what} failed ({process.returncode}):\n{output}"
    return output


@dataclass
class Figures:
    starts: list[float] = field(default_factory=list)
    kills: Counter[str] = field(default_factory=Counter)
    partial_uploads_swept: int = 0
    #: The processes the last server killed had started, and those that outlived it.
    workers_of_the_killed: list[int] = field(default_factory=list)
    orphaned_workers: list[int] = field(default_factory=list)


@dataclass
class Run:
    """One run's server: its settings, database and files, and what was learnt of it."""

    env: dict[str, str]
    db: Database
    files_dir: Path
    #: Where each start's log goes.
    logs: Path
    ledger: Ledger
    seen: Seen = field(default_factory=Seen)
    figures: Figures = field(default_factory=Figures)
    starts: int = 0

    async def checked(self, after: str) -> None:
        """``caretender audit verify`` passes, and nothing is partial or lost."""
        verify = _caretender(self.env, "audit", "verify")
        problems = await problems_after_kill(self.db, self.files_dir, self.ledger, self.seen)
        self._verified(verify, after)
        assert not problems, f"{after}:\n" + "\n".join(problems)

    def _verified(self, verify: subprocess.Popen[str], after: str) -> None:
        output = _finished(verify, f"caretender audit verify {after}")
        assert "Audit log intact" in output, output

    @contextlib.asynccontextmanager
    async def restarted(self, after: str) -> AsyncIterator[tuple[int, str]]:
        """The server started again on the same database and files, while the audit log is
        verified and the checks run (new audit events wait for them); its partial uploads
        swept. Yields its pid and base URL, and stops it (if alive) afterwards."""
        port = free_port()
        self.starts += 1
        log = self.logs / f"serve-{self.starts}.log"
        with contextlib.ExitStack() as stack:
            async with self.db.audit_held():
                started = time.monotonic()
                serving = asyncio.create_task(
                    asyncio.to_thread(
                        stack.enter_context,
                        server(serve_command(port), self.env, log, port, timeout=START_TIMEOUT),
                    )
                )
                verify = _caretender(self.env, "audit", "verify")
                problems = await problems_after_kill(
                    self.db, self.files_dir, self.ledger, self.seen
                )
                pid = (await serving).pid
                self.figures.starts.append(time.monotonic() - started)
                await asyncio.to_thread(self._verified, verify, after)
            assert not problems, f"{after}:\n" + "\n".join(problems)
            # The partial uploads of the server that died went as this one started.
            left = list((self.files_dir / "tmp").glob("*"))
            assert not left, f"partial uploads left after the restart {after}: {left}"
            yield pid, f"http://127.0.0.1:{port}"


async def test_a_killed_server_leaves_nothing_partial_and_loses_nothing(tmp_path: Path) -> None:
    seed = int(os.environ.get("CARETENDER_CRASH_SEED") or random.randrange(2**32))
    print(f"CARETENDER_CRASH_SEED={seed} CARETENDER_CRASH_ROUNDS={ROUNDS}")
    rng = random.Random(seed)
    began = time.monotonic()
    var_dir = tmp_path / "var"
    clock = ServerClock(tmp_path / "clock")
    ledger = Ledger()
    work = Workload(rng, ledger)

    with _server_database(tmp_path) as url, smtp_server() as (mailbox, smtp_port):
        env = clean_env(var_dir) | CHEAP_ARGON2
        env |= {
            "CARETENDER_DATABASE_URL": url,
            "CARETENDER_SECRET_KEY": "crash-test-secret-key-not-for-production",
            "CARETENDER_CLOCK_FILE": str(tmp_path / "clock"),
            "CARETENDER_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
            "CARETENDER_MAIL_WORKER_INTERVAL": "0.2",
            "CARETENDER_API_TOKEN_HOURS": "10000",
        }
        await asyncio.to_thread(_seed, env)

        async with Database(url) as db:
            run = Run(env, db, var_dir / "files", tmp_path, ledger)
            figures, seen = run.figures, run.seen
            try:
                async with (
                    run.restarted("before the first start") as (_, base_url),
                    httpx.AsyncClient(base_url=base_url, timeout=60) as http,
                ):
                    await work.set_up(http)
                assert not ledger.unexpected, ledger.unexpected
                set_up_at = time.monotonic()

                for round_number in range(1, ROUNDS + 1):
                    kind = KINDS[round_number % len(KINDS)]
                    while not work.can_do(kind):
                        kind = KINDS[(KINDS.index(kind) + 1) % len(KINDS)]
                    clock.set(clock.now() + CLOCK_STEP)
                    async with (
                        run.restarted(f"after kill {round_number - 1}") as (pid, base_url),
                        httpx.AsyncClient(base_url=base_url, timeout=60) as http,
                    ):
                        await work.retry_unanswered(http)
                        _check_retries(ledger, seen)
                        trigger = Trigger()
                        task = asyncio.create_task(work.run(kind, http, trigger))
                        if kind in (UPLOAD, AWARD):
                            await asyncio.wait_for(trigger.reached.wait(), timeout=60)
                        else:
                            await asyncio.sleep(rng.uniform(0.05, LONGEST[kind]))
                        _end_orphans(figures)
                        workers = _children(pid)
                        _kill(pid)
                        trigger.killed.set()
                        figures.workers_of_the_killed += workers
                        figures.kills[kind] += 1
                        await asyncio.wait_for(task, timeout=60)
                    figures.partial_uploads_swept += len(list((run.files_dir / "tmp").glob("*")))

                # The last start: every submission left unanswered sent again, then the outbox
                # delivered in full, and the server stopped as an operator would.
                clock.set(clock.now() + CLOCK_STEP)
                async with run.restarted(f"after kill {ROUNDS}") as (_, base_url):
                    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
                        await work.retry_unanswered(http)
                        _check_retries(ledger, seen)
                    deadline = time.monotonic() + 60
                    while await db.rows(
                        "SELECT message_id FROM outbox_message WHERE status != 'sent'"
                    ):
                        assert time.monotonic() < deadline, "the outbox was not delivered"
                        await asyncio.sleep(0.2)
                await run.checked("after the last stop")
                outbox = await db.rows("SELECT message_id, status FROM outbox_message")
            finally:
                _end_orphans(figures)

    received = Counter(str(mail.message["Message-ID"]) for mail in mailbox.received)
    queued = {row["message_id"] for row in outbox}
    repeated = {message_id for message_id, count in received.items() if count > 1}
    print(
        f"seed {seed}: {ROUNDS} rounds in {time.monotonic() - set_up_at:.0f} s "
        f"(set-up {set_up_at - began:.0f} s); kills {dict(figures.kills)}; "
        f"in flight at the kill {dict(ledger.killed_during)}; "
        f"acknowledged {dict(ledger.done)}; submissions checked {len(ledger.submissions)}, "
        f"evidence {len(ledger.evidence)}, scores {len(ledger.scores)}, sheets "
        f"{len(ledger.sheets)}, notices issued {len(ledger.issued)}; partial uploads swept "
        f"{figures.partial_uploads_swept}; stored files no row refers to {seen.orphans}; "
        f"mail: {len(queued)} queued, {sum(received.values())} received, {len(repeated)} "
        f"received more than once, {len(seen.repeats)} sends recorded as repeats; "
        f"server start {min(figures.starts):.2f}-{max(figures.starts):.2f} s "
        f"(mean {sum(figures.starts) / len(figures.starts):.2f}); "
        f"PDF workers left running after their server was killed: "
        f"{len(figures.orphaned_workers)}"
    )
    assert not ledger.unexpected, "\n".join(ledger.unexpected)
    assert all(row["status"] == "sent" for row in outbox)
    assert set(received) == queued, (
        f"never received: {queued - set(received)}; not queued: {set(received) - queued}"
    )
    assert repeated <= seen.repeats, (
        f"received more than once without a repeat recorded: {repeated - seen.repeats}"
    )
    assert not figures.orphaned_workers, (
        f"PDF workers outlived their killed server: {figures.orphaned_workers}"
    )


def _check_retries(ledger: Ledger, seen: Seen) -> None:
    """Called after a retry could have happened: a retry with the key of a submission the
    database held returned that submission."""
    for key, submission_id in list(seen.unanswered.items()):
        if key in ledger.maybe_submissions:
            continue
        del seen.unanswered[key]
        if submission_id is not None and key in ledger.submissions:
            assert ledger.submissions[key][1] == submission_id, (
                f"a retry with request key {key} made a second submission"
            )
