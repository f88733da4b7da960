"""JSON API: blind individual scoring (rule 8). An evaluator of a lot, cleared of conflicts,
reads each bid, saves a mark with its reason for every question, and submits them all,
which locks them. Until then the evaluator sees no other evaluator's scores; from then on,
those of the others who have submitted theirs. Every read of a bid is audited.

A conflicted or undeclared member, and the lot's moderator (who does not score), are
refused with 403; anyone outside the lot's panel is told the lot is not found.
"""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, get, post, put
from litestar.params import FromPath, JSONBody
from litestar.response import Stream

from app.api_docs import BEARER, SIGNED_IN_ERRORS, error_responses
from app.dependencies import USER, PlatformDep, UserDep
from app.errors import Invalid
from app.web_support import sealed_file_download
from evaluation.api.schemas import (
    AnswerOut,
    BidReading,
    EvidenceOut,
    ScoreSheet,
    ScoresRequest,
    SheetBid,
    bidder,
    entries_by_question,
    entry_names,
    evaluation_lot,
    missing,
    questions,
    renamed,
    score,
    utc,
)
from evaluation.services import scores
from evaluation.services.scores import ScoreInput


def _sheet(sheet: scores.Sheet, now: datetime) -> ScoreSheet:
    return ScoreSheet(
        lot=evaluation_lot(sheet.tender, sheet.lot, now),
        questions=questions(sheet.tender, sheet.questions),
        bids=[
            SheetBid(
                bid.bid_id, bid.organisation_id, bid.name, utc(bid.received_at), sheet.scored(bid)
            )
            for bid in sheet.bids
        ],
        scores=[
            score(given, bid.bid_id, question.kind)
            for bid in sheet.bids
            for question in sheet.questions
            if (given := sheet.scores.get((bid.submission_id, question.id)))
        ],
        submitted_at=utc(sheet.submitted_at) if sheet.submitted_at else None,
        missing=[
            missing(bid, question, scores.missing_message(bid, question))
            for bid, question in sheet.missing
        ],
    )


def _reading(reading: scores.Reading, now: datetime) -> BidReading:
    sheet, bid = reading.sheet, reading.bid
    return BidReading(
        lot=evaluation_lot(sheet.tender, sheet.lot, now),
        bid=bidder(bid),
        questions=questions(sheet.tender, sheet.questions),
        answers=[
            AnswerOut(
                question_id=question.id,
                question_number=question.number,
                text=answer["text"],
                declaration=answer["declaration"],
                evidence=[
                    EvidenceOut(e["sha256"], e["name"], e["type"], e["size"])
                    for e in answer["evidence"]
                ],
            )
            for question in sheet.questions
            if (answer := reading.answers.get(question.id))
        ],
        scores=[
            score(given, bid.bid_id, question.kind)
            for question in sheet.questions
            if (given := sheet.scores.get((bid.submission_id, question.id)))
        ],
        blind=sheet.submitted_at is None,
        others=[
            score(given, bid.bid_id, question.kind)
            for question in sheet.questions
            for given in reading.others.get(question.id, ())
        ],
        submitted_at=utc(sheet.submitted_at) if sheet.submitted_at else None,
        previous_bid_id=reading.previous.bid_id if reading.previous else None,
        next_bid_id=reading.next.bid_id if reading.next else None,
    )


class ScoringApi(Controller):
    path = "/evaluations/{tender_id:str}/lots/{lot_id:str}"
    tags = ["evaluation: scoring"]
    security = BEARER
    dependencies = {"user": USER}

    @get(
        "/scores",
        summary="Read my score sheet",
        description="Your scores for the lot (evaluators of the lot, cleared of conflicts): "
        "its questions with the marks each takes, its bids with how many questions you have "
        "scored, your scores, when you submitted them and what is left to score. 403 before "
        "opening, before declaring, with a conflict, or for the lot's moderator.",
        responses=error_responses(*SIGNED_IN_ERRORS, 404),
    )
    async def sheet(
        self, platform: PlatformDep, user: UserDep, tender_id: FromPath[str], lot_id: FromPath[str]
    ) -> ScoreSheet:
        return _sheet(await scores.sheet(user, tender_id, lot_id), platform.clock.now())

    @get(
        "/bids/{bid_id:str}",
        summary="Read a bid to score it",
        description="A bid of the lot: its sealed answers with their files' details, your "
        "scores for it and, once you have submitted yours (`blind` false), the scores of the "
        "other evaluators who have submitted theirs. Each read is written to the audit log. "
        "Refused as the score sheet is.",
        responses=error_responses(*SIGNED_IN_ERRORS, 404),
    )
    async def read_bid(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        lot_id: FromPath[str],
        bid_id: FromPath[str],
    ) -> BidReading:
        reading = await scores.read_bid(platform, user, tender_id, lot_id, bid_id)
        return _reading(reading, platform.clock.now())

    @get(
        "/bids/{bid_id:str}/files/{sha256:str}",
        summary="Download a bid's file",
        description="A file of the sealed bid, by its SHA-256, with `Content-Disposition: "
        "attachment` (the lot's panel, cleared of conflicts). Each download is written to the "
        "audit log.",
        response_description="The file, as an attachment of the type its contents were "
        "checked to be",
        responses=error_responses(*SIGNED_IN_ERRORS, 404),
    )
    async def download(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        lot_id: FromPath[str],
        bid_id: FromPath[str],
        sha256: FromPath[str],
    ) -> Stream:
        found = await scores.evidence(platform, user, tender_id, lot_id, bid_id, sha256)
        return sealed_file_download(platform.files, found)

    @put(
        "/bids/{bid_id:str}/scores",
        summary="Save my scores for a bid",
        description="Save draft scores for some or all of the bid's questions: a mark with "
        "its reason, and perhaps a passage of the answer that supports it. They stay drafts, "
        "and yours alone, until you submit. Saving the same again changes nothing. 400 on "
        "`scores[i].mark`, `scores[i].rationale`, `scores[i].quote` or "
        "`scores[i].question`, and on `scores` for a question not of this lot; 409 once "
        "submitted: submitted scores are locked.",
        responses=error_responses(*SIGNED_IN_ERRORS, 404, 409),
    )
    async def save(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        lot_id: FromPath[str],
        bid_id: FromPath[str],
        data: JSONBody[ScoresRequest],
    ) -> ScoreSheet:
        places = entries_by_question(data.scores, "scores")
        entries = {e.question: ScoreInput(str(e.mark), e.rationale, e.quote) for e in data.scores}
        try:
            sheet = await scores.save(platform, user, tender_id, lot_id, bid_id, entries)
        except Invalid as error:
            names = entry_names(places, "scores", ("mark", "rationale", "quote"))
            raise renamed(error, names, "scores") from error
        return _sheet(sheet, platform.clock.now())

    @post(
        "/scores/submit",
        status_code=200,
        summary="Submit my scores for the lot",
        description="Submit your scores for every question of every bid of the lot, which "
        "locks them; from then on you see the other evaluators' submitted scores. Submitting "
        "again changes nothing. 400 names each question left, keyed "
        "`bid-<bid id>-question-<question id>` (the sheet's `missing`).",
        responses=error_responses(*SIGNED_IN_ERRORS, 404),
    )
    async def submit(
        self, platform: PlatformDep, user: UserDep, tender_id: FromPath[str], lot_id: FromPath[str]
    ) -> ScoreSheet:
        return _sheet(await scores.submit(platform, user, tender_id, lot_id), platform.clock.now())


CONTROLLERS: list[type[Controller]] = [ScoringApi]
