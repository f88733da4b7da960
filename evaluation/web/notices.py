"""Pages: the award decision as a bidder sees it on its bid (rules 12 and 13): the
standstill in words, its outcome for each lot once the award is confirmed, and its notices
to download as they were issued: its own assessment summary and decision letter and the
public award notice. Only the users of the bidding organisation reach them; anyone else is
told they are not found (rule 4)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Stream, Template

from app.accounts import CurrentUser
from app.clock import LONDON
from app.dependencies import PLATFORM, USER, PlatformDep, UserDep
from app.errors import NotFound
from app.platform import Platform
from app.web_support import render
from evaluation.scoring import ordinal
from evaluation.services import notices
from evaluation.services.notice_documents import day_words
from evaluation.web.awards import notice_download
from tenders.services.bids import own_bid

DECISION = "evaluation/notices/decision.html"


def bid_notice_path(bid_id: Any, notice_id: Any) -> str:
    return f"/bids/{bid_id}/notices/{notice_id}"


async def bid_notice_download(
    platform: Platform, user: CurrentUser, bid_id: str, notice_id: str
) -> Stream:
    """One of the bidder's notices, as issued, as an attachment. Raises ``NotFound`` for
    anyone but the bidding organisation (``own_bid``), and for a notice that is not the
    bidder's."""
    bid = await own_bid(user, bid_id)
    return notice_download(platform, await notices.notice_file(user, bid.tender.id, notice_id))


class BidDecisionPages(Controller):
    path = "/bids/{bid_id:str}/decision"
    include_in_schema = False
    dependencies = {"user": USER}

    @get("/")
    async def decision(self, request: Request, user: UserDep, bid_id: FromPath[str]) -> Template:
        """Before the notices are issued, says the decision is still to come. Raises
        ``NotFound`` for anyone but the bidding organisation (``own_bid``)."""
        bid = await own_bid(user, bid_id)
        try:
            decision = await notices.bid_decision(user, bid.id)
        except NotFound:
            # The bid is the provider's (``own_bid`` above): no decision is issued yet.
            decision = None
        standstill = decision.standstill if decision else None
        confirmed_at = standstill.confirmed_at if standstill else None
        return render(
            request,
            DECISION,
            {
                "bid": bid,
                "decision": decision,
                "standstill": standstill,
                "confirmed_on": confirmed_at.astimezone(LONDON).date() if confirmed_at else None,
                "day_words": day_words,
                "ordinal": ordinal,
                "notice_path": lambda notice: bid_notice_path(bid.id, notice.id),
            },
        )


class BidNoticePages(Controller):
    path = "/bids/{bid_id:str}/notices"
    include_in_schema = False
    dependencies = {"platform": PLATFORM, "user": USER}

    @get("/{notice_id:str}")
    async def download(
        self,
        platform: PlatformDep,
        user: UserDep,
        bid_id: FromPath[str],
        notice_id: FromPath[str],
    ) -> Stream:
        return await bid_notice_download(platform, user, bid_id, notice_id)


CONTROLLERS: list[type[Controller]] = [BidDecisionPages, BidNoticePages]
