"""Pages: officers open a tender's sealed bids after the deadline, then read them.

Before opening, the officer's tender page shows only how many bids each lot has. Every
read of a bid's content or files here is written to the audit log by the service.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Stream, Template

from app.dependencies import PLATFORM, USER, PlatformDep, UserDep
from app.guards import officers_only
from app.web_support import render, sealed_file_download, see_other
from tenders.services import opening


def _base(tender_id: Any) -> str:
    return f"/tenders/{tender_id}"


class OpeningPages(Controller):
    path = "/tenders"
    include_in_schema = False
    guards = [officers_only]
    dependencies = {"platform": PLATFORM, "user": USER}

    @post("/{tender_id:str}/open")
    async def open_bids(
        self, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Response:
        result = await opening.open_bids(platform, user, tender_id)
        if not result.opened:
            return see_other(
                _base(tender_id),
                flash="You asked to open the bids. Another officer must now confirm it",
            )
        broken = sum(not check.matches for check in result.checks)
        message = f"Bids opened: {len(result.checks)}. " + (
            "Every seal matches"
            if not broken
            else f"{broken} {'seal does' if broken == 1 else 'seals do'} not match: see the bids"
        )
        return see_other(f"{_base(tender_id)}/bids", flash=message)

    @get("/{tender_id:str}/bids")
    async def bids(self, request: Request, user: UserDep, tender_id: FromPath[str]) -> Template:
        tender = await opening.council_tender(user, tender_id)
        return render(
            request,
            "tenders/opening/bids.html",
            {"tender": tender, "bids": await opening.opened_bids(user, tender.id)},
        )

    @get("/{tender_id:str}/bids/{bid_id:str}")
    async def bid(
        self,
        request: Request,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        bid_id: FromPath[str],
    ) -> Template:
        sealed = await opening.read_bid(platform, user, tender_id, bid_id)
        return render(request, "tenders/opening/bid.html", {"sealed": sealed})

    @get("/{tender_id:str}/bids/{bid_id:str}/files/{sha256:str}")
    async def file(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        bid_id: FromPath[str],
        sha256: FromPath[str],
    ) -> Stream:
        evidence = await opening.sealed_file(platform, user, tender_id, bid_id, sha256)
        return sealed_file_download(platform.files, evidence)


CONTROLLERS: list[type[Controller]] = [OpeningPages]
