"""Moderation (rule 9): once every evaluator of a lot has submitted their scores, the lot's
moderator sees them all in one grid of bids and questions, with where they diverge, and
records a consensus mark and its reason for every cell, the evaluators' own scores kept
beside it. Signing the lot off freezes its consensus; when every lot with bids is signed
off, the tender is ``moderated``.

The grid is the moderator's, and the council's officers may read it; an evaluator of the
lot may not (they are blind until they submit, and the grid is not theirs after).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from app import database
from app.accounts import CurrentUser
from app.errors import Conflict, Invalid, InvalidTransition, NotFound, NotPermitted
from app.platform import Platform
from app.templating import london_time
from app.vocabulary import AuditAction
from evaluation import marks
from evaluation.services.panels import (
    Bidder,
    lot_bidders,
    require_cleared,
    seat_role,
    visible_lot,
)
from evaluation.services.scores import (
    ScoreInput,
    ScoreView,
    clean_entry,
    load_scores,
    lot_questions,
    missing_key,
    sealed_lot_answers,
    submitted_sheets,
)
from evaluation.tables import ConflictDeclaration, Consensus, PanelMember, SignOff
from evaluation.vocabulary import PanelRole
from tenders.services import events
from tenders.services.bids import parse_id, parse_lot_ids
from tenders.services.opening import current_submissions, record_read
from tenders.services.views import LotView, QuestionView, TenderView, as_uuid, load_tender
from tenders.tables import Submission, Tender
from tenders.vocabulary import TenderStatus

MODERATOR_ONLY = "Only the lot's moderator can record its consensus"
NOT_FOR_EVALUATORS = "The moderation grid is for the lot's moderator and the officers"
SIGNED_OFF = "The lot's consensus was signed off at {}: it cannot change"


@dataclass(frozen=True)
class ConsensusView:
    mark: str
    rationale: str
    moderator_name: str
    decided_at: datetime


@dataclass(frozen=True)
class Cell:
    bid: Bidder
    question: QuestionView
    #: Each evaluator's, by the evaluator's name.
    scores: tuple[ScoreView, ...]
    #: "2 to 4"; "2 Yes, 1 No".
    spread: str
    #: Why the scores are flagged as divergent, or None.
    flag: str | None
    consensus: ConsensusView | None


@dataclass(frozen=True)
class EvaluatorState:
    user_id: UUID
    name: str
    submitted_at: datetime | None
    #: Declared a conflict with a bidder of the lot, so can never score it (rule 7).
    conflicted: bool = False


@dataclass(frozen=True)
class SignedOff:
    by: str
    at: datetime


@dataclass(frozen=True)
class Grid:
    tender: TenderView
    lot: LotView
    questions: tuple[QuestionView, ...]
    bids: tuple[Bidder, ...]
    #: The lot's evaluators, by name.
    evaluators: tuple[EvaluatorState, ...]
    #: By (submission id, question id).
    cells: Mapping[tuple[UUID, UUID], Cell]
    signed_off: SignedOff | None
    #: The actor is the lot's moderator, cleared of conflicts, and may record consensus.
    moderating: bool

    def cell(self, bid: Bidder, question: QuestionView) -> Cell:
        return self.cells[(bid.submission_id, question.id)]

    @property
    def waiting_for(self) -> list[str]:
        """The evaluators who may score and have not submitted their scores."""
        return [e.name for e in self.evaluators if e.submitted_at is None and not e.conflicted]

    @property
    def conflicted(self) -> list[str]:
        """The evaluators still on the panel who declared a conflict: they never will."""
        return [e.name for e in self.evaluators if e.conflicted]

    @property
    def ready(self) -> bool:
        """Every evaluator has submitted: consensus can be recorded."""
        return self.not_ready is None

    @property
    def not_ready(self) -> str | None:
        """Why consensus cannot be recorded yet, in words; None when it can."""
        if not self.evaluators:
            return "The lot has no evaluators: the officer assigns them first"
        reasons = []
        # The panel stays the officer's to decide: a conflicted evaluator is not dropped
        # from it silently, which could leave one evaluator's marks as the consensus.
        if self.conflicted:
            reasons.append(
                f"{' and '.join(self.conflicted)} declared a conflict of interest, so cannot "
                "score this lot: an officer must take them off the panel or replace them."
            )
        if self.waiting_for:
            reasons.append(f"Waiting for: {', '.join(self.waiting_for)}")
        if reasons:
            return (
                "Consensus can be recorded once every evaluator has submitted their scores. "
                + " ".join(reasons)
            )
        return None

    @property
    def flagged(self) -> int:
        return sum(cell.flag is not None for cell in self.cells.values())

    @property
    def agreed(self) -> int:
        return sum(cell.consensus is not None for cell in self.cells.values())

    @property
    def missing(self) -> list[Cell]:
        """The cells still without a consensus, by bid and question."""
        return [
            self.cell(bid, question)
            for bid in self.bids
            for question in self.questions
            if self.cell(bid, question).consensus is None
        ]


async def load_consensus(lot_id: UUID) -> dict[tuple[UUID, UUID], ConsensusView]:
    """The lot's consensus by (submission id, question id)."""
    rows = await Consensus.select(
        Consensus.submission,
        Consensus.question,
        Consensus.mark,
        Consensus.rationale,
        Consensus.moderator.name.as_alias("moderator_name"),
        Consensus.decided_at,
    ).where(Consensus.lot == lot_id)
    return {
        (as_uuid(row["submission"]), as_uuid(row["question"])): ConsensusView(
            row["mark"], row["rationale"], row["moderator_name"], row["decided_at"]
        )
        for row in rows
    }


async def signed_off(lot_id: UUID) -> SignedOff | None:
    row = (
        await SignOff.select(SignOff.signed_off_by.name.as_alias("name"), SignOff.signed_off_at)
        .where(SignOff.lot == lot_id)
        .first()
    )
    return SignedOff(row["name"], row["signed_off_at"]) if row else None


async def lot_grid(tender: TenderView, lot: LotView, moderating: bool) -> Grid:
    questions = lot_questions(tender, lot)
    bids = tuple(await lot_bidders(tender.id, lot.id))
    people = await PanelMember.select(
        PanelMember.user, PanelMember.user.name.as_alias("name")
    ).where(PanelMember.lot == lot.id, PanelMember.role == PanelRole.EVALUATOR)
    sheets = await submitted_sheets(lot.id)
    conflicted = {
        as_uuid(row["evaluator"])
        for row in await ConflictDeclaration.select(ConflictDeclaration.evaluator).where(
            ConflictDeclaration.lot == lot.id, ConflictDeclaration.conflict.eq(True)
        )
    }
    evaluators = tuple(
        sorted(
            (
                EvaluatorState(
                    user := as_uuid(p["user"]), p["name"], sheets.get(user), user in conflicted
                )
                for p in people
            ),
            key=lambda e: (e.name, str(e.user_id)),
        )
    )
    # Only submitted scores: an evaluator's drafts are their own until they submit.
    scores = await load_scores(lot.id, [e.user_id for e in evaluators if e.submitted_at])
    by_cell: dict[tuple[UUID, UUID], list[ScoreView]] = {}
    for score in scores:
        by_cell.setdefault((score.submission_id, score.question_id), []).append(score)
    consensus = await load_consensus(lot.id)
    cells = {}
    for bid in bids:
        for question in questions:
            key = (bid.submission_id, question.id)
            given = tuple(sorted(by_cell.get(key, []), key=lambda s: s.evaluator_name))
            given_marks = [s.mark for s in given]
            cells[key] = Cell(
                bid,
                question,
                given,
                marks.spread(question.kind, given_marks),
                marks.divergence(question.kind, given_marks),
                consensus.get(key),
            )
    return Grid(
        tender, lot, questions, bids, evaluators, cells, await signed_off(lot.id), moderating
    )


async def grid(actor: CurrentUser, tender_id: str | UUID, lot_id: str | UUID) -> Grid:
    """The lot's moderation grid: for its moderator, once cleared of conflicts, and for the
    council's officers who do not evaluate the lot.

    Raises ``NotFound`` (not a lot the actor may know of) and ``NotPermitted`` (an
    evaluator of the lot, before opening, or a moderator not yet cleared).
    """
    tender, lot, role = await visible_lot(actor, tender_id, lot_id)
    if role is PanelRole.MODERATOR:
        cleared = await require_cleared(actor, tender.id, lot.id)
        return await lot_grid(cleared.tender, cleared.lot, moderating=True)
    if role is PanelRole.EVALUATOR or not actor.is_officer:
        raise NotPermitted(NOT_FOR_EVALUATORS)
    if not tender.stored_status.bids_opened:
        raise NotPermitted("Bids are sealed until an officer opens them after the deadline")
    return await lot_grid(tender, lot, moderating=False)


async def _moderating(
    actor: CurrentUser, tender_id: str | UUID, lot_id: str | UUID
) -> tuple[TenderView, LotView]:
    cleared = await require_cleared(actor, tender_id, lot_id)
    if cleared.role is not PanelRole.MODERATOR:
        raise NotPermitted(MODERATOR_ONLY)
    return cleared.tender, cleared.lot


async def _hold(actor: CurrentUser, tender: TenderView, lot: LotView) -> Grid:
    """Inside a write transaction: still the lot's moderator, the lot not signed off, every
    evaluator's scores submitted; the grid as it stands."""
    if await seat_role(lot.id, actor.id, hold=True) is not PanelRole.MODERATOR:
        raise NotPermitted(MODERATOR_ONLY)
    current = await lot_grid(tender, lot, moderating=True)
    refuse_unready(current)
    return current


def refuse_unready(current: Grid) -> None:
    """Raises ``Conflict`` (signed off) and ``InvalidTransition`` (not ready: ``not_ready``)."""
    if current.signed_off is not None:
        raise Conflict(SIGNED_OFF.format(london_time(current.signed_off.at)))
    if reason := current.not_ready:
        raise InvalidTransition(reason)


async def bid_answers(
    platform: Platform,
    moderator: CurrentUser,
    tender_id: str | UUID,
    lot_id: str | UUID,
    bid_id: str | UUID,
) -> dict[UUID, Mapping[str, Any]]:
    """A bid's sealed answers for the lot by question id, for its moderator to read beside
    the evaluators' marks. The read is audited.

    Raises ``NotFound`` (not a bid of a lot the moderator may know of) and ``NotPermitted``
    (not the lot's moderator, or not cleared).
    """
    tender, lot = await _moderating(moderator, tender_id, lot_id)
    bid = _find_bid(await lot_bidders(tender.id, lot.id), bid_id)
    answers = await sealed_lot_answers(bid, lot.id)
    await record_read(
        platform,
        moderator,
        bid.bid_id,
        bid.submission_id,
        {"lot": lot.id, "role": PanelRole.MODERATOR},
    )
    return answers


def _find_bid(bids: Sequence[Bidder], bid_id: str | UUID) -> Bidder:
    wanted = parse_id(bid_id)
    found = next((bid for bid in bids if bid.bid_id == wanted), None)
    if found is None:
        raise NotFound()
    return found


async def record(
    platform: Platform,
    moderator: CurrentUser,
    tender_id: str | UUID,
    lot_id: str | UUID,
    bid_id: str | UUID,
    entries: Mapping[UUID | str, ScoreInput],
) -> Grid:
    """Record the consensus for a bid's questions, by question id: a mark and its reason,
    or both empty to leave a question for later. It may be changed until sign-off;
    recording the same again changes nothing.

    Raises ``NotFound`` (not a bid of a lot the moderator may know of), ``NotPermitted``
    (not the lot's moderator, or not cleared), ``InvalidTransition`` (an evaluator has not
    submitted), ``Conflict`` (signed off) and ``Invalid`` (``mark-<question id>``,
    ``rationale-<id>``, ``consensus``).
    """
    tender, lot = await _moderating(moderator, tender_id, lot_id)
    bid = _find_bid(await lot_bidders(tender.id, lot.id), bid_id)
    # Signed off or not ready is said as such, whatever the form holds.
    refuse_unready(await lot_grid(tender, lot, moderating=True))
    questions = {q.id: q for q in lot_questions(tender, lot)}
    errors: dict[str, str] = {}
    cleaned: dict[UUID, tuple[str, str, str] | None] = {}
    for key, entry in entries.items():
        try:
            question = questions[as_uuid(key)]
        except (ValueError, KeyError):
            errors["consensus"] = "Record the consensus for the questions of this lot only"
            continue
        cleaned[question.id] = clean_entry(
            question, ScoreInput(entry.mark, entry.rationale), None, errors, whose="the consensus"
        )
    if errors:
        raise Invalid(errors)
    async with database.write_transaction():
        current = await _hold(moderator, tender, lot)
        now = platform.clock.now()
        changed: dict[str, Any] = {}
        for question_id, values in cleaned.items():
            cell = current.cells[(bid.submission_id, question_id)]
            key = f"{lot.id}:{bid.submission_id}:{question_id}"
            before = cell.consensus
            if values is None:
                if before is not None:
                    await Consensus.delete().where(Consensus.key == key)
                    changed[str(question_id)] = None
                continue
            mark, rationale, _ = values
            if before is not None and (before.mark, before.rationale) == (mark, rationale):
                continue
            if before is None:
                await database.insert(
                    Consensus,
                    {
                        "id": uuid4(),
                        "tender": tender.id,
                        "lot": lot.id,
                        "submission": bid.submission_id,
                        "question": question_id,
                        "mark": mark,
                        "rationale": rationale,
                        "moderator": moderator.id,
                        "decided_at": now,
                        "key": key,
                    },
                )
            else:
                await Consensus.update(
                    {
                        Consensus.mark: mark,
                        Consensus.rationale: rationale,
                        Consensus.moderator: moderator.id,
                        Consensus.decided_at: now,
                    }
                ).where(Consensus.key == key)
            changed[str(question_id)] = {
                "mark": mark,
                "rationale": rationale,
                "evaluators": {str(s.evaluator_id): s.mark for s in cell.scores},
                "flag": cell.flag,
            }
        if changed:
            await events.record(
                platform,
                moderator,
                AuditAction.EVALUATION_CONSENSUS_RECORD,
                tender.id,
                {"lot": lot.id, "bid": bid.bid_id, "consensus": changed},
            )
    return await lot_grid(tender, lot, moderating=True)


def missing_message(cell: Cell) -> str:
    return f"Record the consensus for question {cell.question.number} for {cell.bid.name}"


async def sign_off(
    platform: Platform, moderator: CurrentUser, tender_id: str | UUID, lot_id: str | UUID
) -> Grid:
    """Sign off the lot's consensus once every cell has one: from then on it is frozen and
    the lot's results stand on it. When every lot with bids is signed off, the tender is
    ``moderated``. A repeated sign-off changes nothing.

    Raises as ``record``, and ``Invalid`` with a message per cell left, keyed
    ``bid-<bid id>-question-<question id>``.
    """
    tender, lot = await _moderating(moderator, tender_id, lot_id)
    async with database.write_transaction():
        try:
            current = await _hold(moderator, tender, lot)
        except Conflict:
            return await lot_grid(tender, lot, moderating=True)
        if missing := current.missing:
            raise Invalid(
                {missing_key(cell.bid, cell.question): missing_message(cell) for cell in missing}
            )
        await database.insert(
            SignOff,
            {
                "id": uuid4(),
                "tender": tender.id,
                "lot": lot.id,
                "signed_off_by": moderator.id,
                "signed_off_at": platform.clock.now(),
            },
        )
        await events.record(
            platform,
            moderator,
            AuditAction.EVALUATION_LOT_SIGN_OFF,
            tender.id,
            {
                "lot": lot.id,
                "bids": len(current.bids),
                "cells": len(current.cells),
                "flagged": current.flagged,
            },
        )
        await _moderated_when_done(platform, moderator, tender)
    # Perhaps moderated now: the grid shows the tender as it is.
    fresh = await load_tender(tender.id)
    assert fresh is not None
    return await lot_grid(fresh, lot, moderating=True)


async def _moderated_when_done(
    platform: Platform, moderator: CurrentUser, tender: TenderView
) -> None:
    """Inside the sign-off's transaction: the tender is ``moderated`` once every lot with
    bids is signed off."""
    rows = await current_submissions(tender.id, Submission.lots)
    bidding = {lot for row in rows for lot in parse_lot_ids(row["lots"])}
    done = {
        as_uuid(row["lot"])
        for row in await SignOff.select(SignOff.lot).where(SignOff.tender == tender.id)
    }
    if not bidding <= done:
        return
    moved = (
        await Tender.update({Tender.status: TenderStatus.MODERATED})
        .where(
            Tender.id == tender.id,
            Tender.status.is_in([TenderStatus.OPENED, TenderStatus.EVALUATING]),
        )
        .returning(Tender.id)
    )
    if moved:
        await events.record(platform, moderator, AuditAction.TENDER_TENDER_MODERATE, tender.id)
