"""JSON API: the award of a moderated tender (rule 11). An officer produces the award
report, kept as it was made; an officer on none of the tender's panels approves the award
it recommends, with reasons, against the SHA-256 digest of the latest report. Once it is
approved, an officer issues the notices (rules 12 and 13) and confirms the award when the
standstill is over.

Each bidder reads the decision on its own bid: the standstill, its outcome for each lot once
the award is confirmed, and its notices to download. Anyone outside the bidding
organisation, the council's people included, is told it does not exist (rule 4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody
from litestar.response import Stream

from app.api_docs import BEARER, SIGNED_IN_ERRORS, error_responses, file_responses
from app.dependencies import USER, PlatformDep, UserDep
from app.files import PDF
from app.guards import officers_only
from evaluation.api.award_schemas import (
    ApprovalRequest,
    AwardOut,
    AwardReportOut,
    BidDecisionOut,
    DecisionOut,
    NoticeOut,
    StandstillOut,
    bid_decision_out,
    decision_out,
    notice_out,
    report_out,
    standstill_out,
)
from evaluation.services import awards, notices
from evaluation.web.awards import (
    ZIP,
    decision_record_download,
    notice_download,
    report_download,
)
from evaluation.web.notices import bid_notice_download


def _award(standing: awards.Standing, now: datetime) -> AwardOut:
    tender = standing.tender
    return AwardOut(
        tender_id=tender.id,
        tender_title=tender.title,
        tender_reference=tender.reference,
        tender_status=tender.status(now),
        reports=[report_out(report) for report in standing.reports],
        decision=decision_out(standing.decision) if standing.decision else None,
        waiting_for=standing.waiting_for,
        approval_refused=standing.approval_refused,
        report_refused=standing.report_refused,
        may_produce=standing.may_produce,
        may_approve=standing.may_approve,
    )


class AwardApi(Controller):
    path = "/tenders/{tender_id:str}/award"
    tags = ["evaluation: award"]
    security = BEARER
    dependencies = {"user": USER}

    @get(
        "/",
        guards=[officers_only],
        summary="Read where the award stands",
        description="The tender's award reports, the latest first, the decision once made, "
        "and what the caller may do: what must happen before a report can be produced, and "
        "why the caller may not approve (a seat on one of the tender's panels) or read the "
        "reports (an evaluator of one of its lots). For the council's officers.",
        responses=error_responses(*SIGNED_IN_ERRORS, 404),
    )
    async def read_award(
        self, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> AwardOut:
        return _award(await awards.standing(user, tender_id), platform.clock.now())

    @post(
        "/reports",
        guards=[officers_only],
        status_code=201,
        summary="Produce the award report",
        description="Produce the award report (PDF/A) of a moderated tender now and keep it as "
        "made, for the decision maker to read: the requirement, the method and weights, the "
        "panels and conflicts record, each lot's ranked results, exclusions, price analysis "
        "and moderation, and the recommendation with its reasons. Audited. 403 for an officer "
        "who evaluates one of the tender's lots; 409 before every lot with bids is signed off "
        "and once the award is approved.",
        responses=error_responses(*SIGNED_IN_ERRORS, 404, 409),
    )
    async def make_report(
        self, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> AwardReportOut:
        return report_out(await awards.make_report(platform, user, tender_id))

    @get(
        "/reports/{report_file:str}",
        guards=[officers_only],
        summary="Download an award report",
        description="`{report id}.pdf`: the report's PDF as it was made (the bytes whose "
        "SHA-256 the report lists), with `Content-Disposition: attachment`. 403 for an "
        "officer who evaluates one of the tender's lots.",
        media_type=PDF,
        responses=file_responses("The award report (PDF/A)", PDF),
    )
    async def download_report(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        report_file: FromPath[str],
    ) -> Stream:
        return await report_download(platform, user, tender_id, report_file)

    @post(
        "/approve",
        guards=[officers_only],
        status_code=200,
        summary="Approve the award",
        description="Approve the award the latest award report recommends, with reasons, "
        "against the digest of that report: the tender becomes `award_approved`. Audited. "
        "400 on `reasons` (or a malformed `report_sha256`); 403 for an officer who sits on "
        "one of the tender's panels, as evaluator or moderator; 409 before moderation or "
        "before a report is produced, when a newer report than the one named exists, and "
        "once the award is approved.",
        responses=error_responses(*SIGNED_IN_ERRORS, 404, 409),
    )
    async def approve(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        data: JSONBody[ApprovalRequest],
    ) -> DecisionOut:
        decided = await awards.approve(
            platform, user, tender_id, report_sha256=data.report_sha256, reasons=data.reasons
        )
        return decision_out(decided)

    @get(
        "/notices",
        summary="List the notices of the award",
        description="The notices issued once the award was approved: each bidder's "
        "assessment summary and decision letter and the public award notice, as kept. 403 "
        "for an evaluator; 404 before they are issued.",
        responses=error_responses(*SIGNED_IN_ERRORS, 404),
    )
    async def list_notices(self, user: UserDep, tender_id: FromPath[str]) -> list[NoticeOut]:
        return [notice_out(notice) for notice in await notices.notice_files(user, tender_id)]

    @post(
        "/notices",
        guards=[officers_only],
        status_code=200,
        summary="Issue the notices of the award",
        description="Issue the notices of an approved award: each bidder's assessment "
        "summary and decision letter (PDF/A), emailed to every user of the bidder with its "
        "own attached, and the public award notice. The standstill begins today. Issuing "
        "again changes nothing and answers the same. Audited. 403 for an evaluator; 409 "
        "before the award is approved.",
        responses=error_responses(*SIGNED_IN_ERRORS, 404, 409),
    )
    async def issue_notices(
        self, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> StandstillOut:
        return standstill_out(await notices.issue(platform, user, tender_id))

    @get(
        "/notices/{notice_id:str}",
        summary="Download a notice of the award",
        description="The notice's PDF as it was issued, with `Content-Disposition: "
        "attachment`. 403 for an evaluator.",
        media_type=PDF,
        responses=file_responses("The notice (PDF/A)", PDF),
    )
    async def download_notice(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        notice_id: FromPath[str],
    ) -> Stream:
        return notice_download(platform, await notices.notice_file(user, tender_id, notice_id))

    @get(
        "/decision-record",
        guards=[officers_only],
        summary="Download the decision record",
        description="One zip, made now, to defend the award: the tender's OCDS releases and "
        "documents, the approved award report and the decision, every notice, each lot's "
        "individual scores, consensus and results with reasons (CSV), the conflicts record, "
        "the tender's audit events with the chain's verification, and `manifest.sha256` (the "
        "SHA-256 of every other file). Audited with the manifest's digest. For the council's "
        "officers who evaluate none of its lots: 403 for others; 409 before the award is "
        "approved.",
        media_type=ZIP,
        responses=file_responses("The decision record (ZIP)", ZIP, 409),
    )
    async def download_decision_record(
        self, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Stream:
        return await decision_record_download(platform, user, tender_id)

    @post(
        "/confirm",
        guards=[officers_only],
        status_code=200,
        summary="Confirm the award",
        description="Confirm the award once the standstill is over (at once where none "
        "applies): the tender becomes `awarded`. Confirming again changes nothing. Audited. "
        "403 for an evaluator; 409 before the notices are issued, and before the standstill "
        "is over, with the day the award can be confirmed from.",
        responses=error_responses(*SIGNED_IN_ERRORS, 404, 409),
    )
    async def confirm(
        self, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> StandstillOut:
        return standstill_out(await notices.confirm(platform, user, tender_id))


def bid_notice_url(bid_id: Any, notice_id: Any) -> str:
    return f"/api/v1/bids/{bid_id}/notices/{notice_id}"


class BidDecisionApi(Controller):
    path = "/bids/{bid_id:str}"
    tags = ["bids"]
    security = BEARER
    dependencies = {"user": USER}

    @get(
        "/decision",
        summary="Read the decision on a bid",
        description="Once the council has issued its notices of the award: the standstill "
        "(its last day, and when the award was confirmed), the bid's outcome for each lot it "
        "was evaluated for (`successful`, `unsuccessful` with its rank, or `excluded` with the "
        "reasons; null until the award is confirmed), and the bidder's notices to download. "
        "404 before the notices are issued, and for anyone outside the bidding organisation.",
        responses=error_responses(*SIGNED_IN_ERRORS, 404),
    )
    async def read_decision(self, user: UserDep, bid_id: FromPath[str]) -> BidDecisionOut:
        decision = await notices.bid_decision(user, bid_id)
        return bid_decision_out(decision, lambda notice: bid_notice_url(decision.bid_id, notice.id))

    @get(
        "/notices/{notice_id:str}",
        summary="Download a notice of the decision on a bid",
        description="One of the bidder's notices (its assessment summary, its decision letter "
        "or the award notice) as it was issued, with `Content-Disposition: attachment`. 404 "
        "for anyone outside the bidding organisation, and for another bidder's notice.",
        media_type=PDF,
        responses=file_responses("The notice (PDF/A)", PDF),
    )
    async def download_notice(
        self,
        platform: PlatformDep,
        user: UserDep,
        bid_id: FromPath[str],
        notice_id: FromPath[str],
    ) -> Stream:
        return await bid_notice_download(platform, user, bid_id, notice_id)


CONTROLLERS: list[type[Controller]] = [AwardApi, BidDecisionApi]
