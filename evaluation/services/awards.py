"""The award decision (rule 11): an officer produces the award report of a moderated tender,
which is kept as it was made (its PDF in the file store under its SHA-256), and an officer
who sits on none of the tender's panels approves the recommendation with reasons, against
that report's digest. The tender is then ``award_approved``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from app import database
from app.accounts import CurrentUser
from app.errors import Conflict, Invalid, InvalidTransition, NotPermitted
from app.files import PDF
from app.platform import Platform
from app.templating import london_time
from app.vocabulary import AuditAction
from evaluation.services.award_report import award_report
from evaluation.tables import AwardDecision, AwardReport, PanelMember
from tenders.services import events
from tenders.services.bids import plain_text
from tenders.services.opening import council_tender
from tenders.services.views import TenderView, as_uuid
from tenders.tables import Tender
from tenders.vocabulary import TenderStatus

MAX_REASONS = 5000


@dataclass(frozen=True)
class StoredReport:
    id: UUID
    sha256: str
    size: int
    made_by: str
    made_at: datetime
    #: The name it downloads as.
    filename: str


@dataclass(frozen=True)
class Decision:
    report_sha256: str
    reasons: str
    approved_by: str
    approved_at: datetime


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _require_officer(actor: CurrentUser) -> None:
    if not actor.is_officer:
        raise NotPermitted()


def _filename(tender: TenderView) -> str:
    return f"award-report-{tender.reference}.pdf"


_REPORT_COLUMNS = (
    AwardReport.id,
    AwardReport.sha256,
    AwardReport.size,
    AwardReport.made_by.name.as_alias("made_by_name"),
    AwardReport.made_at,
)


def _stored(tender: TenderView, row: dict) -> StoredReport:
    return StoredReport(
        as_uuid(row["id"]),
        row["sha256"],
        row["size"],
        row["made_by_name"],
        row["made_at"],
        _filename(tender),
    )


async def make_report(
    platform: Platform, officer: CurrentUser, tender_id: str | UUID
) -> StoredReport:
    """Produce the award report of a moderated tender now and keep it, for the decision
    maker to read and approve. Audited.

    Raises as ``award_report``: ``NotFound``, ``NotPermitted`` (not an officer, or one who
    evaluates the tender) and ``InvalidTransition`` (not moderated).
    """
    now = platform.clock.now()
    report = await award_report(officer, tender_id, now=now)
    tender = await council_tender(officer, tender_id)
    stored = await platform.files.save(
        _one(report.pdf),
        filename=_filename(tender),
        max_bytes=len(report.pdf),
        allowed={"pdf": frozenset({PDF})},
    )
    assert stored.sha256 == report.sha256
    report_id = uuid4()
    async with database.write_transaction():
        await database.insert(
            AwardReport,
            {
                "id": report_id,
                "tender": tender.id,
                "sha256": stored.sha256,
                "size": stored.size,
                "made_by": officer.id,
                "made_at": now,
            },
        )
        await events.record(
            platform,
            officer,
            AuditAction.EVALUATION_AWARD_REPORT,
            tender.id,
            {"report": report_id, "sha256": stored.sha256},
        )
    return StoredReport(report_id, stored.sha256, stored.size, officer.name, now, _filename(tender))


async def reports(officer: CurrentUser, tender_id: str | UUID) -> list[StoredReport]:
    """The tender's award reports, the latest first, for the council's officers.

    Raises ``NotFound`` and ``NotPermitted`` (not an officer)."""
    tender = await council_tender(officer, tender_id)
    _require_officer(officer)
    rows = (
        await AwardReport.select(*_REPORT_COLUMNS)
        .where(AwardReport.tender == tender.id)
        .order_by(AwardReport.made_at, ascending=False)
    )
    return [_stored(tender, row) for row in rows]


async def _panel_seat(tender_id: UUID, officer_id: UUID) -> int | None:
    """The number of a lot of the tender on whose panel the officer sits, if any."""
    rows = (
        await PanelMember.select(PanelMember.lot.number.as_alias("number"))
        .where(PanelMember.tender == tender_id, PanelMember.user == officer_id)
        .order_by(PanelMember.lot.number)
    )
    return rows[0]["number"] if rows else None


async def decision(officer: CurrentUser, tender_id: str | UUID) -> Decision | None:
    """The tender's award decision, if made, for the council's officers."""
    tender = await council_tender(officer, tender_id)
    _require_officer(officer)
    row = (
        await AwardDecision.select(
            AwardDecision.report_sha256,
            AwardDecision.reasons,
            AwardDecision.approved_by.name.as_alias("approved_by_name"),
            AwardDecision.approved_at,
        )
        .where(AwardDecision.tender == tender.id)
        .first()
    )
    if row is None:
        return None
    return Decision(
        row["report_sha256"], row["reasons"], row["approved_by_name"], row["approved_at"]
    )


async def approve(
    platform: Platform,
    officer: CurrentUser,
    tender_id: str | UUID,
    *,
    report_sha256: str,
    reasons: str,
) -> Decision:
    """Approve the award the latest award report recommends, with reasons, against the
    digest of the report the officer read. The tender becomes ``award_approved``.

    Raises ``NotFound``; ``NotPermitted`` (not an officer, or one who sits on a panel of
    the tender, as evaluator or moderator); ``Invalid`` (``reasons``); ``InvalidTransition``
    (not moderated, or no report yet); ``Conflict`` (already approved, or a newer report
    than the one read).
    """
    tender = await council_tender(officer, tender_id)
    _require_officer(officer)
    if (lot := await _panel_seat(tender.id, officer.id)) is not None:
        raise NotPermitted(
            f"You sit on the panel for lot {lot}: the award is approved by an officer who "
            "is on none of this tender's panels"
        )
    cleaned = plain_text(reasons)
    if not cleaned:
        raise Invalid({"reasons": "Give the reasons for the decision"})
    if len(cleaned) > MAX_REASONS:
        raise Invalid({"reasons": f"The reasons must be {MAX_REASONS:,} characters or fewer"})
    async with database.write_transaction():
        # Held until commit: two officers approving at once take turns.
        query = Tender.select(Tender.status).where(Tender.id == tender.id)
        if not database.is_sqlite():
            query = query.lock_rows()
        status = TenderStatus((await query)[0]["status"])
        if status is not TenderStatus.MODERATED:
            made = await decision(officer, tender.id)
            if made is not None:
                raise Conflict(
                    f"{made.approved_by} approved this award at {london_time(made.approved_at)}"
                )
            raise InvalidTransition(
                "The award can be approved once every lot with bids is signed off "
                f"(this tender is at the stage: {status.label.lower()})"
            )
        latest = (await reports(officer, tender.id) or [None])[0]
        if latest is None:
            raise InvalidTransition("Produce the award report before approving the award")
        if latest.sha256 != report_sha256:
            raise Conflict(
                f"A newer award report was produced at {london_time(latest.made_at)}: "
                "read it before approving"
            )
        now = platform.clock.now()
        await database.insert(
            AwardDecision,
            {
                "id": uuid4(),
                "tender": tender.id,
                "report": latest.id,
                "report_sha256": latest.sha256,
                "reasons": cleaned,
                "approved_by": officer.id,
                "approved_at": now,
            },
        )
        await Tender.update({Tender.status: TenderStatus.AWARD_APPROVED}).where(
            Tender.id == tender.id, Tender.status == TenderStatus.MODERATED
        )
        await events.record(
            platform,
            officer,
            AuditAction.EVALUATION_AWARD_APPROVE,
            tender.id,
            {"report": latest.id, "sha256": latest.sha256, "reasons": cleaned},
        )
    return Decision(latest.sha256, cleaned, officer.name, now)
