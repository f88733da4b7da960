"""A lot's results, computed and never typed in (rule 10): totals stay within 0 to 100, the
cheapest compliant basket takes the whole price weight, a better mark never costs a bid,
excluded bids are never ranked or awarded, the order of the input does not matter, and ties
break by quality, then the earlier submission. Each result says why, in words."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from evaluation.scoring import (
    AwardRule,
    BidEntry,
    BidResult,
    FlagKind,
    LotRules,
    OutcomePoints,
    PriceFlag,
    PriceLine,
    QuestionRule,
    SectionRule,
    ordinal,
    points,
    pounds,
    score_lot,
)
from tenders.vocabulary import AwardMode, QuestionKind, SectionKind

#: A couple of milliseconds an example: 100 each keeps the file to a few seconds (the suite
#: runs twice in CI). The machine may be busy, so no deadline.
properties = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

# A lot of the kind councils tender, for the worked examples -----------------------------

QUALITY = SectionRule(1, "Quality", SectionKind.QUALITY, 60)
PRICE = SectionRule(2, "Price", SectionKind.PRICE, 30)
SOCIAL = SectionRule(3, "Social value", SectionKind.SOCIAL_VALUE, 10)
CQC = QuestionRule(UUID(int=1), 1, 1, QuestionKind.PASS_FAIL)
CARE = QuestionRule(UUID(int=2), 2, 1, QuestionKind.SCALE, weight=60, minimum_score=2)
STAFF = QuestionRule(UUID(int=3), 3, 1, QuestionKind.SCALE, weight=40)
LOCAL = QuestionRule(UUID(int=4), 4, 3, QuestionKind.OUTCOME_TEST)
HOURS = PriceLine(UUID(int=101), 1, "Hourly rate, daytime", volume=1000, reference_pence=1472)
NIGHTS = PriceLine(UUID(int=102), 2, "Sleep-in night", volume=100, reference_pence=8160)


def lot(**changes: Any) -> LotRules:
    return replace(
        LotRules(
            sections=(QUALITY, PRICE, SOCIAL),
            questions=(CQC, CARE, STAFF, LOCAL),
            price_lines=(HOURS, NIGHTS),
            award=AwardRule(AwardMode.ONE),
        ),
        **changes,
    )


def bid(
    number: int,
    *,
    cqc: int | str = "pass",
    care: int | str = 4,
    staff: int | str = 4,
    local: int | str = "yes",
    hours: int = 1400,
    nights: int = 8000,
    minutes: int = 0,
) -> BidEntry:
    """A bid by "Provider <number>": by default quality 48, social value 10, basket £22,000."""
    return BidEntry(
        UUID(int=1000 + number),
        f"Provider {number}",
        T0 + timedelta(minutes=minutes),
        {CQC.id: cqc, CARE.id: care, STAFF.id: staff, LOCAL.id: local},
        {HOURS.id: hours, NIGHTS.id: nights},
    )


def by_name(results: Sequence[BidResult]) -> dict[str, BidResult]:
    return {result.name: result for result in results}


# Figures for people -----------------------------------------------------------------------


def test_points_round_half_up_to_two_places() -> None:
    assert str(points(Fraction(30))) == "30.00"
    assert points(Fraction(2749, 100)) == Decimal("27.49")
    assert points(Fraction(27495, 1000)) == Decimal("27.50")
    assert points(Fraction(27494999, 1000000)) == Decimal("27.49")
    assert points(Fraction(100, 3)) == Decimal("33.33")
    assert str(points(Fraction(0))) == "0.00"


def test_money_shows_pounds_pence_and_thousands() -> None:
    assert pounds(0) == "£0.00"
    assert pounds(5) == "£0.05"
    assert pounds(1472) == "£14.72"
    assert pounds(123_456_789) == "£1,234,567.89"


def test_ordinals_read_as_words_do() -> None:
    numbers = (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 112)
    assert " ".join(ordinal(n) for n in numbers) == (
        "1st 2nd 3rd 4th 11th 12th 13th 21st 22nd 23rd 101st 111th 112th"
    )


# Scores, by example ---------------------------------------------------------------------


def test_a_section_score_is_its_weight_times_the_weighted_share_of_its_marks() -> None:
    (result,) = score_lot(lot(), [bid(1, care=4, staff=3, local="partially")])
    # 60 x (60 x 4/5 + 40 x 3/5) / 100 = 43.2; 10 x 1/2 = 5; the only basket takes all 30.
    assert [s.score for s in result.sections] == [Fraction(216, 5), 30, 5]
    assert result.quality == Fraction(216, 5)
    assert result.social_value == 5
    assert result.total == Fraction(391, 5)
    assert result.explanation == (
        "Quality: 43.20 of 60 points",
        "Price: basket £22,000.00, the lowest compliant basket, so 30.00 of 30 points",
        "Social value: 5.00 of 10 points",
        "Total: 78.20 of 100 points",
        "Ranked 1st of 1; awarded (the lot awards 1 provider)",
    )


def test_outcome_tests_score_their_points_over_the_points_for_yes() -> None:
    tests = [
        QuestionRule(UUID(int=10 + n), 10 + n, 3, QuestionKind.OUTCOME_TEST, weight=1)
        for n in range(3)
    ]
    rules = lot(questions=(CQC, CARE, STAFF, *tests), outcome_points=OutcomePoints(3, 2, 0))
    entry = replace(
        bid(1),
        marks={CQC.id: "pass", CARE.id: 4, STAFF.id: 4}
        | {test.id: mark for test, mark in zip(tests, ("yes", "partially", "no"), strict=True)},
    )
    (result,) = score_lot(rules, [entry])
    # 10 x (3 + 2 + 0) / (3 x 3).
    assert result.social_value == Fraction(50, 9)


def test_a_section_whose_questions_all_weigh_nothing_counts_them_equally() -> None:
    tests = [QuestionRule(UUID(int=10 + n), 10 + n, 3, QuestionKind.OUTCOME_TEST) for n in range(4)]
    entry = replace(
        bid(1),
        marks={CQC.id: "pass", CARE.id: 4, STAFF.id: 4}
        | {
            test.id: mark
            for test, mark in zip(tests, ("yes", "yes", "partially", "no"), strict=True)
        },
    )
    (result,) = score_lot(lot(questions=(CQC, CARE, STAFF, *tests)), [entry])
    assert result.social_value == Fraction(10 * 5, 8)


def test_price_is_its_weight_times_the_lowest_compliant_basket_over_this_one() -> None:
    results = by_name(score_lot(lot(), [bid(1), bid(2, nights=10_000)]))
    dearer = results["Provider 2"]
    assert dearer.basket_pence == 2_400_000
    assert dearer.price == Fraction(55, 2)
    assert (
        "Price: basket £24,000.00, the lowest compliant basket is £22,000.00, so 27.50 of 30 points"
        in dearer.explanation
    )


def test_an_excluded_bid_does_not_set_the_lowest_basket() -> None:
    results = by_name(score_lot(lot(), [bid(1, cqc="fail", hours=100), bid(2, nights=10_000)]))
    assert results["Provider 2"].price == 30
    excluded = results["Provider 1"]
    assert excluded.price is None
    assert excluded.sections[1].score is None
    assert "Price: basket £9,000.00, not scored because the bid is excluded" in excluded.explanation


def test_a_lot_without_a_price_section_is_scored_on_the_rest() -> None:
    rules = lot(sections=(replace(QUALITY, weight=90), SOCIAL), price_lines=(HOURS,))
    entry = replace(bid(1, care=5, staff=5), unit_prices={HOURS.id: 1400})
    (result,) = score_lot(rules, [entry])
    assert result.price == 0
    assert result.total == 100
    assert not any(line.startswith("Price") for line in result.explanation)


def test_no_bids_no_results() -> None:
    assert score_lot(lot(), []) == ()


# Exclusions -------------------------------------------------------------------------------


def test_failing_a_pass_or_fail_question_excludes_the_bid() -> None:
    (result, _) = sorted(score_lot(lot(), [bid(1, cqc="fail"), bid(2)]), key=lambda r: r.name)
    assert result.excluded
    assert result.exclusions == ("failed question 1 (a pass or fail question)",)
    assert result.explanation[0] == "Excluded: failed question 1 (a pass or fail question)"
    assert result.explanation[-1] == "Not ranked or awarded, because the bid is excluded"
    assert result.total is None
    assert result.rank is None
    assert not result.awarded


def test_a_score_below_the_minimum_excludes_the_bid() -> None:
    (result,) = score_lot(lot(), [bid(1, care=1)])
    assert result.exclusions == ("scored 1 on question 2, where the minimum is 2",)
    assert result.explanation[0] == "Excluded: scored 1 on question 2, where the minimum is 2"
    # Still scored: 60 x (60 x 1/5 + 40 x 4/5) / 100.
    assert result.quality == Fraction(132, 5)


def test_a_score_at_the_minimum_passes() -> None:
    (result,) = score_lot(lot(), [bid(1, care=2)])
    assert not result.excluded


def test_every_reason_is_given_in_question_order() -> None:
    (result,) = score_lot(lot(), [bid(1, care=0, cqc="fail")])
    assert result.exclusions == (
        "failed question 1 (a pass or fail question)",
        "scored 0 on question 2, where the minimum is 2",
    )


def test_a_price_above_the_reference_excludes_when_the_tender_says_so() -> None:
    (result,) = score_lot(lot(exclude_above_reference=True), [bid(1, hours=1500)])
    assert result.exclusions == (
        "the price for Hourly rate, daytime is £15.00, above the reference price of £14.72, "
        "and this tender excludes bids above it",
    )
    assert result.flags == (
        PriceFlag(FlagKind.ABOVE_REFERENCE, HOURS.id, 1, "Hourly rate, daytime", 1500, 1472),
    )
    # The exclusion says it once; no second sentence for the flag.
    assert not any(line.startswith("Above the reference") for line in result.explanation)


# Flags ------------------------------------------------------------------------------------


def test_a_price_above_the_reference_is_flagged_and_kept_by_default() -> None:
    (result,) = score_lot(lot(), [bid(1, hours=1473)])
    assert not result.excluded
    assert result.rank == 1
    assert result.flags == (
        PriceFlag(FlagKind.ABOVE_REFERENCE, HOURS.id, 1, "Hourly rate, daytime", 1473, 1472),
    )
    assert (
        "Above the reference price: Hourly rate, daytime at £14.73 against £14.72, "
        "for the officer to look into"
    ) in result.explanation


def test_a_price_below_the_abnormally_low_share_is_flagged_not_excluded() -> None:
    # 70% of 1,472p is 1,030.4p: 1,030p is below it, 1,031p is not.
    low, fair = score_lot(lot(), [bid(1, hours=1030), bid(2, hours=1031)])
    assert low.name == "Provider 1"
    assert low.flags == (
        PriceFlag(FlagKind.ABNORMALLY_LOW, HOURS.id, 1, "Hourly rate, daytime", 1030, 1472),
    )
    assert not low.excluded
    assert (
        "Abnormally low: Hourly rate, daytime at £10.30 is below 70% of the reference price "
        "of £14.72, for the officer to look into"
    ) in low.explanation
    assert fair.flags == ()


def test_the_tender_sets_the_abnormally_low_share() -> None:
    (result,) = score_lot(lot(abnormally_low_percent=80), [bid(1, nights=6500)])
    assert [flag.kind for flag in result.flags] == [FlagKind.ABNORMALLY_LOW]
    assert "below 80% of the reference price of £81.60" in result.explanation[3]


def test_a_line_without_a_reference_price_is_never_flagged() -> None:
    rules = lot(price_lines=(replace(HOURS, reference_pence=None), NIGHTS))
    results = score_lot(rules, [bid(1, hours=1), bid(2, hours=99_999)])
    assert [result.flags for result in results] == [(), ()]


# Ranking and award ------------------------------------------------------------------------


def five_bids() -> list[BidEntry]:
    return [bid(n, staff=n) for n in range(1, 6)]


def test_a_block_contract_awards_the_best_bid_alone() -> None:
    results = score_lot(lot(), five_bids())
    assert [r.name for r in results] == [f"Provider {n}" for n in (5, 4, 3, 2, 1)]
    assert [r.rank for r in results] == [1, 2, 3, 4, 5]
    assert [r.awarded for r in results] == [True, False, False, False, False]
    assert "Ranked 2nd of 5; not awarded (the lot awards 1 provider)" in results[1].explanation


def test_a_framework_awards_its_number_of_providers() -> None:
    results = score_lot(lot(award=AwardRule(AwardMode.NUMBER, 3)), five_bids())
    assert [r.awarded for r in results] == [True, True, True, False, False]
    assert "Ranked 2nd of 5; awarded (the lot awards 3 providers)" in results[1].explanation
    assert "Ranked 4th of 5; not awarded (the lot awards 3 providers)" in results[3].explanation


def test_a_framework_larger_than_the_field_awards_every_compliant_bid() -> None:
    results = score_lot(
        lot(award=AwardRule(AwardMode.NUMBER, 8)), [*five_bids(), bid(6, cqc="fail")]
    )
    assert [r.awarded for r in results] == [True] * 5 + [False]


def test_a_dynamic_market_awards_every_bid_that_passes() -> None:
    results = score_lot(
        lot(award=AwardRule(AwardMode.ALL_THAT_PASS)), [*five_bids(), bid(6, care=1)]
    )
    assert [r.awarded for r in results] == [True] * 5 + [False]
    assert results[-1].rank is None
    assert (
        "Ranked 5th of 5; awarded (the lot awards every provider that passes)"
        in results[4].explanation
    )


# Ties -------------------------------------------------------------------------------------

TIE_QUESTION = QuestionRule(UUID(int=1), 1, 1, QuestionKind.SCALE, weight=1)
TIE_LINE = PriceLine(UUID(int=101), 1, "Week, complex", volume=1)


def tie_lot(quality: int = 60) -> LotRules:
    """One question worth ``quality`` (by default 60, 12 a point), and a one-item basket
    worth the rest."""
    return LotRules(
        (
            SectionRule(1, "Quality", SectionKind.QUALITY, quality),
            SectionRule(2, "Price", SectionKind.PRICE, 100 - quality),
        ),
        (TIE_QUESTION,),
        (TIE_LINE,),
        AwardRule(AwardMode.ONE),
    )


def tie_bid(name: str, score: int, price: int, minutes: int = 0, number: int = 0) -> BidEntry:
    return BidEntry(
        UUID(int=number or ord(name)),
        name,
        T0 + timedelta(minutes=minutes),
        {TIE_QUESTION.id: score},
        {TIE_LINE.id: price},
    )


def test_a_tie_on_the_total_is_broken_by_the_higher_quality_score() -> None:
    # A: 60 + 40 x 700/1000 = 88; B: 48 + 40 = 88. B submitted first, and still loses.
    a, b = tie_bid("A", 5, 1000, minutes=5), tie_bid("B", 4, 700)
    first, second = score_lot(tie_lot(), [b, a])
    assert (first.name, second.name) == ("A", "B")
    assert first.total == second.total == 88
    assert first.explanation[-1] == (
        "Tie with B on 88.00 broken by the higher quality score (60.00 against 48.00): "
        "ranked above B"
    )
    assert second.explanation[-1] == (
        "Tie with A on 88.00 broken by the higher quality score (48.00 against 60.00): "
        "ranked below A"
    )


def test_a_tie_on_total_and_quality_is_broken_by_the_earlier_final_submission() -> None:
    late, early = tie_bid("A", 4, 700, minutes=1), tie_bid("B", 4, 700)
    first, second = score_lot(tie_lot(), [late, early])
    assert (first.name, second.name) == ("B", "A")
    assert first.explanation[-1] == (
        "Tie with A on 88.00 and on quality (48.00) broken by the earlier final submission: "
        "ranked above A"
    )


def test_a_tie_on_everything_falls_to_a_fixed_order_of_bids() -> None:
    # Not by name: Z's identifier comes first.
    one, two = tie_bid("Z", 4, 700, number=1), tie_bid("A", 4, 700, number=2)
    for bids in ([one, two], [two, one]):
        first, second = score_lot(tie_lot(), bids)
        assert (first.bid_id, second.bid_id) == (one.id, two.id)
        assert first.explanation[-1] == (
            "Tie with A on 88.00, on quality and on the time of final submission, broken by "
            "the order of the bids' identifiers: ranked above A"
        )


def test_a_tied_bid_names_its_neighbours_in_the_ranking() -> None:
    entries = [tie_bid(name, 4, 700, minutes=m) for m, name in enumerate("CABD")]
    results = score_lot(tie_lot(), entries)
    assert [r.name for r in results] == ["C", "A", "B", "D"]
    ties = [[line for line in r.explanation if line.startswith("Tie with")] for r in results]
    assert [len(lines) for lines in ties] == [1, 2, 2, 1]
    assert ties[1][0].startswith("Tie with C on 88.00")
    assert ties[1][0].endswith("ranked below C")
    assert ties[1][1].startswith("Tie with B on 88.00")
    assert ties[1][1].endswith("ranked above B")


def test_totals_equal_to_two_places_but_not_exactly_say_so() -> None:
    # 40 x 100,000/100,001 = 39.9996: both totals read 100.00.
    first, second = score_lot(tie_lot(), [tie_bid("A", 5, 100_001), tie_bid("B", 5, 100_000)])
    assert (first.name, second.name) == ("B", "A")
    assert points(first.total or 0) == points(second.total or 0) == Decimal("100.00")
    assert first.explanation[-1] == (
        "Level with A on 100.00 to two decimal places; ranked above A on the unrounded total"
    )
    assert second.explanation[-1] == (
        "Level with B on 100.00 to two decimal places; ranked below B on the unrounded total"
    )


def test_a_quality_lead_too_small_to_show_is_named_as_such() -> None:
    # One point on a question weighing 1 in 10,000 is 0.0012; a basket 3 parts in 100,000
    # dearer costs exactly as much.
    small = QuestionRule(UUID(int=1), 1, 1, QuestionKind.SCALE, weight=1)
    large = QuestionRule(UUID(int=2), 2, 1, QuestionKind.SCALE, weight=9999)
    rules = replace(tie_lot(), questions=(small, large))

    def entry(name: str, score: int, price: int) -> BidEntry:
        return BidEntry(
            UUID(int=ord(name)), name, T0, {small.id: score, large.id: 5}, {TIE_LINE.id: price}
        )

    first, second = score_lot(rules, [entry("B", 4, 99_997), entry("A", 5, 100_000)])
    assert first.total == second.total
    assert (first.name, second.name) == ("A", "B")
    assert first.explanation[-1] == (
        "Tie with B on 100.00 broken by the higher quality score (60.00 for both to two "
        "decimal places, but not equal before rounding): ranked above B"
    )


@properties
@given(
    quality=st.integers(1, 99),
    scores=st.lists(st.integers(0, 5), min_size=2, max_size=2, unique=True).map(sorted),
    pence=st.integers(1, 1000),
    minutes=st.tuples(st.integers(0, 60), st.integers(0, 60)),
    numbers=st.lists(st.integers(1, 2**32), min_size=2, max_size=2, unique=True),
)
def test_a_tie_on_the_total_always_goes_to_the_higher_quality_score(
    quality: int, scores: list[int], pence: int, minutes: tuple[int, int], numbers: list[int]
) -> None:
    low, high = scores
    price = 100 - quality
    # The better bid's quality lead, quality x (high - low) / 5, is what its dearer basket
    # costs it: price x (1 - cheaper / dearer).
    shortfall = 5 * price - quality * (high - low)
    assume(shortfall > 0)
    better = tie_bid("A", high, 5 * price * pence, minutes[0], numbers[0])
    cheaper = tie_bid("B", low, shortfall * pence, minutes[1], numbers[1])
    first, second = score_lot(tie_lot(quality), [cheaper, better])
    assert (first.name, second.name) == ("A", "B")
    assert first.total is not None
    assert first.total == second.total
    assert first.explanation[-1] == (
        f"Tie with B on {points(first.total)} broken by the higher quality score "
        f"({points(first.quality)} against {points(second.quality)}): ranked above B"
    )


@properties
@given(
    quality=st.integers(0, 100),
    score=st.integers(0, 5),
    pence=st.integers(1, 10**6),
    minutes=st.lists(st.integers(0, 60), min_size=2, max_size=2, unique=True),
    numbers=st.lists(st.integers(1, 2**32), min_size=2, max_size=2, unique=True),
)
def test_a_tie_on_total_and_quality_always_goes_to_the_earlier_submission(
    quality: int, score: int, pence: int, minutes: list[int], numbers: list[int]
) -> None:
    a = tie_bid("A", score, pence, minutes[0], numbers[0])
    b = tie_bid("B", score, pence, minutes[1], numbers[1])
    earlier, later = sorted((a, b), key=lambda entry: entry.submitted_at)
    first, second = score_lot(tie_lot(quality), [a, b])
    assert (first.bid_id, second.bid_id) == (earlier.id, later.id)
    assert "broken by the earlier final submission" in first.explanation[-1]


# What the service must never pass --------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (
            lot(sections=(QUALITY, PRICE, replace(SOCIAL, weight=20))),
            r"Section weights must add up to 100 \(they add up to 110\)",
        ),
        (
            lot(
                sections=(
                    replace(QUALITY, weight=80),
                    replace(PRICE, weight=30),
                    replace(SOCIAL, weight=-10),
                )
            ),
            "Section 3 .Social value. has a negative weight",
        ),
        (
            lot(
                sections=(
                    QUALITY,
                    replace(PRICE, weight=20),
                    SectionRule(4, "Price", SectionKind.PRICE, 10),
                    SOCIAL,
                )
            ),
            "at most one price section",
        ),
        (
            lot(sections=(QUALITY, replace(PRICE, number=1), SOCIAL)),
            "Two section numbers are the same: 1",
        ),
        (
            lot(questions=(CQC, CARE, STAFF, replace(LOCAL, section=9))),
            "in section 9, which the lot does not have",
        ),
        (
            lot(
                questions=(
                    CQC,
                    CARE,
                    STAFF,
                    LOCAL,
                    replace(LOCAL, id=UUID(int=9), number=9, section=2),
                )
            ),
            "in the price section",
        ),
        (
            lot(questions=(replace(CQC, weight=5), CARE, STAFF, LOCAL)),
            "pass or fail question, so it carries no weight",
        ),
        (
            lot(questions=(CQC, CARE, STAFF, replace(LOCAL, minimum_score=1))),
            "only questions scored 0 to 5 take one",
        ),
        (
            lot(questions=(CQC, replace(CARE, minimum_score=6), STAFF, LOCAL)),
            "minimum score of 6, not 0 to 5",
        ),
        (
            lot(questions=(CQC, replace(CARE, weight=-1), STAFF, LOCAL)),
            "Question 2 has a negative weight",
        ),
        (
            lot(questions=(CQC, CARE, replace(STAFF, weight=0), LOCAL)),
            r"Section 1 \(Quality\) has questions that weigh 0 beside weighted ones",
        ),
        (
            lot(questions=(CQC, CARE, replace(STAFF, id=CARE.id), LOCAL)),
            "Two question ids are the same",
        ),
        (
            lot(questions=(CQC, CARE, replace(STAFF, number=2), LOCAL)),
            "Two question numbers are the same: 2",
        ),
        (
            lot(questions=(CQC, CARE, STAFF)),
            r"Section 3 \(Social value\) carries 10 points but has no question scored",
        ),
        (lot(price_lines=()), r"Section 2 \(Price\) needs a price schedule"),
        (
            lot(price_lines=(HOURS, replace(NIGHTS, volume=0))),
            r"Price line 2 \(Sleep-in night\) needs a volume above 0",
        ),
        (
            lot(price_lines=(HOURS, replace(NIGHTS, reference_pence=0))),
            "needs a reference price above £0, or none",
        ),
        (
            lot(price_lines=(HOURS, replace(NIGHTS, number=1))),
            "Two price line numbers are the same: 1",
        ),
        (lot(price_lines=(HOURS, replace(NIGHTS, id=HOURS.id))), "Two price line ids are the same"),
        (
            lot(outcome_points=OutcomePoints(1, 2, 0)),
            r"Outcome-test points must run .* \(they are 1, 2, 0\)",
        ),
        (lot(outcome_points=OutcomePoints(0, 0, 0)), "with Yes above 0"),
        (lot(abnormally_low_percent=101), "abnormally low share must be from 0 to 100 percent"),
        (lot(award=AwardRule(AwardMode.NUMBER)), "needs that number, 1 or more"),
        (lot(award=AwardRule(AwardMode.NUMBER, 0)), "needs that number, 1 or more"),
        (lot(award=AwardRule(AwardMode.ONE, 1)), "A lot that awards one provider takes no number"),
        (
            lot(award=AwardRule(AwardMode.ALL_THAT_PASS, 3)),
            "every provider that passes takes no number",
        ),
    ],
)
def test_malformed_rules_are_refused(rules: LotRules, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        score_lot(rules, [bid(1)])


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            replace(bid(1), marks={CQC.id: "pass", CARE.id: 4, LOCAL.id: "yes"}),
            "Bid Provider 1, question 3: no consensus mark",
        ),
        (
            replace(bid(1), marks=bid(1).marks | {UUID(int=99): 3}),
            "Bid Provider 1: a consensus mark for something not in this lot",
        ),
        (bid(1, care=6), "question 2: a score is a whole number from 0 to 5, not 6"),
        (bid(1, care=-1), "a score is a whole number from 0 to 5, not -1"),
        (bid(1, care=True), "a score is a whole number from 0 to 5, not True"),
        (bid(1, care="3"), "a score is a whole number from 0 to 5, not '3'"),
        (
            bid(1, local="maybe"),
            "question 4: an outcome test is marked yes, partially or no, not 'maybe'",
        ),
        (bid(1, local=2), "an outcome test is marked yes, partially or no, not 2"),
        (
            bid(1, cqc="yes"),
            "question 1: a pass or fail question is marked pass or fail, not 'yes'",
        ),
        (
            replace(bid(1), unit_prices={HOURS.id: 1400}),
            "Bid Provider 1: no price for Sleep-in night",
        ),
        (
            replace(bid(1), unit_prices=bid(1).unit_prices | {UUID(int=99): 1}),
            "a price for something not in this lot",
        ),
        (
            bid(1, nights=0),
            "the price for Sleep-in night must be a whole number of pence above 0, not 0",
        ),
        (
            replace(bid(1), submitted_at=datetime(2026, 11, 23, 10, 0)),
            "its submission time needs a time zone",
        ),
    ],
)
def test_malformed_bids_are_refused(entry: BidEntry, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        score_lot(lot(), [bid(2), entry])


def test_two_bids_with_one_id_are_refused() -> None:
    with pytest.raises(ValueError, match="Two bid ids are the same"):
        score_lot(lot(), [bid(1), replace(bid(2), id=bid(1).id)])


# Properties -------------------------------------------------------------------------------

# Hypothesis pays for every choice it makes, so the lot is drawn in a few dozen and each bid
# in one: a byte string read as its name, time, marks and prices. A byte shrinks towards 0,
# the lowest mark and price.

question_plans = st.tuples(
    st.sampled_from([QuestionKind.SCALE, QuestionKind.OUTCOME_TEST]),
    st.integers(1, 50),
    # Mostly no minimum, so that most bids compete.
    st.sampled_from([None, None, None, 0, 1, 2, 3]),
)
line_plans = st.tuples(st.integers(1, 2000), st.none() | st.integers(500, 5000))
award_rules = st.sampled_from(
    [AwardRule(AwardMode.ONE), AwardRule(AwardMode.ALL_THAT_PASS)]
    + [AwardRule(AwardMode.NUMBER, n) for n in (1, 2, 3, 5)]
)
outcome_points = st.sampled_from(
    [OutcomePoints(), OutcomePoints(3, 2, 0), OutcomePoints(1, 1, 0), OutcomePoints(4, 1, 1)]
)
NAMES = ["Ash Care", "Birch Homes", "Cedar Support", "Ash Care Ltd"]
OUTCOMES = ["no", "partially", "yes"]


@st.composite
def lots(draw: st.DrawFn, priced: bool | None = None) -> LotRules:
    """Any valid lot: one or two quality sections, perhaps price and social value, scale
    questions with and without minimums, outcome tests (weighted, or all weighing 0),
    gates, lines with and without reference prices, and any award rule."""
    kinds = [SectionKind.QUALITY] * draw(st.integers(1, 2))
    if draw(st.booleans()) if priced is None else priced:
        kinds.append(SectionKind.PRICE)
    if draw(st.booleans()):
        kinds.append(SectionKind.SOCIAL_VALUE)
    cuts = sorted(
        draw(st.lists(st.integers(0, 100), min_size=len(kinds) - 1, max_size=len(kinds) - 1))
    )
    weights = [high - low for low, high in zip([0, *cuts], [*cuts, 100], strict=True)]
    sections = [
        SectionRule(number, kind.label, kind, weight)
        for number, (kind, weight) in enumerate(zip(kinds, weights, strict=True), start=1)
    ]
    questions: list[QuestionRule] = []
    for section in sections:
        if section.kind is SectionKind.PRICE:
            continue
        # Sometimes every question weighs 0, as outcome tests do when added in a batch.
        unweighted = draw(st.booleans())
        for kind, weight, minimum in draw(st.lists(question_plans, min_size=1, max_size=4)):
            questions.append(
                QuestionRule(
                    UUID(int=len(questions) + 1),
                    len(questions) + 1,
                    section.number,
                    kind,
                    0 if unweighted else weight,
                    minimum if kind is QuestionKind.SCALE else None,
                )
            )
    for _ in range(draw(st.integers(0, 2))):
        questions.append(
            QuestionRule(
                UUID(int=len(questions) + 1), len(questions) + 1, 1, QuestionKind.PASS_FAIL
            )
        )
    plans = draw(st.lists(line_plans, min_size=1 if SectionKind.PRICE in kinds else 0, max_size=3))
    lines = [
        PriceLine(UUID(int=100 + number), number, f"Item {number}", volume, reference)
        for number, (volume, reference) in enumerate(plans, start=1)
    ]
    return LotRules(
        sections=sections,
        questions=questions,
        price_lines=lines,
        award=draw(award_rules),
        outcome_points=draw(outcome_points),
        abnormally_low_percent=draw(st.integers(0, 100)),
        exclude_above_reference=draw(st.booleans()),
    )


def bid_from(blob: bytes, place: int, rules: LotRules) -> BidEntry:
    """A bid read from a byte string: few names, times, marks and prices, so ties happen."""
    name, minutes, high, low, *rest = blob
    marks: dict[UUID, int | str] = {}
    for question, byte in zip(rules.questions, rest, strict=False):
        if question.kind is QuestionKind.SCALE:
            marks[question.id] = byte % 6
        elif question.kind is QuestionKind.OUTCOME_TEST:
            marks[question.id] = OUTCOMES[byte % 3]
        else:
            # Mostly passes, so that most bids compete.
            marks[question.id] = "fail" if byte % 4 == 3 else "pass"
    prices = rest[len(rules.questions) :]
    return BidEntry(
        # Unique by place; ordered unlike the input, so that the last tie-break is tested.
        UUID(int=(high << 24) | (low << 16) | place),
        NAMES[name % len(NAMES)],
        T0 + timedelta(minutes=minutes % 4),
        marks,
        {
            line.id: (byte % 24 + 1) * 250
            for line, byte in zip(rules.price_lines, prices, strict=True)
        },
    )


@st.composite
def lots_and_bids(draw: st.DrawFn, priced: bool | None = None) -> tuple[LotRules, list[BidEntry]]:
    rules = draw(lots(priced))
    size = 4 + len(rules.questions) + len(rules.price_lines)
    blobs = draw(st.lists(st.binary(min_size=size, max_size=size), min_size=1, max_size=8))
    return rules, [bid_from(blob, place, rules) for place, blob in enumerate(blobs)]


@properties
@given(lots_and_bids())
def test_totals_stay_within_0_and_100(case: tuple[LotRules, list[BidEntry]]) -> None:
    rules, bids = case
    for result in score_lot(rules, bids):
        for section in result.sections:
            assert section.score is None or 0 <= section.score <= section.weight
        if result.total is not None:
            assert 0 <= result.total <= 100
            assert result.total == sum(s.score or 0 for s in result.sections)


@properties
@given(lots_and_bids(priced=True))
def test_the_cheapest_compliant_basket_gets_the_whole_price_weight(
    case: tuple[LotRules, list[BidEntry]],
) -> None:
    rules, bids = case
    weight = next(s.weight for s in rules.sections if s.kind is SectionKind.PRICE)
    results = score_lot(rules, bids)
    compliant = [r for r in results if not r.excluded]
    assume(compliant)
    lowest = min(r.basket_pence for r in compliant)
    for result in compliant:
        assert result.price is not None
        assert (result.price == weight) == (result.basket_pence == lowest or weight == 0)
        assert result.price <= weight


BEST_FIRST = ["yes", "partially", "no"]
TOP = {QuestionKind.SCALE: 5, QuestionKind.OUTCOME_TEST: "yes", QuestionKind.PASS_FAIL: "pass"}


def raised(draw: st.DrawFn, question: QuestionRule, mark: int | str) -> int | str:
    """A better mark than ``mark``, which is not the top one."""
    if question.kind is QuestionKind.SCALE:
        assert isinstance(mark, int)
        return draw(st.integers(mark + 1, 5))
    if question.kind is QuestionKind.OUTCOME_TEST:
        return draw(st.sampled_from(BEST_FIRST[: BEST_FIRST.index(str(mark))]))
    return "pass"


@properties
@given(lots_and_bids(), st.data())
def test_raising_a_consensus_mark_never_lowers_the_total_nor_the_rank(
    case: tuple[LotRules, list[BidEntry]], data: st.DataObject
) -> None:
    rules, bids = case
    chosen = data.draw(st.integers(0, len(bids) - 1))
    entry = bids[chosen]
    raisable = [q for q in rules.questions if entry.marks[q.id] != TOP[q.kind]]
    assume(raisable)
    question = data.draw(st.sampled_from(raisable))
    better = replace(
        entry,
        marks={**entry.marks, question.id: raised(data.draw, question, entry.marks[question.id])},
    )
    before = {r.bid_id: r for r in score_lot(rules, bids)}[entry.id]
    after = {r.bid_id: r for r in score_lot(rules, [*bids[:chosen], better, *bids[chosen + 1 :]])}[
        entry.id
    ]
    # Excluded is the lowest standing: a better mark may lift a bid out of it, never into it.
    if before.total is not None:
        assert after.total is not None
        assert after.total >= before.total
    if before.rank is not None:
        assert after.rank is not None
        assert after.rank <= before.rank


@properties
@given(lots_and_bids())
def test_excluded_bids_are_never_ranked_nor_awarded(case: tuple[LotRules, list[BidEntry]]) -> None:
    rules, bids = case
    results = score_lot(rules, bids)
    ranked = [r for r in results if not r.excluded]
    for result in results:
        if result.excluded:
            assert result.rank is None
            assert result.total is None
            assert not result.awarded
            assert all(f"Excluded: {reason}" in result.explanation for reason in result.exclusions)
    assert [r.rank for r in ranked] == list(range(1, len(ranked) + 1))
    # The ranked first, then the excluded.
    assert list(results[: len(ranked)]) == ranked
    awarding = {
        AwardMode.ONE: 1,
        AwardMode.NUMBER: rules.award.providers or 0,
        AwardMode.ALL_THAT_PASS: len(ranked),
    }[rules.award.mode]
    assert [r.awarded for r in ranked] == [rank <= awarding for rank in range(1, len(ranked) + 1)]


@properties
@given(lots_and_bids(), st.randoms(use_true_random=True))
def test_results_do_not_depend_on_the_order_of_the_input(
    case: tuple[LotRules, list[BidEntry]], shuffler: random.Random
) -> None:
    rules, bids = case

    def shuffled(items: Sequence[Any]) -> list[Any]:
        return shuffler.sample(list(items), len(items))

    reordered = replace(
        rules,
        sections=shuffled(rules.sections),
        questions=shuffled(rules.questions),
        price_lines=shuffled(rules.price_lines),
    )
    again = [
        replace(
            b,
            marks=dict(shuffled(list(b.marks.items()))),
            unit_prices=dict(shuffled(list(b.unit_prices.items()))),
        )
        for b in shuffled(bids)
    ]
    assert score_lot(reordered, again) == score_lot(rules, bids)


@properties
@given(lots_and_bids())
def test_ranking_follows_total_then_quality_then_the_earlier_submission(
    case: tuple[LotRules, list[BidEntry]],
) -> None:
    rules, bids = case
    submitted = {b.id: b.submitted_at for b in bids}
    ranked = [r for r in score_lot(rules, bids) if not r.excluded]

    def standing(r: BidResult) -> tuple[Fraction, Fraction, datetime, UUID]:
        assert r.total is not None
        return (-r.total, -r.quality, submitted[r.bid_id], r.bid_id)

    for higher, lower in pairwise(ranked):
        assert standing(higher) < standing(lower)
        if higher.total == lower.total:
            assert any(line.startswith(f"Tie with {lower.name} on") for line in higher.explanation)
            assert any(line.startswith(f"Tie with {higher.name} on") for line in lower.explanation)
