"""The award through the API (rule 11), with bearer tokens: an officer produces the award
report of a moderated tender and downloads it as it was kept; an officer on none of the
tender's panels approves the award against the latest report's digest, and a panel member
is refused. Evaluators are refused; other councils and providers find nothing.

Each bidder reads the decision on its own bid (rules 12 and 13): nothing before the notices
are issued, the standstill and its notices during it, its own outcome once the award is
confirmed; nobody else finds it."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import timedelta

import httpx

from app.clock import FixedClock
from app.platform import Platform
from app.templating import london_time
from evaluation.services import awards, notices
from evaluation.tables import AwardDecision, AwardReport
from evaluation.vocabulary import NoticeKind
from tests.conftest import bearer, buyer_officer, provider_user
from tests.evaluation import test_award_outcomes, test_awards, test_notices
from tests.evaluation.factories import Evaluation, evaluation
from tests.evaluation.test_award_outcomes import CONFIRMED
from tests.evaluation.test_award_pages import OTHER_COUNCIL, REASONS

#: Signed off, with an officer of the council (Olu Ade) as the lot's moderator.
moderated = test_awards.moderated
#: Moderated and approved; no notices issued yet.
approved = test_notices.approved
#: A lot awarding one provider, its notices issued: Birch Homes 1st, Ashby Care 2nd, Cedar
#: Support excluded.
issued = test_award_outcomes.issued

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


async def test_evaluators_and_providers_are_refused_and_other_councils_find_no_award_by_api(
    client: httpx.AsyncClient, platform: Platform, moderated: Evaluation
) -> None:
    made = await awards.make_report(platform, moderated.officer, moderated.tender.id)
    other = await buyer_officer(platform, *OTHER_COUNCIL)
    url = award_url(moderated)
    for person, status in (
        (moderated.evaluators[0], 403),
        (other, 404),
        (moderated.providers[0], 403),
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


# The decision on a bid ------------------------------------------------------------------


def decision_url(bid_id: object) -> str:
    return f"{API}/bids/{bid_id}/decision"


async def test_before_the_notices_are_issued_the_bidder_finds_no_decision(
    client: httpx.AsyncClient, platform: Platform, approved: Evaluation
) -> None:
    headers = await bearer(client, approved.providers[0].email)
    response = await client.get(decision_url(approved.bid_ids[0]), headers=headers)
    assert response.status_code == 404
    assert response.json()["message"]


async def test_a_bidder_reads_the_standstill_and_its_notices_and_no_outcome_through_the_api(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock, issued: Evaluation
) -> None:
    ashby, ashby_bid = issued.providers[0], issued.bid_ids[0]
    headers = await bearer(client, ashby.email)
    response = await client.get(decision_url(ashby_bid), headers=headers)
    assert response.status_code == 200, response.text
    own = sorted(await notices.notice_files(ashby, issued.tender.id), key=lambda n: n.kind)
    assert {n.kind for n in own} == set(NoticeKind)
    decision = response.json()
    assert decision == {
        "bid_id": str(ashby_bid),
        "tender_id": str(issued.tender.id),
        "tender_title": issued.tender.title,
        "tender_reference": issued.tender.reference,
        "standstill": {
            "notices_issued_at": "2026-12-22T10:00:00Z",
            "last_day": "2027-01-05",
            "confirmable_from": "2027-01-06",
            "confirmed_at": None,
        },
        "lots": [
            {
                "lot_id": str(issued.lot.id),
                "number": 1,
                "name": issued.lot.name,
                "outcome": None,
                "rank": None,
                "reasons": [],
            }
        ],
        "notices": [
            {
                "id": str(notice.id),
                "kind": notice.kind.value,
                "organisation_id": str(notice.organisation_id) if notice.organisation_id else None,
                "sha256": notice.sha256,
                "size": notice.size,
                "issued_at": "2026-12-22T10:00:00Z",
                "filename": notice.filename,
                "url": f"{API}/bids/{ashby_bid}/notices/{notice.id}",
            }
            for notice in own
        ],
    }
    for notice in decision["notices"]:
        pdf = await client.get(notice["url"], headers=headers)
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["content-disposition"].startswith(
            f'attachment; filename="{notice["filename"]}"'
        )
        assert hashlib.sha256(pdf.content).hexdigest() == notice["sha256"]
        assert len(pdf.content) == notice["size"]


async def test_once_confirmed_each_bidder_reads_its_own_outcome_through_the_api(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock, issued: Evaluation
) -> None:
    clock.instant = CONFIRMED
    await notices.confirm(platform, issued.officer, issued.tender.id)
    expected = [
        # Ashby Care, Birch Homes, Cedar Support.
        ("unsuccessful", 2, []),
        ("successful", 1, []),
        ("excluded", None, ["failed question 1 (a pass or fail question)"]),
    ]
    for provider, bid_id, (outcome, rank, reasons) in zip(
        issued.providers, issued.bid_ids, expected, strict=True
    ):
        headers = await bearer(client, provider.email)
        decision = (await client.get(decision_url(bid_id), headers=headers)).json()
        assert decision["standstill"]["confirmed_at"] == "2027-01-06T09:00:00Z"
        [lot] = decision["lots"]
        assert (lot["outcome"], lot["rank"], lot["reasons"]) == (outcome, rank, reasons)


async def test_nobody_but_the_bidder_reads_the_decision_on_its_bid_through_the_api(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock, issued: Evaluation
) -> None:
    ashby, birch = issued.providers[:2]
    ashby_bid = issued.bid_ids[0]
    [summary] = [
        n
        for n in await notices.notice_files(ashby, issued.tender.id)
        if n.kind is NoticeKind.ASSESSMENT_SUMMARY
    ]
    stranger = await provider_user(platform, "ade@lichfield-care.example", "Lichfield Homecare")
    # Another bidder, a provider that did not bid, the council's officer and its evaluator.
    for person in (birch, stranger, issued.officer, issued.evaluators[0]):
        headers = await bearer(client, person.email)
        for response in (
            await client.get(decision_url(ashby_bid), headers=headers),
            await client.get(f"{API}/bids/{ashby_bid}/notices/{summary.id}", headers=headers),
        ):
            assert response.status_code == 404, (person.email, response.request.url)
            assert summary.sha256 not in response.text
    # Nor through the bidder's own bid does another bidder's notice download.
    headers = await bearer(client, birch.email)
    refused = await client.get(
        f"{API}/bids/{issued.bid_ids[1]}/notices/{summary.id}", headers=headers
    )
    assert refused.status_code == 404
    assert (await client.get(decision_url(ashby_bid))).status_code == 401


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


async def test_the_openapi_document_describes_the_decision_on_a_bid(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    for path in (f"{API}/bids/{{bid_id}}/decision", f"{API}/bids/{{bid_id}}/notices/{{notice_id}}"):
        operation = paths[path]["get"]
        assert operation["summary"], path
        assert operation["description"], path
        assert operation["security"] == [{"bearer": []}], path
        assert {"200", "401", "403", "404"} <= set(operation["responses"]), path
    pdf = paths[f"{API}/bids/{{bid_id}}/notices/{{notice_id}}"]["get"]["responses"]["200"]
    assert "application/pdf" in pdf["content"]
    components = schema["components"]["schemas"]
    assert set(components["BidDecisionOut"]["properties"]) == {
        "bid_id",
        "tender_id",
        "tender_title",
        "tender_reference",
        "standstill",
        "lots",
        "notices",
    }
    assert set(components["LotDecisionOut"]["properties"]) == {
        "lot_id",
        "number",
        "name",
        "outcome",
        "rank",
        "reasons",
    }
    assert {"id", "kind", "filename", "size", "sha256", "url"} <= set(
        components["BidNoticeOut"]["properties"]
    )


async def test_the_officer_downloads_the_decision_record_through_the_api(
    client: httpx.AsyncClient, platform: Platform, moderated: Evaluation
) -> None:
    url = f"/api/v1/tenders/{moderated.tender.id}/award/decision-record"
    headers = await bearer(client, moderated.officer.email)
    early = await client.get(url, headers=headers)
    assert early.status_code == 409
    assert "once the award is approved" in early.json()["message"]
    report = await awards.make_report(platform, moderated.officer, moderated.tender.id)
    await awards.approve(
        platform,
        moderated.officer,
        moderated.tender.id,
        report_sha256=report.sha256,
        reasons=REASONS,
    )
    response = await client.get(url, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        manifest = archive.read("manifest.sha256").decode()
        for line in manifest.splitlines():
            digest, name = line.split("  ", 1)
            assert hashlib.sha256(archive.read(name)).hexdigest() == digest
    for person, status in ((moderated.evaluators[0], 403), (moderated.providers[0], 403)):
        refused = await client.get(url, headers=await bearer(client, person.email))
        assert refused.status_code == status
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/api/v1/tenders/{tender_id}/award/decision-record" in schema["paths"]
