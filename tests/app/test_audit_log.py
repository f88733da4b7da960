"""The audit log in the database (rule 14; PITFALLS "Security anchors"): services append one
hash-chained event per change, and any single edit, insertion, deletion, swap or cut-off
tail made to the rows behind the platform's back is caught by ``audit.verify`` and by
``caretender audit verify``; concurrent writers leave one unbroken chain."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from app import accounts, audit, database
from app.audit_chain import GENESIS, canonical_json, chain_next, event_hash
from app.errors import Invalid
from app.platform import Platform
from app.settings import Settings
from app.tables import AuditEvent
from app.tokens import Scope
from app.vocabulary import AuditAction
from tests.conftest import PASSWORD, buyer_officer, evaluator, provider_user

CARETENDER = Path(sys.executable).with_name("caretender")
FORGED_HASH = "f" * 64


# Helpers -------------------------------------------------------------------------------


async def service_chain(platform) -> int:
    """A real chain from the account services; returns how many events it holds."""
    officer = await buyer_officer(platform)
    await evaluator(platform, officer)
    await provider_user(platform)
    await accounts.sign_in(
        platform,
        {"email": "helen@moorlands-care.example", "password": PASSWORD},
        "192.0.2.10",
        Scope.WEB,
    )
    with pytest.raises(Invalid):
        await accounts.sign_in(
            platform,
            {"email": "helen@moorlands-care.example", "password": "not the password"},
            "192.0.2.10",
            Scope.WEB,
        )
    return await AuditEvent.count()


async def record_events(platform, count: int, tag: str = "event") -> None:
    """``count`` events, each in its own write transaction, each with a different body."""
    for n in range(count):
        async with database.write_transaction():
            await audit.record(
                platform,
                AuditAction.ACCOUNT_USER_ROLE_CHANGE,
                actor_id=uuid4(),
                organisation_id=uuid4(),
                object_type="user",
                object_id=uuid4(),
                details={"tag": tag, "n": n},
            )


async def rows() -> list[dict[str, Any]]:
    return await AuditEvent.select().order_by(AuditEvent.seq)


async def row(seq: int) -> dict[str, Any]:
    found = await AuditEvent.select().where(AuditEvent.seq == seq).first()
    assert found is not None
    return found


async def clear_log(settings: Settings) -> None:
    await AuditEvent.delete(force=True)
    settings.audit_checkpoints_path.unlink(missing_ok=True)


def new_row(seq: int, prev_hash: str, body: dict[str, Any]) -> AuditEvent:
    """A row as an attacker with database access but without the key would write it."""
    return AuditEvent(
        seq=seq,
        prev_hash=prev_hash,
        hash=event_hash(seq, prev_hash, body),
        occurred_at=datetime.fromisoformat(body["occurred_at"]),
        action=body["action"],
        organisation_id=body["organisation_id"],
        body=canonical_json(body).decode(),
    )


async def rewrite_table(bodies: list[dict[str, Any]]) -> None:
    """Replace every row with a well-formed chain of ``bodies`` (renumbered, rehashed)."""
    await AuditEvent.delete(force=True)
    previous = None
    for body in bodies:
        previous = chain_next(previous, body)
        await AuditEvent.insert(new_row(previous.seq, previous.prev_hash, body))


def forged_body(like: dict[str, Any]) -> dict[str, Any]:
    return {**like, "details": {"forged": True}}


async def verify_command(settings: Settings) -> tuple[int, str, str]:
    """Run ``caretender audit verify`` against the suite's database, key and files."""
    env = {
        **os.environ,
        "CARETENDER_DATABASE_URL": os.environ["CARETENDER_DATABASE_URL"],
        "CARETENDER_SECRET_KEY": settings.secret_key,
        "CARETENDER_FILES_DIR": str(settings.files_dir),
    }
    process = await asyncio.create_subprocess_exec(
        str(CARETENDER),
        "audit",
        "verify",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def first_bad_event(stderr: str) -> int:
    match = re.search(r"First bad event: (\d+)", stderr)
    assert match, stderr
    return int(match.group(1))


# Tamperings, as SQL behind the platform's back -----------------------------------------
# Each one changes the rows of a chain of ``n`` events (one checkpoint per event) and
# returns the sequence number verification must name.


async def edit_detail(n: int, seq: int) -> int:
    body = json.loads((await row(seq))["body"])
    body["details"] = {**body["details"], "n": -1}
    await AuditEvent.update({AuditEvent.body: canonical_json(body).decode()}).where(
        AuditEvent.seq == seq
    )
    return seq


async def edit_action_column(n: int, seq: int) -> int:
    await AuditEvent.update({AuditEvent.action: str(AuditAction.ACCOUNT_PASSWORD_CHANGE)}).where(
        AuditEvent.seq == seq
    )
    return seq


async def edit_organisation_column(n: int, seq: int) -> int:
    await AuditEvent.update({AuditEvent.organisation_id: str(uuid4())}).where(AuditEvent.seq == seq)
    return seq


async def edit_time_column(n: int, seq: int) -> int:
    occurred_at = (await row(seq))["occurred_at"]
    await AuditEvent.update({AuditEvent.occurred_at: occurred_at - timedelta(days=1)}).where(
        AuditEvent.seq == seq
    )
    return seq


async def edit_hash(n: int, seq: int) -> int:
    await AuditEvent.update({AuditEvent.hash: FORGED_HASH}).where(AuditEvent.seq == seq)
    return seq


async def edit_prev_hash(n: int, seq: int) -> int:
    await AuditEvent.update({AuditEvent.prev_hash: FORGED_HASH}).where(AuditEvent.seq == seq)
    return seq


async def edit_and_rehash_the_rest(n: int, seq: int) -> int:
    bodies = [json.loads(r["body"]) for r in await rows()]
    bodies[seq - 1] = forged_body(bodies[seq - 1])
    await rewrite_table(bodies)
    return seq


async def make_room_at(seq: int) -> None:
    """Move events ``seq`` onwards up by one (two steps: sequence numbers are unique)."""
    await AuditEvent.raw("UPDATE audit_event SET seq = -seq WHERE seq >= {}", seq)
    await AuditEvent.raw("UPDATE audit_event SET seq = 1 - seq WHERE seq < 0")


async def insert_forged(n: int, seq: int) -> int:
    """A forged event slipped in before event ``seq`` (its true predecessor's hash is
    taken: previous hashes are unique, so it links to a made-up one)."""
    like = json.loads((await row(seq))["body"])
    await make_room_at(seq)
    await AuditEvent.insert(new_row(seq, FORGED_HASH, forged_body(like)))
    return seq


async def insert_and_rehash_the_rest(n: int, seq: int) -> int:
    bodies = [json.loads(r["body"]) for r in await rows()]
    bodies.insert(seq - 1, forged_body(bodies[seq - 1]))
    await rewrite_table(bodies)
    return seq


async def delete_event(n: int, seq: int) -> int:
    await AuditEvent.delete().where(AuditEvent.seq == seq)
    return seq


async def delete_and_rehash_the_rest(n: int, seq: int) -> int:
    bodies = [json.loads(r["body"]) for r in await rows()]
    del bodies[seq - 1]
    await rewrite_table(bodies)
    return seq


async def swap_with_next(n: int, seq: int) -> int:
    """Events ``seq`` and ``seq + 1`` (or the last two) trade places."""
    a, b = (seq, seq + 1) if seq < n else (seq - 1, seq)
    await AuditEvent.update({AuditEvent.seq: -1}).where(AuditEvent.seq == a)
    await AuditEvent.update({AuditEvent.seq: a}).where(AuditEvent.seq == b)
    await AuditEvent.update({AuditEvent.seq: b}).where(AuditEvent.seq == -1)
    return a


async def truncate_from(n: int, seq: int) -> int:
    await AuditEvent.delete().where(AuditEvent.seq >= seq)
    return seq


async def rewrite_from_scratch(n: int, seq: int) -> int:
    bodies = [forged_body(json.loads(r["body"])) for r in await rows()][:seq]
    await rewrite_table(bodies)
    return 1


TAMPERINGS = {
    "edit a detail in the body": edit_detail,
    "edit the action column": edit_action_column,
    "edit the organisation column": edit_organisation_column,
    "edit the time column": edit_time_column,
    "edit the hash": edit_hash,
    "edit the previous hash": edit_prev_hash,
    "edit and rehash the rest": edit_and_rehash_the_rest,
    "insert a forged event": insert_forged,
    "insert and rehash the rest": insert_and_rehash_the_rest,
    "delete an event": delete_event,
    "delete and rehash the rest": delete_and_rehash_the_rest,
    "swap two events": swap_with_next,
    "cut off the tail": truncate_from,
    "rewrite from scratch": rewrite_from_scratch,
}


# An intact log -------------------------------------------------------------------------


async def test_services_write_one_chained_event_per_change(platform):
    count = await service_chain(platform)
    assert count == 7
    stored = await rows()
    assert [r["seq"] for r in stored] == list(range(1, 8))
    assert stored[0]["prev_hash"] == GENESIS
    assert all(r["prev_hash"] == p["hash"] for p, r in pairwise(stored))
    assert [r["action"] for r in stored] == [
        "account:organisation:create",
        "account:user:add",
        "account:user:add",
        "account:user:add",
        "account:provider:register",
        "account:signin:succeed",
        "account:signin:fail",
    ]
    for r in stored:
        body = json.loads(r["body"])
        assert r["body"] == canonical_json(body).decode()
        assert (body["action"], body["organisation_id"]) == (r["action"], r["organisation_id"])
    result = await audit.verify(platform)
    assert result.ok, result.problem
    assert (result.events_checked, result.unanchored) == (7, 0)


async def test_every_committed_event_gets_a_signed_checkpoint_outside_the_database(platform):
    await service_chain(platform)
    lines = platform.settings.audit_checkpoints_path.read_text().splitlines()
    checkpoints = [json.loads(line) for line in lines]
    assert [c["seq"] for c in checkpoints] == list(range(1, 8))
    assert [c["hash"] for c in checkpoints] == [r["hash"] for r in await rows()]


async def test_a_rolled_back_change_leaves_neither_event_nor_checkpoint(platform):
    await record_events(platform, 2)

    async def failing_change() -> None:
        async with database.write_transaction():
            await audit.record(
                platform,
                AuditAction.ACCOUNT_PASSWORD_CHANGE,
                actor_id=None,
                organisation_id=None,
                object_type="user",
                object_id=None,
            )
            raise RuntimeError("the change fails after its event was written")

    with pytest.raises(RuntimeError):
        await failing_change()
    assert await AuditEvent.count() == 2
    assert len(platform.settings.audit_checkpoints_path.read_text().splitlines()) == 2
    await record_events(platform, 1, tag="after")
    result = await audit.verify(platform)
    assert result.ok, result.problem
    assert result.events_checked == 3


async def test_an_empty_log_verifies(platform):
    result = await audit.verify(platform)
    assert result.ok
    assert result.events_checked == 0


async def test_a_committed_event_whose_checkpoint_was_never_written_is_reported_unanchored(
    platform,
):
    """A crash between commit and checkpoint is not tampering, but verify says so."""
    await record_events(platform, 3)
    path = platform.settings.audit_checkpoints_path
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:2]))
    result = await audit.verify(platform)
    assert result.ok, result.problem
    assert result.unanchored == 1


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@hypothesis_settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    details=st.lists(st.dictionaries(st.text(), json_values, max_size=4), min_size=1, max_size=3)
)
async def test_an_untouched_log_verifies_whatever_its_details_and_times(settings, details):
    """No false alarm: any details, at real clock times, survive the database unchanged."""
    await clear_log(settings)
    platform = Platform(settings)  # the system clock: microseconds and all
    for one in details:
        async with database.write_transaction():
            await audit.record(
                platform,
                AuditAction.ACCOUNT_USER_ROLE_CHANGE,
                actor_id=None,
                organisation_id=None,
                object_type="user",
                object_id=None,
                details=one,
            )
    result = await audit.verify(platform)
    assert result.ok, result.problem
    assert result.events_checked == len(details)


# The database refuses a fork -----------------------------------------------------------


async def test_the_database_refuses_a_second_event_with_the_same_sequence_number(platform):
    await record_events(platform, 2)
    first = await row(1)
    with pytest.raises(Exception, match=r"(?i)unique"):
        await AuditEvent.insert(new_row(1, "a" * 64, forged_body(json.loads(first["body"]))))


async def test_the_database_refuses_a_second_event_after_the_same_predecessor(platform):
    await record_events(platform, 2)
    second = await row(2)
    with pytest.raises(Exception, match=r"(?i)unique"):
        await AuditEvent.insert(
            new_row(3, second["prev_hash"], forged_body(json.loads(second["body"])))
        )


# Each kind of tampering, on a chain the services wrote ----------------------------------


@pytest.mark.parametrize("tampering", TAMPERINGS.values(), ids=TAMPERINGS.keys())
@pytest.mark.parametrize("seq", [1, 4, 7], ids=["first", "middle", "last"])
async def test_every_kind_of_tampering_with_the_rows_is_caught(platform, tampering, seq):
    n = await service_chain(platform)
    expected = await tampering(n, seq)
    result = await audit.verify(platform)
    assert not result.ok
    assert result.first_bad_seq == expected, result.problem


@pytest.mark.parametrize("tampering", TAMPERINGS.values(), ids=TAMPERINGS.keys())
async def test_a_log_read_a_batch_at_a_time_is_checked_across_the_batches(
    platform, monkeypatch, tampering
):
    # Read in batches, so that a long log never sits in memory whole; event 3 is the
    # first of the second batch, chained to the last of the first.
    monkeypatch.setattr(audit, "VERIFY_BATCH", 2)
    n = await service_chain(platform)
    intact = await audit.verify(platform)
    assert intact.ok, intact.problem
    assert intact.events_checked == n
    expected = await tampering(n, 3)
    result = await audit.verify(platform)
    assert not result.ok
    assert result.first_bad_seq == expected, result.problem


async def test_editing_the_action_column_alone_is_caught(platform):
    await service_chain(platform)
    await AuditEvent.update({AuditEvent.action: "account:signin:succeed"}).where(
        AuditEvent.action == "account:signin:fail"
    )
    result = await audit.verify(platform)
    assert not result.ok
    assert result.first_bad_seq == 7
    assert "altered" in result.problem


async def test_editing_the_body_into_invalid_json_is_caught(platform):
    await record_events(platform, 3)
    await AuditEvent.update({AuditEvent.body: "{not json"}).where(AuditEvent.seq == 2)
    result = await audit.verify(platform)
    assert not result.ok
    assert result.first_bad_seq == 2


async def test_replacing_the_body_with_json_that_is_not_an_object_is_caught(platform):
    await record_events(platform, 3)
    await AuditEvent.update({AuditEvent.body: "[1, 2]"}).where(AuditEvent.seq == 2)
    result = await audit.verify(platform)
    assert not result.ok
    assert result.first_bad_seq == 2


async def test_a_stored_body_that_is_not_the_text_that_was_hashed_is_caught(platform):
    """A duplicate key shadowed when parsed shows a reader something never hashed."""
    await record_events(platform, 3)
    text = (await row(2))["body"]
    shadowed = '{"action":"account:signin:succeed",' + text[1:]
    assert json.loads(shadowed) == json.loads(text)
    await AuditEvent.update({AuditEvent.body: shadowed}).where(AuditEvent.seq == 2)
    result = await audit.verify(platform)
    assert not result.ok
    assert result.first_bad_seq == 2


async def test_appending_a_well_chained_event_without_the_key_is_left_unanchored(platform):
    """Without the key nobody can vouch for an appended event: verify reports it."""
    await record_events(platform, 3)
    last = await row(3)
    await AuditEvent.insert(new_row(4, last["hash"], forged_body(json.loads(last["body"]))))
    result = await audit.verify(platform)
    assert result.ok
    assert result.unanchored == 1


async def test_deleting_the_whole_log_is_caught(platform):
    await service_chain(platform)
    await AuditEvent.delete(force=True)
    result = await audit.verify(platform)
    assert not result.ok
    assert result.first_bad_seq == 1


async def test_checkpoints_signed_under_another_key_are_caught(platform, settings):
    await record_events(platform, 3)
    other = replace(platform, settings=replace(settings, secret_key="somebody else's key"))
    result = await audit.verify(other)
    assert not result.ok
    assert result.first_bad_seq == 1
    assert "forged" in result.problem


# Property: any single tampering is caught ---------------------------------------------


@dataclass(frozen=True)
class Case:
    events: int
    tampering: str
    seq: int


cases = st.builds(
    lambda n, name, pick: Case(n, name, 1 + pick % n),
    st.integers(2, 6),
    st.sampled_from(sorted(TAMPERINGS)),
    st.integers(0, 100),
)
few_examples = hypothesis_settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@hypothesis_settings(few_examples, max_examples=40)
@given(case=cases)
async def test_any_single_edit_insertion_deletion_swap_or_truncation_is_caught(
    platform, settings, case
):
    await clear_log(settings)
    await record_events(platform, case.events)
    assert (await audit.verify(platform)).ok
    expected = await TAMPERINGS[case.tampering](case.events, case.seq)
    result = await audit.verify(platform)
    assert not result.ok
    assert result.first_bad_seq == expected, result.problem


@hypothesis_settings(few_examples, max_examples=10)
@given(case=cases)
async def test_caretender_audit_verify_catches_any_single_tampering(platform, settings, case):
    await clear_log(settings)
    await record_events(platform, case.events)
    expected = await TAMPERINGS[case.tampering](case.events, case.seq)
    code, out, err = await verify_command(settings)
    assert code == 1, out + err
    assert first_bad_event(err) == expected
    assert "Audit log is NOT intact" in err


# The command --------------------------------------------------------------------------


async def test_caretender_audit_verify_exits_0_on_an_intact_log(platform, settings):
    await service_chain(platform)
    code, out, err = await verify_command(settings)
    assert code == 0, err
    assert out.strip() == "Audit log intact: 7 events chained."


async def test_caretender_audit_verify_counts_events_after_the_newest_checkpoint(
    platform, settings
):
    await record_events(platform, 3)
    path = settings.audit_checkpoints_path
    path.write_text(path.read_text().splitlines(keepends=True)[0])
    code, out, err = await verify_command(settings)
    assert code == 0, err
    assert out.strip() == "Audit log intact: 3 events chained, 2 after the newest checkpoint."


@pytest.mark.parametrize(
    ("tampering", "seq", "expected"),
    [(edit_detail, 3, 3), (delete_event, 2, 2), (truncate_from, 5, 5)],
    ids=["edit", "deletion", "tail-truncation"],
)
async def test_caretender_audit_verify_names_the_first_bad_event(
    platform, settings, tampering, seq, expected
):
    n = await service_chain(platform)
    await tampering(n, seq)
    code, out, err = await verify_command(settings)
    assert code == 1, out
    assert f"First bad event: {expected}" in err
    assert out == ""


# Concurrent writers -------------------------------------------------------------------


async def assert_one_unbroken_chain(platform, count: int) -> None:
    stored = await rows()
    assert [r["seq"] for r in stored] == list(range(1, count + 1))
    assert stored[0]["prev_hash"] == GENESIS
    assert all(r["prev_hash"] == p["hash"] for p, r in pairwise(stored))
    result = await audit.verify(platform)
    assert result.ok, result.problem
    assert (result.events_checked, result.unanchored) == (count, 0)


async def test_concurrent_registrations_leave_one_unbroken_chain(platform):
    await asyncio.gather(
        *(
            provider_user(platform, f"person{n}@provider{n}.example", f"Provider {n} Ltd")
            for n in range(30)
        )
    )
    # Each registration records the user added and the organisation registered.
    await assert_one_unbroken_chain(platform, 60)


async def test_concurrent_writers_of_mixed_changes_leave_one_unbroken_chain(platform):
    async def one(n: int) -> None:
        async with database.write_transaction():
            await asyncio.sleep(0)
            await audit.record(
                platform,
                AuditAction.ACCOUNT_USER_ROLE_CHANGE,
                actor_id=None,
                organisation_id=uuid4(),
                object_type="user",
                object_id=uuid4(),
                details={"n": n},
            )
            await asyncio.sleep(0)
            if n % 3 == 0:  # a change that writes two events in one transaction
                await audit.record(
                    platform,
                    AuditAction.ACCOUNT_SESSION_REVOKE_ALL,
                    actor_id=None,
                    organisation_id=None,
                    object_type="user",
                    object_id=None,
                    details={"n": n},
                )

    await asyncio.gather(*(one(n) for n in range(30)))
    await assert_one_unbroken_chain(platform, 40)


async def test_concurrent_processes_and_the_app_leave_one_unbroken_chain(platform, settings):
    env = {
        **os.environ,
        "CARETENDER_SECRET_KEY": settings.secret_key,
        "CARETENDER_FILES_DIR": str(settings.files_dir),
        "CARETENDER_ARGON2_TIME_COST": "1",
        "CARETENDER_ARGON2_MEMORY_COST": "8",
        "CARETENDER_ARGON2_PARALLELISM": "1",
    }

    async def create_buyer(n: int) -> int:
        process = await asyncio.create_subprocess_exec(
            str(CARETENDER),
            "create-buyer",
            "--organisation",
            f"Council {n}",
            "--name",
            f"Officer {n}",
            "--email",
            f"officer{n}@council{n}.example",
            "--password",
            PASSWORD,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(process.communicate(), timeout=120)
        assert process.returncode == 0, err.decode()
        return 2  # the organisation and its officer

    async def in_process() -> int:
        await record_events(platform, 10, tag="app")
        return 10

    written = await asyncio.gather(*(create_buyer(n) for n in range(4)), in_process())
    await assert_one_unbroken_chain(platform, sum(written))


async def test_a_damaged_checkpoint_file_fails_verification_without_a_traceback(platform):
    await service_chain(platform)
    path = platform.settings.audit_checkpoints_path
    lines = path.read_text().splitlines()
    lines[2] = lines[2][:10]
    path.write_text("\n".join(lines) + "\n")
    result = await audit.verify(platform)
    assert not result.ok
    assert result.problem == "line 3 of the checkpoint file is damaged"
    code, _, err = await verify_command(platform.settings)
    assert code == 1
    assert "checkpoint file is damaged" in err
    assert "Traceback" not in err


async def test_verify_is_not_misled_by_events_a_running_server_records_meanwhile(platform):
    """Found by the crash test: ``caretender audit verify`` beside a live server said the
    tail was cut off when an event and its checkpoint landed between its two reads."""
    await record_events(platform, 3)
    recording = True

    async def keep_recording() -> int:
        count = 0
        while recording:
            await record_events(platform, 1, tag=f"meanwhile-{count}")
            count += 1
        return count

    writer = asyncio.create_task(keep_recording())
    try:
        results = [await audit.verify(platform) for _ in range(300)]
    finally:
        recording = False
        recorded = await writer
    assert recorded > 0
    assert [result for result in results if not result.ok] == []
