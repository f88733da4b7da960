"""Submitting seals a bid with the SHA-256 digest of its content and records the exact time
of receipt, checked against the deadline inside the committing transaction: nothing is
ever accepted at or after the deadline, however many bidders press the button together.
A repeated post is one submission; resubmission and withdrawal keep the history."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import datetime, timedelta
from uuid import UUID

import pytest

from app.accounts import CurrentUser
from app.audit import verify
from app.clock import FixedClock
from app.errors import DeadlinePassed, Invalid, NotFound
from app.platform import Platform
from app.tables import AuditEvent, OutboxMessage
from app.vocabulary import AuditAction
from tenders import sealing
from tenders.services import bids, opening, submissions
from tenders.services.bids import AnswerEntry
from tenders.services.submissions import NotReady, new_request_key
from tenders.services.views import TenderView
from tenders.tables import Bid, Submission
from tenders.vocabulary import BidStatus, QuestionKind
from tests.conftest import buyer_officer, provider_user
from tests.tenders.bid_factories import complete_bid, submitted_bid
from tests.tenders.factories import DEADLINE, published_tender

IN_LONDON = "12:00pm on Friday 11 December 2026"


async def audited(action: AuditAction) -> int:
    return await AuditEvent.count().where(AuditEvent.action == str(action))


async def mailed(subject: str) -> list[dict]:
    return await OutboxMessage.select().where(OutboxMessage.subject == subject)


async def written() -> tuple[int, int, int]:
    """Submissions, emails and audit events so far."""
    return await Submission.count(), await OutboxMessage.count(), await AuditEvent.count()


@pytest.fixture
async def officer(platform: Platform) -> CurrentUser:
    return await buyer_officer(platform)


@pytest.fixture
async def tender(platform: Platform, officer: CurrentUser) -> TenderView:
    return await published_tender(platform, officer)


@pytest.fixture
async def provider(platform: Platform) -> CurrentUser:
    return await provider_user(platform)


# Submitting -----------------------------------------------------------------------------


async def test_a_bid_with_problems_is_not_submitted_and_each_problem_is_listed(
    platform: Platform, provider: CurrentUser, tender: TenderView
) -> None:
    lot = tender.lots[0]
    bid_id = await bids.start_bid(platform, provider, tender.id)
    await bids.choose_lots(platform, provider, bid_id, [str(lot.id)], 1)
    before = await written()

    with pytest.raises(NotReady) as refused:
        await submissions.submit(platform, provider, bid_id, new_request_key())

    questions = tender.questions_for(lot)
    gate = next(q for q in questions if q.kind is QuestionKind.PASS_FAIL)
    scale = next(q for q in questions if q.kind is QuestionKind.SCALE)
    [item] = lot.price_items
    assert [(p.field, p.message) for p in refused.value.problems] == [
        (f"declaration-{gate.id}", f"Lot 1: Answer yes or no to question {gate.number}"),
        (f"answer-{scale.id}", f"Lot 1: Answer question {scale.number}"),
        (f"price-{item.id}", "Lot 1: Enter a price for Support worker, daytime"),
    ]
    assert set(refused.value.field_errors) == {p.field for p in refused.value.problems}
    assert refused.value.message == "Your bid cannot be submitted yet: 3 things need fixing"
    assert await written() == before
    assert (await bids.own_bid(provider, bid_id)).status is BidStatus.DRAFT


async def test_a_bid_for_no_lot_is_not_submitted(
    platform: Platform, provider: CurrentUser, tender: TenderView
) -> None:
    bid_id = await bids.start_bid(platform, provider, tender.id)
    with pytest.raises(NotReady) as refused:
        await submissions.submit(platform, provider, bid_id, new_request_key())
    assert [p.field for p in refused.value.problems] == ["lots"]
    assert refused.value.message == "Your bid cannot be submitted yet: 1 thing needs fixing"


async def test_a_submission_is_sealed_with_the_digest_of_its_content(
    platform: Platform, clock: FixedClock, provider: CurrentUser, tender: TenderView
) -> None:
    bid_id = await complete_bid(platform, provider, tender, lots=2)
    clock.advance(timedelta(hours=1))

    receipt = await submissions.submit(platform, provider, bid_id, new_request_key())

    [row] = await Submission.select()
    assert row["id"] == receipt.id
    assert (row["number"], row["received_at"], row["submitted_by"]) == (
        1,
        clock.instant,
        provider.id,
    )
    content = json.loads(row["content"])
    assert row["digest"] == receipt.digest == sealing.digest(content)
    assert row["content"] == sealing.canonical(content).decode()
    bid = await bids.own_bid(provider, bid_id)
    assert content == bids.sealed_content(bid)
    assert [lot["lot"] for lot in content["lots"]] == [str(lot.id) for lot in tender.lots[:2]]
    assert receipt.lot_ids == bid.lot_ids == tuple(lot.id for lot in tender.lots[:2])
    assert (receipt.number, receipt.received_at, receipt.current) == (1, clock.instant, True)
    assert bid.status is BidStatus.SUBMITTED
    assert bid.current_submission == receipt
    assert not bid.changed_since_submission


async def test_the_submitter_is_emailed_the_digest_and_submission_id(
    platform: Platform, provider: CurrentUser, tender: TenderView
) -> None:
    bid_id, receipt = await submitted_bid(platform, provider, tender)

    [mail] = await mailed(f"Bid received: {tender.title}")
    assert mail["recipient"] == provider.email
    assert mail["subject"] == f"Bid received: {tender.title}"
    assert receipt.digest in mail["body"]
    assert str(receipt.id) in mail["body"]
    assert f"/bids/{bid_id}/submissions/{receipt.id}" in mail["body"]
    assert "replaces" not in mail["body"]


async def test_a_submission_is_audited(
    platform: Platform, provider: CurrentUser, tender: TenderView
) -> None:
    bid_id, receipt = await submitted_bid(platform, provider, tender)

    [event] = await AuditEvent.select().where(AuditEvent.action == str(AuditAction.BID_BID_SUBMIT))
    body = json.loads(event["body"])
    assert body["object_id"] == str(bid_id)
    assert body["actor_id"] == str(provider.id)
    assert body["details"]["submission"] == str(receipt.id)
    assert body["details"]["digest"] == receipt.digest
    assert body["details"]["number"] == 1
    assert (await verify(platform)).ok


async def test_the_receipt_is_the_organisations_alone(
    platform: Platform, officer: CurrentUser, provider: CurrentUser, tender: TenderView
) -> None:
    bid_id, submitted = await submitted_bid(platform, provider, tender, lots=1)

    receipt = await submissions.receipt(provider, bid_id, submitted.id)
    assert receipt.submission == submitted
    assert receipt.lots == (f"Lot 1: {tender.lots[0].name}",)
    assert receipt.deadline == DEADLINE
    assert receipt.organisation == provider.organisation_name

    other = await provider_user(platform, "ade@lichfield-care.example", "Lichfield Homecare")
    for actor in (other, officer):
        with pytest.raises(NotFound):
            await submissions.receipt(actor, bid_id, submitted.id)


async def test_resubmitting_supersedes_the_first_and_keeps_it(
    platform: Platform, clock: FixedClock, provider: CurrentUser, tender: TenderView
) -> None:
    bid_id, first = await submitted_bid(platform, provider, tender, lots=1)
    lot = tender.lots[0]
    scale = next(q for q in tender.questions_for(lot) if q.kind is QuestionKind.SCALE)
    clock.advance(timedelta(minutes=10))
    await bids.save_answers(
        platform, provider, bid_id, lot.id, [AnswerEntry(scale.id, "A better answer", None, 1)]
    )
    assert (await bids.own_bid(provider, bid_id)).changed_since_submission
    clock.advance(timedelta(minutes=10))

    second = await submissions.submit(platform, provider, bid_id, new_request_key())

    assert second.number == 2
    assert second.digest != first.digest
    rows = {row["number"]: row for row in await Submission.select()}
    assert set(rows) == {1, 2}
    assert rows[1]["superseded_at"] == clock.instant
    assert rows[1]["digest"] == first.digest
    assert rows[2]["superseded_at"] is None
    bid = await bids.own_bid(provider, bid_id)
    assert [s.number for s in bid.submissions] == [2, 1]
    assert bid.current_submission == second
    assert (await submissions.receipt(provider, bid_id, first.id)).submission.current is False
    assert await audited(AuditAction.BID_BID_SUBMIT) == 2
    mails = await mailed(f"Bid received: {tender.title}")
    assert len(mails) == 2
    mails.sort(key=lambda mail: mail["created_at"])
    assert "This replaces the bid you submitted before" in mails[1]["body"]


async def test_a_repeated_post_finds_the_same_submission(
    platform: Platform, clock: FixedClock, provider: CurrentUser, tender: TenderView
) -> None:
    bid_id = await complete_bid(platform, provider, tender, lots=1)
    key = new_request_key()
    first = await submissions.submit(platform, provider, bid_id, key)
    clock.advance(timedelta(seconds=2))
    before = await written()

    again = await submissions.submit(platform, provider, bid_id, key)

    assert again == first
    assert await written() == before
    assert await Submission.count() == 1
    assert await audited(AuditAction.BID_BID_SUBMIT) == 1


async def test_a_repeated_post_after_the_deadline_still_finds_its_submission(
    platform: Platform, clock: FixedClock, provider: CurrentUser, tender: TenderView
) -> None:
    bid_id = await complete_bid(platform, provider, tender, lots=1)
    key = new_request_key()
    first = await submissions.submit(platform, provider, bid_id, key)
    clock.instant = DEADLINE + timedelta(seconds=1)
    assert await submissions.submit(platform, provider, bid_id, key) == first
    assert await Submission.count() == 1


async def test_another_organisation_cannot_use_a_bids_request_key(
    platform: Platform, officer: CurrentUser, provider: CurrentUser, tender: TenderView
) -> None:
    bid_id = await complete_bid(platform, provider, tender, lots=1)
    key = new_request_key()
    await submissions.submit(platform, provider, bid_id, key)
    other = await provider_user(platform, "ade@lichfield-care.example", "Lichfield Homecare")
    for actor in (other, officer):
        with pytest.raises(NotFound):
            await submissions.submit(platform, actor, bid_id, key)
        with pytest.raises(NotFound):
            await submissions.submit(platform, actor, bid_id, new_request_key())
    assert await Submission.count() == 1


async def test_a_malformed_request_key_is_refused(
    platform: Platform, provider: CurrentUser, tender: TenderView
) -> None:
    bid_id = await complete_bid(platform, provider, tender, lots=1)
    for key in ("", "short", "x" * 41, "has space in it", "drop'table"):
        with pytest.raises(Invalid) as refused:
            await submissions.submit(platform, provider, bid_id, key)
        assert list(refused.value.field_errors) == ["request_key"]
    assert await Submission.count() == 0


@pytest.mark.parametrize(
    "late", [timedelta(0), timedelta(microseconds=1), timedelta(days=3)], ids=str
)
async def test_a_submission_at_or_after_the_deadline_is_refused(
    platform: Platform,
    clock: FixedClock,
    provider: CurrentUser,
    tender: TenderView,
    late: timedelta,
) -> None:
    bid_id = await complete_bid(platform, provider, tender)
    clock.instant = DEADLINE + late
    before = await written()

    with pytest.raises(DeadlinePassed) as refused:
        await submissions.submit(platform, provider, bid_id, new_request_key())

    assert IN_LONDON in refused.value.message
    assert await written() == before
    assert (await bids.own_bid(provider, bid_id)).status is BidStatus.DRAFT


async def test_a_submission_just_before_the_deadline_is_received(
    platform: Platform, clock: FixedClock, provider: CurrentUser, tender: TenderView
) -> None:
    bid_id = await complete_bid(platform, provider, tender)
    clock.instant = DEADLINE - timedelta(microseconds=1)
    receipt = await submissions.submit(platform, provider, bid_id, new_request_key())
    [row] = await Submission.select(Submission.received_at)
    assert row["received_at"] == receipt.received_at == DEADLINE - timedelta(microseconds=1)


async def test_a_resubmission_after_the_deadline_is_refused_and_the_first_stands(
    platform: Platform, clock: FixedClock, provider: CurrentUser, tender: TenderView
) -> None:
    bid_id, first = await submitted_bid(platform, provider, tender)
    clock.instant = DEADLINE
    with pytest.raises(DeadlinePassed):
        await submissions.submit(platform, provider, bid_id, new_request_key())
    assert (await bids.own_bid(provider, bid_id)).current_submission == first
    assert await Submission.count() == 1


async def warm_pool(callers: int) -> None:
    """On PostgreSQL, a connection open for each caller, so that their calls overlap."""
    await asyncio.gather(*(Submission.count() for _ in range(callers)))


async def test_a_double_click_is_one_submission(
    platform: Platform, provider: CurrentUser, tender: TenderView
) -> None:
    bid_id = await complete_bid(platform, provider, tender, lots=1)
    for _ in range(3):
        key = new_request_key()
        await warm_pool(3)
        outcomes = await asyncio.gather(
            *(submissions.submit(platform, provider, bid_id, key) for _ in range(3)),
            return_exceptions=True,
        )
        assert all(isinstance(o, submissions.SubmissionView) for o in outcomes), outcomes
        assert len(set(outcomes)) == 1
    assert await Submission.count() == 3


async def test_two_people_submitting_one_bid_at_once_leave_one_current_submission(
    platform: Platform, officer: CurrentUser, provider: CurrentUser, tender: TenderView
) -> None:
    bid_id = await complete_bid(platform, provider, tender, lots=1)

    for round_ in range(1, 4):
        await warm_pool(2)
        outcomes = await asyncio.gather(
            submissions.submit(platform, provider, bid_id, new_request_key()),
            submissions.submit(platform, provider, bid_id, new_request_key()),
            return_exceptions=True,
        )
        assert all(isinstance(o, submissions.SubmissionView) for o in outcomes), outcomes
        rows = await Submission.select(Submission.number, Submission.superseded_at)
        assert sorted(row["number"] for row in rows) == list(range(1, 2 * round_ + 1))
        assert [row["number"] for row in rows if row["superseded_at"] is None] == [2 * round_]
    assert await opening.bid_counts(officer, tender.id) == {
        lot.id: int(lot == tender.lots[0]) for lot in tender.lots
    }


async def test_a_rush_of_submissions_is_taken_in_turns_and_every_one_is_received(
    platform: Platform, officer: CurrentUser, tender: TenderView, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Begun all together and interleaved, a rush would finish every submission late.
    providers = [
        await provider_user(platform, f"bids@rush-{n}.example", f"Rush {n} Care Ltd")
        for n in range(3 * submissions.SUBMITTING_AT_ONCE)
    ]
    bid_ids = [await complete_bid(platform, p, tender, lots=1) for p in providers]
    working, most = 0, 0
    own_bid = bids.own_bid

    async def counted(actor: CurrentUser, bid_id: str | UUID) -> bids.BidView:
        nonlocal working, most
        working += 1
        most = max(most, working)
        try:
            await asyncio.sleep(0.01)  # long enough for every caller to have begun
            return await own_bid(actor, bid_id)
        finally:
            working -= 1

    monkeypatch.setattr(submissions, "own_bid", counted)
    await warm_pool(len(providers))
    outcomes = await asyncio.gather(
        *(
            submissions.submit(platform, p, bid_id, new_request_key())
            for p, bid_id in zip(providers, bid_ids, strict=True)
        )
    )

    assert most == submissions.SUBMITTING_AT_ONCE
    assert {o.bid_id for o in outcomes} == set(bid_ids)
    assert await Submission.count() == len(providers)


# Withdrawing ----------------------------------------------------------------------------


async def test_withdrawing_needs_a_reason(
    platform: Platform, provider: CurrentUser, tender: TenderView
) -> None:
    bid_id, _ = await submitted_bid(platform, provider, tender)
    before = await written()
    for reason in ("", "   ", "x" * (submissions.MAX_REASON + 1)):
        with pytest.raises(Invalid) as refused:
            await submissions.withdraw(platform, provider, bid_id, reason)
        assert list(refused.value.field_errors) == ["reason"]
    assert await written() == before
    assert (await bids.own_bid(provider, bid_id)).status is BidStatus.SUBMITTED


async def test_a_bid_never_submitted_cannot_be_withdrawn(
    platform: Platform, provider: CurrentUser, tender: TenderView
) -> None:
    bid_id = await complete_bid(platform, provider, tender)
    with pytest.raises(Invalid) as refused:
        await submissions.withdraw(platform, provider, bid_id, "Changed our minds")
    assert "nothing to withdraw" in refused.value.field_errors["reason"]


async def test_withdrawing_marks_the_current_submission_and_twice_is_once(
    platform: Platform, clock: FixedClock, provider: CurrentUser, tender: TenderView
) -> None:
    bid_id, receipt = await submitted_bid(platform, provider, tender)
    clock.advance(timedelta(hours=2))
    withdrawn_at = clock.instant

    await submissions.withdraw(platform, provider, bid_id, "We cannot staff the overnight lot")
    clock.advance(timedelta(minutes=1))
    await submissions.withdraw(platform, provider, bid_id, "Pressed twice")

    [row] = await Submission.select()
    assert row["id"] == receipt.id
    assert row["withdrawn_at"] == withdrawn_at
    assert row["superseded_at"] is None
    bid = await bids.own_bid(provider, bid_id)
    assert bid.status is BidStatus.WITHDRAWN
    assert (bid.withdrawn_at, bid.withdraw_reason) == (
        withdrawn_at,
        "We cannot staff the overnight lot",
    )
    assert bid.current_submission is None
    assert await audited(AuditAction.BID_BID_WITHDRAW) == 1
    mails = await mailed(f"Bid withdrawn: {tender.title}")
    assert [m["recipient"] for m in mails] == [provider.email]


async def test_a_bid_cannot_be_withdrawn_at_or_after_the_deadline(
    platform: Platform, clock: FixedClock, provider: CurrentUser, tender: TenderView
) -> None:
    bid_id, receipt = await submitted_bid(platform, provider, tender)
    clock.instant = DEADLINE
    before = await written()

    with pytest.raises(DeadlinePassed) as refused:
        await submissions.withdraw(platform, provider, bid_id, "Too late")

    assert IN_LONDON in refused.value.message
    assert await written() == before
    bid = await bids.own_bid(provider, bid_id)
    assert bid.status is BidStatus.SUBMITTED
    assert bid.current_submission == receipt


async def test_only_the_organisation_can_withdraw_its_bid(
    platform: Platform, officer: CurrentUser, provider: CurrentUser, tender: TenderView
) -> None:
    bid_id, _ = await submitted_bid(platform, provider, tender)
    other = await provider_user(platform, "ade@lichfield-care.example", "Lichfield Homecare")
    for actor in (other, officer):
        with pytest.raises(NotFound):
            await submissions.withdraw(platform, actor, bid_id, "Not yours")
    assert (await bids.own_bid(provider, bid_id)).status is BidStatus.SUBMITTED


async def test_a_withdrawn_bid_can_be_submitted_again(
    platform: Platform, clock: FixedClock, provider: CurrentUser, tender: TenderView
) -> None:
    bid_id, first = await submitted_bid(platform, provider, tender)
    clock.advance(timedelta(hours=1))
    await submissions.withdraw(platform, provider, bid_id, "A mistake in our prices")
    clock.advance(timedelta(hours=1))

    second = await submissions.submit(platform, provider, bid_id, new_request_key())

    assert second.number == 2
    bid = await bids.own_bid(provider, bid_id)
    assert bid.status is BidStatus.SUBMITTED
    assert (bid.withdrawn_at, bid.withdraw_reason) == (None, None)
    assert bid.current_submission == second
    rows = {row["number"]: row for row in await Submission.select()}
    assert rows[1]["withdrawn_at"] is not None
    assert rows[1]["superseded_at"] is None
    assert rows[2]["withdrawn_at"] is None
    assert (await bids.own_bid(provider, bid_id)).submissions[1].id == first.id


# The deadline race ----------------------------------------------------------------------


class CrossingClock:
    """A clock that moves on a little every time it is read: concurrent submissions read
    instants on both sides of the deadline, in whatever order they reach the clock."""

    def __init__(self, start: datetime, step: timedelta) -> None:
        self.instant = start
        self.step = step

    def now(self) -> datetime:
        read = self.instant
        self.instant += self.step
        return read


BIDDERS = 30


async def test_concurrent_submissions_across_the_deadline_are_never_accepted_late(
    platform: Platform, officer: CurrentUser
) -> None:
    tender = await published_tender(platform, officer, lots=1)
    providers = [
        await provider_user(platform, f"bids@provider-{n}.example", f"Provider {n} Care Ltd")
        for n in range(BIDDERS)
    ]
    bid_ids = [await complete_bid(platform, p, tender) for p in providers]
    # Each submission reads the clock twice before the write lock (the deadline, the mail
    # headers), and a successful one three times inside (receipt, audit, mail): starting
    # 100 ms early, the first to take the lock lands before the deadline whatever the
    # order, and the clock crosses it long before all 30 have.
    clock = CrossingClock(DEADLINE - timedelta(milliseconds=100), timedelta(milliseconds=1))
    racing = replace(platform, clock=clock)

    outcomes = await asyncio.gather(
        *(
            submissions.submit(racing, p, bid_id, new_request_key())
            for p, bid_id in zip(providers, bid_ids, strict=True)
        ),
        return_exceptions=True,
    )

    receipts = [o for o in outcomes if isinstance(o, submissions.SubmissionView)]
    refusals = [o for o in outcomes if not isinstance(o, submissions.SubmissionView)]
    assert receipts, "no submission landed before the deadline"
    assert refusals, "the clock never crossed the deadline"
    assert all(isinstance(o, DeadlinePassed) for o in refusals), refusals
    assert all(IN_LONDON in o.message for o in refusals)
    rows = await Submission.select(Submission.id, Submission.bid, Submission.received_at)
    assert all(row["received_at"] < DEADLINE for row in rows)
    assert {UUID(str(row["id"])) for row in rows} == {r.id for r in receipts}
    assert all(r.received_at < DEADLINE for r in receipts)
    submitted = {UUID(str(row["bid"])) for row in rows}
    statuses = {
        UUID(str(row["id"])): row["status"]
        for row in await Bid.select(Bid.id, Bid.status).where(Bid.tender == tender.id)
    }
    assert all(
        statuses[b] == (BidStatus.SUBMITTED if b in submitted else BidStatus.DRAFT) for b in bid_ids
    )
    assert await audited(AuditAction.BID_BID_SUBMIT) == len(receipts)
    assert await OutboxMessage.count().where(OutboxMessage.subject.like("Bid received:%")) == len(
        receipts
    )
    assert (await verify(racing)).ok


@pytest.mark.parametrize("key", ["", "short", "has spaces in it", "x" * 41, "<script>ab"])
async def test_a_malformed_request_key_is_refused_and_nothing_is_written(
    platform: Platform, provider: CurrentUser, tender: TenderView, key: str
) -> None:
    bid_id = await complete_bid(platform, provider, tender)
    before = await written()

    with pytest.raises(Invalid) as refused:
        await submissions.submit(platform, provider, bid_id, key)

    assert list(refused.value.field_errors) == ["request_key"]
    assert await written() == before


async def test_a_withdrawal_reason_longer_than_the_limit_is_refused(
    platform: Platform, provider: CurrentUser, tender: TenderView
) -> None:
    bid_id, _ = await submitted_bid(platform, provider, tender)
    before = await written()

    with pytest.raises(Invalid) as refused:
        await submissions.withdraw(platform, provider, bid_id, "x" * (submissions.MAX_REASON + 1))

    assert refused.value.field_errors == {"reason": "The reason must be 2,000 characters or fewer"}
    assert await written() == before
    assert (await bids.own_bid(provider, bid_id)).status is BidStatus.SUBMITTED
