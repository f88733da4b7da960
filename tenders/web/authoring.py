"""Pages: officers build their council's tenders, preview and publish them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from app.clock import LONDON
from app.dependencies import PLATFORM, USER, PlatformDep, UserDep
from app.errors import Conflict, Invalid, InvalidTransition, NotFound
from app.guards import officers_only
from app.platform import Platform
from app.web_support import render, render_invalid, see_other
from tenders import domain_data
from tenders.lifecycle import can_edit_frozen_parts
from tenders.services import authoring, opening
from tenders.services.views import LotView, SectionView, TenderView
from tenders.vocabulary import (
    AwardMode,
    ComplexityBand,
    PriceUnit,
    QuestionKind,
    SectionKind,
    ServiceType,
    TenderStatus,
)

DETAILS_FIELDS = [
    "title",
    "reference",
    "description",
    "contract_months",
    "estimated_value",
    "submission_deadline",
    "clarification_deadline",
    "standstill_applies",
    "standstill_days",
    "abnormally_low_percent",
    "exclude_above_reference",
    "max_lots_per_bidder",
]
LOT_FIELDS = [
    "name",
    "service_type",
    "districts",
    "complexity_band",
    "award_mode",
    "providers_to_award",
]
SECTION_FIELDS = ["name", "kind", "weight"]
QUESTION_FIELDS = [
    "section",
    "lot",
    "kind",
    "text",
    "guidance",
    "word_limit",
    "weight",
    "minimum_score",
]
PRICE_FIELDS = ["description", "unit", "volume", "reference_price", "minimum_call_minutes"]
#: Fields that only mean something for some kinds of question: ignored for the others.
SCALE_ONLY = ("weight", "minimum_score")
DEADLINES = ("submission_deadline", "clarification_deadline")
#: Fields of the details form that publication problems name, fixed on the edit page.
DETAILS_PROBLEMS = {"title", "reference", "description", *DEADLINES}


async def _form(request: Request) -> dict[str, Any]:
    """The posted form: one string per field, and every ticked district."""
    form = await request.form()
    values: dict[str, Any] = {
        key: value for key, value in form.items() if isinstance(value, str) and key != "districts"
    }
    values["districts"] = [
        value for value in form.getall("districts", []) if isinstance(value, str)
    ]
    return values


def _base(tender_id: UUID | str) -> str:
    return f"/tenders/{tender_id}"


def _refuse_if_frozen(tender: TenderView) -> None:
    """Forms that change frozen parts are not offered once the tender is published."""
    if not can_edit_frozen_parts(tender.stored_status):
        raise InvalidTransition(authoring.FROZEN)


def _pounds(pence: int | None) -> str:
    if pence is None:
        return ""
    return f"£{pence // 100:,}" if pence % 100 == 0 else f"£{pence / 100:,.2f}"


def _detail_values(tender: TenderView) -> dict[str, Any]:
    """A tender's details as the form shows them, deadlines in UK time."""
    values: dict[str, Any] = {
        "title": tender.title,
        "reference": tender.reference,
        "description": tender.description,
        "contract_months": str(tender.contract_months or ""),
        "estimated_value": _pounds(tender.estimated_value_pence),
        "standstill_applies": "yes" if tender.standstill_applies else "no",
        "standstill_days": str(tender.standstill_days),
        "abnormally_low_percent": str(tender.abnormally_low_percent),
        "exclude_above_reference": "yes" if tender.exclude_above_reference else "no",
        "max_lots_per_bidder": str(tender.max_lots_per_bidder or ""),
        "version": str(tender.version),
    }
    for name in DEADLINES:
        if (when := getattr(tender, name)) is not None:
            local = when.astimezone(LONDON)
            values |= {
                f"{name}-day": str(local.day),
                f"{name}-month": str(local.month),
                f"{name}-year": str(local.year),
                f"{name}-time": local.strftime("%H:%M"),
            }
    return values


def _lot_values(lot: LotView) -> dict[str, Any]:
    return {
        "name": lot.name,
        "service_type": str(lot.service_type),
        "districts": list(lot.districts),
        "complexity_band": str(lot.complexity_band) if lot.complexity_band else "none",
        "award_mode": str(lot.award_mode),
        "providers_to_award": str(lot.providers_to_award or ""),
    }


def _section_values(section: SectionView) -> dict[str, Any]:
    return {"name": section.name, "kind": str(section.kind), "weight": str(section.weight)}


def _choices(enum: type) -> list[dict[str, str]]:
    return [{"value": str(member), "text": member.label} for member in enum]


def _lot_context(tender: TenderView, values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "tender": tender,
        "values": values,
        "service_types": _choices(ServiceType),
        "districts": domain_data.DISTRICTS,
        "district_groups": domain_data.DISTRICT_GROUPS,
        "bands": _choices(ComplexityBand),
        "award_modes": _choices(AwardMode),
    }


def _question_context(tender: TenderView, values: Mapping[str, Any]) -> dict[str, Any]:
    return {"tender": tender, "values": values, "kinds": _choices(QuestionKind)}


def _problem_link(tender: TenderView, key: str) -> str:
    """Where an officer fixes what stops publication."""
    base = _base(tender.id)
    if key in DETAILS_PROBLEMS:
        return f"{base}/edit#{key}"
    if key == "confirm":
        return "#confirm"
    parts = key.split("-")
    if len(parts) == 3 and parts[0] == "lot" and parts[1].isdigit():
        lot = next((lot for lot in tender.lots if lot.number == int(parts[1])), None)
        if lot and parts[2] == "award":
            return f"{base}/lots/{lot.id}#award_mode"
        if lot and parts[2] == "prices":
            return f"{base}#lot-{lot.number}-prices"
        return f"{base}#lot-{parts[1]}"
    if len(parts) == 3 and parts[0] == "section":
        return f"{base}#section-{parts[1]}"
    return f"{base}#{key}"


def _publication_errors(tender: TenderView, error: Invalid) -> dict[str, Any]:
    return {
        "summary": [
            {"text": message, "href": _problem_link(tender, key)}
            for key, message in error.field_errors.items()
        ],
        "fields": {key: {"text": message} for key, message in error.field_errors.items()},
    }


class TenderAuthoringPages(Controller):
    path = "/tenders"
    include_in_schema = False
    guards = [officers_only]
    dependencies = {"platform": PLATFORM, "user": USER}

    # The council's tenders and new ones ----------------------------------------------

    @get("/")
    async def list_tenders(
        self, request: Request, platform: PlatformDep, user: UserDep, page: FromQuery[int] = 1
    ) -> Template:
        listing = await authoring.list_own_tenders(platform, user, page)
        return render(
            request,
            "tenders/authoring/list.html",
            {"listing": listing, "now": platform.clock.now()},
        )

    @get("/new")
    async def new_tender_form(self, request: Request, user: UserDep) -> Template:
        return render(
            request,
            "tenders/authoring/details.html",
            {"values": {"standstill_days": "8", "abnormally_low_percent": "70"}, "tender": None},
        )

    @post("/new")
    async def create_tender(
        self, request: Request, platform: PlatformDep, user: UserDep
    ) -> Response:
        values = await _form(request)
        try:
            tender_id = await authoring.create_tender(platform, user, values)
        except Invalid as error:
            return render_invalid(
                request,
                "tenders/authoring/details.html",
                error,
                DETAILS_FIELDS,
                values,
                {"tender": None},
            )
        return see_other(_base(tender_id), flash="Tender created. Now add its lots and criteria")

    # The build page and the details ---------------------------------------------------

    @get("/{tender_id:str}")
    async def build(
        self, request: Request, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Template:
        tender = await authoring.own_tender(user, tender_id)
        counts = (
            None
            if tender.stored_status is TenderStatus.DRAFT
            else await opening.bid_counts(user, tender.id)
        )
        return render(
            request,
            "tenders/authoring/build.html",
            {**_build_context(platform, tender), "bid_counts": counts},
        )

    @get("/{tender_id:str}/edit")
    async def edit_form(
        self, request: Request, user: UserDep, tender_id: FromPath[str]
    ) -> Template:
        tender = await authoring.own_tender(user, tender_id)
        _refuse_if_frozen(tender)
        return render(
            request,
            "tenders/authoring/details.html",
            {"values": _detail_values(tender), "tender": tender},
        )

    @post("/{tender_id:str}/edit")
    async def edit(
        self, request: Request, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Response:
        values = await _form(request)
        try:
            await authoring.update_tender(platform, user, tender_id, values)
        except Invalid as error:
            tender = await authoring.own_tender(user, tender_id)
            return render_invalid(
                request,
                "tenders/authoring/details.html",
                error,
                DETAILS_FIELDS,
                values,
                {"tender": tender},
            )
        except Conflict as error:
            # Show what is saved now, with the newer version, and say why nothing changed.
            tender = await authoring.own_tender(user, tender_id)
            return render(
                request,
                "tenders/authoring/details.html",
                {
                    "tender": tender,
                    "values": _detail_values(tender),
                    "errors": {
                        "summary": [{"text": error.message, "href": "#title"}],
                        "fields": {},
                    },
                },
                status_code=409,
            )
        return see_other(_base(tender_id), flash="Tender details saved")

    # Lots ---------------------------------------------------------------------------

    @get("/{tender_id:str}/lots/new")
    async def new_lot_form(
        self, request: Request, user: UserDep, tender_id: FromPath[str]
    ) -> Template:
        tender = await authoring.own_tender(user, tender_id)
        _refuse_if_frozen(tender)
        return render(
            request,
            "tenders/authoring/lot.html",
            {**_lot_context(tender, {"award_mode": "one", "complexity_band": "none"}), "lot": None},
        )

    @post("/{tender_id:str}/lots/new")
    async def add_lot(
        self, request: Request, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Response:
        values = await _form(request)
        try:
            await authoring.add_lot(platform, user, tender_id, values)
        except Invalid as error:
            tender = await authoring.own_tender(user, tender_id)
            return render_invalid(
                request,
                "tenders/authoring/lot.html",
                error,
                LOT_FIELDS,
                values,
                {**_lot_context(tender, values), "lot": None},
            )
        return see_other(f"{_base(tender_id)}#lots", flash=f"Lot added: {values['name']}")

    @get("/{tender_id:str}/lots/{lot_id:str}")
    async def edit_lot_form(
        self, request: Request, user: UserDep, tender_id: FromPath[str], lot_id: FromPath[str]
    ) -> Template:
        tender = await authoring.own_tender(user, tender_id)
        _refuse_if_frozen(tender)
        lot = _lot(tender, lot_id)
        return render(
            request,
            "tenders/authoring/lot.html",
            {**_lot_context(tender, _lot_values(lot)), "lot": lot},
        )

    @post("/{tender_id:str}/lots/{lot_id:str}")
    async def update_lot(
        self,
        request: Request,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        lot_id: FromPath[str],
    ) -> Response:
        values = await _form(request)
        try:
            await authoring.update_lot(platform, user, tender_id, lot_id, values)
        except Invalid as error:
            tender = await authoring.own_tender(user, tender_id)
            return render_invalid(
                request,
                "tenders/authoring/lot.html",
                error,
                LOT_FIELDS,
                values,
                {**_lot_context(tender, values), "lot": _lot(tender, lot_id)},
            )
        return see_other(f"{_base(tender_id)}#lots", flash=f"Lot saved: {values['name']}")

    @post("/{tender_id:str}/lots/{lot_id:str}/remove")
    async def remove_lot(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        lot_id: FromPath[str],
    ) -> Response:
        await authoring.remove_lot(platform, user, tender_id, lot_id)
        return see_other(f"{_base(tender_id)}#lots", flash="Lot removed")

    # Price schedules ----------------------------------------------------------------

    @get("/{tender_id:str}/lots/{lot_id:str}/prices/new")
    async def new_price_form(
        self, request: Request, user: UserDep, tender_id: FromPath[str], lot_id: FromPath[str]
    ) -> Template:
        tender = await authoring.own_tender(user, tender_id)
        _refuse_if_frozen(tender)
        return render(
            request,
            "tenders/authoring/price_item.html",
            {"tender": tender, "lot": _lot(tender, lot_id), "values": {}, "units": _units()},
        )

    @post("/{tender_id:str}/lots/{lot_id:str}/prices/new")
    async def add_price_item(
        self,
        request: Request,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        lot_id: FromPath[str],
    ) -> Response:
        values = await _form(request)
        try:
            await authoring.add_price_item(platform, user, tender_id, lot_id, values)
        except Invalid as error:
            tender = await authoring.own_tender(user, tender_id)
            return render_invalid(
                request,
                "tenders/authoring/price_item.html",
                error,
                PRICE_FIELDS,
                values,
                {"tender": tender, "lot": _lot(tender, lot_id), "units": _units()},
            )
        tender = await authoring.own_tender(user, tender_id)
        lot = _lot(tender, lot_id)
        return see_other(
            f"{_base(tender_id)}#lot-{lot.number}-prices",
            flash=f"Price item added to lot {lot.number}",
        )

    @post("/{tender_id:str}/lots/{lot_id:str}/prices/{item_id:str}/remove")
    async def remove_price_item(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        lot_id: FromPath[str],
        item_id: FromPath[str],
    ) -> Response:
        await authoring.remove_price_item(platform, user, tender_id, lot_id, item_id)
        return see_other(f"{_base(tender_id)}#lots", flash="Price item removed")

    # Sections -----------------------------------------------------------------------

    @get("/{tender_id:str}/sections/new")
    async def new_section_form(
        self, request: Request, user: UserDep, tender_id: FromPath[str]
    ) -> Template:
        tender = await authoring.own_tender(user, tender_id)
        _refuse_if_frozen(tender)
        return render(
            request,
            "tenders/authoring/section.html",
            {"tender": tender, "section": None, "values": {"kind": "quality"}, "kinds": _kinds()},
        )

    @post("/{tender_id:str}/sections/new")
    async def add_section(
        self, request: Request, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Response:
        values = await _form(request)
        try:
            await authoring.add_section(platform, user, tender_id, values)
        except Invalid as error:
            tender = await authoring.own_tender(user, tender_id)
            return render_invalid(
                request,
                "tenders/authoring/section.html",
                error,
                SECTION_FIELDS,
                values,
                {"tender": tender, "section": None, "kinds": _kinds()},
            )
        return see_other(f"{_base(tender_id)}#sections", flash=f"Section added: {values['name']}")

    @get("/{tender_id:str}/sections/{section_id:str}")
    async def edit_section_form(
        self,
        request: Request,
        user: UserDep,
        tender_id: FromPath[str],
        section_id: FromPath[str],
    ) -> Template:
        tender = await authoring.own_tender(user, tender_id)
        _refuse_if_frozen(tender)
        section = _section(tender, section_id)
        return render(
            request,
            "tenders/authoring/section.html",
            {
                "tender": tender,
                "section": section,
                "values": _section_values(section),
                "kinds": _kinds(),
            },
        )

    @post("/{tender_id:str}/sections/{section_id:str}")
    async def update_section(
        self,
        request: Request,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        section_id: FromPath[str],
    ) -> Response:
        values = await _form(request)
        try:
            await authoring.update_section(platform, user, tender_id, section_id, values)
        except Invalid as error:
            tender = await authoring.own_tender(user, tender_id)
            return render_invalid(
                request,
                "tenders/authoring/section.html",
                error,
                SECTION_FIELDS,
                values,
                {"tender": tender, "section": _section(tender, section_id), "kinds": _kinds()},
            )
        return see_other(f"{_base(tender_id)}#sections", flash=f"Section saved: {values['name']}")

    # Questions ----------------------------------------------------------------------

    @get("/{tender_id:str}/questions/new")
    async def new_question_form(
        self,
        request: Request,
        user: UserDep,
        tender_id: FromPath[str],
        section: FromQuery[str] = "",
    ) -> Template:
        tender = await authoring.own_tender(user, tender_id)
        _refuse_if_frozen(tender)
        return render(
            request,
            "tenders/authoring/question.html",
            _question_context(tender, {"section": section, "lot": "all"}),
        )

    @post("/{tender_id:str}/questions/new")
    async def add_question(
        self, request: Request, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Response:
        values = await _form(request)
        if values.get("kind") != QuestionKind.SCALE:
            for name in SCALE_ONLY:
                values.pop(name, None)
        try:
            await authoring.add_question(platform, user, tender_id, values)
        except Invalid as error:
            tender = await authoring.own_tender(user, tender_id)
            return render_invalid(
                request,
                "tenders/authoring/question.html",
                error,
                QUESTION_FIELDS,
                values,
                _question_context(tender, values),
            )
        return see_other(f"{_base(tender_id)}#sections", flash="Question added")

    @post("/{tender_id:str}/questions/{question_id:str}/remove")
    async def remove_question(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        question_id: FromPath[str],
    ) -> Response:
        await authoring.remove_question(platform, user, tender_id, question_id)
        return see_other(f"{_base(tender_id)}#sections", flash="Question removed")

    @post("/{tender_id:str}/outcome-tests")
    async def add_outcome_tests(
        self, request: Request, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Response:
        values = await _form(request)
        try:
            added = await authoring.add_outcome_tests(platform, user, tender_id, values)
        except Invalid as error:
            tender = await authoring.own_tender(user, tender_id)
            return render_invalid(
                request,
                "tenders/authoring/build.html",
                error,
                ["section", "lot"],
                values,
                _build_context(platform, tender),
            )
        return see_other(f"{_base(tender_id)}#sections", flash=f"{added} outcome tests added")

    # Preview and publication --------------------------------------------------------

    @get("/{tender_id:str}/preview")
    async def preview(
        self, request: Request, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Template:
        tender = await authoring.own_tender(user, tender_id)
        return render(
            request,
            "tenders/authoring/preview.html",
            {"tender": tender, "now": platform.clock.now(), "preview": True},
        )

    @get("/{tender_id:str}/publish")
    async def publish_form(
        self, request: Request, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Template:
        tender = await authoring.own_tender(user, tender_id)
        _refuse_if_published(tender)
        return render(
            request, "tenders/authoring/publish.html", {"tender": tender, "confirming": False}
        )

    @post("/{tender_id:str}/publish")
    async def publish(
        self, request: Request, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Response:
        values = await _form(request)
        confirmed = values.get("confirmed") == "yes"
        try:
            await authoring.publish(platform, user, tender_id, confirmed=confirmed)
        except Invalid as error:
            tender = await authoring.own_tender(user, tender_id)
            return render(
                request,
                "tenders/authoring/publish.html",
                {
                    "tender": tender,
                    "errors": _publication_errors(tender, error),
                    "confirming": "confirm" in error.field_errors,
                },
                status_code=400,
            )
        return see_other(_base(tender_id), flash="Tender published")


def _refuse_if_published(tender: TenderView) -> None:
    if not can_edit_frozen_parts(tender.stored_status):
        raise InvalidTransition("This tender has already been published")


def _lot(tender: TenderView, lot_id: str) -> LotView:
    lot = next((lot for lot in tender.lots if str(lot.id) == lot_id), None)
    if lot is None:
        raise NotFound("Lot not found")
    return lot


def _section(tender: TenderView, section_id: str) -> SectionView:
    section = next((s for s in tender.sections if str(s.id) == section_id), None)
    if section is None:
        raise NotFound("Section not found")
    return section


def _units() -> list[dict[str, str]]:
    return _choices(PriceUnit)


def _kinds() -> list[dict[str, str]]:
    return _choices(SectionKind)


def _build_context(platform: Platform, tender: TenderView) -> dict[str, Any]:
    return {
        "tender": tender,
        "now": platform.clock.now(),
        "status": tender.status(platform.clock.now()),
        "editable": can_edit_frozen_parts(tender.stored_status),
        "weights_total": sum(section.weight for section in tender.sections),
        "lot_names": {lot.id: f"Lot {lot.number}: {lot.name}" for lot in tender.lots},
        "values": {},
        #: How many bids each lot has, once published (the build page reads them).
        "bid_counts": None,
    }


CONTROLLERS: list[type[Controller]] = [TenderAuthoringPages]
