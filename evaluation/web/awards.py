"""Pages: the award of a moderated tender (rule 11). An officer produces the award report,
which is kept as it was made and downloads as those very bytes; an officer on none of the
tender's panels approves the award the latest report recommends, with reasons, against the
digest of that report. Before moderation the page says what must happen first.

Once the award is approved, an officer issues the notices (rules 12 and 13) here: the
page gives the standstill in words, lists the notices to download as they were kept, and
confirms the award once the standstill is over; a confirmation asked too early is refused
with the day it can be made. From approval on, an officer who evaluates none of its lots
downloads the decision record here.

The services decide who may do what: a panel member's approval is refused with the
reason, and so is anything asked at the wrong stage; the page says so before they try.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Stream, Template

from app.accounts import CurrentUser
from app.dependencies import PLATFORM, USER, PlatformDep, UserDep
from app.errors import Invalid, InvalidTransition, NotFound
from app.files import PDF
from app.guards import officers_only
from app.platform import Platform
from app.templating import london_time
from app.web_support import (
    file_download,
    form_data,
    render,
    render_invalid,
    see_other,
    stream_download,
)
from evaluation.services import awards, decision_record, notices
from evaluation.services.awards import Standing
from evaluation.services.notice_documents import day_words
from evaluation.services.notices import NoticeFile, Standstill
from tenders.services.submissions import new_request_key

AWARD = "evaluation/awards/award.html"
APPROVAL_FIELDS = ["reasons"]
ZIP = "application/zip"


def award_path(tender_id: Any) -> str:
    return f"/tenders/{tender_id}/award"


def report_path(tender_id: Any, report_id: Any) -> str:
    return f"{award_path(tender_id)}/reports/{report_id}.pdf"


async def report_download(
    platform: Platform, user: CurrentUser, tender_id: str, report_file: str
) -> Stream:
    """The stored bytes of a report named ``<report id>.pdf``, as an attachment: the PDF
    as it was put to the decision maker, never a re-render."""
    report_id, dot_pdf, rest = report_file.partition(".pdf")
    if not dot_pdf or rest:
        raise NotFound()
    stored = await awards.read_report(platform, user, tender_id, report_id)
    return file_download(
        platform.files,
        stored.sha256,
        original_name=stored.filename,
        content_type=PDF,
        size=stored.size,
    )


def notice_path(tender_id: Any, notice_id: Any) -> str:
    return f"{award_path(tender_id)}/notices/{notice_id}"


def notice_download(platform: Platform, notice: NoticeFile) -> Stream:
    """A notice's stored PDF, as issued, as an attachment."""
    return file_download(
        platform.files,
        notice.sha256,
        original_name=notice.filename,
        content_type=PDF,
        size=notice.size,
    )


async def decision_record_download(platform: Platform, user: CurrentUser, tender_id: str) -> Stream:
    """The tender's decision record, made now, as a zip attachment."""
    record = await decision_record.decision_record(platform, user, tender_id)
    return stream_download(
        decision_record.chunks(record),
        original_name=record.filename,
        content_type=ZIP,
        size=record.size,
    )


async def _notices(
    user: CurrentUser, standing: Standing
) -> tuple[Standstill | None, list[NoticeFile]]:
    """The standstill and the notices, once approved, for an officer (evaluators read
    neither)."""
    if standing.decision is None or not user.is_officer:
        return None, []
    standstill = await notices.standstill_of(user, standing.tender.id)
    if standstill is None:
        return None, []
    return standstill, await notices.notice_files(user, standing.tender.id)


async def _context(
    platform: Platform, user: CurrentUser, standing: Standing, values: Mapping[str, str]
) -> dict[str, Any]:
    latest = standing.latest
    standstill, notice_list = await _notices(user, standing)
    return {
        "standstill": standstill,
        "notices": notice_list,
        "notice_path": lambda notice: notice_path(standing.tender.id, notice.id),
        "day_words": day_words,
        "request_key": new_request_key(),
        "may_issue": user.is_officer,
        "standing": standing,
        "tender": standing.tender,
        "status": standing.tender.status(platform.clock.now()),
        "base": award_path(standing.tender.id),
        "report_path": lambda report: report_path(standing.tender.id, report.id),
        "values": {
            "report_sha256": latest.sha256 if latest else "",
            **values,
        },
    }


class AwardPages(Controller):
    path = "/tenders/{tender_id:str}/award"
    include_in_schema = False
    guards = [officers_only]
    dependencies = {"platform": PLATFORM, "user": USER}

    @get("/")
    async def award(
        self, request: Request, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Template:
        standing = await awards.standing(user, tender_id)
        return render(request, AWARD, await _context(platform, user, standing, {}))

    @post("/reports")
    async def make_report(
        self, request: Request, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Response:
        values = await form_data(request)
        made = await awards.make_report(
            platform, user, tender_id, request_key=values.get("request_key") or None
        )
        return see_other(
            f"{award_path(tender_id)}#reports",
            flash=f"The award report has been produced at {london_time(made.made_at)}",
        )

    @get("/reports/{report_file:str}")
    async def report(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        report_file: FromPath[str],
    ) -> Stream:
        return await report_download(platform, user, tender_id, report_file)

    @post("/approve")
    async def approve(
        self, request: Request, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Response:
        values = await form_data(request)
        try:
            await awards.approve(
                platform,
                user,
                tender_id,
                report_sha256=values.get("report_sha256", ""),
                reasons=values.get("reasons", ""),
            )
        except Invalid as error:
            standing = await awards.standing(user, tender_id)
            kept = {name: values.get(name, "") for name in ("report_sha256", "reasons")}
            return render_invalid(
                request,
                AWARD,
                error,
                APPROVAL_FIELDS,
                kept,
                await _context(platform, user, standing, kept),
            )
        return see_other(
            f"{award_path(tender_id)}#decision",
            flash="You approved the award. The tender is now award approved",
        )

    @post("/notices")
    async def issue_notices(
        self, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Response:
        issued = await notices.issue(platform, user, tender_id)
        return see_other(
            f"{award_path(tender_id)}#notices",
            flash=f"The notices were issued at {london_time(issued.issued_at)}",
        )

    @get("/notices/{notice_id:str}")
    async def notice(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        notice_id: FromPath[str],
    ) -> Stream:
        return notice_download(platform, await notices.notice_file(user, tender_id, notice_id))

    @get("/decision-record")
    async def decision_record(
        self, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Stream:
        return await decision_record_download(platform, user, tender_id)

    @post("/confirm")
    async def confirm(
        self, request: Request, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Response | Template:
        try:
            await notices.confirm(platform, user, tender_id)
        except InvalidTransition as error:
            # Back on the award page, where the officer was, with why and from when.
            standing = await awards.standing(user, tender_id)
            context = await _context(platform, user, standing, {})
            refusal = {"summary": [{"text": error.message, "href": "#confirmation"}], "fields": {}}
            return render(
                request, AWARD, {**context, "errors": refusal}, status_code=error.status_code
            )
        return see_other(
            f"{award_path(tender_id)}#confirmation",
            flash="You confirmed the award. The tender is now awarded",
        )


CONTROLLERS: list[type[Controller]] = [AwardPages]
