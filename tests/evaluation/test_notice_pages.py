"""The notices on the award page and the bid page (rules 12 and 13): once the award is
approved, an officer issues the notices, reads the standstill in words, downloads each
notice as it was kept and confirms the award once the standstill is over, not before; each
bidder downloads its own from its bid and nobody else's. The same through the API."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from app.clock import FixedClock
from app.platform import Platform
from app.templating import london_time
from evaluation.services import notices
from evaluation.vocabulary import NoticeKind
from tenders.services.views import load_tender
from tenders.tables import Tender
from tenders.vocabulary import TenderStatus
from tests.conftest import bearer, buyer_officer, flash, html, post_form, sign_in
from tests.evaluation import test_notices
from tests.evaluation.factories import Evaluation
from tests.evaluation.test_award_pages import OTHER_COUNCIL, message, post_on_award
from tests.evaluation.test_moderation_pages import signed_in, words
from tests.evaluation.test_notices import BEFORE_CHRISTMAS

#: Moderated and approved by an officer on none of the panels.
approved = test_notices.approved

#: The last day of the standstill, late in the evening, and the morning after.
LAST_DAY_EVENING = datetime(2027, 1, 5, 23, 30, tzinfo=UTC)
DAY_AFTER = datetime(2027, 1, 6, 9, 0, tzinfo=UTC)


def award_url(setup: Evaluation) -> str:
    return f"/tenders/{setup.tender.id}/award"


async def status(setup: Evaluation) -> TenderStatus:
    tender = await load_tender(setup.tender.id)
    assert tender is not None
    return tender.stored_status


def assert_pdf_attachment(response: httpx.Response, filename: str) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith(f'attachment; filename="{filename}"')
    assert response.content.startswith(b"%PDF")


# The officer's journey --------------------------------------------------------------------


async def test_an_officer_issues_the_notices_downloads_them_and_confirms_after_standstill(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock, approved: Evaluation
) -> None:
    clock.instant = BEFORE_CHRISTMAS
    url = award_url(approved)
    await sign_in(client, approved.officer.email)
    page = await client.get(url)
    assert html(page).xpath(f'//form[@action="{url}/notices"]//button')
    assert not html(page).xpath(f'//form[@action="{url}/confirm"]')

    issued = await post_form(client, f"{url}/notices", {}, page=url)
    assert issued.status_code == 303
    assert issued.headers["location"] == f"{url}#notices"
    page = await client.get(issued.headers["location"])
    assert flash(page) == f"The notices were issued at {london_time(BEFORE_CHRISTMAS)}"
    assert words(html(page).xpath('//*[@data-testid="standstill"]')[0]) == (
        "The standstill's last day is Tuesday 5 January 2027; the award can be confirmed "
        "from Wednesday 6 January 2027."
    )
    assert not html(page).xpath(f'//form[@action="{url}/notices"]')

    kept = await notices.notice_files(approved.officer, approved.tender.id)
    links = html(page).xpath('//tr[@data-testid="notice"]//a/@href')
    assert sorted(links) == sorted(f"{url}/notices/{notice.id}" for notice in kept)
    assert len(links) == 7
    award_notice = next(n for n in kept if n.kind is NoticeKind.AWARD_NOTICE)
    download = await client.get(f"{url}/notices/{award_notice.id}")
    assert_pdf_attachment(download, award_notice.filename)

    # Sessions time out over a fortnight: sign in again after each jump of the clock.
    clock.instant = LAST_DAY_EVENING
    await sign_in(client, approved.officer.email)
    early = await post_form(client, f"{url}/confirm", {}, page=url)
    assert early.status_code == 409
    assert message(early) == (
        "The standstill ends at midnight at the end of Tuesday 5 January 2027: the award can "
        "be confirmed from Wednesday 6 January 2027."
    )
    assert await status(approved) is TenderStatus.AWARD_APPROVED

    clock.instant = DAY_AFTER
    await sign_in(client, approved.officer.email)
    confirmed = await post_form(client, f"{url}/confirm", {}, page=url)
    assert confirmed.status_code == 303
    page = await client.get(confirmed.headers["location"])
    assert flash(page) == "You confirmed the award. The tender is now awarded"
    assert words(html(page).xpath('//*[@data-testid="awarded"]')[0]) == (
        f"The award was confirmed at {london_time(DAY_AFTER)}. The tender is awarded."
    )
    assert not html(page).xpath(f'//form[@action="{url}/confirm"]')
    assert await status(approved) is TenderStatus.AWARDED


async def test_the_page_says_when_no_standstill_applies(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock, approved: Evaluation
) -> None:
    await Tender.update({Tender.standstill_applies: False}).where(Tender.id == approved.tender.id)
    clock.instant = BEFORE_CHRISTMAS
    await notices.issue(platform, approved.officer, approved.tender.id)
    await sign_in(client, approved.officer.email)
    page = await client.get(award_url(approved))
    assert words(html(page).xpath('//*[@data-testid="standstill"]')[0]) == (
        "No standstill applies to this tender: the award can be confirmed at once."
    )


# The bidder's downloads -------------------------------------------------------------------


async def test_a_bidder_downloads_its_own_notices_from_its_bid_and_nobody_elses(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock, approved: Evaluation
) -> None:
    ashby, birch, _ = approved.providers
    ashby_bid = approved.bid_ids[0]
    clock.instant = BEFORE_CHRISTMAS
    await sign_in(client, ashby.email)
    before = await client.get(f"/bids/{ashby_bid}")
    assert before.status_code == 200
    assert not html(before).xpath('//*[@data-testid="notices"]')

    await notices.issue(platform, approved.officer, approved.tender.id)
    page = await client.get(f"/bids/{ashby_bid}")
    assert words(html(page).xpath('//h2[@id="decision"]')[0]) == "Decision on this tender"
    own = await notices.notice_files(ashby, approved.tender.id)
    links = html(page).xpath('//*[@data-testid="notices"]//a/@href')
    assert sorted(links) == sorted(f"/bids/{ashby_bid}/notices/{n.id}" for n in own)
    summary = next(n for n in own if n.kind is NoticeKind.ASSESSMENT_SUMMARY)
    assert_pdf_attachment(
        await client.get(f"/bids/{ashby_bid}/notices/{summary.id}"), summary.filename
    )

    theirs = await notices.notice_files(birch, approved.tender.id)
    birch_summary = next(n for n in theirs if n.kind is NoticeKind.ASSESSMENT_SUMMARY)
    refused = await client.get(f"/bids/{ashby_bid}/notices/{birch_summary.id}")
    assert refused.status_code == 404
    # Nor through the other bidder's bid.
    other_bid = await client.get(f"/bids/{approved.bid_ids[1]}/notices/{birch_summary.id}")
    assert other_bid.status_code == 404


# Refusals ---------------------------------------------------------------------------------


async def test_an_evaluator_is_refused_and_another_council_finds_nothing(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock, approved: Evaluation
) -> None:
    clock.instant = BEFORE_CHRISTMAS
    await sign_in(client, approved.evaluators[0].email)
    for action in ("notices", "confirm"):
        assert (await post_on_award(client, approved, action)).status_code == 403
    other = await buyer_officer(platform, *OTHER_COUNCIL)
    async with signed_in(client, other.email) as browser:
        for action in ("notices", "confirm"):
            assert (await post_on_award(browser, approved, action)).status_code == 404
    assert await status(approved) is TenderStatus.AWARD_APPROVED
    assert await notices.standstill_of(approved.officer, approved.tender.id) is None


async def test_issuing_without_the_csrf_token_is_refused(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock, approved: Evaluation
) -> None:
    await sign_in(client, approved.officer.email)
    for action in ("notices", "confirm"):
        refused = await client.post(f"{award_url(approved)}/{action}", data={})
        assert refused.status_code == 403
    assert await notices.standstill_of(approved.officer, approved.tender.id) is None


# The API ----------------------------------------------------------------------------------


async def test_the_api_issues_lists_downloads_and_confirms(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock, approved: Evaluation
) -> None:
    url = f"/api/v1/tenders/{approved.tender.id}/award"
    clock.instant = BEFORE_CHRISTMAS
    headers = await bearer(client, approved.officer.email)
    assert (await client.get(f"{url}/notices", headers=headers)).status_code == 404
    assert (await client.post(f"{url}/confirm", headers=headers)).status_code == 409

    issued = await client.post(f"{url}/notices", headers=headers)
    assert issued.status_code == 200
    assert issued.json() == {
        "notices_issued_at": "2026-12-22T10:00:00Z",
        "last_day": "2027-01-05",
        "confirmable_from": "2027-01-06",
        "confirmed_at": None,
    }
    listed = await client.get(f"{url}/notices", headers=headers)
    assert listed.status_code == 200
    assert len(listed.json()) == 7
    first = listed.json()[0]
    assert_pdf_attachment(
        await client.get(f"{url}/notices/{first['id']}", headers=headers), first["filename"]
    )

    clock.instant = LAST_DAY_EVENING
    headers = await bearer(client, approved.officer.email)
    early = await client.post(f"{url}/confirm", headers=headers)
    assert early.status_code == 409
    assert "confirmed from Wednesday 6 January 2027" in early.text
    clock.instant = DAY_AFTER
    headers = await bearer(client, approved.officer.email)
    confirmed = await client.post(f"{url}/confirm", headers=headers)
    assert confirmed.status_code == 200
    assert confirmed.json()["confirmed_at"] == "2027-01-06T09:00:00Z"
    assert await status(approved) is TenderStatus.AWARDED

    evaluator = await bearer(client, approved.evaluators[0].email)
    assert (await client.post(f"{url}/notices", headers=evaluator)).status_code == 403
    assert (await client.get(f"{url}/notices", headers=evaluator)).status_code == 403
