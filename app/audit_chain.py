"""The audit log's hash chain and signed checkpoints, as pure functions.

Each event's hash is SHA-256 over the previous event's hash and the canonical JSON of the
event. A checkpoint is an HMAC, under a key kept outside the database, of a sequence number
and the hash at that point; checkpoints live outside the database too, so that a cut-off
tail or a chain rewritten from scratch is caught, which a plain chain would miss.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same value always gives the same bytes."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


@dataclass(frozen=True)
class ChainedEvent:
    seq: int
    prev_hash: str
    hash: str
    #: Everything recorded about the event: time, actor, action, object and details.
    body: Mapping[str, Any]


def event_hash(seq: int, prev_hash: str, body: Mapping[str, Any]) -> str:
    payload = canonical_json({"seq": seq, "prev_hash": prev_hash, "body": body})
    return hashlib.sha256(payload).hexdigest()


def chain_next(previous: ChainedEvent | None, body: Mapping[str, Any]) -> ChainedEvent:
    seq = 1 if previous is None else previous.seq + 1
    prev_hash = GENESIS if previous is None else previous.hash
    return ChainedEvent(seq, prev_hash, event_hash(seq, prev_hash, body), body)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    seq: int
    hash: str
    signature: str


def _signature(key: bytes, seq: int, hash_: str) -> str:
    return hmac.new(key, f"{seq}:{hash_}".encode(), hashlib.sha256).hexdigest()


def sign_checkpoint(key: bytes, event: ChainedEvent) -> Checkpoint:
    return Checkpoint(event.seq, event.hash, _signature(key, event.seq, event.hash))


@dataclass(frozen=True)
class Verification:
    ok: bool
    events_checked: int
    #: The sequence number of the first event found wrong (or missing), if any.
    first_bad_seq: int | None = None
    problem: str = ""
    #: Events after the newest checkpoint: chained, but not yet vouched for by a signature.
    unanchored: int = 0


def verify_chain(
    events: Iterable[ChainedEvent], checkpoints: Iterable[Checkpoint], key: bytes
) -> Verification:
    """Check the chain in sequence order, then every checkpoint against it."""
    by_seq: dict[int, str] = {}
    previous: ChainedEvent | None = None
    count = 0
    for event in events:
        count += 1
        expected_seq = 1 if previous is None else previous.seq + 1
        expected_prev = GENESIS if previous is None else previous.hash
        if event.seq != expected_seq:
            return Verification(
                False,
                count,
                expected_seq,
                f"event {expected_seq} is missing or out of order (found {event.seq})",
            )
        if event.prev_hash != expected_prev:
            return Verification(
                False, count, event.seq, f"event {event.seq} does not follow event {event.seq - 1}"
            )
        if event_hash(event.seq, event.prev_hash, event.body) != event.hash:
            return Verification(False, count, event.seq, f"event {event.seq} was altered")
        by_seq[event.seq] = event.hash
        previous = event

    last_seq = previous.seq if previous else 0
    newest_anchor = 0
    for checkpoint in sorted(checkpoints, key=lambda c: c.seq):
        if not hmac.compare_digest(
            checkpoint.signature, _signature(key, checkpoint.seq, checkpoint.hash)
        ):
            return Verification(
                False, count, checkpoint.seq, f"checkpoint at event {checkpoint.seq} is forged"
            )
        if checkpoint.seq > last_seq:
            return Verification(
                False,
                count,
                last_seq + 1,
                f"the log ends at event {last_seq} but a checkpoint vouches for event "
                f"{checkpoint.seq}: the tail was cut off",
            )
        if by_seq[checkpoint.seq] != checkpoint.hash:
            return Verification(
                False,
                count,
                checkpoint.seq,
                f"event {checkpoint.seq} differs from its signed checkpoint: the chain was "
                "rewritten",
            )
        newest_anchor = checkpoint.seq
    return Verification(True, count, unanchored=last_seq - newest_anchor)
