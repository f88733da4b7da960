"""Pure rules of a bid: counting words, advice beside a price, and what stops a bid being
submitted. No I/O: the callers pass in what they loaded."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

from tenders.services.views import LotView, PriceItemView, QuestionView, TenderView
from tenders.vocabulary import QuestionKind

_WORD = re.compile(r"\S+")


def word_count(text: str) -> int:
    """Words as a reader counts them: runs of characters between spaces."""
    return len(_WORD.findall(text))


def price_advice(
    unit_price_pence: int | None, reference_pence: int | None, abnormally_low_percent: int
) -> str | None:
    """What an evaluator will notice about a price beside the council's reference price."""
    if unit_price_pence is None or reference_pence is None:
        return None
    if unit_price_pence > reference_pence:
        return "This is above the council's reference price"
    # Integer arithmetic: 70% of 1,472p is 1,030.4p, and 1,030p is below it.
    if unit_price_pence * 100 < reference_pence * abnormally_low_percent:
        return (
            f"This is below {abnormally_low_percent}% of the council's reference price: "
            "the council may ask you to explain how you can deliver the service for it"
        )
    return None


@dataclass(frozen=True)
class Answered:
    text: str
    declaration: str | None


@dataclass(frozen=True)
class Problem:
    """Something to fix before submitting, and where: a page of the bid and a field on it."""

    message: str
    #: The page, relative to the bid's own address ("lots", "lots/<id>/prices", ...).
    page: str
    field: str

    @property
    def href(self) -> str:
        return f"{self.page}#{self.field}"


def section_page(lot: LotView, question: QuestionView) -> str:
    return f"lots/{lot.id}/sections/{question.section_id}"


def prices_page(lot: LotView) -> str:
    return f"lots/{lot.id}/prices"


def answer_problem(question: QuestionView, answer: Answered | None) -> str | None:
    """Why an answer cannot be submitted as it is, if it cannot."""
    text = answer.text if answer else ""
    if question.kind is QuestionKind.PASS_FAIL and not (answer and answer.declaration):
        return f"Answer yes or no to question {question.number}"
    if question.kind is not QuestionKind.PASS_FAIL and not text.strip():
        return f"Answer question {question.number}"
    if question.word_limit is not None and (words := word_count(text)) > question.word_limit:
        over = words - question.word_limit
        return (
            f"Your answer to question {question.number} is {words:,} words: shorten it by "
            f"{over:,} {'word' if over == 1 else 'words'} to {question.word_limit:,} or fewer"
        )
    return None


def price_problem(item: PriceItemView, unit_price_pence: int | None) -> str | None:
    if unit_price_pence is None:
        return f"Enter a price for {item.description}"
    if unit_price_pence <= 0:
        return f"The price for {item.description} must be more than £0"
    return None


def lots_problem(tender: TenderView, chosen: Sequence[UUID]) -> str | None:
    if not chosen:
        return "Choose at least one lot to bid for"
    if tender.max_lots_per_bidder is not None and len(chosen) > tender.max_lots_per_bidder:
        limit = tender.max_lots_per_bidder
        return f"You can bid for {limit} {'lot' if limit == 1 else 'lots'} at most"
    return None


def bid_problems(
    tender: TenderView,
    chosen: Sequence[UUID],
    answers: Mapping[tuple[UUID, UUID], Answered],
    prices: Mapping[UUID, int | None],
) -> list[Problem]:
    """Every problem that stops a bid being submitted, in the order of its pages."""
    problems: list[Problem] = []
    if message := lots_problem(tender, chosen):
        problems.append(Problem(message, "lots", "lots"))
    for lot in tender.lots:
        if lot.id not in chosen:
            continue
        for question in tender.questions_for(lot):
            found = answers.get((lot.id, question.id))
            if message := answer_problem(question, found):
                field = (
                    f"declaration-{question.id}"
                    if question.kind is QuestionKind.PASS_FAIL
                    else f"answer-{question.id}"
                )
                problems.append(
                    Problem(f"Lot {lot.number}: {message}", section_page(lot, question), field)
                )
        for item in lot.price_items:
            if message := price_problem(item, prices.get(item.id)):
                problems.append(
                    Problem(f"Lot {lot.number}: {message}", prices_page(lot), f"price-{item.id}")
                )
    return problems
