"""Pages: the moderation of a lot (rule 9). The grid shows every evaluator's submitted
marks and reasons for each bid and question, where they diverge, and the consensus; the
lot's moderator records the consensus for one bid at a time and signs the lot off, and the
council's officers read the grid. An evaluator of the lot is refused by the service.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from app.accounts import CurrentUser
from app.dependencies import PLATFORM, USER, PlatformDep, UserDep
from app.errors import Invalid, NotFound, NotPermitted
from app.web_support import form_data, render, render_invalid, see_other
from evaluation import marks
from evaluation.services import moderation
from evaluation.services.moderation import Grid
from evaluation.services.panels import Bidder
from evaluation.services.scores import ScoreInput, missing_key
from evaluation.vocabulary import PanelRole
from tenders.services.bids import parse_id

GRID = "evaluation/moderation/grid.html"
CONSENSUS = "evaluation/moderation/consensus.html"
SIGN_OFF = "evaluation/moderation/sign_off.html"


def lot_path(tender_id: Any, lot_id: Any) -> str:
    return f"/evaluations/{tender_id}/lots/{lot_id}"


def bid_path(grid: Grid, bid: Bidder) -> str:
    return f"{lot_path(grid.tender.id, grid.lot.id)}/moderation/bids/{bid.bid_id}"


async def _moderating(user: CurrentUser, tender_id: str, lot_id: str) -> Grid:
    """The grid, for its moderator, while consensus can be recorded: else the reason, as
    the service would give it."""
    grid = await moderation.grid(user, tender_id, lot_id)
    if not grid.moderating:
        raise NotPermitted(moderation.MODERATOR_ONLY)
    moderation.refuse_unready(grid)
    return grid


def _bid(grid: Grid, bid_id: str) -> Bidder:
    wanted = parse_id(bid_id)
    found = next((bid for bid in grid.bids if bid.bid_id == wanted), None)
    if found is None:
        raise NotFound()
    return found


def _grid_context(grid: Grid) -> dict[str, Any]:
    recording = grid.moderating and grid.ready and grid.signed_off is None
    return {
        "grid": grid,
        "tender": grid.tender,
        "lot": grid.lot,
        "role": PanelRole.MODERATOR if grid.moderating else None,
        "base": lot_path(grid.tender.id, grid.lot.id),
        "cells": len(grid.cells),
        "waiting": grid.not_ready if grid.evaluators else None,
        "recording": recording,
        "complete": recording and not grid.missing,
        "bid_path": lambda bid: bid_path(grid, bid),
        "label": marks.label,
    }


def _saved_values(grid: Grid, bid: Bidder) -> dict[str, str]:
    values: dict[str, str] = {}
    for question in grid.questions:
        agreed = grid.cell(bid, question).consensus
        values[f"mark-{question.id}"] = agreed.mark if agreed else ""
        values[f"rationale-{question.id}"] = agreed.rationale if agreed else ""
    return values


def _consensus_context(grid: Grid, bid: Bidder) -> dict[str, Any]:
    return {
        **_grid_context(grid),
        "bid": bid,
        "choices": marks.CHOICES,
    }


def _entries(values: Mapping[str, str]) -> dict[str, ScoreInput]:
    """What the form sent, by question id: a question's reason is always sent, its mark
    only when one is chosen."""
    ids = {name.split("-", 1)[1] for name in values if name.startswith(("mark-", "rationale-"))}
    return {
        question_id: ScoreInput(
            values.get(f"mark-{question_id}", ""), values.get(f"rationale-{question_id}", "")
        )
        for question_id in sorted(ids)
    }


def _field_order(grid: Grid) -> list[str]:
    return [
        name
        for question in grid.questions
        for name in (f"mark-{question.id}", f"rationale-{question.id}")
    ]


class ModerationPages(Controller):
    path = "/evaluations/{tender_id:str}/lots/{lot_id:str}"
    include_in_schema = False
    dependencies = {"platform": PLATFORM, "user": USER}

    @get("/moderation")
    async def grid(
        self, request: Request, user: UserDep, tender_id: FromPath[str], lot_id: FromPath[str]
    ) -> Template:
        grid = await moderation.grid(user, tender_id, lot_id)
        return render(request, GRID, _grid_context(grid))

    @get("/moderation/bids/{bid_id:str}")
    async def consensus_form(
        self,
        request: Request,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        lot_id: FromPath[str],
        bid_id: FromPath[str],
    ) -> Template:
        grid = await _moderating(user, tender_id, lot_id)
        bid = _bid(grid, bid_id)
        answers = await moderation.bid_answers(platform, user, tender_id, lot_id, bid_id)
        context = {
            **_consensus_context(grid, bid),
            "values": _saved_values(grid, bid),
            "answers": answers,
        }
        return render(request, CONSENSUS, context)

    @post("/moderation/bids/{bid_id:str}")
    async def record(
        self,
        request: Request,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        lot_id: FromPath[str],
        bid_id: FromPath[str],
    ) -> Response:
        values = await form_data(request)
        try:
            grid = await moderation.record(
                platform, user, tender_id, lot_id, bid_id, _entries(values)
            )
        except Invalid as error:
            grid = await moderation.grid(user, tender_id, lot_id)
            answers = await moderation.bid_answers(platform, user, tender_id, lot_id, bid_id)
            return render_invalid(
                request,
                CONSENSUS,
                error,
                _field_order(grid),
                values,
                {**_consensus_context(grid, _bid(grid, bid_id)), "answers": answers},
            )
        bid = _bid(grid, bid_id)
        return see_other(
            f"{lot_path(grid.tender.id, grid.lot.id)}/moderation#bid-{bid.bid_id}",
            flash=f"The consensus for {bid.name} has been saved",
        )

    @get("/sign-off")
    async def sign_off_form(
        self, request: Request, user: UserDep, tender_id: FromPath[str], lot_id: FromPath[str]
    ) -> Template:
        grid = await _moderating(user, tender_id, lot_id)
        return render(request, SIGN_OFF, _grid_context(grid))

    @post("/sign-off")
    async def sign_off(
        self,
        request: Request,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        lot_id: FromPath[str],
    ) -> Response:
        try:
            grid = await moderation.sign_off(platform, user, tender_id, lot_id)
        except Invalid as error:
            grid = await moderation.grid(user, tender_id, lot_id)
            order = [missing_key(cell.bid, cell.question) for cell in grid.missing]
            return render_invalid(request, SIGN_OFF, error, order, {}, _grid_context(grid))
        return see_other(
            f"{lot_path(grid.tender.id, grid.lot.id)}/results",
            flash=f"You signed off the consensus for lot {grid.lot.number}. These are its results",
        )


CONTROLLERS: list[type[Controller]] = [ModerationPages]
