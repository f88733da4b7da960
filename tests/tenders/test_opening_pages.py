"""Officers' pages for sealed bids: counts only before opening, opening after the deadline,
then reading each bid (every read audited); and the provider's receipt as a PDF."""

from __future__ import annotations

import io

import httpx
from pypdf import PdfReader

from app.clock import FixedClock
from app.platform import Platform
from app.tables import AuditEvent
from app.vocabulary import AuditAction
from tests.conftest import (
    bearer,
    buyer_officer,
    evaluator,
    html,
    post_form,
    provider_user,
    sign_in,
)
from tests.tenders.bid_factories import ANSWER, submitted_bid
from tests.tenders.factories import DEADLINE, published_tender


async def _reads() -> int:
    return await AuditEvent.count().where(AuditEvent.action == str(AuditAction.BID_CONTENT_READ))


async def _tender_with_a_bid(platform: Platform):
    officer = await buyer_officer(platform)
    provider = await provider_user(platform)
    tender = await published_tender(platform, officer)
    bid_id, submission = await submitted_bid(platform, provider, tender, lots=2)
    return officer, provider, tender, bid_id, submission


async def test_before_opening_the_officer_sees_counts_and_nothing_of_the_content(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    officer, _, tender, bid_id, submission = await _tender_with_a_bid(platform)
    await sign_in(client, officer.email)
    page = await client.get(f"/tenders/{tender.id}")
    counts = html(page).xpath('//*[@data-testid="bid-counts"]/li')
    assert [" ".join(li.text_content().split()) for li in counts] == [
        "Lot 1: Complex care: 1 bid",
        "Lot 2: Overnight: 1 bid",
        "Lot 3: Nursing: 0 bids",
    ]
    assert ANSWER not in page.text
    assert submission.digest not in page.text
    assert "Open the bids" not in page.text, "no opening before the deadline"
    for path in (
        f"/tenders/{tender.id}/bids",
        f"/tenders/{tender.id}/bids/{bid_id}",
        f"/bids/{bid_id}/submissions/{submission.id}/receipt.pdf",
    ):
        response = await client.get(path)
        assert response.status_code in (403, 404), path
        assert ANSWER not in response.text
    refused = await post_form(
        client, f"/tenders/{tender.id}/open", {}, page=f"/tenders/{tender.id}"
    )
    assert refused.status_code == 409
    assert "12:00pm on Friday 11 December 2026" in refused.text
    assert await _reads() == 0


async def test_after_the_deadline_the_officer_opens_and_every_read_is_audited(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    officer, _, tender, bid_id, submission = await _tender_with_a_bid(platform)
    clock.instant = DEADLINE
    await sign_in(client, officer.email)
    build = await client.get(f"/tenders/{tender.id}")
    assert "Open the bids" in build.text
    opened = await post_form(client, f"/tenders/{tender.id}/open", {}, page=f"/tenders/{tender.id}")
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/tenders/{tender.id}/bids"
    listing = await client.get(opened.headers["location"])
    assert "Bids opened: 1. Every seal matches" in listing.text
    assert "Moorlands Supported Living CIC" in listing.text
    assert await _reads() == 0, "the list names bidders; it shows no content"
    bid_page = await client.get(f"/tenders/{tender.id}/bids/{bid_id}")
    assert bid_page.status_code == 200
    assert ANSWER in bid_page.text
    assert html(bid_page).xpath('string(//*[@data-testid="digest"])') == submission.digest
    await client.get(f"/tenders/{tender.id}/bids/{bid_id}")
    assert await _reads() == 2


async def test_other_councils_and_evaluators_cannot_read_opened_bids(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    officer, _, tender, bid_id, _ = await _tender_with_a_bid(platform)
    clock.instant = DEADLINE
    await sign_in(client, officer.email)
    await post_form(client, f"/tenders/{tender.id}/open", {}, page=f"/tenders/{tender.id}")
    other = await buyer_officer(
        platform, email="sam@stoke.example", organisation="Stoke-on-Trent City Council"
    )
    panel_member = await evaluator(platform, officer)
    for email, status in ((other.email, 404), (panel_member.email, 403)):
        async with httpx.AsyncClient(
            transport=client._transport, base_url=str(client.base_url)
        ) as someone:
            await sign_in(someone, email)
            response = await someone.get(f"/tenders/{tender.id}/bids/{bid_id}")
            assert response.status_code == status, email
            assert ANSWER not in response.text
    assert await _reads() == 0


async def test_the_provider_downloads_its_receipt_as_a_pdf_with_the_seal(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    _, provider, _, bid_id, submission = await _tender_with_a_bid(platform)
    await sign_in(client, provider.email)
    response = await client.get(f"/bids/{bid_id}/submissions/{submission.id}/receipt.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("attachment")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert submission.digest in text
    assert str(submission.id) in text
    assert "10:00am on Monday 23 November 2026" in text
    assert "2026-11-23 10:00:00 UTC" in text
    again = await client.get(f"/bids/{bid_id}/submissions/{submission.id}/receipt.pdf")
    assert again.content == response.content


async def test_another_provider_cannot_reach_the_receipt(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    _, _, _, bid_id, submission = await _tender_with_a_bid(platform)
    rival = await provider_user(
        platform, email="amir@rival-care.example", organisation="Rival Care Ltd"
    )
    await sign_in(client, rival.email)
    response = await client.get(f"/bids/{bid_id}/submissions/{submission.id}/receipt.pdf")
    assert response.status_code == 404
    api = await client.get(
        f"/api/v1/bids/{bid_id}/submissions/{submission.id}/receipt.pdf",
        headers={"Accept": "application/json"},
    )
    assert api.status_code in (401, 404)


async def test_the_api_gives_the_receipt_pdf_to_its_bidder_only(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    _, provider, _, bid_id, submission = await _tender_with_a_bid(platform)
    rival = await provider_user(
        platform, email="amir@rival-care.example", organisation="Rival Care Ltd"
    )
    path = f"/api/v1/bids/{bid_id}/submissions/{submission.id}/receipt.pdf"

    own = await client.get(path, headers=await bearer(client, provider.email))
    assert own.status_code == 200
    assert own.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(own.content)).pages)
    assert submission.digest in text

    refused = await client.get(path, headers=await bearer(client, rival.email))
    assert refused.status_code == 404
    assert submission.digest not in refused.text
    assert (await client.get(path)).status_code == 401
