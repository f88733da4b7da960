"""The audit log: appends hash-chained events and verifies the chain.

Events are appended inside the caller's write transaction; once it commits, a checkpoint
signed with a key kept outside the database is appended to a file outside the database.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import anyio.from_thread
import anyio.to_thread

from app import database
from app.audit_chain import (
    ChainedEvent,
    Checkpoint,
    Verification,
    canonical_json,
    chain_next,
    sign_checkpoint,
    verify_chain,
)
from app.platform import Platform
from app.tables import AuditEvent
from app.vocabulary import AuditAction

CHECKPOINT_PURPOSE = "audit-checkpoints"
#: Any constant: PostgreSQL advisory lock taken by every appender, one at a time.
_PG_APPEND_LOCK = 7_301_2026
#: Events ``verify`` reads at a time: its memory stays the same however long the log grows.
VERIFY_BATCH = 1000


def _plain(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


async def record(
    platform: Platform,
    action: AuditAction,
    *,
    actor_id: UUID | None,
    organisation_id: UUID | None,
    object_type: str,
    object_id: UUID | str | None,
    details: Mapping[str, Any] | None = None,
) -> ChainedEvent:
    """Append an event to the chain; call inside ``database.write_transaction()``."""
    if not database.is_sqlite():
        await AuditEvent.raw("SELECT pg_advisory_xact_lock({})", _PG_APPEND_LOCK)
    occurred_at = platform.clock.now()
    body = _plain(
        {
            "occurred_at": occurred_at.isoformat(),
            "action": str(action),
            "actor_id": actor_id,
            "organisation_id": organisation_id,
            "object_type": object_type,
            "object_id": object_id,
            "details": dict(details or {}),
        }
    )
    # Only the last event's place and hash: verifying the chain is ``verify()``'s work.
    last = await database.fetch("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1")
    previous = ChainedEvent(last[0]["seq"], "", last[0]["hash"], {}) if last else None
    event = chain_next(previous, body)
    await database.insert(
        AuditEvent,
        {
            "seq": event.seq,
            "prev_hash": event.prev_hash,
            "hash": event.hash,
            "occurred_at": occurred_at,
            "action": body["action"],
            "organisation_id": body["organisation_id"],
            "body": canonical_json(body).decode(),
        },
    )
    checkpoint = sign_checkpoint(platform.derived_key(CHECKPOINT_PURPOSE), event)
    path = platform.settings.audit_checkpoints_path
    database.after_commit(lambda: asyncio.to_thread(_append_checkpoint, path, checkpoint))
    return event


def _chained(row: Mapping[str, Any]) -> ChainedEvent:
    """The event as hashed; a column edited apart from its body makes the hash fail.

    A body that is not exactly the canonical JSON that was hashed (unreadable, not an
    object, reformatted, or with a duplicate key that parsing would hide) fails too.
    """
    text = row["body"]
    try:
        body = json.loads(text)
        hashed = isinstance(body, dict) and canonical_json(body).decode() == text
    except (ValueError, RecursionError):
        hashed = False
    if not hashed:
        return ChainedEvent(row["seq"], row["prev_hash"], row["hash"], {"stored_body": text})
    columns = {"action": row["action"], "organisation_id": row["organisation_id"]}
    differ = any(body.get(name) != value for name, value in columns.items())
    try:
        differ = differ or datetime.fromisoformat(body["occurred_at"]) != row["occurred_at"]
    except (KeyError, TypeError, ValueError):
        differ = True
    if differ:
        body["columns_differ"] = {**columns, "occurred_at": str(row["occurred_at"])}
    return ChainedEvent(row["seq"], row["prev_hash"], row["hash"], body)


def _append_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # One short line per write with O_APPEND: writers on one file do not interleave.
    with path.open("a", encoding="utf-8") as file:
        file.write(json.dumps(asdict(checkpoint)) + "\n")


class DamagedCheckpoints(Exception):
    def __init__(self, line_number: int) -> None:
        super().__init__(f"line {line_number} of the checkpoint file is damaged")


def _read_checkpoints(path: Path) -> list[Checkpoint]:
    if not path.exists():
        return []
    checkpoints = []
    # A line at a time: the file has a line for every event.
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                fields = json.loads(line)
                checkpoints.append(
                    Checkpoint(int(fields["seq"]), str(fields["hash"]), str(fields["signature"]))
                )
            except (ValueError, TypeError, KeyError) as error:
                raise DamagedCheckpoints(number) from error
    return checkpoints


async def verify(platform: Platform) -> Verification:
    # The checkpoints first: each is appended once its event has committed, so every one
    # read now vouches for an event the query then finds. The other way round, an event a
    # running server commits between the two reads looked like a cut-off tail.
    try:
        checkpoints = await asyncio.to_thread(
            _read_checkpoints, platform.settings.audit_checkpoints_path
        )
    except DamagedCheckpoints as error:
        return Verification(False, 0, None, str(error))
    # In a worker thread, which hashes every event off the event loop and asks it for the
    # events VERIFY_BATCH at a time: never the whole log in memory at once.
    return await anyio.to_thread.run_sync(
        verify_chain, _events(), checkpoints, platform.derived_key(CHECKPOINT_PURPOSE)
    )


def _events() -> Iterator[ChainedEvent]:
    """The events in sequence order, from a worker thread (``verify``'s)."""
    after = 0
    while rows := anyio.from_thread.run(_events_after, after):
        yield from map(_chained, rows)
        after = rows[-1]["seq"]


async def _events_after(seq: int) -> list[dict[str, Any]]:
    return (
        await AuditEvent.select()
        .where(AuditEvent.seq > seq)
        .order_by(AuditEvent.seq)
        .limit(VERIFY_BATCH)
    )
