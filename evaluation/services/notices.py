"""Notices of the award decision (rules 12 and 13): once the award is approved, an officer
issues them: each bidder's assessment summary and decision letter, and the public award
notice, rendered as PDF/A, kept in the file store and emailed to every user of each bidding
organisation through the outbox. The standstill begins with the day they are issued; the
award is confirmed once it is over (at once where the tender says none applies), and the
tender is then ``awarded``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID, uuid4

from app import database, mail
from app.accounts import CurrentUser
from app.clock import LONDON
from app.errors import InvalidTransition, NotFound, NotPermitted
from app.files import PDF
from app.platform import Platform
from app.tables import User
from app.vocabulary import AuditAction
from evaluation import standstill
from evaluation.services import moderation, results
from evaluation.services.notice_documents import (
    LotEvaluation,
    bidders,
    day_words,
    outcome_of,
    render_notices,
)
from evaluation.services.panels import lot_bidders
from evaluation.services.results import LotResults
from evaluation.tables import AwardDecision, BidOutcome, Notice
from evaluation.vocabulary import LotOutcome, NoticeKind
from tenders import ocds
from tenders.ocds import ReleaseTag
from tenders.services import events, releases
from tenders.services.bids import own_bid, parse_id
from tenders.services.opening import council_tender
from tenders.services.views import LotView, TenderView, as_uuid, load_tender
from tenders.tables import Tender
from tenders.vocabulary import TenderStatus


@dataclass(frozen=True)
class NoticeFile:
    id: UUID
    kind: NoticeKind
    #: The bidder it is for; None for the public award notice.
    organisation_id: UUID | None
    sha256: str
    size: int
    issued_at: datetime
    #: The name it downloads as.
    filename: str


@dataclass(frozen=True)
class Standstill:
    issued_at: datetime
    #: None where no standstill applies.
    last_day: date | None
    #: The first day the award can be confirmed.
    confirmable_from: date
    confirmed_at: datetime | None


def _london_day(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _filename(tender: TenderView, kind: NoticeKind, name: str | None) -> str:
    """ "assessment-summary-SCC-2026-041-Ashby Care.pdf": references and names are free
    text, so made safe for a file name and an email header."""
    who = f"-{name}" if name else ""
    return mail.attachment_filename(f"{kind.value.replace('_', '-')}-{tender.reference}{who}.pdf")


async def _decision_row(tender_id: UUID) -> dict | None:
    return (
        await AwardDecision.select(
            AwardDecision.notices_issued_at,
            AwardDecision.standstill_last_day,
            AwardDecision.confirmed_at,
        )
        .where(AwardDecision.tender == tender_id)
        .first()
    )


def _standstill(tender: TenderView, row: dict) -> Standstill | None:
    issued_at = row["notices_issued_at"]
    if issued_at is None:
        return None
    last_day = row["standstill_last_day"]
    return Standstill(
        issued_at,
        last_day,
        standstill.confirmable_from(_london_day(issued_at), tender.standstill_days)
        if tender.standstill_applies
        else _london_day(issued_at),
        row["confirmed_at"],
    )


async def standstill_of(officer: CurrentUser, tender_id: str | UUID) -> Standstill | None:
    """The tender's standstill once notices are issued, for the council's people."""
    tender = await council_tender(officer, tender_id)
    row = await _decision_row(tender.id)
    return _standstill(tender, row) if row else None


async def _lot_results(tender: TenderView) -> list[LotResults]:
    """The results of every lot with bids, from its signed-off consensus."""
    return [
        await results.compute(tender, lot)
        for lot in tender.lots
        if await lot_bidders(tender.id, lot.id)
    ]


def _lot_award(found: LotResults, status: str, date: datetime) -> ocds.LotAward:
    awarded = [(found.bid(result), result) for result in found.results if result.awarded]
    suppliers = tuple(
        ocds.AwardedSupplier(bid.organisation_id, bid.name, result.basket_pence)
        for bid, result in awarded
    )
    return ocds.LotAward(found.lot, suppliers, status, date)


async def _record_outcomes(found: LotResults, now: datetime) -> None:
    """Each bid's outcome for the lot, as the results stand when the award is confirmed."""
    for result in found.results:
        bid = found.bid(result)
        await database.insert(
            BidOutcome,
            {
                "id": uuid4(),
                "tender": found.tender.id,
                "lot": found.lot.id,
                "organisation": bid.organisation_id,
                "submission": bid.submission_id,
                "outcome": outcome_of(result),
                "rank": result.rank,
                "reasons": "\n".join(result.exclusions),
                "decided_at": now,
                "key": f"{found.lot.id}:{bid.organisation_id}",
            },
        )


async def _store(platform: Platform, pdf: bytes, filename: str) -> tuple[str, int]:
    stored = await platform.files.save(
        _one(pdf), filename=filename, max_bytes=len(pdf), allowed={"pdf": frozenset({PDF})}
    )
    return stored.sha256, stored.size


async def issue(platform: Platform, officer: CurrentUser, tender_id: str | UUID) -> Standstill:
    """Issue the notices of an approved award: render, keep and email each bidder's
    assessment summary and decision letter, and keep the public award notice. The
    standstill begins today. Issuing again changes nothing.

    Raises ``NotFound``, ``NotPermitted`` (not an officer) and ``InvalidTransition`` (the
    award is not approved).
    """
    tender = await council_tender(officer, tender_id)
    if not officer.is_officer:
        raise NotPermitted()
    row = await _decision_row(tender.id)
    if tender.stored_status is not TenderStatus.AWARD_APPROVED or row is None:
        raise InvalidTransition("Notices are issued once the award is approved")
    if (done := _standstill(tender, row)) is not None:
        return done
    now = platform.clock.now()
    issued_on = _london_day(now)
    last_day = (
        standstill.last_day(issued_on, tender.standstill_days)
        if tender.standstill_applies
        else None
    )
    lots = [
        LotEvaluation(found, await moderation.load_consensus(found.lot.id))
        for found in await _lot_results(tender)
    ]
    documents = await render_notices(
        tender,
        lots,
        issued_on=issued_on,
        standstill_last_day=last_day,
        contact=f"Write to {officer.name} at {tender.buyer_name}, {officer.email}, "
        "with any question about this decision.",
        now=now,
    )
    names = bidders(lots)
    bid_ids = {bid.organisation_id: bid.bid_id for lot in lots for bid in lot.results.bids}
    files: list[tuple[NoticeKind, UUID | None, str, int, str]] = []
    for organisation, name in sorted(names.items(), key=lambda item: item[1]):
        for kind, pdf in (
            (NoticeKind.ASSESSMENT_SUMMARY, documents.summaries[organisation]),
            (NoticeKind.DECISION_LETTER, documents.letters[organisation]),
        ):
            filename = _filename(tender, kind, name)
            sha256, size = await _store(platform, pdf, filename)
            files.append((kind, organisation, sha256, size, filename))
    filename = _filename(tender, NoticeKind.AWARD_NOTICE, None)
    sha256, size = await _store(platform, documents.award_notice, filename)
    files.append((NoticeKind.AWARD_NOTICE, None, sha256, size, filename))

    async with database.write_transaction():
        # Held until commit: one officer issues, once.
        query = AwardDecision.select(AwardDecision.notices_issued_at).where(
            AwardDecision.tender == tender.id
        )
        if not database.is_sqlite():
            query = query.lock_rows()
        if (await query)[0]["notices_issued_at"] is not None:
            fresh = await _decision_row(tender.id)
            assert fresh is not None
            done = _standstill(tender, fresh)
            assert done is not None
            return done
        for kind, organisation, sha256, size, _ in files:
            await database.insert(
                Notice,
                {
                    "id": uuid4(),
                    "tender": tender.id,
                    "organisation": organisation,
                    "kind": kind,
                    "sha256": sha256,
                    "size": size,
                    "issued_at": now,
                    "key": f"{tender.id}:{organisation or 'public'}:{kind}",
                },
            )
        await AwardDecision.update(
            {
                AwardDecision.notices_issued_at: now,
                AwardDecision.standstill_last_day: last_day,
            }
        ).where(AwardDecision.tender == tender.id)
        for given in lots:
            await releases.record_release(
                platform, tender.id, ReleaseTag.AWARD, _lot_award(given.results, "pending", now)
            )
        recipients = await User.select(User.email, User.name, User.organisation).where(
            User.organisation.is_in(list(names))
        )
        for recipient in recipients:
            organisation = as_uuid(recipient["organisation"])
            await mail.enqueue(
                platform,
                to=recipient["email"],
                subject=f"Decision on {tender.title}",
                template="mail/award_decision.txt",
                context={
                    "name": recipient["name"],
                    "organisation": names[organisation],
                    "tender_title": tender.title,
                    "tender_reference": tender.reference,
                    "council": tender.buyer_name,
                    "last_day": day_words(last_day) if last_day else None,
                },
                link_path=f"/bids/{bid_ids[organisation]}/decision",
                organisation_id=organisation,
                attachments=[
                    mail.Attachment(sha256, filename, PDF)
                    for kind, owner, sha256, _, filename in files
                    if owner == organisation
                ],
            )
        await events.record(
            platform,
            officer,
            AuditAction.EVALUATION_NOTICE_ISSUE,
            tender.id,
            {
                "notices": [
                    {"kind": kind, "organisation": owner, "sha256": sha256}
                    for kind, owner, sha256, _, _ in files
                ],
                "standstill_last_day": last_day.isoformat() if last_day else None,
                "emails": len(recipients),
            },
        )
    fresh = await _decision_row(tender.id)
    assert fresh is not None
    issued = _standstill(tender, fresh)
    assert issued is not None
    return issued


async def confirm(platform: Platform, officer: CurrentUser, tender_id: str | UUID) -> Standstill:
    """Confirm the award once the standstill is over (at once where none applies): the
    tender is ``awarded``. Confirming again changes nothing.

    Raises ``NotFound``, ``NotPermitted`` (not an officer) and ``InvalidTransition``
    (notices not issued, or the standstill not over, with the day it ends).
    """
    tender = await council_tender(officer, tender_id)
    if not officer.is_officer:
        raise NotPermitted()
    row = await _decision_row(tender.id)
    current = _standstill(tender, row) if row else None
    if current is None:
        raise InvalidTransition("Issue the notices before confirming the award")
    if current.confirmed_at is not None:
        return current
    today = _london_day(platform.clock.now())
    if today < current.confirmable_from:
        assert current.last_day is not None
        raise InvalidTransition(
            f"The standstill ends at midnight at the end of {day_words(current.last_day)}: "
            f"the award can be confirmed from {day_words(current.confirmable_from)}"
        )
    lots = await _lot_results(tender)
    async with database.write_transaction():
        moved = (
            await Tender.update({Tender.status: TenderStatus.AWARDED})
            .where(Tender.id == tender.id, Tender.status == TenderStatus.AWARD_APPROVED)
            .returning(Tender.id)
        )
        if moved:
            now = platform.clock.now()
            await AwardDecision.update(
                {AwardDecision.confirmed_at: now, AwardDecision.confirmed_by: officer.id}
            ).where(AwardDecision.tender == tender.id)
            for found in lots:
                await _record_outcomes(found, now)
                await releases.record_release(
                    platform,
                    tender.id,
                    ReleaseTag.AWARD_UPDATE,
                    _lot_award(found, "active", current.issued_at),
                )
            await events.record(
                platform,
                officer,
                AuditAction.TENDER_TENDER_AWARD,
                tender.id,
                {"standstill_last_day": current.last_day.isoformat() if current.last_day else None},
            )
    fresh = await _decision_row(tender.id)
    assert fresh is not None
    confirmed = _standstill(tender, fresh)
    assert confirmed is not None
    return confirmed


async def notice_files(actor: CurrentUser, tender_id: str | UUID) -> list[NoticeFile]:
    """The notices the actor may download: a bidder its own and the public award notice;
    the council's officers all of them.

    Raises ``NotFound`` (not the council's, nor a bidder's, tender; or not yet issued)."""
    wanted = parse_id(tender_id)
    tender = await load_tender(wanted)
    if tender is None:
        raise NotFound()
    if actor.is_buyer:
        await council_tender(actor, tender.id)
        if not actor.is_officer:
            raise NotPermitted()
        query = Notice.select().where(Notice.tender == tender.id)
    else:
        query = Notice.select().where(
            Notice.tender == tender.id,
            (Notice.organisation == actor.organisation_id) | Notice.organisation.is_null(),
        )
    rows = await query.order_by(Notice.kind)
    if not rows:
        raise NotFound()
    names = {
        bid.organisation_id: bid.name
        for lot in tender.lots
        for bid in await lot_bidders(tender.id, lot.id)
    }
    return [
        NoticeFile(
            as_uuid(row["id"]),
            NoticeKind(row["kind"]),
            as_uuid(row["organisation"]) if row["organisation"] else None,
            row["sha256"],
            row["size"],
            row["issued_at"],
            _filename(
                tender,
                NoticeKind(row["kind"]),
                names.get(as_uuid(row["organisation"])) if row["organisation"] else None,
            ),
        )
        for row in rows
    ]


async def notice_file(
    actor: CurrentUser, tender_id: str | UUID, notice_id: str | UUID
) -> NoticeFile:
    """One of the notices ``notice_files`` gives the actor, to download.

    Raises ``NotFound`` (as ``notice_files``, or a notice that is not the actor's to read)
    and ``NotPermitted`` (as ``notice_files``)."""
    wanted = str(notice_id).lower()
    for notice in await notice_files(actor, tender_id):
        if str(notice.id) == wanted:
            return notice
    raise NotFound()


@dataclass(frozen=True)
class LotDecision:
    lot: LotView
    #: None until the award is confirmed.
    outcome: LotOutcome | None
    rank: int | None
    #: Why the bid was excluded; empty otherwise.
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class BidDecision:
    """The award decision as one bidder sees it, for its bid."""

    bid_id: UUID
    tender: TenderView
    #: None until the notices are issued.
    standstill: Standstill | None
    #: Each lot the bid was evaluated for, in lot order.
    lots: tuple[LotDecision, ...]
    #: The bidder's own notices and the award notice; empty until issued.
    notices: tuple[NoticeFile, ...]


async def bid_decision(provider: CurrentUser, bid_id: str | UUID) -> BidDecision:
    """The decision on the provider's bid: the standstill, its notices and, once the award
    is confirmed, its outcome for each lot.

    Raises ``NotFound`` (not the provider's bid, or no decision issued on it)."""
    bid = await own_bid(provider, bid_id)
    row = await _decision_row(bid.tender.id)
    current = _standstill(bid.tender, row) if row else None
    if current is None:
        raise NotFound()
    outcomes = {
        as_uuid(found["lot"]): found
        for found in await BidOutcome.select().where(
            BidOutcome.tender == bid.tender.id,
            BidOutcome.organisation == provider.organisation_id,
        )
    }
    evaluated = [
        lot
        for lot in bid.tender.lots
        if provider.organisation_id
        in {bidder.organisation_id for bidder in await lot_bidders(bid.tender.id, lot.id)}
    ]
    lots = tuple(
        LotDecision(
            lot,
            LotOutcome(found["outcome"]) if (found := outcomes.get(lot.id)) else None,
            found["rank"] if found else None,
            tuple(found["reasons"].splitlines()) if found else (),
        )
        for lot in evaluated
    )
    return BidDecision(
        bid.id, bid.tender, current, lots, tuple(await notice_files(provider, bid.tender.id))
    )
