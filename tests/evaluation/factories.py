"""An evaluation ready to score, made through the same services people use: a published
one-lot tender, bids from three providers at different prices, opened, with a panel of two
evaluators and a moderator who have declared no conflict."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from uuid import UUID

from app import accounts
from app.accounts import CurrentUser
from app.clock import FixedClock
from app.platform import Platform
from evaluation.services import moderation, panels, scores
from evaluation.services.scores import ScoreInput
from tenders.services import opening
from tenders.services.views import LotView, QuestionView, TenderView
from tenders.vocabulary import QuestionKind
from tests.conftest import PASSWORD, buyer_officer, provider_user
from tests.tenders.bid_factories import submitted_bid
from tests.tenders.factories import DEADLINE, published_tender

#: (organisation, email, unit price in pence), in the order they submit.
PROVIDERS = (
    ("Ashby Care", "jo@ashby-care.example", 1500),
    ("Birch Homes", "li@birch-homes.example", 1600),
    ("Cedar Support", "al@cedar-support.example", 1450),
)


async def colleague(
    platform: Platform, officer: CurrentUser, name: str, role: str = "evaluator"
) -> CurrentUser:
    email = f"{name.lower().replace(' ', '.')}@staffordshire.example"
    added = await accounts.add_colleague(
        platform, officer, {"name": name, "email": email, "role": role, "password": PASSWORD}
    )
    return replace(officer, id=added.id, email=added.email, name=added.name, role=added.role)


async def open_tender(
    platform: Platform, clock: FixedClock, officer: CurrentUser, tender_id: UUID
) -> None:
    clock.instant = DEADLINE
    assert (await opening.open_bids(platform, officer, tender_id)).opened


@dataclass(frozen=True)
class Evaluation:
    officer: CurrentUser
    tender: TenderView
    lot: LotView
    #: Amy Evans and Ben Hart.
    evaluators: tuple[CurrentUser, ...]
    #: Mo Reid.
    moderator: CurrentUser
    #: One user of each bidding organisation, in ``PROVIDERS`` order.
    providers: tuple[CurrentUser, ...]
    #: Their bids, in the same order.
    bid_ids: tuple[UUID, ...]

    @property
    def questions(self) -> list[QuestionView]:
        return sorted(self.tender.questions_for(self.lot), key=lambda q: q.number)


async def evaluation(
    platform: Platform, clock: FixedClock, *, declare: bool = True, bidders: int = 3
) -> Evaluation:
    """Bids from the first ``bidders`` providers for a one-lot tender, opened, with the panel
    seated and, with ``declare``, every member cleared of conflicts."""
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    return await evaluation_of(platform, clock, officer, tender, declare=declare, bidders=bidders)


async def evaluation_of(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    tender: TenderView,
    *,
    declare: bool = True,
    bidders: int = 3,
) -> Evaluation:
    """As ``evaluation()``, for a published one-lot tender of the officer's."""
    lot = tender.lots[0]
    providers, bid_ids = [], []
    for name, email, pence in PROVIDERS[:bidders]:
        provider = await provider_user(platform, email, name)
        bid_id, _ = await submitted_bid(platform, provider, tender, unit_price_pence=pence)
        providers.append(provider)
        bid_ids.append(bid_id)
    amy = await colleague(platform, officer, "Amy Evans")
    ben = await colleague(platform, officer, "Ben Hart")
    mo = await colleague(platform, officer, "Mo Reid")
    await panels.assign(
        platform, officer, tender.id, lot.id, evaluators=[amy.id, ben.id], moderator=mo.id
    )
    await open_tender(platform, clock, officer, tender.id)
    if declare:
        for member in (amy, ben, mo):
            await declare_none(platform, member, tender.id, lot.id)
    return Evaluation(officer, tender, lot, (amy, ben), mo, tuple(providers), tuple(bid_ids))


async def declare_none(
    platform: Platform, member: CurrentUser, tender_id: UUID, lot_id: UUID
) -> None:
    bidders = await panels.bidders(member, tender_id, lot_id)
    await panels.declare(
        platform,
        member,
        tender_id,
        lot_id,
        {bidder.organisation_id: (False, "") for bidder in bidders},
    )


def default_mark(question: QuestionView, place: int) -> str:
    """A mark for the bid in ``place``: pass, and 3 + place capped at 5 on the scale."""
    if question.kind is QuestionKind.PASS_FAIL:
        return "pass"
    if question.kind is QuestionKind.OUTCOME_TEST:
        return "yes"
    return str(min(3 + place, 5))


async def score_everything(
    platform: Platform,
    setup: Evaluation,
    evaluator: CurrentUser,
    mark: Callable[[QuestionView, int], str] = default_mark,
    *,
    submit: bool = True,
) -> None:
    """The evaluator scores every question of every bid, each with a reason, and submits."""
    for place, bid_id in enumerate(setup.bid_ids):
        await scores.save(
            platform,
            evaluator,
            setup.tender.id,
            setup.lot.id,
            bid_id,
            {
                q.id: ScoreInput(mark(q, place), f"{evaluator.name}: reason for {q.number}")
                for q in setup.questions
            },
        )
    if submit:
        await scores.submit(platform, evaluator, setup.tender.id, setup.lot.id)


async def agree_everything(
    platform: Platform,
    setup: Evaluation,
    mark: Callable[[QuestionView, int], str] = default_mark,
    *,
    sign_off: bool = True,
) -> None:
    """The moderator records a consensus for every cell and signs the lot off."""
    for place, bid_id in enumerate(setup.bid_ids):
        await moderation.record(
            platform,
            setup.moderator,
            setup.tender.id,
            setup.lot.id,
            bid_id,
            {q.id: ScoreInput(mark(q, place), "Agreed at moderation") for q in setup.questions},
        )
    if sign_off:
        await moderation.sign_off(platform, setup.moderator, setup.tender.id, setup.lot.id)
