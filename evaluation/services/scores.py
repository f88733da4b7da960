"""Blind individual scoring (rule 8).

Each evaluator of a lot, once cleared of conflicts (``panels.require_cleared``), reads each
bid beside the questions' guidance and gives every question a mark with a written reason,
and perhaps the passage of the answer that supports it. Scores are drafts, saved as the
evaluator goes, until "Submit my scores for this lot" locks them all. Until then the
evaluator sees nobody else's; from then on, the scores of the other evaluators who have
submitted theirs. Every read of a bid is written to the audit log (rule 14).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from app import database
from app.accounts import CurrentUser
from app.errors import Conflict, Invalid, NotFound, NotPermitted
from app.platform import Platform
from app.templating import london_time
from app.vocabulary import AuditAction
from evaluation import marks
from evaluation.services.panels import Bidder, Cleared, lot_bidders, require_cleared, seat_role
from evaluation.tables import Score, ScoreSheet
from evaluation.vocabulary import PanelRole
from tenders.services import events
from tenders.services.bids import parse_id, plain_text
from tenders.services.opening import find_evidence, record_read
from tenders.services.views import LotView, QuestionView, TenderView, as_uuid, load_tender
from tenders.tables import Submission, Tender
from tenders.vocabulary import TenderStatus

MAX_RATIONALE = 5000
MAX_QUOTE = 2000
MODERATOR_DOES_NOT_SCORE = "The moderator agrees the consensus and does not score this lot"
LOCKED = "You submitted your scores for this lot at {}: they cannot be changed"


@dataclass(frozen=True)
class ScoreView:
    submission_id: UUID
    question_id: UUID
    evaluator_id: UUID
    evaluator_name: str
    mark: str
    rationale: str
    quote: str
    updated_at: datetime


@dataclass(frozen=True)
class ScoreInput:
    """What an evaluator entered for one question: all empty leaves it unscored."""

    mark: str = ""
    rationale: str = ""
    quote: str = ""


@dataclass(frozen=True)
class Sheet:
    """An evaluator's scores for a lot."""

    tender: TenderView
    lot: LotView
    #: The lot's questions in number order.
    questions: tuple[QuestionView, ...]
    #: By the bidder's name.
    bids: tuple[Bidder, ...]
    #: The evaluator's own, by (submission id, question id).
    scores: Mapping[tuple[UUID, UUID], ScoreView]
    #: When the evaluator submitted them; None while they are drafts.
    submitted_at: datetime | None

    def scored(self, bid: Bidder) -> int:
        return sum((bid.submission_id, q.id) in self.scores for q in self.questions)

    @property
    def missing(self) -> list[tuple[Bidder, QuestionView]]:
        return [
            (bid, question)
            for bid in self.bids
            for question in self.questions
            if (bid.submission_id, question.id) not in self.scores
        ]


@dataclass(frozen=True)
class Reading:
    """One bid as an evaluator reads and scores it."""

    sheet: Sheet
    bid: Bidder
    #: The sealed answers for this lot by question id: text, declaration and evidence.
    answers: Mapping[UUID, Mapping[str, Any]]
    #: The other evaluators' submitted scores for this bid by question id; empty until
    #: this evaluator has submitted their own.
    others: Mapping[UUID, tuple[ScoreView, ...]]
    previous: Bidder | None
    next: Bidder | None


def lot_questions(tender: TenderView, lot: LotView) -> tuple[QuestionView, ...]:
    return tuple(sorted(tender.questions_for(lot), key=lambda q: q.number))


async def _evaluator(actor: CurrentUser, tender_id: str | UUID, lot_id: str | UUID) -> Cleared:
    cleared = await require_cleared(actor, tender_id, lot_id)
    if cleared.role is not PanelRole.EVALUATOR:
        raise NotPermitted(MODERATOR_DOES_NOT_SCORE)
    return cleared


async def load_scores(lot_id: UUID, evaluators: Sequence[UUID] | None = None) -> list[ScoreView]:
    """The lot's individual scores, of the evaluators given or of everyone."""
    query = Score.select(
        Score.submission,
        Score.question,
        Score.evaluator,
        Score.evaluator.name.as_alias("evaluator_name"),
        Score.mark,
        Score.rationale,
        Score.quote,
        Score.updated_at,
    ).where(Score.lot == lot_id)
    if evaluators is not None:
        if not evaluators:
            return []
        query = query.where(Score.evaluator.is_in(list(evaluators)))
    return [
        ScoreView(
            as_uuid(row["submission"]),
            as_uuid(row["question"]),
            as_uuid(row["evaluator"]),
            row["evaluator_name"],
            row["mark"],
            row["rationale"],
            row["quote"],
            row["updated_at"],
        )
        for row in await query
    ]


async def submitted_sheets(lot_id: UUID) -> dict[UUID, datetime]:
    """When each evaluator submitted their scores for the lot, by evaluator id."""
    rows = await ScoreSheet.select(ScoreSheet.evaluator, ScoreSheet.submitted_at).where(
        ScoreSheet.lot == lot_id
    )
    return {as_uuid(row["evaluator"]): row["submitted_at"] for row in rows}


async def _sheet(cleared: Cleared, evaluator_id: UUID) -> Sheet:
    tender, lot = cleared.tender, cleared.lot
    scores = await load_scores(lot.id, [evaluator_id])
    return Sheet(
        tender,
        lot,
        lot_questions(tender, lot),
        tuple(await lot_bidders(tender.id, lot.id)),
        {(s.submission_id, s.question_id): s for s in scores},
        (await submitted_sheets(lot.id)).get(evaluator_id),
    )


async def _reloaded(cleared: Cleared) -> Cleared:
    tender = await load_tender(cleared.tender.id)
    assert tender is not None
    return replace(cleared, tender=tender)


async def sheet(actor: CurrentUser, tender_id: str | UUID, lot_id: str | UUID) -> Sheet:
    """The evaluator's scores for the lot, and which bids and questions are left.

    Raises ``NotFound`` (not a lot the actor may know of) and ``NotPermitted`` (not an
    evaluator of the lot, not yet cleared of conflicts, or before opening).
    """
    return await _sheet(await _evaluator(actor, tender_id, lot_id), actor.id)


def _find_bid(bids: Sequence[Bidder], bid_id: str | UUID) -> int:
    wanted = parse_id(bid_id)
    for place, bid in enumerate(bids):
        if bid.bid_id == wanted:
            return place
    raise NotFound()


async def sealed_lot_answers(bid: Bidder, lot_id: UUID) -> dict[UUID, Mapping[str, Any]]:
    """The bid's sealed answers for the lot, by question id."""
    row = (
        await Submission.select(Submission.content)
        .where(Submission.id == bid.submission_id)
        .first()
    )
    assert row is not None
    content = json.loads(row["content"])
    for lot in content["lots"]:
        if lot["lot"] == str(lot_id):
            return {as_uuid(answer["question"]): answer for answer in lot["answers"]}
    return {}


async def read_bid(
    platform: Platform,
    actor: CurrentUser,
    tender_id: str | UUID,
    lot_id: str | UUID,
    bid_id: str | UUID,
) -> Reading:
    """A bid of the lot to read and score, with the evaluator's own scores and, once they
    have submitted theirs, the other evaluators' submitted scores. The read is audited.

    Raises ``NotFound`` (not a bid of a lot the actor may know of) and ``NotPermitted``
    (as ``sheet``).
    """
    cleared = await _evaluator(actor, tender_id, lot_id)
    own = await _sheet(cleared, actor.id)
    place = _find_bid(own.bids, bid_id)
    bid = own.bids[place]
    answers = await sealed_lot_answers(bid, cleared.lot.id)
    others: dict[UUID, list[ScoreView]] = {}
    if own.submitted_at is not None:
        done = [who for who in await submitted_sheets(cleared.lot.id) if who != actor.id]
        for score in await load_scores(cleared.lot.id, done):
            if score.submission_id == bid.submission_id:
                others.setdefault(score.question_id, []).append(score)
    await record_read(
        platform,
        actor,
        bid.bid_id,
        bid.submission_id,
        {"lot": cleared.lot.id, "role": cleared.role},
    )
    return Reading(
        own,
        bid,
        answers,
        {
            question: tuple(sorted(scores, key=lambda s: s.evaluator_name))
            for question, scores in others.items()
        },
        own.bids[place - 1] if place else None,
        own.bids[place + 1] if place + 1 < len(own.bids) else None,
    )


async def evidence(
    platform: Platform,
    actor: CurrentUser,
    tender_id: str | UUID,
    lot_id: str | UUID,
    bid_id: str | UUID,
    sha256: str,
) -> dict[str, Any]:
    """An evidence file of a bid for the lot, for its cleared panel ({sha256, name, type,
    size}). The read is audited with the file it names."""
    cleared = await require_cleared(actor, tender_id, lot_id)
    bids = await lot_bidders(cleared.tender.id, cleared.lot.id)
    bid = bids[_find_bid(bids, bid_id)]
    answers = await sealed_lot_answers(bid, cleared.lot.id)
    found = find_evidence({"lots": [{"answers": list(answers.values())}]}, sha256)
    await record_read(
        platform,
        actor,
        bid.bid_id,
        bid.submission_id,
        {"lot": cleared.lot.id, "role": cleared.role, "file": sha256, "name": found["name"]},
    )
    return found


# Saving and submitting ------------------------------------------------------------------


def _normalised(text: str) -> str:
    return " ".join(text.split())


def clean_entry(
    question: QuestionView,
    entry: ScoreInput,
    answer_text: str | None,
    errors: dict[str, str],
    *,
    whose: str = "your mark",
) -> tuple[str, str, str] | None:
    """The entry as (mark, rationale, quote), or None when left empty; its problems are
    added to ``errors`` keyed ``mark-<question id>``, ``rationale-<id>`` and ``quote-<id>``.
    A quote, when ``answer_text`` is given, must be a passage of the answer. ``whose``
    names the mark in the messages ("the consensus")."""
    mark = entry.mark.strip()
    rationale = plain_text(entry.rationale)
    quote = plain_text(entry.quote)
    if not (mark or rationale or quote):
        return None
    label = f"question {question.number}"
    if not marks.is_mark(question.kind, mark):
        errors[f"mark-{question.id}"] = f"{marks.ask(question.kind)} for {label}"
    if not rationale:
        errors[f"rationale-{question.id}"] = f"Give the reason for {whose} for {label}"
    elif len(rationale) > MAX_RATIONALE:
        errors[f"rationale-{question.id}"] = (
            f"The reason for {label} must be {MAX_RATIONALE:,} characters or fewer"
        )
    if len(quote) > MAX_QUOTE:
        errors[f"quote-{question.id}"] = (
            f"The passage for {label} must be {MAX_QUOTE:,} characters or fewer"
        )
    elif quote and answer_text is not None and _normalised(quote) not in _normalised(answer_text):
        errors[f"quote-{question.id}"] = (
            f"The passage for {label} must be copied from the bid's answer"
        )
    return mark, rationale, quote


async def _hold_seat(cleared: Cleared, evaluator: CurrentUser) -> None:
    """Inside a write transaction: still an evaluator of the lot, and not yet submitted.
    The seat row stays as read until commit (PostgreSQL), so that saving and submitting,
    and the officer changing the panel, take turns."""
    if await seat_role(cleared.lot.id, evaluator.id, hold=True) is not PanelRole.EVALUATOR:
        raise NotPermitted("You are no longer an evaluator of this lot")
    await _refuse_locked(cleared.lot.id, evaluator.id)


async def _refuse_locked(lot_id: UUID, evaluator_id: UUID) -> None:
    submitted = (await submitted_sheets(lot_id)).get(evaluator_id)
    if submitted is not None:
        raise Conflict(LOCKED.format(london_time(submitted)))


async def start_evaluating(platform: Platform, actor: CurrentUser, tender: TenderView) -> None:
    """Inside a write transaction: an opened tender becomes ``evaluating`` at its first
    score, once."""
    moved = (
        await Tender.update({Tender.status: TenderStatus.EVALUATING})
        .where(Tender.id == tender.id, Tender.status == TenderStatus.OPENED)
        .returning(Tender.id)
    )
    if moved:
        await events.record(platform, actor, AuditAction.TENDER_TENDER_EVALUATE, tender.id)


async def save(
    platform: Platform,
    actor: CurrentUser,
    tender_id: str | UUID,
    lot_id: str | UUID,
    bid_id: str | UUID,
    entries: Mapping[UUID | str, ScoreInput],
) -> Sheet:
    """Save the evaluator's draft scores for a bid, by question id: each a mark with its
    reason (and perhaps a supporting passage of the answer), or all empty to leave the
    question unscored. Saving the same again changes nothing.

    Raises ``NotFound`` (not a bid of a lot the actor may know of), ``NotPermitted`` (as
    ``sheet``), ``Conflict`` (scores already submitted: locked) and ``Invalid``
    (``mark-<question id>``, ``rationale-<id>``, ``quote-<id>``, ``scores``).
    """
    cleared = await _evaluator(actor, tender_id, lot_id)
    bids = await lot_bidders(cleared.tender.id, cleared.lot.id)
    bid = bids[_find_bid(bids, bid_id)]
    # Locked scores are refused as locked, whatever the form holds.
    await _refuse_locked(cleared.lot.id, actor.id)
    questions = {q.id: q for q in lot_questions(cleared.tender, cleared.lot)}
    answers = await sealed_lot_answers(bid, cleared.lot.id)
    errors: dict[str, str] = {}
    cleaned: dict[UUID, tuple[str, str, str] | None] = {}
    for key, entry in entries.items():
        try:
            question = questions[as_uuid(key)]
        except (ValueError, KeyError):
            errors["scores"] = "Score the questions of this lot only"
            continue
        answer = answers.get(question.id)
        cleaned[question.id] = clean_entry(
            question, entry, answer["text"] if answer else "", errors
        )
    if errors:
        raise Invalid(errors)
    async with database.write_transaction():
        await _hold_seat(cleared, actor)
        stored = {
            s.question_id: s
            for s in await load_scores(cleared.lot.id, [actor.id])
            if s.submission_id == bid.submission_id
        }
        now = platform.clock.now()
        changed: dict[str, Any] = {}
        for question_id, values in cleaned.items():
            before = stored.get(question_id)
            key = f"{cleared.lot.id}:{bid.submission_id}:{question_id}:{actor.id}"
            if values is None:
                if before is not None:
                    await Score.delete().where(Score.key == key)
                    changed[str(question_id)] = None
                continue
            mark, rationale, quote = values
            if before is not None and (before.mark, before.rationale, before.quote) == values:
                continue
            if before is None:
                await database.insert(
                    Score,
                    {
                        "id": uuid4(),
                        "tender": cleared.tender.id,
                        "lot": cleared.lot.id,
                        "submission": bid.submission_id,
                        "question": question_id,
                        "evaluator": actor.id,
                        "mark": mark,
                        "rationale": rationale,
                        "quote": quote,
                        "updated_at": now,
                        "key": key,
                    },
                )
            else:
                await Score.update(
                    {
                        Score.mark: mark,
                        Score.rationale: rationale,
                        Score.quote: quote,
                        Score.updated_at: now,
                    }
                ).where(Score.key == key)
            changed[str(question_id)] = {"mark": mark, "rationale": rationale, "quote": quote}
        if changed:
            await start_evaluating(platform, actor, cleared.tender)
            await events.record(
                platform,
                actor,
                AuditAction.EVALUATION_SCORE_SAVE,
                cleared.tender.id,
                {"lot": cleared.lot.id, "bid": bid.bid_id, "scores": changed},
            )
    # The first score moved the tender on: the sheet shows it as it is now.
    return await _sheet(await _reloaded(cleared), actor.id)


def missing_key(bid: Bidder, question: QuestionView) -> str:
    """The key of the error for a bid's question left without a mark."""
    return f"bid-{bid.bid_id}-question-{question.id}"


def missing_message(bid: Bidder, question: QuestionView) -> str:
    return f"Score question {question.number} for {bid.name}"


async def submit(
    platform: Platform, actor: CurrentUser, tender_id: str | UUID, lot_id: str | UUID
) -> Sheet:
    """Submit the evaluator's scores for the lot: every bid's every question must have a
    mark and its reason. From then on they are locked, and the evaluator sees the scores
    of the others who have submitted. A repeated submission changes nothing.

    Raises ``NotFound``, ``NotPermitted`` (as ``sheet``) and ``Invalid`` (one message per
    question left, keyed ``bid-<bid id>-question-<question id>``).
    """
    cleared = await _evaluator(actor, tender_id, lot_id)
    async with database.write_transaction():
        try:
            await _hold_seat(cleared, actor)
        except Conflict:
            return await _sheet(cleared, actor.id)
        current = await _sheet(cleared, actor.id)
        if missing := current.missing:
            raise Invalid(
                {
                    missing_key(bid, question): missing_message(bid, question)
                    for bid, question in missing
                }
            )
        await database.insert(
            ScoreSheet,
            {
                "id": uuid4(),
                "tender": cleared.tender.id,
                "lot": cleared.lot.id,
                "evaluator": actor.id,
                "submitted_at": platform.clock.now(),
                "key": f"{cleared.lot.id}:{actor.id}",
            },
        )
        await events.record(
            platform,
            actor,
            AuditAction.EVALUATION_SCORE_LOCK,
            cleared.tender.id,
            {"lot": cleared.lot.id, "bids": len(current.bids), "scores": len(current.scores)},
        )
    return await _sheet(cleared, actor.id)
