"""Open data: each published state of a tender kept as an OCDS release, and the packages
that serve them (``tenders.ocds`` builds the releases).

A release is recorded, never rebuilt: what was published stays as it was published. The
services that change a published tender call ``record_release`` inside their own write
transaction, with the tag that says what happened (``ReleaseTag``):
- ``publish``: ``"tender"``;
- a deadline extended or documents added: ``"tenderUpdate"``;
- a cancellation: ``"tenderCancellation"``;
- a lot's award, as its notices are issued: ``"award"``, and as it is confirmed:
  ``"awardUpdate"`` (``evaluation.services.notices``), one release per lot.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from piccolo.query.functions.aggregate import Max

from app import database
from app.audit_chain import canonical_json
from app.errors import NotFound
from app.platform import Platform
from tenders import ocds
from tenders.ocds import ReleaseTag
from tenders.services.views import load_tender
from tenders.tables import Tender, TenderRelease
from tenders.vocabulary import TenderStatus

PACKAGE_PATH = "/ocds/release-package.json"
AWARD_TAGS = frozenset({ReleaseTag.AWARD, ReleaseTag.AWARD_UPDATE})


def tender_releases_path(tender_id: UUID) -> str:
    return f"/ocds/tenders/{tender_id}/releases.json"


async def record_release(
    platform: Platform, tender_id: UUID, tag: str, award: ocds.LotAward | None = None
) -> None:
    """Snapshot the tender as it now stands as the next release of its contracting process.

    Call it inside the write transaction that made the change (it joins that transaction,
    and sees the change), after the tender's row has been updated: that update holds the
    row, so two releases of one tender are never numbered at once. Raises ``ValueError``
    for a tag outside ``ReleaseTag``, an award tag without an award (or an award with
    another tag), an unknown tender or a draft: those are mistakes in the calling code, not
    in what anyone typed.
    """
    release_tag = ReleaseTag(tag)
    if (release_tag in AWARD_TAGS) != (award is not None):
        raise ValueError(f"a {tag} release {'needs' if award is None else 'takes no'} award")
    async with database.write_transaction():
        tender = await load_tender(tender_id)
        if tender is None or tender.stored_status is TenderStatus.DRAFT:
            raise ValueError(f"tender {tender_id} is not published, so it has no releases")
        prefix = platform.settings.ocds_prefix
        number = await TenderRelease.count().where(TenderRelease.tender == tender.id) + 1
        identifier = ocds.release_id(prefix, tender.id, number)
        now = platform.clock.now()
        release = ocds.build_release(
            tender,
            tag=release_tag,
            release_id=identifier,
            date=now,
            ocid_prefix=prefix,
            base_url=platform.settings.base_url,
            award=award,
        )
        await TenderRelease.insert(
            TenderRelease(
                tender=tender.id,
                lot=award.lot.id if award else None,
                release_id=identifier,
                date=now,
                tag=str(release_tag),
                data=canonical_json(release).decode(),
            )
        )


def _package(platform: Platform, path: str, releases: list[dict[str, Any]]) -> dict[str, Any]:
    return ocds.release_package(
        releases,
        uri=platform.settings.base_url.rstrip("/") + path,
        published_date=ocds.latest_date(releases),
    )


async def release_package(platform: Platform) -> dict[str, Any]:
    """Every published tender's latest release (closed and cancelled ones included), and
    the latest release of each lot's award, the most recently changed first.

    Raises ``NotFound`` while nothing has been published: a package holds at least one
    release.
    """
    latest = (
        await TenderRelease.select(Max(TenderRelease.id, alias="latest"))
        .where(TenderRelease.tender._.status != TenderStatus.DRAFT)
        .group_by(TenderRelease.tender, TenderRelease.lot)
    )
    ids = [row["latest"] for row in latest]
    if not ids:
        raise NotFound("No tenders have been published yet")
    rows = (
        await TenderRelease.select(TenderRelease.data)
        .where(TenderRelease.id.is_in(ids))
        .order_by(TenderRelease.id, ascending=False)
    )
    return _package(platform, PACKAGE_PATH, [json.loads(row["data"]) for row in rows])


async def tender_releases(platform: Platform, tender_id: UUID | str) -> dict[str, Any]:
    """Every release of one published tender, oldest first.

    Raises ``NotFound`` for an unknown tender and for a draft, which has no releases.
    """
    try:
        tender_id = tender_id if isinstance(tender_id, UUID) else UUID(str(tender_id))
    except ValueError:
        raise NotFound() from None
    status = await Tender.select(Tender.status).where(Tender.id == tender_id).first()
    if status is None or status["status"] == TenderStatus.DRAFT:
        raise NotFound()
    rows = (
        await TenderRelease.select(TenderRelease.data)
        .where(TenderRelease.tender == tender_id)
        .order_by(TenderRelease.id)
    )
    if not rows:
        raise NotFound()
    return _package(
        platform, tender_releases_path(tender_id), [json.loads(row["data"]) for row in rows]
    )
