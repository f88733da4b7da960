"""Providers follow tenders and ask questions before the clarification deadline; officers
answer and publish them to every interested provider, never saying who asked."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from app.platform import Platform
from app.tables import AuditEvent, OutboxMessage
from app.templating import make_environment
from app.vocabulary import AuditAction
from tenders.services import addenda, clarifications
from tenders.services.clarifications import NEW_CLARIFICATION
from tenders.tables import Clarification, Interest
from tenders.vocabulary import TenderStatus
from tests.conftest import (
    assert_form_refused,
    bearer,
    buyer_officer,
    evaluator,
    flash,
    html,
    post_form,
    provider_colleague,
    provider_user,
    sign_in,
    title,
)
from tests.tenders.factories import (
    CLARIFICATION_DEADLINE,
    DEADLINE,
    draft_tender,
    london_parts,
    published_tender,
)

OFFICER = "priya.shah@staffordshire.example"
PROVIDER = "helen@moorlands-care.example"
QUESTION = "We are Moorlands Supported Living CIC. Can a provider bid for the overnight lot alone?"
REWORDED = "Can a provider bid for the overnight lot alone?"
ANSWER = "Yes. Each lot is evaluated on its own, and you may bid for one lot or several."


# Helpers shared by the addenda and documents tests -------------------------------------


async def mail_to(subject: str) -> list[dict]:
    """The queued emails with this subject, by recipient."""
    rows = await OutboxMessage.select().where(OutboxMessage.subject == subject)
    return sorted(rows, key=lambda row: row["recipient"])


async def interested_providers(platform: Platform, tender_id: UUID) -> list[str]:
    """Two organisations follow the tender (one of them with two users), a third does not.
    Returns the emails that should be told of a change."""
    moorlands = await provider_user(platform)
    await provider_colleague(platform, moorlands)
    lichfield = await provider_user(platform, "ade@lichfield-care.example", "Lichfield Homecare")
    await provider_user(platform, "kim@elsewhere-care.example", "Not Following Ltd")
    await clarifications.register_interest(platform, moorlands, str(tender_id))
    await clarifications.register_interest(platform, lichfield, str(tender_id))
    return sorted(
        ["helen@moorlands-care.example", "sam@moorlands-care.example", "ade@lichfield-care.example"]
    )


def text(response) -> str:
    return " ".join(html(response).text_content().split())


# Interest -------------------------------------------------------------------------------


async def test_a_provider_registers_interest_and_sees_it_in_my_opportunities(
    client, platform, clock
):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    await provider_user(platform)
    await sign_in(client, PROVIDER)
    response = await post_form(client, f"/opportunities/{tender.id}/interest", {})
    assert response.status_code == 303
    assert response.headers["location"] == f"/opportunities/{tender.id}"

    page = await client.get("/my-opportunities")
    assert page.status_code == 200
    assert title(page) == "My opportunities \N{EN DASH} caretender"
    assert "You are following this tender" in flash(page)
    row = " ".join(
        html(page).xpath('//*[@data-testid="opportunities"]//tbody/tr')[0].text_content().split()
    )
    assert tender.title in row
    assert "Open" in row
    assert "Closes in 18 days, at 12:00pm on Friday 11 December 2026" in row


async def test_registering_interest_twice_has_the_effect_of_once(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    await provider_user(platform)
    await sign_in(client, PROVIDER)
    for _ in range(2):
        response = await post_form(client, f"/opportunities/{tender.id}/interest", {})
        assert response.status_code == 303
    headers = await bearer(client, PROVIDER)
    again = await client.post(f"/api/v1/opportunities/{tender.id}/interest", headers=headers)
    assert again.status_code == 200
    assert again.json() == {"tender_id": str(tender.id), "following": True}
    assert await Interest.count().where(Interest.tender == tender.id) == 1
    registered = AuditEvent.action == AuditAction.TENDER_INTEREST_REGISTER
    assert await AuditEvent.count().where(registered) == 1


async def test_a_provider_stops_following_a_tender(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    provider = await provider_user(platform)
    await clarifications.register_interest(platform, provider, str(tender.id))
    await sign_in(client, PROVIDER)
    response = await post_form(client, f"/opportunities/{tender.id}/interest/withdraw", {})
    assert response.status_code == 303
    page = await client.get("/my-opportunities")
    assert flash(page) == "You are no longer following that tender"
    assert html(page).xpath('//*[@data-testid="empty"]')

    headers = await bearer(client, PROVIDER)
    await client.post(f"/api/v1/opportunities/{tender.id}/interest", headers=headers)
    gone = await client.delete(f"/api/v1/opportunities/{tender.id}/interest", headers=headers)
    assert gone.status_code == 204
    assert await Interest.count() == 0


async def test_buyer_users_cannot_register_interest(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    await evaluator(platform, officer)
    await sign_in(client, OFFICER)
    page = await post_form(client, f"/opportunities/{tender.id}/interest", {})
    assert page.status_code == 403
    for email in (OFFICER, "tom.barker@staffordshire.example"):
        response = await client.post(
            f"/api/v1/opportunities/{tender.id}/interest", headers=await bearer(client, email)
        )
        assert response.status_code == 403
        assert response.json()["message"] == "Only care providers can register interest in a tender"
    assert await Interest.count() == 0


async def test_interest_in_a_draft_is_not_found(client, platform):
    officer = await buyer_officer(platform)
    tender_id = await draft_tender(platform, officer)
    await provider_user(platform)
    response = await client.post(
        f"/api/v1/opportunities/{tender_id}/interest", headers=await bearer(client, PROVIDER)
    )
    assert response.status_code == 404


async def test_interest_in_a_closed_tender_is_refused(client, platform, clock):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    await provider_user(platform)
    clock.advance(timedelta(days=30))
    headers = await bearer(client, PROVIDER)
    response = await client.post(f"/api/v1/opportunities/{tender.id}/interest", headers=headers)
    assert response.status_code == 409
    assert response.json()["message"] == (
        "This tender closed at 12:00pm on Friday 11 December 2026"
    )


async def test_the_tender_page_offers_a_provider_to_follow_and_ask(platform, clock):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    provider = await provider_user(platform)
    partial = make_environment().get_template("tenders/clarifications/_tender_actions.html")

    def shown(actions) -> str:
        page = partial.render(actions=actions, tender=tender, csrf_token=lambda: "token")
        return " ".join(page.split())

    before = await clarifications.tender_actions(platform, provider, tender)
    assert "Register interest" in shown(before)
    assert "Ask a question" in shown(before)
    await clarifications.register_interest(platform, provider, str(tender.id))
    after = await clarifications.tender_actions(platform, provider, tender)
    assert "You are following this tender" in shown(after)
    assert "Register interest" not in shown(after)
    assert shown(await clarifications.tender_actions(platform, officer, tender)) == ""
    assert shown(await clarifications.tender_actions(platform, None, tender)) == ""
    clock.instant = CLARIFICATION_DEADLINE
    late = await clarifications.tender_actions(platform, provider, tender)
    assert "Ask a question" not in shown(late)
    assert "The deadline for questions was 12:00pm on Friday 4 December 2026" in shown(late)


# Questions ------------------------------------------------------------------------------


async def test_a_provider_asks_a_question_and_its_organisation_follows_the_tender(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    provider = await provider_user(platform)
    await sign_in(client, PROVIDER)
    form = await client.get(f"/opportunities/{tender.id}/questions/new")
    assert form.status_code == 200
    assert title(form) == f"Ask a question about {tender.title} \N{EN DASH} caretender"
    response = await post_form(
        client,
        f"/opportunities/{tender.id}/questions/new",
        {"question": QUESTION},
        page=f"/opportunities/{tender.id}/questions/new",
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/opportunities/{tender.id}"
    asked = await Clarification.select().where(Clarification.tender == tender.id)
    assert [(row["question"], row["asked_by"], row["published_at"]) for row in asked] == [
        (QUESTION, provider.organisation_id, None)
    ]
    assert await Interest.count().where(Interest.organisation == provider.organisation_id) == 1


async def test_a_question_at_the_clarification_deadline_is_refused(client, platform, clock):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    await provider_user(platform)
    clock.instant = CLARIFICATION_DEADLINE
    await sign_in(client, PROVIDER)
    headers = await bearer(client, PROVIDER)
    message = (
        "The deadline for questions about this tender was 12:00pm on Friday 4 December 2026. "
        "You can no longer ask a question"
    )
    page = await post_form(
        client, f"/opportunities/{tender.id}/questions/new", {"question": QUESTION}
    )
    assert page.status_code == 409
    assert message in text(page)
    form = await client.get(f"/opportunities/{tender.id}/questions/new")
    assert form.status_code == 409
    api = await client.post(
        f"/api/v1/opportunities/{tender.id}/questions", json={"question": QUESTION}, headers=headers
    )
    assert api.status_code == 409
    assert api.json()["message"] == message
    assert await Clarification.count() == 0


async def test_a_question_just_before_the_deadline_is_accepted(client, platform, clock):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    await provider_user(platform)
    clock.instant = CLARIFICATION_DEADLINE - timedelta(seconds=1)
    headers = await bearer(client, PROVIDER)
    response = await client.post(
        f"/api/v1/opportunities/{tender.id}/questions", json={"question": QUESTION}, headers=headers
    )
    assert response.status_code == 201
    assert response.json()["question"] == QUESTION


async def test_an_empty_question_is_refused(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    await provider_user(platform)
    await sign_in(client, PROVIDER)
    response = await post_form(
        client, f"/opportunities/{tender.id}/questions/new", {"question": "   "}
    )
    assert_form_refused(response, "question", "Enter your question", {})
    api = await client.post(
        f"/api/v1/opportunities/{tender.id}/questions",
        json={},
        headers=await bearer(client, PROVIDER),
    )
    assert api.status_code == 400
    assert api.json()["errors"] == {"question": "Enter your question"}
    assert await Clarification.count() == 0


async def test_an_officer_cannot_ask_a_question(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    response = await client.post(
        f"/api/v1/opportunities/{tender.id}/questions",
        json={"question": QUESTION},
        headers=await bearer(client, OFFICER),
    )
    assert response.status_code == 403
    assert await Clarification.count() == 0


# Answers --------------------------------------------------------------------------------


async def asked(platform: Platform, tender_id: UUID) -> UUID:
    provider = await provider_user(platform)
    return await clarifications.ask_question(
        platform, provider, str(tender_id), {"question": QUESTION}
    )


async def test_the_officer_sees_each_question_with_the_organisation_that_asked(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    await asked(platform, tender.id)
    await sign_in(client, OFFICER)
    page = await client.get(f"/tenders/{tender.id}/clarifications")
    assert page.status_code == 200
    assert title(page) == f"Clarifications: {tender.title} \N{EN DASH} caretender"
    waiting = " ".join(html(page).xpath('//*[@data-testid="waiting"]')[0].text_content().split())
    assert QUESTION in waiting
    assert "Moorlands Supported Living CIC" in waiting


async def test_an_answer_is_published_to_everyone_without_the_asker(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    clarification_id = await asked(platform, tender.id)
    await sign_in(client, OFFICER)
    url = f"/tenders/{tender.id}/clarifications/{clarification_id}/answer"
    form = await client.get(url)
    assert title(form) == "Answer a question \N{EN DASH} caretender"
    response = await post_form(client, url, {"question": REWORDED, "answer": ANSWER}, page=url)
    assert response.status_code == 303
    assert response.headers["location"] == f"/tenders/{tender.id}/clarifications"

    public = await client.get(f"/api/v1/tenders/{tender.id}/clarifications")
    assert public.status_code == 200
    [published] = public.json()
    assert (published["question"], published["answer"]) == (REWORDED, ANSWER)
    assert "Moorlands" not in public.text
    assert "asked_by" not in published

    listed = await clarifications.published_clarifications(tender.id)
    partial = make_environment().get_template("tenders/clarifications/_published.html")
    shown = " ".join(partial.render(clarifications=listed).split())
    assert REWORDED in shown
    assert ANSWER in shown
    assert "Moorlands" not in shown


async def test_publishing_emails_every_user_of_every_interested_organisation_and_only_them(
    client, platform, settings
):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    told = await interested_providers(platform, tender.id)
    provider = await provider_user(platform, "jo@asker-care.example", "Asking Care Ltd")
    clarification_id = await clarifications.ask_question(
        platform, provider, str(tender.id), {"question": "Asking Care Ltd asks: is TUPE likely?"}
    )
    headers = await bearer(client, OFFICER)
    response = await client.post(
        f"/api/v1/tenders/{tender.id}/clarifications/{clarification_id}/answer",
        json={"question": "Is TUPE likely to apply?", "answer": "No."},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    mail = await mail_to(NEW_CLARIFICATION)
    assert [row["recipient"] for row in mail] == sorted([*told, "jo@asker-care.example"])
    link = f"{settings.base_url}/opportunities/{tender.id}"
    for row in mail:
        assert link in row["body"]
        assert "Is TUPE likely to apply?" in row["body"]
        assert "Asking Care" not in row["body"]


async def test_a_provider_cannot_answer_a_question(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    clarification_id = await asked(platform, tender.id)
    await sign_in(client, PROVIDER)
    url = f"/tenders/{tender.id}/clarifications/{clarification_id}/answer"
    assert (await post_form(client, url, {"answer": ANSWER})).status_code == 403
    assert (await client.get(f"/tenders/{tender.id}/clarifications")).status_code == 403
    api = await client.post(
        f"/api/v1{url}", json={"answer": ANSWER}, headers=await bearer(client, PROVIDER)
    )
    assert api.status_code == 403
    assert await Clarification.count().where(Clarification.published_at.is_not_null()) == 0


async def test_another_councils_officer_cannot_see_or_answer_the_questions(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    clarification_id = await asked(platform, tender.id)
    await buyer_officer(platform, "ravi@tamworth.example", "Tamworth Borough Council")
    await sign_in(client, "ravi@tamworth.example")
    url = f"/tenders/{tender.id}/clarifications/{clarification_id}/answer"
    assert (await client.get(f"/tenders/{tender.id}/clarifications")).status_code == 404
    assert (await post_form(client, url, {"answer": ANSWER})).status_code == 404
    api = await client.post(
        f"/api/v1{url}",
        json={"answer": ANSWER},
        headers=await bearer(client, "ravi@tamworth.example"),
    )
    assert api.status_code == 404
    assert await OutboxMessage.count().where(OutboxMessage.subject == NEW_CLARIFICATION) == 0


async def test_an_answer_needs_words(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    clarification_id = await asked(platform, tender.id)
    await sign_in(client, OFFICER)
    url = f"/tenders/{tender.id}/clarifications/{clarification_id}/answer"
    response = await post_form(client, url, {"question": REWORDED, "answer": ""}, page=url)
    assert_form_refused(response, "answer", "Enter the answer", {})
    assert await Clarification.count().where(Clarification.published_at.is_not_null()) == 0


async def test_the_same_answer_sent_twice_is_published_and_emailed_once(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    clarification_id = await asked(platform, tender.id)
    await sign_in(client, OFFICER)
    url = f"/tenders/{tender.id}/clarifications/{clarification_id}/answer"
    for _ in range(2):
        response = await post_form(client, url, {"answer": ANSWER}, page=url)
        assert response.status_code == 303
    assert len(await mail_to(NEW_CLARIFICATION)) == 1
    different = await post_form(client, url, {"answer": "No."}, page=url)
    assert different.status_code == 409
    assert "already been answered and published" in text(different)


async def test_the_officer_publishes_a_clarification_of_their_own(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    told = await interested_providers(platform, tender.id)
    await sign_in(client, OFFICER)
    url = f"/tenders/{tender.id}/clarifications/new"
    form = await client.get(url)
    assert title(form) == "Publish a clarification \N{EN DASH} caretender"
    refused = await post_form(client, url, {"question": "Lot 2"}, page=url)
    assert_form_refused(refused, "answer", "Enter the clarification", {})
    for _ in range(2):  # a double click publishes it once
        response = await post_form(
            client, url, {"question": "Lot 2", "answer": "Lot 2 covers nights only."}, page=url
        )
        assert response.status_code == 303
    public = (await client.get(f"/api/v1/tenders/{tender.id}/clarifications")).json()
    assert [(c["question"], c["answer"]) for c in public] == [
        ("Lot 2", "Lot 2 covers nights only.")
    ]
    assert [row["recipient"] for row in await mail_to(NEW_CLARIFICATION)] == told


async def test_clarifications_of_a_draft_are_not_public(client, platform):
    officer = await buyer_officer(platform)
    tender_id = await draft_tender(platform, officer)
    response = await client.get(f"/api/v1/tenders/{tender_id}/clarifications")
    assert response.status_code == 404
    assert (await client.get("/api/v1/tenders/not-a-uuid/clarifications")).status_code == 404


async def test_my_opportunities_counts_the_published_clarifications(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    clarification_id = await asked(platform, tender.id)
    headers = await bearer(client, PROVIDER)
    before = (await client.get("/api/v1/my-opportunities", headers=headers)).json()["items"]
    assert [(o["title"], o["status"], o["clarifications"]) for o in before] == [
        (tender.title, "published", 0)
    ]
    await clarifications.answer_question(
        platform, officer, str(tender.id), str(clarification_id), {"answer": ANSWER}
    )
    after = (await client.get("/api/v1/my-opportunities", headers=headers)).json()["items"]
    assert after[0]["clarifications"] == 1
    officer_view = await client.get(
        "/api/v1/my-opportunities", headers=await bearer(client, OFFICER)
    )
    assert officer_view.status_code == 403


async def test_my_opportunities_come_a_page_at_a_time_open_ones_first(
    client, platform, clock, monkeypatch
):
    monkeypatch.setattr(clarifications, "FOLLOWED_PAGE_SIZE", 3)
    officer = await buyer_officer(platform)
    provider = await provider_user(platform)
    # Deadlines a day, two days and five days after the first tender's.
    tenders = {}
    for days in (0, 1, 2, 5):
        tender = await published_tender(platform, officer, title=f"Overnight support {days}")
        if days:
            moved = london_parts("submission_deadline", DEADLINE + timedelta(days=days))
            await addenda.extend_deadline(platform, officer, str(tender.id), moved)
        await clarifications.register_interest(platform, provider, str(tender.id))
        tenders[days] = tender
    clock.instant = DEADLINE + timedelta(days=1, hours=12)

    first = await clarifications.my_opportunities(platform, provider)
    # Open, closing soonest first; then closed, the most recently closed first.
    assert [o.tender_id for o in first.items] == [tenders[d].id for d in (2, 5, 1)]
    assert [o.status for o in first.items] == [TenderStatus.PUBLISHED] * 2 + [TenderStatus.CLOSED]
    assert (first.number, first.pages, first.total) == (1, 2, 4)
    last = await clarifications.my_opportunities(platform, provider, 3)
    assert last.number == 2
    assert [o.tender_id for o in last.items] == [tenders[0].id]

    await sign_in(client, PROVIDER)
    page = await client.get("/my-opportunities")
    assert "4 tenders followed, open ones first" in page.text
    assert html(page).xpath('//nav[@aria-label="Pages of tenders you follow"]//a[@href="?page=2"]')
    listed = await client.get(
        "/api/v1/my-opportunities?page=2", headers=await bearer(client, PROVIDER)
    )
    assert listed.json()["page"] == 2
    assert [o["title"] for o in listed.json()["items"]] == [tenders[0].title]


@pytest.mark.parametrize("who", ["visitor", "officer"])
async def test_my_opportunities_is_for_providers(client, platform, who):
    await buyer_officer(platform)
    if who == "officer":
        await sign_in(client, OFFICER)
        assert (await client.get("/my-opportunities")).status_code == 403
    else:
        response = await client.get("/my-opportunities")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/sign-in")


async def test_the_public_tender_page_shows_the_answer_and_the_follow_button(
    client, other_client, platform
):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    clarification_id = await asked(platform, tender.id)
    await clarifications.answer_question(
        platform,
        officer,
        str(tender.id),
        str(clarification_id),
        {"question": REWORDED, "answer": ANSWER},
    )
    await provider_user(platform, "jo@cannock-family.example", "Cannock Chase Family Support")
    await sign_in(client, "jo@cannock-family.example")
    page = " ".join((await client.get(f"/opportunities/{tender.id}")).text.split())
    assert REWORDED in page
    assert ANSWER in page
    assert "Moorlands Supported Living" not in page
    assert "Register interest" in page
    visitor = " ".join((await other_client.get(f"/opportunities/{tender.id}")).text.split())
    assert ANSWER in visitor
    assert "Register interest" not in visitor
