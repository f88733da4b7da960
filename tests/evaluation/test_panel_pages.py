"""The officer's evaluation pages: each lot's panel formed from the council's own people,
with errors per field, and the tender's conflicts of interest record; nobody outside the
council's officers reaches them, and a form sent without its CSRF token changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx

from app.clock import FixedClock
from app.platform import Platform
from app.tables import AuditEvent
from app.vocabulary import AuditAction
from evaluation.services import panels
from evaluation.tables import PanelMember
from tests.conftest import (
    assert_form_refused,
    buyer_officer,
    flash,
    html,
    post_form,
    provider_user,
    sign_in,
    title,
)
from tests.evaluation.factories import colleague, evaluation, open_tender
from tests.tenders.bid_factories import submitted_bid
from tests.tenders.factories import published_tender


@asynccontextmanager
async def browser(client: httpx.AsyncClient, email: str) -> AsyncIterator[httpx.AsyncClient]:
    """Another browser on the same server, signed in as ``email``."""
    async with httpx.AsyncClient(
        transport=client._transport, base_url=str(client.base_url)
    ) as someone:
        await sign_in(someone, email)
        yield someone


def words(element) -> str:
    return " ".join(element.text_content().split())


def summary(response: httpx.Response, lot_number: int) -> dict[str, str]:
    """A lot's panel as the panels page lists it: {"Evaluators": ..., "Moderator": ...}."""
    rows = html(response).xpath(f'//*[@data-testid="panel-{lot_number}"]/div')
    return {words(row.xpath("./dt")[0]): words(row.xpath("./dd")[0]) for row in rows}


async def test_the_officer_forms_a_lots_panel_from_the_councils_people(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=2)
    amy = await colleague(platform, officer, "Amy Evans")
    ben = await colleague(platform, officer, "Ben Hart")
    mo = await colleague(platform, officer, "Mo Reid")
    await sign_in(client, officer.email)
    panels_page = f"/tenders/{tender.id}/panels"

    listing = await client.get(panels_page)
    assert listing.status_code == 200
    assert title(listing).startswith("Evaluation panels: Children's community support framework")
    assert summary(listing, 1) == {"Evaluators": "None yet", "Moderator": "No moderator yet"}
    change = [words(a) for a in html(listing).xpath('//a[contains(@href, "/panel")]')]
    assert change == ["Change the panel for lot 1", "Change the panel for lot 2"]

    form_path = f"/tenders/{tender.id}/lots/{tender.lots[0].id}/panel"
    form = html(await client.get(form_path))
    people = [words(label) for label in form.xpath('//input[@name="evaluators"]/../label')]
    assert people == ["Amy Evans", "Ben Hart", "Mo Reid", "Priya Shah"]
    assert form.xpath('//input[@name="moderator"][@checked]/@value') == [""]

    chosen = {"evaluators": [str(amy.id), str(ben.id)], "moderator": str(mo.id)}
    saved = await post_form(client, form_path, chosen, page=form_path)
    assert saved.status_code == 303
    assert saved.headers["location"] == panels_page
    listing = await client.get(panels_page)
    assert flash(listing) == "The panel for lot 1 is saved"
    assert summary(listing, 1) == {"Evaluators": "Amy Evans, Ben Hart", "Moderator": "Mo Reid"}
    assert summary(listing, 2) == {"Evaluators": "None yet", "Moderator": "No moderator yet"}

    form = html(await client.get(form_path))
    assert set(form.xpath('//input[@name="evaluators"][@checked]/@value')) == {
        str(amy.id),
        str(ben.id),
    }
    assert form.xpath('//input[@name="moderator"][@checked]/@value') == [str(mo.id)]

    again = await post_form(client, form_path, chosen, page=form_path)
    assert again.status_code == 303
    assigned = await AuditEvent.count().where(
        AuditEvent.action == str(AuditAction.EVALUATION_PANEL_ASSIGN)
    )
    assert assigned == 3, "the same panel again changes nothing"


async def test_a_panel_with_problems_is_shown_again_with_each_fields_error(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    amy = await colleague(platform, officer, "Amy Evans")
    await sign_in(client, officer.email)
    form_path = f"/tenders/{tender.id}/lots/{tender.lots[0].id}/panel"

    nobody = await post_form(client, form_path, {"moderator": ""}, page=form_path)
    assert_form_refused(nobody, "evaluators", "Choose at least one evaluator", {})

    both = await post_form(
        client,
        form_path,
        {"evaluators": [str(amy.id)], "moderator": str(amy.id)},
        page=form_path,
    )
    assert_form_refused(
        both,
        "moderator",
        "The moderator cannot also score this lot",
        {"moderator": str(amy.id)},
    )
    assert html(both).xpath('//input[@name="evaluators"][@checked]/@value') == [str(amy.id)]
    assert await PanelMember.count() == 0


async def test_panels_and_the_conflicts_record_are_for_the_councils_officers_only(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock, bidders=1)
    other_council = await buyer_officer(
        platform, "sam.cole@derbyshire.example", "Derbyshire County Council"
    )
    provider = setup.providers[0]
    base = f"/tenders/{setup.tender.id}"
    form_path = f"{base}/lots/{setup.lot.id}/panel"
    pages = (f"{base}/panels", form_path, f"{base}/conflicts")
    before = await PanelMember.count()
    for email, status in (
        (provider.email, 403),
        (other_council.email, 404),
        (setup.evaluators[0].email, 403),
    ):
        async with browser(client, email) as someone:
            for page in pages:
                response = await someone.get(page)
                assert response.status_code == status, (email, page)
                assert "Mo Reid" not in response.text
            posted = await post_form(
                someone,
                form_path,
                {"evaluators": [str(setup.evaluators[0].id)], "moderator": ""},
                page="/account",
            )
            assert posted.status_code == status, email
    visitor = await client.get(pages[0])
    assert visitor.status_code == 303
    assert visitor.headers["location"].startswith("/sign-in")
    assert await PanelMember.count() == before


async def test_a_panel_sent_without_the_csrf_token_is_refused(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    amy = await colleague(platform, officer, "Amy Evans")
    await sign_in(client, officer.email)
    response = await client.post(
        f"/tenders/{tender.id}/lots/{tender.lots[0].id}/panel",
        data={"evaluators": [str(amy.id)], "moderator": ""},
    )
    assert response.status_code == 403
    assert await PanelMember.count() == 0


async def test_the_conflicts_record_lists_every_declaration_with_london_times(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock, declare=False, bidders=2)
    amy, ben = setup.evaluators
    ashby, birch = await panels.bidders(amy, setup.tender.id, setup.lot.id)
    await panels.declare(
        platform,
        amy,
        setup.tender.id,
        setup.lot.id,
        {ashby.organisation_id: (False, ""), birch.organisation_id: (False, "")},
    )
    clock.instant += timedelta(hours=1, minutes=30)
    await panels.declare(
        platform,
        amy,
        setup.tender.id,
        setup.lot.id,
        {
            ashby.organisation_id: (False, ""),
            birch.organisation_id: (True, "My sister manages Birch Homes' Leek office."),
        },
    )
    await sign_in(client, setup.officer.email)
    response = await client.get(f"/tenders/{setup.tender.id}/conflicts")
    assert response.status_code == 200
    assert title(response).startswith("Conflicts of interest record: ")
    rows = [
        [words(cell) for cell in row.xpath("./td")]
        for row in html(response).xpath('//*[@data-testid="conflicts"]/tbody/tr')
    ]
    assert rows == [
        [
            "Lot 1: Complex care",
            "Amy Evans",
            "Ashby Care",
            "No conflict",
            "",
            "12:00pm on Friday 11 December 2026",
            "12:00pm on Friday 11 December 2026",
        ],
        [
            "Lot 1: Complex care",
            "Amy Evans",
            "Birch Homes",
            "Conflict of interest",
            "My sister manages Birch Homes' Leek office.",
            "12:00pm on Friday 11 December 2026",
            "1:30pm on Friday 11 December 2026",
        ],
    ]
    assert ben.name not in response.text, "Ben has not declared yet"


async def test_the_tender_page_links_to_the_panels_and_once_opened_to_the_record(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    await submitted_bid(platform, await provider_user(platform), tender)
    await sign_in(client, officer.email)
    base = f"/tenders/{tender.id}"

    async def links() -> list[str]:
        page = await client.get(base)
        return html(page).xpath('//*[@data-testid="evaluation-links"]//a/@href')

    assert await links() == [f"{base}/panels"]
    await open_tender(platform, clock, officer, tender.id)
    await sign_in(client, officer.email)  # three weeks on: the session has expired
    assert await links() == [f"{base}/panels", f"{base}/conflicts"]


async def test_every_council_user_is_offered_their_evaluations(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    officer = await buyer_officer(platform)
    amy = await colleague(platform, officer, "Amy Evans")
    provider = await provider_user(platform)

    def navigation(response: httpx.Response) -> list[str]:
        return html(response).xpath('//*[contains(@class, "govuk-service-navigation")]//a/@href')

    for email, offered in ((officer.email, True), (amy.email, True), (provider.email, False)):
        async with browser(client, email) as someone:
            assert ("/evaluations" in navigation(await someone.get("/account"))) is offered
