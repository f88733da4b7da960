"""Bids for tests, made through the same services providers use."""

from __future__ import annotations

from uuid import UUID

from app.accounts import CurrentUser
from app.platform import Platform
from tenders.services import bids, submissions
from tenders.services.bids import AnswerEntry, PriceEntry
from tenders.services.views import TenderView
from tenders.vocabulary import Declaration, QuestionKind

ANSWER = "We keep children safe with trained staff, safer recruitment and clear reporting."


async def complete_bid(
    platform: Platform,
    provider: CurrentUser,
    tender: TenderView,
    *,
    lots: int | None = None,
    unit_price_pence: int = 1550,
) -> UUID:
    """A bid for the first ``lots`` lots (all of them if None), every question answered and
    every item priced, not yet submitted."""
    bid_id = await bids.start_bid(platform, provider, tender.id)
    chosen = tender.lots[: lots or len(tender.lots)]
    bid = await bids.own_bid(provider, bid_id)
    await bids.choose_lots(platform, provider, bid_id, [str(lot.id) for lot in chosen], bid.version)
    for lot in chosen:
        await bids.save_answers(
            platform,
            provider,
            bid_id,
            lot.id,
            [
                AnswerEntry(
                    q.id,
                    "" if q.kind is QuestionKind.PASS_FAIL else ANSWER,
                    Declaration.YES if q.kind is QuestionKind.PASS_FAIL else None,
                    0,
                )
                for q in tender.questions_for(lot)
            ],
        )
        await bids.save_prices(
            platform,
            provider,
            bid_id,
            lot.id,
            [PriceEntry(item.id, unit_price_pence, 0) for item in lot.price_items],
        )
    return bid_id


async def submitted_bid(
    platform: Platform, provider: CurrentUser, tender: TenderView, **kwargs: int
) -> tuple[UUID, submissions.SubmissionView]:
    bid_id = await complete_bid(platform, provider, tender, **kwargs)
    receipt = await submissions.submit(platform, provider, bid_id, submissions.new_request_key())
    return bid_id, receipt
