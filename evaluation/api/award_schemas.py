"""JSON shapes of the award API: the award reports of a tender as they were made, the
decision approving the award against one of them, and what the caller may do next; and
the decision as a bidder reads it on its bid. Instants are UTC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import msgspec

from evaluation.api.schemas import utc
from evaluation.services.awards import MAX_REASONS, Decision, StoredReport
from evaluation.services.notices import BidDecision, LotDecision, NoticeFile, Standstill
from evaluation.vocabulary import LotOutcome, NoticeKind
from tenders.vocabulary import TenderStatus

# Requests -------------------------------------------------------------------------------


class ApprovalRequest(msgspec.Struct):
    report_sha256: Annotated[
        str,
        msgspec.Meta(
            pattern="^[0-9a-f]{64}$",
            description="The SHA-256 digest of the award report you read: it must be the "
            "latest report's, else 409.",
        ),
    ]
    reasons: Annotated[
        str,
        msgspec.Meta(
            description=f"The reasons for the decision, required ({MAX_REASONS:,} characters "
            "at most). Errors are on `reasons`."
        ),
    ] = ""


# Responses ------------------------------------------------------------------------------


class AwardReportOut(msgspec.Struct):
    """An award report as it was made: download it from `reports/{id}.pdf`."""

    id: UUID
    #: Of the PDF, the very bytes the download gives.
    sha256: str
    size: int
    made_by: str
    made_at: datetime
    #: The name it downloads as.
    filename: str


class DecisionOut(msgspec.Struct):
    """The approval of the award the report recommended."""

    #: The digest of the report approved.
    report_sha256: str
    reasons: str
    approved_by: str
    approved_at: datetime


class AwardOut(msgspec.Struct):
    tender_id: UUID
    tender_title: str
    tender_reference: str
    tender_status: TenderStatus
    #: The latest first: only the latest can be approved.
    reports: list[AwardReportOut]
    decision: DecisionOut | None
    #: What must happen before an award report can be produced, if anything.
    waiting_for: str | None
    #: Why the caller may not approve the award (a seat on one of the tender's panels).
    approval_refused: str | None
    #: Why the caller may not produce or download the reports (an evaluator of a lot).
    report_refused: str | None
    #: The caller can produce a report now.
    may_produce: bool
    #: The caller can approve the latest report now.
    may_approve: bool


class StandstillOut(msgspec.Struct):
    """The standstill that began when the notices were issued. Days are London dates."""

    notices_issued_at: datetime
    #: The standstill's last day; None where none applies.
    last_day: date | None
    #: The first day the award can be confirmed.
    confirmable_from: date
    #: When the award was confirmed (the tender is then `awarded`).
    confirmed_at: datetime | None


class NoticeOut(msgspec.Struct):
    """A notice as it was issued: download it from `notices/{id}`."""

    id: UUID
    kind: NoticeKind
    #: The bidder it is for; None for the public award notice.
    organisation_id: UUID | None
    #: Of the PDF, the very bytes the download gives.
    sha256: str
    size: int
    issued_at: datetime
    #: The name it downloads as.
    filename: str


class BidNoticeOut(NoticeOut):
    """One of the bidder's notices, as it was issued."""

    #: Where to download it, with the same bearer token.
    url: str


class LotDecisionOut(msgspec.Struct):
    """The bid's outcome for one lot it was evaluated for."""

    lot_id: UUID
    number: int
    name: str
    #: None until the award is confirmed after the standstill.
    outcome: LotOutcome | None
    #: The bid's place among the lot's compliant bids, 1 the best; None if excluded, and
    #: until the award is confirmed.
    rank: int | None
    #: Why the bid was excluded; empty otherwise.
    reasons: list[str]


class BidDecisionOut(msgspec.Struct):
    """The award decision on one of the organisation's bids, once the notices are issued."""

    bid_id: UUID
    tender_id: UUID
    tender_title: str
    tender_reference: str
    standstill: StandstillOut
    #: Each lot the bid was evaluated for, in lot order.
    lots: list[LotDecisionOut]
    #: The bidder's assessment summary and decision letter, and the public award notice.
    notices: list[BidNoticeOut]


# Shapes from the services' views --------------------------------------------------------


def report_out(report: StoredReport) -> AwardReportOut:
    return AwardReportOut(
        report.id, report.sha256, report.size, report.made_by, utc(report.made_at), report.filename
    )


def decision_out(decision: Decision) -> DecisionOut:
    return DecisionOut(
        decision.report_sha256, decision.reasons, decision.approved_by, utc(decision.approved_at)
    )


def standstill_out(standstill: Standstill) -> StandstillOut:
    return StandstillOut(
        utc(standstill.issued_at),
        standstill.last_day,
        standstill.confirmable_from,
        utc(standstill.confirmed_at) if standstill.confirmed_at else None,
    )


def notice_out(notice: NoticeFile) -> NoticeOut:
    return NoticeOut(
        notice.id,
        notice.kind,
        notice.organisation_id,
        notice.sha256,
        notice.size,
        utc(notice.issued_at),
        notice.filename,
    )


def bid_decision_out(
    decision: BidDecision, notice_url: Callable[[NoticeFile], str]
) -> BidDecisionOut:
    assert decision.standstill is not None, "a decision is given once the notices are issued"
    return BidDecisionOut(
        bid_id=decision.bid_id,
        tender_id=decision.tender.id,
        tender_title=decision.tender.title,
        tender_reference=decision.tender.reference,
        standstill=standstill_out(decision.standstill),
        lots=[_lot_decision_out(lot) for lot in decision.lots],
        notices=[
            BidNoticeOut(**msgspec.structs.asdict(notice_out(notice)), url=notice_url(notice))
            for notice in decision.notices
        ],
    )


def _lot_decision_out(decision: LotDecision) -> LotDecisionOut:
    return LotDecisionOut(
        decision.lot.id,
        decision.lot.number,
        decision.lot.name,
        decision.outcome,
        decision.rank,
        list(decision.reasons),
    )
