"""JSON API: public opportunities. No token needed: anyone may read published tenders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter

from app.api_docs import error_responses
from app.dependencies import PlatformDep
from app.platform import Platform
from tenders.services import opportunities
from tenders.services.opportunities import Opportunity, OpportunityPage
from tenders.services.views import LotView, TenderView

# Query parameters of a search, shared by the page and the API ------------------------


@dataclass(frozen=True)
class SearchParams:
    """A search as the URL gave it; the service checks it."""

    keywords: str | None
    service_type: list[str] | None
    district: list[str] | None
    band: list[str] | None
    council: list[str] | None
    order: str | None
    status: str | None
    page: int

    def chosen(self) -> dict[str, list[str]]:
        """Each multiple-choice filter's values as sent, to tick them again on the page."""
        return {
            "service_type": self.service_type or [],
            "district": self.district or [],
            "band": self.band or [],
            "council": self.council or [],
        }


def provide_search_params(
    keywords: Annotated[
        str | None,
        QueryParameter(description="Words found in the title, reference, description or lots"),
    ] = None,
    service_type: Annotated[
        list[str] | None, QueryParameter(description="Types of service (any of them)")
    ] = None,
    district: Annotated[
        list[str] | None,
        QueryParameter(description='Districts, or the groups "North" and "South" (any of them)'),
    ] = None,
    band: Annotated[
        list[str] | None, QueryParameter(description="Complexity bands (any of them)")
    ] = None,
    council: Annotated[
        list[str] | None, QueryParameter(description="Buyer organisation ids (any of them)")
    ] = None,
    order: Annotated[
        str | None, QueryParameter(description='"closing" (the default) or "newest"')
    ] = None,
    status: Annotated[
        str | None, QueryParameter(description='"open" (the default) or "closed"')
    ] = None,
    page: Annotated[int, QueryParameter(description="Page number, 20 tenders a page")] = 1,
) -> SearchParams:
    return SearchParams(keywords, service_type, district, band, council, order, status, page)


SEARCH_PARAMS = Provide(provide_search_params, sync_to_thread=False)
SearchParamsDep = NamedDependency[SearchParams]


async def search(platform: Platform, params: SearchParams) -> OpportunityPage:
    """The search's page of opportunities. Raises ``Invalid`` as the service does."""
    return await opportunities.search(
        platform,
        query=params.keywords,
        service_type=params.service_type,
        district=params.district,
        band=params.band,
        council=params.council,
        order=params.order,
        status=params.status,
        page=params.page,
    )


# Shapes ------------------------------------------------------------------------------


class Council(msgspec.Struct):
    id: UUID
    name: str


class LotSummary(msgspec.Struct):
    number: int
    name: str
    service_type: str
    districts: list[str]
    complexity_band: str | None


class OpportunitySummary(msgspec.Struct):
    id: UUID
    title: str
    reference: str
    council: Council
    #: "open" or "closed".
    status: str
    submission_deadline: datetime
    published_at: datetime
    countdown: str
    lots: list[LotSummary]


class OpportunityList(msgspec.Struct):
    items: list[OpportunitySummary]
    page: int
    pages: int
    total: int
    #: Every council with a published tender, for the ``council`` filter.
    councils: list[Council]


class PriceItem(msgspec.Struct):
    id: UUID
    number: int
    description: str
    unit: str
    volume: int
    reference_price_pence: int | None
    minimum_call_minutes: int | None


class Lot(msgspec.Struct):
    id: UUID
    number: int
    name: str
    service_type: str
    districts: list[str]
    complexity_band: str | None
    award_mode: str
    providers_to_award: int | None
    price_items: list[PriceItem]


class Question(msgspec.Struct):
    id: UUID
    number: int
    kind: str
    text: str
    guidance: str
    word_limit: int | None
    weight: int
    minimum_score: int | None
    outcome: str | None
    #: The lot the question belongs to; none means every lot.
    lot_id: UUID | None


class Section(msgspec.Struct):
    id: UUID
    number: int
    name: str
    kind: str
    weight: int
    questions: list[Question]


class Document(msgspec.Struct):
    id: UUID
    kind: str
    title: str
    original_name: str
    content_type: str
    size: int
    added_at: datetime
    addendum: bool
    url: str


class PublicTender(msgspec.Struct):
    id: UUID
    title: str
    reference: str
    description: str
    council: Council
    procedure: str
    #: "published", "closed" or "cancelled".
    status: str
    contract_months: int | None
    estimated_value_pence: int | None
    submission_deadline: datetime | None
    clarification_deadline: datetime | None
    published_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    standstill_applies: bool
    standstill_days: int
    exclude_above_reference: bool
    max_lots_per_bidder: int | None
    lots: list[Lot]
    sections: list[Section]
    documents: list[Document]


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


def _summary(item: Opportunity) -> OpportunitySummary:
    return OpportunitySummary(
        id=item.id,
        title=item.title,
        reference=item.reference,
        council=Council(item.council.id, item.council.name),
        status="closed" if item.closed else "open",
        submission_deadline=item.submission_deadline.astimezone(UTC),
        published_at=item.published_at.astimezone(UTC),
        countdown=item.countdown,
        lots=[
            LotSummary(
                number=lot.number,
                name=lot.name,
                service_type=str(lot.service_type),
                districts=list(lot.districts),
                complexity_band=str(lot.complexity_band) if lot.complexity_band else None,
            )
            for lot in item.lots
        ],
    )


def _lot(lot: LotView) -> Lot:
    return Lot(
        id=lot.id,
        number=lot.number,
        name=lot.name,
        service_type=str(lot.service_type),
        districts=list(lot.districts),
        complexity_band=str(lot.complexity_band) if lot.complexity_band else None,
        award_mode=str(lot.award_mode),
        providers_to_award=lot.providers_to_award,
        price_items=[
            PriceItem(
                id=item.id,
                number=item.number,
                description=item.description,
                unit=str(item.unit),
                volume=item.volume,
                reference_price_pence=item.reference_price_pence,
                minimum_call_minutes=item.minimum_call_minutes,
            )
            for item in lot.price_items
        ],
    )


def _tender(tender: TenderView, now: datetime) -> PublicTender:
    return PublicTender(
        id=tender.id,
        title=tender.title,
        reference=tender.reference,
        description=tender.description,
        council=Council(tender.buyer_id, tender.buyer_name),
        procedure=str(tender.procedure),
        status=str(tender.status(now)),
        contract_months=tender.contract_months,
        estimated_value_pence=tender.estimated_value_pence,
        submission_deadline=_utc(tender.submission_deadline),
        clarification_deadline=_utc(tender.clarification_deadline),
        published_at=_utc(tender.published_at),
        cancelled_at=_utc(tender.cancelled_at),
        cancel_reason=tender.cancel_reason,
        standstill_applies=tender.standstill_applies,
        standstill_days=tender.standstill_days,
        exclude_above_reference=tender.exclude_above_reference,
        max_lots_per_bidder=tender.max_lots_per_bidder,
        lots=[_lot(lot) for lot in tender.lots],
        sections=[
            Section(
                id=section.id,
                number=section.number,
                name=section.name,
                kind=str(section.kind),
                weight=section.weight,
                questions=[
                    Question(
                        id=q.id,
                        number=q.number,
                        kind=str(q.kind),
                        text=q.text,
                        guidance=q.guidance,
                        word_limit=q.word_limit,
                        weight=q.weight,
                        minimum_score=q.minimum_score,
                        outcome=q.outcome,
                        lot_id=q.lot_id,
                    )
                    for q in section.questions
                ],
            )
            for section in tender.sections
        ],
        documents=[
            Document(
                id=document.id,
                kind=str(document.kind),
                title=document.title,
                original_name=document.original_name,
                content_type=document.content_type,
                size=document.size,
                added_at=document.added_at.astimezone(UTC),
                addendum=document.addendum,
                url=f"/opportunities/{tender.id}/documents/{document.id}",
            )
            for document in tender.documents
        ],
    )


class OpportunityApi(Controller):
    tags = ["opportunities"]

    @get(
        "/opportunities",
        dependencies={"params": SEARCH_PARAMS},
        responses=error_responses(400),
    )
    async def list_opportunities(
        self, platform: PlatformDep, params: SearchParamsDep
    ) -> OpportunityList:
        """Published tenders, open ones by default, 20 a page. Filters of one kind match
        any of their values; filters of different kinds must all match, and the lot
        filters must all match one lot. No token needed."""
        listing = await search(platform, params)
        return OpportunityList(
            items=[_summary(item) for item in listing.items],
            page=listing.number,
            pages=listing.pages,
            total=listing.total,
            councils=[Council(council.id, council.name) for council in listing.councils],
        )

    @get("/tenders/{tender_id:str}", responses=error_responses(404))
    async def get_tender(self, platform: PlatformDep, tender_id: FromPath[str]) -> PublicTender:
        """A published (or closed, or cancelled) tender: its lots, criteria, price
        schedules and documents; times in UTC. Drafts are not found. No token needed."""
        tender = await opportunities.tender_page(platform, tender_id)
        return _tender(tender, platform.clock.now())


CONTROLLERS: list[type[Controller]] = [OpportunityApi]
