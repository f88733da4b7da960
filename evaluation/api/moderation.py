"""JSON API: moderation (rule 9). Once every evaluator of a lot has submitted, its moderator
sees every score in one grid, flagged where they diverge, records a consensus mark and
reason for each bid and question (the evaluators' own scores kept beside it), and signs the
lot off. The council's officers who do not evaluate the lot may read the grid.
"""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, get, post, put
from litestar.params import FromPath, JSONBody

from app.api_docs import BEARER, SIGNED_IN_ERRORS, error_responses
from app.dependencies import USER, PlatformDep, UserDep
from app.errors import Invalid
from evaluation.api.schemas import (
    ConsensusRequest,
    EvaluatorProgress,
    GridCell,
    ModerationGrid,
    bidder,
    consensus,
    entries_by_question,
    entry_names,
    evaluation_lot,
    missing,
    questions,
    renamed,
    score,
    signed_off,
    utc,
)
from evaluation.services import moderation
from evaluation.services.scores import ScoreInput


def _cell(cell: moderation.Cell) -> GridCell:
    kind = cell.question.kind
    return GridCell(
        bid_id=cell.bid.bid_id,
        question_id=cell.question.id,
        scores=[score(given, cell.bid.bid_id, kind) for given in cell.scores],
        spread=cell.spread,
        flag=cell.flag,
        consensus=consensus(cell.consensus, kind) if cell.consensus else None,
    )


def _grid(grid: moderation.Grid, now: datetime) -> ModerationGrid:
    return ModerationGrid(
        lot=evaluation_lot(grid.tender, grid.lot, now),
        questions=questions(grid.tender, grid.questions),
        bids=[bidder(bid) for bid in grid.bids],
        evaluators=[
            EvaluatorProgress(e.user_id, e.name, utc(e.submitted_at) if e.submitted_at else None)
            for e in grid.evaluators
        ],
        waiting_for=grid.waiting_for,
        ready=grid.ready,
        moderating=grid.moderating,
        signed_off=signed_off(grid.signed_off) if grid.signed_off else None,
        flagged=grid.flagged,
        agreed=grid.agreed,
        cells=[_cell(grid.cell(bid, question)) for bid in grid.bids for question in grid.questions],
        missing=[
            missing(cell.bid, cell.question, moderation.missing_message(cell))
            for cell in grid.missing
        ],
    )


class ModerationApi(Controller):
    path = "/evaluations/{tender_id:str}/lots/{lot_id:str}"
    tags = ["evaluation: moderation"]
    security = BEARER
    dependencies = {"user": USER}

    @get(
        "/moderation",
        summary="Read the moderation grid",
        description="Every bid and question of the lot with each evaluator's submitted score, "
        "the spread, why divergent scores are flagged (a range of 2 or more, or Yes against "
        "No) and the consensus so far; who has yet to submit; the sign-off. For the lot's "
        "moderator, cleared of conflicts, and the council's officers who do not evaluate the "
        "lot; 403 for its evaluators and before opening.",
        responses=error_responses(*SIGNED_IN_ERRORS, 404),
    )
    async def grid(
        self, platform: PlatformDep, user: UserDep, tender_id: FromPath[str], lot_id: FromPath[str]
    ) -> ModerationGrid:
        return _grid(await moderation.grid(user, tender_id, lot_id), platform.clock.now())

    @put(
        "/moderation/bids/{bid_id:str}",
        summary="Record the consensus for a bid",
        description="Record the consensus mark and its reason for some or all of the bid's "
        "questions (the lot's moderator). It may change until sign-off; the same again "
        "changes nothing. 400 on `consensus[i].mark`, `consensus[i].rationale` or "
        "`consensus[i].question`, and on `consensus` for a question not of this lot; 409 "
        "until every evaluator has submitted their scores, and once signed off.",
        responses=error_responses(*SIGNED_IN_ERRORS, 404, 409),
    )
    async def record(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        lot_id: FromPath[str],
        bid_id: FromPath[str],
        data: JSONBody[ConsensusRequest],
    ) -> ModerationGrid:
        places = entries_by_question(data.consensus, "consensus")
        entries = {e.question: ScoreInput(str(e.mark), e.rationale) for e in data.consensus}
        try:
            grid = await moderation.record(platform, user, tender_id, lot_id, bid_id, entries)
        except Invalid as error:
            names = entry_names(places, "consensus", ("mark", "rationale"))
            raise renamed(error, names, "consensus") from error
        return _grid(grid, platform.clock.now())

    @post(
        "/sign-off",
        status_code=200,
        summary="Sign off the lot",
        description="Sign off the lot's consensus (the lot's moderator): from then on it is "
        "frozen and the lot's results stand on it. When every lot with bids is signed off, "
        "the tender is moderated. Signing off again changes nothing. 400 names each cell "
        "without a consensus, keyed `bid-<bid id>-question-<question id>` (the grid's "
        "`missing`); 409 until every evaluator has submitted.",
        responses=error_responses(*SIGNED_IN_ERRORS, 404, 409),
    )
    async def sign_off(
        self, platform: PlatformDep, user: UserDep, tender_id: FromPath[str], lot_id: FromPath[str]
    ) -> ModerationGrid:
        grid = await moderation.sign_off(platform, user, tender_id, lot_id)
        return _grid(grid, platform.clock.now())


CONTROLLERS: list[type[Controller]] = [ModerationApi]
