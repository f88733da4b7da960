"""The award report (issue 7, part 1): one PDF/A for the decision maker, recommending the
award of every lot of a moderated tender, and saying why in plain English.

It sets out the requirement and its lots; the evaluation method and its weights; each lot's
panel and the tender's conflicts record; each lot's ranked results with their quality,
price and social value scores, the exclusions and their reasons; the prices against the
reference prices, with the flags for the officer to look into; the moderation, every cell
where the evaluators diverged beside the consensus and its reason; and the recommendation:
the bids the results award, and why each other bid is not recommended.

Everything in it is computed (rule 10) from the signed-off consensus and the sealed prices,
through ``evaluation.services.results``; nothing is typed in. ``report_content`` turns the
loaded values into the report's words and figures without I/O, and the same values and
``now`` give the same bytes, so the approval can be recorded against the PDF's SHA-256.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from itertools import pairwise
from uuid import UUID

from app import pdf
from app.accounts import CurrentUser
from app.clock import LONDON
from app.errors import InvalidTransition, NotPermitted
from app.templating import london_time
from evaluation import marks
from evaluation.scoring import BidResult, OutcomePoints, ordinal, points, pounds
from evaluation.services import exports, moderation, panels, results
from evaluation.services.moderation import Grid
from evaluation.services.panels import DeclarationRecord, LotPanel
from evaluation.services.results import LotResults
from tenders.services.opening import council_tender
from tenders.services.views import LotView, QuestionView, TenderView
from tenders.vocabulary import AwardMode, QuestionKind, SectionKind, TenderStatus

TEMPLATE = "pdf/award_report.html"
#: The signs the formulas are written with, by name (ruff mistakes the literal sign for an x).
TIMES = "\N{MULTIPLICATION SIGN}"
DIVIDED_BY = "\N{DIVISION SIGN}"
#: The statuses in which the report can be produced: every lot with bids signed off.
REPORTABLE = frozenset({TenderStatus.MODERATED})
NOT_MODERATED = (
    "The award report can be produced once the moderator has signed off every lot with bids "
    "(this tender is at the stage: {})"
)
NOT_FOR_EVALUATORS = (
    "The award report shows every evaluator's scores, so it is not for an officer who "
    "evaluates one of this tender's lots"
)
NOT_STATED = "Not stated"
NO_FINDING = (
    "No officer's finding on these prices is recorded on the platform yet: the decision maker "
    "should ask the officer what they found before approving the award."
)
NO_BIDS = "no bids were received, so there is nothing to award"
TIE_BREAK = (
    "Bids level on their total score are ranked by the higher quality score, then by the "
    "earlier final submission."
)


# What the service loads -----------------------------------------------------------------


@dataclass(frozen=True)
class Evaluated:
    """A lot's signed-off evaluation, as loaded for the report."""

    results: LotResults
    grid: Grid
    #: Each bid's sealed unit prices for the lot, in pence: by submission id, then price item id.
    unit_prices: Mapping[UUID, Mapping[UUID, int]]


@dataclass(frozen=True)
class LotInput:
    lot: LotView
    panel: LotPanel | None
    #: None when nobody bid for the lot.
    evaluated: Evaluated | None


# What the report says -------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """A row of a two-column table."""

    label: str
    value: str


@dataclass(frozen=True)
class LotLine:
    number: int
    name: str
    service: str
    districts: str
    complexity: str
    award_rule: str
    bids: int


@dataclass(frozen=True)
class SectionLine:
    number: int
    name: str
    kind: str
    weight: int
    #: How the section is scored, in words.
    scored_by: str


@dataclass(frozen=True)
class QuestionLine:
    number: int
    text: str
    #: The outcome an outcome test belongs to, or empty.
    outcome: str
    section: str
    applies_to: str
    kind: str
    weight: str
    minimum: str


@dataclass(frozen=True)
class Method:
    sections: tuple[SectionLine, ...]
    questions: tuple[QuestionLine, ...]
    #: The rules of the evaluation model, one sentence each.
    rules: tuple[str, ...]


@dataclass(frozen=True)
class DeclarationLine:
    lot: str
    member: str
    bidder: str
    #: "No conflict", or "Conflict: " and its description.
    declaration: str
    declared_at: str


@dataclass(frozen=True)
class PanelSummary:
    #: Each with when they submitted their scores.
    evaluators: tuple[str, ...]
    moderator: str
    #: Who signed the lot off and when; None for a lot without bids.
    signed_off: str | None


@dataclass(frozen=True)
class Standing:
    """A ranked bid's row in the results."""

    bid_id: UUID
    rank: str
    name: str
    #: Points per section, in the order of ``LotReport.section_headings``.
    sections: tuple[str, ...]
    total: str
    awarded: bool


@dataclass(frozen=True)
class Exclusion:
    bid_id: UUID
    name: str
    quality: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Explanation:
    name: str
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Basket:
    name: str
    basket: str
    #: Its price score, or why it has none.
    price_score: str


@dataclass(frozen=True)
class UnitPrice:
    name: str
    item: str
    unit_price: str
    reference: str
    #: The unit price as a share of the reference, or empty without one.
    share: str
    #: "Within the reference price", or the flag for the officer to look into.
    flag: str


@dataclass(frozen=True)
class PriceAnalysis:
    #: The lowest compliant basket and the price formula with the lot's figures.
    formula: str
    baskets: tuple[Basket, ...]
    unit_prices: tuple[UnitPrice, ...]
    #: Each flag in words, "Bidder: ...", for the officer to look into.
    flags: tuple[str, ...]
    #: What the officer found on looking into the flags: nothing is recorded yet.
    finding: str


@dataclass(frozen=True)
class Divergence:
    bid: str
    question: str
    #: "Amy Evans: 3 satisfactory", one per evaluator, with their reasons beside.
    marks: tuple[tuple[str, str], ...]
    flag: str
    consensus: str
    reason: str
    decided: str


@dataclass(frozen=True)
class Recommended:
    bid_id: UUID
    name: str
    sentence: str


@dataclass(frozen=True)
class Recommendation:
    #: One line for the report's summary: "award to ..." or why there is no award.
    headline: str
    #: Which ranked bids the lot's award rule recommends.
    basis: str
    recommended: tuple[Recommended, ...]
    #: Why each other bid is not recommended.
    not_recommended: tuple[str, ...]
    #: What the decision maker should know before approving: price flags, ties.
    notes: tuple[str, ...]


@dataclass(frozen=True)
class LotReport:
    lot_id: UUID
    number: int
    name: str
    award_rule: str
    bids: int
    panel: PanelSummary
    #: "Quality (of 60)", in section order.
    section_headings: tuple[str, ...]
    ranked: tuple[Standing, ...]
    excluded: tuple[Exclusion, ...]
    explanations: tuple[Explanation, ...]
    #: None for a lot without bids.
    prices: PriceAnalysis | None
    #: How many cells the moderator agreed.
    cells: int
    divergences: tuple[Divergence, ...]
    recommendation: Recommendation

    @property
    def heading(self) -> str:
        return f"Lot {self.number}: {self.name}"


@dataclass(frozen=True)
class ReportContent:
    title: str
    council: str
    tender_title: str
    reference: str
    description: str
    produced: str
    requirement: tuple[Fact, ...]
    lot_lines: tuple[LotLine, ...]
    method: Method
    declarations: tuple[DeclarationLine, ...]
    lots: tuple[LotReport, ...]


@dataclass(frozen=True)
class AwardReport:
    content: ReportContent
    pdf: bytes
    #: The hex SHA-256 digest of ``pdf``, against which the approval is recorded.
    sha256: str

    @property
    def lots(self) -> tuple[LotReport, ...]:
        return self.content.lots

    @property
    def filename(self) -> str:
        return f"award-report-{self.content.reference}.pdf"


# Words ---------------------------------------------------------------------------------


def date_words(value: datetime) -> str:
    """ "Tuesday 22 December 2026", the day in Europe/London."""
    local = value.astimezone(LONDON)
    return f"{local:%A} {local.day} {local:%B %Y}"


def _providers(count: int) -> str:
    return f"{count} {'provider' if count == 1 else 'providers'}"


def award_rule(lot: LotView) -> str:
    """ "Awards 1 provider (a block contract)"."""
    if lot.award_mode is AwardMode.ALL_THAT_PASS:
        return "Awards every provider that passes (a dynamic market)"
    if lot.award_mode is AwardMode.ONE:
        return "Awards 1 provider (a block contract)"
    return f"Awards up to {_providers(lot.providers_to_award or 0)} (a framework)"


def _awarding(lot: LotView) -> int | None:
    """How many providers the lot awards; None for every one that passes."""
    if lot.award_mode is AwardMode.ALL_THAT_PASS:
        return None
    return 1 if lot.award_mode is AwardMode.ONE else lot.providers_to_award or 0


def _points(value: Fraction | None) -> str:
    return "" if value is None else str(points(value))


def share_of_reference(unit_pence: int, reference_pence: int) -> str:
    """The unit price as a percentage of the reference to one decimal place, rounded away
    from 100% so that the figure never contradicts a flag: 100.04% shows 100.1% (above the
    reference) and 69.96% shows 69.9% (below a 70% share)."""
    tenths = Fraction(unit_pence * 1000, reference_pence)
    shown = -((-tenths.numerator) // tenths.denominator) if tenths > 1000 else int(tenths)
    return f"{shown // 10}.{shown % 10}%"


# The pure part: loaded values to the report's words and figures ---------------------------


def report_content(
    tender: TenderView,
    lots: Sequence[LotInput],
    declarations: Sequence[DeclarationRecord],
    *,
    now: datetime,
) -> ReportContent:
    """The report's words and figures from what the service loaded. Pure."""
    reports = tuple(_lot_report(tender, given) for given in lots)
    bids = {report.lot_id: report.bids for report in reports}
    return ReportContent(
        title=f"Award report: {tender.title}",
        council=tender.buyer_name,
        tender_title=tender.title,
        reference=tender.reference,
        description=tender.description,
        produced=london_time(now),
        requirement=_requirement(tender),
        lot_lines=tuple(
            LotLine(
                lot.number,
                lot.name,
                lot.service_type.label,
                ", ".join(lot.districts),
                lot.complexity_band.label if lot.complexity_band else "None",
                award_rule(lot),
                bids.get(lot.id, 0),
            )
            for lot in tender.lots
        ),
        method=_method(tender),
        declarations=tuple(
            DeclarationLine(
                f"Lot {d.lot_number}: {d.lot_name}",
                d.evaluator_name,
                d.organisation_name,
                f"Conflict: {d.description}" if d.conflict else "No conflict",
                london_time(d.declared_at)
                + (
                    f" (first declared at {london_time(d.first_declared_at)})"
                    if d.first_declared_at != d.declared_at
                    else ""
                ),
            )
            for d in declarations
        ),
        lots=reports,
    )


def _requirement(tender: TenderView) -> tuple[Fact, ...]:
    months = tender.contract_months
    return (
        Fact("Council", tender.buyer_name),
        Fact("Title", tender.title),
        Fact("Reference", tender.reference),
        Fact("Procedure", tender.procedure.label),
        Fact(
            "Contract length",
            NOT_STATED if months is None else f"{months} {'month' if months == 1 else 'months'}",
        ),
        Fact(
            "Estimated value",
            NOT_STATED
            if tender.estimated_value_pence is None
            else pounds(tender.estimated_value_pence),
        ),
        Fact(
            "Published",
            NOT_STATED if tender.published_at is None else date_words(tender.published_at),
        ),
        Fact(
            "Deadline for bids",
            NOT_STATED
            if tender.submission_deadline is None
            else london_time(tender.submission_deadline),
        ),
        Fact("Lots", str(len(tender.lots))),
    )


def _method(tender: TenderView) -> Method:
    lot_names = {lot.id: f"Lot {lot.number}: {lot.name}" for lot in tender.lots}
    sections, questions = [], []
    for section in tender.sections:
        scored = [q for q in section.questions if q.kind is not QuestionKind.PASS_FAIL]
        # As scoring does: a section whose scored questions all weigh 0 counts them alike.
        weighted = any(q.weight for q in scored)
        if section.kind is SectionKind.PRICE:
            scored_by = "From the prices: see the price formula below"
        elif scored:
            numbers = ", ".join(str(q.number) for q in scored)
            plural = "s" if len(scored) > 1 else ""
            scored_by = f"From the consensus on question{plural} {numbers}"
        else:
            scored_by = "No scored questions"
        sections.append(
            SectionLine(section.number, section.name, section.kind.label, section.weight, scored_by)
        )
        for q in section.questions:
            if q.kind is QuestionKind.PASS_FAIL:
                weight = "None: a gate"
            elif weighted:
                weight = str(q.weight)
            else:
                weight = "Equal share"
            questions.append(
                QuestionLine(
                    q.number,
                    q.text,
                    (q.outcome or "") if q.kind is QuestionKind.OUTCOME_TEST else "",
                    section.name,
                    lot_names.get(q.lot_id, "") if q.lot_id else "All lots",
                    q.kind.label,
                    weight,
                    str(q.minimum_score)
                    if q.kind is QuestionKind.SCALE and q.minimum_score is not None
                    else "None",
                )
            )
    return Method(tuple(sections), tuple(sorted(questions, key=lambda q: q.number)), _rules(tender))


def _rules(tender: TenderView) -> tuple[str, ...]:
    outcome = OutcomePoints()
    price = next((s for s in tender.sections if s.kind is SectionKind.PRICE), None)
    rules = [
        "Every score is the consensus the lot's moderator agreed and signed off; the "
        "evaluators' own marks are kept beside it (section 6).",
        "Questions scored 0 to 5: 0 unacceptable, 1 poor, 2 weak, 3 satisfactory, 4 good, "
        "5 excellent. A consensus below a question's minimum score excludes the bid.",
        f"Outcome tests score Yes {outcome.yes} points, Partially {outcome.partially} and "
        f"No {outcome.no}.",
        f"A section's score is its weight {TIMES} the weighted share of its marks: each "
        f"question counts its weight {TIMES} its mark {DIVIDED_BY} the top mark (5 for a score, "
        f"{outcome.yes} for an outcome test), over the sum of the weights. Where every "
        "scored question of a section weighs 0, they count equally.",
        "A Fail on a pass or fail question excludes the bid.",
    ]
    if price is not None:
        rules.append(
            f"Price: {price.name} score = {price.weight} (the section's weight) {TIMES} the "
            f"lowest compliant basket {DIVIDED_BY} this bid's basket. A bid's basket is the sum, "
            f"over the lot's price schedule, of each unit price {TIMES} the tender's volume for "
            "that item. Only bids not excluded compete on price."
        )
    rules.append(
        f"A unit price below {tender.abnormally_low_percent}% of its reference price is "
        "flagged as abnormally low, for the officer to look into; it does not exclude the bid."
    )
    rules.append(
        "A unit price above its reference price excludes the bid."
        if tender.exclude_above_reference
        else "A unit price above its reference price is flagged for the officer to look "
        "into; it does not exclude the bid."
    )
    rules.append(TIE_BREAK)
    rules.append(
        "Each lot awards the number of providers it states (see the lots above), best ranked first."
    )
    return tuple(rules)


def _panel(panel: LotPanel | None, grid: Grid | None, results: LotResults | None) -> PanelSummary:
    if grid is not None:
        evaluators = tuple(
            f"{e.name} (scores submitted at {london_time(e.submitted_at)})"
            if e.submitted_at
            else f"{e.name} (scores not submitted)"
            for e in grid.evaluators
        )
    else:
        evaluators = tuple(member.name for member in panel.evaluators) if panel else ()
    moderator = panel.moderator.name if panel and panel.moderator else "None"
    signed = results.signed_off if results else None
    return PanelSummary(
        evaluators,
        moderator,
        f"Signed off by {signed.by} at {london_time(signed.at)}" if signed else None,
    )


def _lot_report(tender: TenderView, given: LotInput) -> LotReport:
    lot = given.lot
    evaluated = given.evaluated
    if evaluated is None:
        return LotReport(
            lot_id=lot.id,
            number=lot.number,
            name=lot.name,
            award_rule=award_rule(lot),
            bids=0,
            panel=_panel(given.panel, None, None),
            section_headings=(),
            ranked=(),
            excluded=(),
            explanations=(),
            prices=None,
            cells=0,
            divergences=(),
            recommendation=Recommendation(
                NO_BIDS, "No bids were received for this lot.", (), (), ()
            ),
        )
    found = evaluated.results
    ranked = [r for r in found.results if not r.excluded]
    excluded = [r for r in found.results if r.excluded]
    return LotReport(
        lot_id=lot.id,
        number=lot.number,
        name=lot.name,
        award_rule=award_rule(lot),
        bids=len(found.bids),
        panel=_panel(given.panel, evaluated.grid, found),
        section_headings=tuple(f"{s.name} (of {s.weight})" for s in tender.sections),
        ranked=tuple(
            Standing(
                r.bid_id,
                ordinal(r.rank or 0),
                r.name,
                tuple(_points(s.score) for s in r.sections),
                _points(r.total),
                r.awarded,
            )
            for r in ranked
        ),
        excluded=tuple(
            Exclusion(r.bid_id, r.name, _points(r.quality), tuple(r.exclusions)) for r in excluded
        ),
        explanations=tuple(Explanation(r.name, r.explanation) for r in found.results),
        prices=_prices(tender, evaluated),
        cells=len(evaluated.grid.cells),
        divergences=_divergences(evaluated.grid),
        recommendation=_recommendation(tender, lot, found.results),
    )


def _prices(tender: TenderView, evaluated: Evaluated) -> PriceAnalysis:
    found = evaluated.results
    price = next((s for s in tender.sections if s.kind is SectionKind.PRICE), None)
    compliant = [r.basket_pence for r in found.results if not r.excluded]
    if price is None:
        formula = "The tender has no price section: prices are analysed but not scored."
    elif compliant:
        formula = (
            f"The lowest compliant basket is {pounds(min(compliant))}, so each ranked bid's "
            f"{price.name.lower()} score is {price.weight} {TIMES} {pounds(min(compliant))} "
            f"{DIVIDED_BY} its basket."
        )
    else:
        formula = "Every bid is excluded, so no bid is scored on price."
    low = tender.abnormally_low_percent
    baskets, unit_prices, flags = [], [], []
    for result in found.results:
        baskets.append(
            Basket(
                result.name,
                pounds(result.basket_pence),
                "Not scored: excluded" if result.price is None else _points(result.price),
            )
        )
        prices = evaluated.unit_prices.get(found.bid(result).submission_id, {})
        by_line = {flag.line_id: flag for flag in result.flags}
        for item in found.lot.price_items:
            unit = prices.get(item.id)
            reference = item.reference_price_pence
            flag = by_line.get(item.id)
            if flag is not None:
                words = f"{exports.flag_words(flag, low)}, for the officer to look into"
            elif reference is None:
                words = "No reference price"
            else:
                words = "Within the reference price"
            unit_prices.append(
                UnitPrice(
                    result.name,
                    f"{item.description} ({item.unit.label}; volume {item.volume:,})",
                    "" if unit is None else pounds(unit),
                    "None" if reference is None else pounds(reference),
                    share_of_reference(unit, reference) if unit and reference else "",
                    words,
                )
            )
        flags.extend(f"{result.name}: {exports.flag_words(flag, low)}." for flag in result.flags)
    return PriceAnalysis(
        formula, tuple(baskets), tuple(unit_prices), tuple(flags), NO_FINDING if flags else ""
    )


def _question_words(question: QuestionView) -> str:
    return f"Question {question.number}: {question.text}"


def _divergences(grid: Grid) -> tuple[Divergence, ...]:
    found = []
    for bid in grid.bids:
        for question in grid.questions:
            cell = grid.cell(bid, question)
            if cell.flag is None:
                continue
            agreed = cell.consensus
            found.append(
                Divergence(
                    bid.name,
                    _question_words(question),
                    tuple(
                        (f"{s.evaluator_name}: {marks.label(question.kind, s.mark)}", s.rationale)
                        for s in cell.scores
                    ),
                    cell.flag,
                    marks.label(question.kind, agreed.mark) if agreed else "None recorded",
                    agreed.rationale if agreed else "",
                    f"{agreed.moderator_name}, at {london_time(agreed.decided_at)}"
                    if agreed
                    else "",
                )
            )
    return tuple(found)


def _names(names: Sequence[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _basis(lot: LotView, ranked: int) -> str:
    """Which ranked bids the lot's award rule recommends, in words."""
    awarding = _awarding(lot)
    if not ranked:
        return "Every bid is excluded, so no award can be recommended."
    every = {1: "the one ranked bid", 2: "both ranked bids"}.get(
        ranked, f"all {ranked} ranked bids"
    )
    if awarding is None:
        return f"The lot awards every provider that passes: {every}."
    if awarding == 1:
        return "The lot awards 1 provider: the bid ranked 1st."
    if ranked <= awarding:
        return f"The lot awards up to {awarding} providers: {every}."
    return f"The lot awards {awarding} providers: the {awarding} ranked highest."


def _recommendation(
    tender: TenderView, lot: LotView, lot_results: Sequence[BidResult]
) -> Recommendation:
    ranked = [r for r in lot_results if not r.excluded]
    low = tender.abnormally_low_percent
    recommended, not_recommended, notes = [], [], []
    for r in ranked:
        standing = (
            f"ranked {ordinal(r.rank or 0)} of {len(ranked)} with {_points(r.total)} of 100 points"
        )
        if r.awarded:
            recommended.append(Recommended(r.bid_id, r.name, f"Award to {r.name}: {standing}."))
        else:
            not_recommended.append(
                f"{r.name} is not recommended: {standing}, and the lot awards only "
                f"{_providers(_awarding(lot) or 0)}."
            )
    not_recommended.extend(
        f"{r.name} is not recommended. Excluded: {'; '.join(r.exclusions)}."
        for r in lot_results
        if r.excluded
    )
    notes.extend(
        f"{r.name}: {exports.flag_words(flag, low)}. For the officer to look into; no finding "
        "is recorded yet."
        for r in ranked
        if r.awarded
        for flag in r.flags
    )
    notes.extend(
        f"{first.name} and {second.name} are level on {_points(first.total)} points to two "
        "decimal places: their explanations in section 4 say how the tie was broken."
        for first, second in pairwise(ranked)
        if _points(first.total) == _points(second.total)
    )
    if recommended:
        headline = f"award to {_names([r.name for r in recommended])}"
    elif lot_results:
        headline = "no award: every bid is excluded"
    else:
        headline = NO_BIDS
    return Recommendation(
        headline,
        _basis(lot, len(ranked)),
        tuple(recommended),
        tuple(not_recommended),
        tuple(notes),
    )


# The service ----------------------------------------------------------------------------


async def award_report(
    officer: CurrentUser, tender_id: str | UUID, *, now: datetime
) -> AwardReport:
    """The award report of a moderated tender as a PDF/A, with its SHA-256 digest, for the
    council's officers; the same tender and ``now`` give the same bytes.

    Raises ``NotFound`` (not a tender of the officer's council), ``NotPermitted`` (not an
    officer, or an officer who evaluates one of its lots) and ``InvalidTransition`` (not
    yet moderated).
    """
    tender = await council_tender(officer, tender_id)
    lot_panels = {panel.lot_id: panel for panel in await panels.panel(officer, tender.id)}
    if any(officer.id in {m.user_id for m in p.evaluators} for p in lot_panels.values()):
        raise NotPermitted(NOT_FOR_EVALUATORS)
    if tender.stored_status not in REPORTABLE:
        raise InvalidTransition(NOT_MODERATED.format(tender.stored_status.label.lower()))
    declarations = await panels.conflicts_record(officer, tender.id)
    inputs = []
    for lot in tender.lots:
        evaluated = None
        if await panels.lot_bidders(tender.id, lot.id):
            found = await results.compute(tender, lot)
            evaluated = Evaluated(
                found,
                await moderation.grid(officer, tender.id, lot.id),
                await results.unit_prices(found.bids, lot.id),
            )
        inputs.append(LotInput(lot, lot_panels.get(lot.id), evaluated))
    content = report_content(tender, inputs, declarations, now=now)
    document = await pdf.render_pdf(TEMPLATE, {"report": content}, title=content.title, created=now)
    return AwardReport(content, document, hashlib.sha256(document).hexdigest())
