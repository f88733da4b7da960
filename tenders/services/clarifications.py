"""Providers follow tenders and ask questions; officers answer them and publish the answers
(and clarifications of their own) to every interested provider, never saying who asked.

Every function takes plain arguments, checks the caller's right to the object (a provider
on an officer's action or an officer on a provider's is not permitted; another council's
tender is not found), writes its change with an audit event in one write transaction,
and raises errors from ``app.errors``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from app import database
from app.accounts import CurrentUser
from app.errors import DeadlinePassed, Invalid, InvalidTransition, NotFound, NotPermitted
from app.paging import Page, page_number
from app.platform import Platform
from app.templating import london_time
from app.validation import clean
from app.vocabulary import AuditAction, OrganisationKind
from tenders.lifecycle import accepts_questions, countdown, effective_status
from tenders.services import events
from tenders.services.authoring import own_tender
from tenders.services.notifications import notify_interested
from tenders.services.views import TenderView, as_uuid, load_tender
from tenders.tables import Clarification, Interest, Tender
from tenders.vocabulary import TenderStatus

MAX_QUESTION = 5_000
MAX_ANSWER = 20_000
NEW_CLARIFICATION = "A tender you follow has a new clarification"


@dataclass(frozen=True)
class PublishedClarification:
    """What everyone may read: never who asked."""

    id: UUID
    question: str
    answer: str
    published_at: datetime


@dataclass(frozen=True)
class ClarificationRecord:
    """What the tender's officers see, the asking organisation included."""

    id: UUID
    question: str
    asked_by: str | None
    asked_at: datetime | None
    answer: str | None
    published_at: datetime | None

    @property
    def published(self) -> bool:
        return self.published_at is not None


@dataclass(frozen=True)
class Opportunity:
    """A tender the provider's organisation follows."""

    tender_id: UUID
    title: str
    reference: str
    buyer_name: str
    status: TenderStatus
    submission_deadline: datetime | None
    countdown: str | None
    clarifications: int


@dataclass(frozen=True)
class TenderActions:
    """What the tender page offers the person looking at it."""

    #: A provider user, who may follow the tender and ask about it.
    provider: bool
    following: bool
    can_register: bool
    can_ask: bool
    clarification_deadline: datetime | None


def _parse_uuid(value: str | UUID) -> UUID:
    try:
        return as_uuid(value)
    except ValueError:
        raise NotFound() from None


def _require_provider(actor: CurrentUser, message: str) -> None:
    if actor.organisation_kind is not OrganisationKind.PROVIDER:
        raise NotPermitted(message)


def _interest_key(tender_id: UUID, organisation_id: UUID) -> str:
    return f"{tender_id}:{organisation_id}"


async def public_tender(tender_id: str | UUID) -> TenderView:
    """A tender anyone may see: published, whatever has happened since. Drafts are not
    found."""
    tender = await load_tender(_parse_uuid(tender_id))
    if tender is None or tender.stored_status is TenderStatus.DRAFT:
        raise NotFound()
    return tender


def _refuse_unless_open(tender: TenderView, now: datetime) -> None:
    status = tender.status(now)
    if status is TenderStatus.CANCELLED:
        raise InvalidTransition("This tender has been cancelled")
    if status is TenderStatus.CLOSED or status.bids_opened:
        assert tender.submission_deadline is not None
        raise InvalidTransition(f"This tender closed at {london_time(tender.submission_deadline)}")


# Interest -----------------------------------------------------------------------------


async def _register(platform: Platform, actor: CurrentUser, tender_id: UUID) -> bool:
    """Inside a write transaction: follow the tender, unless already following. The
    unique key makes a repeat (or a race on PostgreSQL) insert nothing."""
    inserted = (
        await Interest.insert(
            Interest(
                tender=tender_id,
                organisation=actor.organisation_id,
                registered_by=actor.id,
                registered_at=platform.clock.now(),
                key=_interest_key(tender_id, actor.organisation_id),
            )
        )
        .on_conflict(target=Interest.key, action="DO NOTHING")
        .returning(Interest.id)
    )
    if inserted:
        await events.record(platform, actor, AuditAction.TENDER_INTEREST_REGISTER, tender_id)
    return bool(inserted)


async def register_interest(platform: Platform, actor: CurrentUser, tender_id: str) -> bool:
    """The provider's organisation follows an open tender. Registering twice has the
    effect of once; returns whether this call registered it.

    Raises ``NotPermitted`` (not a provider), ``NotFound`` and ``InvalidTransition``
    (closed or cancelled).
    """
    _require_provider(actor, "Only care providers can register interest in a tender")
    tender = await public_tender(tender_id)
    _refuse_unless_open(tender, platform.clock.now())
    async with database.write_transaction():
        return await _register(platform, actor, tender.id)


async def withdraw_interest(platform: Platform, actor: CurrentUser, tender_id: str) -> bool:
    """The provider's organisation stops following the tender (a repeat does nothing);
    returns whether it was following.

    Raises ``NotPermitted`` and ``NotFound``.
    """
    _require_provider(actor, "Only care providers can follow tenders")
    tender = await public_tender(tender_id)
    async with database.write_transaction():
        removed = (
            await Interest.delete()
            .where(Interest.key == _interest_key(tender.id, actor.organisation_id))
            .returning(Interest.id)
        )
        if removed:
            await events.record(platform, actor, AuditAction.TENDER_INTEREST_WITHDRAW, tender.id)
    return bool(removed)


async def _published_counts(tender_ids: list[UUID]) -> dict[UUID, int]:
    if not tender_ids:
        return {}
    rows = await Clarification.select(Clarification.tender).where(
        Clarification.tender.is_in(tender_ids), Clarification.published_at.is_not_null()
    )
    counts: dict[UUID, int] = {}
    for row in rows:
        tender_id = as_uuid(row["tender"])
        counts[tender_id] = counts.get(tender_id, 0) + 1
    return counts


FOLLOWED_PAGE_SIZE = 20
# Open tenders first, closing soonest; then the rest, most recently closed first.
_FOLLOWED_SQL = (
    "SELECT tender.id AS tender_id, tender.title, tender.reference, tender.status,"
    " tender.submission_deadline, buyer.name AS buyer_name"
    " FROM interest JOIN tender ON tender.id = interest.tender"
    " JOIN organisation AS buyer ON buyer.id = tender.buyer"
    " WHERE interest.organisation = {}"
    " ORDER BY CASE WHEN tender.status = {} AND tender.submission_deadline > {} THEN 0 ELSE 1 END,"
    " CASE WHEN tender.status = {} AND tender.submission_deadline > {}"
    " THEN tender.submission_deadline END,"
    " CASE WHEN tender.submission_deadline IS NULL THEN 1 ELSE 0 END,"
    " tender.submission_deadline DESC, tender.id LIMIT {} OFFSET {}"
)


async def my_opportunities(
    platform: Platform, actor: CurrentUser, page: int = 1
) -> Page[Opportunity]:
    """The tenders the provider's organisation follows, ``FOLLOWED_PAGE_SIZE`` a page: open
    ones first, closing soonest, then the rest, most recently closed first.

    Raises ``NotPermitted`` (not a provider).
    """
    _require_provider(actor, "Only care providers follow tenders")
    total = await Interest.count().where(Interest.organisation == actor.organisation_id)
    number = page_number(page, total, FOLLOWED_PAGE_SIZE)
    now = platform.clock.now()
    published = TenderStatus.PUBLISHED.value
    rows = await database.fetch(
        _FOLLOWED_SQL,
        actor.organisation_id,
        published,
        now,
        published,
        now,
        FOLLOWED_PAGE_SIZE,
        (number - 1) * FOLLOWED_PAGE_SIZE,
    )
    counts = await _published_counts([as_uuid(row["tender_id"]) for row in rows])
    opportunities = []
    for row in rows:
        deadline = row["submission_deadline"]
        status = effective_status(TenderStatus(row["status"]), deadline, now)
        opportunities.append(
            Opportunity(
                tender_id=as_uuid(row["tender_id"]),
                title=row["title"],
                reference=row["reference"],
                buyer_name=row["buyer_name"],
                status=status,
                submission_deadline=deadline,
                countdown=(
                    countdown(deadline, now)
                    if deadline and status is not TenderStatus.CANCELLED
                    else None
                ),
                clarifications=counts.get(as_uuid(row["tender_id"]), 0),
            )
        )
    return Page(opportunities, number, total, FOLLOWED_PAGE_SIZE)


async def tender_actions(
    platform: Platform, user: CurrentUser | None, tender: TenderView
) -> TenderActions:
    """For the public tender page: may this person follow the tender or ask about it?"""
    now = platform.clock.now()
    provider = user is not None and user.organisation_kind is OrganisationKind.PROVIDER
    following = provider and await Interest.exists().where(
        Interest.key == _interest_key(tender.id, user.organisation_id)  # type: ignore[union-attr]
    )
    is_open = tender.status(now) is TenderStatus.PUBLISHED
    return TenderActions(
        provider=provider,
        following=following,
        can_register=provider and is_open and not following,
        can_ask=provider
        and accepts_questions(tender.status(now), tender.clarification_deadline, now),
        clarification_deadline=tender.clarification_deadline,
    )


# Questions ----------------------------------------------------------------------------


def _question_refusal(tender_status: TenderStatus, deadline: datetime | None) -> DeadlinePassed:
    if tender_status is TenderStatus.CANCELLED:
        return DeadlinePassed("This tender has been cancelled, so questions can no longer be asked")
    when = f" was {london_time(deadline)}" if deadline else " has passed"
    return DeadlinePassed(
        f"The deadline for questions about this tender{when}. You can no longer ask a question"
    )


def _question_text(form: Mapping[str, Any]) -> str:
    question = clean(form.get("question"))
    if not question:
        raise Invalid({"question": "Enter your question"})
    if len(question) > MAX_QUESTION:
        raise Invalid({"question": f"Your question must be {MAX_QUESTION:,} characters or fewer"})
    return question


async def question_target(platform: Platform, actor: CurrentUser, tender_id: str) -> TenderView:
    """The tender the provider may ask about now. Checked before the question form is shown.

    Raises ``NotPermitted`` (not a provider), ``NotFound`` and ``DeadlinePassed``.
    """
    _require_provider(actor, "Only care providers can ask questions about a tender")
    tender = await public_tender(tender_id)
    now = platform.clock.now()
    if not accepts_questions(tender.status(now), tender.clarification_deadline, now):
        raise _question_refusal(tender.status(now), tender.clarification_deadline)
    return tender


async def ask_question(
    platform: Platform, actor: CurrentUser, tender_id: str, form: Mapping[str, Any]
) -> UUID:
    """A provider asks a question before the clarification deadline, and its organisation
    follows the tender (so it hears the answer). The question is kept with the asking
    organisation, which is never published.

    Raises ``NotPermitted`` (not a provider), ``NotFound``, ``DeadlinePassed`` (at or after
    the clarification deadline, or cancelled) and ``Invalid``.
    """
    tender = await question_target(platform, actor, tender_id)
    question = _question_text(form)
    async with database.write_transaction():
        # Again inside the transaction: an extension or cancellation may have just committed.
        row = (
            await Tender.select(
                Tender.status, Tender.submission_deadline, Tender.clarification_deadline
            )
            .where(Tender.id == tender.id)
            .first()
        )
        now = platform.clock.now()
        status = effective_status(TenderStatus(row["status"]), row["submission_deadline"], now)
        if not accepts_questions(status, row["clarification_deadline"], now):
            raise _question_refusal(status, row["clarification_deadline"])
        await _register(platform, actor, tender.id)
        clarification = Clarification(
            tender=tender.id, question=question, asked_by=actor.organisation_id, asked_at=now
        )
        await clarification.save()
        await events.record(
            platform,
            actor,
            AuditAction.TENDER_CLARIFICATION_ASK,
            tender.id,
            {"clarification": str(clarification.id)},
        )
    return clarification.id


# Officers -----------------------------------------------------------------------------


async def questions_for_officer(actor: CurrentUser, tender_id: str) -> list[ClarificationRecord]:
    """Every question and clarification of the officer's tender, unanswered first.

    Raises ``NotPermitted`` and ``NotFound``.
    """
    tender = await own_tender(actor, tender_id)
    return await _records(tender.id)


async def _records(tender_id: UUID) -> list[ClarificationRecord]:
    rows = await Clarification.select(
        Clarification.all_columns(),
        Clarification.asked_by.name.as_alias("asked_by_name"),
    ).where(Clarification.tender == tender_id)
    records = [
        ClarificationRecord(
            id=as_uuid(row["id"]),
            question=row["question"],
            asked_by=row["asked_by_name"],
            asked_at=row["asked_at"],
            answer=row["answer"],
            published_at=row["published_at"],
        )
        for row in rows
    ]
    # Waiting for an answer first, oldest first; then the published, in publication order.
    records.sort(key=lambda r: (r.published, r.published_at or r.asked_at))
    return records


async def clarification_for_officer(
    actor: CurrentUser, tender_id: str, clarification_id: str
) -> tuple[TenderView, ClarificationRecord]:
    """Raises ``NotPermitted`` and ``NotFound``."""
    tender = await own_tender(actor, tender_id)
    wanted = _parse_uuid(clarification_id)
    for record in await _records(tender.id):
        if record.id == wanted:
            return tender, record
    raise NotFound()


def _refuse_unless_answerable(tender: TenderView, now: datetime) -> None:
    status = tender.status(now)
    if status is TenderStatus.CANCELLED:
        raise InvalidTransition("This tender has been cancelled")
    if status is TenderStatus.CLOSED or status.bids_opened:
        assert tender.submission_deadline is not None
        raise InvalidTransition(
            f"This tender closed at {london_time(tender.submission_deadline)}, "
            "so clarifications can no longer be published"
        )
    if status is TenderStatus.DRAFT:
        raise InvalidTransition("Publish the tender before publishing clarifications")


def _answer_text(form: Mapping[str, Any], message: str) -> str:
    answer = clean(form.get("answer"))
    if not answer:
        raise Invalid({"answer": message})
    if len(answer) > MAX_ANSWER:
        raise Invalid({"answer": f"The answer must be {MAX_ANSWER:,} characters or fewer"})
    return answer


async def _notify(platform: Platform, tender: TenderView, question: str, answer: str) -> None:
    await notify_interested(
        platform,
        tender.id,
        subject=NEW_CLARIFICATION,
        template="mail/tender_clarification.txt",
        context={
            "title": tender.title,
            "buyer_name": tender.buyer_name,
            "question": question,
            "answer": answer,
        },
        link_path=f"/opportunities/{tender.id}",
    )


async def answer_question(
    platform: Platform,
    actor: CurrentUser,
    tender_id: str,
    clarification_id: str,
    form: Mapping[str, Any],
) -> PublishedClarification:
    """Answer a provider's question and publish both to every interested provider,
    without the asker. ``question`` in the form, if given, replaces the wording (to take
    out anything that would identify the asker). Sending the same answer again changes
    nothing and emails nobody.

    Raises ``NotPermitted``, ``NotFound``, ``InvalidTransition`` (already published with
    another answer, tender closed or cancelled) and ``Invalid``.
    """
    tender, record = await clarification_for_officer(actor, tender_id, clarification_id)
    answer = _answer_text(form, "Enter the answer")
    question = clean(form.get("question"))[:MAX_QUESTION] or record.question
    _refuse_unless_answerable(tender, platform.clock.now())
    async with database.write_transaction():
        now = platform.clock.now()
        published = (
            await Clarification.update(
                {
                    Clarification.question: question,
                    Clarification.answer: answer,
                    Clarification.published_at: now,
                }
            )
            .where(Clarification.id == record.id, Clarification.published_at.is_null())
            .returning(Clarification.id)
        )
        if not published:
            current = await Clarification.select().where(Clarification.id == record.id).first()
            if current["answer"] == answer and current["question"] == question:
                return PublishedClarification(record.id, question, answer, current["published_at"])
            raise InvalidTransition("This question has already been answered and published")
        await events.record(
            platform,
            actor,
            AuditAction.TENDER_CLARIFICATION_ANSWER,
            tender.id,
            {"clarification": str(record.id), "reworded": question != record.question},
        )
        await _notify(platform, tender, question, answer)
    return PublishedClarification(record.id, question, answer, now)


async def publish_clarification(
    platform: Platform, actor: CurrentUser, tender_id: str, form: Mapping[str, Any]
) -> PublishedClarification:
    """The officer publishes a clarification nobody asked for (``question`` optional: what
    it is about; ``answer``: the clarification). The same one sent again is published once.

    Raises ``NotPermitted``, ``NotFound``, ``InvalidTransition`` and ``Invalid``.
    """
    tender = await own_tender(actor, tender_id)
    answer = _answer_text(form, "Enter the clarification")
    question = clean(form.get("question"))[:MAX_QUESTION]
    _refuse_unless_answerable(tender, platform.clock.now())
    async with database.write_transaction():
        repeat = (
            await Clarification.select(Clarification.id, Clarification.published_at)
            .where(
                Clarification.tender == tender.id,
                Clarification.asked_by.is_null(),
                Clarification.question == question,
                Clarification.answer == answer,
            )
            .first()
        )
        if repeat:
            return PublishedClarification(
                as_uuid(repeat["id"]), question, answer, repeat["published_at"]
            )
        now = platform.clock.now()
        clarification = Clarification(
            tender=tender.id, question=question, answer=answer, published_at=now
        )
        await clarification.save()
        await events.record(
            platform,
            actor,
            AuditAction.TENDER_CLARIFICATION_PUBLISH,
            tender.id,
            {"clarification": str(clarification.id)},
        )
        await _notify(platform, tender, question, answer)
    return PublishedClarification(clarification.id, question, answer, now)


# Everyone -----------------------------------------------------------------------------


async def published_clarifications(tender_id: str | UUID) -> list[PublishedClarification]:
    """The published questions and answers of a tender anyone may see, oldest first.

    Raises ``NotFound`` (no such tender, or a draft).
    """
    tender = await public_tender(tender_id)
    rows = (
        await Clarification.select(
            Clarification.id,
            Clarification.question,
            Clarification.answer,
            Clarification.published_at,
        )
        .where(Clarification.tender == tender.id, Clarification.published_at.is_not_null())
        .order_by(Clarification.published_at)
    )
    return [
        PublishedClarification(
            as_uuid(row["id"]), row["question"], row["answer"] or "", row["published_at"]
        )
        for row in rows
    ]
