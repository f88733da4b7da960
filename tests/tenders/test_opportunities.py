"""Anyone finds published tenders: never drafts, never cancelled ones in the list, closed
ones out of the open list from the instant of their deadline; every filter narrows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from types import SimpleNamespace
from uuid import UUID, uuid4

import lxml.html
import pytest

from app.errors import Invalid, NotFound
from tenders.services import opportunities
from tenders.services.authoring import own_tender
from tenders.tables import Lot, Tender
from tenders.vocabulary import TenderStatus
from tests.conftest import START, buyer_officer, html, provider_user, sign_in, title
from tests.tenders.factories import DEADLINE, draft_tender, published_tender

#: (name, service type, districts, complexity band)
LotSpec = tuple[str, str, Sequence[str], str | None]
OVERNIGHT_TAMWORTH: LotSpec = ("Overnight", "overnight", ("Tamworth",), "complex")


async def add_tender(
    buyer: UUID,
    *,
    title: str = "Overnight support",
    reference: str | None = None,
    description: str = "Waking nights and sleep-ins.",
    deadline=DEADLINE,
    published_at=START,
    status: TenderStatus = TenderStatus.PUBLISHED,
    lots: Sequence[LotSpec] = (OVERNIGHT_TAMWORTH,),
) -> UUID:
    """A tender and its lots inserted as rows: quick, for lists of many tenders."""
    tender_id = uuid4()
    await Tender.insert(
        Tender(
            id=tender_id,
            buyer=buyer,
            title=title,
            reference=reference or f"REF-{tender_id.hex[:8]}",
            description=description,
            status=status,
            submission_deadline=deadline,
            clarification_deadline=deadline - timedelta(days=7),
            created_at=START - timedelta(days=30),
            published_at=published_at if status is not TenderStatus.DRAFT else None,
        )
    )
    if lots:
        await Lot.insert(
            *(
                Lot(
                    tender=tender_id,
                    number=number,
                    name=name,
                    service_type=service,
                    districts="|".join(districts),
                    complexity_band=band,
                )
                for number, (name, service, districts, band) in enumerate(lots, start=1)
            )
        )
    return tender_id


async def found(platform, **search) -> list[UUID]:
    page = await opportunities.search(platform, **search)
    return [item.id for item in page.items]


@pytest.fixture
async def council(platform) -> UUID:
    return (await buyer_officer(platform)).organisation_id


# What is listed -------------------------------------------------------------------------


async def test_visitors_find_published_tenders_but_never_drafts(platform, client):
    officer = await buyer_officer(platform)
    published = await published_tender(platform, officer, title="Children's overnight care")
    draft_id = await draft_tender(platform, officer, title="Secret draft")

    assert await found(platform) == [published.id]
    response = await client.get("/opportunities")
    assert response.status_code == 200
    assert "Children's overnight care" in html(response).text_content()
    assert "Secret draft" not in response.text
    api = (await client.get("/api/v1/opportunities")).json()
    assert [item["id"] for item in api["items"]] == [str(published.id)]
    assert (await client.get(f"/opportunities/{draft_id}")).status_code == 404
    assert (await client.get(f"/api/v1/tenders/{draft_id}")).status_code == 404
    assert (await client.get(f"/opportunities/{draft_id}/deadline.ics")).status_code == 404
    with pytest.raises(NotFound):
        await opportunities.tender_page(platform, draft_id)


async def test_an_unknown_or_malformed_tender_id_is_not_found(client):
    assert (await client.get(f"/opportunities/{uuid4()}")).status_code == 404
    assert (await client.get("/opportunities/not-a-uuid")).status_code == 404
    response = await client.get("/api/v1/tenders/not-a-uuid")
    assert response.status_code == 404
    assert response.json()["message"] == "Page not found"


async def test_a_tender_leaves_the_open_list_the_instant_its_deadline_passes(
    platform, clock, client
):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    assert tender.submission_deadline is not None

    clock.instant = tender.submission_deadline - timedelta(microseconds=1)
    assert await found(platform) == [tender.id]
    assert await found(platform, status="closed") == []

    clock.instant = tender.submission_deadline
    assert await found(platform) == []
    assert await found(platform, status="closed") == [tender.id]
    page = html(await client.get(f"/opportunities/{tender.id}"))
    assert "This tender closed at 12:00pm on Friday 11 December 2026" in page.text_content()
    assert not page.xpath('//*[@data-testid="countdown"]')
    api = (await client.get(f"/api/v1/tenders/{tender.id}")).json()
    assert api["status"] == "closed"


async def test_cancelled_tenders_are_not_listed_but_their_page_says_why(platform, client, council):
    tender_id = await add_tender(council, status=TenderStatus.CANCELLED, title="Cancelled care")
    await Tender.update({Tender.cancel_reason: "The budget was withdrawn"}).where(
        Tender.id == tender_id
    )
    assert await found(platform) == []
    assert await found(platform, status="closed") == []
    page = html(await client.get(f"/opportunities/{tender_id}"))
    assert "This tender was cancelled: The budget was withdrawn" in " ".join(
        page.text_content().split()
    )
    assert (await client.get(f"/api/v1/tenders/{tender_id}")).json()["status"] == "cancelled"


async def test_a_draft_cancelled_before_publication_stays_hidden(platform, client, council):
    tender_id = await add_tender(council, status=TenderStatus.CANCELLED, published_at=None)
    assert (await client.get(f"/opportunities/{tender_id}")).status_code == 404


async def test_another_councils_tenders_are_visible_to_everyone(platform, client):
    staffordshire = await buyer_officer(platform)
    tender = await published_tender(platform, staffordshire)
    await buyer_officer(platform, "ravi@tamworth.example", "Tamworth Borough Council")
    await provider_user(platform)
    for email in ("ravi@tamworth.example", "helen@moorlands-care.example"):
        await sign_in(client, email)
        listing = html(await client.get("/opportunities"))
        assert listing.xpath(f'//a[@href="/opportunities/{tender.id}"]'), email
        assert (await client.get(f"/opportunities/{tender.id}")).status_code == 200
        client.cookies.clear()


# Filters and the keyword search ---------------------------------------------------------


async def test_the_service_type_filter_narrows_to_tenders_with_such_a_lot(platform, council):
    overnight = await add_tender(council, lots=[OVERNIGHT_TAMWORTH])
    nursing = await add_tender(council, lots=[("Nursing", "nursing", ("Lichfield",), None)])
    both = await add_tender(
        council, lots=[OVERNIGHT_TAMWORTH, ("Nursing", "nursing", ("Stafford",), None)]
    )
    assert set(await found(platform, service_type=["overnight"])) == {overnight, both}
    assert set(await found(platform, service_type=["nursing"])) == {nursing, both}
    assert set(await found(platform, service_type=["overnight", "nursing"])) == {
        overnight,
        nursing,
        both,
    }
    assert await found(platform, service_type=["respite"]) == []


async def test_the_district_filter_matches_whole_names(platform, council):
    stafford = await add_tender(council, lots=[("A", "nursing", ("Stafford",), None)])
    south_staffs = await add_tender(
        council, lots=[("B", "nursing", ("South Staffordshire", "Tamworth"), None)]
    )
    moorlands = await add_tender(
        council, lots=[("C", "nursing", ("Staffordshire Moorlands",), None)]
    )
    # "Stafford" is inside "South Staffordshire": only the whole name counts.
    assert await found(platform, district=["Stafford"]) == [stafford]
    assert await found(platform, district=["Tamworth"]) == [south_staffs]
    assert set(await found(platform, district=["Stafford", "Staffordshire Moorlands"])) == {
        stafford,
        moorlands,
    }


async def test_the_north_and_south_groups_mean_their_districts(platform, council):
    north = await add_tender(
        council, lots=[("North lot", "overnight", ("Newcastle-under-Lyme",), "complex")]
    )
    south = await add_tender(council, lots=[("South lot", "overnight", ("Cannock Chase",), None)])
    assert await found(platform, district=["North"]) == [north]
    assert await found(platform, district=["South"]) == [south]
    assert set(await found(platform, district=["North", "South"])) == {north, south}


async def test_the_complexity_band_filter(platform, council):
    complex_ = await add_tender(
        council, lots=[("A", "supported_living", ("Lichfield",), "complex")]
    )
    highly = await add_tender(
        council, lots=[("B", "supported_living", ("Lichfield",), "highly_complex")]
    )
    await add_tender(council, lots=[("C", "supported_living", ("Lichfield",), None)])
    assert await found(platform, band=["complex"]) == [complex_]
    assert set(await found(platform, band=["complex", "highly_complex"])) == {complex_, highly}


async def test_one_lot_must_match_every_lot_filter(platform, council):
    """A provider bids for a lot: overnight in the North needs one lot that is both."""
    split = await add_tender(
        council,
        lots=[
            ("Overnight", "overnight", ("Tamworth",), None),
            ("Nursing", "nursing", ("Staffordshire Moorlands",), None),
        ],
    )
    together = await add_tender(
        council, lots=[("Overnight", "overnight", ("Staffordshire Moorlands",), None)]
    )
    assert await found(platform, service_type=["overnight"], district=["North"]) == [together]
    assert set(await found(platform, service_type=["overnight"])) == {split, together}


async def test_the_council_filter(platform, council):
    tamworth = (
        await buyer_officer(platform, "ravi@tamworth.example", "Tamworth Borough Council")
    ).organisation_id
    ours = await add_tender(council)
    theirs = await add_tender(tamworth)
    assert await found(platform, council=[str(council)]) == [ours]
    assert await found(platform, council=[str(tamworth)]) == [theirs]
    page = await opportunities.search(platform)
    assert [c.name for c in page.councils] == [
        "Staffordshire County Council",
        "Tamworth Borough Council",
    ]


async def test_the_council_list_follows_the_councils_that_publish(platform, client, council):
    async def options() -> list[str]:
        page = html(await client.get("/opportunities"))
        return page.xpath('//select[@name="council"]/option/text()')

    await add_tender(council)
    assert await options() == ["Any council", "Staffordshire County Council"]
    tamworth = await buyer_officer(platform, "ravi@tamworth.example", "Tamworth Borough Council")
    await add_tender(tamworth.organisation_id, status=TenderStatus.DRAFT)
    assert await options() == ["Any council", "Staffordshire County Council"]
    await add_tender(tamworth.organisation_id)
    assert await options() == [
        "Any council",
        "Staffordshire County Council",
        "Tamworth Borough Council",
    ]


async def test_the_keyword_search_looks_in_title_reference_description_and_lot_names(
    platform, council
):
    by_title = await add_tender(council, title="Shared Lives carers")
    by_reference = await add_tender(council, reference="SCC-2026-099")
    by_description = await add_tender(council, description="Includes REABLEMENT at home.")
    by_lot = await add_tender(council, lots=[("Moorlands respite", "respite", ("Stafford",), None)])
    assert await found(platform, query="shared lives") == [by_title]
    assert await found(platform, query="scc-2026-099") == [by_reference]
    assert await found(platform, query="Reablement") == [by_description]
    assert await found(platform, query="MOORLANDS") == [by_lot]
    # Every word must be found, each anywhere.
    assert await found(platform, query="shared carers") == [by_title]
    assert await found(platform, query="shared reablement") == []


async def test_percent_and_underscore_in_a_search_are_plain_characters(platform, council):
    literal = await add_tender(council, title="Care at 100% of need", reference="REF_1")
    await add_tender(council, title="Care at 1000 hours", reference="REFX1")
    assert await found(platform, query="100%") == [literal]
    assert await found(platform, query="ref_1") == [literal]
    assert await found(platform, query="%") == [literal]


async def test_a_filter_value_that_is_not_an_option_is_refused(platform, client):
    with pytest.raises(Invalid) as refused:
        await opportunities.search(
            platform, service_type=["gardening"], district=["Narnia"], council=["x"]
        )
    assert refused.value.field_errors == {
        "service_type": "Select types of service from the list",
        "district": "Select districts from the list",
        "council": "Select a council from the list",
    }
    response = await client.get("/opportunities?district=Narnia")
    assert response.status_code == 400
    assert title(response).startswith("Error: ")
    assert html(response).xpath(
        '//*[contains(@class, "govuk-error-summary")]//a[@href="#district"]'
    )
    api = await client.get("/api/v1/opportunities?band=enormous")
    assert api.status_code == 400
    assert api.json()["errors"] == {"band": "Select complexity bands from the list"}


# Order and pages ------------------------------------------------------------------------


async def test_tenders_are_listed_closing_soonest_first_or_newest_first(platform, council):
    later = await add_tender(
        council, deadline=DEADLINE + timedelta(days=9), published_at=START - timedelta(days=1)
    )
    sooner = await add_tender(council, deadline=DEADLINE, published_at=START - timedelta(days=3))
    middle = await add_tender(
        council, deadline=DEADLINE + timedelta(days=2), published_at=START - timedelta(days=2)
    )
    assert await found(platform) == [sooner, middle, later]
    assert await found(platform, order="closing") == [sooner, middle, later]
    assert await found(platform, order="newest") == [later, middle, sooner]


async def test_closed_tenders_are_listed_most_recently_closed_first(platform, clock, council):
    first = await add_tender(council, deadline=START + timedelta(days=1))
    second = await add_tender(council, deadline=START + timedelta(days=2))
    clock.advance(timedelta(days=3))
    assert await found(platform, status="closed") == [second, first]


async def test_twenty_five_tenders_make_two_pages_and_the_links_keep_the_filters(
    platform, client, council
):
    for n in range(25):
        await add_tender(
            council, title=f"Overnight {n:02d}", deadline=DEADLINE + timedelta(hours=n)
        )
    await add_tender(council, title="Nursing only", lots=[("N", "nursing", ("Stafford",), None)])

    first = await opportunities.search(platform, service_type=["overnight"])
    assert (first.total, first.pages, first.number, len(first.items)) == (25, 2, 1, 20)
    second = await opportunities.search(platform, service_type=["overnight"], page=2)
    assert [item.title for item in second.items] == [f"Overnight {n}" for n in range(20, 25)]
    beyond = await opportunities.search(platform, service_type=["overnight"], page=9)
    assert beyond.number == 2

    response = await client.get("/opportunities?service_type=overnight&district=Tamworth")
    page = html(response)
    count = page.xpath('//*[@data-testid="results-count"]')[0].text_content()
    assert " ".join(count.split()) == "25 tenders"
    assert len(page.xpath('//*[@data-testid="result"]')) == 20
    links = page.xpath('//nav[contains(@class, "govuk-pagination")]//a/@href')
    assert "?service_type=overnight&district=Tamworth&page=2" in links
    assert title(response) == "Find a tender (page 1 of 2) \N{EN DASH} caretender"
    response = await client.get("/opportunities?service_type=overnight&district=Tamworth&page=2")
    page = html(response)
    assert len(page.xpath('//*[@data-testid="result"]')) == 5
    assert "?service_type=overnight&district=Tamworth" in page.xpath(
        '//nav[contains(@class, "govuk-pagination")]//a/@href'
    )
    # The filters stay ticked.
    assert page.xpath('//input[@name="service_type"][@value="overnight"]/@checked')
    assert page.xpath('//input[@name="district"][@value="Tamworth"]/@checked')


async def test_a_search_with_no_results_says_so_and_gives_advice(client, council):
    await add_tender(council)
    response = await client.get("/opportunities?keywords=astronauts")
    assert response.status_code == 200
    page = html(response)
    assert page.xpath('//*[@data-testid="no-results"]')[0].text_content() == (
        "No tenders match your search"
    )
    assert "removing filters" in page.text_content()
    count = page.xpath('//*[@data-testid="results-count"]')[0].text_content()
    assert " ".join(count.split()) == "0 tenders"
    assert page.xpath('//input[@name="keywords"]/@value') == ["astronauts"]


# What the pages say ---------------------------------------------------------------------


async def test_each_result_shows_its_council_lots_and_countdown(platform, client, clock):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=2)
    clock.instant = DEADLINE - timedelta(days=3)
    page = html(await client.get("/opportunities"))
    result = page.xpath('//*[@data-testid="result"]')[0]
    text = " ".join(result.text_content().split())
    assert result.xpath(f'.//a[@href="/opportunities/{tender.id}"]')[0].text == tender.title
    assert "Staffordshire County Council, reference SCC-2026-041" in text
    assert "Closes in 3 days, at 12:00pm on Friday 11 December 2026" in text
    lots = [
        " ".join(li.text_content().split())
        for li in result.xpath('.//*[@data-testid="result-lots"]/li')
    ]
    assert lots == [
        "Lot 1: Complex care (Complex care; South districts; complex)",
        "Lot 2: Overnight (Overnight; North districts; complex)",
    ]


async def test_the_tender_page_shows_everything_a_provider_needs(platform, client):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=2)
    response = await client.get(f"/opportunities/{tender.id}")
    assert response.status_code == 200
    assert title(response) == f"{tender.title} \N{EN DASH} caretender"
    page = html(response)
    text = " ".join(page.text_content().split())
    countdown = page.xpath('//*[@data-testid="countdown"]')[0].text_content()
    assert countdown == "Closes in 18 days, at 12:00pm on Friday 11 December 2026"
    details = {
        " ".join(row.xpath(".//dt")[0].text_content().split()): " ".join(
            row.xpath(".//dd")[0].text_content().split()
        )
        for row in page.xpath(
            '//*[@data-testid="tender-details"]//div[contains(@class, "govuk-summary-list__row")]'
        )
    }
    assert details["Council"] == "Staffordshire County Council"
    assert details["Reference"] == "SCC-2026-041"
    assert details["Estimated value"] == "£2,850,000"
    assert details["Contract length"] == "36 months (3 years)"
    assert details["Deadline for bids"] == "12:00pm on Friday 11 December 2026"
    assert details["Deadline for clarification questions"] == "12:00pm on Friday 4 December 2026"
    assert "Lot 2: Overnight" in text
    assert "Newcastle-under-Lyme, Staffordshire Moorlands" in text
    assert "Quality: 60%" in text
    assert "Price: 40%" in text
    assert "How will you keep children safe?" in text
    assert "Scored 0 to 5, at least 2 to pass" in text
    schedule = page.xpath('//*[@data-testid="price-schedule"]')[0]
    cells = [" ".join(td.text_content().split()) for td in schedule.xpath(".//tbody//td")]
    assert cells == ["per hour, daytime", "5,200", "£15.87"]
    calendar = page.xpath('//a[contains(@href, "deadline.ics")]/@href')
    assert calendar == [f"/opportunities/{tender.id}/deadline.ics"]


async def test_documents_link_to_their_downloads(platform, client):
    from tenders.tables import TenderDocument

    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    document_id = uuid4()
    await TenderDocument.insert(
        TenderDocument(
            id=document_id,
            tender=tender.id,
            kind="specification",
            title="Service specification",
            sha256="0" * 64,
            original_name="spec.pdf",
            content_type="application/pdf",
            size=245_760,
            added_at=START,
        )
    )
    page = html(await client.get(f"/opportunities/{tender.id}"))
    link = page.xpath('//*[@data-testid="documents"]//a')[0]
    assert link.get("href") == f"/opportunities/{tender.id}/documents/{document_id}"
    assert link.text == "Service specification"
    assert "240 KB" in page.xpath('//*[@data-testid="documents"]')[0].text_content()


async def test_the_tender_page_keeps_a_place_for_provider_actions_and_preview_hides_it(
    platform, app
):
    """The preview for officers renders the same template with ``preview``."""
    from app.templating import make_environment

    officer = await buyer_officer(platform)
    tender = await own_tender(officer, await draft_tender(platform, officer))
    template = make_environment().get_template("tenders/tender.html")
    assert "tender_actions" in template.blocks
    request = SimpleNamespace(url=SimpleNamespace(path="/tenders/preview"))
    preview = template.render(tender=tender, now=START, preview=True, request=request, user=None)
    assert "deadline.ics" not in preview
    page = lxml.html.document_fromstring(preview)
    assert page.findtext(".//title") == f"Preview: {tender.title} \N{EN DASH} caretender"


async def test_the_listing_and_home_pages_link_to_the_opportunities(client):
    for path in ("/", "/opportunities", "/sign-in"):
        page = html(await client.get(path))
        assert page.xpath('//nav//a[@href="/opportunities"]'), path
    assert html(await client.get("/")).xpath('//main//a[@href="/opportunities"]')
    assert title(await client.get("/opportunities")) == "Find a tender \N{EN DASH} caretender"


# The deadline in a calendar -------------------------------------------------------------


def parse_ics(text: str) -> list[tuple[str, str]]:
    """(name with parameters, value) for each content line, unfolded (RFC 5545 3.1)."""
    assert text.endswith("\r\n")
    physical = text.split("\r\n")[:-1]
    for line in physical:
        assert len(line.encode()) <= 75, line
        assert "\n" not in line
        assert "\r" not in line
    logical: list[str] = []
    for line in physical:
        if line.startswith(" "):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    return [tuple(line.split(":", 1)) for line in logical]  # type: ignore[misc]


def unescape(value: str) -> str:
    return value.replace("\\n", "\n").replace("\\,", ",").replace("\\;", ";").replace("\\\\", "\\")


async def test_the_deadline_downloads_as_a_calendar_event(platform, client, clock):
    officer = await buyer_officer(platform)
    long_title = (
        "Children's community support framework; overnight, nursing & emergency care \N{EN DASH} "
        "Staffordshire's short breaks, lots 1 to 5"
    )
    tender = await published_tender(platform, officer, title=long_title)
    clock.advance(timedelta(hours=2))
    response = await client.get(f"/opportunities/{tender.id}/deadline.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="SCC-2026-041-deadline.ics"'
    )
    lines = parse_ics(response.content.decode())
    names = [name for name, _ in lines]
    assert names[:2] == ["BEGIN", "VERSION"]
    assert names.count("BEGIN") == 3
    fields = dict(lines)
    assert fields["VERSION"] == "2.0"
    assert fields["UID"] == f"{tender.id}-deadline@caretender"
    assert fields["DTSTAMP"] == "20261123T120000Z"
    # Noon in London in December is noon UTC.
    assert fields["DTSTART"] == "20261211T120000Z"
    assert unescape(fields["SUMMARY"]) == f"Deadline: {long_title}"
    assert "\\," in fields["SUMMARY"]
    assert "\\;" in fields["SUMMARY"]
    alarm = lines[names.index("BEGIN", names.index("BEGIN", 2) + 1) :]
    assert alarm[0] == ("BEGIN", "VALARM")
    assert ("TRIGGER", "-P1D") in alarm
    assert ("ACTION", "DISPLAY") in alarm
    assert lines[-1] == ("END", "VCALENDAR")


def test_folding_never_splits_a_character():
    line = "SUMMARY:" + "é" * 100
    folded = opportunities.fold(line)
    parts = folded.split("\r\n ")
    assert all(len(part.encode()) <= 75 - (i > 0) for i, part in enumerate(parts))
    assert "".join(parts) == line
