"""JSON shapes of the bids API: a provider organisation's working copy of a bid (lots,
answers, prices, evidence files), what stops it being submitted, and its receipts.

Every save names the ``version`` it was made from (0 for something never saved): a save
from an older version is a 409 unless it says what is stored already (a repeated call).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from tenders.services.bids import MAX_UNIT_PRICE_PENCE
from tenders.services.submissions import REQUEST_KEY_PATTERN
from tenders.vocabulary import Declaration

# Requests -------------------------------------------------------------------------------


class LotsChoice(msgspec.Struct):
    #: Ids of the tender's lots; the order does not matter.
    lot_ids: list[str] = msgspec.field(default_factory=list)
    #: The bid's ``version`` as last read.
    version: int = 0


class AnswerSave(msgspec.Struct):
    """An answer to one question of a lot; ``declaration`` only for pass or fail
    questions."""

    text: str = ""
    declaration: Declaration | None = None
    #: The answer's ``version`` as last read; 0 if it was never saved.
    version: int = 0


class PriceSave(msgspec.Struct):
    #: In pence (1587 is £15.87); null clears the price.
    unit_price_pence: (
        Annotated[int, msgspec.Meta(ge=0, le=MAX_UNIT_PRICE_PENCE, examples=[1587])] | None
    ) = None
    #: The price's ``version`` as last read; 0 if it was never saved.
    version: int = 0


class SubmissionRequest(msgspec.Struct, frozen=True):
    #: Chosen by the client: sending the same key again returns the same receipt.
    request_key: Annotated[str, msgspec.Meta(pattern=REQUEST_KEY_PATTERN)] | None = None


class WithdrawalRequest(msgspec.Struct):
    reason: str = ""


# Responses ------------------------------------------------------------------------------


class SavedAnswer(msgspec.Struct):
    lot_id: UUID
    question_id: UUID
    text: str
    declaration: Declaration | None
    #: 0 for an answer never saved.
    version: int
    updated_at: datetime | None
    #: The colleague who saved it last.
    updated_by: str


class SavedPrice(msgspec.Struct):
    lot_id: UUID
    item_id: UUID
    unit_price_pence: int | None
    version: int
    #: What an evaluator will notice beside the council's reference price, if anything.
    advice: str | None
    updated_at: datetime | None
    updated_by: str


class EvidenceFile(msgspec.Struct):
    id: UUID
    lot_id: UUID
    question_id: UUID
    #: The name it was uploaded with.
    name: str
    #: The type its contents were checked to be.
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


class SubmissionEntry(msgspec.Struct):
    id: UUID
    number: int
    received_at: datetime
    #: SHA-256 of the sealed content.
    digest: str
    lot_ids: list[UUID]
    #: False once superseded by a resubmission or withdrawn.
    current: bool


class BidProblem(msgspec.Struct):
    #: The field to fix: ``lots``, ``answer-<question id>``, ``declaration-<question id>``
    #: or ``price-<item id>``.
    field: str
    message: str


class BidDetail(msgspec.Struct):
    id: UUID
    tender_id: UUID
    tender_title: str
    tender_reference: str
    submission_deadline: datetime | None
    #: ``draft``, ``submitted`` or ``withdrawn``.
    status: str
    #: True while the tender is open: the bid can change, be submitted or withdrawn.
    open: bool
    #: Of the lot choice: send it back with ``PUT /bids/{id}/lots``.
    version: int
    lot_ids: list[UUID]
    changed_at: datetime
    withdrawn_at: datetime | None
    withdraw_reason: str | None
    answers: list[SavedAnswer]
    prices: list[SavedPrice]
    evidence: list[EvidenceFile]
    #: Newest first.
    submissions: list[SubmissionEntry]
    #: What stops the bid being submitted now; empty when it is ready.
    problems: list[BidProblem]
    #: The working copy changed after the current submission: resubmit to send the change.
    changed_since_submission: bool


class BidSummary(msgspec.Struct):
    id: UUID
    tender_id: UUID
    tender_title: str
    submission_deadline: datetime | None
    status: str
    open: bool
    lot_ids: list[UUID]
    changed_at: datetime
    current_submission_id: UUID | None
    changed_since_submission: bool


class BidPage(msgspec.Struct):
    items: list[BidSummary]
    page: int
    pages: int
    total: int


class SubmissionReceipt(msgspec.Struct):
    id: UUID
    bid_id: UUID
    number: int
    #: The exact time of receipt, UTC.
    received_at: datetime
    #: The same instant in UK time, like "12:00pm on Friday 11 December 2026".
    received_at_london: str
    #: SHA-256 of the sealed content: answers, prices and the digests of the files.
    digest: str
    lot_ids: list[UUID]
    #: "Lot 1: Complex care", ...
    lots: list[str]
    current: bool
    tender_title: str
    tender_reference: str
    council: str
    organisation: str
    submission_deadline: datetime


# Errors with details --------------------------------------------------------------------


class ConflictingEdit(msgspec.Struct):
    field: str
    label: str
    #: What is saved now, who saved it and when.
    theirs: str
    by: str
    at: datetime
    #: What was sent, not saved.
    yours: str
    #: The version to send to save "yours" over "theirs" on purpose.
    version: int


class EditConflictError(msgspec.Struct):
    """A 409: the edits that conflicted with another person's, when that is why; a change
    refused for another reason (the deadline has passed) has none."""

    status: int
    message: str
    conflicts: list[ConflictingEdit] = msgspec.field(default_factory=list)


class SubmissionProblem(msgspec.Struct):
    message: str
    #: Where to fix it, relative to the bid's page on the website.
    page: str
    field: str


class NotReadyError(msgspec.Struct):
    status: int
    message: str
    #: One message per field (two lots may share a field: ``problems`` has them all).
    errors: dict[str, str]
    #: Every problem stopping the submission; none when the request itself was refused
    #: (a malformed ``Idempotency-Key``), which ``errors`` names.
    problems: list[SubmissionProblem] = msgspec.field(default_factory=list)
