"""The audit chain as pure functions: any single edit, insertion, deletion, swap or cut-off
tail of the events is caught, and so is a chain rewritten from scratch or a forged
checkpoint; an untouched chain verifies (rule 14; PITFALLS "Security anchors")."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.audit_chain import (
    GENESIS,
    ChainedEvent,
    Checkpoint,
    canonical_json,
    chain_next,
    event_hash,
    sign_checkpoint,
    verify_chain,
)

#: The machine may be busy (other suites, PostgreSQL): no timing checks, a modest budget.
checked = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
KEY = b"audit-checkpoint-key-for-tests-0"
OTHER_KEY = b"a-key-somebody-else-made-up-0000"

json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=4,
)
bodies = st.fixed_dictionaries(
    {
        "action": st.sampled_from(["account:signin:fail", "tender:publish", "bid:submit"]),
        "occurred_at": st.sampled_from(["2026-11-23T10:00:00+00:00", "2026-12-01T09:30:00+00:00"]),
        "details": st.dictionaries(st.text(max_size=6), json_values, max_size=2),
    }
)
hex_hashes = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)


def build_chain(body_list: list[dict]) -> list[ChainedEvent]:
    events: list[ChainedEvent] = []
    for body in body_list:
        events.append(chain_next(events[-1] if events else None, body))
    return events


def rechain(events: list[ChainedEvent], start: int) -> list[ChainedEvent]:
    """What an attacker without the key can do: renumber and rehash from ``start`` on."""
    fixed = list(events[:start])
    for event in events[start:]:
        fixed.append(chain_next(fixed[-1] if fixed else None, event.body))
    return fixed


@st.composite
def signed_chains(draw, min_size: int = 2) -> tuple[list[ChainedEvent], list[Checkpoint]]:
    """A chain with checkpoints at some of its events, always including the last."""
    events = build_chain(draw(st.lists(bodies, min_size=min_size, max_size=8)))
    if not events:
        return events, []
    anchored = draw(st.sets(st.integers(1, len(events)))) | {len(events)}
    checkpoints = [sign_checkpoint(KEY, events[seq - 1]) for seq in anchored]
    return events, draw(st.permutations(checkpoints))


def first_checkpoint_from(checkpoints: list[Checkpoint], seq: int) -> int:
    return min(c.seq for c in checkpoints if c.seq >= seq)


def first_difference(original: list[ChainedEvent], new: list[ChainedEvent]) -> int:
    """The first sequence number whose hash differs, or the one after the new chain's end."""
    for seq, (old, now) in enumerate(zip(original, new, strict=False), start=1):
        if old.hash != now.hash:
            return seq
    return len(new) + 1


def caught_at(original: list[ChainedEvent], new: list[ChainedEvent], checkpoints) -> int:
    """Where a well-formed but different chain must be caught: at the first checkpoint on
    or after the first difference, or where it ends if that checkpoint lies beyond."""
    checkpoint = first_checkpoint_from(checkpoints, first_difference(original, new))
    return checkpoint if checkpoint <= len(new) else len(new) + 1


def two_positions(n: int) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True)


def different_body(draw, body: dict) -> dict:
    new = draw(bodies)
    if canonical_json(new) == canonical_json(body):
        new = {**new, "details": {**new["details"], "tampered": True}}
    return new


# The untouched chain ------------------------------------------------------------------


@checked
@given(signed_chains(min_size=0))
def test_an_untouched_chain_verifies(chain):
    events, checkpoints = chain
    result = verify_chain(events, checkpoints, KEY)
    assert result.ok, result.problem
    assert result.events_checked == len(events)
    assert result.first_bad_seq is None
    assert result.unanchored == 0


@checked
@given(signed_chains(), st.lists(bodies, min_size=1, max_size=3))
def test_events_after_the_newest_checkpoint_verify_and_are_counted_as_unanchored(chain, more):
    events, checkpoints = chain
    for body in more:
        events.append(chain_next(events[-1], body))
    result = verify_chain(events, checkpoints, KEY)
    assert result.ok, result.problem
    assert result.unanchored == len(more)


def test_hashing_is_over_the_canonical_json_of_sequence_previous_hash_and_body():
    body = {"b": [1, "é"], "a": None}
    assert canonical_json(body) == '{"a":null,"b":[1,"é"]}'.encode()
    first = chain_next(None, body)
    assert (first.seq, first.prev_hash) == (1, GENESIS)
    assert first.hash == event_hash(1, GENESIS, {"a": None, "b": [1, "é"]})
    assert chain_next(first, body).prev_hash == first.hash


# Single edits --------------------------------------------------------------------------


@checked
@given(signed_chains(), st.data())
def test_editing_any_event_body_is_caught(chain, data):
    events, checkpoints = chain
    i = data.draw(st.integers(0, len(events) - 1))
    events[i] = replace(events[i], body=different_body(data.draw, events[i].body))
    result = verify_chain(events, checkpoints, KEY)
    assert not result.ok
    assert result.first_bad_seq == i + 1
    assert "altered" in result.problem


@checked
@given(signed_chains(), st.data())
def test_editing_one_detail_of_any_event_is_caught(chain, data):
    events, checkpoints = chain
    i = data.draw(st.integers(0, len(events) - 1))
    body = events[i].body
    details = dict(body["details"])
    name = data.draw(st.sampled_from(sorted(details)) if details else st.just("new"))
    value = data.draw(
        json_values.filter(
            lambda v: name not in details or canonical_json(v) != canonical_json(details[name])
        )
    )
    details[name] = value
    events[i] = replace(events[i], body={**body, "details": details})
    result = verify_chain(events, checkpoints, KEY)
    assert not result.ok
    assert result.first_bad_seq == i + 1


@checked
@given(signed_chains(), st.data())
def test_editing_any_event_hash_is_caught(chain, data):
    events, checkpoints = chain
    i = data.draw(st.integers(0, len(events) - 1))
    new_hash = data.draw(hex_hashes.filter(lambda h: h != events[i].hash))
    events[i] = replace(events[i], hash=new_hash)
    result = verify_chain(events, checkpoints, KEY)
    assert not result.ok
    assert result.first_bad_seq == i + 1


@checked
@given(signed_chains(), st.data())
def test_editing_any_previous_hash_is_caught(chain, data):
    events, checkpoints = chain
    i = data.draw(st.integers(0, len(events) - 1))
    new_prev = data.draw(hex_hashes.filter(lambda h: h != events[i].prev_hash))
    events[i] = replace(events[i], prev_hash=new_prev)
    result = verify_chain(events, checkpoints, KEY)
    assert not result.ok
    assert result.first_bad_seq == i + 1


@checked
@given(signed_chains(), st.data())
def test_editing_any_sequence_number_is_caught(chain, data):
    events, checkpoints = chain
    i = data.draw(st.integers(0, len(events) - 1))
    new_seq = data.draw(st.integers(-5, 50).filter(lambda s: s != events[i].seq))
    events[i] = replace(events[i], seq=new_seq)
    result = verify_chain(events, checkpoints, KEY)
    assert not result.ok
    assert result.first_bad_seq == i + 1


@checked
@given(signed_chains(), st.data())
def test_editing_an_event_and_rehashing_the_rest_of_the_chain_is_caught(chain, data):
    events, checkpoints = chain
    i = data.draw(st.integers(0, len(events) - 1))
    edited = list(events)
    edited[i] = replace(events[i], body=different_body(data.draw, events[i].body))
    edited = rechain(edited, i)
    result = verify_chain(edited, checkpoints, KEY)
    assert not result.ok
    assert result.first_bad_seq == first_checkpoint_from(checkpoints, i + 1)
    assert "rewritten" in result.problem


# Insertions, deletions, swaps, truncation -----------------------------------------------


@checked
@given(signed_chains(), st.data())
def test_inserting_a_forged_event_before_any_event_is_caught(chain, data):
    events, checkpoints = chain
    at = data.draw(st.integers(0, len(events) - 1))
    forged = chain_next(events[at - 1] if at else None, data.draw(bodies))
    events.insert(at, forged)
    result = verify_chain(events, checkpoints, KEY)
    assert not result.ok
    # The forged event is well chained to its predecessor; the one it displaced is not.
    assert result.first_bad_seq == at + 2


@checked
@given(signed_chains(), st.data())
def test_inserting_a_forged_event_with_arbitrary_links_is_caught(chain, data):
    events, checkpoints = chain
    at = data.draw(st.integers(0, len(events)))
    body = data.draw(bodies)
    prev_hash = data.draw(hex_hashes)
    seq = data.draw(st.integers(1, len(events) + 1))
    events.insert(at, ChainedEvent(seq, prev_hash, event_hash(seq, prev_hash, body), body))
    result = verify_chain(events, checkpoints, KEY)
    assert not result.ok
    assert result.first_bad_seq in (at + 1, at + 2)


@checked
@given(signed_chains(), st.data())
def test_inserting_a_forged_event_and_rehashing_the_rest_of_the_chain_is_caught(chain, data):
    events, checkpoints = chain
    at = data.draw(st.integers(0, len(events) - 1))
    forged = different_body(data.draw, events[at].body)
    tampered = rechain([*events[:at], ChainedEvent(0, "", "", forged), *events[at:]], at)
    result = verify_chain(tampered, checkpoints, KEY)
    assert not result.ok
    assert result.first_bad_seq == first_checkpoint_from(checkpoints, at + 1)


@checked
@given(signed_chains(), st.data())
def test_deleting_any_event_is_caught(chain, data):
    events, checkpoints = chain
    i = data.draw(st.integers(0, len(events) - 1))
    del events[i]
    result = verify_chain(events, checkpoints, KEY)
    assert not result.ok
    assert result.first_bad_seq == i + 1


@checked
@given(signed_chains(), st.data())
def test_deleting_any_event_and_rehashing_the_rest_of_the_chain_is_caught(chain, data):
    events, checkpoints = chain
    i = data.draw(st.integers(0, len(events) - 1))
    tampered = rechain([*events[:i], *events[i + 1 :]], i)
    result = verify_chain(tampered, checkpoints, KEY)
    assert not result.ok
    assert result.first_bad_seq == caught_at(events, tampered, checkpoints)


@checked
@given(signed_chains(), st.data())
def test_swapping_any_two_events_is_caught(chain, data):
    events, checkpoints = chain
    i, j = sorted(data.draw(two_positions(len(events))))
    events[i], events[j] = events[j], events[i]
    result = verify_chain(events, checkpoints, KEY)
    assert not result.ok
    assert result.first_bad_seq == i + 1


@checked
@given(signed_chains(), st.data())
def test_swapping_the_bodies_of_two_different_events_is_caught(chain, data):
    events, checkpoints = chain
    i, j = sorted(data.draw(two_positions(len(events))))
    if canonical_json(events[i].body) == canonical_json(events[j].body):
        events[j] = replace(events[j], body={**events[j].body, "extra": 1})
    events[i], events[j] = (
        replace(events[i], body=events[j].body),
        replace(events[j], body=events[i].body),
    )
    result = verify_chain(events, checkpoints, KEY)
    assert not result.ok
    assert result.first_bad_seq == i + 1


@checked
@given(signed_chains(), st.data())
def test_cutting_off_any_tail_is_caught(chain, data):
    events, checkpoints = chain
    k = data.draw(st.integers(1, len(events)))
    kept = events[: len(events) - k]
    result = verify_chain(kept, checkpoints, KEY)
    assert not result.ok
    assert result.first_bad_seq == len(kept) + 1
    assert "cut off" in result.problem


@checked
@given(signed_chains(), st.lists(bodies, max_size=12))
def test_a_chain_rewritten_from_scratch_is_caught(chain, new_bodies):
    events, checkpoints = chain
    rewritten = build_chain(new_bodies)
    # Any well-formed chain that is not the signed one extended by new events.
    assume(first_difference(events, rewritten) <= len(events))
    result = verify_chain(rewritten, checkpoints, KEY)
    assert not result.ok
    assert result.first_bad_seq == caught_at(events, rewritten, checkpoints)


# Checkpoints --------------------------------------------------------------------------


@checked
@given(signed_chains(), st.data())
def test_a_checkpoint_signed_with_another_key_is_caught(chain, data):
    events, checkpoints = chain
    i = data.draw(st.integers(0, len(events) - 1))
    forged = sign_checkpoint(OTHER_KEY, events[i])
    result = verify_chain(events, [*checkpoints, forged], KEY)
    assert not result.ok
    assert result.first_bad_seq == i + 1
    assert "forged" in result.problem


@checked
@given(signed_chains(), st.data())
def test_a_checkpoint_moved_to_another_hash_is_caught(chain, data):
    events, checkpoints = chain
    victim = data.draw(st.sampled_from(checkpoints))
    new_hash = data.draw(hex_hashes.filter(lambda h: h != victim.hash))
    tampered = [replace(c, hash=new_hash) if c is victim else c for c in checkpoints]
    result = verify_chain(events, tampered, KEY)
    assert not result.ok
    assert result.first_bad_seq == victim.seq
    assert "forged" in result.problem


@checked
@given(signed_chains(), st.lists(bodies, min_size=1, max_size=3))
def test_a_rehashed_chain_with_checkpoints_signed_under_a_guessed_key_is_caught(chain, more):
    events, _ = chain
    rewritten = rechain([*events[1:], *[ChainedEvent(0, "", "", b) for b in more]], 0)
    forged = [sign_checkpoint(OTHER_KEY, e) for e in rewritten]
    result = verify_chain(rewritten, forged, KEY)
    assert not result.ok
    assert result.first_bad_seq == 1
    assert "forged" in result.problem
