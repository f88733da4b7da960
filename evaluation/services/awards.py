"""The award decision (rule 11): an officer produces the award report of a moderated tender,
which is kept as it was made (its PDF in the file store under its SHA-256), and an officer
who sits on none of the tender's panels approves the recommendation with reasons, against
that report's digest. The tender is then ``award_approved``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from app import database
from app.accounts import CurrentUser
from app.errors import Conflict, Invalid, InvalidTransition, NotFound, NotPermitted
from app.files import PDF
from app.platform import Platform
from app.templating import london_time
from app.vocabulary import AuditAction
from evaluation.services.award_report import NOT_FOR_EVALUATORS, NOT_MODERATED, award_report
from evaluation.tables import AwardDecision, AwardReport, PanelMember
from evaluation.vocabulary import PanelRole
from tenders.services import events
from tenders.services.bids import parse_id, plain_text
from tenders.services.opening import council_tender
from tenders.services.submissions import REQUEST_KEY_PATTERN
from tenders.services.views import TenderView, as_uuid
from tenders.tables import Tender
from tenders.vocabulary import TenderStatus

MAX_REASONS = 5000
_REQUEST_KEY = re.compile(REQUEST_KEY_PATTERN)


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


async def _made_with(tender: TenderView, key: str | None) -> StoredReport | None:
    if key is None:
        return None
    row = await AwardReport.select(*_REPORT_COLUMNS).where(AwardReport.request_key == key).first()
    return _stored(tender, row) if row else None


async def make_report(
    platform: Platform,
    officer: CurrentUser,
    tender_id: str | UUID,
    *,
    request_key: str | None = None,
) -> StoredReport:
    """Produce the award report of a moderated tender now and keep it, for the decision
    maker to read and approve. Audited. With the form's ``request_key``, a repeated post
    finds the report the first one made.

    Raises as ``award_report``: ``NotFound``, ``NotPermitted`` (not an officer, or one who
    evaluates the tender) and ``InvalidTransition`` (not moderated); ``Invalid`` for a
    malformed request key.
    """
    if request_key is not None and not _REQUEST_KEY.fullmatch(request_key):
        raise Invalid({"request_key": "The form could not be read. Go back and try again"})
    tender = await council_tender(officer, tender_id)
    key = f"{tender.id}:{request_key}" if request_key else None
    if done := await _made_with(tender, key):
        return done
    now = platform.clock.now()
    report = await award_report(officer, tender_id, now=now)
    stored = await platform.files.save(
        _one(report.pdf),
        filename=_filename(tender),
        max_bytes=len(report.pdf),
        allowed={"pdf": frozenset({PDF})},
    )
    assert stored.sha256 == report.sha256
    report_id = uuid4()
    async with database.write_transaction():
        # Approved meanwhile: a report made now would stand beside a decision made on
        # another one.
        if await _locked_status(tender.id) is not TenderStatus.MODERATED:
            raise InvalidTransition("The award has been approved: its report is the one approved")
        if done := await _made_with(tender, key):
            return done  # the same form, posted twice at once
        await database.insert(
            AwardReport,
            {
                "id": report_id,
                "tender": tender.id,
                "sha256": stored.sha256,
                "size": stored.size,
                "made_by": officer.id,
                "made_at": now,
                "request_key": key,
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
        .order_by(AwardReport.made_at, AwardReport.id, ascending=False)
    )
    return [_stored(tender, row) for row in rows]


async def _locked_status(tender_id: UUID) -> TenderStatus:
    """Inside a write transaction: the tender's stored status, its row held until commit
    (PostgreSQL; SQLite writers already take turns)."""
    query = Tender.select(Tender.status).where(Tender.id == tender_id)
    if not database.is_sqlite():
        query = query.lock_rows()
    return TenderStatus((await query)[0]["status"])


async def _panel_seat(tender_id: UUID, officer_id: UUID) -> int | None:
    """The number of a lot of the tender on whose panel the officer sits, if any."""
    rows = (
        await PanelMember.select(PanelMember.lot.number.as_alias("number"))
        .where(PanelMember.tender == tender_id, PanelMember.user == officer_id)
        .order_by(PanelMember.lot.number)
    )
    return rows[0]["number"] if rows else None


def _seated(lot: int) -> str:
    return (
        f"You sit on the panel for lot {lot}: the award is approved by an officer who is on "
        "none of this tender's panels"
    )


async def evaluates(tender_id: UUID, officer_id: UUID) -> bool:
    """Whether the officer scores a lot of the tender: the report is not for them."""
    return bool(
        await PanelMember.count().where(
            PanelMember.tender == tender_id,
            PanelMember.user == officer_id,
            PanelMember.role == PanelRole.EVALUATOR,
        )
    )


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
        raise NotPermitted(_seated(lot))
    cleaned = plain_text(reasons)
    if not cleaned:
        raise Invalid({"reasons": "Give the reasons for the decision"})
    if len(cleaned) > MAX_REASONS:
        raise Invalid({"reasons": f"The reasons must be {MAX_REASONS:,} characters or fewer"})
    async with database.write_transaction():
        # Held until commit: two officers approving at once take turns.
        status = await _locked_status(tender.id)
        if status is not TenderStatus.MODERATED:
            made = await decision(officer, tender.id)
            if made is not None and (made.approved_by, made.report_sha256) == (
                officer.name,
                report_sha256,
            ):
                # The same approval posted again (a double click): the one made stands.
                return made
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


# For the award page and the API ---------------------------------------------------------

#: Where the award can be approved or has been: the reports are produced from moderated.
DECIDING = frozenset({TenderStatus.MODERATED, TenderStatus.AWARD_APPROVED, TenderStatus.AWARDED})


@dataclass(frozen=True)
class Standing:
    """Where a tender's award stands, as an officer of the council sees it."""

    tender: TenderView
    #: The latest first.
    reports: list[StoredReport]
    decision: Decision | None
    #: What must happen before the award report can be produced, if anything.
    waiting_for: str | None
    #: Why this officer may not approve the award: a seat on one of the tender's panels.
    approval_refused: str | None
    #: Why this officer may not produce nor read the award report: they evaluate a lot.
    report_refused: str | None

    @property
    def latest(self) -> StoredReport | None:
        return self.reports[0] if self.reports else None

    @property
    def may_produce(self) -> bool:
        """A report can be produced now, by this officer."""
        return self.tender.stored_status is TenderStatus.MODERATED and self.report_refused is None

    @property
    def may_approve(self) -> bool:
        """The latest report can be approved now, by this officer."""
        return (
            self.tender.stored_status is TenderStatus.MODERATED
            and self.latest is not None
            and self.decision is None
            and self.approval_refused is None
        )


async def standing(officer: CurrentUser, tender_id: str | UUID) -> Standing:
    """The tender's award reports, its decision and what the officer may do about them, for
    the council's officers; it changes nothing.

    Raises ``NotFound`` and ``NotPermitted`` (not an officer).
    """
    tender = await council_tender(officer, tender_id)
    _require_officer(officer)
    status = tender.stored_status
    if status is TenderStatus.CANCELLED:
        waiting_for = "This tender is cancelled: there is no award to approve"
    elif status not in DECIDING:
        waiting_for = NOT_MODERATED.format(status.label.lower())
    else:
        waiting_for = None
    seat = await _panel_seat(tender.id, officer.id)
    return Standing(
        tender=tender,
        reports=await reports(officer, tender.id),
        decision=await decision(officer, tender.id),
        waiting_for=waiting_for,
        approval_refused=_seated(seat) if seat is not None else None,
        report_refused=NOT_FOR_EVALUATORS if await evaluates(tender.id, officer.id) else None,
    )


async def report(
    officer: CurrentUser, tender_id: str | UUID, report_id: str | UUID
) -> StoredReport:
    """One of the tender's award reports as it was made, to read its PDF from the file
    store, for the council's officers who evaluate none of its lots (as ``award_report``).

    Raises ``NotFound`` (not a tender of the officer's council, nor a report of the
    tender) and ``NotPermitted`` (not an officer, or one who evaluates one of its lots).
    """
    tender = await council_tender(officer, tender_id)
    _require_officer(officer)
    wanted = parse_id(report_id)
    if await evaluates(tender.id, officer.id):
        raise NotPermitted(NOT_FOR_EVALUATORS)
    row = (
        await AwardReport.select(*_REPORT_COLUMNS)
        .where(AwardReport.tender == tender.id, AwardReport.id == wanted)
        .first()
    )
    if row is None:
        raise NotFound()
    return _stored(tender, row)


async def read_report(
    platform: Platform, officer: CurrentUser, tender_id: str | UUID, report_id: str | UUID
) -> StoredReport:
    """``report``, for the officer to download: each download is audited, as the report
    holds every bid's scores.

    Raises as ``report``."""
    stored = await report(officer, tender_id, report_id)
    async with database.write_transaction():
        await events.record(
            platform,
            officer,
            AuditAction.EVALUATION_AWARD_REPORT_READ,
            parse_id(tender_id),
            {"report": stored.id, "sha256": stored.sha256},
        )
    return stored
