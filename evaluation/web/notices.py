"""Pages: a bidder's notices of the award decision (rules 12 and 13), downloaded from its
bid: its own assessment summary and decision letter and the public award notice, as they
were issued. Only the users of the bidding organisation reach them; anyone else is told
they are not found (rule 4)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get
from litestar.params import FromPath
from litestar.response import Stream

from app.accounts import CurrentUser
from app.dependencies import PLATFORM, USER, PlatformDep, UserDep
from app.errors import NotFound
from evaluation.services import notices
from evaluation.services.notices import NoticeFile
from evaluation.web.awards import notice_download
from tenders.services.bids import BidView, own_bid


def bid_notice_path(bid_id: Any, notice_id: Any) -> str:
    return f"/bids/{bid_id}/notices/{notice_id}"


async def bid_notices(provider: CurrentUser, bid: BidView) -> list[NoticeFile]:
    """The notices of the bid's tender the provider may download; none before they are
    issued."""
    try:
        return await notices.notice_files(provider, bid.tender.id)
    except NotFound:
        return []


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
        """Raises ``NotFound`` for anyone but the bidding organisation (``own_bid``), and
        for a notice that is not the bidder's."""
        bid = await own_bid(user, bid_id)
        return notice_download(platform, await notices.notice_file(user, bid.tender.id, notice_id))


CONTROLLERS: list[type[Controller]] = [BidNoticePages]
