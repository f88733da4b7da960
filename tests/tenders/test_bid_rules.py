"""The pure rules of a bid, stated as properties: words are counted as a reader counts them,
price advice follows the reference price, a seal changes with anything the provider sent,
and every gap in a bid is named once, on the page where it can be fixed."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from hypothesis import assume, given
from hypothesis import strategies as st

from tenders import sealing
from tenders.bid_rules import Answered, bid_problems, price_advice, word_count
from tenders.services.views import (
    LotView,
    PriceItemView,
    QuestionView,
    SectionView,
    TenderView,
)
from tenders.vocabulary import (
    AwardMode,
    Declaration,
    PriceUnit,
    Procedure,
    QuestionKind,
    SectionKind,
    ServiceType,
    TenderStatus,
)

#: Every character Python counts as whitespace (what ``\s`` matches in a str pattern).
WHITESPACE = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())

words = st.lists(
    st.text(st.characters(exclude_characters=WHITESPACE), min_size=1, max_size=12),
    max_size=30,
)
spaces = st.text(st.sampled_from(WHITESPACE), min_size=1, max_size=4)


# Counting words ---------------------------------------------------------------------------


@given(words=words, gaps=st.data())
def test_words_joined_by_any_whitespace_are_each_counted(words: list[str], gaps) -> None:
    before = gaps.draw(st.text(st.sampled_from(WHITESPACE), max_size=3))
    after = gaps.draw(st.text(st.sampled_from(WHITESPACE), max_size=3))
    joined = "".join(gaps.draw(spaces) + word for word in words[1:])
    text = before + (words[0] + joined if words else "") + after
    assert word_count(text) == len(words)


@given(st.text())
def test_word_count_is_never_negative(text: str) -> None:
    assert word_count(text) >= 0


def test_words_are_what_a_reader_counts() -> None:
    assert word_count("") == 0
    assert word_count("  \n\t ") == 0
    assert word_count("We keep children safe.\n\nAlways.") == 5
    assert word_count("non-breaking\u00a0space") == 2


# Price advice -----------------------------------------------------------------------------

ABOVE = "This is above the council's reference price"
prices = st.integers(min_value=0, max_value=100_000_000)
percents = st.integers(min_value=1, max_value=100)


@given(price=prices, reference=prices, percent=percents)
def test_price_advice_follows_the_reference_price(price: int, reference: int, percent: int) -> None:
    advice = price_advice(price, reference, percent)
    above = advice == ABOVE
    low = advice is not None and advice.startswith(f"This is below {percent}%")
    assert above == (price > reference)
    assert low == (price * 100 < reference * percent)
    assert not (above and low)
    assert advice is None or above or low


@given(price=st.none() | prices, reference=st.none() | prices, percent=percents)
def test_no_advice_without_a_price_or_a_reference(
    price: int | None, reference: int | None, percent: int
) -> None:
    assume(price is None or reference is None)
    assert price_advice(price, reference, percent) is None


def test_seventy_percent_of_a_reference_is_counted_in_whole_pence() -> None:
    # 70% of 1,472p is 1,030.4p: 1,030p is below it, 1,031p is not.
    assert price_advice(1030, 1472, 70) is not None
    assert price_advice(1031, 1472, 70) is None
    assert price_advice(1472, 1472, 70) is None
    assert price_advice(1473, 1472, 70) == ABOVE


# Sealing ----------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
json_objects = st.dictionaries(st.text(max_size=8), json_values, max_size=6)


def reordered(value: Any) -> Any:
    """The same value with every object's keys in the reverse order."""
    if isinstance(value, dict):
        return {key: reordered(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reordered(item) for item in value]
    return value


@given(json_objects)
def test_canonical_json_does_not_depend_on_key_order(content: dict[str, Any]) -> None:
    assert sealing.canonical(reordered(content)) == sealing.canonical(content)
    assert sealing.digest(reordered(content)) == sealing.digest(content)


shas = st.sampled_from(["a" * 64, "b" * 64, "c" * 64, "d" * 64, "e" * 64])
evidence = st.fixed_dictionaries(
    {
        "sha256": shas,
        "name": st.text(min_size=1, max_size=20),
        "type": st.just("application/pdf"),
        "size": st.integers(min_value=1, max_value=10**9),
    }
)
answers = st.fixed_dictionaries(
    {
        "question": st.uuids().map(str),
        "number": st.integers(min_value=1, max_value=50),
        "text": st.text(max_size=40),
        "declaration": st.sampled_from([None, "yes", "no"]),
        "evidence": st.lists(evidence, max_size=3),
    }
)
price_rows = st.fixed_dictionaries(
    {
        "item": st.uuids().map(str),
        "number": st.integers(min_value=1, max_value=20),
        "unit_price_pence": st.none() | st.integers(min_value=0, max_value=10**8),
        "volume": st.integers(min_value=0, max_value=10**6),
    }
)
sealed_contents = st.fixed_dictionaries(
    {
        "tender": st.uuids().map(str),
        "bid": st.uuids().map(str),
        "organisation": st.uuids().map(str),
        "lots": st.lists(
            st.fixed_dictionaries(
                {
                    "lot": st.uuids().map(str),
                    "number": st.integers(min_value=1, max_value=10),
                    "answers": st.lists(answers, max_size=3),
                    "prices": st.lists(price_rows, max_size=3),
                }
            ),
            min_size=1,
            max_size=3,
        ),
    }
)


def _paths(content: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Where each answer text, declaration, price and evidence digest sits in the content."""
    found: list[tuple[Any, ...]] = []
    for i, lot in enumerate(content["lots"]):
        for j, answer in enumerate(lot["answers"]):
            found += [("lots", i, "answers", j, "text"), ("lots", i, "answers", j, "declaration")]
            found += [
                ("lots", i, "answers", j, "evidence", k, "sha256")
                for k in range(len(answer["evidence"]))
            ]
        found += [("lots", i, "prices", k, "unit_price_pence") for k in range(len(lot["prices"]))]
    return found


def _changed(value: Any) -> Any:
    if value is None:
        return "yes"
    if isinstance(value, int):
        return value + 1
    if value in ("yes", "no"):
        return {"yes": "no", "no": None}[value]
    if len(value) == 64:
        return "f" * 64
    return value + " "


@given(content=sealed_contents, data=st.data())
def test_the_digest_changes_with_anything_the_provider_sent(content: dict[str, Any], data) -> None:
    paths = _paths(content)
    assume(paths)
    path = data.draw(st.sampled_from(paths))
    before = sealing.digest(content)
    holder = content
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = _changed(holder[path[-1]])
    assert sealing.digest(content) != before


@given(sealed_contents)
def test_file_digests_are_each_listed_once_in_order(content: dict[str, Any]) -> None:
    everywhere = [
        e["sha256"] for lot in content["lots"] for a in lot["answers"] for e in a["evidence"]
    ]
    listed = sealing.file_digests(content)
    assert len(listed) == len(set(listed))
    assert set(listed) == set(everywhere)
    assert listed == sorted(set(everywhere), key=everywhere.index)


def test_file_digests_of_content_with_no_lots() -> None:
    assert sealing.file_digests({}) == []


# What stops a bid being submitted ---------------------------------------------------------

WHEN = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _uuid(draw: st.DrawFn) -> UUID:
    return draw(st.uuids())


@st.composite
def tenders(draw: st.DrawFn) -> TenderView:
    """A published tender of a few lots, each with price items; questions in a section or
    two, some for every lot, some for one lot, with or without a word limit."""
    lots = tuple(
        LotView(
            id=_uuid(draw),
            number=n,
            name=f"Lot {n}",
            service_type=ServiceType.COMPLEX_CARE,
            districts=("North",),
            complexity_band=None,
            award_mode=AwardMode.ONE,
            providers_to_award=1,
            price_items=tuple(
                PriceItemView(
                    id=_uuid(draw),
                    number=m,
                    description=f"Item {m}",
                    unit=PriceUnit.HOUR_DAYTIME,
                    volume=100,
                    reference_price_pence=1587,
                    minimum_call_minutes=None,
                )
                for m in range(1, draw(st.integers(min_value=0, max_value=2)) + 1)
            ),
        )
        for n in range(1, draw(st.integers(min_value=1, max_value=3)) + 1)
    )
    sections = []
    number = 0
    for s in range(1, draw(st.integers(min_value=1, max_value=2)) + 1):
        section_id = _uuid(draw)
        questions = []
        for _ in range(draw(st.integers(min_value=0, max_value=3))):
            number += 1
            kind = draw(st.sampled_from(QuestionKind))
            questions.append(
                QuestionView(
                    id=_uuid(draw),
                    number=number,
                    section_id=section_id,
                    lot_id=draw(st.none() | st.sampled_from([lot.id for lot in lots])),
                    kind=kind,
                    text=f"Question {number}",
                    guidance="",
                    word_limit=draw(st.none() | st.integers(min_value=1, max_value=8)),
                    weight=10,
                    minimum_score=None,
                    outcome=None,
                )
            )
        sections.append(
            SectionView(section_id, s, f"Section {s}", SectionKind.QUALITY, 50, tuple(questions))
        )
    return TenderView(
        id=_uuid(draw),
        buyer_id=_uuid(draw),
        buyer_name="Staffordshire County Council",
        title="Children's community support framework",
        reference="SCC-2026-041",
        description="",
        procedure=Procedure.OPEN,
        stored_status=TenderStatus.PUBLISHED,
        contract_months=36,
        estimated_value_pence=None,
        submission_deadline=WHEN,
        clarification_deadline=WHEN,
        standstill_applies=True,
        standstill_days=8,
        abnormally_low_percent=70,
        exclude_above_reference=False,
        max_lots_per_bidder=None,
        created_at=WHEN,
        published_at=WHEN,
        cancelled_at=None,
        cancel_reason=None,
        version=1,
        lots=lots,
        sections=tuple(sections),
        documents=(),
    )


def _good(question: QuestionView) -> Answered:
    words = min(question.word_limit or 5, 5)
    text = " ".join(["care"] * words)
    if question.kind is QuestionKind.PASS_FAIL:
        return Answered(text, Declaration.YES)
    return Answered(text, None)


def _too_long(question: QuestionView) -> Answered:
    assert question.word_limit is not None
    good = _good(question)
    return Answered(" ".join(["care"] * (question.word_limit + 1)), good.declaration)


@given(tender=tenders())
def test_a_complete_bid_has_no_problems(tender: TenderView) -> None:
    chosen = [lot.id for lot in tender.lots]
    answers = {(lot.id, q.id): _good(q) for lot in tender.lots for q in tender.questions_for(lot)}
    prices = {item.id: 1550 for lot in tender.lots for item in lot.price_items}
    assert bid_problems(tender, chosen, answers, prices) == []


@given(tender=tenders(), data=st.data())
def test_every_gap_is_one_problem_on_its_lots_page(tender: TenderView, data) -> None:
    chosen_lots = data.draw(
        st.lists(st.sampled_from(tender.lots), min_size=1, unique_by=lambda lot: lot.id)
    )
    chosen = [lot.id for lot in chosen_lots]
    answers: dict[tuple[UUID, UUID], Answered] = {}
    prices: dict[UUID, int | None] = {}
    expected: set[tuple[str, str, int]] = set()
    for lot in tender.lots:
        for question in tender.questions_for(lot):
            kinds = ["good", "missing", "empty"]
            if question.word_limit is not None:
                kinds.append("too long")
            state = data.draw(st.sampled_from(kinds))
            field = (
                f"declaration-{question.id}"
                if question.kind is QuestionKind.PASS_FAIL
                else f"answer-{question.id}"
            )
            if state == "good":
                answers[(lot.id, question.id)] = _good(question)
                continue
            if state == "too long":
                answers[(lot.id, question.id)] = _too_long(question)
            elif state == "empty":
                answers[(lot.id, question.id)] = Answered("   ", None)
            if lot.id in chosen:
                expected.add((f"lots/{lot.id}/sections/{question.section_id}", field, lot.number))
        for item in lot.price_items:
            state = data.draw(st.sampled_from(["good", "missing", "none", "zero"]))
            if state == "good":
                prices[item.id] = 1550
                continue
            if state == "none":
                prices[item.id] = None
            elif state == "zero":
                prices[item.id] = 0
            if lot.id in chosen:
                expected.add((f"lots/{lot.id}/prices", f"price-{item.id}", lot.number))

    problems = bid_problems(tender, chosen, answers, prices)

    found = [(p.page, p.field, int(p.message.split(":")[0].removeprefix("Lot "))) for p in problems]
    assert len(found) == len(set(found)), "a gap is named more than once"
    assert set(found) == expected
    for problem in problems:
        lot_id = problem.page.split("/")[1]
        assert lot_id in {str(i) for i in chosen}
        assert problem.href == f"{problem.page}#{problem.field}"


@given(tender=tenders())
def test_a_bid_for_no_lot_is_told_to_choose_one(tender: TenderView) -> None:
    problems = bid_problems(tender, [], {}, {})
    assert [(p.page, p.field, p.message) for p in problems] == [
        ("lots", "lots", "Choose at least one lot to bid for")
    ]
