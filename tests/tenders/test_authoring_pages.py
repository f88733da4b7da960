"""Officers build, preview and publish their council's tenders through the pages."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app import accounts
from app.clock import LONDON
from tenders.services import authoring
from tenders.tables import Lot, PriceItem, Question, Section, Tender
from tenders.vocabulary import TenderStatus
from tests.conftest import (
    PASSWORD,
    assert_form_refused,
    buyer_officer,
    count_rows,
    csrf_token,
    evaluator,
    flash,
    html,
    post_form,
    provider_user,
    sign_in,
    title,
)
from tests.tenders.factories import details, draft_tender, london_parts, published_tender

OTHER_COUNCIL = ("ravi@tamworth.example", "Tamworth Borough Council")


def _text(response) -> str:
    return " ".join(html(response).text_content().split())


def _summary(response) -> dict[str, str]:
    """The error summary: each message and where it links to."""
    return {
        " ".join(link.text_content().split()): link.get("href")
        for link in html(response).xpath('//*[contains(@class, "govuk-error-summary")]//li/a')
    }


async def _officer(client, platform):
    officer = await buyer_officer(platform)
    await sign_in(client, officer.email)
    return officer


async def test_an_officer_builds_a_three_lot_tender_through_the_pages(client, platform):
    officer = await _officer(client, platform)
    page = await client.get("/tenders")
    assert page.status_code == 200
    assert html(page).xpath('//*[@data-testid="empty"]')
    assert html(page).xpath('//a[@href="/tenders/new"][contains(., "Create a tender")]')

    created = await post_form(client, "/tenders/new", details(), page="/tenders/new")
    assert created.status_code == 303
    base = created.headers["location"]
    tender_id = base.rsplit("/", 1)[1]

    for name, service, districts in (
        ("Complex care", "complex_care", ["North"]),
        ("Overnight", "overnight", ["Stafford", "Tamworth"]),
        ("Nursing", "nursing", ["South"]),
    ):
        response = await client.post(
            f"{base}/lots/new",
            data={
                "_csrf_token": await csrf_token(client, f"{base}/lots/new"),
                "name": name,
                "service_type": service,
                "districts": districts,
                "complexity_band": "complex",
                "award_mode": "number",
                "providers_to_award": "3",
            },
        )
        assert response.status_code == 303, response.text
    for name, kind, weight in (
        ("Quality", "quality", "40"),
        ("Price", "price", "40"),
        ("Outcomes", "quality", "20"),
    ):
        response = await post_form(
            client,
            f"{base}/sections/new",
            {"name": name, "kind": kind, "weight": weight},
            page=f"{base}/sections/new",
        )
        assert response.status_code == 303, response.text

    tender = await authoring.own_tender(officer, tender_id)
    quality = str(tender.sections[0].id)
    response = await post_form(
        client,
        f"{base}/questions/new",
        {
            "section": quality,
            "lot": "all",
            "kind": "scale",
            "text": "How will you keep children safe?",
            "word_limit": "500",
            "weight": "100",
            "minimum_score": "2",
        },
        page=f"{base}/questions/new",
    )
    assert response.status_code == 303, response.text
    response = await post_form(
        client,
        f"{base}/questions/new",
        # Without JavaScript the weight field is visible for every kind: it is ignored.
        {"section": quality, "lot": "all", "kind": "pass_fail", "text": "CQC?", "weight": "x"},
        page=f"{base}/questions/new",
    )
    assert response.status_code == 303, response.text
    response = await post_form(
        client,
        f"{base}/outcome-tests",
        {"section": str(tender.sections[2].id), "lot": str(tender.lots[0].id)},
        page=base,
    )
    assert response.status_code == 303
    assert flash(await client.get(base)) == "15 outcome tests added"

    for lot in tender.lots:
        response = await post_form(
            client,
            f"{base}/lots/{lot.id}/prices/new",
            {
                "description": "Support worker, daytime",
                "unit": "hour_daytime",
                "volume": "5200",
                "reference_price": "£15.87",
                "minimum_call_minutes": "60",
            },
            page=f"{base}/lots/{lot.id}/prices/new",
        )
        assert response.status_code == 303, response.text

    build = await client.get(base)
    page = html(build)
    assert page.xpath('//*[@id="lot-3"][contains(., "Lot 3: Nursing")]')
    assert "Newcastle-under-Lyme, Staffordshire Moorlands" in _text(build)
    assert page.xpath('//*[@data-testid="weights-total"]')[0].text_content().strip() == "100%"
    assert len(page.xpath('//*[@data-testid="question"]')) == 17
    assert "£15.87" in _text(build)

    preview = await client.get(f"{base}/preview")
    assert preview.status_code == 200
    assert "Children's community support framework" in _text(preview)
    assert "Overnight" in _text(preview)
    assert html(preview).xpath('//*[@data-testid="preview"]')
    assert title(preview).startswith("Preview: Children's community support framework")

    confirm = await client.get(f"{base}/publish")
    assert title(confirm).startswith("Publish this tender?")
    published = await post_form(client, f"{base}/publish", {}, page=f"{base}/publish")
    assert published.status_code == 303
    assert published.headers["location"] == base
    after = await client.get(base)
    assert flash(after) == "Tender published"
    assert html(after).xpath('//*[@data-testid="frozen"]')
    assert html(after).xpath(f'//a[@href="{base}/extend"]')
    assert html(after).xpath(f'//a[@href="{base}/cancel"]')
    assert not html(after).xpath(f'//a[@href="{base}/lots/new"]')
    listing = await client.get("/tenders")
    row = html(listing).xpath('//*[@data-testid="tender-row"]')[0]
    assert "Published" in row.text_content()
    assert (await Tender.select(Tender.status).first())["status"] == TenderStatus.PUBLISHED


async def test_the_list_shows_each_status_newest_first(client, platform, clock):
    officer = await _officer(client, platform)
    await published_tender(platform, officer, title="First, published")
    clock.advance(timedelta(minutes=1))
    await draft_tender(platform, officer, title="Second, a draft")
    other = await buyer_officer(platform, *OTHER_COUNCIL)
    await draft_tender(platform, other, title="Tamworth's own")
    page = await client.get("/tenders")
    rows = [" ".join(r.text_content().split()) for r in html(page).xpath("//tbody/tr")]
    assert len(rows) == 2
    assert "Second, a draft" in rows[0]
    assert "Draft" in rows[0]
    assert "First, published" in rows[1]
    assert "Published" in rows[1]


async def test_a_published_tender_is_listed_closed_after_its_deadline(client, platform, clock):
    officer = await _officer(client, platform)
    tender = await published_tender(platform, officer)
    clock.instant = tender.submission_deadline
    await sign_in(client, officer.email)  # the session of three weeks ago has expired
    page = await client.get("/tenders")
    assert "Closed" in html(page).xpath('//*[@data-testid="tender-row"]')[0].text_content()


# Who may use the pages ------------------------------------------------------------------


def _pages(tender_id, lot_id, section_id, question_id, item_id):
    base = f"/tenders/{tender_id}"
    gets = [
        base,
        f"{base}/edit",
        f"{base}/lots/new",
        f"{base}/lots/{lot_id}",
        f"{base}/sections/new",
        f"{base}/sections/{section_id}",
        f"{base}/questions/new",
        f"{base}/lots/{lot_id}/prices/new",
        f"{base}/preview",
        f"{base}/publish",
    ]
    posts = [
        (f"{base}/edit", details(title="Taken over")),
        (f"{base}/lots/new", {"name": "X", "service_type": "nursing", "districts": "Tamworth"}),
        (
            f"{base}/lots/{lot_id}",
            {"name": "X", "service_type": "nursing", "districts": "Tamworth"},
        ),
        (f"{base}/lots/{lot_id}/remove", {}),
        (f"{base}/sections/new", {"name": "X", "kind": "quality", "weight": "10"}),
        (f"{base}/sections/{section_id}", {"name": "X", "kind": "quality", "weight": "10"}),
        (
            f"{base}/questions/new",
            {"section": str(section_id), "kind": "pass_fail", "text": "X"},
        ),
        (f"{base}/questions/{question_id}/remove", {}),
        (f"{base}/outcome-tests", {"section": str(section_id)}),
        (
            f"{base}/lots/{lot_id}/prices/new",
            {"description": "X", "unit": "hour_daytime", "volume": "1"},
        ),
        (f"{base}/lots/{lot_id}/prices/{item_id}/remove", {}),
        (f"{base}/publish", {"confirmed": "yes"}),
    ]
    return gets, posts


async def _draft_ids(platform, officer):
    tender = await authoring.own_tender(officer, await draft_tender(platform, officer))
    lot = tender.lots[0]
    section = tender.sections[0]
    return tender.id, lot.id, section.id, section.questions[0].id, lot.price_items[0].id


@pytest.mark.parametrize("who", ["provider", "evaluator"])
async def test_providers_and_evaluators_are_refused_every_authoring_page(client, platform, who):
    officer = await buyer_officer(platform)
    ids = await _draft_ids(platform, officer)
    outsider = (
        await provider_user(platform) if who == "provider" else await evaluator(platform, officer)
    )
    await sign_in(client, outsider.email)
    before = await count_rows()
    gets, posts = _pages(*ids)
    for url in ["/tenders", "/tenders/new", *gets]:
        assert (await client.get(url)).status_code == 403, url
    for url, data in [("/tenders/new", details()), *posts]:
        assert (await post_form(client, url, data, page="/account")).status_code == 403, url
    assert await count_rows() == before


async def test_another_councils_officer_finds_none_of_the_pages(client, platform):
    officer = await buyer_officer(platform)
    ids = await _draft_ids(platform, officer)
    other = await buyer_officer(platform, *OTHER_COUNCIL)
    await sign_in(client, other.email)
    before = await count_rows()
    gets, posts = _pages(*ids)
    for url in gets:
        assert (await client.get(url)).status_code == 404, url
    for url, data in posts:
        assert (await post_form(client, url, data, page="/tenders")).status_code == 404, url
    assert await count_rows() == before
    assert "Taken over" not in [row["title"] for row in await Tender.select(Tender.title)]


async def test_every_authoring_page_shows_the_officer_a_titled_page(client, platform):
    officer = await _officer(client, platform)
    gets, _ = _pages(*await _draft_ids(platform, officer))
    for url in ["/tenders", "/tenders/new", *gets]:
        response = await client.get(url)
        assert response.status_code == 200, url
        page_title = title(response).removesuffix(" \N{EN DASH} caretender")
        assert page_title, url
        assert page_title != title(response), url
    tender = await authoring.own_tender(officer, gets[0].rsplit("/", 1)[1])
    lot_form = html(await client.get(gets[3]))
    assert lot_form.xpath('//input[@name="name"]/@value') == ["Complex care"]
    ticked = lot_form.xpath('//input[@name="districts"][@checked]/@value')
    assert ticked == list(tender.lots[0].districts)
    edit = html(await client.get(gets[1]))
    assert edit.xpath('//input[@name="submission_deadline-time"]/@value') == ["12:00"]
    assert edit.xpath('//input[@name="version"]/@value') == [str(tender.version)]


async def test_a_visitor_is_sent_to_sign_in(client, platform):
    response = await client.get("/tenders/new")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in?next=")


async def test_a_form_posted_without_its_csrf_token_is_refused(client, platform):
    await _officer(client, platform)
    response = await client.post("/tenders/new", data=details())
    assert response.status_code == 403
    assert await Tender.count() == 0


# Frozen after publication ---------------------------------------------------------------


async def test_every_structural_change_after_publication_is_refused_with_the_reason(
    client, platform
):
    officer = await _officer(client, platform)
    tender = await published_tender(platform, officer)
    lot, section = tender.lots[0], tender.sections[0]
    _, posts = _pages(tender.id, lot.id, section.id, section.questions[0].id, lot.price_items[0].id)
    before = await count_rows()
    for url, data in posts[:-1]:
        response = await post_form(client, url, data, page="/tenders")
        assert response.status_code == 409, url
        assert "can no longer change" in _text(response), url
    for url in (f"/tenders/{tender.id}/edit", f"/tenders/{tender.id}/lots/new"):
        response = await client.get(url)
        assert response.status_code == 409
        assert "can no longer change" in _text(response)
    again = await post_form(client, f"/tenders/{tender.id}/publish", {}, page="/tenders")
    assert again.status_code == 409
    assert "already been published" in _text(again)
    assert await count_rows() == before


# Publishing -----------------------------------------------------------------------------


async def test_publishing_an_invalid_tender_lists_each_problem_with_where_to_fix_it(
    client, platform
):
    officer = await _officer(client, platform)
    tender_id = await authoring.create_tender(platform, officer, details())
    await authoring.add_lot(
        platform,
        officer,
        str(tender_id),
        {"name": "Overnight", "service_type": "overnight", "districts": ["Tamworth"]},
    )
    await authoring.add_section(
        platform, officer, str(tender_id), {"name": "Quality", "weight": "60"}
    )
    base = f"/tenders/{tender_id}"
    response = await post_form(client, f"{base}/publish", {}, page=f"{base}/publish")
    assert response.status_code == 400
    assert title(response).startswith("Error: Publish this tender?")
    assert _summary(response) == {
        "Section weights must add up to 100 (they add up to 60)": f"{base}#sections",
        "Lot 1 (Overnight) has no questions": f"{base}#lot-1",
        "Section 1 (Quality) has no questions": f"{base}#section-1",
    }
    build = html(await client.get(base))
    for anchor in ("sections", "lot-1", "section-1"):
        assert build.xpath(f'//*[@id="{anchor}"]'), anchor
    assert (await Tender.select(Tender.status).first())["status"] == TenderStatus.DRAFT


async def test_a_deadline_on_a_bank_holiday_must_be_confirmed(client, platform):
    officer = await _officer(client, platform)
    tender_id = await draft_tender(platform, officer)
    boxing_day = datetime(2026, 12, 28, 12, 0, tzinfo=LONDON)  # the substitute bank holiday
    tender = await authoring.own_tender(officer, tender_id)
    await authoring.update_tender(
        platform,
        officer,
        str(tender_id),
        details(**london_parts("submission_deadline", boxing_day), version=str(tender.version)),
    )
    base = f"/tenders/{tender_id}"
    warned = await post_form(client, f"{base}/publish", {}, page=f"{base}/publish")
    assert warned.status_code == 400
    assert any("bank holiday" in message for message in _summary(warned))
    box = html(warned).xpath('//input[@name="confirmed"][@value="yes"]')
    assert box
    assert "Publish with this deadline anyway" in _text(warned)
    assert (await Tender.select(Tender.status).first())["status"] == TenderStatus.DRAFT
    confirmed = await post_form(
        client, f"{base}/publish", {"confirmed": "yes"}, page=f"{base}/publish"
    )
    assert confirmed.status_code == 303
    assert (await Tender.select(Tender.status).first())["status"] == TenderStatus.PUBLISHED


# Bad input ------------------------------------------------------------------------------


async def test_bad_details_are_shown_per_field_and_nothing_is_created(client, platform):
    await _officer(client, platform)
    response = await post_form(
        client,
        "/tenders/new",
        details(
            title="",
            contract_months="three years",
            **{"submission_deadline-day": "31", "submission_deadline-month": "2"},
        ),
        page="/tenders/new",
    )
    assert_form_refused(response, "title", "Enter a title", {"reference": "SCC-2026-041"})
    summary = _summary(response)
    assert summary["The contract length must be a whole number"] == "#contract_months"
    assert any(href == "#submission_deadline" for href in summary.values())
    assert html(response).xpath('//input[@name="submission_deadline-time"][@value="12:00"]')
    assert await Tender.count() == 0


async def test_a_deadline_in_the_past_is_refused(client, platform):
    await _officer(client, platform)
    response = await post_form(
        client,
        "/tenders/new",
        details(**london_parts("submission_deadline", datetime(2026, 11, 1, 12, tzinfo=LONDON))),
        page="/tenders/new",
    )
    assert_form_refused(
        response,
        "submission_deadline",
        "The submission deadline must be in the future",
        {"title": "Children's community support framework"},
    )
    assert await Tender.count() == 0


async def test_bad_lot_section_question_and_price_forms_create_nothing(client, platform):
    officer = await _officer(client, platform)
    tender_id = await draft_tender(platform, officer, lots=1)
    tender = await authoring.own_tender(officer, tender_id)
    base = f"/tenders/{tender_id}"
    before = await count_rows()

    lot = await post_form(
        client,
        f"{base}/lots/new",
        {"name": "", "service_type": "nursing", "award_mode": "number"},
        page=base,
    )
    assert_form_refused(lot, "name", "Enter the lot's name", {"award_mode": "number"})
    assert _summary(lot)["Select the districts the lot covers"] == "#districts"
    assert _summary(lot)["Enter how many providers the lot will appoint"] == "#providers_to_award"

    section = await post_form(
        client, f"{base}/sections/new", {"name": "Social value", "weight": "lots"}, page=base
    )
    assert_form_refused(
        section, "weight", "The section's weight must be a whole number", {"name": "Social value"}
    )

    question = await post_form(
        client,
        f"{base}/questions/new",
        {"section": str(tender.sections[0].id), "kind": "scale", "text": "", "weight": ""},
        page=base,
    )
    assert_form_refused(question, "text", "Enter the question", {"kind": "scale"})
    assert _summary(question)["Enter the question's weight within its section"] == "#weight"

    lot_id = tender.lots[0].id
    price = await post_form(
        client,
        f"{base}/lots/{lot_id}/prices/new",
        {
            "description": "Sleep-in",
            "unit": "sleep_in_night",
            "volume": "0",
            "reference_price": "a lot",
        },
        page=base,
    )
    assert_form_refused(
        price, "volume", "The volume must be between 1 and 100000000", {"description": "Sleep-in"}
    )
    assert (
        _summary(price)["Enter the reference price in pounds and pence, like £14.72"]
        == "#reference_price"
    )
    assert await count_rows() == before
    assert await Lot.count() == 1
    assert await Section.count() == 2
    assert await Question.count() == 2
    assert await PriceItem.count() == 1


async def test_two_officers_editing_one_draft_get_a_clear_conflict(client, other_client, platform):
    officer = await _officer(client, platform)
    colleague = {"name": "Sam Cole", "email": "sam@staffordshire.example", "role": "officer"}
    await accounts.add_colleague(platform, officer, {**colleague, "password": PASSWORD})
    tender_id = await draft_tender(platform, officer)
    await sign_in(other_client, colleague["email"])
    base = f"/tenders/{tender_id}"
    mine = await client.get(f"{base}/edit")
    version = html(mine).xpath('//input[@name="version"]/@value')[0]
    theirs = await other_client.get(f"{base}/edit")
    their_version = html(theirs).xpath('//input[@name="version"]/@value')[0]
    assert version == their_version
    saved = await post_form(
        other_client, f"{base}/edit", details(title="Their title", version=their_version), page=base
    )
    assert saved.status_code == 303
    refused = await post_form(
        client, f"{base}/edit", details(title="My title", version=version), page=base
    )
    assert refused.status_code == 409
    assert title(refused).startswith("Error: ")
    assert any("Someone else changed this tender" in m for m in _summary(refused))
    # The form now shows what is saved, ready to change again.
    assert html(refused).xpath('//input[@name="title"]/@value') == ["Their title"]
    assert (await Tender.select(Tender.title).first())["title"] == "Their title"
