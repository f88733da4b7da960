"""A provider's bid through the pages: started from the tender page, lots chosen, each
section answered, evidence added, prices given, checked, submitted, resubmitted and
withdrawn; a save that meets a colleague's is a conflict, never an overwrite; a repeated
post has the effect of one; nobody outside the organisation reaches the bid."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import timedelta
from uuid import UUID

import httpx
import pytest

from app.accounts import CurrentUser
from app.platform import Platform
from app.tables import AuditEvent
from app.vocabulary import AuditAction
from tenders.services import authoring, bids
from tenders.services.bids import MAX_FILES_PER_BID, AnswerEntry
from tenders.services.views import TenderView
from tenders.tables import Answer, Bid, BidPrice, Evidence, Submission
from tests.app.test_files import pdf_bytes, png_bytes
from tests.app.test_uploads import multipart
from tests.conftest import (
    buyer_officer,
    csrf_token,
    flash,
    html,
    post_form,
    provider_colleague,
    provider_user,
    sign_in,
    title,
)
from tests.tenders.bid_factories import ANSWER, complete_bid, submitted_bid
from tests.tenders.factories import DEADLINE, draft_tender, published_tender
from tests.tenders.test_documents import stored

PROVIDER = "helen@moorlands-care.example"
COLLEAGUE = "sam@moorlands-care.example"
OTHER_PROVIDER = "ade@lichfield-care.example"
OFFICER = "priya.shah@staffordshire.example"
SAFE = "Every child has a named key worker, and every worker is DBS checked before starting."
DEADLINE_WORDS = "12:00pm on Friday 11 December 2026"


@pytest.fixture
def settings(settings, request):
    """The suite's settings, with a test's own limits when it asks for them (indirect)."""
    return replace(settings, **getattr(request, "param", {}))


# Reading and sending pages the way a browser does -------------------------------------


def text(response: httpx.Response) -> str:
    return " ".join(html(response).text_content().split())


def form_fields(response: httpx.Response, action: str) -> dict[str, str]:
    """What a browser would send from the form posting to ``action``, as the page left it
    (no button pressed, no file chosen)."""
    forms = html(response).xpath(f'//form[@action="{action}"]')
    assert len(forms) == 1, f"no form posting to {action}"
    values: dict[str, str] = {}
    for field in forms[0].xpath(".//input | .//textarea"):
        name, kind = field.get("name"), field.get("type", "text")
        if not name or kind in ("submit", "file"):
            continue
        if field.tag == "textarea":
            values[name] = field.text or ""
        elif kind in ("radio", "checkbox"):
            if "checked" in field.attrib:
                values[name] = field.get("value")
        else:
            values[name] = field.get("value", "")
    return values


async def send(
    client: httpx.AsyncClient, path: str, changes: dict[str, str], action: str | None = None
) -> httpx.Response:
    """Open the page at ``path``, change some fields of its form and post it."""
    action = action or path
    fields = form_fields(await client.get(path), action)
    return await client.post(action, data={**fields, **changes})


def summary(response: httpx.Response) -> dict[str, str]:
    """The error summary: each message and where it links to."""
    return {
        " ".join(link.text_content().split()): link.get("href")
        for link in html(response).xpath('//*[contains(@class, "govuk-error-summary")]//li/a')
    }


def tasks(response: httpx.Response) -> dict[str, str]:
    """The overview's task list: each task's name and status."""
    return {
        " ".join(
            item.xpath('.//*[contains(@class, "govuk-task-list__name-and-hint")]')[0]
            .text_content()
            .split()
        ): " ".join(
            item.xpath('.//*[contains(@class, "govuk-task-list__status")]')[0]
            .text_content()
            .split()
        )
        for item in html(response).xpath('//li[contains(@class, "govuk-task-list__item")]')
    }


async def tender_and_provider(
    client: httpx.AsyncClient, platform: Platform, lots: int = 2
) -> tuple[TenderView, CurrentUser]:
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=lots)
    provider = await provider_user(platform)
    await sign_in(client, PROVIDER)
    return tender, provider


def paths(tender: TenderView, bid_id, lot_index: int = 0) -> dict[str, str]:
    lot = tender.lots[lot_index]
    quality = tender.sections[0]
    base = f"/bids/{bid_id}"
    return {
        "base": base,
        "section": f"{base}/lots/{lot.id}/sections/{quality.id}",
        "prices": f"{base}/lots/{lot.id}/prices",
        "evidence": f"{base}/lots/{lot.id}/questions/{quality.questions[1].id}/evidence",
    }


def questions(tender: TenderView) -> tuple[str, str]:
    """The pass or fail question and the scored one (500 words at most)."""
    gate, scored = tender.sections[0].questions
    return str(gate.id), str(scored.id)


async def upload(
    client: httpx.AsyncClient,
    page: str,
    data: bytes,
    filename: str = "Safeguarding policy.pdf",
    *,
    with_token: bool = True,
    token: str | None = None,
) -> httpx.Response:
    """The upload form as a browser sends it: the CSRF token (of the page, unless given)
    first, then the file."""
    token = token or await csrf_token(client, page)
    parts = [("_csrf_token", None, token.encode())] if with_token else []
    body, headers = multipart([*parts, ("file", filename, data)])
    return await client.post(page, content=body, headers=headers)


def shown_token(response: httpx.Response) -> str:
    """The CSRF token of the forms on a page: every one of them carries the same."""
    tokens = set(html(response).xpath('//input[@name="_csrf_token"]/@value'))
    assert len(tokens) == 1, tokens
    [token] = tokens
    assert token
    return token


def files_buttons(response: httpx.Response) -> dict[str, str]:
    """Each "Save and add files" button of a section page: the action it sends, and its
    name as a screen reader announces it."""
    return {
        button.get("value"): " ".join(button.text_content().split())
        for button in html(response).xpath('//button[starts-with(@value, "files:")]')
    }


def file_counts(response: httpx.Response) -> dict[str, str]:
    """How many files each question of a section page has, by question id."""
    return {
        block.xpath(".//h2/@id")[0].removeprefix("question-"): " ".join(
            block.xpath('.//*[@data-testid="file-count"]')[0].text_content().split()
        )
        for block in html(response).xpath('//*[@data-testid="question"]')
    }


# The journey ----------------------------------------------------------------------------


async def test_a_provider_bids_through_the_pages_from_start_to_receipt(client, platform, clock):
    tender, _ = await tender_and_provider(client, platform)
    gate, scored = questions(tender)
    tender_page = f"/opportunities/{tender.id}"

    page = await client.get(tender_page)
    assert html(page).xpath(
        f'//form[@action="{tender_page}/bid"]//button[contains(., "Start a bid")]'
    )
    started = await post_form(client, f"{tender_page}/bid", {}, page=tender_page)
    assert started.status_code == 303
    bid_path = started.headers["location"]
    again = await post_form(client, f"{tender_page}/bid", {}, page=tender_page)
    assert again.headers["location"] == bid_path
    assert await Bid.count() == 1
    page = await client.get(tender_page)
    assert html(page).xpath(f'//a[@href="{bid_path}"][contains(., "Continue your bid")]')
    assert not html(page).xpath('//button[contains(., "Start a bid")]')

    overview = await client.get(bid_path)
    assert overview.status_code == 200
    assert title(overview) == f"Your bid for {tender.title} \N{EN DASH} caretender"
    assert "Closes in 18 days, at " + DEADLINE_WORDS in text(overview)
    assert tasks(overview)["Choose the lots you are bidding for"] == "Not yet started"

    chosen = await send(client, f"{bid_path}/lots", {"lots": str(tender.lots[0].id)})
    assert chosen.status_code == 303
    assert chosen.headers["location"] == bid_path
    bid_id = bid_path.rsplit("/", 1)[1]
    to = paths(tender, bid_id)
    overview = await client.get(bid_path)
    assert flash(overview) == "The lots you are bidding for have been saved"
    assert tasks(overview) == {
        "Choose the lots you are bidding for": "Completed",
        "Quality": "Not yet started",
        "Prices": "Not yet started",
        "Check your answers and submit": "Cannot submit yet",
    }

    # The scored question only: the yes or no is left for the check page to find.
    section = await client.get(to["section"])
    assert title(section) == "Quality: lot 1 \N{EN DASH} caretender"
    assert "You have 500 words" in text(section)
    saved = await send(client, to["section"], {f"answer-{scored}": SAFE, "action": "continue"})
    assert saved.status_code == 303
    assert saved.headers["location"] == to["prices"]
    assert tasks(await client.get(bid_path))["Quality"] == "In progress"

    later = await send(client, to["prices"], {"action": "later"})
    assert later.headers["location"] == bid_path

    check = await client.get(f"{bid_path}/check")
    assert check.status_code == 200
    assert summary(check) == {
        "Lot 1: Answer yes or no to question 1": f"{to['section']}#declaration-{gate}",
        "Lot 1: Enter a price for Support worker, daytime": (
            f"{to['prices']}#price-{tender.lots[0].price_items[0].id}"
        ),
    }
    assert not html(check).xpath(f'//form[@action="{bid_path}/submit"]')

    # Fixed where the check page's links lead.
    fixed = await send(client, to["section"], {f"declaration-{gate}": "yes", "action": "continue"})
    assert fixed.headers["location"] == to["prices"]
    priced = await send(
        client,
        to["prices"],
        {f"price-{tender.lots[0].price_items[0].id}": "£15.50", "action": "continue"},
    )
    assert priced.headers["location"] == f"{bid_path}/check"
    check = await client.get(f"{bid_path}/check")
    assert summary(check) == {}
    assert "£15.50" in text(check)
    assert SAFE in text(check)

    submitted = await send(client, f"{bid_path}/check", {}, f"{bid_path}/submit")
    assert submitted.status_code == 303
    receipt_path = submitted.headers["location"]
    [row] = await Submission.select().where(Submission.bid == bid_id)
    assert receipt_path == f"{bid_path}/submissions/{row['id']}"
    receipt = await client.get(receipt_path)
    assert receipt.status_code == 200
    assert title(receipt) == "Bid submitted \N{EN DASH} caretender"
    [digest] = html(receipt).xpath('//code[@data-testid="digest"]')
    assert digest.text_content() == row["digest"]
    assert str(row["id"]) in text(receipt)
    assert "10:00:00am on Monday 23 November 2026" in text(receipt)
    assert "2026-11-23 10:00:00 UTC" in text(receipt)
    assert "We have emailed you a copy" in text(receipt)
    assert html(receipt).xpath(
        f'//a[@href="{receipt_path}/receipt.pdf"][contains(., "Download your receipt (PDF)")]'
    )
    overview = await client.get(bid_path)
    assert "You submitted this bid at 10:00am on Monday 23 November 2026" in text(overview)
    assert html(overview).xpath(f'//a[@href="{receipt_path}"]')

    # A change after submitting counts only once the bid is submitted again.
    clock.advance(timedelta(minutes=5))
    await send(client, to["section"], {f"answer-{scored}": SAFE + " Always.", "action": "later"})
    overview = await client.get(bid_path)
    assert (
        "You have changed your bid since you submitted it: submit it again for the changes "
        "to count" in text(overview)
    )
    again = await send(client, f"{bid_path}/check", {}, f"{bid_path}/submit")
    receipt = await client.get(again.headers["location"])
    assert "Submission 2 of Moorlands Supported Living CIC" in text(receipt)
    assert await Submission.count().where(Submission.bid == bid_id) == 2
    assert "You have changed your bid" not in text(await client.get(bid_path))

    # Withdrawing needs a reason.
    refused = await send(client, f"{bid_path}/withdraw", {"reason": "  "})
    assert refused.status_code == 400
    assert title(refused).startswith("Error: ")
    assert summary(refused) == {"Enter why you are withdrawing your bid": "#reason"}
    withdrawn = await send(
        client, f"{bid_path}/withdraw", {"reason": "We cannot staff the night shifts"}
    )
    assert withdrawn.status_code == 303
    assert withdrawn.headers["location"] == bid_path
    overview = await client.get(bid_path)
    assert flash(overview).startswith("Your bid has been withdrawn")
    assert "Your reason: We cannot staff the night shifts" in text(overview)
    listing = await client.get("/bids")
    assert title(listing) == "Your bids \N{EN DASH} caretender"
    [row] = html(listing).xpath('//*[@data-testid="bid-row"]')
    assert tender.title in row.text_content()
    assert "Withdrawn" in row.text_content()


async def test_your_bids_starts_empty_and_is_in_the_providers_menu(client, platform):
    await provider_user(platform)
    await sign_in(client, PROVIDER)
    page = await client.get("/bids")
    assert page.status_code == 200
    assert html(page).xpath('//*[@data-testid="empty"]')
    assert html(page).xpath('//nav//a[@href="/bids"][contains(., "Your bids")]')


async def test_your_bids_come_a_page_at_a_time(client, platform, clock, monkeypatch):
    monkeypatch.setattr(bids, "BIDS_PAGE_SIZE", 1)
    officer = await buyer_officer(platform)
    provider = await provider_user(platform)
    older, newer = [
        await published_tender(platform, officer, lots=1, title=f"Overnight support {n}")
        for n in (1, 2)
    ]
    await bids.start_bid(platform, provider, older.id)
    clock.instant += timedelta(minutes=1)
    await bids.start_bid(platform, provider, newer.id)
    await sign_in(client, PROVIDER)

    first = await client.get("/bids")
    assert "2 bids, the latest change first" in text(first)
    [row] = html(first).xpath('//*[@data-testid="bid-row"]')
    assert newer.title in row.text_content()
    nav = html(first).xpath('//nav[@aria-label="Pages of your bids"]')
    assert nav
    assert nav[0].xpath('.//a[@href="?page=2"]')
    second = await client.get("/bids?page=2")
    [row] = html(second).xpath('//*[@data-testid="bid-row"]')
    assert older.title in row.text_content()
    assert html(second).xpath('//*[contains(@class, "govuk-pagination__prev")]//a[@href="?page=1"]')


async def test_a_closed_tender_offers_no_bid_button(client, platform, clock):
    tender, _ = await tender_and_provider(client, platform)
    clock.instant = DEADLINE
    await sign_in(client, PROVIDER)  # the session went idle while the clock moved
    page = await client.get(f"/opportunities/{tender.id}")
    assert page.status_code == 200
    assert not html(page).xpath(
        '//*[@data-testid="bid-action"]//*[contains(@class, "govuk-button")]'
    )


# Saving answers and prices ----------------------------------------------------------------


async def test_an_answer_over_the_word_limit_is_saved_and_the_page_says_so(client, platform):
    tender, provider = await tender_and_provider(client, platform, lots=1)
    bid_id = await complete_bid(platform, provider, tender)
    _, scored = questions(tender)
    to = paths(tender, bid_id)
    long_answer = " ".join(["word"] * 501)
    response = await send(client, to["section"], {f"answer-{scored}": long_answer})
    assert response.status_code == 303
    assert response.headers["location"] == to["section"]
    [answer] = await Answer.select().where(Answer.question == scored)
    assert answer["text"] == long_answer
    page = await client.get(to["section"])
    message = "Your answer to question 2 is 501 words: shorten it by 1 word to 500 or fewer"
    assert summary(page) == {message: f"#answer-{scored}"}
    assert message in html(page).get_element_by_id(f"answer-{scored}-error").text_content()
    assert html(page).get_element_by_id(f"answer-{scored}").text == long_answer


async def test_a_price_far_below_the_reference_is_saved_with_advice_beside_it(client, platform):
    tender, provider = await tender_and_provider(client, platform, lots=1)
    bid_id = await complete_bid(platform, provider, tender)
    item = tender.lots[0].price_items[0]
    to = paths(tender, bid_id)
    response = await send(client, to["prices"], {f"price-{item.id}": "9.00"})
    assert response.status_code == 303
    assert response.headers["location"] == to["prices"]
    [price] = await BidPrice.select().where(BidPrice.price_item == item.id)
    assert price["unit_price_pence"] == 900
    page = await client.get(to["prices"])
    [advice] = html(page).xpath('//*[@data-testid="advice"]')
    assert "below 70% of the council's reference price" in advice.text_content()
    assert summary(page) == {}
    # Told once: continuing without a change goes on.
    onwards = await send(client, to["prices"], {})
    assert onwards.headers["location"] == f"/bids/{bid_id}/check"


async def test_a_price_that_is_not_money_is_refused_with_what_was_typed_kept(client, platform):
    tender, provider = await tender_and_provider(client, platform, lots=1)
    bid_id = await complete_bid(platform, provider, tender)
    item = tender.lots[0].price_items[0]
    response = await send(client, paths(tender, bid_id)["prices"], {f"price-{item.id}": "lots"})
    assert response.status_code == 400
    assert title(response).startswith("Error: ")
    message = "Enter the price for Support worker, daytime in pounds and pence, like 15.87"
    assert summary(response) == {message: f"#price-{item.id}"}
    assert html(response).get_element_by_id(f"price-{item.id}").get("value") == "lots"
    [price] = await BidPrice.select().where(BidPrice.price_item == item.id)
    assert price["unit_price_pence"] == 1550


async def test_two_colleagues_saving_one_answer_get_a_conflict_not_an_overwrite(
    client, other_client, platform
):
    tender, provider = await tender_and_provider(client, platform, lots=1)
    await provider_colleague(platform, provider, COLLEAGUE)
    await sign_in(other_client, COLLEAGUE)
    bid_id = await complete_bid(platform, provider, tender)
    _, scored = questions(tender)
    section = paths(tender, bid_id)["section"]
    helens_form = form_fields(await client.get(section), section)
    sams_form = form_fields(await other_client.get(section), section)

    helens = "Helen's version: a key worker for every child."
    sams = "Sam's version: two named workers for every child."
    first = await client.post(section, data={**helens_form, f"answer-{scored}": helens})
    assert first.status_code == 303
    second = await other_client.post(section, data={**sams_form, f"answer-{scored}": sams})
    assert second.status_code == 409
    assert title(second).startswith("Error: ")
    [message] = summary(second)
    assert message.startswith("Helen Mills saved your answer to question 2 while you were editing")
    assert summary(second)[message] == f"#answer-{scored}"
    [conflict] = html(second).xpath('//*[@data-testid="conflict"]')
    assert conflict.xpath('.//*[@data-testid="theirs"]')[0].text_content() == helens
    assert conflict.xpath('.//*[@data-testid="yours"]')[0].text_content() == sams
    assert "Helen Mills" in conflict.text_content()
    assert "10:00am on Monday 23 November 2026" in conflict.text_content()
    [answer] = await Answer.select().where(Answer.question == scored)
    assert answer["text"] == helens

    # What Sam typed is kept, with the newer version: saving again keeps it on purpose.
    shown = form_fields(second, section)
    assert shown[f"answer-{scored}"] == sams
    assert shown[f"version-{scored}"] == str(answer["version"])
    kept = await other_client.post(section, data=shown)
    assert kept.status_code == 303
    [answer] = await Answer.select().where(Answer.question == scored)
    assert answer["text"] == sams


async def test_a_section_saved_twice_has_the_effect_of_once(client, platform):
    tender, provider = await tender_and_provider(client, platform, lots=1)
    bid_id = await complete_bid(platform, provider, tender)
    _, scored = questions(tender)
    section = paths(tender, bid_id)["section"]
    form = {**form_fields(await client.get(section), section), f"answer-{scored}": SAFE}
    saves = AuditEvent.action == AuditAction.BID_ANSWER_SAVE
    before = await AuditEvent.count().where(saves)
    for _ in range(2):
        response = await client.post(section, data=form)
        assert response.status_code == 303
    [answer] = await Answer.select().where(Answer.question == scored)
    assert (answer["text"], answer["version"]) == (SAFE, 2)
    assert await AuditEvent.count().where(saves) == before + 1


# Moving on to a question's files --------------------------------------------------------------


async def test_add_files_saves_what_was_typed_then_opens_the_questions_files(client, platform):
    tender, provider = await tender_and_provider(client, platform, lots=1)
    bid_id = await complete_bid(platform, provider, tender)
    gate, scored = questions(tender)
    to = paths(tender, bid_id)
    section = await client.get(to["section"])
    assert files_buttons(section) == {
        f"files:{gate}": "Save and add files for question 1",
        f"files:{scored}": "Save and add files for question 2",
    }
    assert file_counts(section) == {
        gate: "Supporting files: 0 files",
        scored: "Supporting files: 0 files",
    }
    assert "Save your answer before you add files" not in text(section)
    # Enter in a field sends the form's first button: "Save and continue", not a files one.
    [form] = html(section).xpath(f'//form[@action="{to["section"]}"]')
    assert form.xpath(".//button")[0].get("value") == "continue"

    response = await send(
        client, to["section"], {f"answer-{scored}": SAFE, "action": f"files:{scored}"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == to["evidence"]
    [answer] = await Answer.select().where(Answer.question == scored)
    assert answer["text"] == SAFE
    evidence = await client.get(to["evidence"])
    assert flash(evidence) == "Your answers have been saved"
    [back] = html(evidence).xpath('//a[contains(., "Back to your answer")]')
    assert back.get("href") == f"{to['section']}#question-{scored}"
    assert html(await client.get(to["section"])).get_element_by_id(f"answer-{scored}").text == SAFE


async def test_add_files_goes_on_with_an_answer_over_its_word_limit_saved_and_flagged(
    client, platform
):
    tender, provider = await tender_and_provider(client, platform, lots=1)
    bid_id = await complete_bid(platform, provider, tender)
    _, scored = questions(tender)
    to = paths(tender, bid_id)
    long_answer = " ".join(["word"] * 501)
    response = await send(
        client, to["section"], {f"answer-{scored}": long_answer, "action": f"files:{scored}"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == to["evidence"]
    [answer] = await Answer.select().where(Answer.question == scored)
    assert answer["text"] == long_answer
    message = "Your answer to question 2 is 501 words: shorten it by 1 word to 500 or fewer"
    assert summary(await client.get(to["section"])) == {message: f"#answer-{scored}"}


async def test_add_files_for_a_question_not_in_the_section_saves_nothing_and_keeps_the_typing(
    client, platform
):
    officer = await buyer_officer(platform)
    tender_id = await draft_tender(platform, officer, lots=2)
    draft = await authoring.own_tender(officer, tender_id)
    second_lots = await authoring.add_question(
        platform,
        officer,
        str(tender_id),
        {
            "section": str(draft.sections[0].id),
            "lot": str(draft.lots[1].id),
            "kind": "pass_fail",
            "text": "Do you run a service in the north of the county?",
        },
    )
    tender = await authoring.publish(platform, officer, str(tender_id))
    provider = await provider_user(platform)
    await sign_in(client, PROVIDER)
    bid_id = await complete_bid(platform, provider, tender)
    scored = str(tender.sections[0].questions[1].id)
    section = paths(tender, bid_id)["section"]
    assert f"files:{second_lots}" not in files_buttons(await client.get(section))

    for action in (f"files:{second_lots}", "files:not-a-question", "files:"):
        response = await send(client, section, {f"answer-{scored}": SAFE, "action": action})
        assert response.status_code == 400, action
        assert title(response).startswith("Error: ")
        assert "Choose a question in this section to add files to" in text(response)
        assert html(response).get_element_by_id(f"answer-{scored}").text == SAFE
    assert {row["text"] for row in await Answer.select().where(Answer.question == scored)} == {
        ANSWER
    }


async def test_add_files_after_someone_else_saved_shows_the_conflict_and_stays(client, platform):
    tender, provider = await tender_and_provider(client, platform, lots=1)
    bid_id = await complete_bid(platform, provider, tender)
    _, scored = questions(tender)
    to = paths(tender, bid_id)
    stale = form_fields(await client.get(to["section"]), to["section"])
    theirs = "Saved meanwhile, in another tab."
    lot = tender.lots[0].id
    await bids.save_answers(
        platform, provider, bid_id, lot, [AnswerEntry(UUID(scored), theirs, None, 1)]
    )

    response = await client.post(
        to["section"], data={**stale, f"answer-{scored}": SAFE, "action": f"files:{scored}"}
    )
    assert response.status_code == 409
    assert title(response).startswith("Error: ")
    [conflict] = html(response).xpath('//*[@data-testid="conflict"]')
    assert conflict.xpath('.//*[@data-testid="theirs"]')[0].text_content() == theirs
    assert conflict.xpath('.//*[@data-testid="yours"]')[0].text_content() == SAFE
    assert form_fields(response, to["section"])[f"answer-{scored}"] == SAFE
    [answer] = await Answer.select().where(Answer.question == scored)
    assert answer["text"] == theirs


async def test_add_files_with_an_answer_refused_stays_on_the_section(client, platform):
    tender, provider = await tender_and_provider(client, platform, lots=1)
    bid_id = await complete_bid(platform, provider, tender)
    gate, scored = questions(tender)
    section = paths(tender, bid_id)["section"]
    response = await send(
        client,
        section,
        {f"declaration-{gate}": "maybe", f"answer-{scored}": SAFE, "action": f"files:{scored}"},
    )
    assert response.status_code == 400
    assert summary(response) == {"Answer yes or no to question 1": f"#declaration-{gate}"}
    assert html(response).get_element_by_id(f"answer-{scored}").text == SAFE
    [answer] = await Answer.select().where(Answer.question == scored)
    assert answer["text"] == ANSWER


async def test_a_bid_submitted_twice_with_one_form_is_submitted_once(client, platform):
    tender, provider = await tender_and_provider(client, platform, lots=1)
    bid_id = await complete_bid(platform, provider, tender)
    check = await client.get(f"/bids/{bid_id}/check")
    form = form_fields(check, f"/bids/{bid_id}/submit")
    first = await client.post(f"/bids/{bid_id}/submit", data=form)
    second = await client.post(f"/bids/{bid_id}/submit", data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert await Submission.count() == 1


async def test_submitting_a_bid_with_problems_shows_them_on_the_check_page(client, platform):
    tender, provider = await tender_and_provider(client, platform, lots=1)
    bid_id = await complete_bid(platform, provider, tender)
    form = form_fields(await client.get(f"/bids/{bid_id}/check"), f"/bids/{bid_id}/submit")
    item = tender.lots[0].price_items[0]
    await send(client, paths(tender, bid_id)["prices"], {f"price-{item.id}": ""})
    response = await client.post(f"/bids/{bid_id}/submit", data=form)
    assert response.status_code == 400
    assert title(response).startswith("Error: ")
    assert summary(response) == {
        "Lot 1: Enter a price for Support worker, daytime": (
            f"{paths(tender, bid_id)['prices']}#price-{item.id}"
        )
    }
    assert await Submission.count() == 0


# Evidence ----------------------------------------------------------------------------------


async def test_a_pdf_is_added_listed_and_downloaded_as_an_attachment(client, platform, settings):
    tender, provider = await tender_and_provider(client, platform, lots=1)
    bid_id = await complete_bid(platform, provider, tender)
    to = paths(tender, bid_id)
    data = pdf_bytes("Safeguarding policy")
    response = await upload(client, to["evidence"], data)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == to["evidence"]

    [row] = await Evidence.select().where(Evidence.bid == bid_id)
    digest = hashlib.sha256(data).hexdigest()
    assert (row["sha256"], row["original_name"], row["content_type"], row["size"]) == (
        digest,
        "Safeguarding policy.pdf",
        "application/pdf",
        len(data),
    )
    page = await client.get(to["evidence"])
    assert flash(page) == "Safeguarding policy.pdf has been added to your answer"
    [listed] = html(page).xpath('//*[@data-testid="file"]')
    assert "Safeguarding policy.pdf" in listed.text_content()
    assert "PDF" in listed.text_content()
    section = await client.get(to["section"])
    _, scored = questions(tender)
    assert file_counts(section)[scored] == "Supporting files: 1 file"

    download = await client.get(f"/bids/{bid_id}/evidence/{row['id']}")
    assert download.status_code == 200
    assert download.content == data
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith(
        'attachment; filename="Safeguarding policy.pdf"'
    )
    assert download.headers["x-content-type-options"] == "nosniff"

    removed = await send(client, to["evidence"], {}, f"/bids/{bid_id}/evidence/{row['id']}/remove")
    assert removed.status_code == 303
    assert await Evidence.count() == 0


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        pytest.param(
            "policy.pdf",
            png_bytes(),
            "The file's contents do not match its .pdf extension",
            id="png-named-pdf",
        ),
        pytest.param(
            "policy.pdf",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\0" * 64,
            "The file's contents do not match its .pdf extension",
            id="executable-named-pdf",
        ),
        pytest.param(
            "setup.exe",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\0" * 64,
            "The selected file must be a PDF, Word document, Excel spreadsheet, PNG or JPEG",
            id="executable",
        ),
        pytest.param("empty.pdf", b"", "The selected file is empty", id="empty"),
    ],
)
async def test_a_file_that_is_not_what_it_says_is_refused_and_nothing_is_kept(
    client, platform, settings, filename, data, message
):
    tender, provider = await tender_and_provider(client, platform, lots=1)
    bid_id = await complete_bid(platform, provider, tender)
    response = await upload(client, paths(tender, bid_id)["evidence"], data, filename)
    assert response.status_code == 400
    assert title(response).startswith("Error: ")
    assert summary(response) == {message: "#file"}
    assert message in html(response).get_element_by_id("file-error").text_content()
    assert await Evidence.count() == 0
    assert stored(settings) == []
    # The form shown again can be sent: it carries the CSRF token.
    retry = await upload(
        client, paths(tender, bid_id)["evidence"], pdf_bytes(), token=shown_token(response)
    )
    assert retry.status_code == 303


@pytest.mark.parametrize("settings", [{"bid_max_bytes": 2_000}], indirect=True)
async def test_a_file_over_what_is_left_of_the_bids_limit_is_refused_before_it_is_kept(
    client, platform, settings
):
    tender, provider = await tender_and_provider(client, platform, lots=1)
    bid_id = await complete_bid(platform, provider, tender)
    response = await upload(client, paths(tender, bid_id)["evidence"], pdf_bytes() + b"\0" * 2_000)
    assert response.status_code == 413
    assert "The files of a bid can add up to" in (
        html(response).get_element_by_id("file-error").text_content()
    )
    assert await Evidence.count() == 0
    assert stored(settings) == []


@pytest.mark.parametrize("settings", [{"evidence_max_bytes": 2_000}], indirect=True)
async def test_a_file_over_the_limit_is_refused_as_too_large_and_nothing_is_kept(
    client, platform, settings
):
    tender, provider = await tender_and_provider(client, platform, lots=1)
    bid_id = await complete_bid(platform, provider, tender)
    response = await upload(client, paths(tender, bid_id)["evidence"], pdf_bytes() + b"\0" * 2_000)
    assert response.status_code == 413
    assert (
        "The selected file must be smaller than"
        in html(response).get_element_by_id("file-error").text_content()
    )
    assert await Evidence.count() == 0
    assert stored(settings) == []


async def test_a_bid_with_the_most_files_takes_no_more_and_offers_to_remove_one(
    client, platform, settings
):
    tender, provider = await tender_and_provider(client, platform, lots=1)
    bid_id = await complete_bid(platform, provider, tender)
    lot, question = tender.lots[0], tender.sections[0].questions[1]
    data = pdf_bytes()
    for number in range(MAX_FILES_PER_BID):
        await Evidence(
            bid=bid_id,
            lot=lot.id,
            question=question.id,
            sha256=f"{number:064x}",
            original_name=f"Policy {number}.pdf",
            content_type="application/pdf",
            size=len(data),
            uploaded_at=platform.clock.now(),
            uploaded_by=provider.id,
        ).save()
    page = paths(tender, bid_id)["evidence"]
    response = await upload(client, page, data)
    assert response.status_code == 400
    message = f"A bid can have {MAX_FILES_PER_BID} files at most. Remove one first"
    assert summary(response) == {message: "#file"}
    assert not html(response).xpath('//input[@type="file"]')
    assert await Evidence.count() == MAX_FILES_PER_BID
    assert stored(settings) == []

    # Removing one, from the page shown, makes room.
    [first, *_] = await Evidence.select(Evidence.id).order_by(Evidence.original_name)
    removed = await client.post(
        f"/bids/{bid_id}/evidence/{first['id']}/remove",
        data={"_csrf_token": shown_token(response)},
    )
    assert removed.status_code == 303
    assert removed.headers["location"] == page
    assert (await upload(client, page, data)).status_code == 303


async def test_an_upload_without_the_csrf_token_stores_nothing(client, platform, settings):
    tender, provider = await tender_and_provider(client, platform, lots=1)
    bid_id = await complete_bid(platform, provider, tender)
    page = paths(tender, bid_id)["evidence"]
    response = await upload(client, page, pdf_bytes(), with_token=False)
    assert response.status_code == 403
    assert await Evidence.count() == 0
    assert stored(settings) == []


# Who reaches a bid --------------------------------------------------------------------------


async def bid_pages(platform: Platform, tender: TenderView, provider: CurrentUser) -> list[str]:
    """Every page of a submitted bid with a file: the overview, a section, its evidence,
    the file, the check page and the receipt."""
    bid_id, submission = await submitted_bid(platform, provider, tender)
    to = paths(tender, bid_id)
    return [
        "/bids",
        to["base"],
        f"{to['base']}/lots",
        to["section"],
        to["prices"],
        to["evidence"],
        f"{to['base']}/check",
        f"{to['base']}/withdraw",
        f"{to['base']}/submissions/{submission.id}",
    ]


async def test_another_provider_and_the_councils_officer_are_told_the_bid_is_not_found(
    client, other_client, platform
):
    tender, provider = await tender_and_provider(client, platform, lots=1)
    pages = await bid_pages(platform, tender, provider)
    data = pdf_bytes()
    assert (
        await upload(client, paths(tender, pages[1].rsplit("/", 1)[1])["evidence"], data)
    ).status_code == 303
    [evidence] = await Evidence.select(Evidence.id)
    pages.append(f"{pages[1]}/evidence/{evidence['id']}")
    await provider_user(platform, OTHER_PROVIDER, "Lichfield Homecare")
    await sign_in(other_client, OTHER_PROVIDER)
    for page in pages[1:]:
        response = await other_client.get(page)
        assert response.status_code == 404, page
        assert data not in response.content
    assert (await other_client.get("/bids")).status_code == 200  # their own, empty

    await sign_in(other_client, OFFICER)
    for page in pages:
        response = await other_client.get(page)
        # The list of bids is refused by role; a bid is not found.
        assert response.status_code == (403 if page == "/bids" else 404), page
        assert SAFE not in response.text

    # Nor can they change it.
    section = pages[3]
    response = await post_form(
        other_client, section, {"version-x": "0"}, page=f"/tenders/{tender.id}"
    )
    assert response.status_code == 404


async def test_a_visitor_is_sent_to_sign_in(client, other_client, platform):
    tender, provider = await tender_and_provider(client, platform, lots=1)
    pages = await bid_pages(platform, tender, provider)
    for page in pages:
        response = await other_client.get(page)
        assert response.status_code == 303, page
        assert response.headers["location"].startswith("/sign-in?next=")


# After the deadline ---------------------------------------------------------------------------


async def test_after_the_deadline_nothing_can_be_saved_or_submitted(
    client, platform, clock, settings
):
    tender, provider = await tender_and_provider(client, platform, lots=1)
    bid_id = await complete_bid(platform, provider, tender)
    _, scored = questions(tender)
    to = paths(tender, bid_id)
    section_form = form_fields(await client.get(to["section"]), to["section"])
    submit_form = form_fields(await client.get(f"{to['base']}/check"), f"{to['base']}/submit")
    upload_token = await csrf_token(client, to["evidence"])

    clock.instant = DEADLINE
    await sign_in(client, PROVIDER)  # the session went idle while the clock moved
    overview = await client.get(to["base"])
    assert overview.status_code == 200
    closed = f"The deadline for this tender was {DEADLINE_WORDS}"
    assert closed in text(overview)
    assert not html(await client.get(to["section"])).xpath(f'//form[@action="{to["section"]}"]')
    assert not html(await client.get(f"{to['base']}/check")).xpath(
        f'//form[@action="{to["base"]}/submit"]'
    )

    saved = await client.post(to["section"], data={**section_form, f"answer-{scored}": "Late"})
    assert saved.status_code == 409
    assert closed in text(saved)
    [answer] = await Answer.select().where(Answer.question == scored)
    assert answer["text"] != "Late"

    submitted = await client.post(f"{to['base']}/submit", data=submit_form)
    assert submitted.status_code == 409
    assert closed in text(submitted)
    assert await Submission.count() == 0

    body, headers = multipart(
        [("_csrf_token", None, upload_token.encode()), ("file", "late.pdf", pdf_bytes())]
    )
    late = await client.post(to["evidence"], content=body, headers=headers)
    assert late.status_code == 409
    assert await Evidence.count() == 0
    assert stored(settings) == []


async def test_a_bid_is_started_again_after_the_deadline_is_refused(client, platform, clock):
    tender, _ = await tender_and_provider(client, platform, lots=1)
    token = await csrf_token(client, f"/opportunities/{tender.id}")
    clock.instant = DEADLINE + timedelta(seconds=1)
    await sign_in(client, PROVIDER)  # the session went idle while the clock moved
    response = await client.post(f"/opportunities/{tender.id}/bid", data={"_csrf_token": token})
    assert response.status_code == 409
    assert DEADLINE_WORDS in text(response)
    assert await Bid.count() == 0
