"""The award report (issue 7, part 1): one PDF/A for the decision maker, recommending the
award of each lot of a moderated tender with its reasons, computed from the signed-off
consensus and the sealed prices. For the council's officers, once the tender is moderated;
the same tender and time give the same bytes, against whose digest the approval is recorded."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import lxml.etree
import pytest
from pypdf import PdfReader

from app import pdf
from app.accounts import CurrentUser
from app.clock import FixedClock
from app.errors import InvalidTransition, NotFound, NotPermitted
from app.platform import Platform
from evaluation.services import award_report, moderation, panels
from evaluation.services.award_report import DIVIDED_BY, TIMES, AwardReport
from evaluation.services.scores import ScoreInput
from tenders.services import authoring
from tenders.services.views import QuestionView
from tenders.vocabulary import QuestionKind
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
from tests.evaluation.test_scores import refused
from tests.tenders.bid_factories import submitted_bid
from tests.tenders.factories import draft_tender

#: When the officer asks for the report: a Tuesday, in words "Tuesday 22 December 2026".
NOW = datetime(2026, 12, 22, 9, 30, tzinfo=UTC)
PDFAID = "http://www.aiim.org/pdfa/ns/id/"
#: Lot 1's bidders in the order they submit, each with its unit price in pence.
ASHBY, BIRCH, CEDAR = PROVIDERS
DALE = ("Dale Lodge", "sam@dale-lodge.example", 1000)


@pytest.fixture(scope="module", autouse=True)
def worker_pool() -> Iterator[None]:
    """One pool for the module's renders, stopped with it."""
    yield
    pdf.shutdown()


def amys_mark(question: QuestionView, place: int) -> str:
    """Amy Evans on lot 1 (Ashby, Birch, Cedar, Dale): every bid passes; 3, 4, 5 and 3."""
    if question.kind is QuestionKind.PASS_FAIL:
        return "pass"
    return ("3", "4", "5", "3")[place]


def bens_mark(question: QuestionView, place: int) -> str:
    """Ben Hart on lot 1: he fails Cedar Support and gives 5, 4, 5 and 1. So Ashby's 3
    against 5, Cedar's Pass against Fail and Dale's 3 against 1 diverge."""
    if question.kind is QuestionKind.PASS_FAIL:
        return "fail" if place == 2 else "pass"
    return ("5", "4", "5", "1")[place]


def lot_one_consensus(question: QuestionView, place: int) -> str:
    """Ashby and Birch pass with 4; Cedar fails question 1 and Dale scores 1 on question 2
    (its minimum is 2), so both are excluded."""
    if question.kind is QuestionKind.PASS_FAIL:
        return "fail" if place == 2 else "pass"
    return ("4", "4", "5", "1")[place]


async def agree(
    platform: Platform,
    setup: Evaluation,
    names: tuple[str, ...],
    mark: Callable[[QuestionView, int], str],
) -> None:
    """The moderator records ``mark`` for every cell, each with its own reason, and signs
    the lot off."""
    for place, bid_id in enumerate(setup.bid_ids):
        await moderation.record(
            platform,
            setup.moderator,
            setup.tender.id,
            setup.lot.id,
            bid_id,
            {
                q.id: ScoreInput(mark(q, place), f"Agreed for {names[place]} on {q.number}")
                for q in setup.questions
            },
        )
    await moderation.sign_off(platform, setup.moderator, setup.tender.id, setup.lot.id)


@dataclass(frozen=True)
class Moderated:
    officer: CurrentUser
    first: Evaluation
    second: Evaluation


async def moderated_tender(platform: Platform, clock: FixedClock) -> Moderated:
    """A moderated tender of three lots. Lot 1 awards one provider: Ashby Care, Birch Homes
    (above the reference price), Cedar Support and Dale Lodge (abnormally low) bid; Amy Evans
    and Ben Hart evaluate it, diverging on three cells; Cedar and Dale are excluded. Lot 2
    awards up to three: Ashby and Dale bid, Ben evaluates. Nobody bids for lot 3. Mo Reid
    moderates every lot."""
    officer = await buyer_officer(platform)
    tender_id = await draft_tender(platform, officer, lots=3)
    first = (await authoring.own_tender(officer, tender_id)).lots[0]
    await authoring.update_lot(
        platform,
        officer,
        str(tender_id),
        str(first.id),
        {
            "name": first.name,
            "service_type": first.service_type.value,
            "districts": list(first.districts),
            "complexity_band": "complex",
            "award_mode": "one",
        },
    )
    tender = await authoring.publish(platform, officer, str(tender_id))
    lot_one, lot_two, lot_three = tender.lots
    bidders = {}
    for (name, email, pence), lots in ((ASHBY, 2), (BIRCH, 1), (CEDAR, 1), (DALE, 2)):
        provider = await provider_user(platform, email, name)
        bid_id, _ = await submitted_bid(
            platform, provider, tender, lots=lots, unit_price_pence=pence
        )
        bidders[name] = (provider, bid_id)
    amy = await colleague(platform, officer, "Amy Evans")
    ben = await colleague(platform, officer, "Ben Hart")
    jo = await colleague(platform, officer, "Jo Evans")
    mo = await colleague(platform, officer, "Mo Reid")
    await panels.assign(
        platform, officer, tender.id, lot_one.id, evaluators=[amy.id, ben.id], moderator=mo.id
    )
    await panels.assign(
        platform, officer, tender.id, lot_two.id, evaluators=[ben.id, jo.id], moderator=mo.id
    )
    await panels.assign(
        platform, officer, tender.id, lot_three.id, evaluators=[amy.id], moderator=mo.id
    )
    await open_tender(platform, clock, officer, tender.id)
    for member, lot in ((amy, lot_one), (ben, lot_one), (mo, lot_one), (ben, lot_two)):
        await declare_none(platform, member, tender.id, lot.id)
    await declare_none(platform, mo, tender.id, lot_two.id)
    ashby_org = bidders[ASHBY[0]][0].organisation_id
    dale_org = bidders[DALE[0]][0].organisation_id
    await panels.declare(
        platform,
        jo,
        tender.id,
        lot_two.id,
        {ashby_org: (False, ""), dale_org: (True, "My brother manages Dale Lodge")},
    )
    await panels.assign(
        platform, officer, tender.id, lot_two.id, evaluators=[ben.id], moderator=mo.id
    )

    lot_one_names = (ASHBY[0], BIRCH[0], CEDAR[0], DALE[0])
    first = Evaluation(
        officer,
        tender,
        lot_one,
        (amy, ben),
        mo,
        tuple(bidders[name][0] for name in lot_one_names),
        tuple(bidders[name][1] for name in lot_one_names),
    )
    await score_everything(platform, first, amy, amys_mark)
    await score_everything(platform, first, ben, bens_mark)
    await agree(platform, first, lot_one_names, lot_one_consensus)

    lot_two_names = (ASHBY[0], DALE[0])
    second = Evaluation(
        officer,
        tender,
        lot_two,
        (ben,),
        mo,
        tuple(bidders[name][0] for name in lot_two_names),
        tuple(bidders[name][1] for name in lot_two_names),
    )
    await score_everything(platform, second, ben)
    await agree(platform, second, lot_two_names, default_mark)
    return Moderated(officer, first, second)


async def report_of(officer: CurrentUser, setup: Moderated, now: datetime = NOW) -> AwardReport:
    return await award_report.award_report(officer, setup.first.tender.id, now=now)


async def report_for(who: CurrentUser, setup: Evaluation) -> AwardReport:
    return await award_report.award_report(who, setup.tender.id, now=NOW)


def text(document: bytes) -> str:
    """The PDF's text, each run of white space as one space."""
    pages = PdfReader(io.BytesIO(document)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


@pytest.fixture
async def setup(platform: Platform, clock: FixedClock) -> Moderated:
    return await moderated_tender(platform, clock)


# What it says -----------------------------------------------------------------------------------


async def test_the_report_names_every_bidder_with_its_rank_scores_exclusions_and_flags(
    setup: Moderated,
) -> None:
    report = await report_of(setup.officer, setup)

    shown = text(report.pdf)
    # Rank, bidder, quality (of 60), price (of 40), total (of 100), recommended.
    for row in (
        "1st Ashby Care 48.00 40.00 88.00 Yes",
        "2nd Birch Homes 48.00 37.50 85.50 No",
        "1st Dale Lodge 48.00 40.00 88.00 Yes",
        "2nd Ashby Care 36.00 26.67 62.67 Yes",
    ):
        assert row in shown
    assert "Lot 1: Complex care Awards 1 provider (a block contract). 4 bids were evaluated." in (
        shown
    )
    assert "Lot 2: Overnight Awards up to 3 providers (a framework). 2 bids were evaluated." in (
        shown
    )
    assert "Lot 3: Nursing No bids were received for this lot." in shown
    # Each bid's basket and price score, the excluded bids' unscored.
    for row in (
        "Ashby Care £78,000.00 40.00",
        "Birch Homes £83,200.00 37.50",
        "Cedar Support £75,400.00 Not scored: excluded",
        "Dale Lodge £52,000.00 Not scored: excluded",
        "Dale Lodge £52,000.00 40.00",
        "Ashby Care £78,000.00 26.67",
    ):
        assert row in shown
    first, second, third = report.lots
    assert [(row.rank, row.name, row.sections, row.total) for row in second.ranked] == [
        ("1st", "Dale Lodge", ("48.00", "40.00"), "88.00"),
        ("2nd", "Ashby Care", ("36.00", "26.67"), "62.67"),
    ]
    assert (first.bids, second.bids, third.bids) == (4, 2, 0)

    # Every exclusion with its reason; every price against its reference, with its flag.
    assert "Cedar Support Failed question 1 (a pass or fail question)" in shown
    assert "Dale Lodge Scored 1 on question 2, where the minimum is 2" in shown
    # Against the reference of £15.87 an hour: above it, and below 70% of it.
    item = "Support worker, daytime (per hour, daytime; volume 5,200)"
    assert (
        f"Birch Homes {item} £16.00 £15.87 100.9% Above the reference price: Support worker, "
        "daytime at £16.00 against £15.87, for the officer to look into" in shown
    )
    assert (
        f"Dale Lodge {item} £10.00 £15.87 63.0% Abnormally low: Support worker, daytime at "
        "£10.00 is below 70% of the reference price of £15.87, for the officer to look into"
    ) in shown
    assert f"Ashby Care {item} £15.00 £15.87 94.5% Within the reference price" in shown
    assert shown.count(award_report.NO_FINDING) == 2
    assert [(row.name, row.reasons) for row in first.excluded] == [
        ("Cedar Support", ("failed question 1 (a pass or fail question)",)),
        ("Dale Lodge", ("scored 1 on question 2, where the minimum is 2",)),
    ]


async def test_the_report_shows_every_divergence_beside_its_consensus(setup: Moderated) -> None:
    report = await report_of(setup.officer, setup)

    shown = text(report.pdf)
    assert "Lot 1: Complex care 3 of the 8 marks agreed diverged between the evaluators:" in shown
    safe = "Question 2: How will you keep children safe?"
    for bid, question, amy, ben, flag, consensus in (
        ("Ashby Care", safe, "3 satisfactory", "5 excellent", "Scores range from 3 to 5", "4 good"),
        ("Cedar Support", "Question 1: Are you registered with CQC?", "Pass", "Fail",
         "Pass against Fail", "Fail"),
        ("Dale Lodge", safe, "3 satisfactory", "1 poor", "Scores range from 1 to 3", "1 poor"),
    ):  # fmt: skip
        number = question.split(":")[0].removeprefix("Question ")
        assert (
            f"Bidder {bid} Question {question} "
            f"Evaluators' marks Amy Evans: {amy} Amy Evans: reason for {number} "
            f"Ben Hart: {ben} Ben Hart: reason for {number} "
            f"Flag {flag} Consensus {consensus} Reason: Agreed for {bid} on {number} "
            "Agreed by Mo Reid, at 12:00pm on Friday 11 December 2026"
        ) in shown
    assert "Lot 2: Overnight The evaluators' marks did not diverge on any of the 4" in shown


async def test_the_report_recommends_the_awarded_bids_and_says_why_not_the_others(
    setup: Moderated,
) -> None:
    report = await report_of(setup.officer, setup)

    shown = text(report.pdf)
    assert (
        "Summary of the recommendation Lot 1 (Complex care): award to Ashby Care. "
        "Lot 2 (Overnight): award to Dale Lodge and Ashby Care. "
        "Lot 3 (Nursing): no bids were received, so there is nothing to award."
    ) in shown
    assert (
        "7. Recommendation Lot 1: Complex care The lot awards 1 provider: the bid ranked 1st. "
        "Recommended for award: Award to Ashby Care: ranked 1st of 2 with 88.00 of 100 points. "
        "Not recommended: "
        "Birch Homes is not recommended: ranked 2nd of 2 with 85.50 of 100 points, and the "
        "lot awards only 1 provider. "
        "Cedar Support is not recommended. Excluded: failed question 1 (a pass or fail "
        "question). "
        "Dale Lodge is not recommended. Excluded: scored 1 on question 2, where the minimum "
        "is 2."
    ) in shown
    assert (
        "Lot 2: Overnight The lot awards up to 3 providers: both ranked bids. "
        "Recommended for award: Award to Dale Lodge: ranked 1st of 2 with 88.00 of 100 points. "
        "Award to Ashby Care: ranked 2nd of 2 with 62.67 of 100 points. "
        "Before approving: Dale Lodge: Abnormally low: Support worker, daytime at £10.00 is "
        "below 70% of the reference price of £15.87. For the officer to look into; no finding "
        "is recorded yet."
    ) in shown
    first, second, third = (lot.recommendation for lot in report.lots)
    lot_one, lot_two = setup.first.bid_ids, setup.second.bid_ids
    assert [bid.bid_id for bid in first.recommended] == [lot_one[0]]
    assert [bid.bid_id for bid in second.recommended] == [lot_two[1], lot_two[0]]
    assert third.recommended == ()


async def test_the_report_sets_out_the_requirement_method_panels_and_conflicts(
    setup: Moderated,
) -> None:
    report = await report_of(setup.officer, setup)

    shown = text(report.pdf)
    assert "Produced at 9:30am on Tuesday 22 December 2026." in shown
    assert (
        "Council Staffordshire County Council Title Children's community support framework "
        "Reference SCC-2026-041 Procedure Open competition Contract length 36 months "
        "Estimated value £2,850,000.00 Published Monday 23 November 2026 "
        "Deadline for bids 12:00pm on Friday 11 December 2026"
    ) in shown
    assert "Awards 1 provider (a block contract) 4" in shown
    assert "1. Quality Quality 60 From the consensus on question 2" in shown
    assert "2. Price Price 40 From the prices" in shown
    assert "1 Are you registered with CQC? Quality All lots Pass or fail None: a gate None" in shown
    assert "2 How will you keep children safe? Quality All lots Scored 0 to 5 100 2" in shown
    for rule in (
        "Outcome tests score Yes 2 points, Partially 1 and No 0.",
        f"Price: Price score = 40 (the section's weight) {TIMES} the lowest compliant basket "
        f"{DIVIDED_BY} this bid's basket.",
        "A unit price below 70% of its reference price is flagged as abnormally low",
        "A unit price above its reference price is flagged for the officer to look into; it "
        "does not exclude the bid.",
        award_report.TIE_BREAK,
    ):
        assert rule in shown
    assert (
        "Lot 1: Complex care Evaluators Amy Evans (scores submitted at 12:00pm on Friday 11 "
        "December 2026) Ben Hart (scores submitted at 12:00pm on Friday 11 December 2026) "
        "Moderator Mo Reid Sign-off Signed off by Mo Reid at 12:00pm on Friday 11 December 2026"
    ) in shown
    # Jo Evans's declaration stays in the record after she left lot 2's panel.
    assert "Lot 2: Overnight Evaluators Ben Hart (scores submitted" in shown
    assert (
        "Lot 2: Overnight Jo Evans Dale Lodge Conflict: My brother manages Dale Lodge "
        "12:00pm on Friday 11 December 2026"
    ) in shown
    assert len(report.content.declarations) == 18


# As a document ---------------------------------------------------------------------------------


async def test_the_report_is_a_pdf_a_and_the_same_time_gives_the_same_bytes(
    setup: Moderated,
) -> None:
    report = await report_of(setup.officer, setup)
    again = await report_of(setup.officer, setup)
    later = await report_of(setup.officer, setup, NOW.replace(hour=10))

    reader = PdfReader(io.BytesIO(report.pdf))
    xmp = lxml.etree.fromstring(reader.trailer["/Root"]["/Metadata"].get_object().get_data())
    assert xmp.xpath("//@pdfaid:part", namespaces={"pdfaid": PDFAID}) == ["3"]
    assert xmp.xpath("//@pdfaid:conformance", namespaces={"pdfaid": PDFAID}) == ["U"]
    assert reader.metadata.title == "Award report: Children's community support framework"
    assert reader.metadata.creation_date == NOW
    assert reader.metadata.modification_date == NOW
    # The footer from pdf.css: the stylesheets were served.
    assert re.search(r"Page (\d+) of \1$", text(report.pdf))
    assert report.filename == "award-report-SCC-2026-041.pdf"
    assert report.pdf == again.pdf
    assert report.sha256 == again.sha256 == hashlib.sha256(report.pdf).hexdigest()
    assert report.content == again.content
    assert later.sha256 != report.sha256


# Who may have it, and when ---------------------------------------------------------------------


async def test_there_is_no_report_before_the_tender_is_moderated(
    platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock)
    for member in setup.evaluators:
        await score_everything(platform, setup, member)
    # Every cell agreed is not enough: the moderator signs the lot off.
    await agree_everything(platform, setup, sign_off=False)

    error = await refused(InvalidTransition, report_for(setup.officer, setup))

    assert error.status_code == 409
    assert error.message == award_report.NOT_MODERATED.format("evaluating")
    assert error.message.startswith(
        "The award report can be produced once the moderator has signed off every lot with bids"
    )


@pytest.fixture
async def with_officer_evaluating(platform: Platform, clock: FixedClock) -> Evaluation:
    """The factory's one-lot tender, moderated, where Kim Shaw, an officer, evaluates beside
    Amy Evans and Ben Hart."""
    setup = await evaluation(platform, clock)
    kim = await colleague(platform, setup.officer, "Kim Shaw", "officer")
    evaluators = (*setup.evaluators, kim)
    await panels.assign(
        platform,
        setup.officer,
        setup.tender.id,
        setup.lot.id,
        evaluators=[e.id for e in evaluators],
        moderator=setup.moderator.id,
    )
    await declare_none(platform, kim, setup.tender.id, setup.lot.id)
    setup = replace(setup, evaluators=evaluators)
    for member in evaluators:
        await score_everything(platform, setup, member)
    await agree_everything(platform, setup)
    return setup


async def test_the_report_is_refused_to_the_panel_and_to_officers_who_evaluate(
    with_officer_evaluating: Evaluation,
) -> None:
    setup = with_officer_evaluating
    amy, ben, kim = setup.evaluators
    assert (await report_for(setup.officer, setup)).sha256

    for member in (amy, ben, setup.moderator):
        assert (await refused(NotPermitted, report_for(member, setup))).status_code == 403
    refusal = await refused(NotPermitted, report_for(kim, setup))
    assert refusal.message == award_report.NOT_FOR_EVALUATORS


async def test_the_report_is_not_found_by_providers_or_other_councils(
    platform: Platform, with_officer_evaluating: Evaluation
) -> None:
    setup = with_officer_evaluating
    other_council = await buyer_officer(
        platform, "sam.cole@derbyshire.example", "Derbyshire County Council"
    )

    for outsider in (*setup.providers, other_council):
        assert (await refused(NotFound, report_for(outsider, setup))).status_code == 404


# Figures ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "reference", "shown"),
    [
        (1500, 1587, "94.5%"),
        (1587, 1587, "100.0%"),
        # 100.06%: above the reference, so never shown as 100.0%.
        (1588, 1587, "100.1%"),
        (1600, 1587, "100.9%"),
        # 69.96%: below a 70% share, so never shown as 70.0%.
        (6996, 10000, "69.9%"),
        (7000, 10000, "70.0%"),
        (1000, 1587, "63.0%"),
    ],
)
def test_a_share_of_the_reference_never_reads_against_its_flag(
    unit: int, reference: int, shown: str
) -> None:
    assert award_report.share_of_reference(unit, reference) == shown
