"""The results of one lot's evaluation, as DESIGN.md's evaluation model defines them: section
scores from the consensus marks, price scores from basket costs, exclusions, reference-price
flags, the ranking, its tie-break and the award, each result explained in words.

Pure: no I/O; the service passes in what it loaded and checked. Arithmetic is exact
(``Fraction``) and the ranking compares exact values; figures are rounded, half up to two
decimal places, only where people read them (``points``). So a bid ahead by less than a
hundredth of a point is ahead, and its explanation says so."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from itertools import pairwise
from uuid import UUID

from tenders.vocabulary import AwardMode, QuestionKind, SectionKind

#: The top of the 0 (unacceptable) to 5 (excellent) scale.
SCALE_TOP = 5


class Outcome(StrEnum):
    """A consensus mark on an outcome test."""

    YES = "yes"
    PARTIALLY = "partially"
    NO = "no"


class Gate(StrEnum):
    """A consensus mark on a pass or fail question."""

    PASS = "pass"
    FAIL = "fail"


class FlagKind(StrEnum):
    ABOVE_REFERENCE = "above_reference"
    ABNORMALLY_LOW = "abnormally_low"


# What the service passes in ------------------------------------------------------------


@dataclass(frozen=True)
class SectionRule:
    number: int
    name: str
    kind: SectionKind
    #: Points out of 100.
    weight: int


@dataclass(frozen=True)
class QuestionRule:
    id: UUID
    number: int
    #: The number of the section it belongs to.
    section: int
    kind: QuestionKind
    #: Its weight within its section (scale and outcome-test questions; 0 for pass or fail).
    #: When every scored question of a section weighs 0, they count equally.
    weight: int = 0
    #: Scale questions only: a consensus score below it excludes the bid.
    minimum_score: int | None = None


@dataclass(frozen=True)
class PriceLine:
    """An item of the lot's price schedule."""

    id: UUID
    number: int
    description: str
    #: How many units the tender expects to buy, for the basket cost.
    volume: int
    reference_pence: int | None = None


@dataclass(frozen=True)
class OutcomePoints:
    yes: int = 2
    partially: int = 1
    no: int = 0


@dataclass(frozen=True)
class AwardRule:
    mode: AwardMode
    #: How many providers a ``NUMBER`` lot awards; None for the other modes.
    providers: int | None = None


@dataclass(frozen=True)
class LotRules:
    """What one lot's results follow from, frozen at publication."""

    sections: Sequence[SectionRule]
    #: The questions that apply to this lot.
    questions: Sequence[QuestionRule]
    price_lines: Sequence[PriceLine]
    award: AwardRule
    outcome_points: OutcomePoints = OutcomePoints()
    #: A unit price below this share of its reference price is flagged as abnormally low.
    abnormally_low_percent: int = 70
    exclude_above_reference: bool = False


@dataclass(frozen=True)
class BidEntry:
    """One submitted bid for the lot, with its consensus marks."""

    id: UUID
    name: str
    #: When it was last submitted (timezone-aware): the earlier wins a tie.
    submitted_at: datetime
    #: Per question id: 0 to 5 (scale), "yes", "partially" or "no" (outcome test),
    #: "pass" or "fail" (pass or fail question).
    marks: Mapping[UUID, int | str]
    #: Per price line id, in pence.
    unit_prices: Mapping[UUID, int]


# What comes out -------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionScore:
    number: int
    name: str
    kind: SectionKind
    weight: int
    #: None for the price of an excluded bid: it does not compete on price.
    score: Fraction | None


@dataclass(frozen=True)
class PriceFlag:
    kind: FlagKind
    line_id: UUID
    line_number: int
    description: str
    unit_price_pence: int
    reference_pence: int


@dataclass(frozen=True)
class BidResult:
    bid_id: UUID
    name: str
    #: In section order, price included.
    sections: tuple[SectionScore, ...]
    #: The quality sections' scores together: the first tie-break.
    quality: Fraction
    social_value: Fraction
    #: None when excluded; 0 when the tender has no price section.
    price: Fraction | None
    #: From 0 to 100; None when excluded.
    total: Fraction | None
    basket_pence: int
    #: 1 for the best; None when excluded.
    rank: int | None
    awarded: bool
    #: Why the bid is excluded, each a phrase to follow "Excluded: "; empty when it is not.
    exclusions: tuple[str, ...]
    flags: tuple[PriceFlag, ...]
    #: Plain-English sentences, for the results page and the assessment summary.
    explanation: tuple[str, ...]

    @property
    def excluded(self) -> bool:
        return bool(self.exclusions)


# Figures for people ---------------------------------------------------------------------


def points(value: Fraction) -> Decimal:
    """A score as people read it: rounded half up to two decimal places ("27.50")."""
    hundredths = (value.numerator * 200 + value.denominator) // (value.denominator * 2)
    return Decimal(hundredths).scaleb(-2)


def pounds(pence: int) -> str:
    """ "£12,345.60"."""
    return f"£{pence // 100:,}.{pence % 100:02d}"


def ordinal(number: int) -> str:
    """ "1st", "2nd", "3rd", "4th", "11th", "21st"."""
    teens = number % 100 in (11, 12, 13)
    suffix = "th" if teens else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


# The rules, checked once per lot --------------------------------------------------------

_SCORED = (QuestionKind.SCALE, QuestionKind.OUTCOME_TEST)


@dataclass(frozen=True)
class _ScoredSection:
    rule: SectionRule
    #: (the question's place in the plan's questions, what its mark is multiplied by).
    terms: tuple[tuple[int, int], ...]
    #: Σ weight * SCALE_TOP * Yes points: the denominator every mark shares.
    denominator: int


@dataclass(frozen=True)
class _Plan:
    rules: LotRules
    #: In number order.
    sections: tuple[SectionRule, ...]
    scored: tuple[_ScoredSection, ...]
    price: SectionRule | None
    #: Every question in number order, for their marks and gates.
    questions: tuple[QuestionRule, ...]
    lines: tuple[PriceLine, ...]
    #: Points per outcome-test mark.
    outcome_values: Mapping[str, int]


def _no_duplicates(what: str, values: Iterable[object]) -> None:
    seen: set[object] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"Two {what}s are the same: {value}")
        seen.add(value)


def _check_sections(sections: Sequence[SectionRule]) -> None:
    _no_duplicates("section number", (s.number for s in sections))
    for section in sections:
        if section.weight < 0:
            raise ValueError(f"Section {section.number} ({section.name}) has a negative weight")
    if (total := sum(s.weight for s in sections)) != 100:
        raise ValueError(f"Section weights must add up to 100 (they add up to {total})")
    if sum(s.kind is SectionKind.PRICE for s in sections) > 1:
        raise ValueError("A lot has at most one price section")


def _check_question(question: QuestionRule, section: SectionRule | None) -> None:
    label = f"Question {question.number}"
    if section is None:
        raise ValueError(f"{label} is in section {question.section}, which the lot does not have")
    if section.kind is SectionKind.PRICE:
        raise ValueError(f"{label} is in the price section, which is scored from the prices")
    if question.weight < 0:
        raise ValueError(f"{label} has a negative weight")
    if question.kind is QuestionKind.PASS_FAIL and question.weight:
        raise ValueError(f"{label} is a pass or fail question, so it carries no weight")
    if question.minimum_score is None:
        return
    if question.kind is not QuestionKind.SCALE:
        raise ValueError(f"{label} has a minimum score, but only questions scored 0 to 5 take one")
    if not 0 <= question.minimum_score <= SCALE_TOP:
        raise ValueError(f"{label} has a minimum score of {question.minimum_score}, not 0 to 5")


def _check_lot(rules: LotRules) -> None:
    outcome = rules.outcome_points
    if not outcome.yes >= outcome.partially >= outcome.no >= 0 or outcome.yes == 0:
        raise ValueError(
            "Outcome-test points must run Yes, Partially, No from most to least, with Yes above "
            f"0 (they are {outcome.yes}, {outcome.partially}, {outcome.no})"
        )
    if not 0 <= rules.abnormally_low_percent <= 100:
        raise ValueError("The abnormally low share must be from 0 to 100 percent")
    award = rules.award
    if award.mode is AwardMode.NUMBER and (award.providers is None or award.providers < 1):
        raise ValueError("A lot that awards a number of providers needs that number, 1 or more")
    if award.mode is not AwardMode.NUMBER and award.providers is not None:
        raise ValueError(f"A lot that awards {award.mode.label.lower()} takes no number")
    _no_duplicates("price line id", (line.id for line in rules.price_lines))
    _no_duplicates("price line number", (line.number for line in rules.price_lines))
    for line in rules.price_lines:
        if line.volume <= 0:
            raise ValueError(
                f"Price line {line.number} ({line.description}) needs a volume above 0"
            )
        if line.reference_pence is not None and line.reference_pence <= 0:
            raise ValueError(
                f"Price line {line.number} ({line.description}) needs a reference price above "
                "£0, or none"
            )


def _plan(rules: LotRules) -> _Plan:
    sections = sorted(rules.sections, key=lambda s: s.number)
    _check_sections(sections)
    by_number = {s.number: s for s in sections}
    questions = tuple(sorted(rules.questions, key=lambda q: q.number))
    _no_duplicates("question id", (q.id for q in questions))
    _no_duplicates("question number", (q.number for q in questions))
    for question in questions:
        _check_question(question, by_number.get(question.section))
    _check_lot(rules)
    price = next((s for s in sections if s.kind is SectionKind.PRICE), None)
    if price is not None and not rules.price_lines:
        raise ValueError(f"Section {price.number} ({price.name}) needs a price schedule")
    outcome = rules.outcome_points
    scored: list[_ScoredSection] = []
    for section in sections:
        if section.kind is SectionKind.PRICE:
            continue
        own = [
            (place, q)
            for place, q in enumerate(questions)
            if q.section == section.number and q.kind in _SCORED
        ]
        if section.weight and not own:
            raise ValueError(
                f"Section {section.number} ({section.name}) carries {section.weight} points "
                "but has no question scored 0 to 5 or outcome test"
            )
        # Councils weigh outcome tests alike: a section whose questions all weigh 0 counts
        # each the same, rather than dividing by nothing.
        weighted = any(q.weight for _, q in own)
        if weighted and not all(q.weight for _, q in own):
            raise ValueError(
                f"Section {section.number} ({section.name}) has questions that weigh 0 beside "
                "weighted ones, so they would count for nothing"
            )
        weights = [(place, q, q.weight if weighted else 1) for place, q in own]
        # Over SCALE_TOP * Yes points, a score of s counts s * Yes and an outcome of p, p * 5.
        terms = tuple(
            (place, weight * (outcome.yes if q.kind is QuestionKind.SCALE else SCALE_TOP))
            for place, q, weight in weights
        )
        denominator = sum(weight for _, _, weight in weights) * SCALE_TOP * outcome.yes
        scored.append(_ScoredSection(section, terms, denominator))
    return _Plan(
        rules=rules,
        sections=tuple(sections),
        scored=tuple(scored),
        price=price,
        questions=questions,
        lines=tuple(sorted(rules.price_lines, key=lambda line: line.number)),
        outcome_values={
            Outcome.YES: outcome.yes,
            Outcome.PARTIALLY: outcome.partially,
            Outcome.NO: outcome.no,
        },
    )


# One bid at a time ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Marked:
    bid: BidEntry
    #: Per non-price section number.
    scores: Mapping[int, Fraction]
    quality: Fraction
    social_value: Fraction
    basket: int
    exclusions: tuple[str, ...]
    flags: tuple[PriceFlag, ...]


_OUTCOMES = frozenset(Outcome)
_GATES = frozenset(Gate)


def _value(plan: _Plan, bid: BidEntry, question: QuestionRule) -> int:
    """The question's mark as a number: the score, the outcome-test points, or 1 for a pass
    and 0 for a fail."""
    mark = bid.marks.get(question.id)
    if mark is None:
        raise _bad_mark(bid, question, "no consensus mark")
    if question.kind is QuestionKind.SCALE:
        # type() rather than isinstance(): True is an int, and not a score.
        if type(mark) is not int or not 0 <= mark <= SCALE_TOP:
            raise _bad_mark(bid, question, f"a score is a whole number from 0 to 5, not {mark!r}")
        return mark
    if question.kind is QuestionKind.OUTCOME_TEST:
        if not isinstance(mark, str) or mark not in _OUTCOMES:
            raise _bad_mark(
                bid, question, f"an outcome test is marked yes, partially or no, not {mark!r}"
            )
        return plan.outcome_values[mark]
    if not isinstance(mark, str) or mark not in _GATES:
        raise _bad_mark(
            bid, question, f"a pass or fail question is marked pass or fail, not {mark!r}"
        )
    return int(mark == Gate.PASS)


def _bad_mark(bid: BidEntry, question: QuestionRule, problem: str) -> ValueError:
    return ValueError(f"Bid {bid.name}, question {question.number}: {problem}")


def _nothing_else(bid: BidEntry, given: Mapping[UUID, object], wanted: int, what: str) -> None:
    # Called once every wanted key is known to be there: any more are strangers.
    if len(given) != wanted:
        raise ValueError(f"Bid {bid.name}: {what} for something not in this lot")


def _mark(plan: _Plan, bid: BidEntry) -> _Marked:
    if bid.submitted_at.utcoffset() is None:
        raise ValueError(f"Bid {bid.name}: its submission time needs a time zone")
    values: list[int] = []
    exclusions: list[str] = []
    for question in plan.questions:
        value = _value(plan, bid, question)
        values.append(value)
        if question.kind is QuestionKind.PASS_FAIL and not value:
            exclusions.append(f"failed question {question.number} (a pass or fail question)")
        elif question.minimum_score is not None and value < question.minimum_score:
            exclusions.append(
                f"scored {value} on question {question.number}, "
                f"where the minimum is {question.minimum_score}"
            )
    _nothing_else(bid, bid.marks, len(values), "a consensus mark")
    scores: dict[int, Fraction] = {}
    quality = social_value = Fraction(0)
    for section in plan.scored:
        numerator = sum(factor * values[place] for place, factor in section.terms)
        score = (
            Fraction(section.rule.weight * numerator, section.denominator)
            if section.denominator
            else Fraction(0)
        )
        scores[section.rule.number] = score
        if section.rule.kind is SectionKind.QUALITY:
            quality += score
        else:
            social_value += score
    basket, flags, price_exclusions = _prices(plan, bid)
    return _Marked(
        bid, scores, quality, social_value, basket, (*exclusions, *price_exclusions), flags
    )


def _prices(plan: _Plan, bid: BidEntry) -> tuple[int, tuple[PriceFlag, ...], list[str]]:
    rules = plan.rules
    basket = 0
    flags: list[PriceFlag] = []
    exclusions: list[str] = []
    for line in plan.lines:
        unit = bid.unit_prices.get(line.id)
        if unit is None:
            raise ValueError(f"Bid {bid.name}: no price for {line.description}")
        if type(unit) is not int or unit <= 0:
            raise ValueError(
                f"Bid {bid.name}: the price for {line.description} must be a whole number "
                f"of pence above 0, not {unit!r}"
            )
        basket += unit * line.volume
        reference = line.reference_pence
        if reference is None:
            continue
        if unit > reference:
            flags.append(
                PriceFlag(
                    FlagKind.ABOVE_REFERENCE,
                    line.id,
                    line.number,
                    line.description,
                    unit,
                    reference,
                )
            )
            if rules.exclude_above_reference:
                exclusions.append(
                    f"the price for {line.description} is {pounds(unit)}, above the reference "
                    f"price of {pounds(reference)}, and this tender excludes bids above it"
                )
        # Whole pence against the exact share: 70% of 1,472p is 1,030.4p.
        elif unit * 100 < reference * rules.abnormally_low_percent:
            flags.append(
                PriceFlag(
                    FlagKind.ABNORMALLY_LOW, line.id, line.number, line.description, unit, reference
                )
            )
    _nothing_else(bid, bid.unit_prices, len(plan.lines), "a price")
    return basket, tuple(flags), exclusions


# The lot --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Standing:
    """Where a compliant bid stands in the lot."""

    price: Fraction
    total: Fraction
    rank: int
    #: How many bids are ranked.
    of: int
    awarded: bool


def score_lot(rules: LotRules, bids: Sequence[BidEntry]) -> tuple[BidResult, ...]:
    """Every bid's result: the ranked bids best first, then the excluded ones by name.

    The results do not depend on the order of the rules' sections, questions and price
    lines, nor of the bids.

    Raises ``ValueError`` for input the service should never pass: section weights that do
    not add up to 100, a weighted section with nothing to score, a section with questions
    of weight 0 beside weighted ones, a question in a missing
    section or in the price section, a bid without a consensus mark for some question or a
    price for some line (or with one for something not in the lot), a mark of the wrong kind
    or out of range, a volume or price of 0 or less, a submission time without a time zone,
    duplicate ids or numbers, or an award rule that does not fit its mode.
    """
    plan = _plan(rules)
    _no_duplicates("bid id", (bid.id for bid in bids))
    marked = [_mark(plan, bid) for bid in bids]
    compliant = [m for m in marked if not m.exclusions]
    # Only compliant bids compete on price.
    lowest = min((m.basket for m in compliant), default=0)
    prices = {
        # A price section has lines, each of a volume and a price above 0: no basket is 0.
        m.bid.id: Fraction(plan.price.weight * lowest, m.basket) if plan.price else Fraction(0)
        for m in compliant
    }
    totals = {m.bid.id: m.quality + prices[m.bid.id] + m.social_value for m in compliant}
    ranked = sorted(
        compliant, key=lambda m: (-totals[m.bid.id], -m.quality, m.bid.submitted_at, m.bid.id)
    )
    awarding = {
        AwardMode.ONE: 1,
        AwardMode.NUMBER: rules.award.providers or 0,
        AwardMode.ALL_THAT_PASS: len(ranked),
    }[rules.award.mode]
    ties = _ties(ranked, totals)
    results = [
        _result(
            plan,
            m,
            lowest,
            _Standing(prices[m.bid.id], totals[m.bid.id], rank, len(ranked), rank <= awarding),
            ties,
        )
        for rank, m in enumerate(ranked, start=1)
    ]
    excluded = sorted((m for m in marked if m.exclusions), key=lambda m: (m.bid.name, m.bid.id))
    results.extend(_result(plan, m, lowest, None, ties) for m in excluded)
    return tuple(results)


def _ties(ranked: Sequence[_Marked], totals: Mapping[UUID, Fraction]) -> Mapping[UUID, list[str]]:
    """Sentences for neighbours in the ranking whose totals read the same, saying what put
    one above the other. Neighbours only: they explain every place, and a bid tied with
    fifty others gets two sentences, not fifty."""
    sentences: dict[UUID, list[str]] = defaultdict(list)
    for first, second in pairwise(ranked):
        shown = points(totals[first.bid.id])
        if shown != points(totals[second.bid.id]):
            continue
        equal = totals[first.bid.id] == totals[second.bid.id]
        sentences[first.bid.id].append(_tie(first, second, shown, equal, "above"))
        sentences[second.bid.id].append(_tie(second, first, shown, equal, "below"))
    return sentences


def _against(mine: Fraction, theirs: Fraction) -> str:
    if points(mine) != points(theirs):
        return f"{points(mine)} against {points(theirs)}"
    return f"{points(mine)} for both to two decimal places, but not equal before rounding"


def _tie(me: _Marked, other: _Marked, shown: Decimal, equal: bool, side: str) -> str:
    name = other.bid.name
    if not equal:
        return (
            f"Level with {name} on {shown} to two decimal places; "
            f"ranked {side} {name} on the unrounded total"
        )
    if me.quality != other.quality:
        return (
            f"Tie with {name} on {shown} broken by the higher quality score "
            f"({_against(me.quality, other.quality)}): ranked {side} {name}"
        )
    if me.bid.submitted_at != other.bid.submitted_at:
        return (
            f"Tie with {name} on {shown} and on quality ({points(me.quality)}) broken by the "
            f"earlier final submission: ranked {side} {name}"
        )
    return (
        f"Tie with {name} on {shown}, on quality and on the time of final submission, broken "
        f"by the order of the bids' identifiers: ranked {side} {name}"
    )


def _award_words(award: AwardRule) -> str:
    if award.mode is AwardMode.ALL_THAT_PASS:
        return "the lot awards every provider that passes"
    count = award.providers if award.mode is AwardMode.NUMBER else 1
    return f"the lot awards {count} {'provider' if count == 1 else 'providers'}"


def _result(
    plan: _Plan,
    m: _Marked,
    lowest: int,
    standing: _Standing | None,
    ties: Mapping[UUID, list[str]],
) -> BidResult:
    explanation = [f"Excluded: {reason}" for reason in m.exclusions]
    sections: list[SectionScore] = []
    for section in plan.sections:
        if section.kind is not SectionKind.PRICE:
            score = m.scores[section.number]
            explanation.append(f"{section.name}: {points(score)} of {section.weight} points")
        elif standing is None:
            score = None
            explanation.append(
                f"{section.name}: basket {pounds(m.basket)}, not scored because the bid is excluded"
            )
        else:
            score = standing.price
            lowest_words = (
                "the lowest compliant basket"
                if m.basket == lowest
                else f"the lowest compliant basket is {pounds(lowest)}"
            )
            explanation.append(
                f"{section.name}: basket {pounds(m.basket)}, {lowest_words}, "
                f"so {points(score)} of {section.weight} points"
            )
        sections.append(
            SectionScore(section.number, section.name, section.kind, section.weight, score)
        )
    for flag in m.flags:
        unit, reference = pounds(flag.unit_price_pence), pounds(flag.reference_pence)
        if flag.kind is FlagKind.ABNORMALLY_LOW:
            explanation.append(
                f"Abnormally low: {flag.description} at {unit} is below "
                f"{plan.rules.abnormally_low_percent}% of the reference price of {reference}, "
                "for the officer to look into"
            )
        # Where above-reference bids are excluded, the exclusion has said it.
        elif not plan.rules.exclude_above_reference:
            explanation.append(
                f"Above the reference price: {flag.description} at {unit} against {reference}, "
                "for the officer to look into"
            )
    if standing is None:
        explanation.append("Not ranked or awarded, because the bid is excluded")
    else:
        explanation.append(f"Total: {points(standing.total)} of 100 points")
        explanation.append(
            f"Ranked {ordinal(standing.rank)} of {standing.of}; "
            f"{'awarded' if standing.awarded else 'not awarded'} "
            f"({_award_words(plan.rules.award)})"
        )
        explanation.extend(ties.get(m.bid.id, ()))
    return BidResult(
        bid_id=m.bid.id,
        name=m.bid.name,
        sections=tuple(sections),
        quality=m.quality,
        social_value=m.social_value,
        price=standing.price if standing else None,
        total=standing.total if standing else None,
        basket_pence=m.basket,
        rank=standing.rank if standing else None,
        awarded=standing.awarded if standing else False,
        exclusions=m.exclusions,
        flags=m.flags,
        explanation=tuple(explanation),
    )
