"""The notices of an award decision (issue 7, part 3) as PDF/A: each bidder's assessment
summary (its own scores and reasons, the awarded bids' and where it fell short) and decision
letter (its outcome per lot, the standstill, whom to ask), and the public award notice,
which names the awarded suppliers and no other bidder. The same input gives the same bytes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime

import lxml.etree
import pytest
from pypdf import PdfReader

from app import pdf
from app.clock import FixedClock
from app.platform import Platform
from evaluation import standstill
from evaluation.services import moderation, results
from evaluation.services.notice_documents import (
    NO_STANDSTILL,
    LotEvaluation,
    LotOutcome,
    NoticeDocuments,
    bidders,
    letter_content,
    notice_content,
    render_notices,
    summary_content,
)
from tenders.services.views import LotView, TenderView
from tests.evaluation.factories import agree_everything, evaluation, score_everything
from tests.evaluation.test_award_report import PDFAID, Moderated, moderated_tender

#: The notices are issued on a Tuesday, four days before Christmas.
NOW = datetime(2026, 12, 22, 9, 30, tzinfo=UTC)
ISSUED = NOW.date()
#: Eight working days past Christmas, Boxing Day (observed on the 28th) and New Year's Day.
LAST_DAY = standstill.last_day(ISSUED)
CONTACT = "Write to Pat Lee, procurement officer, at procurement@staffordshire.example."
ASHBY, BIRCH, CEDAR, DALE = "Ashby Care", "Birch Homes", "Cedar Support", "Dale Lodge"


@pytest.fixture(scope="module", autouse=True)
def worker_pool() -> Iterator[None]:
    """One pool for the module's renders, stopped with it."""
    yield
    pdf.shutdown()


def text(document: bytes) -> str:
    """The PDF's text, each run of white space as one space."""
    pages = PdfReader(io.BytesIO(document)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


async def evaluated(tender: TenderView, *lots: LotView) -> list[LotEvaluation]:
    return [
        LotEvaluation(await results.compute(tender, lot), await moderation.load_consensus(lot.id))
        for lot in lots
    ]


async def notices(
    tender: TenderView, lots: list[LotEvaluation], last_day: date | None = LAST_DAY
) -> NoticeDocuments:
    return await render_notices(
        tender,
        lots,
        issued_on=ISSUED,
        standstill_last_day=last_day,
        contact=CONTACT,
        now=NOW,
    )


class Issued:
    """The moderated tender of the award report's tests, its notices rendered, read by
    bidder name. Lot 1 awards 1 provider: Ashby Care 1st (88.00), Birch Homes 2nd (85.50),
    Cedar Support and Dale Lodge excluded. Lot 2 awards up to 3: Dale Lodge and Ashby Care,
    both awarded. Nobody bid for lot 3."""

    def __init__(self, setup: Moderated, lots: list[LotEvaluation], documents: NoticeDocuments):
        self.setup = setup
        self.lots = lots
        self.documents = documents
        self.ids = {name: organisation for organisation, name in bidders(lots).items()}

    def summary(self, name: str) -> str:
        return text(self.documents.summaries[self.ids[name]])

    def letter(self, name: str) -> str:
        return text(self.documents.letters[self.ids[name]])


@pytest.fixture
async def issued(platform: Platform, clock: FixedClock) -> Issued:
    setup = await moderated_tender(platform, clock)
    lots = await evaluated(setup.first.tender, setup.first.lot, setup.second.lot)
    return Issued(setup, lots, await notices(setup.first.tender, lots))


# The assessment summary ------------------------------------------------------------------------


async def test_an_unsuccessful_bidder_sees_its_scores_the_winners_and_where_it_fell_short(
    issued: Issued,
) -> None:
    shown = issued.summary(BIRCH)

    assert (
        "Lot 1: Complex care Unsuccessful. Your bid was not successful: it ranked 2nd of 2 with "
        "85.50 of 100 points, and the lot awards 1 provider (a block contract)."
    ) in shown
    # Its own scores (quality of 60, price of 40, total, basket) and reasons per question.
    assert (
        "Your bid's scores Standing Quality (of 60) Price (of 40) Total (of 100) Basket cost "
        "Ranked 2nd of 2 48.00 37.50 85.50 £83,200.00"
    ) in shown
    assert "1. Are you registered with CQC? Pass Agreed for Birch Homes on 1" in shown
    assert "2. How will you keep children safe? 4 good Agreed for Birch Homes on 2" in shown
    # The winner's, by name, with its reasons.
    assert "The awarded bid: Ashby Care" in shown
    assert "Ranked 1st of 2 48.00 40.00 88.00 £78,000.00" in shown
    assert "2. How will you keep children safe? 4 good Agreed for Ashby Care on 2" in shown
    # Level on quality, it fell short on price.
    assert (
        "Where your bid fell short "
        "Price: your bid scored 37.50 points and Ashby Care's 40.00, 2.50 points fewer: your "
        "basket cost £83,200.00 against £78,000.00. "
        "In total your bid scored 85.50 of 100 points and Ashby Care's 88.00, 2.50 points fewer."
    ) in shown
    assert "How will you keep children safe?: your bid's" not in shown
    assert "its last day is Tuesday 5 January 2027" in shown
    # The excluded bidders are none of its business.
    assert all(name not in shown for name in (CEDAR, DALE))


async def test_an_excluded_bidder_is_told_why_and_where_it_fell_short(issued: Issued) -> None:
    cedar = issued.summary(CEDAR)
    assert (
        "Lot 1: Complex care Excluded. Your bid was excluded, for this reason: failed question "
        "1 (a pass or fail question)."
    ) in cedar
    assert "Standing Quality (of 60) Price (of 40) Total (of 100) Basket cost Excluded" in cedar
    assert "60.00 Not scored: excluded Not scored: excluded £75,400.00" in cedar
    assert "1. Are you registered with CQC? Fail Agreed for Cedar Support on 1" in cedar
    assert (
        "Where your bid fell short Excluded: failed question 1 (a pass or fail question). "
        "Question 1 (Are you registered with CQC?): your bid's consensus mark was Fail; Ashby "
        "Care's was Pass. Your bid was not scored on price, nor ranked, because it was excluded."
    ) in cedar
    # Scored 5 against the winner's 4 on question 2: not a shortfall.
    assert "Question 2 (" not in cedar

    # Dale Lodge: excluded from lot 1, successful in lot 2; one summary for both.
    dale = issued.summary(DALE)
    assert (
        "Lot 1: Complex care Excluded. Your bid was excluded, for this reason: scored 1 on "
        "question 2, where the minimum is 2."
    ) in dale
    assert (
        "Question 2 (How will you keep children safe?): your bid's consensus mark was 1 poor; "
        "Ashby Care's was 4 good."
    ) in dale
    assert "2. How will you keep children safe? 4 good Agreed for Ashby Care on 2" in dale
    assert (
        "Lot 2: Overnight Successful. Your bid was successful: it ranked 1st of 2 with 88.00 of "
        "100 points, and the lot awards up to 3 providers (a framework)."
    ) in dale
    assert all(name not in dale for name in (BIRCH, CEDAR))


async def test_a_successful_bidder_sees_its_own_scores_and_that_it_was_successful(
    issued: Issued,
) -> None:
    shown = issued.summary(ASHBY)

    assert (
        "Lot 1: Complex care Successful. Your bid was successful: it ranked 1st of 2 with 88.00 "
        "of 100 points, and the lot awards 1 provider (a block contract)."
    ) in shown
    assert "Ranked 1st of 2 48.00 40.00 88.00 £78,000.00" in shown
    assert (
        "Lot 2: Overnight Successful. Your bid was successful: it ranked 2nd of 2 with 62.67 of "
        "100 points, and the lot awards up to 3 providers (a framework)."
    ) in shown
    assert "Ranked 2nd of 2 36.00 26.67 62.67 £78,000.00" in shown
    assert "Where your bid fell short" not in shown
    assert all(name not in shown for name in (BIRCH, CEDAR, DALE))


async def test_the_summary_content_is_built_without_rendering(issued: Issued) -> None:
    birch = summary_content(
        issued.setup.first.tender,
        issued.lots,
        issued.ids[BIRCH],
        issued_on=ISSUED,
        standstill_last_day=LAST_DAY,
    )

    (lot,) = birch.lots
    assert lot.outcome is LotOutcome.UNSUCCESSFUL
    assert [(s.name, s.score) for s in lot.own.sections] == [
        ("Quality", "48.00"),
        ("Price", "37.50"),
    ]
    assert [w.name for w in lot.winners] == [ASHBY]
    assert birch.head.issued == "Tuesday 22 December 2026"
    assert "its last day is Tuesday 5 January 2027" in birch.standstill
    with pytest.raises(ValueError, match="bid for none of these lots"):
        summary_content(
            issued.setup.first.tender,
            issued.lots[1:],
            issued.ids[BIRCH],
            issued_on=ISSUED,
            standstill_last_day=None,
        )


# The decision letter ---------------------------------------------------------------------------


async def test_the_letter_gives_each_outcome_and_the_standstill_last_day_in_words(
    issued: Issued,
) -> None:
    standstill_words = (
        "The standstill period runs from Tuesday 22 December 2026, the day these notices were "
        "issued, and its last day is Tuesday 5 January 2027."
    )
    birch = issued.letter(BIRCH)
    assert (
        "Lot 1: Complex care Unsuccessful. Your bid was not successful: it ranked 2nd of 2 with "
        "85.50 of 100 points, and the lot awards 1 provider (a block contract). The council "
        "intends to award the contract for this lot to Ashby Care."
    ) in birch
    assert standstill_words in birch
    assert f"Questions about this decision {CONTACT} Please quote the tender reference" in birch
    assert "Your assessment summary is attached." in birch

    ashby = issued.letter(ASHBY)
    assert "Lot 1: Complex care Successful. Your bid was successful" in ashby
    assert "Lot 2: Overnight Successful. Your bid was successful" in ashby
    assert standstill_words in ashby

    dale = issued.letter(DALE)
    assert (
        "Lot 1: Complex care Excluded. Your bid was excluded, for this reason: scored 1 on "
        "question 2, where the minimum is 2."
    ) in dale
    assert "Lot 2: Overnight Successful. Your bid was successful" in dale
    assert NO_STANDSTILL not in dale


# The award notice ------------------------------------------------------------------------------


async def test_the_award_notice_names_the_awarded_suppliers_and_no_other_bidder(
    issued: Issued,
) -> None:
    shown = text(issued.documents.award_notice)

    assert (
        "Council Staffordshire County Council Tender Children's community support framework "
        "Reference SCC-2026-041 Date of the award decision Tuesday 22 December 2026"
    ) in shown
    assert (
        "Lot 1: Complex care Bids received: 4. Awarded supplier Total score (of 100) "
        "Ashby Care 88.00"
    ) in shown
    assert (
        "Lot 2: Overnight Bids received: 2. Awarded supplier Total score (of 100) "
        "Dale Lodge 88.00 Ashby Care 62.67"
    ) in shown
    assert "Lot 3: Nursing Bids received: 0. No bids were received." in shown
    assert "its last day is Tuesday 5 January 2027" in shown
    assert all(name not in shown for name in (BIRCH, CEDAR))


# One lot, three bidders, no standstill ------------------------------------------------------------


@pytest.fixture
async def one_lot(platform: Platform, clock: FixedClock) -> tuple[TenderView, list[LotEvaluation]]:
    """Three bids for a lot awarding up to 3 providers: all pass, all awarded."""
    setup = await evaluation(platform, clock)
    for evaluator in setup.evaluators:
        await score_everything(platform, setup, evaluator)
    await agree_everything(platform, setup)
    return setup.tender, await evaluated(setup.tender, setup.lot)


async def test_without_a_standstill_the_letters_and_notice_say_none_applies(
    one_lot: tuple[TenderView, list[LotEvaluation]],
) -> None:
    tender, lots = one_lot
    documents = await notices(tender, lots, last_day=None)

    assert len(documents.letters) == len(documents.summaries) == 3
    for letter in documents.letters.values():
        shown = text(letter)
        assert f"The standstill period {NO_STANDSTILL}" in shown
        assert "Successful. Your bid was successful" in shown
        assert "last day" not in shown
    for summary in documents.summaries.values():
        assert f"The standstill period {NO_STANDSTILL}" in text(summary)
    assert NO_STANDSTILL in text(documents.award_notice)
    content = notice_content(tender, lots, issued_on=ISSUED, standstill_last_day=None)
    assert [s.name for s in content.lots[0].awarded] == ["Cedar Support", BIRCH, ASHBY]
    letter = letter_content(
        tender,
        lots,
        next(iter(documents.letters)),
        issued_on=ISSUED,
        standstill_last_day=None,
        contact=CONTACT,
    )
    assert letter.standstill == NO_STANDSTILL


async def test_the_notices_are_pdf_a_and_render_to_the_same_bytes_twice(
    one_lot: tuple[TenderView, list[LotEvaluation]],
) -> None:
    tender, lots = one_lot
    documents = await notices(tender, lots)
    again = await notices(tender, lots)

    assert documents == again
    everything = [*documents.summaries.values(), *documents.letters.values()]
    for document in (*everything, documents.award_notice):
        reader = PdfReader(io.BytesIO(document))
        xmp = lxml.etree.fromstring(reader.trailer["/Root"]["/Metadata"].get_object().get_data())
        assert xmp.xpath("//@pdfaid:part", namespaces={"pdfaid": PDFAID}) == ["3"]
        assert xmp.xpath("//@pdfaid:conformance", namespaces={"pdfaid": PDFAID}) == ["U"]
        assert reader.metadata.creation_date == NOW
    names = bidders(lots)
    for organisation, document in documents.summaries.items():
        title = PdfReader(io.BytesIO(document)).metadata.title
        assert title == f"Assessment summary for {names[organisation]}: {tender.title}"
    assert len(set(everything)) == 6
