"""Sealed bids and their opening.

Until an officer opens the tender after its deadline, nobody on the council's side reads
any bid's content, the tender's owner included: they see how many bids each lot has
(rule 2). Opening recomputes every seal and records in the audit log whether each matches
(rule 3); from then on the council's officers may read the bids, and every read is
recorded (rule 14). Evaluators read bids through their panels (the evaluation package).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from piccolo.columns import Column

from app import database
from app.accounts import CurrentUser
from app.errors import InvalidTransition, NotFound, NotPermitted
from app.files import FileStore
from app.platform import Platform
from app.tables import AuditEvent
from app.templating import london_time
from app.vocabulary import AuditAction
from tenders import sealing
from tenders.services import events
from tenders.services.bids import parse_id, parse_lot_ids, record
from tenders.services.views import TenderView, as_uuid, load_tender
from tenders.tables import Bid, Submission, Tender
from tenders.vocabulary import TenderStatus

SEALED = "Bids are sealed until an officer opens them after the deadline"


async def council_tender(actor: CurrentUser, tender_id: str | UUID) -> TenderView:
    """A tender of the actor's council (any council user); otherwise not found."""
    if not actor.is_buyer:
        raise NotFound()
    tender = await load_tender(parse_id(tender_id))
    if tender is None or tender.buyer_id != actor.organisation_id:
        raise NotFound()
    return tender


async def current_submissions(tender_id: UUID, *columns: Column) -> list[dict[str, Any]]:
    """Each bid's submission that counts: neither superseded nor withdrawn."""
    return (
        await Submission.select(*columns)
        .where(
            Submission.tender == tender_id,
            Submission.superseded_at.is_null(),
            Submission.withdrawn_at.is_null(),
        )
        .order_by(Submission.received_at)
    )


async def bid_counts(actor: CurrentUser, tender_id: str | UUID) -> dict[UUID, int]:
    """How many submitted bids each lot has: all a council sees before opening."""
    tender = await council_tender(actor, tender_id)
    counts = {lot.id: 0 for lot in tender.lots}
    rows = await current_submissions(tender.id, Submission.lots)
    for row in rows:
        for lot_id in parse_lot_ids(row["lots"]):
            if lot_id in counts:
                counts[lot_id] += 1
    return counts


@dataclass(frozen=True)
class SealCheck:
    submission_id: UUID
    bid_id: UUID
    matches: bool
    #: Why not, in words, when it does not.
    problem: str | None


async def _receipt_digests(bid_ids: list[UUID]) -> dict[str, str]:
    """Each submission's digest as the audit log recorded it when the receipt was given:
    the hash chain and its checkpoints keep it, wherever else the database was changed."""
    if not bid_ids:
        return {}
    rows = await AuditEvent.select(AuditEvent.body).where(
        AuditEvent.action == str(AuditAction.BID_BID_SUBMIT)
    )
    wanted = {str(bid_id) for bid_id in bid_ids}
    found: dict[str, str] = {}
    for row in rows:
        body = json.loads(row["body"])
        if body.get("object_id") in wanted:
            details = body.get("details", {})
            found[str(details.get("submission"))] = details.get("digest", "")
    return found


async def _check_seal(
    store: FileStore, row: Mapping[str, Any], receipt_digest: str | None
) -> SealCheck:
    """Recompute a submission's digest from its stored content and each file's from the
    store's bytes, and compare with the digest its receipt gave."""
    submission_id, bid_id = as_uuid(row["id"]), as_uuid(row["bid"])

    def broken(problem: str) -> SealCheck:
        return SealCheck(submission_id, bid_id, False, problem)

    # The content is stored as the canonical JSON that was hashed: hash the text itself.
    if hashlib.sha256(row["content"].encode()).hexdigest() != row["digest"]:
        return broken("The content does not match its seal")
    if receipt_digest != row["digest"]:
        return broken("The seal differs from the one on the receipt")
    try:
        digests = sealing.file_digests(json.loads(row["content"]))
    except (ValueError, AttributeError, TypeError):
        return broken("The content cannot be read")
    for sha256 in digests:
        hasher = hashlib.sha256()
        try:
            async for chunk in store.read(sha256):
                hasher.update(chunk)
        except (FileNotFoundError, NotFound):
            return broken(f"The file {sha256} is missing")
        if hasher.hexdigest() != sha256:
            return broken(f"The file {sha256} has changed")
    return SealCheck(submission_id, bid_id, True, None)


@dataclass(frozen=True)
class Opening:
    #: False when the opening now waits for a second officer.
    opened: bool
    checks: tuple[SealCheck, ...] = ()


async def open_bids(platform: Platform, actor: CurrentUser, tender_id: str | UUID) -> Opening:
    """Open a tender's bids after its deadline. Where the tender needs two officers, the
    first asks and a second confirms. Raises ``InvalidTransition`` before the deadline,
    for a cancelled or already opened tender, or when the asking officer confirms."""
    if not actor.is_officer:
        raise NotPermitted()
    tender = await council_tender(actor, tender_id)
    now = platform.clock.now()
    status = tender.status(now)
    if status is TenderStatus.PUBLISHED:
        assert tender.submission_deadline is not None
        raise InvalidTransition(
            f"Bids can be opened only after the deadline, {london_time(tender.submission_deadline)}"
        )
    if status is not TenderStatus.CLOSED:
        raise InvalidTransition(f"This tender is {status.label.lower()}: its bids cannot be opened")
    flags = (
        await Tender.select(Tender.opening_needs_two_officers, Tender.opening_requested_by)
        .where(Tender.id == tender.id)
        .first()
    )
    assert flags is not None
    if flags["opening_needs_two_officers"]:
        requested_by = flags["opening_requested_by"]
        if requested_by is None:
            async with database.write_transaction():
                updated = (
                    await Tender.update(
                        {Tender.opening_requested_by: actor.id, Tender.opening_requested_at: now}
                    )
                    .where(
                        Tender.id == tender.id,
                        Tender.opening_requested_by.is_null(),
                        Tender.status == TenderStatus.PUBLISHED,
                    )
                    .returning(Tender.id)
                )
                if updated:
                    await events.record(
                        platform, actor, AuditAction.TENDER_TENDER_OPEN_REQUEST, tender.id
                    )
            return Opening(opened=False)
        if as_uuid(requested_by) == actor.id:
            raise InvalidTransition("Another officer must confirm the opening: you asked for it")
    # Files are hashed before the write transaction: nothing can change them now, and
    # the write lock is not held while gigabytes are read.
    rows = await current_submissions(tender.id)
    receipts = await _receipt_digests([as_uuid(row["bid"]) for row in rows])
    checks = tuple(
        [await _check_seal(platform.files, row, receipts.get(str(row["id"]))) for row in rows]
    )
    async with database.write_transaction():
        opened = (
            await Tender.update(
                {
                    Tender.status: TenderStatus.OPENED,
                    Tender.opened_by: actor.id,
                    Tender.opened_at: platform.clock.now(),
                    Tender.version: Tender.version + 1,
                }
            )
            .where(Tender.id == tender.id, Tender.status == TenderStatus.PUBLISHED)
            .returning(Tender.id)
        )
        if not opened:
            raise InvalidTransition("This tender's bids have already been opened")
        for check in checks:
            await record(
                platform,
                actor,
                AuditAction.BID_SUBMISSION_VERIFY,
                check.bid_id,
                {
                    "submission": check.submission_id,
                    "matches": check.matches,
                    "problem": check.problem,
                },
            )
        await events.record(
            platform,
            actor,
            AuditAction.TENDER_TENDER_OPEN,
            tender.id,
            {
                "bids": len(checks),
                "seals_matching": sum(check.matches for check in checks),
                "requested_by": flags["opening_requested_by"],
            },
        )
    return Opening(opened=True, checks=checks)


@dataclass(frozen=True)
class OpenedBid:
    bid_id: UUID
    submission_id: UUID
    organisation: str
    received_at: datetime
    number: int
    digest: str
    lot_ids: tuple[UUID, ...]


def require_opened(tender: TenderView) -> None:
    if not tender.stored_status.bids_opened:
        raise NotPermitted(SEALED)


async def _officer_opened(actor: CurrentUser, tender_id: str | UUID) -> TenderView:
    tender = await council_tender(actor, tender_id)
    if not actor.is_officer:
        raise NotPermitted(
            "Evaluators read bids from their panel's pages, after declaring any conflicts"
        )
    require_opened(tender)
    return tender


async def opened_bids(actor: CurrentUser, tender_id: str | UUID) -> list[OpenedBid]:
    """The bids of an opened tender, for its council's officers."""
    tender = await _officer_opened(actor, tender_id)
    rows = await current_submissions(tender.id)
    names = {
        as_uuid(row["id"]): row["organisation.name"]
        for row in await Bid.select(Bid.id, Bid.organisation.name).where(Bid.tender == tender.id)
    }
    return [
        OpenedBid(
            as_uuid(row["bid"]),
            as_uuid(row["id"]),
            names.get(as_uuid(row["bid"]), ""),
            row["received_at"],
            row["number"],
            row["digest"],
            parse_lot_ids(row["lots"]),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class SealedBid:
    """A submitted bid as the council reads it once opened: the sealed content itself."""

    tender: TenderView
    bid: OpenedBid
    content: dict[str, Any]


async def _sealed(
    actor: CurrentUser, tender_id: str | UUID, bid_id: str | UUID
) -> tuple[TenderView, OpenedBid, dict[str, Any]]:
    tender = await _officer_opened(actor, tender_id)
    wanted = parse_id(bid_id)
    found = next((b for b in await opened_bids(actor, tender.id) if b.bid_id == wanted), None)
    if found is None:
        raise NotFound()
    row = (
        await Submission.select(Submission.content)
        .where(Submission.id == found.submission_id)
        .first()
    )
    assert row is not None
    return tender, found, json.loads(row["content"])


async def record_read(
    platform: Platform,
    actor: CurrentUser,
    bid_id: UUID,
    submission_id: UUID,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Write a read of a bid's sealed content to the audit log, in a transaction of its
    own, before the content is returned (rule 14)."""
    async with database.write_transaction():
        await record(
            platform,
            actor,
            AuditAction.BID_CONTENT_READ,
            bid_id,
            {"submission": submission_id, **(details or {})},
        )


def find_evidence(content: Mapping[str, Any], sha256: str) -> dict[str, Any]:
    """An evidence file the sealed content names ({sha256, name, type, size})."""
    for lot in content["lots"]:
        for answer in lot["answers"]:
            for evidence in answer["evidence"]:
                if evidence["sha256"] == sha256:
                    return evidence
    raise NotFound()


async def read_bid(
    platform: Platform, actor: CurrentUser, tender_id: str | UUID, bid_id: str | UUID
) -> SealedBid:
    """A bid's sealed content for an officer of the council, once opened. The read is
    written to the audit log before the content is returned."""
    tender, found, content = await _sealed(actor, tender_id, bid_id)
    await record_read(platform, actor, found.bid_id, found.submission_id)
    return SealedBid(tender, found, content)


async def sealed_file(
    platform: Platform,
    actor: CurrentUser,
    tender_id: str | UUID,
    bid_id: str | UUID,
    sha256: str,
) -> dict[str, Any]:
    """An evidence file of an opened bid ({sha256, name, type, size}). The read is audited
    with the file it names, once the file is known to be in the sealed bid."""
    _, found, content = await _sealed(actor, tender_id, bid_id)
    evidence = find_evidence(content, sha256)
    await record_read(
        platform,
        actor,
        found.bid_id,
        found.submission_id,
        {"file": sha256, "name": evidence["name"]},
    )
    return evidence
