"""A provider organisation drafts its bid while the tender is open: lots, answers, prices
and evidence. Nothing is lost: two people editing one draft get a conflict, never a silent
overwrite, and a repeated post changes nothing. Nobody outside the organisation, the
council included, can reach the bid. Every change is in the audit log."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from app.accounts import CurrentUser
from app.audit import verify
from app.clock import FixedClock
from app.errors import Conflict, DeadlinePassed, DomainError, Invalid, NotFound, NotPermitted
from app.files import StoredFile
from app.platform import Platform
from app.tables import AuditEvent
from app.templating import london_time
from app.vocabulary import AuditAction
from tenders.services import authoring, bids
from tenders.services.bids import AnswerEntry, EditConflict, PriceEntry
from tenders.services.views import QuestionView, TenderView
from tenders.tables import Answer, Bid, BidPrice, Evidence, Tender
from tenders.vocabulary import BidStatus, Declaration, QuestionKind
from tests.conftest import buyer_officer, evaluator, provider_colleague, provider_user
from tests.tenders.bid_factories import ANSWER, complete_bid, submitted_bid
from tests.tenders.factories import DEADLINE, draft_tender, published_tender

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
ONLY_PDF = {"pdf": {"application/pdf"}}
PLENTY = 25_000_000

#: Bugs of the services on PostgreSQL, where write transactions run side by side (SQLite
#: serialises them behind one lock): each check of a version reads the row, then writes
#: without a condition, so two people saving at once both succeed.


# Helpers --------------------------------------------------------------------------------


async def room(
    platform: Platform,
    provider: CurrentUser,
    bid_id: UUID,
    lot_id: UUID,
    question_id: UUID,
    *,
    max_bid_bytes: int = PLENTY,
) -> bids.UploadRoom:
    return await bids.check_evidence_target(
        platform,
        provider,
        bid_id,
        str(lot_id),
        str(question_id),
        max_file_bytes=PLENTY,
        max_bid_bytes=max_bid_bytes,
    )


async def audited(action: AuditAction) -> int:
    return await AuditEvent.count().where(AuditEvent.action == str(action))


async def store_pdf(platform: Platform, tail: bytes = b"", name: str = "policy.pdf") -> StoredFile:
    """A real (minimal) PDF through the file store; ``tail`` makes a different file."""

    async def chunks() -> AsyncIterator[bytes]:
        yield PDF[:9]
        yield PDF[9:] + tail

    return await platform.files.save(chunks(), filename=name, max_bytes=1_000_000, allowed=ONLY_PDF)


def scale_question(tender: TenderView) -> QuestionView:
    return next(q for q in tender.questions_for(tender.lots[0]) if q.kind is QuestionKind.SCALE)


def pass_fail_question(tender: TenderView) -> QuestionView:
    return next(q for q in tender.questions_for(tender.lots[0]) if q.kind is QuestionKind.PASS_FAIL)


# Fixtures -------------------------------------------------------------------------------


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
async def bid_id(platform: Platform, provider: CurrentUser, tender: TenderView) -> UUID:
    """A bid for the first lot, nothing answered yet."""
    bid_id = await bids.start_bid(platform, provider, tender.id)
    await bids.choose_lots(platform, provider, bid_id, [str(tender.lots[0].id)], 1)
    return bid_id


# Starting a bid -------------------------------------------------------------------------


async def test_starting_a_bid_twice_finds_the_same_bid(
    platform: Platform, provider: CurrentUser, tender: TenderView
) -> None:
    first = await bids.start_bid(platform, provider, tender.id)
    second = await bids.start_bid(platform, provider, str(tender.id))

    assert first == second
    assert await Bid.count() == 1
    assert await audited(AuditAction.BID_BID_START) == 1
    bid = await bids.own_bid(provider, first)
    assert bid.status is BidStatus.DRAFT
    assert bid.lot_ids == ()
    assert bid.problems()[0].field == "lots"


async def test_a_colleague_starting_the_bid_finds_the_organisations_bid(
    platform: Platform, provider: CurrentUser, tender: TenderView
) -> None:
    sam = await provider_colleague(platform, provider)
    assert await bids.start_bid(platform, provider, tender.id) == await bids.start_bid(
        platform, sam, tender.id
    )
    assert await Bid.count() == 1


async def test_a_one_lot_tender_needs_no_choice_of_lot(
    platform: Platform, officer: CurrentUser, provider: CurrentUser
) -> None:
    tender = await published_tender(platform, officer, lots=1)
    bid = await bids.own_bid(provider, await bids.start_bid(platform, provider, tender.id))
    assert bid.lot_ids == (tender.lots[0].id,)


async def test_council_users_cannot_start_a_bid(
    platform: Platform, officer: CurrentUser, tender: TenderView
) -> None:
    with pytest.raises(NotPermitted):
        await bids.start_bid(platform, officer, tender.id)
    with pytest.raises(NotPermitted):
        await bids.start_bid(platform, await evaluator(platform, officer), tender.id)
    assert await Bid.count() == 0


async def test_a_draft_or_unknown_tender_cannot_be_bid_for(
    platform: Platform, officer: CurrentUser, provider: CurrentUser
) -> None:
    draft = await draft_tender(platform, officer)
    for tender_id in (draft, uuid4(), "not-a-uuid"):
        with pytest.raises(NotFound):
            await bids.start_bid(platform, provider, tender_id)
    assert await Bid.count() == 0


async def test_no_bid_can_be_started_at_or_after_the_deadline(
    platform: Platform, clock: FixedClock, provider: CurrentUser, tender: TenderView
) -> None:
    for instant in (DEADLINE, DEADLINE + timedelta(days=1)):
        clock.instant = instant
        with pytest.raises(DeadlinePassed) as refused:
            await bids.start_bid(platform, provider, tender.id)
        assert london_time(DEADLINE) in refused.value.message
        assert "12:00pm on Friday 11 December 2026" in refused.value.message
    assert await Bid.count() == 0


# Choosing lots --------------------------------------------------------------------------


async def test_choosing_lots_keeps_the_tenders_order_and_is_audited(
    platform: Platform, provider: CurrentUser, tender: TenderView
) -> None:
    bid_id = await bids.start_bid(platform, provider, tender.id)
    third, first = tender.lots[2], tender.lots[0]

    await bids.choose_lots(platform, provider, bid_id, [str(third.id), str(first.id)], 1)

    bid = await bids.own_bid(provider, bid_id)
    assert bid.lot_ids == (first.id, third.id)
    assert bid.version == 2
    assert await audited(AuditAction.BID_LOTS_CHOOSE) == 1


async def test_a_bidder_cannot_choose_more_lots_than_the_tender_allows(
    platform: Platform, provider: CurrentUser, tender: TenderView
) -> None:
    await Tender.update({Tender.max_lots_per_bidder: 2}).where(Tender.id == tender.id)
    bid_id = await bids.start_bid(platform, provider, tender.id)

    with pytest.raises(Invalid) as refused:
        await bids.choose_lots(platform, provider, bid_id, [str(lot.id) for lot in tender.lots], 1)
    assert refused.value.field_errors == {"lots": "You can bid for 2 lots at most"}
    assert (await bids.own_bid(provider, bid_id)).lot_ids == ()

    await bids.choose_lots(platform, provider, bid_id, [str(lot.id) for lot in tender.lots[:2]], 1)
    assert (await bids.own_bid(provider, bid_id)).lot_ids == tuple(
        lot.id for lot in tender.lots[:2]
    )


async def test_a_limit_of_one_lot_says_lot(
    platform: Platform, provider: CurrentUser, tender: TenderView
) -> None:
    await Tender.update({Tender.max_lots_per_bidder: 1}).where(Tender.id == tender.id)
    bid_id = await bids.start_bid(platform, provider, tender.id)
    with pytest.raises(Invalid) as refused:
        await bids.choose_lots(platform, provider, bid_id, [str(lot.id) for lot in tender.lots], 1)
    assert refused.value.field_errors == {"lots": "You can bid for 1 lot at most"}


async def test_choosing_no_lot_is_refused(
    platform: Platform, provider: CurrentUser, bid_id: UUID
) -> None:
    with pytest.raises(Invalid) as refused:
        await bids.choose_lots(platform, provider, bid_id, [], 2)
    assert refused.value.field_errors == {"lots": "Choose at least one lot to bid for"}


async def test_a_lot_not_in_the_tender_is_refused(
    platform: Platform,
    officer: CurrentUser,
    provider: CurrentUser,
    tender: TenderView,
) -> None:
    other = await published_tender(platform, officer, title="Another tender")
    bid_id = await bids.start_bid(platform, provider, tender.id)
    for lot_ids in (
        [str(uuid4())],
        [str(other.lots[0].id)],
        ["lot-1"],
        [str(tender.lots[0].id), ""],
    ):
        with pytest.raises(Invalid) as refused:
            await bids.choose_lots(platform, provider, bid_id, lot_ids, 1)
        assert refused.value.field_errors == {"lots": "Choose lots from the list"}
    assert (await bids.own_bid(provider, bid_id)).lot_ids == ()
    assert await audited(AuditAction.BID_LOTS_CHOOSE) == 0


async def test_choosing_other_lots_from_an_old_version_is_a_conflict(
    platform: Platform, provider: CurrentUser, tender: TenderView
) -> None:
    sam = await provider_colleague(platform, provider)
    bid_id = await bids.start_bid(platform, provider, tender.id)
    await bids.choose_lots(platform, sam, bid_id, [str(tender.lots[1].id)], 1)

    with pytest.raises(Conflict) as refused:
        await bids.choose_lots(platform, provider, bid_id, [str(tender.lots[0].id)], 1)
    assert "changed the lots" in refused.value.message

    bid = await bids.own_bid(provider, bid_id)
    assert bid.lot_ids == (tender.lots[1].id,)
    assert bid.version == 2


async def test_choosing_the_same_lots_again_changes_nothing(
    platform: Platform, provider: CurrentUser, tender: TenderView
) -> None:
    bid_id = await bids.start_bid(platform, provider, tender.id)
    chosen = [str(tender.lots[0].id)]
    await bids.choose_lots(platform, provider, bid_id, chosen, 1)
    before = await bids.own_bid(provider, bid_id)

    # A repeated post: the version the form showed is now stale.
    await bids.choose_lots(platform, provider, bid_id, chosen, 1)
    await bids.choose_lots(platform, provider, bid_id, chosen * 2, 2)

    after = await bids.own_bid(provider, bid_id)
    assert (after.lot_ids, after.version, after.changed_at) == (
        before.lot_ids,
        before.version,
        before.changed_at,
    )
    assert await audited(AuditAction.BID_LOTS_CHOOSE) == 1


async def test_answers_of_a_lot_left_out_are_kept(
    platform: Platform, provider: CurrentUser, tender: TenderView, bid_id: UUID
) -> None:
    question = scale_question(tender)
    lot = tender.lots[0]
    await bids.save_answers(
        platform, provider, bid_id, lot.id, [AnswerEntry(question.id, ANSWER, None, 0)]
    )
    await bids.choose_lots(platform, provider, bid_id, [str(tender.lots[1].id)], 2)
    await bids.choose_lots(platform, provider, bid_id, [str(lot.id)], 3)

    bid = await bids.own_bid(provider, bid_id)
    assert bid.answers[(lot.id, question.id)].text == ANSWER


# Answers --------------------------------------------------------------------------------


async def test_a_new_answer_is_saved_and_audited(
    platform: Platform,
    clock: FixedClock,
    provider: CurrentUser,
    tender: TenderView,
    bid_id: UUID,
) -> None:
    lot, scale, gate = tender.lots[0], scale_question(tender), pass_fail_question(tender)
    clock.advance(timedelta(minutes=5))

    changed = await bids.save_answers(
        platform,
        provider,
        bid_id,
        lot.id,
        [AnswerEntry(scale.id, ANSWER, None, 0), AnswerEntry(gate.id, "", Declaration.YES, 0)],
    )

    assert changed == 2
    bid = await bids.own_bid(provider, bid_id)
    saved = bid.answers[(lot.id, scale.id)]
    assert (saved.text, saved.declaration, saved.version) == (ANSWER, None, 1)
    assert (saved.updated_at, saved.updated_by) == (clock.instant, "Helen Mills")
    assert bid.answers[(lot.id, gate.id)].declaration is Declaration.YES
    assert bid.changed_at == clock.instant
    assert await audited(AuditAction.BID_ANSWER_SAVE) == 2


async def test_an_answer_is_updated_from_its_version(
    platform: Platform, provider: CurrentUser, tender: TenderView, bid_id: UUID
) -> None:
    lot, scale = tender.lots[0], scale_question(tender)
    await bids.save_answers(
        platform, provider, bid_id, lot.id, [AnswerEntry(scale.id, "First", None, 0)]
    )

    changed = await bids.save_answers(
        platform, provider, bid_id, lot.id, [AnswerEntry(scale.id, "Second", None, 1)]
    )

    assert changed == 1
    saved = (await bids.own_bid(provider, bid_id)).answers[(lot.id, scale.id)]
    assert (saved.text, saved.version) == ("Second", 2)
    assert await Answer.count() == 1
    assert await audited(AuditAction.BID_ANSWER_SAVE) == 2


async def test_an_untouched_empty_answer_is_not_saved(
    platform: Platform, provider: CurrentUser, tender: TenderView, bid_id: UUID
) -> None:
    changed = await bids.save_answers(
        platform,
        provider,
        bid_id,
        tender.lots[0].id,
        [AnswerEntry(scale_question(tender).id, "", None, 0)],
    )
    assert changed == 0
    assert await Answer.count() == 0
    assert await audited(AuditAction.BID_ANSWER_SAVE) == 0


async def test_an_answer_saved_by_a_colleague_meanwhile_is_a_conflict_and_the_rest_is_saved(
    platform: Platform,
    clock: FixedClock,
    provider: CurrentUser,
    tender: TenderView,
    bid_id: UUID,
) -> None:
    lot, scale, gate = tender.lots[0], scale_question(tender), pass_fail_question(tender)
    sam = await provider_colleague(platform, provider)
    await bids.save_answers(
        platform, provider, bid_id, lot.id, [AnswerEntry(scale.id, "Ours", None, 0)]
    )
    # Both open the form at version 1; Sam saves first.
    clock.advance(timedelta(minutes=3))
    await bids.save_answers(
        platform, sam, bid_id, lot.id, [AnswerEntry(scale.id, "Sam's", None, 1)]
    )
    saved_at = clock.instant
    clock.advance(timedelta(minutes=3))

    with pytest.raises(EditConflict) as refused:
        await bids.save_answers(
            platform,
            provider,
            bid_id,
            lot.id,
            [
                AnswerEntry(scale.id, "Helen's", None, 1),
                AnswerEntry(gate.id, "", Declaration.NO, 0),
            ],
        )

    [item] = refused.value.items
    assert item.field == f"answer-{scale.id}"
    assert (item.theirs, item.yours) == ("Sam's", "Helen's")
    assert (item.by, item.at, item.version) == ("Sam Okafor", saved_at, 2)
    assert f"question {scale.number}" in refused.value.message
    assert "Your other changes were saved" in refused.value.message
    bid = await bids.own_bid(provider, bid_id)
    assert bid.answers[(lot.id, scale.id)].text == "Sam's"
    assert bid.answers[(lot.id, gate.id)].declaration is Declaration.NO
    assert await audited(AuditAction.BID_ANSWER_SAVE) == 3

    # Saving over theirs on purpose names the version the conflict gave.
    await bids.save_answers(
        platform, provider, bid_id, lot.id, [AnswerEntry(scale.id, "Helen's", None, item.version)]
    )
    assert (await bids.own_bid(provider, bid_id)).answers[(lot.id, scale.id)].text == "Helen's"


async def test_a_declaration_in_a_conflict_is_shown_in_words(
    platform: Platform, provider: CurrentUser, tender: TenderView, bid_id: UUID
) -> None:
    lot, gate = tender.lots[0], pass_fail_question(tender)
    sam = await provider_colleague(platform, provider)
    await bids.save_answers(
        platform, sam, bid_id, lot.id, [AnswerEntry(gate.id, "", Declaration.YES, 0)]
    )
    with pytest.raises(EditConflict) as refused:
        await bids.save_answers(
            platform, provider, bid_id, lot.id, [AnswerEntry(gate.id, "", Declaration.NO, 0)]
        )
    [item] = refused.value.items
    assert item.theirs.startswith(Declaration.YES.label)
    assert item.yours.startswith(Declaration.NO.label)


async def test_the_same_answer_from_an_old_version_changes_nothing(
    platform: Platform,
    clock: FixedClock,
    provider: CurrentUser,
    tender: TenderView,
    bid_id: UUID,
) -> None:
    lot, scale = tender.lots[0], scale_question(tender)
    entry = AnswerEntry(scale.id, ANSWER, None, 0)
    await bids.save_answers(platform, provider, bid_id, lot.id, [entry])
    before = await bids.own_bid(provider, bid_id)
    clock.advance(timedelta(minutes=1))

    assert await bids.save_answers(platform, provider, bid_id, lot.id, [entry]) == 0

    after = await bids.own_bid(provider, bid_id)
    assert after.answers == before.answers
    assert after.changed_at == before.changed_at
    assert await audited(AuditAction.BID_ANSWER_SAVE) == 1


async def test_markup_is_stripped_from_answers_and_text_kept(
    platform: Platform, provider: CurrentUser, tender: TenderView, bid_id: UUID
) -> None:
    lot, scale = tender.lots[0], scale_question(tender)
    bid = await bids.own_bid(provider, bid_id)
    form = {
        f"answer-{scale.id}": (
            "<p>Staff are <b>trained</b></p><script>alert('x')</script>\r\nWe know a < b & b > c"
        ),
        f"version-{scale.id}": "0",
    }
    entries = bids.answer_entries(bid, lot.id, scale.section_id, form)
    await bids.save_answers(platform, provider, bid_id, lot.id, entries)

    text = (await bids.own_bid(provider, bid_id)).answers[(lot.id, scale.id)].text
    assert "<script>" not in text
    assert "alert" not in text
    assert "<b>" not in text
    assert "a < b & b > c" in text
    assert text == "Staff are trained\nWe know a < b & b > c"


async def test_an_answer_over_the_word_limit_is_saved_and_listed_as_a_problem(
    platform: Platform, provider: CurrentUser, tender: TenderView, bid_id: UUID
) -> None:
    lot, scale = tender.lots[0], scale_question(tender)
    assert scale.word_limit == 500
    long = " ".join(["care"] * 501)

    await bids.save_answers(
        platform, provider, bid_id, lot.id, [AnswerEntry(scale.id, long, None, 0)]
    )

    bid = await bids.own_bid(provider, bid_id)
    assert bid.answers[(lot.id, scale.id)].text == long
    [problem] = [p for p in bid.problems() if p.field == f"answer-{scale.id}"]
    assert problem.page == f"lots/{lot.id}/sections/{scale.section_id}"
    assert problem.message == (
        f"Lot 1: Your answer to question {scale.number} is 501 words: "
        "shorten it by 1 word to 500 or fewer"
    )


async def test_a_declaration_that_is_neither_yes_nor_no_is_refused(
    provider: CurrentUser, tender: TenderView, bid_id: UUID
) -> None:
    gate = pass_fail_question(tender)
    bid = await bids.own_bid(provider, bid_id)
    with pytest.raises(Invalid) as refused:
        bids.answer_entries(
            bid,
            tender.lots[0].id,
            gate.section_id,
            {f"declaration-{gate.id}": "maybe", f"version-{gate.id}": "0"},
        )
    assert list(refused.value.field_errors) == [f"declaration-{gate.id}"]


async def test_answers_only_for_a_chosen_lot_and_its_questions(
    platform: Platform,
    officer: CurrentUser,
    provider: CurrentUser,
    tender: TenderView,
    bid_id: UUID,
) -> None:
    scale = scale_question(tender)
    other = await published_tender(platform, officer, title="Another tender")
    foreign = scale_question(other)
    for lot_id, question_id in (
        (tender.lots[1].id, scale.id),  # not chosen
        (tender.lots[0].id, foreign.id),  # another tender's question
        (uuid4(), scale.id),
    ):
        with pytest.raises(NotFound):
            await bids.save_answers(
                platform, provider, bid_id, lot_id, [AnswerEntry(question_id, ANSWER, None, 0)]
            )
    assert await Answer.count() == 0


# Prices ---------------------------------------------------------------------------------


@pytest.fixture
async def two_item_tender(platform: Platform, officer: CurrentUser) -> TenderView:
    """One lot priced by the daytime hour and by the sleep-in night."""
    tender_id = await draft_tender(platform, officer, lots=1)
    draft = await authoring.own_tender(officer, tender_id)
    await authoring.add_price_item(
        platform,
        officer,
        str(tender_id),
        str(draft.lots[0].id),
        {
            "description": "Sleep-in night",
            "unit": "sleep_in_night",
            "volume": "365",
            "reference_price": "£95.00",
        },
    )
    return await authoring.publish(platform, officer, str(tender_id))


async def test_prices_are_saved_updated_and_audited(
    platform: Platform, provider: CurrentUser, tender: TenderView, bid_id: UUID
) -> None:
    lot = tender.lots[0]
    [item] = lot.price_items
    bid = await bids.own_bid(provider, bid_id)
    entries = bids.price_entries(
        bid, lot.id, {f"price-{item.id}": "£15.50", f"version-{item.id}": "0"}
    )
    assert entries == [PriceEntry(item.id, 1550, 0)]

    assert await bids.save_prices(platform, provider, bid_id, lot.id, entries) == 1
    assert (
        await bids.save_prices(platform, provider, bid_id, lot.id, [PriceEntry(item.id, 1600, 1)])
        == 1
    )

    saved = (await bids.own_bid(provider, bid_id)).prices[item.id]
    assert (saved.unit_price_pence, saved.version, saved.updated_by) == (1600, 2, "Helen Mills")
    assert await BidPrice.count() == 1
    assert await audited(AuditAction.BID_PRICE_SAVE) == 2


async def test_a_price_saved_by_a_colleague_meanwhile_is_a_conflict_and_the_rest_is_saved(
    platform: Platform, provider: CurrentUser, two_item_tender: TenderView
) -> None:
    tender = two_item_tender
    lot = tender.lots[0]
    hour, night = lot.price_items
    sam = await provider_colleague(platform, provider)
    bid_id = await bids.start_bid(platform, provider, tender.id)
    await bids.save_prices(platform, provider, bid_id, lot.id, [PriceEntry(hour.id, 1550, 0)])
    await bids.save_prices(platform, sam, bid_id, lot.id, [PriceEntry(hour.id, 1625, 1)])

    with pytest.raises(EditConflict) as refused:
        await bids.save_prices(
            platform,
            provider,
            bid_id,
            lot.id,
            [PriceEntry(hour.id, 1499, 1), PriceEntry(night.id, 9000, 0)],
        )

    [item] = refused.value.items
    assert item.field == f"price-{hour.id}"
    assert (item.theirs, item.yours, item.by, item.version) == (
        "£16.25",
        "£14.99",
        "Sam Okafor",
        2,
    )
    prices = (await bids.own_bid(provider, bid_id)).prices
    assert prices[hour.id].unit_price_pence == 1625
    assert prices[night.id].unit_price_pence == 9000
    assert await audited(AuditAction.BID_PRICE_SAVE) == 3


async def test_the_same_price_from_an_old_version_changes_nothing(
    platform: Platform, provider: CurrentUser, tender: TenderView, bid_id: UUID
) -> None:
    lot = tender.lots[0]
    [item] = lot.price_items
    await bids.save_prices(platform, provider, bid_id, lot.id, [PriceEntry(item.id, 1550, 0)])
    before = await bids.own_bid(provider, bid_id)

    assert (
        await bids.save_prices(platform, provider, bid_id, lot.id, [PriceEntry(item.id, 1550, 0)])
        == 0
    )

    after = await bids.own_bid(provider, bid_id)
    assert (after.prices, after.changed_at) == (before.prices, before.changed_at)
    assert await audited(AuditAction.BID_PRICE_SAVE) == 1


async def test_a_price_that_is_not_an_amount_is_refused(
    provider: CurrentUser, tender: TenderView, bid_id: UUID
) -> None:
    lot = tender.lots[0]
    [item] = lot.price_items
    bid = await bids.own_bid(provider, bid_id)
    for typed in ("fifteen pounds", "£2,000,000"):
        with pytest.raises(Invalid) as refused:
            bids.price_entries(bid, lot.id, {f"price-{item.id}": typed, f"version-{item.id}": "0"})
        assert list(refused.value.field_errors) == [f"price-{item.id}"]


async def test_a_missing_or_zero_price_is_saved_and_listed_as_a_problem(
    platform: Platform, provider: CurrentUser, tender: TenderView, bid_id: UUID
) -> None:
    lot = tender.lots[0]
    [item] = lot.price_items
    await bids.save_prices(platform, provider, bid_id, lot.id, [PriceEntry(item.id, 0, 0)])
    [problem] = [
        p for p in (await bids.own_bid(provider, bid_id)).problems() if p.page.endswith("prices")
    ]
    assert (problem.page, problem.field) == (f"lots/{lot.id}/prices", f"price-{item.id}")
    assert problem.message == "Lot 1: The price for Support worker, daytime must be more than £0"


# Evidence -------------------------------------------------------------------------------


async def test_evidence_is_attached_to_an_answer_and_audited(
    platform: Platform, provider: CurrentUser, tender: TenderView, bid_id: UUID
) -> None:
    lot, scale = tender.lots[0], scale_question(tender)
    stored = await store_pdf(platform)
    await room(platform, provider, bid_id, lot.id, scale.id)

    evidence_id = await bids.add_evidence(
        platform, provider, bid_id, lot.id, scale.id, stored, max_bid_bytes=PLENTY
    )

    bid = await bids.own_bid(provider, bid_id)
    [evidence] = bid.evidence_for(lot.id, scale.id)
    assert evidence.id == evidence_id
    assert (evidence.sha256, evidence.original_name, evidence.content_type, evidence.size) == (
        stored.sha256,
        "policy.pdf",
        "application/pdf",
        len(PDF),
    )
    assert (await bids.own_evidence(provider, bid_id, evidence_id)) == evidence
    assert await audited(AuditAction.BID_EVIDENCE_ADD) == 1
    sealed = bids.sealed_content(bid)
    assert sealed["lots"][0]["answers"][1]["evidence"] == [
        {"sha256": stored.sha256, "name": "policy.pdf", "type": "application/pdf", "size": len(PDF)}
    ]


async def test_the_same_file_sent_twice_to_an_answer_is_kept_once(
    platform: Platform, provider: CurrentUser, tender: TenderView, bid_id: UUID
) -> None:
    lot, scale, gate = tender.lots[0], scale_question(tender), pass_fail_question(tender)
    first = await bids.add_evidence(
        platform,
        provider,
        bid_id,
        lot.id,
        scale.id,
        await store_pdf(platform),
        max_bid_bytes=PLENTY,
    )
    again = await bids.add_evidence(
        platform,
        provider,
        bid_id,
        lot.id,
        scale.id,
        await store_pdf(platform),
        max_bid_bytes=PLENTY,
    )
    elsewhere = await bids.add_evidence(
        platform, provider, bid_id, lot.id, gate.id, await store_pdf(platform), max_bid_bytes=PLENTY
    )

    assert again == first
    assert elsewhere != first
    assert await Evidence.count() == 2
    assert await audited(AuditAction.BID_EVIDENCE_ADD) == 2


async def test_a_bid_holds_at_most_so_many_files(
    platform: Platform,
    monkeypatch: pytest.MonkeyPatch,
    provider: CurrentUser,
    tender: TenderView,
    bid_id: UUID,
) -> None:
    monkeypatch.setattr(bids, "MAX_FILES_PER_BID", 2)
    lot, scale = tender.lots[0], scale_question(tender)
    for n in range(2):
        await bids.add_evidence(
            platform,
            provider,
            bid_id,
            lot.id,
            scale.id,
            await store_pdf(platform, b"%d" % n),
            max_bid_bytes=PLENTY,
        )
    third = await store_pdf(platform, b"3")

    with pytest.raises(Invalid) as refused:
        await bids.add_evidence(
            platform, provider, bid_id, lot.id, scale.id, third, max_bid_bytes=PLENTY
        )
    assert refused.value.field_errors == {
        "file": "A bid can have 2 files at most. Remove one first"
    }
    with pytest.raises(Invalid) as checked:
        await room(platform, provider, bid_id, lot.id, scale.id)
    assert list(checked.value.field_errors) == ["file"]
    assert await Evidence.count() == 2
    assert await audited(AuditAction.BID_EVIDENCE_ADD) == 2


async def test_the_files_of_a_bid_add_up_to_at_most_so_many_bytes(
    platform: Platform, provider: CurrentUser, tender: TenderView, bid_id: UUID
) -> None:
    lot, scale = tender.lots[0], scale_question(tender)
    first = await store_pdf(platform, b"1")
    limit = first.size * 2
    empty = await room(platform, provider, bid_id, lot.id, scale.id, max_bid_bytes=limit)
    assert empty.max_bytes == limit
    await bids.add_evidence(
        platform, provider, bid_id, lot.id, scale.id, first, max_bid_bytes=limit
    )
    # Before the next upload streams in, its limit is what is left.
    left = await room(platform, provider, bid_id, lot.id, scale.id, max_bid_bytes=limit)
    assert left.max_bytes == first.size
    assert "add up to" in (left.too_large or "")
    # Exactly at the limit is allowed.
    await bids.add_evidence(
        platform,
        provider,
        bid_id,
        lot.id,
        scale.id,
        await store_pdf(platform, b"2"),
        max_bid_bytes=limit,
    )

    with pytest.raises(Invalid) as refused:
        await bids.add_evidence(
            platform,
            provider,
            bid_id,
            lot.id,
            scale.id,
            await store_pdf(platform, b"3"),
            max_bid_bytes=limit,
        )
    assert list(refused.value.field_errors) == ["file"]
    assert "add up to" in refused.value.field_errors["file"]
    with pytest.raises(Invalid) as full:
        await room(platform, provider, bid_id, lot.id, scale.id, max_bid_bytes=limit)
    assert full.value.field_errors == refused.value.field_errors
    assert await Evidence.count() == 2


async def test_evidence_only_for_a_chosen_lots_question(
    platform: Platform, provider: CurrentUser, tender: TenderView, bid_id: UUID
) -> None:
    stored = await store_pdf(platform)
    for lot_id, question_id in (
        (tender.lots[1].id, scale_question(tender).id),
        (tender.lots[0].id, uuid4()),
    ):
        with pytest.raises(NotFound):
            await bids.add_evidence(
                platform, provider, bid_id, lot_id, question_id, stored, max_bid_bytes=PLENTY
            )
        with pytest.raises(NotFound):
            await room(platform, provider, bid_id, lot_id, question_id)
    assert await Evidence.count() == 0


async def test_removing_evidence_keeps_the_stored_file_and_twice_is_once(
    platform: Platform, provider: CurrentUser, tender: TenderView, bid_id: UUID
) -> None:
    lot, scale = tender.lots[0], scale_question(tender)
    stored = await store_pdf(platform)
    evidence_id = await bids.add_evidence(
        platform, provider, bid_id, lot.id, scale.id, stored, max_bid_bytes=PLENTY
    )

    await bids.remove_evidence(platform, provider, bid_id, evidence_id)
    await bids.remove_evidence(platform, provider, bid_id, evidence_id)

    assert (await bids.own_bid(provider, bid_id)).evidence == ()
    assert await platform.files.exists(stored.sha256)
    assert await audited(AuditAction.BID_EVIDENCE_REMOVE) == 1
    with pytest.raises(NotFound):
        await bids.own_evidence(provider, bid_id, evidence_id)


# Two people at once ----------------------------------------------------------------------


async def test_a_version_for_an_answer_or_price_never_saved_is_a_clear_error_or_saved(
    platform: Platform, provider: CurrentUser, tender: TenderView, bid_id: UUID
) -> None:
    lot = tender.lots[0]
    saves = [
        lambda: bids.save_answers(
            platform,
            provider,
            bid_id,
            lot.id,
            [AnswerEntry(scale_question(tender).id, "x", None, 3)],
        ),
        lambda: bids.save_prices(
            platform, provider, bid_id, lot.id, [PriceEntry(lot.price_items[0].id, 1550, 3)]
        ),
    ]
    for save in saves:
        # Saved (nobody else saved it) or refused with a message; never a crash.
        with contextlib.suppress(DomainError):
            await save()


async def at_once(*calls: Awaitable[Any]) -> list[str]:
    """Run the calls side by side; what each returned or raised, by type name, sorted.

    On PostgreSQL the pool first opens a connection for each caller, so that the calls
    overlap rather than one finishing while the other is still connecting."""
    await asyncio.gather(*(Bid.count() for _ in calls))
    return sorted(type(o).__name__ for o in await asyncio.gather(*calls, return_exceptions=True))


#: Races are repeated: a bug that shows in any round fails the test.
ROUNDS = 3


async def test_two_people_saving_one_answer_at_once_get_a_conflict(
    platform: Platform, provider: CurrentUser, tender: TenderView, bid_id: UUID
) -> None:
    lot, scale = tender.lots[0], scale_question(tender)
    sam = await provider_colleague(platform, provider)
    await bids.save_answers(
        platform, provider, bid_id, lot.id, [AnswerEntry(scale.id, "Ours", None, 0)]
    )

    for version in range(1, ROUNDS + 1):
        outcomes = await at_once(
            bids.save_answers(
                platform,
                provider,
                bid_id,
                lot.id,
                [AnswerEntry(scale.id, f"Helen {version}", None, version)],
            ),
            bids.save_answers(
                platform,
                sam,
                bid_id,
                lot.id,
                [AnswerEntry(scale.id, f"Sam {version}", None, version)],
            ),
        )
        assert outcomes == ["EditConflict", "int"]
        saved = (await bids.own_bid(provider, bid_id)).answers[(lot.id, scale.id)]
        assert saved.version == version + 1


async def test_two_people_saving_a_new_answer_at_once_get_a_conflict(
    platform: Platform, provider: CurrentUser, tender: TenderView
) -> None:
    sam = await provider_colleague(platform, provider)
    bid_id = await bids.start_bid(platform, provider, tender.id)
    await bids.choose_lots(platform, provider, bid_id, [str(lot.id) for lot in tender.lots], 1)
    scale = scale_question(tender)

    for lot in tender.lots:
        outcomes = await at_once(
            bids.save_answers(
                platform, provider, bid_id, lot.id, [AnswerEntry(scale.id, "Helen's", None, 0)]
            ),
            bids.save_answers(
                platform, sam, bid_id, lot.id, [AnswerEntry(scale.id, "Sam's", None, 0)]
            ),
        )
        assert outcomes == ["EditConflict", "int"]
    assert await Answer.count() == len(tender.lots)


async def test_two_people_saving_one_price_at_once_get_a_conflict(
    platform: Platform, provider: CurrentUser, tender: TenderView, bid_id: UUID
) -> None:
    lot = tender.lots[0]
    [item] = lot.price_items
    sam = await provider_colleague(platform, provider)
    await bids.save_prices(platform, provider, bid_id, lot.id, [PriceEntry(item.id, 1500, 0)])

    for version in range(1, ROUNDS + 1):
        outcomes = await at_once(
            bids.save_prices(
                platform, provider, bid_id, lot.id, [PriceEntry(item.id, 1600 + version, version)]
            ),
            bids.save_prices(
                platform, sam, bid_id, lot.id, [PriceEntry(item.id, 1700 + version, version)]
            ),
        )
        assert outcomes == ["EditConflict", "int"]
        assert (await bids.own_bid(provider, bid_id)).prices[item.id].version == version + 1


async def test_two_people_choosing_lots_at_once_get_a_conflict(
    platform: Platform, provider: CurrentUser, tender: TenderView
) -> None:
    sam = await provider_colleague(platform, provider)
    bid_id = await bids.start_bid(platform, provider, tender.id)
    first, second, third = (str(lot.id) for lot in tender.lots)
    choices = [([first], [second]), ([third], [first, second]), ([first, third], [second])]

    for version, (helens, sams) in enumerate(choices, start=1):
        outcomes = await at_once(
            bids.choose_lots(platform, provider, bid_id, helens, version),
            bids.choose_lots(platform, sam, bid_id, sams, version),
        )
        assert outcomes == ["Conflict", "NoneType"]
        assert (await bids.own_bid(provider, bid_id)).version == version + 1


# Nobody else reaches the bid --------------------------------------------------------------

Attempt = Callable[[Platform, CurrentUser, UUID, TenderView, StoredFile, UUID], Awaitable[Any]]


def _lot(tender: TenderView) -> UUID:
    return tender.lots[0].id


ATTEMPTS: dict[str, Attempt] = {
    "own_bid": lambda p, a, b, t, f, e: bids.own_bid(a, b),
    "choose_lots": lambda p, a, b, t, f, e: bids.choose_lots(p, a, b, [str(t.lots[1].id)], 2),
    "save_answers": lambda p, a, b, t, f, e: bids.save_answers(
        p, a, b, _lot(t), [AnswerEntry(scale_question(t).id, "Overwritten", None, 1)]
    ),
    "save_prices": lambda p, a, b, t, f, e: bids.save_prices(
        p, a, b, _lot(t), [PriceEntry(t.lots[0].price_items[0].id, 1, 1)]
    ),
    "check_evidence_target": lambda p, a, b, t, f, e: room(p, a, b, _lot(t), scale_question(t).id),
    "add_evidence": lambda p, a, b, t, f, e: bids.add_evidence(
        p, a, b, _lot(t), scale_question(t).id, f, max_bid_bytes=PLENTY
    ),
    "remove_evidence": lambda p, a, b, t, f, e: bids.remove_evidence(p, a, b, e),
    "own_evidence": lambda p, a, b, t, f, e: bids.own_evidence(a, b, e),
}


@pytest.mark.parametrize("who", ["another provider", "the council's officer", "an evaluator"])
@pytest.mark.parametrize("action", list(ATTEMPTS))
async def test_nobody_outside_the_organisation_reaches_its_bid(
    platform: Platform,
    officer: CurrentUser,
    provider: CurrentUser,
    tender: TenderView,
    who: str,
    action: str,
) -> None:
    bid_id = await complete_bid(platform, provider, tender, lots=1)
    stored = await store_pdf(platform)
    lot, scale = tender.lots[0], scale_question(tender)
    evidence_id = await bids.add_evidence(
        platform, provider, bid_id, lot.id, scale.id, stored, max_bid_bytes=PLENTY
    )
    other_file = await store_pdf(platform, b"other")
    if who == "another provider":
        actor = await provider_user(platform, "ade@lichfield-care.example", "Lichfield Homecare")
    elif who == "an evaluator":
        actor = await evaluator(platform, officer)
    else:
        actor = officer
    before = await bids.own_bid(provider, bid_id)
    events = await AuditEvent.count()

    with pytest.raises(NotFound):
        await ATTEMPTS[action](platform, actor, bid_id, tender, other_file, evidence_id)

    after = await bids.own_bid(provider, bid_id)
    assert (after.lot_ids, after.answers, after.prices, after.evidence, after.version) == (
        before.lot_ids,
        before.answers,
        before.prices,
        before.evidence,
        before.version,
    )
    assert await AuditEvent.count() == events


async def test_a_providers_bids_list_shows_only_its_own(
    platform: Platform, officer: CurrentUser, provider: CurrentUser, tender: TenderView
) -> None:
    other = await provider_user(platform, "ade@lichfield-care.example", "Lichfield Homecare")
    mine = await bids.start_bid(platform, provider, tender.id)
    await bids.start_bid(platform, other, tender.id)

    assert [bid.id for bid in (await bids.my_bids(provider)).items] == [mine]
    assert (await bids.bid_for_tender(provider, tender.id)).id == mine  # type: ignore[union-attr]
    assert await bids.bid_for_tender(officer, tender.id) is None
    with pytest.raises(NotPermitted):
        await bids.my_bids(officer)


async def test_the_bids_list_comes_a_page_at_a_time_the_latest_change_first(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    provider: CurrentUser,
    tender: TenderView,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bids, "BIDS_PAGE_SIZE", 2)
    second, third = [
        await published_tender(platform, officer, lots=1, title=f"Overnight support {n}")
        for n in (2, 3)
    ]
    submitted, receipt = await submitted_bid(platform, provider, tender, lots=1)
    clock.instant += timedelta(minutes=1)
    started = await bids.start_bid(platform, provider, second.id)
    clock.instant += timedelta(minutes=1)
    latest = await bids.start_bid(platform, provider, third.id)

    first_page = await bids.my_bids(provider)
    assert [line.id for line in first_page.items] == [latest, started]
    assert (first_page.number, first_page.pages, first_page.total) == (1, 2, 3)
    [line] = (await bids.my_bids(provider, 2)).items
    assert (line.id, line.tender_id, line.tender_title) == (submitted, tender.id, tender.title)
    assert (line.buyer_name, line.tender_reference) == (tender.buyer_name, tender.reference)
    assert line.status is BidStatus.SUBMITTED
    assert line.lot_ids == (tender.lots[0].id,)
    assert line.current_submission_id == receipt.id
    assert not line.changed_since_submission
    assert line.open(clock.now())
    assert not line.open(DEADLINE)
    assert (await bids.my_bids(provider, 99)).number == 2  # past the last: the last
    assert (await bids.my_bids(provider, -1)).number == 1

    # A change after submitting brings the bid to the top, marked as changed since.
    clock.instant += timedelta(minutes=1)
    await bids.save_answers(
        platform,
        provider,
        submitted,
        tender.lots[0].id,
        [AnswerEntry(scale_question(tender).id, ANSWER + " Updated.", None, 1)],
    )
    [top, _] = (await bids.my_bids(provider)).items
    assert top.id == submitted
    assert top.changed_since_submission


# Nothing changes once the deadline passes ---------------------------------------------------


async def test_a_bid_cannot_change_at_or_after_the_deadline(
    platform: Platform, clock: FixedClock, provider: CurrentUser, tender: TenderView
) -> None:
    bid_id = await complete_bid(platform, provider, tender, lots=1)
    lot, scale = tender.lots[0], scale_question(tender)
    stored = await store_pdf(platform)
    clock.instant = DEADLINE
    before = await bids.own_bid(provider, bid_id)
    events = await AuditEvent.count()

    changes: list[Callable[[], Awaitable[Any]]] = [
        lambda: bids.choose_lots(
            platform, provider, bid_id, [str(tender.lots[1].id)], before.version
        ),
        lambda: bids.save_answers(
            platform, provider, bid_id, lot.id, [AnswerEntry(scale.id, "Late", None, 1)]
        ),
        lambda: bids.save_prices(
            platform, provider, bid_id, lot.id, [PriceEntry(lot.price_items[0].id, 1, 1)]
        ),
        lambda: bids.add_evidence(
            platform, provider, bid_id, lot.id, scale.id, stored, max_bid_bytes=PLENTY
        ),
        lambda: room(platform, provider, bid_id, lot.id, scale.id),
    ]
    for change in changes:
        with pytest.raises(DeadlinePassed) as refused:
            await change()
        assert "12:00pm on Friday 11 December 2026" in refused.value.message

    after = await bids.own_bid(provider, bid_id)
    assert (after.lot_ids, after.answers, after.prices, after.evidence) == (
        before.lot_ids,
        before.answers,
        before.prices,
        before.evidence,
    )
    assert await AuditEvent.count() == events
    assert (await verify(platform)).ok


async def test_a_declaration_on_a_question_that_is_not_yes_or_no_is_refused(
    platform: Platform, provider: CurrentUser, tender: TenderView, bid_id: UUID
) -> None:
    scale = scale_question(tender)
    lot = tender.lots[0]

    with pytest.raises(Invalid) as refused:
        await bids.save_answers(
            platform, provider, bid_id, lot.id, [AnswerEntry(scale.id, "Yes", Declaration.YES, 0)]
        )

    assert refused.value.field_errors == {
        "declaration": f"Question {scale.number} is not a yes or no question"
    }
    assert (await bids.own_bid(provider, bid_id)).answers == {}
