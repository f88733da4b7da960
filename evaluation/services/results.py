"""A lot's results (rule 10): computed by ``evaluation.scoring`` from the signed-off
consensus and the sealed price schedules, never typed in.

Results are for the council's officers and for the lot's panel, once the moderator has
signed the lot off; before then there is nothing to rank.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

import msgspec

from app import database
from app.accounts import CurrentUser
from app.errors import InvalidTransition, NotPermitted
from evaluation import marks
from evaluation.scoring import (
    AwardRule,
    BidEntry,
    BidResult,
    LotRules,
    OutcomePoints,
    PriceLine,
    QuestionRule,
    SectionRule,
    score_lot,
)
from evaluation.services.moderation import SignedOff, signed_off
from evaluation.services.panels import Bidder, lot_bidders, require_cleared, visible_lot
from evaluation.services.scores import lot_questions
from tenders.services.views import LotView, QuestionView, TenderView, as_uuid
from tenders.vocabulary import AwardMode, QuestionKind

NOT_SIGNED_OFF = "The results are computed once the moderator signs off the lot's consensus"


def lot_rules(tender: TenderView, lot: LotView) -> LotRules:
    """What the lot's results follow from, as the tender froze it at publication."""
    numbers = {section.id: section.number for section in tender.sections}
    return LotRules(
        sections=[SectionRule(s.number, s.name, s.kind, s.weight) for s in tender.sections],
        questions=[
            QuestionRule(
                q.id,
                q.number,
                numbers[q.section_id],
                q.kind,
                q.weight,
                q.minimum_score if q.kind is QuestionKind.SCALE else None,
            )
            for q in tender.questions_for(lot)
        ],
        price_lines=[
            PriceLine(
                item.id, item.number, item.description, item.volume, item.reference_price_pence
            )
            for item in lot.price_items
        ],
        award=AwardRule(
            lot.award_mode,
            lot.providers_to_award if lot.award_mode is AwardMode.NUMBER else None,
        ),
        outcome_points=OutcomePoints(),
        abnormally_low_percent=tender.abnormally_low_percent,
        exclude_above_reference=tender.exclude_above_reference,
    )


@dataclass(frozen=True)
class LotResults:
    tender: TenderView
    lot: LotView
    questions: tuple[QuestionView, ...]
    bids: tuple[Bidder, ...]
    #: Ranked bids best first, then the excluded ones by name.
    results: tuple[BidResult, ...]
    #: The consensus marks by (submission id, question id).
    consensus: Mapping[tuple[UUID, UUID], str]
    signed_off: SignedOff

    def bid(self, result: BidResult) -> Bidder:
        return next(bid for bid in self.bids if bid.bid_id == result.bid_id)

    def mark(self, bid: Bidder, question: QuestionView) -> str:
        """The consensus mark in words ("4 good", "Partially", "Pass")."""
        return marks.label(question.kind, self.consensus[(bid.submission_id, question.id)])

    def matrix(self) -> list[tuple[str, list[QuestionView]]]:
        """The outcome tests grouped under their outcomes, in question order: the rows of
        the evaluation matrix councils use in options appraisals."""
        groups: dict[str, list[QuestionView]] = {}
        for question in self.questions:
            if question.kind is QuestionKind.OUTCOME_TEST:
                groups.setdefault(question.outcome or "Other outcomes", []).append(question)
        return list(groups.items())


_PRICES_SQL = "SELECT id, content FROM submission WHERE id IN ({})"
_MARKS_SQL = "SELECT submission, question, mark FROM consensus WHERE lot = {}"


class _Price(msgspec.Struct):
    item: str
    unit_price_pence: int | None


class _LotPrices(msgspec.Struct):
    lot: str
    prices: list[_Price]


class _Prices(msgspec.Struct):
    """What the results read of a sealed content: its prices, not its answers (msgspec
    skips the rest unread, three times faster than ``json.loads``)."""

    lots: list[_LotPrices]


_read_prices = msgspec.json.Decoder(_Prices).decode


async def consensus_marks(lot_id: UUID) -> dict[tuple[UUID, UUID], str]:
    """The lot's consensus marks by (submission id, question id): all the results need of
    the consensus, without its reasons."""
    rows = await database.fetch(_MARKS_SQL, lot_id)
    return {(as_uuid(row["submission"]), as_uuid(row["question"])): row["mark"] for row in rows}


async def unit_prices(bids: tuple[Bidder, ...], lot_id: UUID) -> dict[UUID, dict[UUID, int]]:
    """Each bid's sealed unit prices for the lot, in pence, by price item id."""
    if not bids:
        return {}
    rows = await database.fetch(
        _PRICES_SQL.format(", ".join("{}" for _ in bids)), *(bid.submission_id for bid in bids)
    )
    prices: dict[UUID, dict[UUID, int]] = {}
    wanted = str(lot_id)
    for row in rows:
        content = _read_prices(row["content"])
        lot = next((lot for lot in content.lots if lot.lot == wanted), None)
        prices[as_uuid(row["id"])] = (
            {as_uuid(price.item): price.unit_price_pence for price in lot.prices} if lot else {}
        )
    return prices


async def compute(tender: TenderView, lot: LotView) -> LotResults:
    """The lot's results from its signed-off consensus, with no check of who asks."""
    sign_off = await signed_off(lot.id)
    if sign_off is None:
        raise InvalidTransition(NOT_SIGNED_OFF)
    questions = lot_questions(tender, lot)
    bids = tuple(await lot_bidders(tender.id, lot.id))
    consensus = await consensus_marks(lot.id)
    prices = await unit_prices(bids, lot.id)
    entries = [
        BidEntry(
            bid.bid_id,
            bid.name,
            bid.received_at,
            {
                q.id: marks.for_scoring(q.kind, consensus[(bid.submission_id, q.id)])
                for q in questions
            },
            prices[bid.submission_id],
        )
        for bid in bids
    ]
    return LotResults(
        tender,
        lot,
        questions,
        bids,
        score_lot(lot_rules(tender, lot), entries),
        consensus,
        sign_off,
    )


async def lot_results(actor: CurrentUser, tender_id: str | UUID, lot_id: str | UUID) -> LotResults:
    """The lot's results, for the council's officers and the lot's panel (cleared of
    conflicts), once the moderator has signed the lot off.

    Raises ``NotFound`` (not a lot the actor may know of), ``NotPermitted`` (a panel member
    not cleared, or before opening) and ``InvalidTransition`` (not yet signed off).
    """
    tender, lot, role = await visible_lot(actor, tender_id, lot_id)
    if role is not None:
        await require_cleared(actor, tender.id, lot.id)
    elif not tender.stored_status.bids_opened:
        raise NotPermitted("Bids are sealed until an officer opens them after the deadline")
    return await compute(tender, lot)
