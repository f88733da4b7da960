"""The decision record (issue 7, part 6): one zip holding the published tender, the award
report, every notice, the scores and consensus with their reasons, the conflicts record and
the tender's audit extract with its verification, and a manifest of SHA-256 digests that
matches every file."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

import pytest

from app.audit_chain import GENESIS, event_hash
from app.clock import FixedClock
from app.errors import InvalidTransition, NotFound, NotPermitted
from app.platform import Platform
from app.vocabulary import AuditAction
from evaluation.services import awards, decision_record, notices
from evaluation.services.decision_record import MANIFEST
from tests.conftest import buyer_officer
from tests.evaluation.factories import (
    Evaluation,
    agree_everything,
    evaluation,
    score_everything,
)
from tests.evaluation.test_award_outcomes import CONFIRMED, issued  # noqa: F401 (a fixture)
from tests.evaluation.test_award_report import with_officer_evaluating  # noqa: F401
from tests.evaluation.test_scores import events


async def unzipped(platform: Platform, officer, tender_id) -> dict[str, bytes]:
    record = await decision_record.decision_record(platform, officer, tender_id)
    data = b"".join([chunk async for chunk in decision_record.chunks(record)])
    assert len(data) == record.size
    assert record.file.closed
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


async def test_the_record_holds_the_whole_decision_and_its_manifest_matches(
    platform: Platform,
    clock: FixedClock,
    issued: Evaluation,  # noqa: F811
) -> None:
    clock.instant = CONFIRMED
    await notices.confirm(platform, issued.officer, issued.tender.id)
    files = await unzipped(platform, issued.officer, issued.tender.id)

    # The manifest names every other file, with its digest.
    listed = {}
    for line in files[MANIFEST].decode().splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    assert set(listed) == set(files) - {MANIFEST}
    for name, digest in listed.items():
        assert hashlib.sha256(files[name]).hexdigest() == digest, name

    releases = json.loads(files["tender/releases.json"])
    assert [r["tag"] for r in releases["releases"]][-2:] == [["award"], ["awardUpdate"]]
    assert files["award/award-report.pdf"].startswith(b"%PDF-")
    decision = json.loads(files["award/decision.json"])
    assert decision["reasons"] == "Best value"
    assert decision["standstill_last_day"] == "2027-01-05"
    assert [(o["bidder"], o["outcome"], o["rank"]) for o in decision["outcomes"]] == [
        ("Birch Homes", "successful", 1),
        ("Ashby Care", "unsuccessful", 2),
        ("Cedar Support", "excluded", None),
    ]
    pdfs = [name for name in files if name.startswith("notices/")]
    assert len(pdfs) == 7
    assert all(files[name].startswith(b"%PDF-") for name in pdfs)

    scores = csv_rows(files["evaluation/lot-1/scores.csv"])
    assert {row["Evaluator"] for row in scores} == {"Amy Evans", "Ben Hart"}
    assert "Amy Evans: reason for 1" in {row["Reason"] for row in scores}
    consensus = files["evaluation/lot-1/consensus.csv"].decode("utf-8-sig")
    assert "Agreed at moderation" in consensus
    assert "Birch Homes" in files["evaluation/lot-1/results.csv"].decode("utf-8-sig")
    conflicts = csv_rows(files["conflicts.csv"])
    assert len(conflicts) == 9  # three panel members, each against three bidders
    assert {row["Conflict"] for row in conflicts} == {"No"}


async def test_the_audit_extract_verifies_event_by_event_and_the_chain_as_a_whole(
    platform: Platform,
    issued: Evaluation,  # noqa: F811
) -> None:
    files = await unzipped(platform, issued.officer, issued.tender.id)
    extract = [json.loads(line) for line in files["audit/events.jsonl"].splitlines()]
    actions = [event["body"]["action"] for event in extract]
    for expected in (
        AuditAction.BID_BID_SUBMIT,
        AuditAction.EVALUATION_SCORE_SAVE,
        AuditAction.EVALUATION_LOT_SIGN_OFF,
        AuditAction.EVALUATION_AWARD_APPROVE,
        AuditAction.EVALUATION_NOTICE_ISSUE,
    ):
        assert expected in actions
    # Each event hashes to what the chain recorded, and follows the one before it.
    for event in extract:
        assert event_hash(event["seq"], event["prev_hash"], event["body"]) == event["hash"]
    assert extract[0]["seq"] == 1 or extract[0]["prev_hash"] != GENESIS
    assert [e["seq"] for e in extract] == sorted({e["seq"] for e in extract})
    verification = json.loads(files["audit/verification.json"])
    assert verification["chain"]["ok"] is True
    assert verification["chain"]["events_checked"] >= extract[-1]["seq"]
    assert verification["extracted_events"] == len(extract)
    # Only this tender's events: nothing about another tender.
    assert {e["body"]["object_type"] for e in extract} == {"tender", "bid"}


async def test_each_download_is_audited_with_its_manifest_digest(
    platform: Platform,
    issued: Evaluation,  # noqa: F811
) -> None:
    record = await decision_record.decision_record(platform, issued.officer, issued.tender.id)
    record.file.close()
    [audited] = await events(AuditAction.EVALUATION_DECISION_RECORD_EXPORT)
    assert audited["details"]["manifest_sha256"] == record.manifest_sha256
    assert audited["actor_id"] == str(issued.officer.id)


async def test_the_record_is_refused_before_approval_and_to_anyone_but_the_councils_officers(
    platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock)
    for evaluator in setup.evaluators:
        await score_everything(platform, setup, evaluator)
    await agree_everything(platform, setup)
    with pytest.raises(InvalidTransition, match="once the award is approved"):
        await decision_record.decision_record(platform, setup.officer, setup.tender.id)
    made = await awards.make_report(platform, setup.officer, setup.tender.id)
    await awards.approve(
        platform, setup.officer, setup.tender.id, report_sha256=made.sha256, reasons="Best"
    )
    with pytest.raises(NotPermitted):
        await decision_record.decision_record(platform, setup.evaluators[0], setup.tender.id)
    with pytest.raises((NotFound, NotPermitted)):
        await decision_record.decision_record(platform, setup.providers[0], setup.tender.id)
    other = await buyer_officer(platform, "sam.cole@derbyshire.example", "Derbyshire CC")
    with pytest.raises(NotFound):
        await decision_record.decision_record(platform, other, setup.tender.id)
    # Notices not yet issued: the record holds no notices, and says the rest.
    files = await unzipped(platform, setup.officer, setup.tender.id)
    assert not [name for name in files if name.startswith("notices/")]
    assert json.loads(files["award/decision.json"])["notices_issued_at"] is None


async def test_an_officer_who_evaluates_a_lot_is_refused_as_with_the_award_report(
    platform: Platform,
    with_officer_evaluating: Evaluation,  # noqa: F811
) -> None:
    setup = with_officer_evaluating
    made = await awards.make_report(platform, setup.officer, setup.tender.id)
    await awards.approve(
        platform, setup.officer, setup.tender.id, report_sha256=made.sha256, reasons="Best"
    )
    kim = setup.evaluators[-1]
    assert kim.is_officer
    with pytest.raises(NotPermitted, match="evaluat"):
        await decision_record.decision_record(platform, kim, setup.tender.id)
