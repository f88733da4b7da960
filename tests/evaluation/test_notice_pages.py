"""The notices on the award page and the decision on a bid (rules 12 and 13): once the award
is approved, an officer issues the notices, reads the standstill in words, downloads each
notice as it was kept and confirms the award once the standstill is over, not before; each
bidder reads the decision on its bid (the standstill, then its own outcome once confirmed)
and downloads its own notices there, and nobody else's. The same through the API."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from lxml.html import HtmlElement

from app.clock import FixedClock
from app.platform import Platform
from app.templating import london_time
from evaluation.services import awards, notices
from evaluation.vocabulary import NoticeKind
from tenders.services.views import load_tender
from tenders.tables import Tender
from tenders.vocabulary import TenderStatus
from tests.app.test_pages import SUFFIX
from tests.conftest import (
    bearer,
    buyer_officer,
    flash,
    html,
    post_form,
    provider_user,
    sign_in,
    title,
)
from tests.evaluation import test_award_outcomes, test_awards, test_notices
from tests.evaluation.factories import Evaluation
from tests.evaluation.test_award_outcomes import CONFIRMED
from tests.evaluation.test_award_pages import OTHER_COUNCIL, post_on_award
from tests.evaluation.test_moderation_pages import signed_in, words
from tests.evaluation.test_notices import BEFORE_CHRISTMAS

#: Moderated and approved by an officer on none of the panels.
approved = test_notices.approved
#: Signed off, not yet approved.
moderated = test_awards.moderated
#: A lot awarding one provider, its notices issued: Birch Homes 1st, Ashby Care 2nd, Cedar
#: Support excluded.
issued = test_award_outcomes.issued

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
    # Back on the award page, with why and from when in its error summary.
    assert words(html(early).xpath('//*[contains(@class, "govuk-error-summary")]')[0]).endswith(
        "The standstill ends at midnight at the end of Tuesday 5 January 2027: the award can "
        "be confirmed from Wednesday 6 January 2027"
    )
    assert title(early).startswith("Error: Award")
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


# The bidder's decision ---------------------------------------------------------------------


def decision_url(bid_id: object) -> str:
    return f"/bids/{bid_id}/decision"


def outcome_row(page: httpx.Response) -> HtmlElement:
    [row] = html(page).xpath('//tr[@data-testid="outcome"]')
    return row


def tag(row: HtmlElement) -> tuple[str, str] | None:
    """The outcome's tag as the bidder sees it, with its colour class (if any)."""
    tags = row.xpath('.//*[contains(@class, "govuk-tag")]')
    if not tags:
        return None
    colours = [c for c in tags[0].get("class").split() if c.startswith("govuk-tag--")]
    return words(tags[0]), " ".join(colours)


async def test_the_bid_page_links_to_the_decision_once_the_award_is_approved(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock, moderated: Evaluation
) -> None:
    ashby = moderated.providers[0]
    ashby_bid = moderated.bid_ids[0]
    await sign_in(client, ashby.email)
    before = await client.get(f"/bids/{ashby_bid}")
    assert before.status_code == 200
    assert not html(before).xpath('//h2[@id="decision"]')
    assert not html(before).xpath(f'//a[@href="{decision_url(ashby_bid)}"]')

    made = await awards.make_report(platform, moderated.officer, moderated.tender.id)
    await awards.approve(
        platform, moderated.officer, moderated.tender.id, report_sha256=made.sha256, reasons="Best"
    )
    page = await client.get(f"/bids/{ashby_bid}")
    assert words(html(page).xpath('//h2[@id="decision"]')[0]) == "Decision on this tender"
    [link] = html(page).xpath('//*[@data-testid="decision"]//a')
    assert (link.get("href"), words(link)) == (
        decision_url(ashby_bid),
        "See the council's decision and download your notices",
    )


async def test_before_the_notices_are_issued_the_bidder_reads_that_no_decision_is_made(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock, approved: Evaluation
) -> None:
    ashby = approved.providers[0]
    await sign_in(client, ashby.email)
    page = await client.get(decision_url(approved.bid_ids[0]))
    assert page.status_code == 200
    assert title(page) == f"Decision on {approved.tender.title}{SUFFIX}"
    assert words(html(page).xpath("//h1")[0]) == f"Decision on {approved.tender.title}"
    assert words(html(page).xpath('//*[@data-testid="not-issued"]')[0]).startswith(
        f"{approved.tender.buyer_name} has not issued its decision on this tender yet."
    )
    for shown in ("standstill", "outcomes", "notices"):
        assert not html(page).xpath(f'//*[@data-testid="{shown}"]'), shown
    assert html(page).xpath(f'//a[@href="/bids/{approved.bid_ids[0]}"]')


async def test_during_the_standstill_the_bidder_reads_its_last_day_and_notices_and_no_outcome(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock, issued: Evaluation
) -> None:
    ashby = issued.providers[0]
    ashby_bid = issued.bid_ids[0]
    await sign_in(client, ashby.email)
    page = await client.get(decision_url(ashby_bid))
    assert page.status_code == 200
    assert words(html(page).xpath('//*[@data-testid="standstill"]')[0]) == (
        "The standstill period ends at midnight at the end of Tuesday 5 January 2027. The "
        "council will not confirm the award before then."
    )
    assert not html(page).xpath('//*[@data-testid="confirmed"]')
    row = outcome_row(page)
    assert words(row.xpath("./th")[0]) == f"Lot 1: {issued.lot.name}"
    assert words(row.xpath("./td")[0]) == "Awaiting confirmation after the standstill"
    assert tag(row) is None
    headers = [words(th) for th in html(page).xpath('//table[@data-testid="outcomes"]//thead//th')]
    assert headers == ["Lot", "Outcome"]

    own = await notices.notice_files(ashby, issued.tender.id)
    notice_rows = html(page).xpath('//tr[@data-testid="notice"]')
    assert sorted(
        (words(row.xpath("./td")[0]), row.xpath(".//a/@href")[0]) for row in notice_rows
    ) == sorted((n.kind.label, f"/bids/{ashby_bid}/notices/{n.id}") for n in own)
    assert {n.kind for n in own} == set(NoticeKind)
    letter = next(n for n in own if n.kind is NoticeKind.DECISION_LETTER)
    assert f"(PDF, {letter.size:,} bytes)" in words(
        html(page).xpath(f'//tr[@data-notice="{letter.id}"]//a')[0]
    )
    assert_pdf_attachment(
        await client.get(f"/bids/{ashby_bid}/notices/{letter.id}"), letter.filename
    )


async def test_once_confirmed_each_bidder_reads_its_own_outcome(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock, issued: Evaluation
) -> None:
    clock.instant = CONFIRMED
    await notices.confirm(platform, issued.officer, issued.tender.id)
    expected = {
        # Ashby Care, Birch Homes, Cedar Support.
        0: (("Unsuccessful", ""), "Unsuccessful Ranked 2nd"),
        1: (("Successful", "govuk-tag--green"), "Successful Ranked 1st"),
        2: (
            ("Excluded", "govuk-tag--red"),
            "Excluded Why your bid was excluded: failed question 1 (a pass or fail question)",
        ),
    }
    for place, (shown_tag, cell) in expected.items():
        provider, bid_id = issued.providers[place], issued.bid_ids[place]
        async with signed_in(client, provider.email) as browser:
            page = await browser.get(decision_url(bid_id))
        assert page.status_code == 200, provider.email
        row = outcome_row(page)
        assert (tag(row), words(row.xpath("./td")[0])) == (shown_tag, cell), provider.email
        assert words(html(page).xpath('//*[@data-testid="standstill"]')[0]) == (
            "The standstill period ended at midnight at the end of Tuesday 5 January 2027."
        )
        assert words(html(page).xpath('//*[@data-testid="confirmed"]')[0]) == (
            "The council confirmed the award on Wednesday 6 January 2027."
        )


async def test_the_decision_says_when_no_standstill_applies(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock, approved: Evaluation
) -> None:
    await Tender.update({Tender.standstill_applies: False}).where(Tender.id == approved.tender.id)
    clock.instant = BEFORE_CHRISTMAS
    await notices.issue(platform, approved.officer, approved.tender.id)
    await sign_in(client, approved.providers[0].email)
    page = await client.get(decision_url(approved.bid_ids[0]))
    assert words(html(page).xpath('//*[@data-testid="standstill"]')[0]) == (
        "No standstill period applies to this tender."
    )
    assert words(outcome_row(page).xpath("./td")[0]) == "Awaiting confirmation of the award"


async def test_a_bidder_downloads_its_own_notices_from_its_bid_and_nobody_elses(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock, approved: Evaluation
) -> None:
    ashby, birch, _ = approved.providers
    ashby_bid = approved.bid_ids[0]
    clock.instant = BEFORE_CHRISTMAS
    await notices.issue(platform, approved.officer, approved.tender.id)
    await sign_in(client, ashby.email)
    page = await client.get(decision_url(ashby_bid))
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


async def test_nobody_but_the_bidder_reads_the_decision_on_its_bid(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock, issued: Evaluation
) -> None:
    clock.instant = CONFIRMED
    await notices.confirm(platform, issued.officer, issued.tender.id)
    ashby_bid = issued.bid_ids[0]
    stranger = await provider_user(platform, "ade@lichfield-care.example", "Lichfield Homecare")
    # Another bidder, a provider that did not bid, the council's officer and its evaluator:
    # not found, as the bid itself is (rules 2 and 4).
    for person in (issued.providers[1], stranger, issued.officer, issued.evaluators[0]):
        async with signed_in(client, person.email) as browser:
            refused = await browser.get(decision_url(ashby_bid))
        assert refused.status_code == 404, person.email
        assert "Ranked" not in refused.text
        assert "Decision on" not in refused.text
    visitor = await client.get(decision_url(ashby_bid))
    assert visitor.status_code == 303
    assert visitor.headers["location"].startswith("/sign-in")


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
