"""Open data: every OCDS release and package the platform serves is valid OCDS 1.1 with the
lots extension, drafts are never published, and a tender's releases keep its history."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from app import database
from app.audit_chain import canonical_json
from app.errors import InvalidTransition
from app.settings import settings_from_env
from tenders import ocds
from tenders.ocds import ReleaseTag
from tenders.services import authoring, releases
from tenders.services.views import (
    DocumentView,
    LotView,
    PriceItemView,
    QuestionView,
    SectionView,
    TenderView,
)
from tenders.tables import Tender, TenderDocument, TenderRelease
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
from tests.conftest import OCDS_DIR, START, buyer_officer
from tests.tenders.factories import CLARIFICATION_DEADLINE, DEADLINE, draft_tender, published_tender

PACKAGE = "/ocds/release-package.json"
RELEASE_SCHEMA_URI = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"


# The schema: core release schema + the lots extension, merged as OCDS merges extensions --


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON Merge Patch, which is how OCDS applies an extension's schema."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def _load(name: str) -> Any:
    return json.loads((OCDS_DIR / name).read_text())


def _date_time(value: object) -> bool:
    """RFC 3339 as OCDS needs it: a date, a time and an offset."""
    if not isinstance(value, str):
        return True
    return "T" in value and datetime.fromisoformat(value).tzinfo is not None


def _uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


@cache
def _package_validator() -> Draft4Validator:
    release_schema = merge_patch(
        _load("release-schema.json"), _load("extensions/lots/release-schema.json")
    )
    registry = Registry().with_resource(
        RELEASE_SCHEMA_URI, Resource.from_contents(release_schema, default_specification=DRAFT4)
    )
    formats = FormatChecker(formats=())
    formats.checks("date-time", raises=ValueError)(_date_time)
    formats.checks("uri")(_uri)
    package_schema = _load("release-package-schema.json")
    Draft4Validator.check_schema(package_schema)
    Draft4Validator.check_schema(release_schema)
    return Draft4Validator(package_schema, registry=registry, format_checker=formats)


@cache
def _codes(codelist: str) -> frozenset[str]:
    with (OCDS_DIR / "codelists" / codelist).open(newline="") as rows:
        return frozenset(row["Code"] for row in csv.DictReader(rows) if not row.get("Deprecated"))


def _codelist_problems(release: dict[str, Any]) -> list[str]:
    tender = release["tender"]
    documents = tender.get("documents", [])
    checks: list[tuple[str, str, object]] = [
        ("releaseTag.csv", "tag", release["tag"]),
        ("initiationType.csv", "initiationType", [release["initiationType"]]),
        ("tenderStatus.csv", "tender.status", [tender["status"]]),
        ("tenderStatus.csv", "lots.status", [lot["status"] for lot in tender.get("lots", [])]),
        ("method.csv", "procurementMethod", [tender["procurementMethod"]]),
        ("procurementCategory.csv", "mainProcurementCategory", [tender["mainProcurementCategory"]]),
        ("awardCriteria.csv", "awardCriteria", [tender["awardCriteria"]]),
        ("submissionMethod.csv", "submissionMethod", tender["submissionMethod"]),
        ("partyRole.csv", "roles", [r for party in release["parties"] for r in party["roles"]]),
        ("documentType.csv", "documentType", [d["documentType"] for d in documents]),
        (
            "currency.csv",
            "currency",
            ([tender["value"]["currency"]] if "value" in tender else [])
            + [
                item["unit"]["value"]["currency"]
                for item in tender.get("items", [])
                if "value" in item["unit"]
            ],
        ),
    ]
    return [
        f"{field}: {code!r} is not in {codelist}"
        for codelist, field, codes in checks
        for code in codes  # type: ignore[attr-defined]
        if code not in _codes(codelist)
    ]


def assert_valid_package(package: dict[str, Any]) -> None:
    """Valid against release-package-schema.json with the lots extension, and every code
    from its codelist."""
    errors = sorted(_package_validator().iter_errors(package), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    for release in package["releases"]:
        assert not _codelist_problems(release), _codelist_problems(release)
        lots = {lot["id"] for lot in release["tender"].get("lots", [])}
        assert {item["relatedLot"] for item in release["tender"].get("items", [])} <= lots


async def fetch(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    response = await client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


async def add_document(
    tender_id: UUID, kind: DocumentKind, title: str, *, addendum: bool = False
) -> UUID:
    """A document row as the upload service leaves it (the file itself is not needed)."""
    document_id = uuid4()
    await TenderDocument.insert(
        TenderDocument(
            id=document_id,
            tender=tender_id,
            kind=kind,
            title=title,
            sha256="0" * 64,
            original_name=f"{title}.pdf",
            content_type="application/pdf",
            size=1024,
            added_at=START,
            addendum=addendum,
        )
    )
    return document_id


# What the platform serves --------------------------------------------------------------


async def test_every_package_the_platform_serves_validates_against_ocds_with_lots(
    ocds_schema, platform, client, clock
):
    officer = await buyer_officer(platform)
    draft = await draft_tender(platform, officer, lots=3)
    await add_document(draft, DocumentKind.SPECIFICATION, "Service specification")
    await add_document(draft, DocumentKind.TERMS, "Terms and conditions")
    first = (await authoring.publish(platform, officer, str(draft))).id
    second = await published_tender(platform, officer, lots=1, title="Overnight support")
    clock.advance(timedelta(days=1))
    await add_document(first, DocumentKind.ADDENDUM, "Addendum 1", addendum=True)
    await releases.record_release(platform, first, "tenderUpdate")
    await cancel(platform, second.id)

    assert_valid_package(await fetch(client, PACKAGE))
    for tender_id in (first, second.id):
        assert_valid_package(await fetch(client, f"/ocds/tenders/{tender_id}/releases.json"))


async def cancel(platform, tender_id: UUID) -> None:
    """What the cancel service does, as far as open data sees it."""
    async with database.write_transaction():
        await Tender.update(
            {
                Tender.status: TenderStatus.CANCELLED,
                Tender.cancelled_at: platform.clock.now(),
                Tender.cancel_reason: "The council is bringing the service in house",
            }
        ).where(Tender.id == tender_id)
        await releases.record_release(platform, tender_id, ReleaseTag.TENDER_CANCELLATION)


async def test_the_package_is_served_as_public_cacheable_json(platform, client):
    officer = await buyer_officer(platform)
    await published_tender(platform, officer)
    response = await client.get(PACKAGE)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert "public" in response.headers["cache-control"]


async def test_drafts_never_appear_in_the_package_nor_have_releases(platform, client):
    officer = await buyer_officer(platform)
    draft = await draft_tender(platform, officer, title="Still a draft")
    published = await published_tender(platform, officer)
    package = await fetch(client, PACKAGE)
    assert [r["tender"]["id"] for r in package["releases"]] == [str(published.id)]
    assert (await client.get(f"/ocds/tenders/{draft}/releases.json")).status_code == 404
    assert (await client.get(f"/ocds/tenders/{uuid4()}/releases.json")).status_code == 404
    assert (await client.get("/ocds/tenders/not-a-uuid/releases.json")).status_code == 404


async def test_the_package_is_not_found_until_a_tender_is_published(platform, client):
    officer = await buyer_officer(platform)
    await draft_tender(platform, officer)
    # A release package must hold at least one release, so an empty one would be invalid.
    assert (await client.get(PACKAGE)).status_code == 404


async def test_a_published_release_carries_lots_items_documents_and_periods(
    platform, client, settings
):
    officer = await buyer_officer(platform)
    draft = await draft_tender(platform, officer, lots=2)
    spec = await add_document(draft, DocumentKind.SPECIFICATION, "Service specification")
    view = await authoring.publish(platform, officer, str(draft))
    tender = view.id

    package = await fetch(client, f"/ocds/tenders/{tender}/releases.json")
    [release] = package["releases"]
    assert release["ocid"] == f"ocds-caretender-{tender}"
    assert release["id"] == f"ocds-caretender-{tender}-1"
    assert release["tag"] == ["tender"]
    assert release["date"] == START.isoformat()
    assert release["buyer"] == {"id": str(officer.organisation_id), "name": view.buyer_name}
    assert release["parties"][0]["roles"] == ["buyer", "procuringEntity"]
    body = release["tender"]
    assert body["status"] == "active"
    assert body["value"] == {"amount": 2_850_000, "currency": "GBP"}
    assert body["tenderPeriod"] == {
        "startDate": START.isoformat(),
        "endDate": DEADLINE.astimezone(UTC).isoformat(),
    }
    assert body["enquiryPeriod"]["endDate"] == CLARIFICATION_DEADLINE.astimezone(UTC).isoformat()
    assert [lot["id"] for lot in body["lots"]] == [str(lot.id) for lot in view.lots]
    assert body["lots"][0]["title"] == "Lot 1: Complex care"
    assert "Complexity band: complex" in body["lots"][0]["description"]
    assert "Appoints 3 providers" in body["lots"][0]["description"]
    assert [(i["relatedLot"], i["quantity"]) for i in body["items"]] == [
        (str(lot.id), 5200) for lot in view.lots
    ]
    assert body["items"][0]["unit"] == {
        "name": "per hour, daytime",
        "value": {"amount": 15.87, "currency": "GBP"},
    }
    documents = {d["id"]: d for d in body["documents"]}
    assert documents["tender-notice"]["documentType"] == "tenderNotice"
    assert documents[str(spec)]["documentType"] == "technicalSpecifications"
    assert documents[str(spec)]["url"] == (
        f"{settings.base_url}/opportunities/{tender}/documents/{spec}"
    )
    assert body["awardCriteria"] == "ratedCriteria"
    assert "Quality 60%; Price 40%" in body["awardCriteriaDetails"]


async def test_releases_over_time_keep_their_order_and_the_package_holds_the_latest(
    platform, client, clock
):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    other = await published_tender(platform, officer, title="Supported living block")
    for _ in range(10):
        clock.advance(timedelta(hours=1))
        await releases.record_release(platform, tender.id, ReleaseTag.TENDER_UPDATE)

    history = (await fetch(client, f"/ocds/tenders/{tender.id}/releases.json"))["releases"]
    ids = [release["id"] for release in history]
    assert ids == [f"ocds-caretender-{tender.id}-{n}" for n in range(1, 12)]
    assert [release["tag"] for release in history] == [["tender"]] + [["tenderUpdate"]] * 10
    assert [release["date"] for release in history] == sorted(r["date"] for r in history)

    package = await fetch(client, PACKAGE)
    assert [release["id"] for release in package["releases"]] == [
        ids[-1],
        f"ocds-caretender-{other.id}-1",
    ]
    assert package["publishedDate"] == clock.now().isoformat()


async def test_a_cancelled_tender_is_published_as_cancelled_with_its_reason(platform, client):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    await cancel(platform, tender.id)
    [release] = (await fetch(client, PACKAGE))["releases"]
    assert release["tag"] == ["tenderCancellation"]
    assert release["tender"]["status"] == "cancelled"
    assert {lot["status"] for lot in release["tender"]["lots"]} == {"cancelled"}
    [reason] = [d for d in release["tender"]["documents"] if d["id"] == "cancellation"]
    assert reason["documentType"] == "cancellationDetails"
    assert reason["description"] == "The council is bringing the service in house"


async def test_a_release_is_recorded_once_when_publication_is_refused(platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    with pytest.raises(InvalidTransition, match="already been published"):
        await authoring.publish(platform, officer, str(tender.id))
    assert await TenderRelease.count().where(TenderRelease.tender == tender.id) == 1


async def test_only_known_tags_and_published_tenders_make_releases(platform):
    officer = await buyer_officer(platform)
    draft = await draft_tender(platform, officer)
    with pytest.raises(ValueError, match="not published"):
        await releases.record_release(platform, draft, "tender")
    tender = await published_tender(platform, officer)
    with pytest.raises(ValueError, match="contract"):
        await releases.record_release(platform, tender.id, "contract")
    with pytest.raises(ValueError, match="needs"):
        await releases.record_release(platform, tender.id, "award")
    assert await TenderRelease.count() == 1


async def test_the_ocid_prefix_comes_from_settings(platform):
    officer = await buyer_officer(platform)
    prefixed = replace(platform, settings=replace(platform.settings, ocds_prefix="ocds-a1b2c3"))
    tender = await published_tender(prefixed, officer)
    [release] = (await releases.tender_releases(prefixed, tender.id))["releases"]
    assert release["ocid"] == f"ocds-a1b2c3-{tender.id}"
    assert release["id"] == f"ocds-a1b2c3-{tender.id}-1"
    env = {"CARETENDER_SECRET_KEY": "k", "CARETENDER_OCDS_PREFIX": "ocds-x9y8z7"}
    assert settings_from_env(env).ocds_prefix == "ocds-x9y8z7"
    assert settings_from_env({"CARETENDER_SECRET_KEY": "k"}).ocds_prefix == "ocds-caretender"


# The pure builder ----------------------------------------------------------------------

AWARE = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
)
TEXT = st.text(min_size=1, max_size=40)


@st.composite
def tender_views(draw: st.DrawFn) -> TenderView:
    def price_item(number: int) -> PriceItemView:
        return PriceItemView(
            id=draw(st.uuids()),
            number=number,
            description=draw(TEXT),
            unit=draw(st.sampled_from(PriceUnit)),
            volume=draw(st.integers(0, 1_000_000)),
            reference_price_pence=draw(st.none() | st.integers(0, 10_000_000)),
            minimum_call_minutes=draw(st.none() | st.integers(1, 240)),
        )

    lots = tuple(
        LotView(
            id=draw(st.uuids()),
            number=n,
            name=draw(TEXT),
            service_type=draw(st.sampled_from(ServiceType)),
            districts=tuple(draw(st.lists(TEXT, max_size=3))),
            complexity_band=draw(st.none() | st.sampled_from(ComplexityBand)),
            award_mode=draw(st.sampled_from(AwardMode)),
            providers_to_award=draw(st.none() | st.integers(1, 20)),
            price_items=tuple(price_item(i) for i in range(1, draw(st.integers(0, 3)) + 1)),
        )
        for n in range(1, draw(st.integers(0, 4)) + 1)
    )
    section_id = draw(st.uuids())
    status = draw(st.sampled_from(TenderStatus))
    published = draw(st.none() | AWARE) if status is TenderStatus.DRAFT else draw(AWARE)
    return TenderView(
        id=draw(st.uuids()),
        buyer_id=draw(st.uuids()),
        buyer_name=draw(TEXT),
        title=draw(TEXT),
        reference=draw(TEXT),
        description=draw(st.text(max_size=200)),
        procedure=Procedure.OPEN,
        stored_status=status,
        contract_months=draw(st.none() | st.integers(1, 120)),
        estimated_value_pence=draw(st.none() | st.integers(0, 10**12)),
        submission_deadline=draw(st.none() | AWARE),
        clarification_deadline=draw(st.none() | AWARE),
        standstill_applies=True,
        standstill_days=8,
        abnormally_low_percent=70,
        exclude_above_reference=False,
        max_lots_per_bidder=draw(st.none() | st.integers(1, 5)),
        created_at=draw(AWARE),
        published_at=published,
        cancelled_at=draw(AWARE) if status is TenderStatus.CANCELLED else None,
        cancel_reason=draw(st.none() | TEXT) if status is TenderStatus.CANCELLED else None,
        version=1,
        lots=lots,
        sections=tuple(
            SectionView(
                id=section_id,
                number=1,
                name=draw(TEXT),
                kind=SectionKind.QUALITY,
                weight=100,
                questions=(
                    QuestionView(
                        id=draw(st.uuids()),
                        number=1,
                        section_id=section_id,
                        lot_id=None,
                        kind=QuestionKind.SCALE,
                        text=draw(TEXT),
                        guidance="",
                        word_limit=None,
                        weight=100,
                        minimum_score=None,
                        outcome=None,
                    ),
                ),
            )
            for _ in range(draw(st.integers(0, 1)))
        ),
        documents=tuple(
            DocumentView(
                id=draw(st.uuids()),
                kind=draw(st.sampled_from(DocumentKind)),
                title=draw(TEXT),
                sha256="0" * 64,
                original_name="file.pdf",
                content_type=draw(st.sampled_from(["application/pdf", "text/plain"])),
                size=draw(st.integers(1, 10**7)),
                added_at=draw(AWARE),
                addendum=draw(st.booleans()),
            )
            for _ in range(draw(st.integers(0, 3)))
        ),
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tender=tender_views(),
    tag=st.sampled_from(ReleaseTag),
    date=AWARE,
    prefix=st.from_regex(r"ocds-[a-z0-9]{6}", fullmatch=True),
)
def test_any_tender_makes_a_valid_deterministic_release(tender, tag, date, prefix):
    if not OCDS_DIR.is_dir():
        pytest.skip("OCDS schemas are in ../shared/ocds, which a fresh clone does not have")
    arguments = {
        "tag": tag,
        "release_id": ocds.release_id(prefix, tender.id, 1),
        "date": date,
        "ocid_prefix": prefix,
        "base_url": "https://caretender.example/",
    }
    release = ocds.build_release(tender, **arguments)
    assert canonical_json(release) == canonical_json(ocds.build_release(tender, **arguments))
    assert_valid_package(
        ocds.release_package([release], uri="https://caretender.example/x", published_date=date)
    )


def test_amounts_are_pounds_to_the_penny():
    assert ocds.amount(1587) == 15.87
    assert ocds.amount(285_000_000) == 2_850_000
    assert json.dumps(ocds.amount(8160)) == "81.6"
    assert json.dumps(ocds.amount(1)) == "0.01"


def release_at(tender: TenderView, date: datetime) -> dict[str, Any]:
    return ocds.build_release(
        tender,
        tag=ReleaseTag.TENDER_UPDATE,
        release_id="r-2",
        date=date,
        ocid_prefix="ocds-x",
        base_url="https://caretender.example",
    )


def test_a_tender_past_its_deadline_is_still_active_until_awarded():
    after = release_at(sample_tender(), DEADLINE + timedelta(days=1))
    assert after["tender"]["status"] == "active"
    cancelled = release_at(sample_tender(TenderStatus.CANCELLED), START)
    assert cancelled["tender"]["status"] == "cancelled"


def sample_tender(status: TenderStatus = TenderStatus.PUBLISHED) -> TenderView:
    """One lot with one price item, published at the suite's start."""
    item = PriceItemView(
        id=uuid4(),
        number=1,
        description="Sleep-in",
        unit=PriceUnit.SLEEP_IN_NIGHT,
        volume=365,
        reference_price_pence=8160,
        minimum_call_minutes=None,
    )
    lot = LotView(
        id=uuid4(),
        number=1,
        name="Overnight",
        service_type=ServiceType.OVERNIGHT,
        districts=("Tamworth",),
        complexity_band=None,
        award_mode=AwardMode.ONE,
        providers_to_award=None,
        price_items=(item,),
    )
    return TenderView(
        id=uuid4(),
        buyer_id=uuid4(),
        buyer_name="Staffordshire County Council",
        title="Overnight support",
        reference="SCC-1",
        description="",
        procedure=Procedure.OPEN,
        stored_status=status,
        contract_months=12,
        estimated_value_pence=None,
        submission_deadline=DEADLINE,
        clarification_deadline=CLARIFICATION_DEADLINE,
        standstill_applies=True,
        standstill_days=8,
        abnormally_low_percent=70,
        exclude_above_reference=False,
        max_lots_per_bidder=None,
        created_at=START,
        published_at=START,
        cancelled_at=None,
        cancel_reason=None,
        version=1,
        lots=(lot,),
        sections=(),
        documents=(),
    )


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("ocid",), None),
        (("date",), "2026-11-23T10:00:00"),
        (("tag",), ["published"]),
        (("tender", "status"), "closed"),
        (("tender", "lots", 0, "status"), "open"),
        (("tender", "lots", 0, "id"), None),
        (("tender", "items", 0, "relatedLot"), 1),
        (("tender", "documents", 0, "url"), "not a url"),
    ],
)
def test_the_schema_check_refuses_what_ocds_refuses(ocds_schema, path, value):
    """The check itself is not vacuous: the release schema is reached through the package's
    $ref, the lots extension is merged in, and dates and URLs are checked."""
    now = START
    tender = sample_tender()
    release = ocds.build_release(
        tender,
        tag=ReleaseTag.TENDER,
        release_id="r-1",
        date=now,
        ocid_prefix="ocds-x",
        base_url="https://caretender.example",
    )
    package = ocds.release_package(
        [release], uri="https://caretender.example/p", published_date=now
    )
    assert_valid_package(package)
    *parents, last = path
    target: Any = release
    for step in parents:
        target = target[step]
    if value is None:
        del target[last]
    else:
        target[last] = value
    with pytest.raises(AssertionError):
        assert_valid_package(package)


async def test_an_unknown_tenders_releases_are_a_json_404(client):
    response = await client.get(f"/ocds/tenders/{uuid4()}/releases.json")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["status"] == 404
