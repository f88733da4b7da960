"""JSON API: following tenders and asking about them (providers), the published
clarifications (everyone), answering, extending and cancelling (officers)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec
from litestar import Controller, delete, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from app.api_docs import BEARER, SIGNED_IN_ERRORS, error_responses
from app.dependencies import USER, PlatformDep, UserDep
from tenders.services import addenda, clarifications
from tenders.services.clarifications import PublishedClarification
from tenders.services.views import TenderView

# Shapes ---------------------------------------------------------------------------------


class Following(msgspec.Struct):
    tender_id: UUID
    following: bool


class Opportunity(msgspec.Struct):
    tender_id: UUID
    title: str
    reference: str
    buyer_name: str
    status: str
    submission_deadline: datetime | None
    countdown: str | None
    clarifications: int


class FollowedPage(msgspec.Struct):
    items: list[Opportunity]
    page: int
    pages: int
    total: int


class QuestionRequest(msgspec.Struct):
    question: str = ""


class QuestionReceipt(msgspec.Struct):
    id: UUID
    tender_id: UUID
    question: str


class ClarificationOut(msgspec.Struct):
    """A published question and answer: never who asked."""

    id: UUID
    question: str
    answer: str
    published_at: datetime


class AnswerRequest(msgspec.Struct):
    answer: str = ""
    #: The question's wording as published; empty keeps the provider's.
    question: str = ""


class ExtensionRequest(msgspec.Struct):
    #: ISO 8601, like 2026-12-18T12:00:00Z (a time without an offset is read as UK time).
    submission_deadline: str = ""
    #: Optional; ISO 8601.
    clarification_deadline: str = ""


class CancellationRequest(msgspec.Struct):
    reason: str = ""


class TenderDeadlines(msgspec.Struct):
    id: UUID
    status: str
    submission_deadline: datetime | None
    clarification_deadline: datetime | None
    cancel_reason: str | None
    version: int


def _clarification(item: PublishedClarification) -> ClarificationOut:
    return ClarificationOut(item.id, item.question, item.answer, item.published_at)


def _deadlines(tender: TenderView, now: datetime) -> TenderDeadlines:
    return TenderDeadlines(
        id=tender.id,
        status=str(tender.status(now)),
        submission_deadline=tender.submission_deadline,
        clarification_deadline=tender.clarification_deadline,
        cancel_reason=tender.cancel_reason,
        version=tender.version,
    )


# Controllers ----------------------------------------------------------------------------


class FollowingApi(Controller):
    tags = ["clarifications"]
    security = BEARER
    dependencies = {"user": USER}

    @post(
        "/opportunities/{tender_id:str}/interest",
        status_code=200,
        responses=error_responses(*SIGNED_IN_ERRORS, 404, 409),
    )
    async def register_interest(
        self, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Following:
        """Follow an open tender (providers only); doing it again changes nothing."""
        await clarifications.register_interest(platform, user, tender_id)
        return Following(UUID(tender_id), True)

    @delete(
        "/opportunities/{tender_id:str}/interest",
        status_code=204,
        responses=error_responses(*SIGNED_IN_ERRORS, 404),
    )
    async def withdraw_interest(
        self, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> None:
        """Stop following a tender."""
        await clarifications.withdraw_interest(platform, user, tender_id)

    @get(
        "/my-opportunities",
        description="The tenders the provider's organisation follows, 20 a page: open ones "
        "first, closing soonest, then the rest, most recently closed first. A page past the "
        "last gives the last.",
        responses=error_responses(*SIGNED_IN_ERRORS),
    )
    async def my_opportunities(
        self, platform: PlatformDep, user: UserDep, page: FromQuery[int] = 1
    ) -> FollowedPage:
        listing = await clarifications.my_opportunities(platform, user, page)
        items = [
            Opportunity(
                tender_id=item.tender_id,
                title=item.title,
                reference=item.reference,
                buyer_name=item.buyer_name,
                status=str(item.status),
                submission_deadline=item.submission_deadline,
                countdown=item.countdown,
                clarifications=item.clarifications,
            )
            for item in listing.items
        ]
        return FollowedPage(items, listing.number, listing.pages, listing.total)

    @post(
        "/opportunities/{tender_id:str}/questions",
        status_code=201,
        responses=error_responses(*SIGNED_IN_ERRORS, 404, 409),
    )
    async def ask(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        data: JSONBody[QuestionRequest],
    ) -> QuestionReceipt:
        """Ask a question before the clarification deadline (providers only). The answer is
        published to every interested provider without saying who asked."""
        clarification_id = await clarifications.ask_question(
            platform, user, tender_id, msgspec.structs.asdict(data)
        )
        return QuestionReceipt(clarification_id, UUID(tender_id), data.question.strip())


class PublishedClarificationApi(Controller):
    tags = ["clarifications"]

    @get("/tenders/{tender_id:str}/clarifications", responses=error_responses(404))
    async def published(self, tender_id: FromPath[str]) -> list[ClarificationOut]:
        """A published tender's clarifications, oldest first. Never says who asked."""
        return [
            _clarification(item)
            for item in await clarifications.published_clarifications(tender_id)
        ]


class OfficerClarificationApi(Controller):
    path = "/tenders/{tender_id:str}"
    tags = ["clarifications"]
    security = BEARER
    dependencies = {"user": USER}

    @post(
        "/clarifications/{clarification_id:str}/answer",
        status_code=200,
        responses=error_responses(*SIGNED_IN_ERRORS, 404, 409),
    )
    async def answer(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        clarification_id: FromPath[str],
        data: JSONBody[AnswerRequest],
    ) -> ClarificationOut:
        """Answer a question and publish it to every interested provider (officers of the
        tender's council)."""
        return _clarification(
            await clarifications.answer_question(
                platform, user, tender_id, clarification_id, msgspec.structs.asdict(data)
            )
        )

    @post(
        "/clarifications", status_code=201, responses=error_responses(*SIGNED_IN_ERRORS, 404, 409)
    )
    async def publish(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        data: JSONBody[AnswerRequest],
    ) -> ClarificationOut:
        """Publish a clarification nobody asked for (``question`` optional)."""
        return _clarification(
            await clarifications.publish_clarification(
                platform, user, tender_id, msgspec.structs.asdict(data)
            )
        )

    @post("/extend", status_code=200, responses=error_responses(*SIGNED_IN_ERRORS, 404, 409))
    async def extend(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        data: JSONBody[ExtensionRequest],
    ) -> TenderDeadlines:
        """Move a published tender's deadline later; every interested provider is emailed."""
        tender = await addenda.extend_deadline(
            platform, user, tender_id, msgspec.structs.asdict(data)
        )
        return _deadlines(tender, platform.clock.now())

    @post("/cancel", status_code=200, responses=error_responses(*SIGNED_IN_ERRORS, 404, 409))
    async def cancel(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        data: JSONBody[CancellationRequest],
    ) -> TenderDeadlines:
        """Cancel a draft or published tender with a reason; interested providers are told."""
        tender = await addenda.cancel_tender(
            platform, user, tender_id, msgspec.structs.asdict(data)
        )
        return _deadlines(tender, platform.clock.now())


CONTROLLERS: list[type[Controller]] = [
    FollowingApi,
    PublishedClarificationApi,
    OfficerClarificationApi,
]
