"""Marks: what an evaluator or moderator may give each kind of question and how it reads,
and when the evaluators' marks for one question of one bid diverge enough for the moderator
to look again (rule 9): scores 2 or more apart on the 0 to 5 scale, Yes against No on an
outcome test, Pass against Fail on a gate."""

from __future__ import annotations

import pytest

from evaluation import marks
from tenders.vocabulary import QuestionKind

SCALE, OUTCOME, GATE = QuestionKind.SCALE, QuestionKind.OUTCOME_TEST, QuestionKind.PASS_FAIL


def values(kind: QuestionKind) -> list[str]:
    return [choice.value for choice in marks.CHOICES[kind]]


# Choices and labels -----------------------------------------------------------------------


def test_every_kind_of_question_has_its_choices_in_the_order_people_read_them() -> None:
    assert values(SCALE) == ["0", "1", "2", "3", "4", "5"]
    assert values(OUTCOME) == ["yes", "partially", "no"]
    assert values(GATE) == ["pass", "fail"]
    assert set(marks.CHOICES) == set(QuestionKind)


def test_scale_marks_read_as_the_score_and_its_descriptor() -> None:
    assert [marks.label(SCALE, value) for value in values(SCALE)] == [
        "0 unacceptable",
        "1 poor",
        "2 weak",
        "3 satisfactory",
        "4 good",
        "5 excellent",
    ]


def test_outcome_and_gate_marks_read_as_words_with_a_hint_for_outcomes() -> None:
    assert [marks.label(OUTCOME, value) for value in values(OUTCOME)] == [
        "Yes",
        "Partially",
        "No",
    ]
    assert [marks.label(GATE, value) for value in values(GATE)] == ["Pass", "Fail"]
    assert all(choice.hint for choice in marks.CHOICES[OUTCOME])
    assert marks.CHOICES[OUTCOME][1].hint == "The bid shows the test is met in part"


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (SCALE, "3"),
        (SCALE, "0"),
        (OUTCOME, "partially"),
        (GATE, "fail"),
    ],
)
def test_a_mark_of_the_questions_kind_is_a_mark(kind: QuestionKind, value: str) -> None:
    assert marks.is_mark(kind, value)


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (SCALE, "6"),
        (SCALE, "-1"),
        (SCALE, "3.5"),
        (SCALE, " 3"),
        (SCALE, "yes"),
        (SCALE, ""),
        (OUTCOME, "Yes"),
        (OUTCOME, "pass"),
        (OUTCOME, "2"),
        (GATE, "yes"),
        (GATE, "PASS"),
    ],
)
def test_anything_else_is_not_a_mark(kind: QuestionKind, value: str) -> None:
    assert not marks.is_mark(kind, value)


def test_a_missing_or_unknown_mark_is_asked_for_in_the_questions_terms() -> None:
    assert marks.ask(SCALE) == "Choose a score from 0 to 5"
    assert marks.ask(OUTCOME) == "Choose Yes, Partially or No"
    assert marks.ask(GATE) == "Choose Pass or Fail"


def test_scores_are_counted_as_numbers_and_other_marks_as_words() -> None:
    assert marks.for_scoring(SCALE, "4") == 4
    assert marks.for_scoring(OUTCOME, "partially") == "partially"
    assert marks.for_scoring(GATE, "fail") == "fail"


# Divergence --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "flag"),
    [
        (["1", "3"], "Scores range from 1 to 3"),
        (["3", "1"], "Scores range from 1 to 3"),
        (["0", "5", "3"], "Scores range from 0 to 5"),
        (["2", "3", "4"], "Scores range from 2 to 4"),
    ],
)
def test_scores_two_or_more_apart_are_flagged(given: list[str], flag: str) -> None:
    assert marks.divergence(SCALE, given) == flag


@pytest.mark.parametrize("given", [["3", "4"], ["4", "3", "4"], ["2", "2"], ["5"], []])
def test_scores_at_most_one_apart_are_not_flagged(given: list[str]) -> None:
    assert marks.divergence(SCALE, given) is None


@pytest.mark.parametrize("given", [["yes", "no"], ["no", "partially", "yes"], ["no", "yes", "yes"]])
def test_yes_against_no_is_flagged(given: list[str]) -> None:
    assert marks.divergence(OUTCOME, given) == "Yes against No"


@pytest.mark.parametrize(
    "given", [["yes", "partially"], ["partially", "no"], ["no", "no"], ["yes"], []]
)
def test_outcome_marks_a_step_apart_are_not_flagged(given: list[str]) -> None:
    assert marks.divergence(OUTCOME, given) is None


def test_pass_against_fail_is_flagged_and_agreement_is_not() -> None:
    assert marks.divergence(GATE, ["pass", "fail"]) == "Pass against Fail"
    assert marks.divergence(GATE, ["fail", "pass", "pass"]) == "Pass against Fail"
    assert marks.divergence(GATE, ["pass", "pass"]) is None
    assert marks.divergence(GATE, ["fail"]) is None


# Spread --------------------------------------------------------------------------------------


def test_the_spread_of_scores_is_their_range_or_the_one_score_they_agree_on() -> None:
    assert marks.spread(SCALE, ["4", "2", "3"]) == "2 to 4"
    assert marks.spread(SCALE, ["3", "3"]) == "3"
    assert marks.spread(SCALE, ["0"]) == "0"


def test_the_spread_of_other_marks_counts_each_in_the_order_of_the_choices() -> None:
    assert marks.spread(OUTCOME, ["no", "yes", "yes"]) == "2 Yes, 1 No"
    assert marks.spread(OUTCOME, ["partially", "yes", "partially"]) == "1 Yes, 2 Partially"
    assert marks.spread(GATE, ["fail", "pass"]) == "1 Pass, 1 Fail"
    assert marks.spread(GATE, ["pass", "pass"]) == "2 Pass"


@pytest.mark.parametrize("kind", list(QuestionKind))
def test_no_marks_have_no_spread_and_no_flag(kind: QuestionKind) -> None:
    assert marks.spread(kind, []) == ""
    assert marks.divergence(kind, []) is None
