"""What an officer may still do to a tender once it is published: extend its deadline, add
documents (an addendum) and cancel it, every interested provider being emailed. Documents
are also added to drafts here, and served to whoever may read them.

Every function checks the caller is an officer of the tender's council (another council's
tender is not found), writes its change with an audit event in one write transaction, and
raises errors from ``app.errors``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from app import database
from app.accounts import CurrentUser
from app.errors import Conflict, Invalid, InvalidTransition, NotFound
from app.files import DOCUMENT_TYPES, StoredFile
from app.platform import Platform
from app.templating import london_time
from app.validation import clean, london_datetime
from app.vocabulary import AuditAction
from tenders.services import events
from tenders.services.authoring import own_tender
from tenders.services.notifications import notify_interested
from tenders.services.releases import record_release
from tenders.services.views import DocumentView, TenderView, as_uuid, load_tender
from tenders.tables import Tender, TenderDocument
from tenders.vocabulary import DocumentKind, TenderStatus

#: The largest tender document accepted (a setting when councils ask for more).
MAX_DOCUMENT_BYTES = 50 * 1024**2
#: Tender documents are specifications, terms and price sheets: PDF, Word or Excel.
DOCUMENT_FILE_TYPES = {ext: DOCUMENT_TYPES[ext] for ext in ("pdf", "docx", "xlsx")}
#: What an officer chooses from; a document added after publication is also an addendum.
DOCUMENT_KINDS = (DocumentKind.SPECIFICATION, DocumentKind.TERMS, DocumentKind.OTHER)
MAX_REASON = 5_000
SUBJECT_LENGTH = 200


@dataclass(frozen=True)
class Download:
    document: DocumentView
    tender_id: UUID


def _parse_uuid(value: str | UUID) -> UUID:
    try:
        return as_uuid(value)
    except ValueError:
        raise NotFound() from None


def _subject(text: str) -> str:
    return text if len(text) <= SUBJECT_LENGTH else text[: SUBJECT_LENGTH - 1] + "…"


def _refuse_unless_live(tender: TenderView, now: datetime, doing: str) -> None:
    """Published and not yet closed (drafts are refused by the caller if need be)."""
    status = tender.status(now)
    if status is TenderStatus.CANCELLED:
        raise InvalidTransition(f"This tender has been cancelled, so you cannot {doing}")
    if status is TenderStatus.CLOSED or status.bids_opened:
        assert tender.submission_deadline is not None
        raise InvalidTransition(
            f"This tender closed at {london_time(tender.submission_deadline)}, "
            f"so you cannot {doing}"
        )


async def _changed(
    tender: TenderView, values: Mapping[Any, Any], *, same_version: bool = True
) -> None:
    """Write ``values`` and raise the version, if the tender's status (and, with
    ``same_version``, anything at all) is as loaded; ``Conflict`` otherwise."""
    updated = (
        await Tender.update({**values, Tender.version: Tender.version + 1})
        .where(
            Tender.id == tender.id,
            Tender.status == tender.stored_status,
            *([Tender.version == tender.version] if same_version else []),
        )
        .returning(Tender.id)
    )
    if not updated:
        raise Conflict(
            "Someone else changed this tender while you were working on it. "
            "Nothing has been saved: check the tender and try again"
        )


# Extending the deadline ---------------------------------------------------------------


def _extension(tender: TenderView, form: Mapping[str, Any], now: datetime) -> dict:
    submission, submission_problem = london_datetime(
        form, "submission_deadline", "the new submission deadline"
    )
    clarification, clarification_problem = london_datetime(
        form, "clarification_deadline", "the new deadline for clarification questions"
    )
    current = tender.submission_deadline
    current_clarification = tender.clarification_deadline
    assert current is not None
    assert current_clarification is not None
    problems: dict[str, str | None] = {
        "submission_deadline": submission_problem,
        "clarification_deadline": clarification_problem,
    }
    if submission is None and not submission_problem:
        problems["submission_deadline"] = "Enter the new submission deadline"
    elif submission is not None and submission <= current:
        problems["submission_deadline"] = (
            f"The new deadline must be later than the current deadline, {london_time(current)}"
        )
    if clarification is not None:
        if clarification < current_clarification:
            problems["clarification_deadline"] = (
                "The new deadline for clarification questions must not be earlier than the "
                f"current one, {london_time(current_clarification)}"
            )
        elif clarification <= now:
            problems["clarification_deadline"] = (
                "The new deadline for clarification questions must be in the future"
            )
        elif submission is not None and clarification >= submission:
            problems["clarification_deadline"] = (
                "The deadline for clarification questions must be before the submission deadline"
            )
    errors = {name: problem for name, problem in problems.items() if problem}
    if errors:
        raise Invalid(errors)
    assert submission is not None
    return {
        Tender.submission_deadline: submission,
        Tender.clarification_deadline: clarification or current_clarification,
    }


async def extend_deadline(
    platform: Platform, actor: CurrentUser, tender_id: str, form: Mapping[str, Any]
) -> TenderView:
    """Move a published tender's submission deadline later (and, optionally, its deadline
    for clarification questions, never earlier), and email every interested provider.

    Raises ``NotPermitted``, ``NotFound``, ``InvalidTransition`` (a draft, closed or
    cancelled tender), ``Conflict`` (changed meanwhile) and ``Invalid``.
    """
    tender = await own_tender(actor, tender_id)
    if tender.stored_status is TenderStatus.DRAFT:
        raise InvalidTransition(
            "This tender has not been published: change its deadlines in its details"
        )
    now = platform.clock.now()
    _refuse_unless_live(tender, now, "extend its deadline")
    values = _extension(tender, form, now)
    new_deadline = values[Tender.submission_deadline]
    async with database.write_transaction():
        _refuse_unless_live(tender, platform.clock.now(), "extend its deadline")
        await _changed(tender, values)
        await record_release(platform, tender.id, "tenderUpdate")
        await events.record(
            platform,
            actor,
            AuditAction.TENDER_TENDER_EXTEND,
            tender.id,
            {
                "from": tender.submission_deadline.isoformat(),  # type: ignore[union-attr]
                "to": new_deadline.isoformat(),
                "clarification_deadline": values[Tender.clarification_deadline].isoformat(),
            },
        )
        await notify_interested(
            platform,
            tender.id,
            subject=_subject(
                f"The deadline for {tender.title} has moved to {london_time(new_deadline)}"
            ),
            template="mail/tender_deadline_extended.txt",
            context={
                "title": tender.title,
                "buyer_name": tender.buyer_name,
                "deadline": new_deadline,
                "previous_deadline": tender.submission_deadline,
                "clarification_deadline": values[Tender.clarification_deadline],
            },
            link_path=f"/opportunities/{tender.id}",
        )
    extended = await load_tender(tender.id)
    assert extended is not None
    return extended


# Documents ----------------------------------------------------------------------------


async def document_target(platform: Platform, actor: CurrentUser, tender_id: str) -> TenderView:
    """The tender a document may be added to: the officer's own, a draft or open.
    Checked before an upload is read, so no byte is stored for a refused one.

    Raises ``NotPermitted``, ``NotFound`` and ``InvalidTransition``.
    """
    tender = await own_tender(actor, tender_id)
    _refuse_unless_live(tender, platform.clock.now(), "add documents to it")
    return tender


async def add_document(
    platform: Platform,
    actor: CurrentUser,
    tender_id: str,
    form: Mapping[str, Any],
    file: StoredFile | None,
) -> DocumentView:
    """Record a document already checked and stored in the file store (``file``) against
    the tender, with its ``title`` and ``kind``. After publication it is an addendum, and
    every interested provider is emailed.

    Raises ``NotPermitted``, ``NotFound``, ``InvalidTransition``, ``Conflict`` and ``Invalid``.
    """
    tender = await document_target(platform, actor, tender_id)
    title = clean(form.get("title"))[:200]
    kind = clean(form.get("kind"))
    problems = {
        "title": None if title else "Enter the document's title",
        "kind": None if kind in DOCUMENT_KINDS else "Select what kind of document it is",
        "document": None if file else "Select a file",
    }
    if errors := {name: problem for name, problem in problems.items() if problem}:
        raise Invalid(errors)
    assert file is not None
    addendum = tender.stored_status is TenderStatus.PUBLISHED
    async with database.write_transaction():
        now = platform.clock.now()
        _refuse_unless_live(tender, now, "add documents to it")
        await _changed(tender, {}, same_version=False)
        document = TenderDocument(
            tender=tender.id,
            kind=DocumentKind(kind),
            title=title,
            sha256=file.sha256,
            original_name=file.original_name,
            content_type=file.content_type,
            size=file.size,
            added_at=now,
            addendum=addendum,
        )
        await document.save()
        await events.record(
            platform,
            actor,
            AuditAction.TENDER_DOCUMENT_ADD,
            tender.id,
            {
                "document": str(document.id),
                "title": title,
                "sha256": file.sha256,
                "addendum": addendum,
            },
        )
        if addendum:
            await record_release(platform, tender.id, "tenderUpdate")
            await notify_interested(
                platform,
                tender.id,
                subject=_subject(f"New document for {tender.title}"),
                template="mail/tender_document_added.txt",
                context={
                    "title": tender.title,
                    "buyer_name": tender.buyer_name,
                    "document_title": title,
                },
                link_path=f"/opportunities/{tender.id}",
            )
    return DocumentView(
        id=document.id,
        kind=DocumentKind(kind),
        title=title,
        sha256=file.sha256,
        original_name=file.original_name,
        content_type=file.content_type,
        size=file.size,
        added_at=now,
        addendum=addendum,
    )


async def document_for_download(
    user: CurrentUser | None, tender_id: str, document_id: str
) -> DocumentView:
    """A document of a published tender, for anyone; of a draft, for its council's
    officers only (others are told it does not exist).

    Raises ``NotFound``.
    """
    tender = await load_tender(_parse_uuid(tender_id))
    if tender is None:
        raise NotFound()
    if tender.stored_status is TenderStatus.DRAFT and not (
        user is not None
        and user.is_buyer
        and user.is_officer
        and user.organisation_id == tender.buyer_id
    ):
        raise NotFound()
    wanted = _parse_uuid(document_id)
    for document in tender.documents:
        if document.id == wanted:
            return document
    raise NotFound()


# Cancelling ---------------------------------------------------------------------------


async def cancel_tender(
    platform: Platform, actor: CurrentUser, tender_id: str, form: Mapping[str, Any]
) -> TenderView:
    """Cancel a tender in any state before ``awarded`` with a ``reason``, which every
    interested provider is emailed. Sent again with the same reason, it changes nothing.

    Raises ``NotPermitted``, ``NotFound``, ``InvalidTransition`` (already cancelled, or
    awarded), ``Conflict`` (the status changed meanwhile: the update is conditional on it)
    and ``Invalid``.
    """
    tender = await own_tender(actor, tender_id)
    reason = clean(form.get("reason"))
    if tender.stored_status is TenderStatus.CANCELLED:
        if reason == tender.cancel_reason:
            return tender
        raise InvalidTransition("This tender has already been cancelled")
    if tender.stored_status is TenderStatus.AWARDED:
        raise InvalidTransition("This tender has been awarded, so it cannot be cancelled")
    if not reason:
        raise Invalid({"reason": "Enter the reason for cancelling the tender"})
    if len(reason) > MAX_REASON:
        raise Invalid({"reason": f"The reason must be {MAX_REASON:,} characters or fewer"})
    async with database.write_transaction():
        now = platform.clock.now()
        await _changed(
            tender,
            {
                Tender.status: TenderStatus.CANCELLED,
                Tender.cancelled_at: now,
                Tender.cancel_reason: reason,
            },
        )
        await events.record(
            platform,
            actor,
            AuditAction.TENDER_TENDER_CANCEL,
            tender.id,
            {"reason": reason, "was": str(tender.stored_status)},
        )
        if tender.stored_status is TenderStatus.PUBLISHED:
            await record_release(platform, tender.id, "tenderCancellation")
        await notify_interested(
            platform,
            tender.id,
            subject=_subject(f"{tender.title} has been cancelled"),
            template="mail/tender_cancelled.txt",
            context={"title": tender.title, "buyer_name": tender.buyer_name, "reason": reason},
            link_path=f"/opportunities/{tender.id}",
        )
    cancelled = await load_tender(tender.id)
    assert cancelled is not None
    return cancelled
