"""Officers create, change and publish tenders through the API, with bearer tokens."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tenders.services import authoring
from tenders.tables import Tender
from tenders.vocabulary import TenderStatus
from tests.conftest import bearer, buyer_officer, count_rows, evaluator, provider_user
from tests.tenders.factories import CLARIFICATION_DEADLINE, DEADLINE, draft_tender, published_tender

OTHER_COUNCIL = ("ravi@tamworth.example", "Tamworth Borough Council")
DETAILS = {
    "title": "Supported living in the north",
    "reference": "SCC-2026-052",
    "description": "Supported living, lotted by district group and complexity band.",
    "contract_months": 48,
    "estimated_value": "4,100,000",
    "submission_deadline": DEADLINE.astimezone(UTC).isoformat(),
    "clarification_deadline": CLARIFICATION_DEADLINE.astimezone(UTC).isoformat(),
    "standstill_applies": True,
    "exclude_above_reference": False,
}


async def _officer(client, platform):
    officer = await buyer_officer(platform)
    return officer, await bearer(client, officer.email)


async def test_an_officer_builds_and_publishes_a_tender_through_the_api(client, platform):
    officer, headers = await _officer(client, platform)
    created = await client.post("/api/v1/tenders", json=DETAILS, headers=headers)
    assert created.status_code == 201, created.text
    tender = created.json()
    assert tender["status"] == "draft"
    assert tender["submission_deadline"] == "2026-12-11T12:00:00Z"
    base = f"/api/v1/tenders/{tender['id']}"

    lots = []
    for name, band in (("North, complex", "complex"), ("North, less complex", "less_complex")):
        response = await client.post(
            f"{base}/lots",
            json={
                "name": name,
                "service_type": "supported_living",
                "districts": ["North"],
                "complexity_band": band,
                "award_mode": "one",
            },
            headers=headers,
        )
        assert response.status_code == 201, response.text
        lots.append(response.json()["id"])
    sections = []
    for name, kind, weight in (
        ("Quality", "quality", 50),
        ("Price", "price", 30),
        ("Outcomes", "quality", 20),
    ):
        response = await client.post(
            f"{base}/sections", json={"name": name, "kind": kind, "weight": weight}, headers=headers
        )
        assert response.status_code == 201, response.text
        sections.append(response.json()["id"])
    question = await client.post(
        f"{base}/questions",
        json={
            "section": sections[0],
            "lot": "all",
            "kind": "scale",
            "text": "How will you support people to live independently?",
            "weight": 100,
            "minimum_score": 2,
            "word_limit": 750,
        },
        headers=headers,
    )
    assert question.status_code == 201, question.text
    tests = await client.post(
        f"{base}/outcome-tests", json={"section": sections[2], "lot": lots[0]}, headers=headers
    )
    assert tests.json() == {"added": 15}
    for lot_id, price in zip(lots, ("81.60", "91.02"), strict=True):
        response = await client.post(
            f"{base}/lots/{lot_id}/prices",
            json={
                "description": "Sleep-in night",
                "unit": "sleep_in_night",
                "volume": 730,
                "reference_price": price,
            },
            headers=headers,
        )
        assert response.status_code == 201, response.text
    changed = await client.patch(base, json={"title": "Supported living, North"}, headers=headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["title"] == "Supported living, North"
    assert changed.json()["reference"] == "SCC-2026-052"

    published = await client.post(f"{base}/publish", json={"confirmed": False}, headers=headers)
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published"
    assert published.json()["questions"] == 16

    listing = await client.get("/api/v1/officer/tenders", headers=headers)
    assert listing.status_code == 200
    assert [(item["title"], item["status"]) for item in listing.json()["items"]] == [
        ("Supported living, North", "published")
    ]
    view = await authoring.own_tender(officer, tender["id"])
    assert [item.reference_price_pence for lot in view.lots for item in lot.price_items] == [
        8160,
        9102,
    ]


def _calls(tender_id, lot_id, section_id):
    base = f"/api/v1/tenders/{tender_id}"
    return [
        ("patch", base, {"title": "Taken over"}),
        ("post", f"{base}/lots", {"name": "X", "service_type": "nursing", "districts": ["North"]}),
        ("post", f"{base}/sections", {"name": "X", "kind": "quality", "weight": 10}),
        ("post", f"{base}/questions", {"section": section_id, "kind": "pass_fail", "text": "X"}),
        ("post", f"{base}/outcome-tests", {"section": section_id}),
        (
            "post",
            f"{base}/lots/{lot_id}/prices",
            {"description": "X", "unit": "hour_daytime", "volume": 1},
        ),
        ("post", f"{base}/publish", {"confirmed": True}),
    ]


async def _ids(platform, officer):
    tender = await authoring.own_tender(officer, await draft_tender(platform, officer))
    return str(tender.id), str(tender.lots[0].id), str(tender.sections[0].id)


@pytest.mark.parametrize("who", ["provider", "evaluator"])
async def test_providers_and_evaluators_are_refused_every_authoring_call(client, platform, who):
    officer = await buyer_officer(platform)
    ids = await _ids(platform, officer)
    outsider = (
        await provider_user(platform) if who == "provider" else await evaluator(platform, officer)
    )
    headers = await bearer(client, outsider.email)
    before = await count_rows()
    calls = [
        ("post", "/api/v1/tenders", DETAILS),
        ("get", "/api/v1/officer/tenders", None),
        *_calls(*ids),
    ]
    for method, url, body in calls:
        response = await client.request(method, url, json=body, headers=headers)
        assert response.status_code == 403, url
        assert response.json()["status"] == 403
    assert await count_rows() == before


async def test_another_councils_officer_gets_not_found_on_every_call(client, platform):
    officer = await buyer_officer(platform)
    ids = await _ids(platform, officer)
    other = await buyer_officer(platform, *OTHER_COUNCIL)
    headers = await bearer(client, other.email)
    before = await count_rows()
    for method, url, body in _calls(*ids):
        response = await client.request(method, url, json=body, headers=headers)
        assert response.status_code == 404, url
    assert await count_rows() == before
    listing = await client.get("/api/v1/officer/tenders", headers=headers)
    assert listing.json()["total"] == 0


async def test_calls_without_a_token_are_unauthorised(client, platform):
    response = await client.post("/api/v1/tenders", json=DETAILS)
    assert response.status_code == 401
    assert await Tender.count() == 0


async def test_every_structural_change_after_publication_is_refused_with_409(client, platform):
    officer, headers = await _officer(client, platform)
    tender = await published_tender(platform, officer)
    before = await count_rows()
    calls = _calls(tender.id, str(tender.lots[0].id), str(tender.sections[0].id))
    for method, url, body in calls[:-1]:
        response = await client.request(method, url, json=body, headers=headers)
        assert response.status_code == 409, url
        assert "can no longer change" in response.json()["message"], url
    again = await client.post(
        f"/api/v1/tenders/{tender.id}/publish", json={"confirmed": True}, headers=headers
    )
    assert again.status_code == 409
    assert again.json()["message"] == "This tender has already been published"
    assert await count_rows() == before


async def test_publishing_an_invalid_tender_lists_every_problem(client, platform):
    _, headers = await _officer(client, platform)
    created = await client.post("/api/v1/tenders", json=DETAILS, headers=headers)
    base = f"/api/v1/tenders/{created.json()['id']}"
    await client.post(
        f"{base}/lots",
        json={"name": "Overnight", "service_type": "overnight", "districts": ["Tamworth"]},
        headers=headers,
    )
    await client.post(f"{base}/sections", json={"name": "Quality", "weight": 60}, headers=headers)
    response = await client.post(f"{base}/publish", json={"confirmed": True}, headers=headers)
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "sections": "Section weights must add up to 100 (they add up to 60)",
        "lot-1-questions": "Lot 1 (Overnight) has no questions",
        "section-1-questions": "Section 1 (Quality) has no questions",
    }
    assert (await Tender.select(Tender.status).first())["status"] == TenderStatus.DRAFT


async def test_a_deadline_on_a_weekend_needs_confirming(client, platform):
    officer, headers = await _officer(client, platform)
    tender_id = await draft_tender(platform, officer)
    saturday = datetime(2026, 12, 12, 12, 0, tzinfo=UTC).isoformat()
    base = f"/api/v1/tenders/{tender_id}"
    moved = await client.patch(base, json={"submission_deadline": saturday}, headers=headers)
    assert moved.status_code == 200, moved.text
    warned = await client.post(f"{base}/publish", json={"confirmed": False}, headers=headers)
    assert warned.status_code == 400
    assert warned.json()["errors"] == {
        "confirm": "The deadline is on a Saturday. Confirm that you want to publish it anyway"
    }
    confirmed = await client.post(f"{base}/publish", json={"confirmed": True}, headers=headers)
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "published"


async def test_bad_details_are_refused_per_field_and_nothing_is_created(client, platform):
    _, headers = await _officer(client, platform)
    response = await client.post(
        "/api/v1/tenders",
        json={
            **DETAILS,
            "title": "",
            "contract_months": "ever",
            "submission_deadline": "next friday",
        },
        headers=headers,
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["title"] == "Enter a title"
    assert errors["contract_months"] == "The contract length must be a whole number"
    assert errors["submission_deadline"].startswith("Enter the submission deadline as a date")
    assert await Tender.count() == 0


async def test_a_stale_version_is_a_conflict_that_changes_nothing(client, platform):
    officer, headers = await _officer(client, platform)
    tender_id = await draft_tender(platform, officer)
    seen = (await authoring.own_tender(officer, tender_id)).version
    first = await client.patch(
        f"/api/v1/tenders/{tender_id}", json={"title": "First", "version": seen}, headers=headers
    )
    assert first.status_code == 200
    second = await client.patch(
        f"/api/v1/tenders/{tender_id}", json={"title": "Second", "version": seen}, headers=headers
    )
    assert second.status_code == 409
    assert "Someone else changed this tender" in second.json()["message"]
    assert (await Tender.select(Tender.title).first())["title"] == "First"


async def test_a_clarification_deadline_after_the_submission_deadline_is_refused(client, platform):
    _, headers = await _officer(client, platform)
    response = await client.post(
        "/api/v1/tenders",
        json={**DETAILS, "clarification_deadline": "2026-12-20T12:00:00Z"},
        headers=headers,
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "clarification_deadline": (
            "The deadline for clarification questions must be before the submission deadline"
        )
    }
    assert await Tender.count() == 0
