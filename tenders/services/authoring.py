"""Officers build tenders: details, lots, sections, questions, price schedules and
documents; then publish, extend, add addenda and cancel. Own council only.

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
from app.errors import Conflict, Invalid, InvalidTransition, NotFound, NotPermitted
from app.paging import Page, page_number
from app.platform import Platform
from app.validation import clean, london_datetime, pence, whole_number
from app.vocabulary import AuditAction
from tenders import domain_data
from tenders.lifecycle import (
    can_edit_frozen_parts,
    deadline_problems,
    deadline_warning,
    effective_status,
    publication_problems,
)
from tenders.services import events, releases
from tenders.services.views import TenderView, as_uuid, load_tender
from tenders.tables import Lot, PriceItem, Question, Section, Tender
from tenders.vocabulary import (
    AwardMode,
    ComplexityBand,
    PriceUnit,
    QuestionKind,
    SectionKind,
    ServiceType,
    TenderStatus,
)

FROZEN = (
    "This tender has been published, so its lots, criteria, weights and price schedules "
    "can no longer change. You can extend the deadline or add documents"
)
MAX_TEXT = 20_000


def _parse_uuid(value: str | UUID) -> UUID:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError:
        raise NotFound() from None


def _require_officer(actor: CurrentUser) -> None:
    if not (actor.is_buyer and actor.is_officer):
        raise NotPermitted()


async def own_tender(actor: CurrentUser, tender_id: str | UUID) -> TenderView:
    """The tender, if the actor is an officer of its council; otherwise not found.

    Raises ``NotPermitted`` and ``NotFound``.
    """
    _require_officer(actor)
    tender = await load_tender(_parse_uuid(tender_id))
    if tender is None or tender.buyer_id != actor.organisation_id:
        raise NotFound()
    return tender


async def _editable(actor: CurrentUser, tender_id: str | UUID) -> TenderView:
    tender = await own_tender(actor, tender_id)
    if not can_edit_frozen_parts(tender.stored_status):
        raise InvalidTransition(FROZEN)
    return tender


async def _touch(tender_id: UUID) -> None:
    """Every change raises the version, which edits in flight are checked against."""
    await Tender.update({Tender.version: Tender.version + 1}).where(Tender.id == tender_id)


def _problems(checks: Mapping[str, str | None]) -> None:
    errors = {field: problem for field, problem in checks.items() if problem}
    if errors:
        raise Invalid(errors)


def _text(form: Mapping[str, Any], name: str, limit: int = MAX_TEXT) -> str:
    return clean(form.get(name))[:limit]


def _flag(form: Mapping[str, Any], name: str, default: bool) -> bool:
    value = form.get(name)
    if isinstance(value, bool):
        return value
    value = clean(value).lower()
    if not value:
        return default
    return value in {"yes", "true", "on", "1"}


def _choice(enum: type, value: str, message: str) -> tuple[Any, str | None]:
    try:
        return enum(value), None
    except ValueError:
        return None, message


# The tender's details -----------------------------------------------------------------


def _details(form: Mapping[str, Any], now: datetime, *, require_deadlines: bool) -> dict:
    """Validated column values from a details form; ``Invalid`` lists every problem."""
    title = _text(form, "title", 200)
    reference = _text(form, "reference", 50)
    description = _text(form, "description")
    months, months_problem = whole_number(
        clean(form.get("contract_months")), "the contract length", minimum=1, maximum=240
    )
    value_text = clean(form.get("estimated_value"))
    value = pence(value_text) if value_text else None
    submission, submission_problem = london_datetime(
        form, "submission_deadline", "the submission deadline"
    )
    clarification, clarification_problem = london_datetime(
        form, "clarification_deadline", "the deadline for clarification questions"
    )
    standstill_days, standstill_problem = whole_number(
        clean(form.get("standstill_days")), "the standstill period", minimum=1, maximum=60
    )
    low_percent, low_problem = whole_number(
        clean(form.get("abnormally_low_percent")),
        "the abnormally low share",
        minimum=1,
        maximum=100,
    )
    max_lots, max_lots_problem = whole_number(
        clean(form.get("max_lots_per_bidder")),
        "the most lots one bidder may win",
        minimum=1,
        maximum=100,
    )
    checks: dict[str, str | None] = {
        "title": None if title else "Enter a title",
        "reference": None if reference else "Enter the tender's reference",
        "description": None if description else "Enter a description of what you are buying",
        "contract_months": months_problem,
        "estimated_value": (
            "Enter the estimated value in pounds, like £2,625,000"
            if value_text and value is None
            else None
        ),
        "submission_deadline": submission_problem,
        "clarification_deadline": clarification_problem,
        "standstill_days": standstill_problem,
        "abnormally_low_percent": low_problem,
        "max_lots_per_bidder": max_lots_problem,
    }
    if (
        not submission_problem
        and not clarification_problem
        and (require_deadlines or submission or clarification)
    ):
        for name, problem in deadline_problems(submission, clarification, now).items():
            if require_deadlines or form.get(name) or form.get(f"{name}-day"):
                checks[name] = checks[name] or problem
    _problems(checks)
    return {
        Tender.title: title,
        Tender.reference: reference,
        Tender.description: description,
        Tender.contract_months: months,
        Tender.estimated_value_pence: value,
        Tender.submission_deadline: submission,
        Tender.clarification_deadline: clarification,
        Tender.standstill_applies: _flag(form, "standstill_applies", True),
        Tender.standstill_days: standstill_days or 8,
        Tender.abnormally_low_percent: low_percent or 70,
        Tender.exclude_above_reference: _flag(form, "exclude_above_reference", False),
        Tender.max_lots_per_bidder: max_lots,
    }


async def create_tender(platform: Platform, actor: CurrentUser, form: Mapping[str, Any]) -> UUID:
    """A draft tender of the officer's council. Raises ``NotPermitted`` and ``Invalid``."""
    _require_officer(actor)
    values = _details(form, platform.clock.now(), require_deadlines=False)
    async with database.write_transaction():
        tender = Tender(
            buyer=actor.organisation_id,
            created_at=platform.clock.now(),
            **{column._meta.name: value for column, value in values.items()},
        )
        await tender.save()
        await events.record(
            platform,
            actor,
            AuditAction.TENDER_TENDER_CREATE,
            tender.id,
            {"title": values[Tender.title], "reference": values[Tender.reference]},
        )
    return tender.id


async def update_tender(
    platform: Platform, actor: CurrentUser, tender_id: str, form: Mapping[str, Any]
) -> None:
    """Change a draft's details. ``version`` in the form must be the one the officer saw.

    Raises ``NotPermitted``, ``NotFound``, ``InvalidTransition`` (published), ``Conflict``
    (someone else changed it meanwhile) and ``Invalid``.
    """
    tender = await _editable(actor, tender_id)
    values = _details(form, platform.clock.now(), require_deadlines=False)
    seen = clean(form.get("version"))
    async with database.write_transaction():
        changed = (
            await Tender.update({**values, Tender.version: Tender.version + 1})
            .where(
                Tender.id == tender.id,
                Tender.status == TenderStatus.DRAFT,
                *([Tender.version == int(seen)] if seen.isdigit() else []),
            )
            .returning(Tender.id)
        )
        if not changed:
            raise Conflict(
                "Someone else changed this tender while you were editing it. "
                "Your changes have not been saved: check the tender and make them again"
            )
        await events.record(platform, actor, AuditAction.TENDER_TENDER_UPDATE, tender.id)


# Lots ---------------------------------------------------------------------------------


def _lot_values(form: Mapping[str, Any]) -> dict:
    name = _text(form, "name", 200)
    service_type, service_problem = _choice(
        ServiceType, clean(form.get("service_type")), "Select the type of service"
    )
    raw_districts = form.get("districts", [])
    chosen = set(raw_districts if isinstance(raw_districts, list | tuple) else [raw_districts])
    unknown = chosen - set(domain_data.DISTRICTS) - set(domain_data.DISTRICT_GROUPS) - {""}
    districts = domain_data.expand_districts(chosen)
    band_value = clean(form.get("complexity_band"))
    band, band_problem = (
        _choice(ComplexityBand, band_value, "Select a complexity band, or none")
        if band_value and band_value != "none"
        else (None, None)
    )
    award_mode, award_problem = _choice(
        AwardMode, clean(form.get("award_mode")) or "one", "Select how many providers to appoint"
    )
    providers, providers_problem = whole_number(
        clean(form.get("providers_to_award")), "the number of providers", minimum=2, maximum=500
    )
    if award_mode is AwardMode.NUMBER and providers is None and not providers_problem:
        providers_problem = "Enter how many providers the lot will appoint"
    _problems(
        {
            "name": None if name else "Enter the lot's name",
            "service_type": service_problem,
            "districts": (
                "Select the districts the lot covers" if not districts or unknown else None
            ),
            "complexity_band": band_problem,
            "award_mode": award_problem,
            "providers_to_award": providers_problem,
        }
    )
    return {
        Lot.name: name,
        Lot.service_type: service_type,
        Lot.districts: "|".join(districts),
        Lot.complexity_band: band,
        Lot.award_mode: award_mode,
        Lot.providers_to_award: providers if award_mode is AwardMode.NUMBER else None,
    }


async def add_lot(
    platform: Platform, actor: CurrentUser, tender_id: str, form: Mapping[str, Any]
) -> UUID:
    """Raises ``NotPermitted``, ``NotFound``, ``InvalidTransition`` and ``Invalid``."""
    tender = await _editable(actor, tender_id)
    values = _lot_values(form)
    async with database.write_transaction():
        lot = Lot(
            tender=tender.id,
            number=len(tender.lots) + 1,
            **{column._meta.name: value for column, value in values.items()},
        )
        await lot.save()
        await _touch(tender.id)
        await events.record(
            platform, actor, AuditAction.TENDER_LOT_ADD, tender.id, {"lot": str(lot.id)}
        )
    return lot.id


def _find(items, item_id: str, what: str):  # type: ignore[no-untyped-def]
    wanted = _parse_uuid(item_id)
    for item in items:
        if item.id == wanted:
            return item
    raise NotFound(f"{what} not found")


async def update_lot(
    platform: Platform, actor: CurrentUser, tender_id: str, lot_id: str, form: Mapping[str, Any]
) -> None:
    tender = await _editable(actor, tender_id)
    lot = _find(tender.lots, lot_id, "Lot")
    values = _lot_values(form)
    async with database.write_transaction():
        await Lot.update(values).where(Lot.id == lot.id)
        await _touch(tender.id)
        await events.record(
            platform, actor, AuditAction.TENDER_LOT_UPDATE, tender.id, {"lot": str(lot.id)}
        )


async def remove_lot(platform: Platform, actor: CurrentUser, tender_id: str, lot_id: str) -> None:
    """Remove a lot with its own questions and price items; the others are renumbered."""
    tender = await _editable(actor, tender_id)
    lot = _find(tender.lots, lot_id, "Lot")
    async with database.write_transaction():
        await Question.delete().where(Question.lot == lot.id)
        await PriceItem.delete().where(PriceItem.lot == lot.id)
        await Lot.delete().where(Lot.id == lot.id)
        for other in tender.lots:
            if other.number > lot.number:
                await Lot.update({Lot.number: other.number - 1}).where(Lot.id == other.id)
        await _touch(tender.id)
        await events.record(
            platform, actor, AuditAction.TENDER_LOT_REMOVE, tender.id, {"lot": str(lot.id)}
        )


# Sections and questions ---------------------------------------------------------------


def _section_values(form: Mapping[str, Any]) -> dict:
    name = _text(form, "name", 200)
    kind, kind_problem = _choice(
        SectionKind, clean(form.get("kind")) or "quality", "Select what the section scores"
    )
    weight, weight_problem = whole_number(
        clean(form.get("weight")), "the section's weight", minimum=0, maximum=100
    )
    _problems(
        {
            "name": None if name else "Enter the section's name",
            "kind": kind_problem,
            "weight": weight_problem
            or (None if weight is not None else "Enter the section's weight, from 0 to 100"),
        }
    )
    return {Section.name: name, Section.kind: kind, Section.weight: weight}


async def add_section(
    platform: Platform, actor: CurrentUser, tender_id: str, form: Mapping[str, Any]
) -> UUID:
    tender = await _editable(actor, tender_id)
    values = _section_values(form)
    if values[Section.kind] is SectionKind.PRICE and any(
        s.kind is SectionKind.PRICE for s in tender.sections
    ):
        raise Invalid({"kind": "The tender already has a price section"})
    async with database.write_transaction():
        section = Section(
            tender=tender.id,
            number=len(tender.sections) + 1,
            **{column._meta.name: value for column, value in values.items()},
        )
        await section.save()
        await _touch(tender.id)
        await events.record(
            platform, actor, AuditAction.TENDER_SECTION_ADD, tender.id, {"section": str(section.id)}
        )
    return section.id


async def update_section(
    platform: Platform,
    actor: CurrentUser,
    tender_id: str,
    section_id: str,
    form: Mapping[str, Any],
) -> None:
    tender = await _editable(actor, tender_id)
    section = _find(tender.sections, section_id, "Section")
    values = _section_values(form)
    async with database.write_transaction():
        await Section.update(values).where(Section.id == section.id)
        await _touch(tender.id)
        await events.record(
            platform,
            actor,
            AuditAction.TENDER_SECTION_UPDATE,
            tender.id,
            {"section": str(section.id)},
        )


def _question_values(tender: TenderView, form: Mapping[str, Any]) -> dict:
    section_id = clean(form.get("section"))
    section = next((s for s in tender.sections if str(s.id) == section_id), None)
    lot_value = clean(form.get("lot"))
    lot = next((lot for lot in tender.lots if str(lot.id) == lot_value), None)
    kind, kind_problem = _choice(
        QuestionKind, clean(form.get("kind")), "Select the kind of question"
    )
    text = _text(form, "text")
    word_limit, word_problem = whole_number(
        clean(form.get("word_limit")), "the word limit", minimum=10, maximum=10_000
    )
    weight, weight_problem = whole_number(
        clean(form.get("weight")), "the question's weight", minimum=1, maximum=100
    )
    minimum, minimum_problem = whole_number(
        clean(form.get("minimum_score")), "the minimum score", minimum=0, maximum=5
    )
    if kind is QuestionKind.SCALE and weight is None and not weight_problem:
        weight_problem = "Enter the question's weight within its section"
    _problems(
        {
            "section": None if section else "Select the section the question belongs to",
            "lot": None if (lot or lot_value in ("", "all")) else "Select a lot, or all lots",
            "kind": kind_problem,
            "text": None if text else "Enter the question",
            "word_limit": word_problem,
            "weight": weight_problem,
            "minimum_score": minimum_problem,
        }
    )
    return {
        Question.section: section.id,
        Question.lot: lot.id if lot else None,
        Question.kind: kind,
        Question.text: text,
        Question.guidance: _text(form, "guidance"),
        Question.word_limit: word_limit,
        Question.weight: weight if kind is QuestionKind.SCALE else 0,
        Question.minimum_score: minimum if kind is QuestionKind.SCALE else None,
        Question.outcome: _text(form, "outcome", 200) or None,
    }


def _next_question_number(tender: TenderView) -> int:
    return sum(len(s.questions) for s in tender.sections) + 1


async def add_question(
    platform: Platform, actor: CurrentUser, tender_id: str, form: Mapping[str, Any]
) -> UUID:
    tender = await _editable(actor, tender_id)
    values = _question_values(tender, form)
    async with database.write_transaction():
        question = Question(
            tender=tender.id,
            number=_next_question_number(tender),
            **{column._meta.name: value for column, value in values.items()},
        )
        await question.save()
        await _touch(tender.id)
        await events.record(
            platform,
            actor,
            AuditAction.TENDER_QUESTION_ADD,
            tender.id,
            {"question": str(question.id)},
        )
    return question.id


async def remove_question(
    platform: Platform, actor: CurrentUser, tender_id: str, question_id: str
) -> None:
    tender = await _editable(actor, tender_id)
    questions = [q for s in tender.sections for q in s.questions]
    question = _find(questions, question_id, "Question")
    async with database.write_transaction():
        await Question.delete().where(Question.id == question.id)
        for other in questions:
            if other.number > question.number:
                await Question.update({Question.number: other.number - 1}).where(
                    Question.id == other.id
                )
        await _touch(tender.id)
        await events.record(
            platform,
            actor,
            AuditAction.TENDER_QUESTION_REMOVE,
            tender.id,
            {"question": str(question.id)},
        )


async def add_outcome_tests(
    platform: Platform, actor: CurrentUser, tender_id: str, form: Mapping[str, Any]
) -> int:
    """Add the councils' 15 outcome tests, grouped under their 5 outcomes, to a section
    (and one lot, or all lots). Returns how many were added."""
    tender = await _editable(actor, tender_id)
    section = next((s for s in tender.sections if str(s.id) == clean(form.get("section"))), None)
    lot_value = clean(form.get("lot"))
    lot = next((lot for lot in tender.lots if str(lot.id) == lot_value), None)
    _problems(
        {
            "section": None if section else "Select the section for the outcome tests",
            "lot": None if (lot or lot_value in ("", "all")) else "Select a lot, or all lots",
        }
    )
    number = _next_question_number(tender)
    async with database.write_transaction():
        for offset, test in enumerate(domain_data.OUTCOME_TESTS):
            await Question(
                tender=tender.id,
                section=section.id,
                lot=lot.id if lot else None,
                number=number + offset,
                kind=QuestionKind.OUTCOME_TEST,
                text=test.text,
                guidance=(
                    "Answer how your service delivers this. Panels mark each test Yes "
                    "(strong delivery), Partially or No (no or minimal delivery)."
                ),
                outcome=test.outcome,
            ).save()
        await _touch(tender.id)
        await events.record(
            platform,
            actor,
            AuditAction.TENDER_QUESTION_ADD,
            tender.id,
            {"outcome_tests": len(domain_data.OUTCOME_TESTS), "section": str(section.id)},
        )
    return len(domain_data.OUTCOME_TESTS)


# Price schedules ----------------------------------------------------------------------


def _price_item_values(form: Mapping[str, Any]) -> dict:
    description = _text(form, "description", 200)
    unit, unit_problem = _choice(PriceUnit, clean(form.get("unit")), "Select the unit of price")
    volume, volume_problem = whole_number(
        clean(form.get("volume")), "the volume", minimum=1, maximum=10**8
    )
    reference_text = clean(form.get("reference_price"))
    reference = pence(reference_text) if reference_text else None
    minimum_call, minimum_problem = whole_number(
        clean(form.get("minimum_call_minutes")),
        "the minimum call length",
        minimum=15,
        maximum=24 * 60,
    )
    _problems(
        {
            "description": None if description else "Enter what is being priced",
            "unit": unit_problem,
            "volume": volume_problem or (None if volume else "Enter the volume the tender expects"),
            "reference_price": (
                "Enter the reference price in pounds and pence, like £14.72"
                if reference_text and reference is None
                else None
            ),
            "minimum_call_minutes": minimum_problem,
        }
    )
    return {
        PriceItem.description: description,
        PriceItem.unit: unit,
        PriceItem.volume: volume,
        PriceItem.reference_price_pence: reference,
        PriceItem.minimum_call_minutes: minimum_call,
    }


async def add_price_item(
    platform: Platform, actor: CurrentUser, tender_id: str, lot_id: str, form: Mapping[str, Any]
) -> UUID:
    tender = await _editable(actor, tender_id)
    lot = _find(tender.lots, lot_id, "Lot")
    values = _price_item_values(form)
    async with database.write_transaction():
        item = PriceItem(
            lot=lot.id,
            number=len(lot.price_items) + 1,
            **{column._meta.name: value for column, value in values.items()},
        )
        await item.save()
        await _touch(tender.id)
        await events.record(
            platform,
            actor,
            AuditAction.TENDER_PRICE_ITEM_ADD,
            tender.id,
            {"lot": str(lot.id), "item": str(item.id)},
        )
    return item.id


async def remove_price_item(
    platform: Platform, actor: CurrentUser, tender_id: str, lot_id: str, item_id: str
) -> None:
    tender = await _editable(actor, tender_id)
    lot = _find(tender.lots, lot_id, "Lot")
    item = _find(lot.price_items, item_id, "Price item")
    async with database.write_transaction():
        await PriceItem.delete().where(PriceItem.id == item.id)
        for other in lot.price_items:
            if other.number > item.number:
                await PriceItem.update({PriceItem.number: other.number - 1}).where(
                    PriceItem.id == other.id
                )
        await _touch(tender.id)
        await events.record(
            platform,
            actor,
            AuditAction.TENDER_PRICE_ITEM_REMOVE,
            tender.id,
            {"lot": str(lot.id), "item": str(item.id)},
        )


# Publication --------------------------------------------------------------------------


async def publish(
    platform: Platform, actor: CurrentUser, tender_id: str, *, confirmed: bool = False
) -> TenderView:
    """Publish a complete draft: from now on its lots, criteria, weights and price
    schedules are frozen. A deadline on a weekend or bank holiday needs ``confirmed``.

    Raises ``NotPermitted``, ``NotFound``, ``InvalidTransition``, and ``Invalid`` listing
    every problem (or the deadline warning, under ``confirm``).
    """
    tender = await own_tender(actor, tender_id)
    if tender.stored_status is not TenderStatus.DRAFT:
        raise InvalidTransition("This tender has already been published")
    now = platform.clock.now()
    if problems := publication_problems(tender.plan(), now):
        raise Invalid(problems)
    assert tender.submission_deadline is not None
    if (warning := deadline_warning(tender.submission_deadline)) and not confirmed:
        raise Invalid({"confirm": f"{warning}. Confirm that you want to publish it anyway"})
    async with database.write_transaction():
        published = (
            await Tender.update(
                {
                    Tender.status: TenderStatus.PUBLISHED,
                    Tender.published_at: now,
                    Tender.version: Tender.version + 1,
                }
            )
            .where(Tender.id == tender.id, Tender.status == TenderStatus.DRAFT)
            .returning(Tender.id)
        )
        if not published:
            raise InvalidTransition("This tender has already been published")
        await events.record(
            platform,
            actor,
            AuditAction.TENDER_TENDER_PUBLISH,
            tender.id,
            {"deadline": tender.submission_deadline.isoformat(), "warning": warning},
        )
        await releases.record_release(platform, tender.id, "tender")
    published_view = await load_tender(tender.id)
    assert published_view is not None
    return published_view


# The council's own tenders ------------------------------------------------------------

OWN_PAGE_SIZE = 20


@dataclass(frozen=True)
class TenderSummary:
    id: UUID
    title: str
    reference: str
    status: TenderStatus
    submission_deadline: datetime | None
    created_at: datetime


async def list_own_tenders(
    platform: Platform, actor: CurrentUser, page: int = 1
) -> Page[TenderSummary]:
    """The officer's council's tenders of every status, newest first, 20 a page, with the
    status as of now. Raises ``NotPermitted``."""
    _require_officer(actor)
    mine = Tender.buyer == actor.organisation_id
    total = await Tender.count().where(mine)
    number = page_number(page, total, OWN_PAGE_SIZE)
    rows = (
        await Tender.select(
            Tender.id,
            Tender.title,
            Tender.reference,
            Tender.status,
            Tender.submission_deadline,
            Tender.created_at,
        )
        .where(mine)
        .order_by(Tender.created_at, ascending=False)
        .limit(OWN_PAGE_SIZE)
        .offset((number - 1) * OWN_PAGE_SIZE)
    )
    now = platform.clock.now()
    return Page(
        items=[
            TenderSummary(
                id=as_uuid(row["id"]),
                title=row["title"],
                reference=row["reference"],
                status=effective_status(
                    TenderStatus(row["status"]), row["submission_deadline"], now
                ),
                submission_deadline=row["submission_deadline"],
                created_at=row["created_at"],
            )
            for row in rows
        ],
        number=number,
        total=total,
        size=OWN_PAGE_SIZE,
    )
