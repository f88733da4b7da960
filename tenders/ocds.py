"""A tender as an Open Contracting Data Standard 1.1 release, with the lots extension.

Pure and deterministic: the same tender, tag, release id, date, ocid prefix and base URL
always give the same release, so a stored release can be rebuilt and compared. No I/O:
``tenders.services.releases`` loads the tender, records the release and serves packages.

Field names and codes follow ``release-schema.json`` 1.1.5 and its closed codelists; the
tests validate every release against the schema in ``../shared/ocds``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from tenders.services.views import DocumentView, LotView, PriceItemView, TenderView
from tenders.vocabulary import AwardMode, DocumentKind, TenderStatus

OCDS_VERSION = "1.1"
#: The extensions every release uses, as the package's ``extensions`` lists them.
EXTENSIONS = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/master/extension.json",
)
CURRENCY = "GBP"
PUBLISHER = "caretender"


class ReleaseTag(StrEnum):
    """The release tags the platform uses, from the closed ``releaseTag`` codelist."""

    #: Publication: the tender notice.
    TENDER = "tender"
    #: After publication: a deadline extended or documents added (an addendum).
    TENDER_UPDATE = "tenderUpdate"
    #: The tender cancelled, with its reason.
    TENDER_CANCELLATION = "tenderCancellation"
    #: One lot's award, as the notices are issued: ``pending`` through the standstill.
    AWARD = "award"
    #: One lot's award confirmed: ``active``.
    AWARD_UPDATE = "awardUpdate"


@dataclass(frozen=True)
class AwardedSupplier:
    """A bidder awarded a lot, with the cost of its price schedule at the tender's volumes."""

    organisation_id: UUID
    name: str
    basket_pence: int


@dataclass(frozen=True)
class LotAward:
    """One lot's award decision: who is awarded it, and whether it is in force yet."""

    lot: LotView
    suppliers: tuple[AwardedSupplier, ...]
    #: From the closed ``awardStatus`` codelist: ``pending`` through the standstill,
    #: ``active`` once confirmed.
    status: str
    #: When the decision was notified to the bidders.
    date: datetime


#: How our statuses read in the closed ``tenderStatus`` codelist. A closed tender is
#: still ``active``: the process goes on (opening, evaluation) until it is awarded.
TENDER_STATUS = {
    TenderStatus.DRAFT: "planned",
    TenderStatus.PUBLISHED: "active",
    TenderStatus.CLOSED: "active",
    TenderStatus.OPENED: "active",
    TenderStatus.EVALUATING: "active",
    TenderStatus.MODERATED: "active",
    TenderStatus.AWARD_APPROVED: "active",
    TenderStatus.AWARDED: "complete",
    TenderStatus.CANCELLED: "cancelled",
}

#: Our kinds of document in the open ``documentType`` codelist.
DOCUMENT_TYPE = {
    DocumentKind.SPECIFICATION: "technicalSpecifications",
    DocumentKind.TERMS: "contractDraft",
    DocumentKind.ADDENDUM: "biddingDocuments",
    DocumentKind.OTHER: "biddingDocuments",
}


def ocid(prefix: str, tender_id: UUID) -> str:
    """The tender's Open Contracting ID: the registered prefix and the tender's UUID."""
    return f"{prefix}-{tender_id}"


def release_id(prefix: str, tender_id: UUID, number: int) -> str:
    """The ``number``th release of the tender (from 1): unique within and across tenders."""
    return f"{ocid(prefix, tender_id)}-{number}"


def timestamp(instant: datetime) -> str:
    """ISO 8601 in UTC with its offset, the same text for the same instant."""
    if instant.tzinfo is None:
        raise ValueError("OCDS dates need a timezone")
    return instant.astimezone(UTC).isoformat()


def amount(pence: int) -> int | float:
    """Pence as pounds: whole pounds as an integer, otherwise to the penny."""
    return pence // 100 if pence % 100 == 0 else pence / 100


def _value(pence: int) -> dict[str, Any]:
    return {"amount": amount(pence), "currency": CURRENCY}


def _period(start: datetime | None, end: datetime | None) -> dict[str, str]:
    period = {}
    if start is not None:
        period["startDate"] = timestamp(start)
    if end is not None:
        period["endDate"] = timestamp(end)
    return period


def _url(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


def _lot_description(lot: LotView) -> str:
    parts = [lot.service_type.label]
    if lot.districts:
        parts.append("Districts: " + ", ".join(lot.districts))
    if lot.complexity_band is not None:
        parts.append(f"Complexity band: {lot.complexity_band.label.lower()}")
    parts.append(_award_words(lot))
    return ". ".join(parts) + "."


def _award_words(lot: LotView) -> str:
    if lot.award_mode is AwardMode.ONE:
        return "Appoints one provider"
    if lot.award_mode is AwardMode.NUMBER and lot.providers_to_award:
        count = lot.providers_to_award
        return f"Appoints {count} provider{'' if count == 1 else 's'}"
    if lot.award_mode is AwardMode.NUMBER:
        return "Appoints a set number of providers"
    return "Appoints every provider that passes"


def _item(lot: LotView, item: PriceItemView) -> dict[str, Any]:
    description = item.description
    if item.minimum_call_minutes:
        description += f" (minimum call {item.minimum_call_minutes} minutes)"
    unit: dict[str, Any] = {"name": item.unit.label}
    if item.reference_price_pence is not None:
        unit["value"] = _value(item.reference_price_pence)
    return {
        "id": str(item.id),
        "description": description,
        "quantity": item.volume,
        "unit": unit,
        "relatedLot": str(lot.id),
    }


def _document(tender: TenderView, document: DocumentView, base_url: str) -> dict[str, Any]:
    built: dict[str, Any] = {
        "id": str(document.id),
        "documentType": DOCUMENT_TYPE[document.kind],
        "title": document.title,
        "url": _url(base_url, f"/opportunities/{tender.id}/documents/{document.id}"),
        "datePublished": timestamp(document.added_at),
        "format": document.content_type,
        "language": "en",
    }
    if document.addendum:
        built["description"] = "An addendum, added after the tender was published"
    return built


def _documents(tender: TenderView, base_url: str) -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    if tender.published_at is not None:
        documents.append(
            {
                "id": "tender-notice",
                "documentType": "tenderNotice",
                "title": f"Tender notice: {tender.title}",
                "url": _url(base_url, f"/opportunities/{tender.id}"),
                "datePublished": timestamp(tender.published_at),
                "format": "text/html",
                "language": "en",
            }
        )
    documents += [_document(tender, document, base_url) for document in tender.documents]
    if tender.stored_status is TenderStatus.CANCELLED:
        cancellation: dict[str, Any] = {
            "id": "cancellation",
            "documentType": "cancellationDetails",
            "title": "Why the tender was cancelled",
            "description": tender.cancel_reason or "The tender was cancelled",
        }
        if tender.cancelled_at is not None:
            cancellation["datePublished"] = timestamp(tender.cancelled_at)
        documents.append(cancellation)
    return documents


def award_criteria_details(tender: TenderView) -> str:
    """The sections and their weights in words, for ``awardCriteriaDetails``."""
    sections = "; ".join(f"{s.name} {s.weight}%" for s in tender.sections)
    return (
        f"Bids are scored against weighted sections: {sections}. "
        "Price is scored from each bid's price schedule: section weight x lowest compliant "
        "basket cost / this bid's basket cost."
        if sections
        else "Bids are scored against weighted criteria."
    )


def _awards(award: LotAward) -> list[dict[str, Any]]:
    """One award per supplier, so that each framework place has its own value."""
    lot = award.lot
    if not award.suppliers:
        return [
            {
                "id": str(lot.id),
                "title": f"Lot {lot.number}: {lot.name}",
                "description": "No bid could be awarded this lot.",
                "status": "unsuccessful",
                "date": timestamp(award.date),
                "relatedLots": [str(lot.id)],
            }
        ]
    return [
        {
            "id": f"{lot.id}-{supplier.organisation_id}",
            "title": f"Lot {lot.number}: {lot.name}",
            "description": "The value is the supplier's price schedule at the tender's "
            "indicative volumes.",
            "status": award.status,
            "date": timestamp(award.date),
            "value": _value(supplier.basket_pence),
            "suppliers": [{"id": str(supplier.organisation_id), "name": supplier.name}],
            "relatedLots": [str(lot.id)],
        }
        for supplier in award.suppliers
    ]


def build_release(
    tender: TenderView,
    *,
    tag: ReleaseTag,
    release_id: str,
    date: datetime,
    ocid_prefix: str,
    base_url: str,
    award: LotAward | None = None,
) -> dict[str, Any]:
    """The tender as it stands at ``date``, as an OCDS release tagged ``tag``; with
    ``award``, one lot's award and its suppliers too."""
    buyer = {"id": str(tender.buyer_id), "name": tender.buyer_name}
    status = TENDER_STATUS[tender.status(date)]
    built_tender: dict[str, Any] = {
        "id": str(tender.id),
        "title": tender.title,
        "description": tender.description,
        "status": status,
        "procuringEntity": buyer,
        "procurementMethod": "open",
        "procurementMethodDetails": tender.procedure.label,
        "mainProcurementCategory": "services",
        "awardCriteria": "ratedCriteria",
        "awardCriteriaDetails": award_criteria_details(tender),
        "submissionMethod": ["electronicSubmission"],
        "submissionMethodDetails": "Submit bids on caretender: "
        + _url(base_url, f"/opportunities/{tender.id}"),
    }
    if tender.estimated_value_pence is not None:
        built_tender["value"] = _value(tender.estimated_value_pence)
    if tender.published_at is not None or tender.submission_deadline is not None:
        built_tender["tenderPeriod"] = _period(tender.published_at, tender.submission_deadline)
    if tender.published_at is not None or tender.clarification_deadline is not None:
        built_tender["enquiryPeriod"] = _period(tender.published_at, tender.clarification_deadline)
    if tender.lots:
        built_tender["lots"] = [
            {
                "id": str(lot.id),
                "title": f"Lot {lot.number}: {lot.name}",
                "description": _lot_description(lot),
                "status": status,
            }
            for lot in tender.lots
        ]
    if tender.max_lots_per_bidder is not None:
        built_tender["lotDetails"] = {"maximumLotsAwardedPerSupplier": tender.max_lots_per_bidder}
    if items := [_item(lot, item) for lot in tender.lots for item in lot.price_items]:
        built_tender["items"] = items
    if documents := _documents(tender, base_url):
        built_tender["documents"] = documents
    release: dict[str, Any] = {
        "ocid": ocid(ocid_prefix, tender.id),
        "id": release_id,
        "date": timestamp(date),
        "tag": [str(tag)],
        "initiationType": "tender",
        "language": "en",
        "parties": [{**buyer, "roles": ["buyer", "procuringEntity"]}],
        "buyer": buyer,
        "tender": built_tender,
    }
    if award is not None:
        release["parties"] += [
            {"id": str(s.organisation_id), "name": s.name, "roles": ["supplier"]}
            for s in award.suppliers
        ]
        release["awards"] = _awards(award)
    return release


def release_package(
    releases: Sequence[Mapping[str, Any]], *, uri: str, published_date: datetime
) -> dict[str, Any]:
    """Releases wrapped as an OCDS release package published at ``published_date``."""
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "extensions": list(EXTENSIONS),
        "publishedDate": timestamp(published_date),
        "publisher": {"name": PUBLISHER},
        "releases": list(releases),
    }


def latest_date(releases: Iterable[Mapping[str, Any]]) -> datetime:
    """When the newest of the releases was made: a package's ``publishedDate``."""
    return max(datetime.fromisoformat(release["date"]) for release in releases)
