"""JSON API: a lot's results (rule 10), computed from the signed-off consensus and the sealed
prices, never typed in: each bid's section scores, total, rank, exclusions, price flags and
award, with the plain-English explanation and the consensus behind it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from uuid import UUID

from litestar import Controller, get
from litestar.params import FromPath

from app.api_docs import BEARER, SIGNED_IN_ERRORS, error_responses
from app.dependencies import USER, PlatformDep, UserDep
from evaluation import marks
from evaluation.api.schemas import (
    BidResultOut,
    ConsensusMark,
    LotResults,
    PriceFlagOut,
    SectionScoreOut,
    evaluation_lot,
    figure,
    questions,
    signed_off,
    utc,
)
from evaluation.scoring import BidResult
from evaluation.services import moderation, results
from evaluation.services.moderation import ConsensusView


def _result(
    lot: results.LotResults,
    result: BidResult,
    agreed_by_cell: Mapping[tuple[UUID, UUID], ConsensusView],
) -> BidResultOut:
    bid = lot.bid(result)
    return BidResultOut(
        bid_id=result.bid_id,
        organisation_id=bid.organisation_id,
        organisation_name=result.name,
        received_at=utc(bid.received_at),
        rank=result.rank,
        awarded=result.awarded,
        excluded=result.excluded,
        total=figure(result.total) if result.total is not None else None,
        quality=figure(result.quality),
        social_value=figure(result.social_value),
        price=figure(result.price) if result.price is not None else None,
        basket_pence=result.basket_pence,
        sections=[
            SectionScoreOut(
                s.number, s.name, s.kind, s.weight, figure(s.score) if s.score is not None else None
            )
            for s in result.sections
        ],
        exclusions=list(result.exclusions),
        flags=[
            PriceFlagOut(
                kind=flag.kind,
                price_item_id=flag.line_id,
                item_number=flag.line_number,
                description=flag.description,
                unit_price_pence=flag.unit_price_pence,
                reference_pence=flag.reference_pence,
            )
            for flag in result.flags
        ],
        explanation=list(result.explanation),
        consensus=[
            ConsensusMark(
                question.id,
                agreed.mark,
                marks.label(question.kind, agreed.mark),
                agreed.rationale,
            )
            for question in lot.questions
            if (agreed := agreed_by_cell.get((bid.submission_id, question.id)))
        ],
    )


def _results(
    lot: results.LotResults,
    agreed_by_cell: Mapping[tuple[UUID, UUID], ConsensusView],
    now: datetime,
) -> LotResults:
    return LotResults(
        lot=evaluation_lot(lot.tender, lot.lot, now),
        questions=questions(lot.tender, lot.questions),
        signed_off=signed_off(lot.signed_off),
        results=[_result(lot, result, agreed_by_cell) for result in lot.results],
    )


class ResultsApi(Controller):
    path = "/evaluations/{tender_id:str}/lots/{lot_id:str}"
    tags = ["evaluation: results"]
    security = BEARER
    dependencies = {"user": USER}

    @get(
        "/results",
        summary="Read the lot's results",
        description="The ranked bids best first, then the excluded ones by name: section "
        "scores, quality, price and total as decimal strings to two places (the ranking "
        "compares the exact values), basket costs in pence, exclusions, price flags, the "
        "award and a plain-English explanation, with the consensus marks behind them. For the "
        "council's officers and the lot's panel (cleared of conflicts); 409 until the "
        "moderator signs the lot off.",
        responses=error_responses(*SIGNED_IN_ERRORS, 404, 409),
    )
    async def read_results(
        self, platform: PlatformDep, user: UserDep, tender_id: FromPath[str], lot_id: FromPath[str]
    ) -> LotResults:
        lot = await results.lot_results(user, tender_id, lot_id)
        # The reasons behind the marks: signed off, so as the results were computed from.
        agreed_by_cell = await moderation.load_consensus(lot.lot.id)
        return _results(lot, agreed_by_cell, platform.clock.now())


CONTROLLERS: list[type[Controller]] = [ResultsApi]
