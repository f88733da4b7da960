"""Moderation (rule 9): once every evaluator of a lot has submitted, its moderator sees all
their scores in one grid, with the cells where they diverge flagged, and records a
consensus mark and reason for every bid and question, the evaluators' own scores kept
beside it. Signing the lot off freezes its consensus (and its panel); when every lot with
bids is signed off the tender is ``moderated``. The council's officers may read the grid;
the lot's evaluators may not."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from app.accounts import CurrentUser
from app.audit import verify
from app.clock import FixedClock
from app.errors import Conflict, Invalid, InvalidTransition, NotFound, NotPermitted
from app.platform import Platform
from app.tables import AuditEvent
from app.templating import london_time
from app.vocabulary import AuditAction
from evaluation.services import moderation, panels
from evaluation.services.moderation import (
    MODERATOR_ONLY,
    NOT_FOR_EVALUATORS,
    SIGNED_OFF,
    Grid,
)
from evaluation.services.panels import DECLARE_FIRST, NOT_ON_PANEL
from evaluation.services.scores import ScoreInput
from evaluation.tables import Consensus, Score, SignOff
from tenders.services.opening import SEALED
from tenders.services.views import QuestionView
from tenders.vocabulary import QuestionKind, TenderStatus
from tests.conftest import buyer_officer, provider_user
from tests.evaluation.factories import (
    Evaluation,
    agree_everything,
    colleague,
    declare_none,
    default_mark,
    evaluation,
    score_everything,
)
from tests.evaluation.test_scores import (
    ATTEMPTS,
    after,
    events,
    gate_and_scale,
    refused,
    tender_status,
    two_lots,
)
from tests.tenders.bid_factories import submitted_bid
from tests.tenders.factories import published_tender


def bens_mark(question: QuestionView, place: int) -> str:
    """Ben Hart's marks beside Amy's (``default_mark``: pass, and 3, 4, 5 by place): he
    gives every bid 5, and fails Cedar Support. So Ashby Care's 3 against 5 and Cedar
    Support's Pass against Fail diverge; Birch Homes's 4 against 5 does not."""
    if question.kind is QuestionKind.PASS_FAIL:
        return "fail" if place == 2 else "pass"
    return "5"


@pytest.fixture
async def setup(platform: Platform, clock: FixedClock) -> Evaluation:
    return await evaluation(platform, clock)


@pytest.fixture
async def scored(platform: Platform, setup: Evaluation) -> Evaluation:
    """Amy and Ben have submitted their scores, Ben's as ``bens_mark``."""
    amy, ben = setup.evaluators
    await score_everything(platform, setup, amy)
    await score_everything(platform, setup, ben, bens_mark)
    return setup


async def grid(who: CurrentUser, setup: Evaluation) -> Grid:
    return await moderation.grid(who, setup.tender.id, setup.lot.id)


async def record(
    platform: Platform,
    setup: Evaluation,
    bid: int,
    entries: dict[UUID | str, ScoreInput],
    moderator: CurrentUser | None = None,
) -> Grid:
    """The moderator (or whoever is given) records consensus for the bid in ``bid`` place."""
    return await moderation.record(
        platform,
        moderator or setup.moderator,
        setup.tender.id,
        setup.lot.id,
        setup.bid_ids[bid],
        entries,
    )


def by_cell(grid: Grid) -> dict[tuple[str, int], object]:
    """What the tests look at in each cell, by (bidder, question number): the evaluators'
    (name, mark), the spread and the flag."""
    return {
        (cell.bid.name, cell.question.number): (
            [(s.evaluator_name, s.mark) for s in cell.scores],
            cell.spread,
            cell.flag,
        )
        for cell in grid.cells.values()
    }


async def other_council(platform: Platform) -> CurrentUser:
    return await buyer_officer(platform, "sam.cole@derbyshire.example", "Derbyshire County Council")


# The grid ------------------------------------------------------------------------------------


async def test_the_grid_shows_only_submitted_scores_and_who_is_awaited(
    platform: Platform, clock: FixedClock, setup: Evaluation
) -> None:
    amy, ben = setup.evaluators
    await score_everything(platform, setup, amy)
    submitted_at = clock.instant
    await score_everything(platform, setup, ben, bens_mark, submit=False)

    shown = await grid(setup.moderator, setup)

    assert [(e.name, e.submitted_at) for e in shown.evaluators] == [
        ("Amy Evans", submitted_at),
        ("Ben Hart", None),
    ]
    assert shown.waiting_for == ["Ben Hart"]
    assert not shown.ready
    # Ben's drafts are his own until he submits them.
    assert by_cell(shown) == {
        ("Ashby Care", 1): ([("Amy Evans", "pass")], "1 Pass", None),
        ("Ashby Care", 2): ([("Amy Evans", "3")], "3", None),
        ("Birch Homes", 1): ([("Amy Evans", "pass")], "1 Pass", None),
        ("Birch Homes", 2): ([("Amy Evans", "4")], "4", None),
        ("Cedar Support", 1): ([("Amy Evans", "pass")], "1 Pass", None),
        ("Cedar Support", 2): ([("Amy Evans", "5")], "5", None),
    }
    assert shown.flagged == 0
    assert shown.agreed == 0
    assert shown.signed_off is None
    assert shown.moderating


async def test_the_grid_flags_the_cells_where_the_evaluators_diverge(
    scored: Evaluation,
) -> None:
    shown = await grid(scored.moderator, scored)

    assert shown.ready
    assert shown.waiting_for == []
    assert [bid.name for bid in shown.bids] == ["Ashby Care", "Birch Homes", "Cedar Support"]
    assert [q.number for q in shown.questions] == [1, 2]
    assert by_cell(shown) == {
        ("Ashby Care", 1): ([("Amy Evans", "pass"), ("Ben Hart", "pass")], "2 Pass", None),
        ("Ashby Care", 2): (
            [("Amy Evans", "3"), ("Ben Hart", "5")],
            "3 to 5",
            "Scores range from 3 to 5",
        ),
        ("Birch Homes", 1): ([("Amy Evans", "pass"), ("Ben Hart", "pass")], "2 Pass", None),
        ("Birch Homes", 2): ([("Amy Evans", "4"), ("Ben Hart", "5")], "4 to 5", None),
        ("Cedar Support", 1): (
            [("Amy Evans", "pass"), ("Ben Hart", "fail")],
            "1 Pass, 1 Fail",
            "Pass against Fail",
        ),
        ("Cedar Support", 2): ([("Amy Evans", "5"), ("Ben Hart", "5")], "5", None),
    }
    assert shown.flagged == 2
    # The reasons come with the scores.
    gate, _ = gate_and_scale(scored)
    cell = shown.cell(shown.bids[2], gate)
    assert [s.rationale for s in cell.scores] == [
        "Amy Evans: reason for 1",
        "Ben Hart: reason for 1",
    ]


async def test_the_grid_is_the_moderators_and_officers_may_read_it(
    platform: Platform, scored: Evaluation
) -> None:
    as_moderator = await grid(scored.moderator, scored)
    as_officer = await grid(scored.officer, scored)

    assert as_moderator.moderating
    assert not as_officer.moderating
    assert as_officer.cells == as_moderator.cells


async def test_the_grid_is_refused_to_the_lots_evaluators_even_after_they_submit(
    platform: Platform, scored: Evaluation
) -> None:
    for evaluator in scored.evaluators:
        error = await refused(NotPermitted, grid(evaluator, scored))
        assert (error.message, error.status_code) == (NOT_FOR_EVALUATORS, 403)


async def test_the_grid_is_not_found_by_providers_other_councils_or_other_lots_panels(
    platform: Platform, clock: FixedClock
) -> None:
    first, second = await two_lots(platform, clock)
    outsiders = [
        first.providers[0],
        await other_council(platform),
        # Ben evaluates lot 2 only.
        second.evaluators[0],
    ]
    for outsider in outsiders:
        assert (await refused(NotFound, grid(outsider, first))).status_code == 404


async def test_the_grid_is_sealed_until_the_bids_are_opened(
    platform: Platform, clock: FixedClock
) -> None:
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    await submitted_bid(platform, await provider_user(platform), tender)
    clock.instant = tender.submission_deadline + timedelta(hours=1)

    error = await refused(NotPermitted, moderation.grid(officer, tender.id, tender.lots[0].id))
    assert error.message == SEALED


async def test_a_moderator_sees_the_grid_once_cleared_of_conflicts(
    platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock, declare=False)

    assert (await refused(NotPermitted, grid(setup.moderator, setup))).message == DECLARE_FIRST


# Consensus ------------------------------------------------------------------------------------


async def test_consensus_waits_until_every_evaluator_has_submitted(
    platform: Platform, setup: Evaluation
) -> None:
    amy, ben = setup.evaluators
    _, scale = gate_and_scale(setup)
    entries: dict[UUID | str, ScoreInput] = {scale.id: ScoreInput("4", "Agreed")}

    error = await refused(InvalidTransition, record(platform, setup, 0, entries))
    assert error.status_code == 409
    assert error.message == (
        "Consensus can be recorded once every evaluator has submitted their scores. "
        "Waiting for: Amy Evans, Ben Hart"
    )

    await score_everything(platform, setup, amy)
    await score_everything(platform, setup, ben, submit=False)
    error = await refused(InvalidTransition, record(platform, setup, 0, entries))
    assert error.message.endswith("Waiting for: Ben Hart")
    error = await refused(
        InvalidTransition,
        moderation.sign_off(platform, setup.moderator, setup.tender.id, setup.lot.id),
    )
    assert error.message.endswith("Waiting for: Ben Hart")

    assert await Consensus.count() == 0
    assert await SignOff.count() == 0
    assert await events(AuditAction.EVALUATION_CONSENSUS_RECORD) == []


async def test_an_evaluator_who_declared_a_conflict_is_named_until_an_officer_replaces_them(
    platform: Platform, clock: FixedClock
) -> None:
    """A conflicted evaluator can never score (rule 7), so "waiting for" them would wait for
    ever: the moderator is told why, and that an officer must act (found by the
    authorisation matrix); once they are off the panel, consensus can be recorded."""
    setup = await evaluation(platform, clock, declare=False)
    amy, ben = setup.evaluators
    for member in (amy, setup.moderator):
        await declare_none(platform, member, setup.tender.id, setup.lot.id)
    bidders = await panels.bidders(ben, setup.tender.id, setup.lot.id)
    await panels.declare(
        platform,
        ben,
        setup.tender.id,
        setup.lot.id,
        {
            b.organisation_id: (i == 0, "My sister runs it" if i == 0 else "")
            for i, b in enumerate(bidders)
        },
    )
    await score_everything(platform, setup, amy)
    _, scale = gate_and_scale(setup)
    entries: dict[UUID | str, ScoreInput] = {scale.id: ScoreInput("4", "Agreed")}

    error = await refused(InvalidTransition, record(platform, setup, 0, entries))
    assert error.message == (
        "Consensus can be recorded once every evaluator has submitted their scores. "
        "Ben Hart declared a conflict of interest, so cannot score this lot: an officer must "
        "take them off the panel or replace them."
    )
    assert (await grid(setup.moderator, setup)).waiting_for == []

    await panels.assign(
        platform,
        setup.officer,
        setup.tender.id,
        setup.lot.id,
        evaluators=[amy.id],
        moderator=setup.moderator.id,
    )
    await record(platform, setup, 0, entries)
    assert await Consensus.count() == 1


async def test_the_moderator_records_consensus_beside_the_evaluators_own_scores(
    platform: Platform, clock: FixedClock, scored: Evaluation
) -> None:
    gate, scale = gate_and_scale(scored)
    scores_before = await Score.select().order_by(Score.key)
    clock.advance(timedelta(days=1))

    shown = await record(
        platform,
        scored,
        0,
        {
            str(gate.id): ScoreInput("pass", "Registration confirmed"),
            scale.id: ScoreInput("4", "Agreed at 4: strong on recruitment, thin on reporting"),
        },
    )

    ashby = shown.bids[0]
    agreed = shown.cell(ashby, scale)
    assert agreed.consensus == moderation.ConsensusView(
        "4", "Agreed at 4: strong on recruitment, thin on reporting", "Mo Reid", clock.instant
    )
    assert [(s.evaluator_name, s.mark) for s in agreed.scores] == [
        ("Amy Evans", "3"),
        ("Ben Hart", "5"),
    ]
    assert agreed.flag == "Scores range from 3 to 5"
    assert shown.agreed == 2
    assert len(shown.missing) == 4
    assert await Score.select().order_by(Score.key) == scores_before
    [recorded] = await events(AuditAction.EVALUATION_CONSENSUS_RECORD)
    amy, ben = scored.evaluators
    assert recorded["actor_id"] == str(scored.moderator.id)
    assert recorded["details"]["bid"] == str(scored.bid_ids[0])
    assert recorded["details"]["consensus"][str(scale.id)] == {
        "mark": "4",
        "rationale": "Agreed at 4: strong on recruitment, thin on reporting",
        "evaluators": {str(amy.id): "3", str(ben.id): "5"},
        "flag": "Scores range from 3 to 5",
    }


async def test_consensus_can_change_until_sign_off_and_the_same_again_writes_nothing(
    platform: Platform, clock: FixedClock, scored: Evaluation
) -> None:
    gate, _ = gate_and_scale(scored)
    await record(platform, scored, 2, {gate.id: ScoreInput("fail", "No registration shown")})
    clock.advance(timedelta(minutes=30))

    changed = await record(
        platform, scored, 2, {gate.id: ScoreInput("pass", "Registration found in the annex")}
    )

    cedar = changed.bids[2]
    assert changed.cell(cedar, gate).consensus == moderation.ConsensusView(
        "pass", "Registration found in the annex", "Mo Reid", clock.instant
    )
    audited = await AuditEvent.count()
    stored = await Consensus.select().order_by(Consensus.key)
    clock.advance(timedelta(minutes=5))

    again = await record(
        platform, scored, 2, {gate.id: ScoreInput("pass ", "Registration found in the annex\n")}
    )

    assert again.cells == changed.cells
    assert await AuditEvent.count() == audited
    assert await Consensus.select().order_by(Consensus.key) == stored

    # Emptied, the cell waits for a consensus again.
    emptied = await record(platform, scored, 2, {gate.id: ScoreInput()})
    assert emptied.cell(cedar, gate).consensus is None
    assert await Consensus.count() == 0
    assert (await events(AuditAction.EVALUATION_CONSENSUS_RECORD))[-1]["details"]["consensus"] == {
        str(gate.id): None
    }


async def test_consensus_needs_a_mark_of_the_questions_kind_and_a_reason(
    platform: Platform, scored: Evaluation
) -> None:
    gate, scale = gate_and_scale(scored)

    error = await refused(
        Invalid,
        record(
            platform,
            scored,
            0,
            {gate.id: ScoreInput("partially", "Half registered"), scale.id: ScoreInput("4", " ")},
        ),
    )
    assert error.field_errors == {
        f"mark-{gate.id}": "Choose Pass or Fail for question 1",
        f"rationale-{scale.id}": "Give the reason for the consensus for question 2",
    }

    error = await refused(
        Invalid, record(platform, scored, 0, {uuid4(): ScoreInput("4", "Agreed")})
    )
    assert error.field_errors == {
        "consensus": "Record the consensus for the questions of this lot only"
    }
    assert await Consensus.count() == 0


async def test_only_the_lots_moderator_records_consensus(
    platform: Platform, scored: Evaluation
) -> None:
    _, scale = gate_and_scale(scored)
    entries: dict[UUID | str, ScoreInput] = {scale.id: ScoreInput("4", "Agreed")}
    amy = scored.evaluators[0]

    error = await refused(NotPermitted, record(platform, scored, 0, entries, amy))
    assert error.message == MODERATOR_ONLY
    error = await refused(
        NotPermitted, moderation.sign_off(platform, amy, scored.tender.id, scored.lot.id)
    )
    assert error.message == MODERATOR_ONLY
    error = await refused(NotPermitted, record(platform, scored, 0, entries, scored.officer))
    assert error.message == NOT_ON_PANEL
    for outsider in (scored.providers[0], await other_council(platform)):
        await refused(NotFound, record(platform, scored, 0, entries, outsider))
        await refused(
            NotFound, moderation.sign_off(platform, outsider, scored.tender.id, scored.lot.id)
        )

    assert await Consensus.count() == 0
    assert await SignOff.count() == 0


@pytest.mark.parametrize("bid_id", [uuid4(), "not-an-id"], ids=["unknown", "malformed"])
async def test_consensus_for_a_bid_not_in_the_lot_is_not_found(
    platform: Platform, scored: Evaluation, bid_id: UUID | str
) -> None:
    _, scale = gate_and_scale(scored)
    with pytest.raises(NotFound):
        await moderation.record(
            platform,
            scored.moderator,
            scored.tender.id,
            scored.lot.id,
            bid_id,
            {scale.id: ScoreInput("4", "Agreed")},
        )


async def test_recording_consensus_while_the_officer_changes_the_moderator_takes_turns(
    platform: Platform, scored: Evaluation
) -> None:
    # As for an evaluator's save: the lot's row, then the moderator's seat, in that order.
    _, scale = gate_and_scale(scored)
    amy, ben = scored.evaluators
    cy = await colleague(platform, scored.officer, "Cy Lowe")
    for attempt in range(ATTEMPTS):
        recorded, changed = await asyncio.gather(
            record(platform, scored, 0, {scale.id: ScoreInput(str(attempt % 6), "Agreed")}),
            after(
                attempt,
                panels.assign(
                    platform,
                    scored.officer,
                    scored.tender.id,
                    scored.lot.id,
                    evaluators=[amy.id, ben.id],
                    moderator=cy.id,
                ),
            ),
            return_exceptions=True,
        )
        assert isinstance(changed, panels.LotPanel), changed
        assert isinstance(recorded, Grid | NotPermitted | NotFound), recorded
        await panels.assign(
            platform,
            scored.officer,
            scored.tender.id,
            scored.lot.id,
            evaluators=[amy.id, ben.id],
            moderator=scored.moderator.id,
        )


# Signing off --------------------------------------------------------------------------------------


async def test_sign_off_needs_a_consensus_for_every_cell(
    platform: Platform, scored: Evaluation
) -> None:
    gate, scale = gate_and_scale(scored)
    ashby, birch, cedar = scored.bid_ids
    await agree_everything(platform, scored, sign_off=False)
    await record(platform, scored, 0, {scale.id: ScoreInput()})
    await record(platform, scored, 2, {gate.id: ScoreInput(), scale.id: ScoreInput()})
    audited = await AuditEvent.count()

    error = await refused(
        Invalid, moderation.sign_off(platform, scored.moderator, scored.tender.id, scored.lot.id)
    )

    assert error.field_errors == {
        f"bid-{ashby}-question-{scale.id}": "Record the consensus for question 2 for Ashby Care",
        f"bid-{cedar}-question-{gate.id}": "Record the consensus for question 1 for Cedar Support",
        f"bid-{cedar}-question-{scale.id}": "Record the consensus for question 2 for Cedar Support",
    }
    assert f"bid-{birch}-question-{gate.id}" not in error.field_errors
    assert await SignOff.count() == 0
    assert await AuditEvent.count() == audited
    assert (await grid(scored.moderator, scored)).signed_off is None


async def test_signing_off_freezes_the_consensus_and_the_panel(
    platform: Platform, clock: FixedClock, scored: Evaluation
) -> None:
    _, scale = gate_and_scale(scored)
    await agree_everything(platform, scored, sign_off=False)
    clock.advance(timedelta(hours=2))
    signed_at = clock.instant

    shown = await moderation.sign_off(platform, scored.moderator, scored.tender.id, scored.lot.id)

    assert shown.signed_off == moderation.SignedOff("Mo Reid", signed_at)
    assert shown.missing == []
    [signed] = await events(AuditAction.EVALUATION_LOT_SIGN_OFF)
    assert (signed["actor_id"], signed["details"]) == (
        str(scored.moderator.id),
        {"lot": str(scored.lot.id), "bids": 3, "cells": 6, "flagged": 2},
    )
    stored = await Consensus.select().order_by(Consensus.key)
    clock.advance(timedelta(minutes=10))
    for change in (ScoreInput("5", "Raised after sign-off"), ScoreInput()):
        error = await refused(Conflict, record(platform, scored, 0, {scale.id: change}))
        assert error.status_code == 409
        assert error.message == SIGNED_OFF.format(london_time(signed_at))
    assert await Consensus.select().order_by(Consensus.key) == stored

    amy, ben = scored.evaluators
    error = await refused(
        InvalidTransition,
        panels.assign(
            platform,
            scored.officer,
            scored.tender.id,
            scored.lot.id,
            evaluators=[amy.id],
            moderator=ben.id,
        ),
    )
    assert error.message == "This lot's consensus has been signed off: its panel cannot change"
    # The officers read the signed-off grid too.
    assert (await grid(scored.officer, scored)).signed_off == shown.signed_off


async def test_signing_off_again_changes_nothing(
    platform: Platform, clock: FixedClock, scored: Evaluation
) -> None:
    await agree_everything(platform, scored)
    first = await grid(scored.moderator, scored)
    audited = await AuditEvent.count()
    clock.advance(timedelta(minutes=1))

    again = await moderation.sign_off(platform, scored.moderator, scored.tender.id, scored.lot.id)

    assert again == first
    assert await SignOff.count() == 1
    assert await AuditEvent.count() == audited


async def test_the_same_sign_off_posted_twice_at_once_signs_off_once(
    platform: Platform, scored: Evaluation
) -> None:
    await agree_everything(platform, scored, sign_off=False)

    grids = await asyncio.gather(
        *(
            moderation.sign_off(platform, scored.moderator, scored.tender.id, scored.lot.id)
            for _ in range(3)
        )
    )

    assert len({g.signed_off for g in grids}) == 1
    assert await SignOff.count() == 1
    assert len(await events(AuditAction.EVALUATION_LOT_SIGN_OFF)) == 1
    assert len(await events(AuditAction.TENDER_TENDER_MODERATE)) == 1


# The tender's status ---------------------------------------------------------------------------


async def test_a_one_lot_tender_is_moderated_when_its_lot_is_signed_off(
    platform: Platform, scored: Evaluation
) -> None:
    assert await tender_status(scored) is TenderStatus.EVALUATING
    await agree_everything(platform, scored, sign_off=False)
    assert await tender_status(scored) is TenderStatus.EVALUATING

    await moderation.sign_off(platform, scored.moderator, scored.tender.id, scored.lot.id)

    assert await tender_status(scored) is TenderStatus.MODERATED
    [moderated] = await events(AuditAction.TENDER_TENDER_MODERATE)
    assert (moderated["actor_id"], moderated["object_id"]) == (
        str(scored.moderator.id),
        str(scored.tender.id),
    )
    assert (await verify(platform)).ok


async def test_the_tender_is_moderated_when_its_last_lot_with_bids_is_signed_off(
    platform: Platform, clock: FixedClock
) -> None:
    # Three lots: nobody bid for lot 3, so it holds nothing up.
    first, second = await two_lots(platform, clock, lots=3)
    for lot in (first, second):
        await score_everything(platform, lot, lot.evaluators[0])

    await agree_everything(platform, first)

    assert await tender_status(first) is TenderStatus.EVALUATING
    assert await events(AuditAction.TENDER_TENDER_MODERATE) == []

    await agree_everything(platform, second)

    assert await tender_status(first) is TenderStatus.MODERATED
    assert len(await events(AuditAction.TENDER_TENDER_MODERATE)) == 1
    assert len(await events(AuditAction.EVALUATION_LOT_SIGN_OFF)) == 2
    assert (await verify(platform)).ok


async def test_each_lot_is_moderated_on_its_own(platform: Platform, clock: FixedClock) -> None:
    first, second = await two_lots(platform, clock)
    await score_everything(platform, first, first.evaluators[0])

    # Lot 1 is ready while lot 2 waits for Ben.
    await agree_everything(platform, first, default_mark)
    error = await refused(
        InvalidTransition,
        moderation.record(
            platform,
            second.moderator,
            second.tender.id,
            second.lot.id,
            second.bid_ids[0],
            {second.questions[0].id: ScoreInput("pass", "Agreed")},
        ),
    )
    assert error.message.endswith("Waiting for: Ben Hart")
    assert (await grid(first.moderator, first)).signed_off is not None
    assert (await grid(first.moderator, second)).signed_off is None


# Reading the bids, races and refusals found in review ---------------------------------------


async def test_the_moderator_reads_each_bids_answers_and_every_read_is_audited(
    platform: Platform, scored: Evaluation
) -> None:
    amy, _ = scored.evaluators
    before = len(await events(AuditAction.BID_CONTENT_READ))
    answers = await moderation.bid_answers(
        platform, scored.moderator, scored.tender.id, scored.lot.id, scored.bid_ids[1]
    )
    assert {question.id for question in scored.questions} == set(answers)
    reads = (await events(AuditAction.BID_CONTENT_READ))[before:]
    assert [(r["actor_id"], r["object_id"], r["details"]["role"]) for r in reads] == [
        (str(scored.moderator.id), str(scored.bid_ids[1]), "moderator")
    ]
    await refused(
        NotPermitted,
        moderation.bid_answers(platform, amy, scored.tender.id, scored.lot.id, scored.bid_ids[1]),
    )


async def test_a_bad_consensus_after_sign_off_is_refused_as_signed_off(
    platform: Platform, scored: Evaluation
) -> None:
    await agree_everything(platform, scored)
    _, scale = gate_and_scale(scored)
    error = await refused(Conflict, record(platform, scored, 0, {scale.id: ScoreInput("9", "")}))
    assert "signed off" in error.message


async def test_signing_off_while_the_officer_adds_an_evaluator_leaves_one_of_them(
    platform: Platform, scored: Evaluation
) -> None:
    # The officer's change locks the lot's row before it looks for a sign-off: either the
    # lot is signed off and the panel stays, or the newcomer joins and sign-off waits.
    await agree_everything(platform, scored, sign_off=False)
    amy, ben = scored.evaluators
    cy = await colleague(platform, scored.officer, "Cy Lowe")
    signed, changed = await asyncio.gather(
        moderation.sign_off(platform, scored.moderator, scored.tender.id, scored.lot.id),
        panels.assign(
            platform,
            scored.officer,
            scored.tender.id,
            scored.lot.id,
            evaluators=[amy.id, ben.id, cy.id],
            moderator=scored.moderator.id,
        ),
        return_exceptions=True,
    )
    if isinstance(signed, Grid):
        assert isinstance(changed, InvalidTransition), changed
        assert len((await panels.panel(scored.officer, scored.tender.id))[0].evaluators) == 2
    else:
        assert isinstance(signed, InvalidTransition), signed
        assert "Cy Lowe" in signed.message
        assert isinstance(changed, panels.LotPanel), changed
        assert await SignOff.count() == 0
