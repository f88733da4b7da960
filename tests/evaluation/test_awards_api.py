"""The award through the API (rule 11), with bearer tokens: an officer produces the award
report of a moderated tender and downloads it as it was kept; an officer on none of the
tender's panels approves the award against the latest report's digest, and a panel member
is refused. Evaluators are refused; other councils and providers find nothing."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import httpx

from app.clock import FixedClock
from app.platform import Platform
from app.templating import london_time
from evaluation.services import awards
from evaluation.tables import AwardDecision, AwardReport
from tests.conftest import bearer, buyer_officer
from tests.evaluation import test_awards
from tests.evaluation.factories import Evaluation, evaluation
from tests.evaluation.test_award_pages import OTHER_COUNCIL, REASONS

#: Signed off, with an officer of the council (Olu Ade) as the lot's moderator.
moderated = test_awards.moderated

API = "/api/v1"


def award_url(setup: Evaluation) -> str:
    return f"{API}/tenders/{setup.tender.id}/award"


async def test_an_officer_produces_downloads_and_approves_through_the_api(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock, moderated: Evaluation
) -> None:
    headers = await bearer(client, moderated.officer.email)
    before = await client.get(award_url(moderated), headers=headers)
    assert before.status_code == 200
    assert before.json() == {
        "tender_id": str(moderated.tender.id),
        "tender_title": moderated.tender.title,
        "tender_reference": moderated.tender.reference,
        "tender_status": "moderated",
        "reports": [],
        "decision": None,
        "waiting_for": None,
        "approval_refused": None,
        "report_refused": None,
        "may_produce": True,
        "may_approve": False,
    }

    made = await client.post(f"{award_url(moderated)}/reports", headers=headers)
    assert made.status_code == 201
    report = made.json()
    [stored] = await awards.reports(moderated.officer, moderated.tender.id)
    assert report == {
        "id": str(stored.id),
        "sha256": stored.sha256,
        "size": stored.size,
        "made_by": moderated.officer.name,
        "made_at": clock.now().isoformat().replace("+00:00", "Z"),
        "filename": f"award-report-{moderated.tender.reference}.pdf",
    }
    pdf = await client.get(f"{award_url(moderated)}/reports/{report['id']}.pdf", headers=headers)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment; ")
    assert pdf.content.startswith(b"%PDF")
    assert hashlib.sha256(pdf.content).hexdigest() == report["sha256"]
    assert len(pdf.content) == report["size"]

    clock.advance(timedelta(minutes=20))
    approved = await client.post(
        f"{award_url(moderated)}/approve",
        json={"report_sha256": report["sha256"], "reasons": REASONS},
        headers=headers,
    )
    assert approved.status_code == 200, approved.text
    decision = {
        "report_sha256": report["sha256"],
        "reasons": REASONS,
        "approved_by": moderated.officer.name,
        "approved_at": clock.now().isoformat().replace("+00:00", "Z"),
    }
    assert approved.json() == decision
    after = (await client.get(award_url(moderated), headers=headers)).json()
    assert (after["tender_status"], after["decision"]) == ("award_approved", decision)
    assert (after["reports"], after["may_produce"], after["may_approve"]) == (
        [report],
        False,
        False,
    )
    again = await client.post(
        f"{award_url(moderated)}/approve",
        json={"report_sha256": report["sha256"], "reasons": REASONS},
        headers=headers,
    )
    # The same approval sent again (a retry) finds the one made.
    assert (again.status_code, again.json()) == (200, decision)


async def test_a_panel_member_may_not_approve_through_the_api(
    client: httpx.AsyncClient, platform: Platform, moderated: Evaluation
) -> None:
    made = await awards.make_report(platform, moderated.officer, moderated.tender.id)
    headers = await bearer(client, moderated.moderator.email)
    award = (await client.get(award_url(moderated), headers=headers)).json()
    assert award["approval_refused"].startswith("You sit on the panel for lot 1")
    assert award["may_approve"] is False
    refused = await client.post(
        f"{award_url(moderated)}/approve",
        json={"report_sha256": made.sha256, "reasons": REASONS},
        headers=headers,
    )
    assert refused.status_code == 403
    assert refused.json()["message"].startswith("You sit on the panel for lot 1: the award is")
    assert await AwardDecision.count() == 0


async def test_approval_needs_reasons_a_digest_and_the_latest_report(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock, moderated: Evaluation
) -> None:
    first = await awards.make_report(platform, moderated.officer, moderated.tender.id)
    headers = await bearer(client, moderated.officer.email)
    url = f"{award_url(moderated)}/approve"

    missing = await client.post(url, json={"report_sha256": first.sha256}, headers=headers)
    assert missing.status_code == 400
    assert missing.json()["errors"] == {"reasons": "Give the reasons for the decision"}
    malformed = await client.post(
        url, json={"report_sha256": "not a digest", "reasons": REASONS}, headers=headers
    )
    assert malformed.status_code == 400
    assert "report_sha256" in malformed.json()["errors"]

    clock.advance(timedelta(days=1))
    second = await awards.make_report(platform, moderated.officer, moderated.tender.id)
    headers = await bearer(client, moderated.officer.email)
    listed = (await client.get(award_url(moderated), headers=headers)).json()["reports"]
    assert [report["sha256"] for report in listed] == [second.sha256, first.sha256]
    older = await client.post(
        url, json={"report_sha256": first.sha256, "reasons": REASONS}, headers=headers
    )
    assert older.status_code == 409
    assert older.json()["message"] == (
        f"A newer award report was produced at {london_time(second.made_at)}: read it before "
        "approving"
    )
    assert await AwardDecision.count() == 0


async def test_before_moderation_the_api_says_what_comes_first_and_refuses(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock)
    headers = await bearer(client, setup.officer.email)
    award = (await client.get(award_url(setup), headers=headers)).json()
    assert award["waiting_for"].startswith("The award report can be produced once the moderator")
    assert (award["may_produce"], award["may_approve"]) == (False, False)
    produce = await client.post(f"{award_url(setup)}/reports", headers=headers)
    assert produce.status_code == 409
    approve = await client.post(
        f"{award_url(setup)}/approve",
        json={"report_sha256": "0" * 64, "reasons": REASONS},
        headers=headers,
    )
    assert approve.status_code == 409
    assert approve.json()["message"].startswith("The award can be approved once every lot")
    assert (await AwardReport.count(), await AwardDecision.count()) == (0, 0)


async def test_evaluators_are_refused_and_others_find_no_award_through_the_api(
    client: httpx.AsyncClient, platform: Platform, moderated: Evaluation
) -> None:
    made = await awards.make_report(platform, moderated.officer, moderated.tender.id)
    other = await buyer_officer(platform, *OTHER_COUNCIL)
    url = award_url(moderated)
    for person, status in (
        (moderated.evaluators[0], 403),
        (other, 404),
        (moderated.providers[0], 404),
    ):
        headers = await bearer(client, person.email)
        for response in (
            await client.get(url, headers=headers),
            await client.get(f"{url}/reports/{made.id}.pdf", headers=headers),
            await client.post(f"{url}/reports", headers=headers),
            await client.post(
                f"{url}/approve",
                json={"report_sha256": made.sha256, "reasons": REASONS},
                headers=headers,
            ),
        ):
            assert response.status_code == status, (person.email, response.request.url)
            assert made.sha256 not in response.text
    for response in (
        await client.get(url),
        await client.post(f"{url}/reports"),
        await client.post(f"{url}/approve", json={"report_sha256": made.sha256}),
    ):
        assert response.status_code == 401
    assert (await AwardReport.count(), await AwardDecision.count()) == (1, 0)


async def test_the_openapi_document_describes_the_award_routes(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    award = "/api/v1/tenders/{tender_id}/award"
    expected = {
        award: {"get"},
        f"{award}/reports": {"post"},
        f"{award}/reports/{{report_file}}": {"get"},
        f"{award}/approve": {"post"},
    }
    for path, methods in expected.items():
        for method in methods:
            operation = paths[path][method]
            assert operation["summary"], (path, method)
            assert operation["description"], (path, method)
            assert operation["security"] == [{"bearer": []}], (path, method)
            assert {"401", "403", "404"} <= set(operation["responses"]), (path, method)
    assert "409" in paths[f"{award}/approve"]["post"]["responses"]
    assert "201" in paths[f"{award}/reports"]["post"]["responses"]
    pdf = paths[f"{award}/reports/{{report_file}}"]["get"]["responses"]["200"]
    assert "application/pdf" in pdf["content"]
    request = schema["components"]["schemas"]["ApprovalRequest"]
    assert set(request["properties"]) == {"report_sha256", "reasons"}
    assert request["required"] == ["report_sha256"]
