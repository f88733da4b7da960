"""A lot's results (rule 10), computed from the moderator's signed-off consensus and the
sealed price schedules, never typed in: weighted quality, price against the lowest
compliant basket and social value, exclusions below a question's minimum or at a failed
gate, the ranking and the tie-break, each result explained in words. For the council's
officers and the lot's cleared panel, once the lot is signed off."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from fractions import Fraction

import pytest

from app.accounts import CurrentUser
from app.audit import verify
from app.clock import FixedClock
from app.errors import InvalidTransition, NotFound, NotPermitted
from app.platform import Platform
from evaluation.scoring import (
    AwardRule,
    LotRules,
    OutcomePoints,
    PriceLine,
    QuestionRule,
    SectionRule,
    points,
)
from evaluation.services import panels, results
from evaluation.services.panels import DECLARE_FIRST
from evaluation.services.results import NOT_SIGNED_OFF, LotResults
from tenders.services import authoring
from tenders.services.views import QuestionView
from tenders.vocabulary import AwardMode, QuestionKind, SectionKind
from tests.conftest import buyer_officer, provider_user
from tests.evaluation.factories import (
    PROVIDERS,
    Evaluation,
    agree_everything,
    colleague,
    declare_none,
    default_mark,
    evaluation,
    open_tender,
    score_everything,
)
from tests.evaluation.test_scores import gate_and_scale, refused, two_lots
from tests.tenders.bid_factories import submitted_bid
from tests.tenders.factories import draft_tender, published_tender

#: The factory tender's single price line: 5,200 daytime hours at a reference of £15.87.
VOLUME = 5200


async def scored_and_agreed(
    platform: Platform,
    setup: Evaluation,
    consensus: Callable[[QuestionView, int], str] = default_mark,
    *,
    sign_off: bool = True,
) -> None:
    """Every evaluator submits ``default_mark`` and the moderator agrees ``consensus``."""
    for evaluator in setup.evaluators:
        await score_everything(platform, setup, evaluator)
    await agree_everything(platform, setup, consensus, sign_off=sign_off)


async def lot_results(who: CurrentUser, setup: Evaluation) -> LotResults:
    return await results.lot_results(who, setup.tender.id, setup.lot.id)


def standings(computed: LotResults) -> list[tuple[str, int | None, str | None, bool]]:
    """(bidder, rank, total as shown, awarded), best first and the excluded last."""
    return [
        (r.name, r.rank, None if r.total is None else str(points(r.total)), r.awarded)
        for r in computed.results
    ]


@pytest.fixture
async def setup(platform: Platform, clock: FixedClock) -> Evaluation:
    return await evaluation(platform, clock)


# What the results follow from ------------------------------------------------------------------


async def test_the_lots_rules_are_the_tenders_as_frozen_at_publication(setup: Evaluation) -> None:
    gate, scale = gate_and_scale(setup)
    [item] = setup.lot.price_items

    assert results.lot_rules(setup.tender, setup.lot) == LotRules(
        sections=[
            SectionRule(1, "Quality", SectionKind.QUALITY, 60),
            SectionRule(2, "Price", SectionKind.PRICE, 40),
        ],
        questions=[
            QuestionRule(gate.id, 1, 1, QuestionKind.PASS_FAIL, 0, None),
            QuestionRule(scale.id, 2, 1, QuestionKind.SCALE, 100, 2),
        ],
        price_lines=[PriceLine(item.id, 1, "Support worker, daytime", VOLUME, 1587)],
        award=AwardRule(AwardMode.NUMBER, 3),
        outcome_points=OutcomePoints(2, 1, 0),
        abnormally_low_percent=70,
        exclude_above_reference=False,
    )


# Before sign-off --------------------------------------------------------------------------------


async def test_there_are_no_results_until_the_lot_is_signed_off(
    platform: Platform, setup: Evaluation
) -> None:
    error = await refused(InvalidTransition, lot_results(setup.officer, setup))
    assert (error.message, error.status_code) == (NOT_SIGNED_OFF, 409)

    # Every cell agreed is not enough: the moderator signs the lot off.
    await scored_and_agreed(platform, setup, sign_off=False)
    for who in (setup.officer, setup.moderator, *setup.evaluators):
        assert (await refused(InvalidTransition, lot_results(who, setup))).message == (
            NOT_SIGNED_OFF
        )


# Ranking ---------------------------------------------------------------------------------------


async def test_the_results_rank_the_bids_on_quality_and_price(
    platform: Platform, clock: FixedClock, setup: Evaluation
) -> None:
    # Consensus: each passes; 3 for Ashby Care, 4 for Birch Homes, 5 for Cedar Support.
    await scored_and_agreed(platform, setup)

    computed = await lot_results(setup.officer, setup)

    assert computed.signed_off.by == "Mo Reid"
    assert computed.signed_off.at == clock.instant
    # Cedar's £14.50 an hour is the lowest basket; Birch's £16.00 is above the reference.
    assert standings(computed) == [
        ("Cedar Support", 1, "100.00", True),
        ("Birch Homes", 2, "84.25", True),
        ("Ashby Care", 3, "74.67", True),
    ]
    cedar, birch, ashby = computed.results
    assert [(r.quality, r.price, r.basket_pence) for r in computed.results] == [
        (Fraction(60), Fraction(40), 1450 * VOLUME),
        (Fraction(48), Fraction(40 * 1450, 1600), 1600 * VOLUME),
        (Fraction(36), Fraction(40 * 1450, 1500), 1500 * VOLUME),
    ]
    assert cedar.explanation == (
        "Quality: 60.00 of 60 points",
        "Price: basket £75,400.00, the lowest compliant basket, so 40.00 of 40 points",
        "Total: 100.00 of 100 points",
        "Ranked 1st of 3; awarded (the lot awards 3 providers)",
    )
    assert birch.explanation == (
        "Quality: 48.00 of 60 points",
        "Price: basket £83,200.00, the lowest compliant basket is £75,400.00, "
        "so 36.25 of 40 points",
        "Above the reference price: Support worker, daytime at £16.00 against £15.87, "
        "for the officer to look into",
        "Total: 84.25 of 100 points",
        "Ranked 2nd of 3; awarded (the lot awards 3 providers)",
    )
    assert ashby.explanation[-2:] == (
        "Total: 74.67 of 100 points",
        "Ranked 3rd of 3; awarded (the lot awards 3 providers)",
    )
    assert not any(r.excluded for r in computed.results)


async def test_results_stand_on_the_consensus_not_the_evaluators_own_scores(
    platform: Platform, setup: Evaluation
) -> None:
    # The evaluators gave 3, 4 and 5 in bid order; the moderator agreed the reverse.
    def reversed_scores(question: QuestionView, place: int) -> str:
        return default_mark(question, 2 - place)

    await scored_and_agreed(platform, setup, reversed_scores)

    computed = await lot_results(setup.officer, setup)

    assert [(r.name, r.quality) for r in computed.results] == [
        ("Ashby Care", 60),
        ("Birch Homes", 48),
        ("Cedar Support", 36),
    ]
    gate, scale = gate_and_scale(setup)
    ashby = computed.bids[0]
    assert computed.mark(ashby, scale) == "5 excellent"
    assert computed.mark(ashby, gate) == "Pass"
    assert computed.consensus[(ashby.submission_id, scale.id)] == "5"


async def test_a_consensus_below_the_minimum_or_a_failed_gate_excludes_the_bid(
    platform: Platform, setup: Evaluation
) -> None:
    # Cedar Support scores 1 on question 2 (the minimum is 2); Birch Homes fails question 1.
    def consensus(question: QuestionView, place: int) -> str:
        if place == 1 and question.kind is QuestionKind.PASS_FAIL:
            return "fail"
        if place == 2 and question.kind is QuestionKind.SCALE:
            return "1"
        return default_mark(question, place)

    await scored_and_agreed(platform, setup, consensus)

    computed = await lot_results(setup.officer, setup)

    # Only Ashby Care is left to rank, so its basket is the lowest compliant one.
    assert standings(computed) == [
        ("Ashby Care", 1, "76.00", True),
        ("Birch Homes", None, None, False),
        ("Cedar Support", None, None, False),
    ]
    ashby, birch, cedar = computed.results
    assert ashby.explanation[1] == (
        "Price: basket £78,000.00, the lowest compliant basket, so 40.00 of 40 points"
    )
    assert ashby.explanation[-1] == "Ranked 1st of 1; awarded (the lot awards 3 providers)"
    assert birch.exclusions == ("failed question 1 (a pass or fail question)",)
    assert birch.explanation[0] == "Excluded: failed question 1 (a pass or fail question)"
    assert cedar.exclusions == ("scored 1 on question 2, where the minimum is 2",)
    assert cedar.explanation == (
        "Excluded: scored 1 on question 2, where the minimum is 2",
        "Quality: 12.00 of 60 points",
        "Price: basket £75,400.00, not scored because the bid is excluded",
        "Not ranked or awarded, because the bid is excluded",
    )
    assert (cedar.price, cedar.total, cedar.rank) == (None, None, None)


# Outcome tests --------------------------------------------------------------------------------


async def with_outcome_tests(platform: Platform, clock: FixedClock) -> Evaluation:
    """A one-lot tender scored Quality 50, Price 40 and Social value 10, the social value
    being the councils' 15 outcome tests (questions 3 to 17, three under each of five
    outcomes). Ashby Care, Birch Homes and Cedar Support bid the same prices, an hour apart
    in that order. Amy Evans evaluates and Mo Reid moderates, cleared of conflicts."""
    officer = await buyer_officer(platform)
    tender_id = str(await draft_tender(platform, officer, lots=1))
    quality = (await authoring.own_tender(officer, tender_id)).sections[0]
    await authoring.update_section(
        platform, officer, tender_id, str(quality.id), {"name": "Quality", "weight": "50"}
    )
    social = await authoring.add_section(
        platform,
        officer,
        tender_id,
        {"name": "Social value", "kind": "social_value", "weight": "10"},
    )
    await authoring.add_outcome_tests(platform, officer, tender_id, {"section": str(social)})
    tender = await authoring.publish(platform, officer, tender_id)
    providers, bid_ids = [], []
    for name, email, _ in PROVIDERS:
        provider = await provider_user(platform, email, name)
        bid_id, _ = await submitted_bid(platform, provider, tender, unit_price_pence=1500)
        providers.append(provider)
        bid_ids.append(bid_id)
        clock.advance(timedelta(hours=1))
    lot = tender.lots[0]
    amy = await colleague(platform, officer, "Amy Evans")
    mo = await colleague(platform, officer, "Mo Reid")
    await panels.assign(platform, officer, tender.id, lot.id, evaluators=[amy.id], moderator=mo.id)
    await open_tender(platform, clock, officer, tender.id)
    for member in (amy, mo):
        await declare_none(platform, member, tender.id, lot.id)
    return Evaluation(officer, tender, lot, (amy,), mo, tuple(providers), tuple(bid_ids))


def outcome_consensus(question: QuestionView, place: int) -> str:
    """4 on the scale and a pass for every bid; Yes on every outcome test, except for Cedar
    Support: Partially on questions 3 to 7 and No on 8 and 9."""
    if question.kind is QuestionKind.SCALE:
        return "4"
    if question.kind is QuestionKind.OUTCOME_TEST and place == 2:
        if question.number <= 7:
            return "partially"
        if question.number <= 9:
            return "no"
    return default_mark(question, place)


async def test_outcome_tests_count_their_points_and_form_the_evaluation_matrix(
    platform: Platform, clock: FixedClock
) -> None:
    setup = await with_outcome_tests(platform, clock)
    await scored_and_agreed(platform, setup, outcome_consensus)

    computed = await lot_results(setup.officer, setup)

    # Ashby and Birch tie on 90: the earlier submission ranks first. Cedar's outcome tests
    # score 21 of 30 points, so 7 of its 10.
    assert standings(computed) == [
        ("Ashby Care", 1, "90.00", True),
        ("Birch Homes", 2, "90.00", True),
        ("Cedar Support", 3, "87.00", True),
    ]
    ashby, birch, cedar = computed.results
    assert (cedar.quality, cedar.social_value) == (40, 7)
    assert "Social value: 7.00 of 10 points" in cedar.explanation
    assert ashby.explanation[-1] == (
        "Tie with Birch Homes on 90.00 and on quality (40.00) broken by the earlier final "
        "submission: ranked above Birch Homes"
    )
    assert birch.explanation[-1].endswith("ranked below Ashby Care")

    matrix = computed.matrix()
    assert [len(tests) for _, tests in matrix] == [3, 3, 3, 3, 3]
    assert [[q.number for q in tests] for _, tests in matrix][:2] == [[3, 4, 5], [6, 7, 8]]
    assert matrix[0][0] == "Enables delivery of statutory duties and responsibilities"
    cedar_bid = computed.bids[2]
    assert [computed.mark(cedar_bid, q) for q in matrix[2][1]] == ["No", "Yes", "Yes"]
    assert [computed.mark(cedar_bid, q) for q in matrix[1][1]] == ["Partially", "Partially", "No"]


async def test_a_lot_without_outcome_tests_has_an_empty_matrix(
    platform: Platform, setup: Evaluation
) -> None:
    await scored_and_agreed(platform, setup)
    assert (await lot_results(setup.officer, setup)).matrix() == []


# Who sees them -------------------------------------------------------------------------------


async def test_the_results_are_for_the_councils_officers_and_the_lots_panel(
    platform: Platform, setup: Evaluation
) -> None:
    await scored_and_agreed(platform, setup)
    colleague_officer = await colleague(platform, setup.officer, "Jo Evans", "officer")

    seen = [
        standings(await lot_results(who, setup))
        for who in (setup.officer, colleague_officer, setup.moderator, *setup.evaluators)
    ]

    assert all(view == seen[0] for view in seen)
    assert (await verify(platform)).ok


async def test_the_results_are_not_found_by_providers_or_other_councils(
    platform: Platform, setup: Evaluation
) -> None:
    await scored_and_agreed(platform, setup)
    other_council = await buyer_officer(
        platform, "sam.cole@derbyshire.example", "Derbyshire County Council"
    )

    for outsider in (*setup.providers, other_council):
        assert (await refused(NotFound, lot_results(outsider, setup))).status_code == 404


async def test_a_lots_results_are_not_found_by_another_lots_panel(
    platform: Platform, clock: FixedClock
) -> None:
    first, second = await two_lots(platform, clock)
    await scored_and_agreed(platform, first)

    # Ben evaluates lot 2 only.
    with pytest.raises(NotFound):
        await lot_results(second.evaluators[0], first)
    assert [name for name, *_ in standings(await lot_results(first.evaluators[0], first))] == [
        "Birch Homes",
        "Ashby Care",
    ]


async def test_a_panel_member_not_cleared_of_conflicts_sees_no_results(
    platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock, declare=False)
    amy = setup.evaluators[0]

    assert (await refused(NotPermitted, lot_results(amy, setup))).message == DECLARE_FIRST


async def test_there_are_no_results_before_the_bids_are_opened(
    platform: Platform, clock: FixedClock
) -> None:
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    await submitted_bid(platform, await provider_user(platform), tender)

    with pytest.raises(NotPermitted):
        await results.lot_results(officer, tender.id, tender.lots[0].id)
