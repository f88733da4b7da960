"""A demo evaluation (README command 1): a children's overnight short breaks tender that
closed a month ago, a bid from each demo provider, opened, and a panel of two evaluators and
a moderator from the council, cleared of conflicts and ready to score."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from app.accounts import CurrentUser
from app.clock import FixedClock
from app.platform import Platform
from evaluation.services import panels
from tenders import demo as tender_demo
from tenders.services import authoring, bids, opening, submissions
from tenders.services.bids import AnswerEntry, PriceEntry
from tenders.vocabulary import Declaration, QuestionKind

#: What each demo provider writes, in the order they are given: strong, middling, thin.
ANSWERS = (
    "Our overnight team has supported disabled children in their own homes for nine years. "
    "Every child has a named lead worker who meets the family before the first night, "
    "agrees a one-page profile with them, and reviews it every six weeks.\n\n"
    "Staff are trained in positive behaviour support, epilepsy rescue medication and safe "
    "moving and handling before they work alone. We recruit in the districts we serve, "
    "and cover short-notice absence from a bank of twelve staff who already know the "
    "children.",
    "We provide overnight support with trained staff. Families are visited before support "
    "starts and care plans are reviewed regularly.\n\nOur staff complete mandatory training "
    "and we use agency staff when our own are not available.",
    "We have experience of overnight care and will meet the council's requirements.",
)
TITLE = "Children's overnight short breaks"
#: Pence per hour and per night, one pair per provider.
PRICES = ((2150, 9500), (1980, 8800), (1390, 7400))


async def load(
    platform: Platform,
    officer: CurrentUser,
    evaluators: Sequence[CurrentUser],
    moderator: CurrentUser,
    providers: Sequence[CurrentUser],
) -> None:
    now = platform.clock.now()
    published = FixedClock(now - timedelta(days=49))
    closes = tender_demo.weekday_noon(published.now(), 21)
    tender_id = await tender_demo.build_tender(
        replace(platform, clock=published),
        officer,
        tender_demo.details(
            TITLE,
            "SCC-COS-2026-04",
            "Overnight short breaks in the family home for disabled children, so that parents "
            "and carers can rest. About 40 families across the county.",
            "36",
            "£1,150,000",
            closes,
        ),
        [
            {
                "name": "Overnight short breaks",
                "service_type": "overnight",
                "districts": ["North", "South"],
                "award_mode": "number",
                "providers_to_award": "2",
            }
        ],
        [
            {
                "description": "Support worker, daytime",
                "unit": "hour_daytime",
                "volume": "3000",
                "reference_price": "£21.50",
            },
            {
                "description": "Sleep-in night",
                "unit": "sleep_in_night",
                "volume": "2000",
                "reference_price": "£95.00",
            },
        ],
        outcome_tests=True,
        publish=True,
    )
    tender = await authoring.own_tender(officer, tender_id)
    (lot,) = tender.lots
    bidding = replace(platform, clock=FixedClock(closes - timedelta(days=2)))
    for provider, answer, (hour, night) in zip(providers, ANSWERS, PRICES, strict=False):
        bid_id = await bids.start_bid(bidding, provider, tender_id)
        bid = await bids.own_bid(provider, bid_id)
        await bids.choose_lots(bidding, provider, bid_id, [str(lot.id)], bid.version)
        await bids.save_answers(
            bidding,
            provider,
            bid_id,
            lot.id,
            [
                AnswerEntry(q.id, "", Declaration.YES, 0)
                if q.kind is QuestionKind.PASS_FAIL
                else AnswerEntry(q.id, answer, None, 0)
                for q in tender.questions_for(lot)
            ],
        )
        await bids.save_prices(
            bidding,
            provider,
            bid_id,
            lot.id,
            [
                PriceEntry(item.id, hour if item.unit == "hour_daytime" else night, 0)
                for item in lot.price_items
            ],
        )
        await submissions.submit(bidding, provider, bid_id, submissions.new_request_key())
    await opening.open_bids(platform, officer, tender_id)
    await panels.assign(
        platform,
        officer,
        tender_id,
        lot.id,
        evaluators=[person.id for person in evaluators],
        moderator=moderator.id,
    )
    for member in (*evaluators, moderator):
        bidders = await panels.bidders(member, tender_id, lot.id)
        await panels.declare(
            platform,
            member,
            tender_id,
            lot.id,
            {bidder.organisation_id: (False, "") for bidder in bidders},
        )
