"""The public API of opportunities: no token, published tenders only, times in UTC."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import buyer_officer
from tests.tenders.factories import draft_tender, published_tender
from tests.tenders.test_opportunities import OVERNIGHT_TAMWORTH, add_tender


async def test_the_list_needs_no_token_and_gives_times_in_utc(platform, client):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=2)
    await draft_tender(platform, officer, title="Not yet")

    response = await client.get("/api/v1/opportunities")
    assert response.status_code == 200
    body = response.json()
    assert (body["page"], body["pages"], body["total"]) == (1, 1, 1)
    assert body["councils"] == [
        {"id": str(officer.organisation_id), "name": "Staffordshire County Council"}
    ]
    [item] = body["items"]
    assert item["id"] == str(tender.id)
    assert item["title"] == tender.title
    assert item["reference"] == "SCC-2026-041"
    assert item["council"]["name"] == "Staffordshire County Council"
    assert item["status"] == "open"
    assert item["submission_deadline"] == "2026-12-11T12:00:00Z"
    assert item["published_at"] == "2026-11-23T10:00:00Z"
    assert item["countdown"] == "Closes in 18 days, at 12:00pm on Friday 11 December 2026"
    assert item["lots"][1] == {
        "number": 2,
        "name": "Overnight",
        "service_type": "overnight",
        "districts": ["Newcastle-under-Lyme", "Staffordshire Moorlands"],
        "complexity_band": "complex",
    }


async def test_the_list_takes_the_pages_filters_as_query_parameters(platform, client):
    council = (await buyer_officer(platform)).organisation_id
    north = await add_tender(
        council,
        title="Moorlands nights",
        lots=[("Nights", "overnight", ("Staffordshire Moorlands",), "highly_complex")],
    )
    south = await add_tender(council, title="Tamworth nights", lots=[OVERNIGHT_TAMWORTH])
    nursing = await add_tender(
        council, title="Nursing", lots=[("Nursing", "nursing", ("Lichfield",), None)]
    )

    async def ids(query: str) -> list[str]:
        response = await client.get(f"/api/v1/opportunities?{query}")
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids("district=North") == [str(north)]
    assert set(await ids("service_type=overnight")) == {str(north), str(south)}
    assert set(await ids("service_type=overnight&service_type=nursing")) == {
        str(north),
        str(south),
        str(nursing),
    }
    assert await ids("band=highly_complex") == [str(north)]
    assert await ids("keywords=tamworth") == [str(south)]
    assert await ids(f"council={council}&keywords=nursing") == [str(nursing)]
    assert await ids("status=closed") == []


async def test_pages_of_twenty(platform, client):
    council = (await buyer_officer(platform)).organisation_id
    for n in range(25):
        await add_tender(council, title=f"Tender {n:02d}")
    first = (await client.get("/api/v1/opportunities")).json()
    second = (await client.get("/api/v1/opportunities?page=2")).json()
    assert (len(first["items"]), len(second["items"])) == (20, 5)
    assert (first["pages"], second["page"], second["total"]) == (2, 2, 25)
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    # Any page past the last shows the last, however far (found by the API fuzzer: a page of
    # 10^21 overflowed the database's offset).
    for far in ("3", "2337408906364102377472"):
        past = await client.get(f"/api/v1/opportunities?page={far}")
        assert past.status_code == 200
        assert (past.json()["page"], len(past.json()["items"])) == (2, 5)


async def test_a_tender_as_json_with_its_lots_criteria_prices_and_deadlines(platform, client):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=2)

    response = await client.get(f"/api/v1/tenders/{tender.id}")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "published"
    assert body["council"] == {
        "id": str(officer.organisation_id),
        "name": "Staffordshire County Council",
    }
    assert body["submission_deadline"] == "2026-12-11T12:00:00Z"
    assert body["clarification_deadline"] == "2026-12-04T12:00:00Z"
    assert body["estimated_value_pence"] == 285_000_000
    assert body["contract_months"] == 36
    assert [lot["name"] for lot in body["lots"]] == ["Complex care", "Overnight"]
    assert body["lots"][0]["price_items"][0] | {"id": None} == {
        "id": None,
        "number": 1,
        "description": "Support worker, daytime",
        "unit": "hour_daytime",
        "volume": 5200,
        "reference_price_pence": 1587,
        "minimum_call_minutes": 60,
    }
    assert [(s["name"], s["kind"], s["weight"]) for s in body["sections"]] == [
        ("Quality", "quality", 60),
        ("Price", "price", 40),
    ]
    scale = body["sections"][0]["questions"][1]
    assert (scale["kind"], scale["word_limit"], scale["weight"], scale["minimum_score"]) == (
        "scale",
        500,
        100,
        2,
    )
    assert body["documents"] == []


async def test_a_closed_tender_says_so_and_a_draft_is_not_found(platform, clock, client):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    draft_id = await draft_tender(platform, officer)
    assert tender.submission_deadline is not None
    clock.instant = tender.submission_deadline + timedelta(seconds=1)
    assert (await client.get(f"/api/v1/tenders/{tender.id}")).json()["status"] == "closed"
    listed = (await client.get("/api/v1/opportunities?status=closed")).json()
    assert [item["status"] for item in listed["items"]] == ["closed"]
    response = await client.get(f"/api/v1/tenders/{draft_id}")
    assert response.status_code == 404
    assert response.json() == {"status": 404, "message": "Page not found"}


async def test_the_public_endpoints_are_documented(client):
    schema = (await client.get("/schema/openapi.json")).json()
    listing = schema["paths"]["/api/v1/opportunities"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {
        "keywords",
        "service_type",
        "district",
        "band",
        "council",
        "order",
        "status",
        "page",
    }
    assert "security" not in listing
    assert "/api/v1/tenders/{tender_id}" in schema["paths"]
