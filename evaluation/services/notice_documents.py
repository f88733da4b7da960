"""The notices of an award decision (issue 7, part 3; Procurement Act 2023 s50, Procurement
Regulations 2024 reg 31), as PDF/A: for each bidder an assessment summary and a decision
letter, and the public award notice.

The assessment summary gives the bidder, for every lot it bid for, its own scores and the
consensus reason for every question, the scores and reasons of each bid awarded the lot,
and where its bid fell short of them. The decision letter says per lot whether the bid
was successful, unsuccessful or excluded (and why), when the standstill ends or that none
applies, and whom to ask about the decision. The award notice names the tender, each lot's
awarded suppliers with their totals, the date of the decision and the standstill, and no
other bidder.

The ``*_content`` functions turn the computed results (rule 10) and the signed-off
consensus into each document's words and figures without I/O; ``render_notices`` renders
them all, concurrently, through the PDF process pool. The same input gives the same bytes:
nothing here reads the clock, the caller passes ``now`` as the documents' creation date.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from functools import partial
from uuid import UUID

from app import pdf
from app.templating import make_environment
from evaluation.scoring import SCALE_TOP, BidResult, Gate, Outcome, ordinal, points, pounds
from evaluation.services.award_report import award_rule
from evaluation.services.moderation import ConsensusView
from evaluation.services.panels import Bidder
from evaluation.services.results import LotResults
from evaluation.vocabulary import LotOutcome, NoticeKind
from tenders.services.views import LotView, QuestionView, TenderView
from tenders.vocabulary import QuestionKind

SUMMARY_TEMPLATE = "pdf/assessment_summary.html"
LETTER_TEMPLATE = "pdf/decision_letter.html"
NOTICE_TEMPLATE = "pdf/award_notice.html"
#: How ties on the total are broken, as ``evaluation.scoring`` ranks the bids.
TIE_BREAK = (
    "a higher total before rounding, then the higher quality score, then the earlier final "
    "submission"
)
NO_STANDSTILL = (
    "No standstill period applies to this tender, so the council may confirm the award at once."
)
NOT_SCORED = "Not scored: excluded"
#: A mark's place in its kind's order, to tell where one bid's mark is below another's.
_ORDER: Mapping[QuestionKind, Mapping[str, int]] = {
    QuestionKind.SCALE: {str(score): score for score in range(SCALE_TOP + 1)},
    QuestionKind.OUTCOME_TEST: {Outcome.NO: 0, Outcome.PARTIALLY: 1, Outcome.YES: 2},
    QuestionKind.PASS_FAIL: {Gate.FAIL: 0, Gate.PASS: 1},
}


# What the service passes in -------------------------------------------------------------


@dataclass(frozen=True)
class LotEvaluation:
    """A lot's signed-off evaluation: its results and its consensus with the reasons."""

    #: From ``results.compute``.
    results: LotResults
    #: From ``moderation.load_consensus(lot.id)``: by (submission id, question id).
    consensus: Mapping[tuple[UUID, UUID], ConsensusView]


@dataclass(frozen=True)
class NoticeDocuments:
    #: By bidder organisation id: its assessment summary and its decision letter, as PDF bytes.
    summaries: dict[UUID, bytes]
    letters: dict[UUID, bytes]
    #: The public award notice.
    award_notice: bytes


# What the documents say -----------------------------------------------------------------


@dataclass(frozen=True)
class SectionLine:
    name: str
    weight: int
    #: Points to two decimal places, or ``NOT_SCORED`` for the price of an excluded bid.
    score: str


@dataclass(frozen=True)
class MarkLine:
    """One question's consensus mark and the moderator's reason for it."""

    number: int
    question: str
    #: In words: "4 good", "Partially", "Pass".
    mark: str
    reason: str


@dataclass(frozen=True)
class BidScores:
    name: str
    #: "Ranked 1st of 2" or "Excluded".
    standing: str
    sections: tuple[SectionLine, ...]
    #: Of 100 points, or ``NOT_SCORED``.
    total: str
    basket: str
    marks: tuple[MarkLine, ...]


@dataclass(frozen=True)
class LotSummary:
    heading: str
    outcome: LotOutcome
    #: One sentence: what became of the bid, and why in short.
    result: str
    own: BidScores
    #: Each bid awarded the lot, best ranked first; empty for a successful bidder.
    winners: tuple[BidScores, ...]
    #: Where the bid fell short of the awarded bids, one sentence each; empty when successful.
    shortfalls: tuple[str, ...]


@dataclass(frozen=True)
class Letterhead:
    """What every notice starts with."""

    council: str
    tender_title: str
    reference: str
    #: The day the notices are issued, in words: the date of the award decision.
    issued: str


@dataclass(frozen=True)
class SummaryContent:
    title: str
    bidder: str
    head: Letterhead
    lots: tuple[LotSummary, ...]
    #: When the standstill ends, or that none applies: one sentence.
    standstill: str


@dataclass(frozen=True)
class LetterLot:
    heading: str
    outcome: LotOutcome
    sentence: str


@dataclass(frozen=True)
class LetterContent:
    title: str
    bidder: str
    head: Letterhead
    lots: tuple[LetterLot, ...]
    standstill: str
    contact: str


@dataclass(frozen=True)
class AwardedSupplier:
    name: str
    #: Of 100 points.
    total: str


@dataclass(frozen=True)
class NoticeLot:
    heading: str
    bids: int
    awarded: tuple[AwardedSupplier, ...]
    #: Why nothing is awarded, when nothing is; else empty.
    no_award: str


@dataclass(frozen=True)
class NoticeContent:
    title: str
    head: Letterhead
    lots: tuple[NoticeLot, ...]
    standstill: str


# Words ---------------------------------------------------------------------------------


def day_words(day: date) -> str:
    """ "Tuesday 5 January 2027"."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def _points(value: Fraction | None) -> str:
    return NOT_SCORED if value is None else str(points(value))


def _fewer(difference: Decimal) -> str:
    return f"{difference} {'point' if difference == 1 else 'points'} fewer"


def _heading(lot: LotView) -> str:
    return f"Lot {lot.number}: {lot.name}"


def _names(names: Sequence[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _letterhead(tender: TenderView, issued_on: date) -> Letterhead:
    return Letterhead(tender.buyer_name, tender.title, tender.reference, day_words(issued_on))


def _standstill(issued_on: date, last_day: date | None) -> str:
    if last_day is None:
        return NO_STANDSTILL
    return (
        f"The standstill period runs from {day_words(issued_on)}, the day these notices were "
        f"issued, and its last day is {day_words(last_day)}. The council will not confirm the "
        "award, nor enter into a contract, before the standstill period has ended."
    )


def _ranked(found: LotResults) -> int:
    return sum(1 for r in found.results if not r.excluded)


def _standing(found: LotResults, result: BidResult) -> str:
    if result.excluded:
        return "Excluded"
    return f"Ranked {ordinal(result.rank or 0)} of {_ranked(found)}"


def _placing(found: LotResults, result: BidResult) -> str:
    """ "it ranked 2nd of 2 with 85.50 of 100 points, and the lot awards 1 provider (a
    block contract)"."""
    rule = award_rule(found.lot)
    return (
        f"it ranked {ordinal(result.rank or 0)} of {_ranked(found)} with "
        f"{_points(result.total)} of 100 points, and the lot {rule[0].lower()}{rule[1:]}"
    )


def _excluded(result: BidResult) -> str:
    reasons = result.exclusions
    said = "for this reason" if len(reasons) == 1 else "for these reasons"
    return f"Your bid was excluded, {said}: {'; '.join(reasons)}."


# The pure part: computed results to each document's words and figures --------------------


def _sorted(lots: Sequence[LotEvaluation]) -> list[LotEvaluation]:
    return sorted(lots, key=lambda given: given.results.lot.number)


def bidders(lots: Sequence[LotEvaluation]) -> dict[UUID, str]:
    """Every organisation that bid for one of the lots, by id, with its name; in the order
    of the lots, then of their results."""
    found: dict[UUID, str] = {}
    for given in _sorted(lots):
        for result in given.results.results:
            bid = given.results.bid(result)
            found.setdefault(bid.organisation_id, bid.name)
    return found


def _own(given: LotEvaluation, organisation_id: UUID) -> tuple[Bidder, BidResult] | None:
    found = given.results
    for result in found.results:
        bid = found.bid(result)
        if bid.organisation_id == organisation_id:
            return bid, result
    return None


def _bids_of(
    lots: Sequence[LotEvaluation], organisation_id: UUID
) -> list[tuple[LotEvaluation, Bidder, BidResult]]:
    """(the lot's evaluation, the organisation's bid, its result) for each lot it bid for.
    Raises ``ValueError`` when it bid for none of them."""
    mine = [
        (given, *own)
        for given in _sorted(lots)
        if (own := _own(given, organisation_id)) is not None
    ]
    if not mine:
        raise ValueError(f"Organisation {organisation_id} bid for none of these lots")
    return mine


def outcome_of(result: BidResult) -> LotOutcome:
    if result.excluded:
        return LotOutcome.EXCLUDED
    return LotOutcome.SUCCESSFUL if result.awarded else LotOutcome.UNSUCCESSFUL


def _scores(given: LotEvaluation, bid: Bidder, result: BidResult) -> BidScores:
    found = given.results
    return BidScores(
        name=result.name,
        standing=_standing(found, result),
        sections=tuple(SectionLine(s.name, s.weight, _points(s.score)) for s in result.sections),
        total=_points(result.total),
        basket=pounds(result.basket_pence),
        marks=tuple(
            MarkLine(
                q.number,
                q.text,
                found.mark(bid, q),
                given.consensus[(bid.submission_id, q.id)].rationale,
            )
            for q in _questions(found)
        ),
    )


def _questions(found: LotResults) -> list[QuestionView]:
    return sorted(found.questions, key=lambda q: q.number)


def _below(found: LotResults, question: QuestionView, mine: Bidder, theirs: Bidder) -> bool:
    order = _ORDER[question.kind]
    return (
        order[found.consensus[(mine.submission_id, question.id)]]
        < order[found.consensus[(theirs.submission_id, question.id)]]
    )


def _shortfalls(
    found: LotResults, bid: Bidder, result: BidResult, winners: Sequence[BidResult]
) -> tuple[str, ...]:
    """Where the bid fell short of each awarded bid: its exclusions, each question where
    its mark is below the awarded bid's, its price score and its total."""
    said = [f"Excluded: {reason}." for reason in result.exclusions]
    if not winners:
        return (*said, "No bid was awarded this lot: every bid was excluded.")
    for winner in winners:
        their_bid = found.bid(winner)
        for question in _questions(found):
            if _below(found, question, bid, their_bid):
                said.append(
                    f"Question {question.number} ({question.text}): your bid's consensus mark "
                    f"was {found.mark(bid, question)}; {winner.name}'s was "
                    f"{found.mark(their_bid, question)}."
                )
    if result.price is None or result.total is None:
        said.append("Your bid was not scored on price, nor ranked, because it was excluded.")
        return tuple(said)
    for winner in winners:
        if winner.price is not None and result.price < winner.price:
            mine, theirs = points(result.price), points(winner.price)
            said.append(
                f"Price: your bid scored {mine} points and {winner.name}'s {theirs}, "
                f"{_fewer(theirs - mine)}: your basket cost {pounds(result.basket_pence)} "
                f"against {pounds(winner.basket_pence)}."
            )
    for winner in winners:
        mine, theirs = points(result.total), points(winner.total or 0)
        if mine == theirs:
            said.append(
                f"In total your bid and {winner.name}'s both scored {mine} of 100 points to two "
                f"decimal places; the tie was broken in {winner.name}'s favour by {TIE_BREAK}."
            )
        else:
            said.append(
                f"In total your bid scored {mine} of 100 points and {winner.name}'s {theirs}, "
                f"{_fewer(theirs - mine)}."
            )
    return tuple(said)


def _lot_summary(given: LotEvaluation, bid: Bidder, result: BidResult) -> LotSummary:
    found = given.results
    outcome = outcome_of(result)
    own = _scores(given, bid, result)
    if outcome is LotOutcome.SUCCESSFUL:
        return LotSummary(
            _heading(found.lot),
            outcome,
            f"Your bid was successful: {_placing(found, result)}.",
            own,
            (),
            (),
        )
    winners = [r for r in found.results if r.awarded]
    if outcome is LotOutcome.EXCLUDED:
        sentence = _excluded(result)
    else:
        sentence = f"Your bid was not successful: {_placing(found, result)}."
    return LotSummary(
        _heading(found.lot),
        outcome,
        sentence,
        own,
        tuple(_scores(given, found.bid(w), w) for w in winners),
        _shortfalls(found, bid, result, winners),
    )


def summary_content(
    tender: TenderView,
    lots: Sequence[LotEvaluation],
    organisation_id: UUID,
    *,
    issued_on: date,
    standstill_last_day: date | None,
) -> SummaryContent:
    """The assessment summary for one bidder, over every lot it bid for. Pure.

    Raises ``ValueError`` when the organisation bid for none of the lots."""
    mine = _bids_of(lots, organisation_id)
    name = mine[0][1].name
    return SummaryContent(
        title=f"{NoticeKind.ASSESSMENT_SUMMARY.label} for {name}: {tender.title}",
        bidder=name,
        head=_letterhead(tender, issued_on),
        lots=tuple(_lot_summary(given, bid, result) for given, bid, result in mine),
        standstill=_standstill(issued_on, standstill_last_day),
    )


def _letter_lot(given: LotEvaluation, result: BidResult) -> LetterLot:
    found = given.results
    outcome = outcome_of(result)
    if outcome is LotOutcome.SUCCESSFUL:
        sentence = (
            f"Your bid was successful: {_placing(found, result)}. The council intends to award "
            "you a contract for this lot."
        )
    elif outcome is LotOutcome.EXCLUDED:
        sentence = _excluded(result)
    else:
        winners = [r.name for r in found.results if r.awarded]
        sentence = (
            f"Your bid was not successful: {_placing(found, result)}. The council intends to "
            f"award the contract for this lot to {_names(winners)}."
        )
    return LetterLot(_heading(found.lot), outcome, sentence)


def letter_content(
    tender: TenderView,
    lots: Sequence[LotEvaluation],
    organisation_id: UUID,
    *,
    issued_on: date,
    standstill_last_day: date | None,
    contact: str,
) -> LetterContent:
    """The decision letter for one bidder. Pure.

    Raises ``ValueError`` when the organisation bid for none of the lots."""
    mine = _bids_of(lots, organisation_id)
    name = mine[0][1].name
    return LetterContent(
        title=f"{NoticeKind.DECISION_LETTER.label} for {name}: {tender.title}",
        bidder=name,
        head=_letterhead(tender, issued_on),
        lots=tuple(_letter_lot(given, result) for given, _, result in mine),
        standstill=_standstill(issued_on, standstill_last_day),
        contact=contact,
    )


def notice_content(
    tender: TenderView,
    lots: Sequence[LotEvaluation],
    *,
    issued_on: date,
    standstill_last_day: date | None,
) -> NoticeContent:
    """The public award notice: every lot of the tender, those not in ``lots`` as having
    received no bids. Names the awarded suppliers only. Pure."""
    evaluated = {given.results.lot.id: given.results for given in lots}
    notice_lots = []
    for lot in sorted(tender.lots, key=lambda lot: lot.number):
        found = evaluated.get(lot.id)
        if found is None or not found.results:
            notice_lots.append(NoticeLot(_heading(lot), 0, (), "No bids were received."))
            continue
        awarded = tuple(
            AwardedSupplier(r.name, _points(r.total)) for r in found.results if r.awarded
        )
        notice_lots.append(
            NoticeLot(
                _heading(lot),
                len(found.results),
                awarded,
                "" if awarded else "No contract is awarded: every bid was excluded.",
            )
        )
    return NoticeContent(
        title=f"{NoticeKind.AWARD_NOTICE.label}: {tender.title}",
        head=_letterhead(tender, issued_on),
        lots=tuple(notice_lots),
        standstill=_standstill(issued_on, standstill_last_day),
    )


# Rendering ------------------------------------------------------------------------------


def _notice_htmls(
    tender: TenderView,
    lots: Sequence[LotEvaluation],
    organisations: Sequence[UUID],
    *,
    issued_on: date,
    standstill_last_day: date | None,
    contact: str,
    now: datetime,
) -> list[str]:
    """Each bidder's summary, then each bidder's letter, then the award notice, as HTML."""
    environment = make_environment()
    htmls = []
    for organisation in organisations:
        summary = summary_content(
            tender, lots, organisation, issued_on=issued_on, standstill_last_day=standstill_last_day
        )
        htmls.append(
            pdf.html_for(
                SUMMARY_TEMPLATE,
                {"summary": summary},
                title=summary.title,
                created=now,
                environment=environment,
            )
        )
    for organisation in organisations:
        letter = letter_content(
            tender,
            lots,
            organisation,
            issued_on=issued_on,
            standstill_last_day=standstill_last_day,
            contact=contact,
        )
        htmls.append(
            pdf.html_for(
                LETTER_TEMPLATE,
                {"letter": letter},
                title=letter.title,
                created=now,
                environment=environment,
            )
        )
    notice = notice_content(
        tender, lots, issued_on=issued_on, standstill_last_day=standstill_last_day
    )
    htmls.append(
        pdf.html_for(
            NOTICE_TEMPLATE,
            {"notice": notice},
            title=notice.title,
            created=now,
            environment=environment,
        )
    )
    return htmls


async def render_notices(
    tender: TenderView,
    lots: Sequence[LotEvaluation],
    *,
    issued_on: date,
    standstill_last_day: date | None,
    contact: str,
    now: datetime,
) -> NoticeDocuments:
    """Every bidder's assessment summary and decision letter and the award notice, as
    PDF/A, rendered concurrently through the PDF process pool. ``now`` is the documents'
    creation date: the same input gives the same bytes.

    ``contact`` is a sentence saying whom a bidder should write to with questions."""
    organisations = list(bidders(lots))
    # Their words and HTML, for every bidder at once, in a worker thread: a tenth of a
    # second and more for a large tender that the event loop would otherwise stop for.
    htmls = await asyncio.to_thread(
        partial(
            _notice_htmls,
            tender,
            lots,
            organisations,
            issued_on=issued_on,
            standstill_last_day=standstill_last_day,
            contact=contact,
            now=now,
        )
    )
    rendered = await asyncio.gather(*(pdf.pdf_of(html) for html in htmls))
    count = len(organisations)
    return NoticeDocuments(
        summaries=dict(zip(organisations, rendered[:count], strict=True)),
        letters=dict(zip(organisations, rendered[count : 2 * count], strict=True)),
        award_notice=rendered[-1],
    )
