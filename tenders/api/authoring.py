"""JSON API: officers create, change and publish their council's tenders.

Inputs are strings (or numbers) that default to empty, so that the service says what is
wrong with each field; deadlines are ISO 8601 instants.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from app.api_docs import BEARER, SIGNED_IN_ERRORS, error_responses
from app.dependencies import USER, PlatformDep, UserDep
from app.guards import officers_only
from tenders.services import authoring
from tenders.services.views import TenderView

#: Numbers may be sent as JSON numbers or as strings; the service reads strings.
Number = int | str


class TenderDetailsRequest(msgspec.Struct):
    title: str = ""
    reference: str = ""
    description: str = ""
    contract_months: Number = ""
    estimated_value: Number = ""
    submission_deadline: str = ""
    clarification_deadline: str = ""
    standstill_applies: bool | None = None
    standstill_days: Number = ""
    abnormally_low_percent: Number = ""
    exclude_above_reference: bool | None = None
    max_lots_per_bidder: Number = ""


class TenderChangeRequest(msgspec.Struct):
    """Only the fields sent change; ``version`` is the one the client last saw."""

    title: str | msgspec.UnsetType = msgspec.UNSET
    reference: str | msgspec.UnsetType = msgspec.UNSET
    description: str | msgspec.UnsetType = msgspec.UNSET
    contract_months: Number | msgspec.UnsetType = msgspec.UNSET
    estimated_value: Number | msgspec.UnsetType = msgspec.UNSET
    submission_deadline: str | msgspec.UnsetType = msgspec.UNSET
    clarification_deadline: str | msgspec.UnsetType = msgspec.UNSET
    standstill_applies: bool | msgspec.UnsetType = msgspec.UNSET
    standstill_days: Number | msgspec.UnsetType = msgspec.UNSET
    abnormally_low_percent: Number | msgspec.UnsetType = msgspec.UNSET
    exclude_above_reference: bool | msgspec.UnsetType = msgspec.UNSET
    max_lots_per_bidder: Number | msgspec.UnsetType = msgspec.UNSET
    version: Number = ""


class LotRequest(msgspec.Struct):
    name: str = ""
    service_type: str = ""
    #: District names, or the groups "North" and "South".
    districts: list[str] = msgspec.field(default_factory=list)
    #: A band, or "none".
    complexity_band: str = ""
    #: "one", "number" or "all_that_pass".
    award_mode: str = ""
    providers_to_award: Number = ""


class SectionRequest(msgspec.Struct):
    name: str = ""
    #: "quality", "price" or "social_value".
    kind: str = ""
    weight: Number = ""


class QuestionRequest(msgspec.Struct):
    section: str = ""
    #: A lot's id, or "all" (or empty) for every lot.
    lot: str = ""
    #: "pass_fail", "scale" or "outcome_test".
    kind: str = ""
    text: str = ""
    guidance: str = ""
    word_limit: Number = ""
    weight: Number = ""
    minimum_score: Number = ""


class OutcomeTestsRequest(msgspec.Struct):
    section: str = ""
    lot: str = ""


class PriceItemRequest(msgspec.Struct):
    description: str = ""
    #: "hour_daytime", "sleep_in_night", "week_highly_complex", ...
    unit: str = ""
    volume: Number = ""
    #: In pounds: "15.87".
    reference_price: Number = ""
    minimum_call_minutes: Number = ""


class PublishRequest(msgspec.Struct):
    #: Publish even though the deadline falls on a weekend or a bank holiday.
    confirmed: bool = False


class Created(msgspec.Struct):
    id: UUID


class OutcomeTestsAdded(msgspec.Struct):
    added: int


class OfficerTender(msgspec.Struct):
    id: UUID
    title: str
    reference: str
    status: str
    version: int
    submission_deadline: datetime | None
    clarification_deadline: datetime | None
    published_at: datetime | None
    lots: int
    sections: int
    questions: int


class OfficerTenderSummary(msgspec.Struct):
    id: UUID
    title: str
    reference: str
    status: str
    submission_deadline: datetime | None
    created_at: datetime


class OfficerTenderPage(msgspec.Struct):
    items: list[OfficerTenderSummary]
    page: int
    pages: int
    total: int


def _form(data: msgspec.Struct) -> dict[str, Any]:
    """A request as the form the services read: numbers as strings, the rest as sent."""
    return {
        name: str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        for name, value in msgspec.structs.asdict(data).items()
        if value is not msgspec.UNSET
    }


def _current_form(tender: TenderView) -> dict[str, Any]:
    """A tender's details as a form, so that a change sends only what it changes."""
    return {
        "title": tender.title,
        "reference": tender.reference,
        "description": tender.description,
        "contract_months": str(tender.contract_months or ""),
        "estimated_value": (
            f"{tender.estimated_value_pence // 100}.{tender.estimated_value_pence % 100:02d}"
            if tender.estimated_value_pence is not None
            else ""
        ),
        "submission_deadline": (
            tender.submission_deadline.isoformat() if tender.submission_deadline else ""
        ),
        "clarification_deadline": (
            tender.clarification_deadline.isoformat() if tender.clarification_deadline else ""
        ),
        "standstill_applies": tender.standstill_applies,
        "standstill_days": str(tender.standstill_days),
        "abnormally_low_percent": str(tender.abnormally_low_percent),
        "exclude_above_reference": tender.exclude_above_reference,
        "max_lots_per_bidder": str(tender.max_lots_per_bidder or ""),
    }


def _tender(tender: TenderView, now: datetime) -> OfficerTender:
    return OfficerTender(
        id=tender.id,
        title=tender.title,
        reference=tender.reference,
        status=str(tender.status(now)),
        version=tender.version,
        submission_deadline=tender.submission_deadline,
        clarification_deadline=tender.clarification_deadline,
        published_at=tender.published_at,
        lots=len(tender.lots),
        sections=len(tender.sections),
        questions=sum(len(section.questions) for section in tender.sections),
    )


class TenderAuthoringApi(Controller):
    path = "/tenders"
    tags = ["tenders: authoring"]
    guards = [officers_only]
    security = BEARER
    dependencies = {"user": USER}

    @post("/", status_code=201, responses=error_responses(*SIGNED_IN_ERRORS))
    async def create_tender(
        self, platform: PlatformDep, user: UserDep, data: JSONBody[TenderDetailsRequest]
    ) -> OfficerTender:
        """Create a draft tender of the officer's council."""
        tender_id = await authoring.create_tender(platform, user, _form(data))
        return _tender(await authoring.own_tender(user, tender_id), platform.clock.now())

    @patch("/{tender_id:str}", responses=error_responses(*SIGNED_IN_ERRORS, 404, 409))
    async def change_tender(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        data: JSONBody[TenderChangeRequest],
    ) -> OfficerTender:
        """Change a draft's details. Send ``version`` to be told (409) if someone else
        changed the tender since you read it; a published tender's details are frozen."""
        current = await authoring.own_tender(user, tender_id)
        await authoring.update_tender(
            platform, user, tender_id, {**_current_form(current), **_form(data)}
        )
        return _tender(await authoring.own_tender(user, tender_id), platform.clock.now())

    @post(
        "/{tender_id:str}/lots",
        status_code=201,
        responses=error_responses(*SIGNED_IN_ERRORS, 404, 409),
    )
    async def add_lot(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        data: JSONBody[LotRequest],
    ) -> Created:
        return Created(await authoring.add_lot(platform, user, tender_id, _form(data)))

    @post(
        "/{tender_id:str}/sections",
        status_code=201,
        responses=error_responses(*SIGNED_IN_ERRORS, 404, 409),
    )
    async def add_section(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        data: JSONBody[SectionRequest],
    ) -> Created:
        """Sections' weights must add up to 100 before publication."""
        return Created(await authoring.add_section(platform, user, tender_id, _form(data)))

    @post(
        "/{tender_id:str}/questions",
        status_code=201,
        responses=error_responses(*SIGNED_IN_ERRORS, 404, 409),
    )
    async def add_question(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        data: JSONBody[QuestionRequest],
    ) -> Created:
        """Weight and minimum score apply to scale questions only."""
        return Created(await authoring.add_question(platform, user, tender_id, _form(data)))

    @post(
        "/{tender_id:str}/outcome-tests",
        status_code=201,
        responses=error_responses(*SIGNED_IN_ERRORS, 404, 409),
    )
    async def add_outcome_tests(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        data: JSONBody[OutcomeTestsRequest],
    ) -> OutcomeTestsAdded:
        """Add the councils' 15 outcome tests, under their 5 outcomes, to a section."""
        return OutcomeTestsAdded(
            await authoring.add_outcome_tests(platform, user, tender_id, _form(data))
        )

    @post(
        "/{tender_id:str}/lots/{lot_id:str}/prices",
        status_code=201,
        responses=error_responses(*SIGNED_IN_ERRORS, 404, 409),
    )
    async def add_price_item(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        lot_id: FromPath[str],
        data: JSONBody[PriceItemRequest],
    ) -> Created:
        return Created(
            await authoring.add_price_item(platform, user, tender_id, lot_id, _form(data))
        )

    @post(
        "/{tender_id:str}/publish",
        status_code=200,
        responses=error_responses(*SIGNED_IN_ERRORS, 404, 409),
    )
    async def publish(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        data: JSONBody[PublishRequest],
    ) -> OfficerTender:
        """Publish a complete draft, freezing its lots, criteria and price schedules. A 400
        lists every problem in ``errors``; a deadline on a weekend or bank holiday comes
        back under ``errors.confirm`` until sent again with ``confirmed``."""
        tender = await authoring.publish(platform, user, tender_id, confirmed=data.confirmed)
        return _tender(tender, platform.clock.now())


class OfficerTendersApi(Controller):
    path = "/officer/tenders"
    tags = ["tenders: authoring"]
    guards = [officers_only]
    security = BEARER
    dependencies = {"user": USER}

    @get("/", responses=error_responses(*SIGNED_IN_ERRORS))
    async def list_tenders(
        self, platform: PlatformDep, user: UserDep, page: FromQuery[int] = 1
    ) -> OfficerTenderPage:
        """The council's own tenders of every status, newest first, 20 a page."""
        listing = await authoring.list_own_tenders(platform, user, page)
        return OfficerTenderPage(
            items=[
                OfficerTenderSummary(
                    id=item.id,
                    title=item.title,
                    reference=item.reference,
                    status=str(item.status),
                    submission_deadline=item.submission_deadline,
                    created_at=item.created_at,
                )
                for item in listing.items
            ],
            page=listing.number,
            pages=listing.pages,
            total=listing.total,
        )


CONTROLLERS: list[type[Controller]] = [TenderAuthoringApi, OfficerTendersApi]
