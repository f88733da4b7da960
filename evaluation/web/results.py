"""Pages: a lot's results (rule 10), computed from the signed-off consensus and the sealed
prices, each bid's explained in words; the evaluation matrix of outcome tests councils use
in options appraisals; and the exports of the scores, consensus and results for the
council's officers and the lot's moderator.

Before the moderator signs the lot off there are no results: the page says so (409).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath
from litestar.response import Template

from app.accounts import CurrentUser
from app.dependencies import PLATFORM, USER, PlatformDep, UserDep
from app.errors import InvalidTransition
from app.web_support import content_disposition, render
from evaluation import marks, scoring
from evaluation.scoring import Outcome
from evaluation.services import exports, results
from evaluation.services.exports import Export
from evaluation.services.panels import Bidder, seat_role, visible_lot
from evaluation.services.results import LotResults
from evaluation.vocabulary import PanelRole
from evaluation.web.moderation import lot_path
from tenders.services.views import LotView, QuestionView, TenderView
from tenders.vocabulary import QuestionKind

#: Tags beside an outcome-test mark in the matrix: the words say it, the colour helps.
OUTCOME_TAGS = {
    Outcome.YES: "govuk-tag--green",
    Outcome.PARTIALLY: "govuk-tag--yellow",
    Outcome.NO: "govuk-tag--red",
}


def _lot_context(
    user: CurrentUser, tender: TenderView, lot: LotView, role: PanelRole | None
) -> dict[str, Any]:
    return {
        "tender": tender,
        "lot": lot,
        "role": role,
        "base": lot_path(tender.id, lot.id),
        "may_export": exports.may_export(user, role),
    }


def _results_context(
    found: LotResults, user: CurrentUser, role: PanelRole | None
) -> dict[str, Any]:
    low = found.tender.abnormally_low_percent
    return {
        **_lot_context(user, found.tender, found.lot, role),
        "found": found,
        "sections": found.results[0].sections if found.results else (),
        "ranked": [result for result in found.results if not result.excluded],
        "excluded": [result for result in found.results if result.excluded],
        "flagged": [
            (result, [exports.flag_words(flag, low) for flag in result.flags])
            for result in found.results
            if result.flags
        ],
        "has_outcome_tests": bool(found.matrix()),
        "points": scoring.points,
        "ordinal": scoring.ordinal,
        "pounds": scoring.pounds,
    }


def _matrix_context(found: LotResults, user: CurrentUser, role: PanelRole | None) -> dict[str, Any]:
    def cell(bid: Bidder, question: QuestionView) -> tuple[str, str]:
        """The consensus in words, and its tag."""
        mark = found.consensus[(bid.submission_id, question.id)]
        return found.mark(bid, question), OUTCOME_TAGS.get(mark, "")

    return {
        **_lot_context(user, found.tender, found.lot, role),
        "found": found,
        "groups": [
            (outcome, [(q, [cell(bid, q) for bid in found.bids]) for q in questions])
            for outcome, questions in found.matrix()
        ],
        "choices": marks.CHOICES[QuestionKind.OUTCOME_TEST],
    }


async def _results_page(
    request: Request,
    user: CurrentUser,
    tender_id: str,
    lot_id: str,
    template: str,
    context: Callable[[LotResults, CurrentUser, PanelRole | None], dict[str, Any]],
) -> Template:
    """A page of the lot's results; before sign-off, the page saying they come with it."""
    try:
        found = await results.lot_results(user, tender_id, lot_id)
    except InvalidTransition as error:
        tender, lot, role = await visible_lot(user, tender_id, lot_id)
        return render(
            request,
            "evaluation/results/not_ready.html",
            {**_lot_context(user, tender, lot, role), "message": error.message},
            status_code=error.status_code,
        )
    role = await seat_role(found.lot.id, user.id)
    return render(request, template, context(found, user, role))


def _download(export: Export) -> Response:
    return Response(
        export.content,
        media_type=export.content_type,
        headers={
            "Content-Disposition": content_disposition(export.filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-cache",
        },
    )


class ResultsPages(Controller):
    path = "/evaluations/{tender_id:str}/lots/{lot_id:str}"
    include_in_schema = False
    dependencies = {"platform": PLATFORM, "user": USER}

    @get("/results")
    async def results_page(
        self, request: Request, user: UserDep, tender_id: FromPath[str], lot_id: FromPath[str]
    ) -> Template:
        return await _results_page(
            request, user, tender_id, lot_id, "evaluation/results/results.html", _results_context
        )

    @get("/matrix")
    async def matrix_page(
        self, request: Request, user: UserDep, tender_id: FromPath[str], lot_id: FromPath[str]
    ) -> Template:
        return await _results_page(
            request, user, tender_id, lot_id, "evaluation/results/matrix.html", _matrix_context
        )

    @get("/exports/scores.csv")
    async def scores_csv(
        self, platform: PlatformDep, user: UserDep, tender_id: FromPath[str], lot_id: FromPath[str]
    ) -> Response:
        return _download(await exports.scores_csv(platform, user, tender_id, lot_id))

    @get("/exports/consensus.csv")
    async def consensus_csv(
        self, platform: PlatformDep, user: UserDep, tender_id: FromPath[str], lot_id: FromPath[str]
    ) -> Response:
        return _download(await exports.consensus_csv(platform, user, tender_id, lot_id))

    @get("/exports/results.csv")
    async def results_csv(
        self, platform: PlatformDep, user: UserDep, tender_id: FromPath[str], lot_id: FromPath[str]
    ) -> Response:
        return _download(await exports.results_csv(platform, user, tender_id, lot_id))

    @get("/exports/results.xlsx")
    async def results_xlsx(
        self, platform: PlatformDep, user: UserDep, tender_id: FromPath[str], lot_id: FromPath[str]
    ) -> Response:
        return _download(await exports.results_xlsx(platform, user, tender_id, lot_id))


CONTROLLERS: list[type[Controller]] = [ResultsPages]
