"""Bids stay sealed until an officer opens them after the deadline: before then the council
sees only how many bids each lot has, the tender's owner included. Opening recomputes every
seal and records in the audit log whether it matches; afterwards officers read the bids,
and every read is recorded. Only current submissions are opened."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from app import accounts
from app.accounts import CurrentUser
from app.audit import verify
from app.clock import FixedClock
from app.errors import InvalidTransition, NotFound, NotPermitted
from app.platform import Platform
from app.tables import AuditEvent
from app.vocabulary import AuditAction
from tenders import sealing
from tenders.services import addenda, bids, opening, submissions
from tenders.services.opening import SEALED
from tenders.services.submissions import SubmissionView, new_request_key
from tenders.services.views import TenderView, load_tender
from tenders.tables import Submission, Tender
from tenders.vocabulary import QuestionKind, TenderStatus
from tests.conftest import PASSWORD, buyer_officer, evaluator, provider_user
from tests.tenders.bid_factories import complete_bid, submitted_bid
from tests.tenders.factories import DEADLINE, published_tender

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
IN_LONDON = "12:00pm on Friday 11 December 2026"


async def events(action: AuditAction) -> list[dict[str, Any]]:
    """The bodies of the audit events of one action, oldest first."""
    rows = (
        await AuditEvent.select().where(AuditEvent.action == str(action)).order_by(AuditEvent.seq)
    )
    return [json.loads(row["body"]) for row in rows]


async def second_officer(platform: Platform, officer: CurrentUser) -> CurrentUser:
    added = await accounts.add_colleague(
        platform,
        officer,
        {
            "name": "Jo Evans",
            "email": "jo.evans@staffordshire.example",
            "role": "officer",
            "password": PASSWORD,
        },
    )
    return replace(officer, id=added.id, email=added.email, name=added.name, role=added.role)


async def with_evidence(
    platform: Platform, provider: CurrentUser, tender: TenderView, tail: bytes
) -> tuple[UUID, SubmissionView, str]:
    """A bid for the first lot with a PDF attached to its scale question, submitted."""
    bid_id = await complete_bid(platform, provider, tender, lots=1)
    lot = tender.lots[0]
    scale = next(q for q in tender.questions_for(lot) if q.kind is QuestionKind.SCALE)

    async def chunks() -> AsyncIterator[bytes]:
        yield PDF + tail

    stored = await platform.files.save(
        chunks(), filename="policy.pdf", max_bytes=1_000_000, allowed={"pdf": {"application/pdf"}}
    )
    await bids.add_evidence(
        platform, provider, bid_id, lot.id, scale.id, stored, max_bid_bytes=25_000_000
    )
    receipt = await submissions.submit(platform, provider, bid_id, new_request_key())
    return bid_id, receipt, stored.sha256


@pytest.fixture
async def officer(platform: Platform) -> CurrentUser:
    return await buyer_officer(platform)


@pytest.fixture
async def tender(platform: Platform, officer: CurrentUser) -> TenderView:
    return await published_tender(platform, officer)


@pytest.fixture
async def provider(platform: Platform) -> CurrentUser:
    return await provider_user(platform)


@pytest.fixture
async def other_council(platform: Platform) -> CurrentUser:
    return await buyer_officer(platform, "sam.cole@derbyshire.example", "Derbyshire County Council")


@pytest.fixture
async def submitted(
    platform: Platform, provider: CurrentUser, tender: TenderView
) -> tuple[UUID, SubmissionView, str]:
    return await with_evidence(platform, provider, tender, b"")


# Before the deadline ------------------------------------------------------------------------


@pytest.mark.parametrize("early", [timedelta(days=10), timedelta(microseconds=1)], ids=str)
async def test_bids_cannot_be_opened_before_the_deadline(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    tender: TenderView,
    submitted: tuple[UUID, SubmissionView, str],
    early: timedelta,
) -> None:
    clock.instant = DEADLINE - early

    with pytest.raises(InvalidTransition) as refused:
        await opening.open_bids(platform, officer, tender.id)

    assert refused.value.message == f"Bids can be opened only after the deadline, {IN_LONDON}"
    stored = await load_tender(tender.id)
    assert stored is not None
    assert stored.stored_status is TenderStatus.PUBLISHED
    assert await events(AuditAction.TENDER_TENDER_OPEN) == []
    assert await events(AuditAction.BID_SUBMISSION_VERIFY) == []


async def test_only_officers_open_bids(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    other_council: CurrentUser,
    provider: CurrentUser,
    tender: TenderView,
    submitted: tuple[UUID, SubmissionView, str],
) -> None:
    clock.instant = DEADLINE
    with pytest.raises(NotPermitted):
        await opening.open_bids(platform, await evaluator(platform, officer), tender.id)
    with pytest.raises(NotPermitted):
        await opening.open_bids(platform, provider, tender.id)
    with pytest.raises(NotFound):
        await opening.open_bids(platform, other_council, tender.id)
    stored = await load_tender(tender.id)
    assert stored is not None
    assert stored.stored_status is TenderStatus.PUBLISHED


async def test_the_council_sees_how_many_bids_each_lot_has(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    provider: CurrentUser,
    tender: TenderView,
) -> None:
    first, second, third = tender.lots
    await submitted_bid(platform, provider, tender, lots=2)
    lichfield = await provider_user(platform, "ade@lichfield-care.example", "Lichfield Homecare")
    await submitted_bid(platform, lichfield, tender, lots=1)
    # A draft is not a bid.
    drafting = await provider_user(platform, "kim@draft-care.example", "Draft Care Ltd")
    await complete_bid(platform, drafting, tender)

    expected = {first.id: 2, second.id: 1, third.id: 0}
    assert await opening.bid_counts(officer, tender.id) == expected
    assert await opening.bid_counts(await evaluator(platform, officer), tender.id) == expected
    clock.instant = DEADLINE
    assert await opening.bid_counts(officer, str(tender.id)) == expected


async def test_bid_counts_are_the_councils_alone(
    officer: CurrentUser,
    other_council: CurrentUser,
    provider: CurrentUser,
    tender: TenderView,
    submitted: tuple[UUID, SubmissionView, str],
) -> None:
    for actor in (other_council, provider):
        with pytest.raises(NotFound):
            await opening.bid_counts(actor, tender.id)


Read = Callable[[Platform, CurrentUser, UUID, UUID, str], Awaitable[Any]]
READS: dict[str, Read] = {
    "opened_bids": lambda p, a, t, b, sha: opening.opened_bids(a, t),
    "read_bid": lambda p, a, t, b, sha: opening.read_bid(p, a, t, b),
    "sealed_file": lambda p, a, t, b, sha: opening.sealed_file(p, a, t, b, sha),
}


@pytest.mark.parametrize("after_deadline", [False, True], ids=["open", "closed"])
@pytest.mark.parametrize("read", list(READS))
async def test_nobody_reads_a_bid_before_opening(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    other_council: CurrentUser,
    provider: CurrentUser,
    tender: TenderView,
    submitted: tuple[UUID, SubmissionView, str],
    read: str,
    after_deadline: bool,
) -> None:
    bid_id, _, sha256 = submitted
    panel = await evaluator(platform, officer)
    if after_deadline:
        clock.instant = DEADLINE + timedelta(hours=1)

    with pytest.raises(NotPermitted) as refused:
        await READS[read](platform, officer, tender.id, bid_id, sha256)
    assert refused.value.message == SEALED
    with pytest.raises(NotPermitted):
        await READS[read](platform, panel, tender.id, bid_id, sha256)
    for outsider in (other_council, provider):
        with pytest.raises(NotFound):
            await READS[read](platform, outsider, tender.id, bid_id, sha256)

    assert await events(AuditAction.BID_CONTENT_READ) == []


# Opening ----------------------------------------------------------------------------------


async def test_opening_checks_every_seal_and_records_it(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    provider: CurrentUser,
    tender: TenderView,
    submitted: tuple[UUID, SubmissionView, str],
) -> None:
    lichfield = await provider_user(platform, "ade@lichfield-care.example", "Lichfield Homecare")
    other_bid, other_receipt = await submitted_bid(platform, lichfield, tender)
    bid_id, receipt, _ = submitted
    clock.instant = DEADLINE

    opened = await opening.open_bids(platform, officer, tender.id)

    assert opened.opened
    assert {(c.bid_id, c.submission_id, c.matches, c.problem) for c in opened.checks} == {
        (bid_id, receipt.id, True, None),
        (other_bid, other_receipt.id, True, None),
    }
    stored = await load_tender(tender.id)
    assert stored is not None
    assert stored.stored_status is TenderStatus.OPENED
    row = await Tender.select(Tender.opened_by, Tender.opened_at).where(Tender.id == tender.id)
    assert (row[0]["opened_by"], row[0]["opened_at"]) == (officer.id, DEADLINE)
    verified = await events(AuditAction.BID_SUBMISSION_VERIFY)
    assert sorted((e["object_id"], e["details"]["submission"]) for e in verified) == sorted(
        [(str(bid_id), str(receipt.id)), (str(other_bid), str(other_receipt.id))]
    )
    assert all(e["details"]["matches"] is True for e in verified)
    [opened_event] = await events(AuditAction.TENDER_TENDER_OPEN)
    assert opened_event["object_id"] == str(tender.id)
    assert opened_event["actor_id"] == str(officer.id)
    assert opened_event["details"]["bids"] == 2
    assert opened_event["details"]["seals_matching"] == 2
    assert (await verify(platform)).ok


async def test_a_tender_with_no_bids_opens(
    platform: Platform, clock: FixedClock, officer: CurrentUser, tender: TenderView
) -> None:
    clock.instant = DEADLINE
    opened = await opening.open_bids(platform, officer, tender.id)
    assert (opened.opened, opened.checks) == (True, ())
    assert await opening.opened_bids(officer, tender.id) == []


async def test_bids_are_opened_once(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    tender: TenderView,
    submitted: tuple[UUID, SubmissionView, str],
) -> None:
    clock.instant = DEADLINE
    await opening.open_bids(platform, officer, tender.id)
    clock.advance(timedelta(minutes=5))

    with pytest.raises(InvalidTransition):
        await opening.open_bids(platform, officer, tender.id)

    assert len(await events(AuditAction.TENDER_TENDER_OPEN)) == 1
    assert len(await events(AuditAction.BID_SUBMISSION_VERIFY)) == 1


async def test_changed_content_is_caught_at_opening(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    provider: CurrentUser,
    tender: TenderView,
    submitted: tuple[UUID, SubmissionView, str],
) -> None:
    lichfield = await provider_user(platform, "ade@lichfield-care.example", "Lichfield Homecare")
    untouched, _ = await submitted_bid(platform, lichfield, tender)
    bid_id, receipt, _ = submitted
    [row] = await Submission.select(Submission.content).where(Submission.id == receipt.id)
    content = json.loads(row["content"])
    content["lots"][0]["prices"][0]["unit_price_pence"] -= 100
    await Submission.update({Submission.content: sealing.canonical(content).decode()}).where(
        Submission.id == receipt.id
    )
    clock.instant = DEADLINE

    opened = await opening.open_bids(platform, officer, tender.id)

    checks = {c.bid_id: c for c in opened.checks}
    assert (checks[bid_id].matches, checks[bid_id].problem) == (
        False,
        "The content does not match its seal",
    )
    assert checks[untouched].matches
    details = {
        e["object_id"]: e["details"] for e in await events(AuditAction.BID_SUBMISSION_VERIFY)
    }
    assert details[str(bid_id)]["matches"] is False
    assert details[str(bid_id)]["problem"] == "The content does not match its seal"
    assert details[str(untouched)]["matches"] is True
    [opened_event] = await events(AuditAction.TENDER_TENDER_OPEN)
    assert opened_event["details"]["seals_matching"] == 1


async def test_a_changed_file_is_caught_at_opening(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    tender: TenderView,
    submitted: tuple[UUID, SubmissionView, str],
) -> None:
    bid_id, _, sha256 = submitted
    platform.files.open_path(sha256).write_bytes(PDF + b"% a different policy")
    clock.instant = DEADLINE

    [check] = (await opening.open_bids(platform, officer, tender.id)).checks

    assert (check.bid_id, check.matches) == (bid_id, False)
    assert check.problem == f"The file {sha256} has changed"
    [verified] = await events(AuditAction.BID_SUBMISSION_VERIFY)
    assert verified["details"]["matches"] is False


async def test_a_missing_file_is_caught_at_opening(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    tender: TenderView,
    submitted: tuple[UUID, SubmissionView, str],
) -> None:
    _, _, sha256 = submitted
    platform.files.open_path(sha256).unlink()
    clock.instant = DEADLINE

    [check] = (await opening.open_bids(platform, officer, tender.id)).checks

    assert (check.matches, check.problem) == (False, f"The file {sha256} is missing")


async def test_unreadable_content_is_recorded_as_a_broken_seal(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    tender: TenderView,
    submitted: tuple[UUID, SubmissionView, str],
) -> None:
    bid_id, receipt, _ = submitted
    await Submission.update({Submission.content: "{not json"}).where(Submission.id == receipt.id)
    clock.instant = DEADLINE

    [check] = (await opening.open_bids(platform, officer, tender.id)).checks

    assert (check.bid_id, check.matches) == (bid_id, False)


async def test_content_rewritten_with_its_digest_is_caught_against_the_receipt(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    tender: TenderView,
    submitted: tuple[UUID, SubmissionView, str],
) -> None:
    bid_id, receipt, _ = submitted
    [row] = await Submission.select(Submission.content).where(Submission.id == receipt.id)
    content = json.loads(row["content"])
    content["lots"][0]["prices"][0]["unit_price_pence"] = 999
    await Submission.update(
        {
            Submission.content: sealing.canonical(content).decode(),
            Submission.digest: sealing.digest(content),
        }
    ).where(Submission.id == receipt.id)
    clock.instant = DEADLINE

    [check] = (await opening.open_bids(platform, officer, tender.id)).checks

    # The provider's receipt (and the hash-chained audit event of the submission) carry the
    # digest given at submission; the row no longer does.
    assert sealing.digest(content) != receipt.digest
    assert (check.bid_id, check.matches) == (bid_id, False)


# Two officers ---------------------------------------------------------------------------


async def test_where_two_officers_are_needed_a_second_confirms_the_opening(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    tender: TenderView,
    submitted: tuple[UUID, SubmissionView, str],
) -> None:
    await Tender.update({Tender.opening_needs_two_officers: True}).where(Tender.id == tender.id)
    colleague = await second_officer(platform, officer)
    clock.instant = DEADLINE + timedelta(hours=1)

    asked = await opening.open_bids(platform, officer, tender.id)

    assert (asked.opened, asked.checks) == (False, ())
    [request] = await events(AuditAction.TENDER_TENDER_OPEN_REQUEST)
    assert request["actor_id"] == str(officer.id)
    with pytest.raises(NotPermitted):
        await opening.opened_bids(officer, tender.id)
    with pytest.raises(InvalidTransition) as refused:
        await opening.open_bids(platform, officer, tender.id)
    assert "Another officer must confirm" in refused.value.message
    assert await events(AuditAction.TENDER_TENDER_OPEN) == []

    clock.advance(timedelta(minutes=10))
    confirmed = await opening.open_bids(platform, colleague, tender.id)

    assert confirmed.opened
    assert [c.matches for c in confirmed.checks] == [True]
    [opened_event] = await events(AuditAction.TENDER_TENDER_OPEN)
    assert opened_event["actor_id"] == str(colleague.id)
    assert opened_event["details"]["requested_by"] == str(officer.id)
    stored = await load_tender(tender.id)
    assert stored is not None
    assert stored.stored_status is TenderStatus.OPENED
    with pytest.raises(InvalidTransition):
        await opening.open_bids(platform, colleague, tender.id)


async def test_asking_twice_for_a_two_officer_opening_is_asking_once(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    tender: TenderView,
) -> None:
    await Tender.update({Tender.opening_needs_two_officers: True}).where(Tender.id == tender.id)
    colleague = await second_officer(platform, officer)
    clock.instant = DEADLINE
    await opening.open_bids(platform, officer, tender.id)
    with pytest.raises(InvalidTransition):
        await opening.open_bids(platform, officer, tender.id)
    assert len(await events(AuditAction.TENDER_TENDER_OPEN_REQUEST)) == 1
    assert (await opening.open_bids(platform, colleague, tender.id)).opened


# After opening ----------------------------------------------------------------------------


async def test_after_opening_an_officer_reads_a_bid_and_every_read_is_recorded(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    provider: CurrentUser,
    tender: TenderView,
    submitted: tuple[UUID, SubmissionView, str],
) -> None:
    bid_id, receipt, sha256 = submitted
    clock.instant = DEADLINE
    await opening.open_bids(platform, officer, tender.id)

    [listed] = await opening.opened_bids(officer, tender.id)
    assert (listed.bid_id, listed.submission_id, listed.digest, listed.number) == (
        bid_id,
        receipt.id,
        receipt.digest,
        1,
    )
    assert listed.organisation == provider.organisation_name
    assert listed.received_at == receipt.received_at

    first = await opening.read_bid(platform, officer, tender.id, bid_id)
    second = await opening.read_bid(platform, officer, str(tender.id), str(bid_id))

    [row] = await Submission.select(Submission.content).where(Submission.id == receipt.id)
    assert first.content == second.content == json.loads(row["content"])
    assert sealing.digest(first.content) == receipt.digest
    assert first.bid == listed
    reads = await events(AuditAction.BID_CONTENT_READ)
    assert len(reads) == 2
    assert all(
        (e["object_id"], e["actor_id"], e["details"]["submission"])
        == (str(bid_id), str(officer.id), str(receipt.id))
        for e in reads
    )

    evidence = await opening.sealed_file(platform, officer, tender.id, bid_id, sha256)
    assert evidence == {
        "sha256": sha256,
        "name": "policy.pdf",
        "type": "application/pdf",
        "size": len(PDF),
    }
    file_read = (await events(AuditAction.BID_CONTENT_READ))[2]
    assert file_read["details"] == {
        "submission": str(receipt.id),
        "file": sha256,
        "name": "policy.pdf",
    }
    with pytest.raises(NotFound):
        await opening.sealed_file(platform, officer, tender.id, bid_id, "0" * 64)
    # A file that is not in the bid is not a read of it.
    assert len(await events(AuditAction.BID_CONTENT_READ)) == 3
    assert (await verify(platform)).ok


async def test_after_opening_evaluators_and_outsiders_still_cannot_read_bids_here(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    other_council: CurrentUser,
    provider: CurrentUser,
    tender: TenderView,
    submitted: tuple[UUID, SubmissionView, str],
) -> None:
    bid_id, _, sha256 = submitted
    panel = await evaluator(platform, officer)
    clock.instant = DEADLINE
    await opening.open_bids(platform, officer, tender.id)

    for read in READS.values():
        with pytest.raises(NotPermitted):
            await read(platform, panel, tender.id, bid_id, sha256)
        for outsider in (other_council, provider):
            with pytest.raises(NotFound):
                await read(platform, outsider, tender.id, bid_id, sha256)
    assert await events(AuditAction.BID_CONTENT_READ) == []


async def test_withdrawn_and_superseded_submissions_are_neither_counted_nor_opened(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    provider: CurrentUser,
    tender: TenderView,
) -> None:
    # Moorlands submits twice; only the second counts.
    resubmitted, first = await submitted_bid(platform, provider, tender, lots=1)
    clock.advance(timedelta(minutes=5))
    second = await submissions.submit(platform, provider, resubmitted, new_request_key())
    # Lichfield submits and withdraws.
    lichfield = await provider_user(platform, "ade@lichfield-care.example", "Lichfield Homecare")
    withdrawn, _ = await submitted_bid(platform, lichfield, tender, lots=1)
    await submissions.withdraw(platform, lichfield, withdrawn, "We cannot staff it")
    # Kirkby submits, withdraws and submits again: its second submission counts.
    kirkby = await provider_user(platform, "jo@kirkby-care.example", "Kirkby Care")
    returned, _ = await submitted_bid(platform, kirkby, tender, lots=1)
    await submissions.withdraw(platform, kirkby, returned, "A mistake in our prices")
    back = await submissions.submit(platform, kirkby, returned, new_request_key())

    assert await opening.bid_counts(officer, tender.id) == {
        tender.lots[0].id: 2,
        tender.lots[1].id: 0,
        tender.lots[2].id: 0,
    }
    clock.instant = DEADLINE
    opened = await opening.open_bids(platform, officer, tender.id)

    assert {(c.bid_id, c.submission_id) for c in opened.checks} == {
        (resubmitted, second.id),
        (returned, back.id),
    }
    verified = await events(AuditAction.BID_SUBMISSION_VERIFY)
    assert {e["details"]["submission"] for e in verified} == {str(second.id), str(back.id)}
    assert first.id not in {b.submission_id for b in await opening.opened_bids(officer, tender.id)}
    assert (
        await opening.read_bid(platform, officer, tender.id, resubmitted)
    ).bid.submission_id == (second.id)
    with pytest.raises(NotFound):
        await opening.read_bid(platform, officer, tender.id, withdrawn)


async def test_a_cancelled_tender_cannot_be_opened(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    tender: TenderView,
    submitted: tuple[UUID, SubmissionView, str],
) -> None:
    await addenda.cancel_tender(
        platform, officer, str(tender.id), {"reason": "The service is no longer needed"}
    )
    clock.instant = DEADLINE

    with pytest.raises(InvalidTransition) as refused:
        await opening.open_bids(platform, officer, tender.id)

    assert refused.value.message == "This tender is cancelled: its bids cannot be opened"
    assert await events(AuditAction.TENDER_TENDER_OPEN) == []
    assert await events(AuditAction.BID_SUBMISSION_VERIFY) == []
