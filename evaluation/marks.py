"""Marks: what an evaluator or moderator may give each kind of question, in words, and when
evaluators' marks diverge enough to flag (rule 9). Pure: no I/O.

A mark is stored as text: "0" to "5" for a question scored 0 to 5, "yes", "partially" or
"no" for an outcome test, "pass" or "fail" for a pass or fail question.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evaluation.scoring import SCALE_TOP, Gate, Outcome
from tenders.vocabulary import QuestionKind

#: The 0 to 5 scale's descriptors, as DESIGN.md's evaluation model names them.
DESCRIPTORS = ("Unacceptable", "Poor", "Weak", "Satisfactory", "Good", "Excellent")
#: A range of scores this wide or wider is flagged.
DIVERGENT_RANGE = 2


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    #: What the mark means, for the evaluator choosing it; empty where the label says it.
    hint: str = ""


_SCALE = tuple(
    Choice(str(score), f"{score} {DESCRIPTORS[score].lower()}") for score in range(SCALE_TOP + 1)
)
_OUTCOME = (
    Choice(Outcome.YES, "Yes", "The bid shows the test is met"),
    Choice(Outcome.PARTIALLY, "Partially", "The bid shows the test is met in part"),
    Choice(Outcome.NO, "No", "The bid does not show the test is met"),
)
_GATE = (Choice(Gate.PASS, "Pass"), Choice(Gate.FAIL, "Fail"))
CHOICES: dict[QuestionKind, tuple[Choice, ...]] = {
    QuestionKind.SCALE: _SCALE,
    QuestionKind.OUTCOME_TEST: _OUTCOME,
    QuestionKind.PASS_FAIL: _GATE,
}
_LABELS = {(kind, c.value): c.label for kind, choices in CHOICES.items() for c in choices}
#: The marks flagged when given together: (low, high).
_OPPOSITES = {
    QuestionKind.OUTCOME_TEST: (Outcome.NO, Outcome.YES),
    QuestionKind.PASS_FAIL: (Gate.FAIL, Gate.PASS),
}
_ASK = {
    QuestionKind.SCALE: "Choose a score from 0 to 5",
    QuestionKind.OUTCOME_TEST: "Choose Yes, Partially or No",
    QuestionKind.PASS_FAIL: "Choose Pass or Fail",
}


def is_mark(kind: QuestionKind, value: str) -> bool:
    return (kind, value) in _LABELS


def label(kind: QuestionKind, mark: str) -> str:
    """ "3 satisfactory", "Partially", "Fail"."""
    return _LABELS[(kind, mark)]


def ask(kind: QuestionKind) -> str:
    """The message for a missing or unknown mark."""
    return _ASK[kind]


def for_scoring(kind: QuestionKind, mark: str) -> int | str:
    """The mark as ``evaluation.scoring`` takes it: a score as a number, others as text."""
    return int(mark) if kind is QuestionKind.SCALE else mark


def divergence(kind: QuestionKind, marks: Sequence[str]) -> str | None:
    """Why the evaluators' marks for one question of one bid are flagged, in words, or None:
    scores 2 or more apart, or Yes against No (or Pass against Fail)."""
    if kind is QuestionKind.SCALE:
        scores = [int(mark) for mark in marks]
        if scores and max(scores) - min(scores) >= DIVERGENT_RANGE:
            return f"Scores range from {min(scores)} to {max(scores)}"
        return None
    low, high = _OPPOSITES[kind]
    if low in marks and high in marks:
        return f"{label(kind, high)} against {label(kind, low)}"
    return None


def spread(kind: QuestionKind, marks: Sequence[str]) -> str:
    """The range of scores ("2 to 4", "3"); for other kinds how many gave each mark
    ("2 Yes, 1 No"). Empty when there are none."""
    if not marks:
        return ""
    if kind is QuestionKind.SCALE:
        low, high = min(int(m) for m in marks), max(int(m) for m in marks)
        return str(low) if low == high else f"{low} to {high}"
    return ", ".join(
        f"{marks.count(choice.value)} {choice.label}"
        for choice in CHOICES[kind]
        if choice.value in marks
    )
