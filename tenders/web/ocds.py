"""Open data: published tenders as Open Contracting Data Standard release packages.

Public and read-only; anyone may fetch them, from any site.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, MediaType, Response, get
from litestar.params import FromPath

from app.api_docs import error_responses
from app.dependencies import PLATFORM, PlatformDep
from tenders.services import releases

#: Open data changes only when an officer publishes something: a minute's caching is safe.
HEADERS = {
    "Cache-Control": "public, max-age=60",
    "Access-Control-Allow-Origin": "*",
}


def _json(package: dict[str, Any]) -> Response[dict[str, Any]]:
    return Response(package, media_type=MediaType.JSON, headers=HEADERS)


class OpenDataController(Controller):
    path = "/ocds"
    tags = ["open data"]
    dependencies = {"platform": PLATFORM}

    @get("/release-package.json", responses=error_responses(404))
    async def release_package(self, platform: PlatformDep) -> Response[dict[str, Any]]:
        """Every published tender's latest OCDS release (with the lots extension).

        404 until a tender has been published.
        """
        return _json(await releases.release_package(platform))

    @get("/tenders/{tender_id:str}/releases.json", responses=error_responses(404))
    async def tender_releases(
        self, platform: PlatformDep, tender_id: FromPath[str]
    ) -> Response[dict[str, Any]]:
        """A published tender's OCDS releases over time, oldest first. 404 for drafts."""
        return _json(await releases.tender_releases(platform, tender_id))


CONTROLLERS = [OpenDataController]
