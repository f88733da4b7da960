"""JSON shapes of the evaluation API: panels and conflicts of interest, blind scoring,
moderation and results; how the services' views become them, and how the services' field
errors are named after the request's fields.

A 400 names each field the way the framework names a malformed one: its path in the body
(``scores[0].rationale``). Figures are decimal strings with two places ("27.50"), money is
in whole pence, and instants are UTC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from fractions import Fraction
from typing import Annotated
from uuid import UUID

import msgspec

from app.errors import Invalid
from evaluation import marks
from evaluation.scoring import FlagKind, points
from evaluation.services.moderation import ConsensusView, SignedOff
from evaluation.services.panels import Bidder
from evaluation.services.scores import ScoreView, missing_key
from evaluation.vocabulary import PanelRole
from tenders.services.views import LotView, QuestionView, TenderView
from tenders.vocabulary import QuestionKind, SectionKind, TenderStatus

#: A mark may be sent as a JSON number (a score) or as text.
Mark = int | str

# Requests -------------------------------------------------------------------------------


class PanelRequest(msgspec.Struct):
    evaluators: Annotated[
        list[UUID],
        msgspec.Meta(
            description="Ids of the council's users who score the lot, at least one. Errors "
            "are on `evaluators`."
        ),
    ] = msgspec.field(default_factory=list)
    moderator: Annotated[
        UUID | None,
        msgspec.Meta(
            description="The id of the user who agrees the consensus and does not score, or "
            "null. Errors are on `moderator`."
        ),
    ] = None


class DeclarationEntry(msgspec.Struct):
    organisation: Annotated[
        UUID,
        msgspec.Meta(
            description="A bidder's organisation id, from the lot's bidders. One that is not a "
            "bidder of the lot, or one named twice, is refused on "
            "`declarations[i].organisation`."
        ),
    ]
    conflict: Annotated[
        bool,
        msgspec.Meta(
            description="Whether you have a conflict of interest with the bidder. A conflict "
            "once declared cannot be withdrawn: refused on `declarations[i].conflict`."
        ),
    ]
    description: Annotated[
        str,
        msgspec.Meta(
            description="Required with a conflict: who you know there, and how (2,000 "
            "characters at most). Errors are on `declarations[i].description`."
        ),
    ] = ""


class DeclarationsRequest(msgspec.Struct):
    declarations: Annotated[
        list[DeclarationEntry],
        msgspec.Meta(
            description="One entry for each bidder of the lot, every one of them at once. "
            "Bidders left out are refused on `declarations`."
        ),
    ] = msgspec.field(default_factory=list)


class ScoreEntry(msgspec.Struct):
    question: Annotated[
        UUID,
        msgspec.Meta(
            description="A question of the lot. A question of another lot is refused on "
            "`scores`, one named twice on `scores[i].question`."
        ),
    ]
    mark: Annotated[
        Mark,
        msgspec.Meta(
            description="0 to 5 for a scored question, `yes`, `partially` or `no` for an "
            "outcome test, `pass` or `fail` for a pass or fail question (each question's "
            "`marks` lists them). Errors are on `scores[i].mark`."
        ),
    ] = ""
    rationale: Annotated[
        str,
        msgspec.Meta(
            description="The reason for the mark, required (5,000 characters at most). Errors "
            "are on `scores[i].rationale`."
        ),
    ] = ""
    quote: Annotated[
        str,
        msgspec.Meta(
            description="Optional: a passage copied from the bid's answer that supports the "
            "mark. Errors are on `scores[i].quote`."
        ),
    ] = ""


class ScoresRequest(msgspec.Struct):
    scores: Annotated[
        list[ScoreEntry],
        msgspec.Meta(
            description="Scores for some or all of the lot's questions; an entry with an empty "
            "mark, rationale and quote takes the question's score away."
        ),
    ] = msgspec.field(default_factory=list)


class ConsensusEntry(msgspec.Struct):
    question: Annotated[
        UUID,
        msgspec.Meta(
            description="A question of the lot. A question of another lot is refused on "
            "`consensus`, one named twice on `consensus[i].question`."
        ),
    ]
    mark: Annotated[
        Mark,
        msgspec.Meta(description="As for scores. Errors are on `consensus[i].mark`."),
    ] = ""
    rationale: Annotated[
        str,
        msgspec.Meta(
            description="The reason for the consensus, required. Errors are on "
            "`consensus[i].rationale`."
        ),
    ] = ""


class ConsensusRequest(msgspec.Struct):
    consensus: Annotated[
        list[ConsensusEntry],
        msgspec.Meta(
            description="The consensus for some or all of the bid's questions; an entry with "
            "an empty mark and rationale takes the question's consensus away."
        ),
    ] = msgspec.field(default_factory=list)


# Responses ------------------------------------------------------------------------------


class PanelMember(msgspec.Struct):
    user_id: UUID
    name: str
    email: str


class LotPanel(msgspec.Struct):
    lot_id: UUID
    lot_number: int
    lot_name: str
    #: By name.
    evaluators: list[PanelMember]
    moderator: PanelMember | None


class ConflictDeclaration(msgspec.Struct):
    """A line of the tender's conflicts record."""

    lot_id: UUID
    lot_number: int
    lot_name: str
    evaluator_id: UUID
    evaluator_name: str
    organisation_id: UUID
    organisation_name: str
    conflict: bool
    description: str
    first_declared_at: datetime
    #: Later than ``first_declared_at`` when a conflict was declared after "no conflict".
    declared_at: datetime


class PanelSeat(msgspec.Struct):
    tender_id: UUID
    tender_title: str
    tender_reference: str
    tender_status: Annotated[
        TenderStatus,
        msgspec.Meta(description="As stored: `published` until an officer opens the bids"),
    ]
    lot_id: UUID
    lot_number: int
    lot_name: str
    role: PanelRole


class PanelSeatPage(msgspec.Struct):
    items: list[PanelSeat]
    page: int
    pages: int
    total: int


class BidderOut(msgspec.Struct):
    """A bid for the lot, as its submission that counts."""

    bid_id: UUID
    organisation_id: UUID
    organisation_name: str
    #: The final submission's time of receipt: the earlier wins a tie.
    received_at: datetime


class EvaluationLot(msgspec.Struct):
    tender_id: UUID
    tender_title: str
    tender_reference: str
    tender_status: TenderStatus
    lot_id: UUID
    lot_number: int
    lot_name: str


class MarkChoice(msgspec.Struct):
    value: str
    label: str
    hint: str


class QuestionOut(msgspec.Struct):
    id: UUID
    number: int
    section_number: int
    section_name: str
    kind: QuestionKind
    text: str
    guidance: str
    #: Scale and outcome-test questions: their weight within the section.
    weight: int
    #: Scale questions: a consensus below it excludes the bid.
    minimum_score: int | None
    #: Outcome tests: the outcome they are grouped under.
    outcome: str | None
    #: The marks the question takes.
    marks: list[MarkChoice]


class ScoreOut(msgspec.Struct):
    """An evaluator's score for a question of a bid."""

    bid_id: UUID
    question_id: UUID
    evaluator_id: UUID
    evaluator_name: str
    mark: str
    #: The mark in words: "4 good", "Partially", "Pass".
    label: str
    rationale: str
    quote: str
    updated_at: datetime


class MissingMark(msgspec.Struct):
    """A question of a bid still without a mark."""

    bid_id: UUID
    question_id: UUID
    #: The key of its error when submitting or signing off too soon.
    field: str
    message: str


class SheetBid(msgspec.Struct):
    bid_id: UUID
    organisation_id: UUID
    organisation_name: str
    received_at: datetime
    #: How many of the lot's questions the evaluator has scored for it.
    scored: int


class ScoreSheet(msgspec.Struct):
    """An evaluator's own scores for a lot."""

    lot: EvaluationLot
    questions: list[QuestionOut]
    #: By the bidder's name.
    bids: list[SheetBid]
    scores: list[ScoreOut]
    #: When the evaluator submitted (and so locked) their scores; null while drafts.
    submitted_at: datetime | None
    missing: list[MissingMark]


class EvidenceOut(msgspec.Struct):
    """A file of the sealed bid: download it from the bid's `files/{sha256}`."""

    sha256: str
    name: str
    content_type: str
    size: int


class AnswerOut(msgspec.Struct):
    question_id: UUID
    question_number: int
    text: str
    #: A pass or fail question's declaration: `yes` or `no`.
    declaration: str | None
    evidence: list[EvidenceOut]


class BidReading(msgspec.Struct):
    """A bid as an evaluator reads and scores it."""

    lot: EvaluationLot
    bid: BidderOut
    questions: list[QuestionOut]
    #: The sealed answers, in question order.
    answers: list[AnswerOut]
    #: The evaluator's own scores for the bid.
    scores: list[ScoreOut]
    #: True until the evaluator submits their scores: until then ``others`` is empty.
    blind: bool
    #: The scores for the bid of the other evaluators who have submitted theirs.
    others: list[ScoreOut]
    submitted_at: datetime | None
    #: The bids before and after this one, by the bidder's name.
    previous_bid_id: UUID | None
    next_bid_id: UUID | None


class ConsensusOut(msgspec.Struct):
    mark: str
    label: str
    rationale: str
    moderator_name: str
    decided_at: datetime


class GridCell(msgspec.Struct):
    bid_id: UUID
    question_id: UUID
    #: Each evaluator's submitted score, by name.
    scores: list[ScoreOut]
    #: "2 to 4"; "2 Yes, 1 No".
    spread: str
    #: Why the scores are flagged as divergent, or null.
    flag: str | None
    consensus: ConsensusOut | None


class EvaluatorProgress(msgspec.Struct):
    user_id: UUID
    name: str
    submitted_at: datetime | None


class SignOffOut(msgspec.Struct):
    by: str
    at: datetime


class ModerationGrid(msgspec.Struct):
    """The lot's moderation grid."""

    lot: EvaluationLot
    questions: list[QuestionOut]
    bids: list[BidderOut]
    evaluators: list[EvaluatorProgress]
    #: The evaluators who have not submitted: consensus waits for them.
    waiting_for: list[str]
    #: Every evaluator has submitted: consensus can be recorded.
    ready: bool
    #: The caller is the lot's moderator and may record consensus.
    moderating: bool
    signed_off: SignOffOut | None
    flagged: int
    agreed: int
    #: By bid and question.
    cells: list[GridCell]
    #: The cells still without a consensus.
    missing: list[MissingMark]


class SectionScoreOut(msgspec.Struct):
    number: int
    name: str
    kind: SectionKind
    weight: int
    #: Null for the price of an excluded bid.
    score: str | None


class PriceFlagOut(msgspec.Struct):
    kind: FlagKind
    price_item_id: UUID
    item_number: int
    description: str
    unit_price_pence: int
    reference_pence: int


class ConsensusMark(msgspec.Struct):
    question_id: UUID
    mark: str
    label: str
    rationale: str


class BidResultOut(msgspec.Struct):
    bid_id: UUID
    organisation_id: UUID
    organisation_name: str
    received_at: datetime
    #: 1 for the best; null when excluded.
    rank: int | None
    awarded: bool
    excluded: bool
    #: Out of 100; null when excluded.
    total: str | None
    quality: str
    social_value: str
    #: Null when excluded.
    price: str | None
    basket_pence: int
    sections: list[SectionScoreOut]
    #: Why the bid is excluded, each a phrase to follow "Excluded: ".
    exclusions: list[str]
    flags: list[PriceFlagOut]
    #: Plain-English sentences: the scores, the ranking and how ties were broken.
    explanation: list[str]
    consensus: list[ConsensusMark]


class LotResults(msgspec.Struct):
    lot: EvaluationLot
    questions: list[QuestionOut]
    signed_off: SignOffOut
    #: Ranked bids best first, then the excluded ones by name.
    results: list[BidResultOut]


# Shapes from the services' views --------------------------------------------------------


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def figure(value: Fraction) -> str:
    """A score as people read it, to two places: "27.50"."""
    return str(points(value))


def evaluation_lot(tender: TenderView, lot: LotView, now: datetime) -> EvaluationLot:
    return EvaluationLot(
        tender.id,
        tender.title,
        tender.reference,
        tender.status(now),
        lot.id,
        lot.number,
        lot.name,
    )


def bidder(bid: Bidder) -> BidderOut:
    return BidderOut(bid.bid_id, bid.organisation_id, bid.name, utc(bid.received_at))


def questions(tender: TenderView, asked: Sequence[QuestionView]) -> list[QuestionOut]:
    sections = {section.id: section for section in tender.sections}
    return [
        QuestionOut(
            id=q.id,
            number=q.number,
            section_number=sections[q.section_id].number,
            section_name=sections[q.section_id].name,
            kind=q.kind,
            text=q.text,
            guidance=q.guidance,
            weight=q.weight,
            minimum_score=q.minimum_score,
            outcome=q.outcome,
            marks=[MarkChoice(c.value, c.label, c.hint) for c in marks.CHOICES[q.kind]],
        )
        for q in asked
    ]


def score(given: ScoreView, bid_id: UUID, kind: QuestionKind) -> ScoreOut:
    return ScoreOut(
        bid_id=bid_id,
        question_id=given.question_id,
        evaluator_id=given.evaluator_id,
        evaluator_name=given.evaluator_name,
        mark=given.mark,
        label=marks.label(kind, given.mark),
        rationale=given.rationale,
        quote=given.quote,
        updated_at=utc(given.updated_at),
    )


def consensus(view: ConsensusView, kind: QuestionKind) -> ConsensusOut:
    return ConsensusOut(
        view.mark,
        marks.label(kind, view.mark),
        view.rationale,
        view.moderator_name,
        utc(view.decided_at),
    )


def signed_off(view: SignedOff) -> SignOffOut:
    return SignOffOut(view.by, utc(view.at))


def missing(bid: Bidder, question: QuestionView, message: str) -> MissingMark:
    return MissingMark(bid.bid_id, question.id, missing_key(bid, question), message)


# Field errors named after the request ---------------------------------------------------


def entries_by_question(
    entries: Sequence[ScoreEntry] | Sequence[ConsensusEntry], field: str
) -> dict[UUID, int]:
    """Where each question is in the request's list. Raises ``Invalid`` on
    ``<field>[i].question`` for a question named twice."""
    places: dict[UUID, int] = {}
    for place, entry in enumerate(entries):
        if entry.question in places:
            raise Invalid({f"{field}[{place}].question": "Give each question once"})
        places[entry.question] = place
    return places


def renamed(error: Invalid, names: Mapping[str, str], fallback: str) -> Invalid:
    """The service's field errors under the request's names; those about nothing the
    request sent (a bidder left out) go together under ``fallback``."""
    errors: dict[str, str] = {}
    for key, message in error.field_errors.items():
        name = names.get(key, fallback)
        errors[name] = f"{errors[name]}; {message}" if name in errors else message
    return Invalid(errors)


def entry_names(places: Mapping[UUID, int], field: str, parts: Sequence[str]) -> dict[str, str]:
    """``mark-<question id>`` is ``scores[i].mark``, and so on for each part."""
    return {
        f"{part}-{question}": f"{field}[{place}].{part}"
        for question, place in places.items()
        for part in parts
    }
