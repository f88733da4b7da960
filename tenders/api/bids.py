"""JSON API: a provider organisation drafts, submits, resubmits and withdraws its bids.

Only users of the bidding organisation reach a bid: anyone else, the council's people
included, is told it does not exist (404). Saves carry the version they were made from;
a repeated call has the effect of one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from litestar import Controller, Request, delete, get, post, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody
from litestar.response import Stream

from app.api_docs import BEARER, SIGNED_IN_ERRORS, error_responses
from app.dependencies import USER, PlatformDep, UserDep
from app.errors import Invalid
from app.files import DOCUMENT_TYPES
from app.templating import london_time
from app.uploads import read_multipart
from app.web_support import file_download
from tenders.api.bid_schemas import (
    REQUEST_KEY_PATTERN,
    AnswerSave,
    BidDetail,
    BidPage,
    BidProblem,
    BidSummary,
    EditConflictError,
    EvidenceFile,
    LotsChoice,
    NotReadyError,
    PriceSave,
    SavedAnswer,
    SavedPrice,
    SubmissionEntry,
    SubmissionReceipt,
    SubmissionRequest,
    WithdrawalRequest,
)
from tenders.bid_rules import price_advice
from tenders.services import bids, submissions
from tenders.services.bids import (
    AnswerEntry,
    BidLine,
    BidView,
    EvidenceView,
    PriceEntry,
    SubmissionView,
)
from tenders.services.submissions import Receipt

# Shapes from the services' views --------------------------------------------------------


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _answer(bid: BidView, lot_id: UUID, question_id: UUID) -> SavedAnswer:
    stored = bid.answers.get((lot_id, question_id))
    if stored is None:
        return SavedAnswer(lot_id, question_id, "", None, 0, None, "")
    return SavedAnswer(
        lot_id=lot_id,
        question_id=question_id,
        text=stored.text,
        declaration=stored.declaration,
        version=stored.version,
        updated_at=_utc(stored.updated_at),
        updated_by=stored.updated_by,
    )


def _prices(bid: BidView) -> list[SavedPrice]:
    """Every price item of every lot with a price saved, in the tender's order."""
    return [
        _price(bid, lot.id, item.id)
        for lot in bid.tender.lots
        for item in lot.price_items
        if item.id in bid.prices
    ]


def _price(bid: BidView, lot_id: UUID, item_id: UUID) -> SavedPrice:
    stored = bid.prices.get(item_id)
    lot = next(lot for lot in bid.tender.lots if lot.id == lot_id)
    item = next(item for item in lot.price_items if item.id == item_id)
    amount = stored.unit_price_pence if stored else None
    return SavedPrice(
        lot_id=lot_id,
        item_id=item_id,
        unit_price_pence=amount,
        version=stored.version if stored else 0,
        advice=price_advice(amount, item.reference_price_pence, bid.tender.abnormally_low_percent),
        updated_at=_utc(stored.updated_at) if stored else None,
        updated_by=stored.updated_by if stored else "",
    )


def _evidence(evidence: EvidenceView) -> EvidenceFile:
    return EvidenceFile(
        id=evidence.id,
        lot_id=evidence.lot_id,
        question_id=evidence.question_id,
        name=evidence.original_name,
        content_type=evidence.content_type,
        size=evidence.size,
        sha256=evidence.sha256,
        uploaded_at=_utc(evidence.uploaded_at),
    )


def _submission(submission: SubmissionView) -> SubmissionEntry:
    return SubmissionEntry(
        id=submission.id,
        number=submission.number,
        received_at=_utc(submission.received_at),
        digest=submission.digest,
        lot_ids=list(submission.lot_ids),
        current=submission.current,
    )


def _bid(bid: BidView, now: datetime) -> BidDetail:
    tender = bid.tender
    return BidDetail(
        id=bid.id,
        tender_id=tender.id,
        tender_title=tender.title,
        tender_reference=tender.reference,
        submission_deadline=_utc(tender.submission_deadline)
        if tender.submission_deadline
        else None,
        status=str(bid.status),
        open=bid.open(now),
        version=bid.version,
        lot_ids=list(bid.lot_ids),
        changed_at=_utc(bid.changed_at),
        withdrawn_at=_utc(bid.withdrawn_at) if bid.withdrawn_at else None,
        withdraw_reason=bid.withdraw_reason,
        answers=[_answer(bid, lot_id, question_id) for lot_id, question_id in bid.answers],
        prices=_prices(bid),
        evidence=[_evidence(e) for e in bid.evidence],
        submissions=[_submission(s) for s in bid.submissions],
        problems=[BidProblem(p.field, p.message) for p in bid.problems()],
        changed_since_submission=bid.changed_since_submission,
    )


def _summary(bid: BidLine, now: datetime) -> BidSummary:
    deadline = bid.submission_deadline
    return BidSummary(
        id=bid.id,
        tender_id=bid.tender_id,
        tender_title=bid.tender_title,
        submission_deadline=_utc(deadline) if deadline else None,
        status=str(bid.status),
        open=bid.open(now),
        lot_ids=list(bid.lot_ids),
        changed_at=_utc(bid.changed_at),
        current_submission_id=bid.current_submission_id,
        changed_since_submission=bid.changed_since_submission,
    )


def _receipt(receipt: Receipt) -> SubmissionReceipt:
    submission = receipt.submission
    return SubmissionReceipt(
        id=submission.id,
        bid_id=submission.bid_id,
        number=submission.number,
        received_at=_utc(submission.received_at),
        received_at_london=london_time(submission.received_at),
        digest=submission.digest,
        lot_ids=list(submission.lot_ids),
        lots=list(receipt.lots),
        current=submission.current,
        tender_title=receipt.tender_title,
        tender_reference=receipt.tender_reference,
        council=receipt.council,
        organisation=receipt.organisation,
        submission_deadline=_utc(receipt.deadline),
    )


# OpenAPI details Litestar cannot infer ---------------------------------------------------


@dataclass
class EvidenceUploadOperation(Operation):
    """The upload's form: the handler streams the body itself, so no parameter says it."""

    def __post_init__(self) -> None:
        file = Schema(
            type=OpenAPIType.STRING,
            format=OpenAPIFormat.BINARY,
            description="A PDF, Word document, Excel spreadsheet, PNG or JPEG",
        )
        form = Schema(type=OpenAPIType.OBJECT, properties={"file": file}, required=["file"])
        self.request_body = RequestBody(
            content={"multipart/form-data": OpenAPIMediaType(schema=form)}, required=True
        )


@dataclass
class OptionalBodyOperation(Operation):
    """For a handler whose JSON body may be left out (Litestar marks every body required)."""

    def __post_init__(self) -> None:
        if self.request_body is not None:
            self.request_body.required = False


EDIT_CONFLICT = ResponseSpec(
    data_container=EditConflictError,
    description="Saved by someone else since it was read, so not saved: `conflicts` has what "
    "is stored, who saved it and when, and the version to send to overwrite it on purpose",
)
NOT_READY = ResponseSpec(
    data_container=NotReadyError,
    description="The bid cannot be submitted yet: `problems` lists everything to fix",
)

#: A submission sent without a body: the key comes from the header, or is made up.
NO_KEY = SubmissionRequest()
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        pattern=REQUEST_KEY_PATTERN,
        description="Instead of `request_key` in the body",
    ),
]


# Controllers ----------------------------------------------------------------------------


class BidApi(Controller):
    tags = ["bids"]
    security = BEARER
    dependencies = {"user": USER}

    @post(
        "/tenders/{tender_id:str}/bid",
        status_code=201,
        summary="Start a bid",
        description=(
            "Start the organisation's bid for an open tender (providers only). An organisation "
            "has one bid per tender: starting again returns the same bid, also with 201. A tender "
            "of one lot starts with its lot chosen. 409 once the deadline has passed."
        ),
        responses=error_responses(*SIGNED_IN_ERRORS, 404, 409),
    )
    async def start(
        self, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> BidDetail:
        bid_id = await bids.start_bid(platform, user, tender_id)
        return _bid(await bids.own_bid(user, bid_id), platform.clock.now())

    @get(
        "/bids",
        summary="List the organisation's bids",
        description="The provider organisation's bids, the latest change first, 20 a page "
        "(providers only). A page past the last gives the last.",
        responses=error_responses(*SIGNED_IN_ERRORS),
    )
    async def list_bids(
        self, platform: PlatformDep, user: UserDep, page: FromQuery[int] = 1
    ) -> BidPage:
        now = platform.clock.now()
        listing = await bids.my_bids(user, page)
        return BidPage(
            items=[_summary(bid, now) for bid in listing.items],
            page=listing.number,
            pages=listing.pages,
            total=listing.total,
        )

    @get(
        "/bids/{bid_id:str}",
        summary="Read a bid",
        description=(
            "The bid with its answers, prices, files, submissions and what stops it being "
            "submitted. 404 for anyone outside the bidding organisation."
        ),
        responses=error_responses(*SIGNED_IN_ERRORS, 404),
    )
    async def read(self, platform: PlatformDep, user: UserDep, bid_id: FromPath[str]) -> BidDetail:
        return _bid(await bids.own_bid(user, bid_id), platform.clock.now())

    @put(
        "/bids/{bid_id:str}/lots",
        summary="Choose the lots",
        description=(
            "Choose the lots the bid is for, sending the bid's `version`. Answers and prices of a "
            "lot left out are kept. The same choice again changes nothing; a different one from "
            "an older version is a 409. 400 (field `lots`) for too few, too many or unknown lots; "
            "409 also after the deadline."
        ),
        responses=error_responses(*SIGNED_IN_ERRORS, 404, 409),
    )
    async def choose_lots(
        self,
        platform: PlatformDep,
        user: UserDep,
        bid_id: FromPath[str],
        data: JSONBody[LotsChoice],
    ) -> BidDetail:
        await bids.choose_lots(platform, user, bid_id, data.lot_ids, data.version)
        return _bid(await bids.own_bid(user, bid_id), platform.clock.now())

    @put(
        "/bids/{bid_id:str}/lots/{lot_id:str}/answers/{question_id:str}",
        summary="Save an answer",
        description=(
            "Save the answer to a question of a chosen lot: plain text (markup is removed), and "
            "for a pass or fail question the declaration `yes` or `no`. Send the answer's "
            "`version` (0 if never saved). Word limits are checked on submission, not here. The "
            "same answer again changes nothing; a different one from an older version is a 409 "
            "naming what is saved now. 409 also after the deadline."
        ),
        responses={**error_responses(*SIGNED_IN_ERRORS, 404), 409: EDIT_CONFLICT},
    )
    async def save_answer(
        self,
        user: UserDep,
        platform: PlatformDep,
        bid_id: FromPath[str],
        lot_id: FromPath[str],
        question_id: FromPath[str],
        data: JSONBody[AnswerSave],
    ) -> SavedAnswer:
        lot_uuid, question_uuid = bids.parse_id(lot_id), bids.parse_id(question_id)
        entry = AnswerEntry(
            question_uuid, bids.plain_text(data.text), data.declaration, data.version
        )
        await bids.save_answers(platform, user, bid_id, lot_id, [entry])
        return _answer(await bids.own_bid(user, bid_id), lot_uuid, question_uuid)

    @put(
        "/bids/{bid_id:str}/lots/{lot_id:str}/prices/{item_id:str}",
        summary="Save a unit price",
        description=(
            "Save the unit price of an item of a chosen lot's price schedule, in pence, with the "
            "`version` last read (0 if never saved). The reply carries `advice` when the price is "
            "above the council's reference price or abnormally low. Versions behave as for "
            "answers."
        ),
        responses={**error_responses(*SIGNED_IN_ERRORS, 404), 409: EDIT_CONFLICT},
    )
    async def save_price(
        self,
        platform: PlatformDep,
        user: UserDep,
        bid_id: FromPath[str],
        lot_id: FromPath[str],
        item_id: FromPath[str],
        data: JSONBody[PriceSave],
    ) -> SavedPrice:
        entry = PriceEntry(bids.parse_id(item_id), data.unit_price_pence, data.version)
        await bids.save_prices(platform, user, bid_id, lot_id, [entry])
        return _price(await bids.own_bid(user, bid_id), bids.parse_id(lot_id), entry.item_id)

    @post(
        "/bids/{bid_id:str}/lots/{lot_id:str}/questions/{question_id:str}/evidence",
        status_code=201,
        summary="Upload an evidence file",
        description=(
            "Attach a file to the answer to a question of a chosen lot: `multipart/form-data` "
            "with one file field, `file`. PDF, Word, Excel, PNG or JPEG, checked by its contents; "
            "400 for another type, a mismatched extension, an empty file or a bid with 100 files "
            "already; 413 past the size limit (refused at once when the `Content-Length` says "
            "so). The same file twice for one answer is kept once."
        ),
        responses=error_responses(*SIGNED_IN_ERRORS, 404, 409, 413),
        operation_class=EvidenceUploadOperation,
        # The body streams into the file store, which enforces the configured limit.
        request_max_body_size=None,
        # Bearer tokens authenticate the API, so no cookie can forge this request.
        opt={"exclude_from_csrf": True},
    )
    async def upload_evidence(
        self,
        request: Request,
        platform: PlatformDep,
        user: UserDep,
        bid_id: FromPath[str],
        lot_id: FromPath[str],
        question_id: FromPath[str],
    ) -> EvidenceFile:
        room = await bids.check_evidence_target(
            platform,
            user,
            bid_id,
            lot_id,
            question_id,
            max_file_bytes=platform.settings.evidence_max_bytes,
            max_bid_bytes=platform.settings.bid_max_bytes,
        )
        upload = await read_multipart(
            request,
            file_field="file",
            store=platform.files,
            max_bytes=room.max_bytes,
            allowed=DOCUMENT_TYPES,
            csrf_secret_check=None,
            too_large=room.too_large,
        )
        if upload.file is None:
            raise Invalid({"file": "Select a file"})
        evidence_id = await bids.add_evidence(
            platform,
            user,
            bid_id,
            lot_id,
            question_id,
            upload.file,
            max_bid_bytes=platform.settings.bid_max_bytes,
        )
        return _evidence(await bids.own_evidence(user, bid_id, evidence_id))

    @delete(
        "/bids/{bid_id:str}/evidence/{evidence_id:str}",
        status_code=204,
        summary="Remove an evidence file",
        description=(
            "Take a file off the bid; removing it again changes nothing. Submissions already made "
            "keep it. 409 after the deadline."
        ),
        responses=error_responses(*SIGNED_IN_ERRORS, 404, 409),
    )
    async def remove_evidence(
        self,
        platform: PlatformDep,
        user: UserDep,
        bid_id: FromPath[str],
        evidence_id: FromPath[str],
    ) -> None:
        await bids.remove_evidence(platform, user, bid_id, evidence_id)

    @get(
        "/bids/{bid_id:str}/evidence/{evidence_id:str}",
        summary="Download an evidence file",
        description="One of the bid's files, streamed, with `Content-Disposition: attachment`.",
        response_description="The file, as an attachment of the type its contents were "
        "checked to be",
        responses=error_responses(*SIGNED_IN_ERRORS, 404),
    )
    async def download_evidence(
        self,
        platform: PlatformDep,
        user: UserDep,
        bid_id: FromPath[str],
        evidence_id: FromPath[str],
    ) -> Stream:
        evidence = await bids.own_evidence(user, bid_id, evidence_id)
        return file_download(
            platform.files,
            evidence.sha256,
            original_name=evidence.original_name,
            content_type=evidence.content_type,
            size=evidence.size,
        )

    @post(
        "/bids/{bid_id:str}/submissions",
        status_code=201,
        summary="Submit the bid",
        description=(
            "Seal the bid as it stands and record the exact time of receipt, before the deadline "
            "only (409 at or after it). Submitting again later replaces the current submission. "
            "Send a `request_key` (or an `Idempotency-Key` header) to retry safely: the same key "
            "returns the same receipt, also with 201. 400 lists every problem to fix first."
        ),
        responses={**error_responses(401, 403, 404, 409), 400: NOT_READY},
        operation_class=OptionalBodyOperation,
    )
    async def submit(
        self,
        platform: PlatformDep,
        user: UserDep,
        bid_id: FromPath[str],
        idempotency_key: IdempotencyKey = None,
        data: JSONBody[SubmissionRequest] = NO_KEY,
    ) -> SubmissionReceipt:
        key = data.request_key or idempotency_key or submissions.new_request_key()
        submitted = await submissions.submit(platform, user, bid_id, key)
        return _receipt(await submissions.receipt(user, bid_id, submitted.id))

    @get(
        "/bids/{bid_id:str}/submissions/{submission_id:str}",
        summary="Read a submission receipt",
        description="The receipt of one of the bid's submissions, current or not.",
        responses=error_responses(*SIGNED_IN_ERRORS, 404),
    )
    async def read_receipt(
        self, user: UserDep, bid_id: FromPath[str], submission_id: FromPath[str]
    ) -> SubmissionReceipt:
        return _receipt(await submissions.receipt(user, bid_id, submission_id))

    @post(
        "/bids/{bid_id:str}/withdrawal",
        status_code=200,
        summary="Withdraw the bid",
        description=(
            "Withdraw a submitted bid before the deadline, with a `reason`: the council will not "
            "evaluate it. Withdrawing again changes nothing; the bid can be submitted again "
            "before the deadline. 400 for a bid never submitted or no reason."
        ),
        responses=error_responses(*SIGNED_IN_ERRORS, 404, 409),
    )
    async def withdraw(
        self,
        platform: PlatformDep,
        user: UserDep,
        bid_id: FromPath[str],
        data: JSONBody[WithdrawalRequest],
    ) -> BidDetail:
        await submissions.withdraw(platform, user, bid_id, data.reason)
        return _bid(await bids.own_bid(user, bid_id), platform.clock.now())


CONTROLLERS: list[type[Controller]] = [BidApi]
