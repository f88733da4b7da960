"""Blind individual scoring (rule 8): each evaluator of a lot, once cleared of conflicts,
reads every bid and gives every question a mark with a written reason, perhaps with the
passage of the answer that supports it. Scores are drafts until the evaluator submits them
for the lot; from then on they are locked, and only then does the evaluator see the scores
of the others who have submitted. Every read of a bid is audited (rule 14), and the tender
is ``evaluating`` from its first saved score."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from app.accounts import CurrentUser
from app.audit import verify
from app.clock import FixedClock
from app.errors import Conflict, DomainError, Invalid, NotFound, NotPermitted
from app.platform import Platform
from app.tables import AuditEvent
from app.templating import london_time
from app.vocabulary import AuditAction
from evaluation.services import panels, scores
from evaluation.services.panels import CONFLICTED, DECLARE_FIRST, NOT_ON_PANEL
from evaluation.services.scores import LOCKED, MODERATOR_DOES_NOT_SCORE, ScoreInput
from evaluation.tables import Score, ScoreSheet
from tenders.services import bids, submissions
from tenders.services.opening import SEALED
from tenders.services.views import QuestionView, load_tender
from tenders.vocabulary import QuestionKind, TenderStatus
from tests.conftest import buyer_officer, provider_user
from tests.evaluation.factories import (
    PROVIDERS,
    Evaluation,
    colleague,
    declare_none,
    evaluation,
    open_tender,
    score_everything,
)
from tests.tenders.bid_factories import ANSWER, complete_bid, submitted_bid
from tests.tenders.factories import published_tender

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
#: Rounds of a race between two writers: each is quick, and how they interleave varies.
ATTEMPTS = 20

# Helpers, shared with the moderation and results tests ------------------------------------


async def events(action: AuditAction) -> list[dict[str, Any]]:
    """The bodies of the audit events of one action, oldest first."""
    rows = (
        await AuditEvent.select().where(AuditEvent.action == str(action)).order_by(AuditEvent.seq)
    )
    return [json.loads(row["body"]) for row in rows]


async def reads() -> list[dict[str, Any]]:
    """The audited reads of bid content, oldest first."""
    return await events(AuditAction.BID_CONTENT_READ)


async def tender_status(setup: Evaluation) -> TenderStatus:
    tender = await load_tender(setup.tender.id)
    assert tender is not None
    return tender.stored_status


def gate_and_scale(setup: Evaluation) -> tuple[QuestionView, QuestionView]:
    """The factory tender's two questions: CQC registration (pass or fail, question 1) and
    keeping children safe (0 to 5, minimum 2, question 2)."""
    gate, scale = setup.questions
    assert (gate.kind, scale.kind) == (QuestionKind.PASS_FAIL, QuestionKind.SCALE)
    return gate, scale


async def refused(error: type[DomainError], call: Awaitable[object]) -> DomainError:
    """The error ``call`` raises, which must be of type ``error``."""
    with pytest.raises(error) as raised:
        await call
    return raised.value


async def after(milliseconds: int, call: Awaitable[object]) -> object:
    """``call``, started a moment later: a race run with each delay in turn sweeps the ways
    two writers can interleave."""
    await asyncio.sleep(milliseconds / 1000)
    return await call


async def two_lots(platform: Platform, clock: FixedClock, *, lots: int = 2) -> list[Evaluation]:
    """A tender of ``lots`` lots, opened: Ashby Care bids for lots 1 and 2, Birch Homes for
    lot 1 only. Amy Evans evaluates lot 1 and Ben Hart lot 2; Mo Reid moderates both; all
    cleared of conflicts. One ``Evaluation`` per lot with bids."""
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=lots)
    first, second = tender.lots[:2]
    (ashby_name, ashby_email, _), (birch_name, birch_email, _) = PROVIDERS[:2]
    ashby = await provider_user(platform, ashby_email, ashby_name)
    birch = await provider_user(platform, birch_email, birch_name)
    both, _ = await submitted_bid(platform, ashby, tender, lots=2)
    first_only, _ = await submitted_bid(platform, birch, tender, lots=1)
    amy = await colleague(platform, officer, "Amy Evans")
    ben = await colleague(platform, officer, "Ben Hart")
    mo = await colleague(platform, officer, "Mo Reid")
    await panels.assign(
        platform, officer, tender.id, first.id, evaluators=[amy.id], moderator=mo.id
    )
    await panels.assign(
        platform, officer, tender.id, second.id, evaluators=[ben.id], moderator=mo.id
    )
    await open_tender(platform, clock, officer, tender.id)
    for member, lot in ((amy, first), (mo, first), (ben, second), (mo, second)):
        await declare_none(platform, member, tender.id, lot.id)
    return [
        Evaluation(officer, tender, first, (amy,), mo, (ashby, birch), (both, first_only)),
        Evaluation(officer, tender, second, (ben,), mo, (ashby,), (both,)),
    ]


# This file's own ------------------------------------------------------------------------------


@pytest.fixture
async def setup(platform: Platform, clock: FixedClock) -> Evaluation:
    return await evaluation(platform, clock)


async def save(
    platform: Platform,
    setup: Evaluation,
    evaluator: CurrentUser,
    bid: int,
    entries: dict[UUID, ScoreInput],
) -> scores.Sheet:
    """The evaluator saves draft scores for the bid in ``bid`` place (``PROVIDERS`` order)."""
    return await scores.save(
        platform, evaluator, setup.tender.id, setup.lot.id, setup.bid_ids[bid], entries
    )


async def read(platform: Platform, setup: Evaluation, who: CurrentUser, bid: int) -> scores.Reading:
    return await scores.read_bid(platform, who, setup.tender.id, setup.lot.id, setup.bid_ids[bid])


def every_way_in(
    platform: Platform, setup: Evaluation, who: CurrentUser
) -> list[Callable[[], Awaitable[object]]]:
    """Each thing an evaluator does with the lot's bids, for the first bid."""
    tender_id, lot_id, bid_id = setup.tender.id, setup.lot.id, setup.bid_ids[0]
    _, scale = gate_and_scale(setup)
    entries = {scale.id: ScoreInput("3", "Sound safeguarding")}
    return [
        lambda: scores.sheet(who, tender_id, lot_id),
        lambda: scores.read_bid(platform, who, tender_id, lot_id, bid_id),
        lambda: scores.save(platform, who, tender_id, lot_id, bid_id, entries),
        lambda: scores.submit(platform, who, tender_id, lot_id),
        lambda: scores.evidence(platform, who, tender_id, lot_id, bid_id, "0" * 64),
    ]


async def third_evaluator(platform: Platform, setup: Evaluation) -> CurrentUser:
    """Cy Lowe joins Amy and Ben on the lot's panel, and declares no conflict."""
    cy = await colleague(platform, setup.officer, "Cy Lowe")
    await panels.assign(
        platform,
        setup.officer,
        setup.tender.id,
        setup.lot.id,
        evaluators=[*(e.id for e in setup.evaluators), cy.id],
        moderator=setup.moderator.id,
    )
    await declare_none(platform, cy, setup.tender.id, setup.lot.id)
    return cy


async def with_evidence(platform: Platform, clock: FixedClock) -> tuple[Evaluation, str]:
    """A one-lot tender, opened, with one bid (Ashby Care's) that has a PDF attached to its
    answer to the scale question; Amy Evans evaluates and Mo Reid moderates, both cleared.
    With the file's SHA-256."""
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    lot = tender.lots[0]
    name, email, _ = PROVIDERS[0]
    provider = await provider_user(platform, email, name)
    bid_id = await complete_bid(platform, provider, tender)
    scale = next(q for q in tender.questions_for(lot) if q.kind is QuestionKind.SCALE)

    async def chunks() -> AsyncIterator[bytes]:
        yield PDF

    stored = await platform.files.save(
        chunks(), filename="policy.pdf", max_bytes=1_000_000, allowed={"pdf": {"application/pdf"}}
    )
    await bids.add_evidence(
        platform, provider, bid_id, lot.id, scale.id, stored, max_bid_bytes=25_000_000
    )
    await submissions.submit(platform, provider, bid_id, submissions.new_request_key())
    amy = await colleague(platform, officer, "Amy Evans")
    mo = await colleague(platform, officer, "Mo Reid")
    await panels.assign(platform, officer, tender.id, lot.id, evaluators=[amy.id], moderator=mo.id)
    await open_tender(platform, clock, officer, tender.id)
    for member in (amy, mo):
        await declare_none(platform, member, tender.id, lot.id)
    return Evaluation(officer, tender, lot, (amy,), mo, (provider,), (bid_id,)), stored.sha256


# Reading the bids ----------------------------------------------------------------------------


async def test_an_evaluator_sees_every_bid_and_question_of_the_lot_to_score(
    setup: Evaluation,
) -> None:
    amy = setup.evaluators[0]

    sheet = await scores.sheet(amy, str(setup.tender.id), str(setup.lot.id))

    assert [bid.name for bid in sheet.bids] == ["Ashby Care", "Birch Homes", "Cedar Support"]
    assert [bid.bid_id for bid in sheet.bids] == list(setup.bid_ids)
    assert [q.number for q in sheet.questions] == [1, 2]
    assert sheet.scores == {}
    assert sheet.submitted_at is None
    assert len(sheet.missing) == 6
    assert [sheet.scored(bid) for bid in sheet.bids] == [0, 0, 0]


async def test_reading_a_bid_shows_its_sealed_answers_and_its_neighbours(
    platform: Platform, setup: Evaluation
) -> None:
    amy = setup.evaluators[0]
    gate, scale = gate_and_scale(setup)

    first, reading, last = [await read(platform, setup, amy, place) for place in range(3)]

    assert reading.bid.name == "Birch Homes"
    assert reading.answers[scale.id]["text"] == ANSWER
    assert reading.answers[gate.id]["declaration"] == "yes"
    assert (reading.previous.name, reading.next.name) == ("Ashby Care", "Cedar Support")
    assert first.previous is None
    assert last.next is None
    assert reading.others == {}


async def test_every_read_of_a_bid_is_audited_with_the_lot_and_the_readers_role(
    platform: Platform, setup: Evaluation
) -> None:
    amy = setup.evaluators[0]
    before = len(await reads())

    reading = await read(platform, setup, amy, 1)
    await read(platform, setup, amy, 1)

    audited = (await reads())[before:]
    assert len(audited) == 2
    assert {
        (e["actor_id"], e["object_id"], e["details"]["submission"], e["details"]["lot"])
        for e in audited
    } == {
        (
            str(amy.id),
            str(setup.bid_ids[1]),
            str(reading.bid.submission_id),
            str(setup.lot.id),
        )
    }
    assert {e["details"]["role"] for e in audited} == {"evaluator"}


async def test_an_evidence_file_is_for_the_cleared_panel_and_every_download_is_audited(
    platform: Platform, clock: FixedClock
) -> None:
    setup, sha256 = await with_evidence(platform, clock)
    amy, mo, bid_id = setup.evaluators[0], setup.moderator, setup.bid_ids[0]

    for member in (amy, mo, amy):
        found = await scores.evidence(
            platform, member, setup.tender.id, setup.lot.id, bid_id, sha256
        )
        assert found == {
            "sha256": sha256,
            "name": "policy.pdf",
            "type": "application/pdf",
            "size": len(PDF),
        }

    downloads = [e for e in await reads() if "file" in e["details"]]
    assert [(e["actor_id"], e["details"]["role"]) for e in downloads] == [
        (str(amy.id), "evaluator"),
        (str(mo.id), "moderator"),
        (str(amy.id), "evaluator"),
    ]
    assert {(e["object_id"], e["details"]["file"], e["details"]["name"]) for e in downloads} == {
        (str(bid_id), sha256, "policy.pdf")
    }
    # A file the bid does not name is not found, and nothing is read.
    with pytest.raises(NotFound):
        await scores.evidence(platform, amy, setup.tender.id, setup.lot.id, bid_id, "a" * 64)
    officer = setup.officer
    error = await refused(
        NotPermitted,
        scores.evidence(platform, officer, setup.tender.id, setup.lot.id, bid_id, sha256),
    )
    assert error.message == NOT_ON_PANEL
    assert len(await reads()) == 3
    assert (await verify(platform)).ok


async def test_an_evaluator_cannot_read_or_score_before_the_bids_are_opened(
    platform: Platform, clock: FixedClock
) -> None:
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    lot = tender.lots[0]
    provider = await provider_user(platform)
    bid_id, _ = await submitted_bid(platform, provider, tender)
    amy = await colleague(platform, officer, "Amy Evans")
    await panels.assign(platform, officer, tender.id, lot.id, evaluators=[amy.id], moderator=None)
    # The lot has no moderator: the officer stands in the field, which nothing here reads.
    setup = Evaluation(officer, tender, lot, (amy,), officer, (provider,), (bid_id,))

    # Before the deadline, and after it until an officer opens the bids.
    for moment in (clock.instant, tender.submission_deadline + timedelta(hours=1)):
        clock.instant = moment
        for attempt in every_way_in(platform, setup, amy):
            assert (await refused(NotPermitted, attempt())).message == SEALED

    assert await reads() == []
    assert await Score.count() == 0


async def test_an_evaluator_must_declare_before_reading_the_bids(
    platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock, declare=False)
    amy = setup.evaluators[0]

    for attempt in every_way_in(platform, setup, amy):
        assert (await refused(NotPermitted, attempt())).message == DECLARE_FIRST

    assert await reads() == []


async def test_an_evaluator_who_declared_a_conflict_cannot_read_or_score_the_lot(
    platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock, declare=False)
    amy = setup.evaluators[0]
    ashby, birch, cedar = setup.providers
    await panels.declare(
        platform,
        amy,
        setup.tender.id,
        setup.lot.id,
        {
            ashby.organisation_id: (False, ""),
            birch.organisation_id: (True, "My sister manages Birch Homes."),
            cedar.organisation_id: (False, ""),
        },
    )

    for attempt in every_way_in(platform, setup, amy):
        error = await refused(NotPermitted, attempt())
        assert (error.message, error.status_code) == (CONFLICTED, 403)

    # Not even the bids of the bidders she has no conflict with.
    assert await reads() == []
    assert await Score.count() == 0


async def test_the_moderator_reads_no_bid_to_score_and_scores_nothing(
    platform: Platform, setup: Evaluation
) -> None:
    mo = setup.moderator

    for attempt in every_way_in(platform, setup, mo)[:4]:
        assert (await refused(NotPermitted, attempt())).message == MODERATOR_DOES_NOT_SCORE

    assert await Score.count() == 0
    assert await ScoreSheet.count() == 0


async def test_an_officer_not_on_the_panel_cannot_score(
    platform: Platform, setup: Evaluation
) -> None:
    for attempt in every_way_in(platform, setup, setup.officer):
        assert (await refused(NotPermitted, attempt())).message == NOT_ON_PANEL
    assert await Score.count() == 0


async def test_an_evaluator_of_one_lot_finds_no_other_lot_nor_its_bids(
    platform: Platform, clock: FixedClock
) -> None:
    first, second = await two_lots(platform, clock)
    amy, ben = first.evaluators[0], second.evaluators[0]
    birch_bid = first.bid_ids[1]

    # Amy evaluates lot 1: lot 2 is not hers to know of.
    for attempt in every_way_in(platform, second, amy):
        error = await refused(NotFound, attempt())
        assert error.status_code == 404
    # Ben evaluates lot 2, for which Birch Homes did not bid.
    with pytest.raises(NotFound):
        await scores.read_bid(platform, ben, second.tender.id, second.lot.id, birch_bid)
    with pytest.raises(NotFound):
        await scores.save(
            platform,
            ben,
            second.tender.id,
            second.lot.id,
            birch_bid,
            {second.questions[0].id: ScoreInput("pass", "Registered")},
        )

    assert await reads() == []
    assert await Score.count() == 0
    # Each reads their own lot's bids.
    assert (await read(platform, second, ben, 0)).bid.name == "Ashby Care"
    assert (await read(platform, first, amy, 1)).bid.name == "Birch Homes"


async def test_providers_and_other_councils_find_nothing_to_score(
    platform: Platform, setup: Evaluation
) -> None:
    other_council = await buyer_officer(
        platform, "sam.cole@derbyshire.example", "Derbyshire County Council"
    )
    ashby = setup.providers[0]

    for outsider in (ashby, other_council):
        for attempt in every_way_in(platform, setup, outsider):
            assert (await refused(NotFound, attempt())).status_code == 404

    assert await reads() == []
    assert await Score.count() == 0


@pytest.mark.parametrize("bid_id", [uuid4(), "not-an-id"], ids=["unknown", "malformed"])
async def test_a_bid_that_is_not_in_the_lot_is_not_found(
    platform: Platform, setup: Evaluation, bid_id: UUID | str
) -> None:
    amy = setup.evaluators[0]
    with pytest.raises(NotFound):
        await scores.read_bid(platform, amy, setup.tender.id, setup.lot.id, bid_id)
    assert await reads() == []


# Drafts -----------------------------------------------------------------------------------------


async def test_draft_scores_are_saved_and_can_be_changed(
    platform: Platform, clock: FixedClock, setup: Evaluation
) -> None:
    amy = setup.evaluators[0]
    gate, scale = gate_and_scale(setup)
    saved_at = clock.instant

    sheet = await save(
        platform,
        setup,
        amy,
        0,
        {gate.id: ScoreInput("pass", "CQC registration shown"), scale.id: ScoreInput("3", "Sound")},
    )

    ashby = sheet.bids[0]
    assert {q: (s.mark, s.rationale) for (_, q), s in sheet.scores.items()} == {
        gate.id: ("pass", "CQC registration shown"),
        scale.id: ("3", "Sound"),
    }
    assert sheet.scored(ashby) == 2
    assert sheet.submitted_at is None
    assert len(sheet.missing) == 4

    clock.advance(timedelta(minutes=20))
    sheet = await save(
        platform, setup, amy, 0, {scale.id: ScoreInput(" 4 ", "Better on a second reading")}
    )

    changed = sheet.scores[(ashby.submission_id, scale.id)]
    assert (changed.mark, changed.rationale, changed.updated_at) == (
        "4",
        "Better on a second reading",
        clock.instant,
    )
    assert sheet.scores[(ashby.submission_id, gate.id)].updated_at == saved_at
    saves = await events(AuditAction.EVALUATION_SCORE_SAVE)
    assert [e["details"]["scores"] for e in saves] == [
        {
            str(gate.id): {"mark": "pass", "rationale": "CQC registration shown", "quote": ""},
            str(scale.id): {"mark": "3", "rationale": "Sound", "quote": ""},
        },
        {str(scale.id): {"mark": "4", "rationale": "Better on a second reading", "quote": ""}},
    ]
    assert {(e["actor_id"], e["details"]["bid"]) for e in saves} == {
        (str(amy.id), str(setup.bid_ids[0]))
    }
    # Her drafts are hers: Ben's sheet is empty.
    assert (await scores.sheet(setup.evaluators[1], setup.tender.id, setup.lot.id)).scores == {}


async def test_saving_the_same_again_changes_and_audits_nothing(
    platform: Platform, clock: FixedClock, setup: Evaluation
) -> None:
    amy = setup.evaluators[0]
    gate, scale = gate_and_scale(setup)
    entries = {
        gate.id: ScoreInput("pass", "Registered"),
        scale.id: ScoreInput("4", "Clear reporting", "safer recruitment"),
    }
    first = await save(platform, setup, amy, 2, entries)
    stored = await Score.select().order_by(Score.key)
    audited = await AuditEvent.count()
    clock.advance(timedelta(minutes=5))

    # Retyped with stray spaces, and keyed by text as a form posts it.
    again = await save(
        platform,
        setup,
        amy,
        2,
        {
            str(gate.id): ScoreInput("pass ", " Registered"),
            str(scale.id): ScoreInput("4", "Clear reporting\n", "safer recruitment "),
        },
    )

    assert again.scores == first.scores
    assert await Score.select().order_by(Score.key) == stored
    assert await AuditEvent.count() == audited


async def test_emptying_a_question_takes_its_draft_score_away(
    platform: Platform, setup: Evaluation
) -> None:
    amy = setup.evaluators[0]
    gate, scale = gate_and_scale(setup)
    await save(
        platform,
        setup,
        amy,
        1,
        {gate.id: ScoreInput("pass", "Registered"), scale.id: ScoreInput("2", "Thin")},
    )

    sheet = await save(platform, setup, amy, 1, {scale.id: ScoreInput()})

    assert [q for _, q in sheet.scores] == [gate.id]
    assert await Score.count() == 1
    assert (await events(AuditAction.EVALUATION_SCORE_SAVE))[-1]["details"]["scores"] == {
        str(scale.id): None
    }
    # Emptying what is already empty is nothing.
    audited = await AuditEvent.count()
    await save(platform, setup, amy, 1, {scale.id: ScoreInput()})
    assert await AuditEvent.count() == audited


async def test_a_mark_without_a_reason_is_refused_and_nothing_is_stored(
    platform: Platform, setup: Evaluation
) -> None:
    amy = setup.evaluators[0]
    gate, scale = gate_and_scale(setup)
    audited = await AuditEvent.count()

    for blank in ("", "  \n\t "):
        error = await refused(
            Invalid,
            save(
                platform,
                setup,
                amy,
                0,
                {
                    gate.id: ScoreInput("pass", "Registered"),
                    scale.id: ScoreInput("4", blank),
                },
            ),
        )
        assert error.field_errors == {
            f"rationale-{scale.id}": "Give the reason for your mark for question 2"
        }

    assert await Score.count() == 0
    assert await AuditEvent.count() == audited
    assert await tender_status(setup) is TenderStatus.OPENED


@pytest.mark.parametrize(
    ("question", "entry", "message"),
    [
        (1, ScoreInput("6", "Outstanding"), "Choose a score from 0 to 5 for question 2"),
        (1, ScoreInput("pass", "Registered"), "Choose a score from 0 to 5 for question 2"),
        (1, ScoreInput("", "A reason but no mark"), "Choose a score from 0 to 5 for question 2"),
        (0, ScoreInput("yes", "Registered"), "Choose Pass or Fail for question 1"),
        (0, ScoreInput("3", "Registered"), "Choose Pass or Fail for question 1"),
    ],
    ids=["score-too-high", "pass-on-a-scale", "no-mark", "yes-on-a-gate", "score-on-a-gate"],
)
async def test_an_unknown_mark_is_refused_and_nothing_is_stored(
    platform: Platform, setup: Evaluation, question: int, entry: ScoreInput, message: str
) -> None:
    amy = setup.evaluators[0]
    chosen = setup.questions[question]

    error = await refused(Invalid, save(platform, setup, amy, 0, {chosen.id: entry}))

    assert error.field_errors == {f"mark-{chosen.id}": message}
    assert error.status_code == 400
    assert await Score.count() == 0


async def test_a_quote_must_be_a_passage_of_the_answer(
    platform: Platform, setup: Evaluation
) -> None:
    amy = setup.evaluators[0]
    gate, scale = gate_and_scale(setup)

    error = await refused(
        Invalid,
        save(
            platform,
            setup,
            amy,
            0,
            {
                scale.id: ScoreInput("4", "Strong", "We keep children happy"),
                # The gate's answer is a declaration: there is no text to quote.
                gate.id: ScoreInput("pass", "Registered", "registered"),
            },
        ),
    )

    assert error.field_errors == {
        f"quote-{scale.id}": "The passage for question 2 must be copied from the bid's answer",
        f"quote-{gate.id}": "The passage for question 1 must be copied from the bid's answer",
    }
    assert await Score.count() == 0


async def test_a_quote_is_found_in_the_answer_whatever_its_line_breaks_and_spaces(
    platform: Platform, setup: Evaluation
) -> None:
    amy = setup.evaluators[0]
    _, scale = gate_and_scale(setup)
    quote = "trained   staff,\n safer\trecruitment"
    assert quote not in ANSWER

    sheet = await save(platform, setup, amy, 0, {scale.id: ScoreInput("4", "Strong", quote)})

    [score] = sheet.scores.values()
    assert score.quote == quote


async def test_overlong_reasons_and_quotes_are_refused(
    platform: Platform, setup: Evaluation
) -> None:
    amy = setup.evaluators[0]
    gate, scale = gate_and_scale(setup)

    error = await refused(
        Invalid,
        save(
            platform,
            setup,
            amy,
            0,
            {
                gate.id: ScoreInput("pass", "x" * (scores.MAX_RATIONALE + 1)),
                scale.id: ScoreInput("3", "Fine", "safe " * 401),
            },
        ),
    )

    assert error.field_errors == {
        f"rationale-{gate.id}": "The reason for question 1 must be 5,000 characters or fewer",
        f"quote-{scale.id}": "The passage for question 2 must be 2,000 characters or fewer",
    }
    # As long as allowed is allowed.
    await save(platform, setup, amy, 0, {gate.id: ScoreInput("pass", "x" * scores.MAX_RATIONALE)})
    assert await Score.count() == 1


async def test_scores_for_questions_of_no_lot_of_this_bid_are_refused(
    platform: Platform, setup: Evaluation
) -> None:
    amy = setup.evaluators[0]
    _, scale = gate_and_scale(setup)

    for stranger in (uuid4(), "question-2"):
        error = await refused(
            Invalid,
            save(
                platform,
                setup,
                amy,
                0,
                {scale.id: ScoreInput("3", "Fine"), stranger: ScoreInput("3", "Fine")},
            ),
        )
        assert error.field_errors == {"scores": "Score the questions of this lot only"}

    assert await Score.count() == 0


async def test_markup_pasted_into_a_reason_is_kept_as_plain_text(
    platform: Platform, setup: Evaluation
) -> None:
    amy = setup.evaluators[0]
    _, scale = gate_and_scale(setup)

    sheet = await save(
        platform,
        setup,
        amy,
        0,
        {scale.id: ScoreInput("3", "<p>Sound <b>safeguarding</b> &amp; reporting</p>")},
    )

    [score] = sheet.scores.values()
    assert score.rationale == "Sound safeguarding & reporting"


async def test_an_evaluator_taken_off_the_panel_can_no_longer_score(
    platform: Platform, setup: Evaluation
) -> None:
    amy, ben = setup.evaluators
    _, scale = gate_and_scale(setup)
    await save(platform, setup, amy, 0, {scale.id: ScoreInput("3", "Fine")})
    await panels.assign(
        platform,
        setup.officer,
        setup.tender.id,
        setup.lot.id,
        evaluators=[ben.id],
        moderator=setup.moderator.id,
    )

    with pytest.raises(NotFound):
        await save(platform, setup, amy, 0, {scale.id: ScoreInput("4", "Better")})
    [score] = await Score.select(Score.mark)
    assert score["mark"] == "3"


# Submitting -------------------------------------------------------------------------------------


async def test_submitting_needs_every_question_of_every_bid_scored(
    platform: Platform, setup: Evaluation
) -> None:
    amy = setup.evaluators[0]
    gate, scale = gate_and_scale(setup)
    ashby, birch, cedar = setup.bid_ids
    await save(
        platform,
        setup,
        amy,
        0,
        {gate.id: ScoreInput("pass", "Registered"), scale.id: ScoreInput("3", "Fine")},
    )
    await save(platform, setup, amy, 1, {gate.id: ScoreInput("pass", "Registered")})
    audited = await AuditEvent.count()

    error = await refused(Invalid, scores.submit(platform, amy, setup.tender.id, setup.lot.id))

    assert error.field_errors == {
        f"bid-{birch}-question-{scale.id}": "Score question 2 for Birch Homes",
        f"bid-{cedar}-question-{gate.id}": "Score question 1 for Cedar Support",
        f"bid-{cedar}-question-{scale.id}": "Score question 2 for Cedar Support",
    }
    assert f"bid-{ashby}-question-{gate.id}" not in error.field_errors
    assert await ScoreSheet.count() == 0
    assert await AuditEvent.count() == audited
    # Still drafts: she can go on.
    await save(platform, setup, amy, 1, {gate.id: ScoreInput("fail", "Not registered")})


async def test_submitted_scores_are_locked(
    platform: Platform, clock: FixedClock, setup: Evaluation
) -> None:
    amy = setup.evaluators[0]
    _, scale = gate_and_scale(setup)
    await score_everything(platform, setup, amy, submit=False)
    clock.advance(timedelta(hours=1))
    submitted_at = clock.instant

    sheet = await scores.submit(platform, amy, setup.tender.id, setup.lot.id)

    assert sheet.submitted_at == submitted_at
    assert sheet.missing == []
    [locked] = await events(AuditAction.EVALUATION_SCORE_LOCK)
    assert (locked["actor_id"], locked["details"]) == (
        str(amy.id),
        {"lot": str(setup.lot.id), "bids": 3, "scores": 6},
    )
    stored = await Score.select().order_by(Score.key)
    clock.advance(timedelta(minutes=1))
    # A change is refused as locked, even one the form would refuse anyway.
    for change in (ScoreInput("5", "On reflection"), ScoreInput(), ScoreInput("9", "")):
        error = await refused(Conflict, save(platform, setup, amy, 0, {scale.id: change}))
        assert error.status_code == 409
        assert error.message == LOCKED.format(london_time(submitted_at))
        assert error.message == (
            "You submitted your scores for this lot at 1:00pm on Friday 11 December 2026: "
            "they cannot be changed"
        )
    assert await Score.select().order_by(Score.key) == stored


async def test_submitting_again_changes_nothing(
    platform: Platform, clock: FixedClock, setup: Evaluation
) -> None:
    amy = setup.evaluators[0]
    await score_everything(platform, setup, amy)
    first = await scores.sheet(amy, setup.tender.id, setup.lot.id)
    audited = await AuditEvent.count()
    clock.advance(timedelta(minutes=2))

    again = await scores.submit(platform, amy, setup.tender.id, setup.lot.id)

    assert again == first
    assert await ScoreSheet.count() == 1
    assert await AuditEvent.count() == audited


async def test_the_same_submission_posted_twice_at_once_locks_once(
    platform: Platform, setup: Evaluation
) -> None:
    amy = setup.evaluators[0]
    await score_everything(platform, setup, amy, submit=False)

    sheets = await asyncio.gather(
        *(scores.submit(platform, amy, setup.tender.id, setup.lot.id) for _ in range(3))
    )

    assert len({sheet.submitted_at for sheet in sheets}) == 1
    assert await ScoreSheet.count() == 1
    assert len(await events(AuditAction.EVALUATION_SCORE_LOCK)) == 1


async def test_the_same_save_posted_twice_at_once_is_stored_once(
    platform: Platform, setup: Evaluation
) -> None:
    amy = setup.evaluators[0]
    gate, scale = gate_and_scale(setup)
    entries = {gate.id: ScoreInput("pass", "Registered"), scale.id: ScoreInput("3", "Fine")}

    await asyncio.gather(*(save(platform, setup, amy, 0, entries) for _ in range(3)))

    assert await Score.count() == 2
    assert len(await events(AuditAction.EVALUATION_SCORE_SAVE)) == 1


async def test_saving_while_the_officer_changes_the_panel_takes_turns(
    platform: Platform, setup: Evaluation
) -> None:
    # Both lock the lot's row and the evaluator's seat: in the same order, so on PostgreSQL
    # one waits for the other rather than both deadlocking.
    amy, ben = setup.evaluators
    _, scale = gate_and_scale(setup)
    for attempt in range(ATTEMPTS):
        saved, changed = await asyncio.gather(
            save(platform, setup, amy, 0, {scale.id: ScoreInput(str(attempt % 6), "Fine")}),
            after(
                attempt,
                panels.assign(
                    platform,
                    setup.officer,
                    setup.tender.id,
                    setup.lot.id,
                    evaluators=[ben.id],
                    moderator=setup.moderator.id,
                ),
            ),
            return_exceptions=True,
        )
        assert isinstance(changed, panels.LotPanel), changed
        # Saved before she left the panel, or refused because she has.
        assert isinstance(saved, scores.Sheet | NotPermitted | NotFound), saved
        await panels.assign(
            platform,
            setup.officer,
            setup.tender.id,
            setup.lot.id,
            evaluators=[amy.id, ben.id],
            moderator=setup.moderator.id,
        )


# Blind until submitted -------------------------------------------------------------------------


async def test_an_evaluator_sees_no_other_scores_until_submitting_all_their_own(
    platform: Platform, setup: Evaluation
) -> None:
    amy, ben = setup.evaluators
    cy = await third_evaluator(platform, setup)
    gate, scale = gate_and_scale(setup)
    await score_everything(platform, setup, ben)
    await score_everything(platform, setup, cy, submit=False)
    await score_everything(platform, setup, amy, submit=False)

    # Ben has submitted, but Amy has not: she sees nobody's scores, only her own.
    before = await read(platform, setup, amy, 1)
    assert before.others == {}
    assert {s.evaluator_id for s in before.sheet.scores.values()} == {amy.id}

    await scores.submit(platform, amy, setup.tender.id, setup.lot.id)
    after = await read(platform, setup, amy, 1)

    # Ben's scores for this bid, and not Cy's drafts.
    birch = after.bid.submission_id
    assert {
        q: [(s.evaluator_name, s.mark, s.rationale, s.submission_id) for s in given]
        for q, given in after.others.items()
    } == {
        gate.id: [("Ben Hart", "pass", "Ben Hart: reason for 1", birch)],
        scale.id: [("Ben Hart", "4", "Ben Hart: reason for 2", birch)],
    }

    await scores.submit(platform, cy, setup.tender.id, setup.lot.id)
    later = await read(platform, setup, amy, 1)
    assert [s.evaluator_name for s in later.others[scale.id]] == ["Ben Hart", "Cy Lowe"]


async def test_submitted_scores_stay_hidden_from_an_evaluator_still_drafting(
    platform: Platform, setup: Evaluation
) -> None:
    amy, ben = setup.evaluators
    await score_everything(platform, setup, amy)
    await score_everything(platform, setup, ben, submit=False)

    for place in range(3):
        assert (await read(platform, setup, ben, place)).others == {}
    sheet = await scores.sheet(ben, setup.tender.id, setup.lot.id)
    assert {s.evaluator_id for s in sheet.scores.values()} == {ben.id}


# The tender's status ----------------------------------------------------------------------------


async def test_the_tender_is_evaluating_from_its_first_saved_score(
    platform: Platform, setup: Evaluation
) -> None:
    amy, ben = setup.evaluators
    gate, scale = gate_and_scale(setup)
    # Reading and saving nothing is not evaluating yet.
    await read(platform, setup, amy, 0)
    await save(platform, setup, amy, 0, {scale.id: ScoreInput()})
    assert await tender_status(setup) is TenderStatus.OPENED
    assert await events(AuditAction.TENDER_TENDER_EVALUATE) == []

    await save(platform, setup, amy, 0, {scale.id: ScoreInput("3", "Fine")})

    assert await tender_status(setup) is TenderStatus.EVALUATING
    await save(platform, setup, amy, 1, {gate.id: ScoreInput("pass", "Registered")})
    await score_everything(platform, setup, ben)
    [started] = await events(AuditAction.TENDER_TENDER_EVALUATE)
    assert (started["actor_id"], started["object_id"]) == (str(amy.id), str(setup.tender.id))
    assert await tender_status(setup) is TenderStatus.EVALUATING
    assert (await verify(platform)).ok


async def test_two_evaluators_saving_at_once_start_the_evaluation_once(
    platform: Platform, setup: Evaluation
) -> None:
    _, scale = gate_and_scale(setup)

    await asyncio.gather(
        *(
            save(platform, setup, evaluator, 0, {scale.id: ScoreInput("3", "Fine")})
            for evaluator in setup.evaluators
        )
    )

    assert await tender_status(setup) is TenderStatus.EVALUATING
    assert len(await events(AuditAction.TENDER_TENDER_EVALUATE)) == 1
    assert len(await events(AuditAction.EVALUATION_SCORE_SAVE)) == 2
    assert (await verify(platform)).ok
