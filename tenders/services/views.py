"""A whole tender loaded as plain values, for officers, providers, visitors and OCDS alike."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from app import database
from tenders.lifecycle import LotPlan, QuestionPlan, SectionPlan, TenderPlan, effective_status
from tenders.tables import Lot, PriceItem, Question, Section
from tenders.vocabulary import (
    AwardMode,
    ComplexityBand,
    DocumentKind,
    PriceUnit,
    Procedure,
    QuestionKind,
    SectionKind,
    ServiceType,
    TenderStatus,
)


def as_uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


@dataclass(frozen=True)
class PriceItemView:
    id: UUID
    number: int
    description: str
    unit: PriceUnit
    volume: int
    reference_price_pence: int | None
    minimum_call_minutes: int | None


@dataclass(frozen=True)
class LotView:
    id: UUID
    number: int
    name: str
    service_type: ServiceType
    districts: tuple[str, ...]
    complexity_band: ComplexityBand | None
    award_mode: AwardMode
    providers_to_award: int | None
    price_items: tuple[PriceItemView, ...]


@dataclass(frozen=True)
class QuestionView:
    id: UUID
    number: int
    section_id: UUID
    lot_id: UUID | None
    kind: QuestionKind
    text: str
    guidance: str
    word_limit: int | None
    weight: int
    minimum_score: int | None
    outcome: str | None


@dataclass(frozen=True)
class SectionView:
    id: UUID
    number: int
    name: str
    kind: SectionKind
    weight: int
    questions: tuple[QuestionView, ...]


@dataclass(frozen=True)
class DocumentView:
    id: UUID
    kind: DocumentKind
    title: str
    sha256: str
    original_name: str
    content_type: str
    size: int
    added_at: datetime
    addendum: bool


@dataclass(frozen=True)
class TenderView:
    id: UUID
    buyer_id: UUID
    buyer_name: str
    title: str
    reference: str
    description: str
    procedure: Procedure
    stored_status: TenderStatus
    contract_months: int | None
    estimated_value_pence: int | None
    submission_deadline: datetime | None
    clarification_deadline: datetime | None
    standstill_applies: bool
    standstill_days: int
    abnormally_low_percent: int
    exclude_above_reference: bool
    max_lots_per_bidder: int | None
    created_at: datetime
    published_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    version: int
    lots: tuple[LotView, ...]
    sections: tuple[SectionView, ...]
    documents: tuple[DocumentView, ...]

    def status(self, now: datetime) -> TenderStatus:
        return effective_status(self.stored_status, self.submission_deadline, now)

    def questions_for(self, lot: LotView) -> list[QuestionView]:
        return [q for s in self.sections for q in s.questions if q.lot_id in (None, lot.id)]

    def plan(self) -> TenderPlan:
        lot_numbers = {lot.id: lot.number for lot in self.lots}
        return TenderPlan(
            title=self.title,
            reference=self.reference,
            description=self.description,
            submission_deadline=self.submission_deadline,
            clarification_deadline=self.clarification_deadline,
            lots=tuple(
                LotPlan(
                    lot.number,
                    lot.name,
                    lot.award_mode,
                    lot.providers_to_award,
                    len(lot.price_items),
                )
                for lot in self.lots
            ),
            sections=tuple(SectionPlan(s.number, s.name, s.kind, s.weight) for s in self.sections),
            questions=tuple(
                QuestionPlan(
                    q.number,
                    s.number,
                    lot_numbers.get(q.lot_id) if q.lot_id else None,
                    q.kind,
                    q.weight,
                )
                for s in self.sections
                for q in s.questions
            ),
            documents=len(self.documents),
        )


def _districts(value: str) -> tuple[str, ...]:
    return tuple(name for name in value.split("|") if name)


def _band(value: str | None) -> ComplexityBand | None:
    return ComplexityBand(value) if value else None


#: The frozen parts of tenders past draft, by id: (version, lots, sections).
_STRUCTURES: dict[UUID, tuple[int, tuple[LotView, ...], tuple[SectionView, ...]]] = {}
_STRUCTURES_KEPT = 256

_TENDER_SQL = (
    "SELECT tender.*, organisation.name AS buyer_name FROM tender"
    " JOIN organisation ON organisation.id = tender.buyer WHERE tender.id = {}"
)
_DOCUMENTS_SQL = "SELECT * FROM tender_document WHERE tender = {} ORDER BY added_at"


async def load_tender(tender_id: UUID) -> TenderView | None:
    """The tender as it stands. Every bid page and submission loads one, so this is a hot
    path: two raw queries, and the lots and questions, frozen at publication (rule 5),
    kept in memory per version once the tender is past draft."""
    rows = await database.fetch(_TENDER_SQL, tender_id)
    if not rows:
        return None
    row = rows[0]
    kept = _STRUCTURES.get(tender_id)
    if kept is not None and kept[0] == row["version"]:
        _, lots, sections = kept
    else:
        lots, sections = await _load_structure(tender_id)
        if row["status"] != TenderStatus.DRAFT:
            if len(_STRUCTURES) >= _STRUCTURES_KEPT:
                _STRUCTURES.clear()
            _STRUCTURES[tender_id] = (row["version"], lots, sections)
    documents = await database.fetch(_DOCUMENTS_SQL, tender_id)
    return _view(row, lots, sections, documents)


async def _load_structure(
    tender_id: UUID,
) -> tuple[tuple[LotView, ...], tuple[SectionView, ...]]:
    lots = await Lot.select().where(Lot.tender == tender_id).order_by(Lot.number)
    items = (
        await PriceItem.select()
        .where(PriceItem.lot.is_in([lot["id"] for lot in lots]))
        .order_by(PriceItem.number)
        if lots
        else []
    )
    sections = await Section.select().where(Section.tender == tender_id).order_by(Section.number)
    questions = (
        await Question.select().where(Question.tender == tender_id).order_by(Question.number)
    )

    def lot_view(lot: Mapping[str, Any]) -> LotView:
        lot_id = as_uuid(lot["id"])
        return LotView(
            id=lot_id,
            number=lot["number"],
            name=lot["name"],
            service_type=ServiceType(lot["service_type"]),
            districts=_districts(lot["districts"]),
            complexity_band=_band(lot["complexity_band"]),
            award_mode=AwardMode(lot["award_mode"]),
            providers_to_award=lot["providers_to_award"],
            price_items=tuple(
                PriceItemView(
                    id=as_uuid(item["id"]),
                    number=item["number"],
                    description=item["description"],
                    unit=PriceUnit(item["unit"]),
                    volume=item["volume"],
                    reference_price_pence=item["reference_price_pence"],
                    minimum_call_minutes=item["minimum_call_minutes"],
                )
                for item in items
                if as_uuid(item["lot"]) == lot_id
            ),
        )

    def question_view(q: Mapping[str, Any]) -> QuestionView:
        return QuestionView(
            id=as_uuid(q["id"]),
            number=q["number"],
            section_id=as_uuid(q["section"]),
            lot_id=as_uuid(q["lot"]) if q["lot"] else None,
            kind=QuestionKind(q["kind"]),
            text=q["text"],
            guidance=q["guidance"],
            word_limit=q["word_limit"],
            weight=q["weight"],
            minimum_score=q["minimum_score"],
            outcome=q["outcome"],
        )

    all_questions = [question_view(q) for q in questions]
    return tuple(lot_view(lot) for lot in lots), tuple(
        SectionView(
            id=as_uuid(s["id"]),
            number=s["number"],
            name=s["name"],
            kind=SectionKind(s["kind"]),
            weight=s["weight"],
            questions=tuple(q for q in all_questions if q.section_id == as_uuid(s["id"])),
        )
        for s in sections
    )


def _view(
    row: Mapping[str, Any],
    lots: tuple[LotView, ...],
    sections: tuple[SectionView, ...],
    documents: list[Mapping[str, Any]],
) -> TenderView:
    return TenderView(
        id=as_uuid(row["id"]),
        buyer_id=as_uuid(row["buyer"]),
        buyer_name=row["buyer_name"],
        title=row["title"],
        reference=row["reference"],
        description=row["description"],
        procedure=Procedure(row["procedure"]),
        stored_status=TenderStatus(row["status"]),
        contract_months=row["contract_months"],
        estimated_value_pence=row["estimated_value_pence"],
        submission_deadline=row["submission_deadline"],
        clarification_deadline=row["clarification_deadline"],
        standstill_applies=row["standstill_applies"],
        standstill_days=row["standstill_days"],
        abnormally_low_percent=row["abnormally_low_percent"],
        exclude_above_reference=row["exclude_above_reference"],
        max_lots_per_bidder=row["max_lots_per_bidder"],
        created_at=row["created_at"],
        published_at=row["published_at"],
        cancelled_at=row["cancelled_at"],
        cancel_reason=row["cancel_reason"],
        version=row["version"],
        lots=lots,
        sections=sections,
        documents=tuple(
            DocumentView(
                id=as_uuid(d["id"]),
                kind=DocumentKind(d["kind"]),
                title=d["title"],
                sha256=d["sha256"],
                original_name=d["original_name"],
                content_type=d["content_type"],
                size=d["size"],
                added_at=d["added_at"],
                addendum=d["addendum"],
            )
            for d in documents
        ),
    )
