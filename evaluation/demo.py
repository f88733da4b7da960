"""Demo evaluations (README command 1), each with a bid from every demo provider:

* a children's overnight short breaks tender that closed a month ago, opened, with a panel
  of two evaluators and a moderator from the council, cleared of conflicts and ready to
  score;
* a home care tender scored, moderated and signed off, awaiting the award decision of an
  officer who is not on its panel (its moderator is an officer too, who may not approve).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from app.accounts import CurrentUser
from app.clock import FixedClock
from app.platform import Platform
from evaluation.services import moderation, panels, scores
from evaluation.services.scores import ScoreInput
from tenders import demo as tender_demo
from tenders.services import authoring, bids, opening, submissions
from tenders.services.bids import AnswerEntry, PriceEntry
from tenders.services.views import QuestionView, TenderView
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
MODERATED_TITLE = "Home care in Cannock Chase"
#: Pence per hour and per night for the home care tender.
MODERATED_PRICES = ((2390, 10500), (2240, 9900), (2110, 9200))
#: Each provider's marks, strong to thin, and what the evaluators wrote of them.
SCALE_MARKS = ("5", "3", "1")
OUTCOME_MARKS = ("yes", "partially", "no")
REASONS = {
    "5": "Specific and evidenced: named lead workers, reviews every six weeks, trained staff.",
    "3": "Meets the requirement in general terms; little on how reviews and cover work.",
    "2": "Some relevant experience, but no detail of training or cover.",
    "1": "A statement of intent only, with no detail or evidence.",
    "yes": "The answer shows how this outcome is met, with examples.",
    "partially": "The outcome is addressed in part; reviews are mentioned but not described.",
    "no": "The answer does not address this outcome.",
    "pass": "Confirmed in the declaration.",
}


async def _opened_tender(
    platform: Platform,
    officer: CurrentUser,
    providers: Sequence[CurrentUser],
    *,
    days_ago: int,
    details: tuple[str, str, str, str, str],
    lot: dict[str, object],
    prices: Sequence[tuple[int, int]],
) -> TenderView:
    """A tender published and closed in the past, a bid from each provider, opened."""
    now = platform.clock.now()
    published = FixedClock(now - timedelta(days=days_ago))
    closes = tender_demo.weekday_noon(published.now(), 21)
    title, reference, description, months, value = details
    tender_id = await tender_demo.build_tender(
        replace(platform, clock=published),
        officer,
        tender_demo.details(title, reference, description, months, value, closes),
        [lot],
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
    (only,) = tender.lots
    bidding = replace(platform, clock=FixedClock(closes - timedelta(days=2)))
    for provider, answer, (hour, night) in zip(providers, ANSWERS, prices, strict=False):
        bid_id = await bids.start_bid(bidding, provider, tender_id)
        bid = await bids.own_bid(provider, bid_id)
        await bids.choose_lots(bidding, provider, bid_id, [str(only.id)], bid.version)
        await bids.save_answers(
            bidding,
            provider,
            bid_id,
            only.id,
            [
                AnswerEntry(q.id, "", Declaration.YES, 0)
                if q.kind is QuestionKind.PASS_FAIL
                else AnswerEntry(q.id, answer, None, 0)
                for q in tender.questions_for(only)
            ],
        )
        await bids.save_prices(
            bidding,
            provider,
            bid_id,
            only.id,
            [
                PriceEntry(item.id, hour if item.unit == "hour_daytime" else night, 0)
                for item in only.price_items
            ],
        )
        await submissions.submit(bidding, provider, bid_id, submissions.new_request_key())
    await opening.open_bids(platform, officer, tender_id)
    return tender


async def _seat_cleared_panel(
    platform: Platform,
    officer: CurrentUser,
    tender: TenderView,
    evaluators: Sequence[CurrentUser],
    moderator: CurrentUser,
) -> None:
    (lot,) = tender.lots
    await panels.assign(
        platform,
        officer,
        tender.id,
        lot.id,
        evaluators=[person.id for person in evaluators],
        moderator=moderator.id,
    )
    for member in (*evaluators, moderator):
        bidders = await panels.bidders(member, tender.id, lot.id)
        await panels.declare(
            platform,
            member,
            tender.id,
            lot.id,
            {bidder.organisation_id: (False, "") for bidder in bidders},
        )


def _mark(question: QuestionView, place: int) -> str:
    """The mark for the provider in ``place`` (strong, middling, thin)."""
    if question.kind is QuestionKind.PASS_FAIL:
        return "pass"
    if question.kind is QuestionKind.OUTCOME_TEST:
        return OUTCOME_MARKS[place]
    return SCALE_MARKS[place]


async def load(
    platform: Platform,
    officer: CurrentUser,
    evaluators: Sequence[CurrentUser],
    moderator: CurrentUser,
    providers: Sequence[CurrentUser],
) -> None:
    tender = await _opened_tender(
        platform,
        officer,
        providers,
        days_ago=49,
        details=(
            TITLE,
            "SCC-COS-2026-04",
            "Overnight short breaks in the family home for disabled children, so that parents "
            "and carers can rest. About 40 families across the county.",
            "36",
            "£1,150,000",
        ),
        lot={
            "name": "Overnight short breaks",
            "service_type": "overnight",
            "districts": ["North", "South"],
            "award_mode": "number",
            "providers_to_award": "2",
        },
        prices=PRICES,
    )
    await _seat_cleared_panel(platform, officer, tender, evaluators, moderator)


async def load_moderated(
    platform: Platform,
    officer: CurrentUser,
    evaluators: Sequence[CurrentUser],
    moderator: CurrentUser,
    providers: Sequence[CurrentUser],
) -> None:
    """The home care tender, scored by ``evaluators`` (who differ by two on one answer of
    the thin bid, so the grid flags it) and moderated and signed off by ``moderator``."""
    tender = await _opened_tender(
        platform,
        officer,
        providers,
        days_ago=63,
        details=(
            MODERATED_TITLE,
            "SCC-HC-2026-07",
            "Home care for adults in Cannock Chase: personal care and support to live well at "
            "home, about 1,200 hours a week.",
            "48",
            "£2,400,000",
        ),
        lot={
            "name": "Home care, Cannock Chase",
            "service_type": "home_care",
            "districts": ["Cannock Chase"],
            "award_mode": "one",
        },
        prices=MODERATED_PRICES,
    )
    await _seat_cleared_panel(platform, officer, tender, evaluators, moderator)
    (lot,) = tender.lots
    questions = scores.lot_questions(tender, lot)
    # Each bid's marks follow what its provider wrote (ANSWERS), not the order bids are shown.
    place = {provider.organisation_id: number for number, provider in enumerate(providers)}
    thin = len(providers) - 1
    first_scored = next(q for q in questions if q.kind is QuestionKind.SCALE)
    for number, evaluator in enumerate(evaluators):
        sheet = await scores.sheet(evaluator, tender.id, lot.id)
        for bid in sheet.bids:
            given = {q.id: _mark(q, place[bid.organisation_id]) for q in questions}
            if number and place[bid.organisation_id] == thin:
                given[first_scored.id] = "3"
            await scores.save(
                platform,
                evaluator,
                tender.id,
                lot.id,
                bid.bid_id,
                {q: ScoreInput(mark, REASONS[mark]) for q, mark in given.items()},
            )
        await scores.submit(platform, evaluator, tender.id, lot.id)
    grid = await moderation.grid(moderator, tender.id, lot.id)
    for bid in grid.bids:
        agreed = {q.id: _mark(q, place[bid.organisation_id]) for q in questions}
        await moderation.record(
            platform,
            moderator,
            tender.id,
            lot.id,
            bid.bid_id,
            {
                q: ScoreInput(mark, f"Agreed at moderation. {REASONS[mark]}")
                for q, mark in agreed.items()
            },
        )
    await moderation.sign_off(platform, moderator, tender.id, lot.id)
