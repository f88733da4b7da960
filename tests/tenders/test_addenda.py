"""After publication an officer may extend the deadline (never bring it forward) and cancel
the tender with a reason; every interested provider is emailed, and only if the change
commits."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import database
from app.tables import AuditEvent, OutboxMessage
from app.vocabulary import AuditAction
from tenders.services import addenda, clarifications
from tenders.services.views import load_tender
from tenders.tables import Tender, TenderRelease
from tenders.vocabulary import TenderStatus
from tests.conftest import (
    assert_form_refused,
    bearer,
    buyer_officer,
    html,
    post_form,
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
from tests.tenders.test_clarifications import (
    OFFICER,
    PROVIDER,
    QUESTION,
    interested_providers,
    mail_to,
    text,
)

LATER = DEADLINE + timedelta(days=7)
MOVED = "has moved to 12:00pm on Friday 18 December 2026"
REASON = "The council has decided to bring the service in house."


def moved_subject(tender) -> str:
    return f"The deadline for {tender.title} {MOVED}"


async def releases(tender_id, tag: str) -> int:
    return await TenderRelease.count().where(
        TenderRelease.tender == tender_id, TenderRelease.tag == tag
    )


# Extending ------------------------------------------------------------------------------


async def test_an_officer_extends_the_deadline_and_every_interested_provider_is_emailed(
    client, platform, settings
):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    told = await interested_providers(platform, tender.id)
    await sign_in(client, OFFICER)
    url = f"/tenders/{tender.id}/extend"
    form = await client.get(url)
    assert form.status_code == 200
    assert title(form) == "Extend the deadline \N{EN DASH} caretender"
    response = await post_form(client, url, london_parts("submission_deadline", LATER), page=url)
    assert response.status_code == 303
    assert response.headers["location"] == f"/tenders/{tender.id}"

    extended = await load_tender(tender.id)
    assert extended.submission_deadline == LATER
    assert extended.clarification_deadline == CLARIFICATION_DEADLINE
    assert extended.version == tender.version + 1
    assert await releases(tender.id, "tenderUpdate") == 1
    assert await AuditEvent.count().where(AuditEvent.action == AuditAction.TENDER_TENDER_EXTEND)
    mail = await mail_to(moved_subject(tender))
    assert [row["recipient"] for row in mail] == told
    assert all(f"{settings.base_url}/opportunities/{tender.id}" in row["body"] for row in mail)


async def test_an_extension_to_an_earlier_time_is_refused(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    await interested_providers(platform, tender.id)
    await sign_in(client, OFFICER)
    url = f"/tenders/{tender.id}/extend"
    earlier = london_parts("submission_deadline", DEADLINE - timedelta(days=1))
    response = await post_form(client, url, earlier, page=url)
    assert_form_refused(
        response,
        "submission_deadline",
        "The new deadline must be later than the current deadline, "
        "12:00pm on Friday 11 December 2026",
        {},
    )
    assert html_value(response, "submission_deadline-day") == earlier["submission_deadline-day"]
    unchanged = await load_tender(tender.id)
    assert unchanged.submission_deadline == DEADLINE
    assert await OutboxMessage.count().where(OutboxMessage.subject.like("The deadline for%")) == 0


def html_value(response, name: str) -> str:
    return html(response).xpath(f'//input[@name="{name}"]/@value')[0]


async def test_an_extension_to_the_same_time_is_refused_on_the_api(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    response = await client.post(
        f"/api/v1/tenders/{tender.id}/extend",
        json={"submission_deadline": DEADLINE.isoformat()},
        headers=await bearer(client, OFFICER),
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "submission_deadline": "The new deadline must be later than the current deadline, "
        "12:00pm on Friday 11 December 2026"
    }


async def test_an_extension_needs_a_new_deadline(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    await sign_in(client, OFFICER)
    url = f"/tenders/{tender.id}/extend"
    response = await post_form(client, url, {}, page=url)
    assert_form_refused(response, "submission_deadline", "Enter the new submission deadline", {})


async def test_the_clarification_deadline_must_stay_before_the_submission_deadline(
    client, platform
):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    response = await client.post(
        f"/api/v1/tenders/{tender.id}/extend",
        json={
            "submission_deadline": LATER.isoformat(),
            "clarification_deadline": (LATER + timedelta(hours=1)).isoformat(),
        },
        headers=await bearer(client, OFFICER),
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "clarification_deadline": "The deadline for clarification questions must be before "
        "the submission deadline"
    }


async def test_extending_the_clarification_deadline_lets_providers_ask_again(
    client, platform, clock
):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    provider = await provider_user(platform)
    clock.instant = CLARIFICATION_DEADLINE + timedelta(hours=1)
    headers = await bearer(client, OFFICER)
    response = await client.post(
        f"/api/v1/tenders/{tender.id}/extend",
        json={
            "submission_deadline": LATER.isoformat(),
            "clarification_deadline": (LATER - timedelta(days=3)).isoformat(),
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["submission_deadline"] == "2026-12-18T12:00:00Z"
    assert await clarifications.ask_question(
        platform, provider, str(tender.id), {"question": QUESTION}
    )


async def test_a_closed_tender_cannot_be_extended(client, platform, clock):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    clock.instant = DEADLINE
    await sign_in(client, OFFICER)
    url = f"/tenders/{tender.id}/extend"
    response = await post_form(client, url, london_parts("submission_deadline", LATER))
    assert response.status_code == 409
    assert (
        "This tender closed at 12:00pm on Friday 11 December 2026, so you cannot extend its "
        "deadline" in text(response)
    )
    assert (await load_tender(tender.id)).submission_deadline == DEADLINE


async def test_a_draft_is_not_extended_but_edited(client, platform):
    officer = await buyer_officer(platform)
    tender_id = await draft_tender(platform, officer)
    response = await client.post(
        f"/api/v1/tenders/{tender_id}/extend",
        json={"submission_deadline": LATER.isoformat()},
        headers=await bearer(client, OFFICER),
    )
    assert response.status_code == 409
    assert "has not been published" in response.json()["message"]


async def test_a_provider_cannot_extend_or_cancel(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    await provider_user(platform)
    await sign_in(client, PROVIDER)
    extend = await post_form(
        client, f"/tenders/{tender.id}/extend", london_parts("submission_deadline", LATER)
    )
    cancel = await post_form(client, f"/tenders/{tender.id}/cancel", {"reason": REASON})
    assert (extend.status_code, cancel.status_code) == (403, 403)
    headers = await bearer(client, PROVIDER)
    api_extend = await client.post(
        f"/api/v1/tenders/{tender.id}/extend",
        json={"submission_deadline": LATER.isoformat()},
        headers=headers,
    )
    api_cancel = await client.post(
        f"/api/v1/tenders/{tender.id}/cancel", json={"reason": REASON}, headers=headers
    )
    assert (api_extend.status_code, api_cancel.status_code) == (403, 403)
    unchanged = await load_tender(tender.id)
    assert (unchanged.submission_deadline, unchanged.stored_status) == (
        DEADLINE,
        TenderStatus.PUBLISHED,
    )


async def test_another_councils_officer_cannot_extend_or_cancel(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    await buyer_officer(platform, "ravi@tamworth.example", "Tamworth Borough Council")
    await sign_in(client, "ravi@tamworth.example")
    assert (await client.get(f"/tenders/{tender.id}/extend")).status_code == 404
    assert (await client.get(f"/tenders/{tender.id}/cancel")).status_code == 404
    headers = await bearer(client, "ravi@tamworth.example")
    api_extend = await client.post(
        f"/api/v1/tenders/{tender.id}/extend",
        json={"submission_deadline": LATER.isoformat()},
        headers=headers,
    )
    api_cancel = await client.post(
        f"/api/v1/tenders/{tender.id}/cancel", json={"reason": REASON}, headers=headers
    )
    assert (api_extend.status_code, api_cancel.status_code) == (404, 404)


async def test_after_a_rollback_no_email_is_queued(platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    await interested_providers(platform, tender.id)

    class Interrupted(Exception):
        pass

    async def extend_then_fail() -> None:
        async with database.write_transaction():
            await addenda.extend_deadline(
                platform, officer, str(tender.id), london_parts("submission_deadline", LATER)
            )
            assert len(await mail_to(moved_subject(tender))) == 3
            raise Interrupted

    with pytest.raises(Interrupted):
        await extend_then_fail()
    assert await mail_to(moved_subject(tender)) == []
    assert (await load_tender(tender.id)).submission_deadline == DEADLINE


# Cancelling -----------------------------------------------------------------------------


async def test_an_officer_cancels_a_tender_and_interested_providers_are_told_why(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    told = await interested_providers(platform, tender.id)
    await sign_in(client, OFFICER)
    url = f"/tenders/{tender.id}/cancel"
    form = await client.get(url)
    assert title(form) == "Cancel the tender \N{EN DASH} caretender"
    response = await post_form(client, url, {"reason": REASON}, page=url)
    assert response.status_code == 303
    cancelled = await load_tender(tender.id)
    assert (cancelled.stored_status, cancelled.cancel_reason) == (TenderStatus.CANCELLED, REASON)
    assert await releases(tender.id, "tenderCancellation") == 1
    mail = await mail_to(f"{tender.title} has been cancelled")
    assert [row["recipient"] for row in mail] == told
    assert all(REASON in row["body"] for row in mail)


async def test_cancelling_needs_a_reason(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    await sign_in(client, OFFICER)
    url = f"/tenders/{tender.id}/cancel"
    response = await post_form(client, url, {"reason": " "}, page=url)
    assert_form_refused(response, "reason", "Enter the reason for cancelling the tender", {})
    assert (await load_tender(tender.id)).stored_status is TenderStatus.PUBLISHED


async def test_a_tender_is_cancelled_once(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    await interested_providers(platform, tender.id)
    headers = await bearer(client, OFFICER)
    url = f"/api/v1/tenders/{tender.id}/cancel"
    first = await client.post(url, json={"reason": REASON}, headers=headers)
    assert first.status_code == 200
    assert first.json()["status"] == "cancelled"
    repeat = await client.post(url, json={"reason": REASON}, headers=headers)
    assert repeat.status_code == 200
    again = await client.post(url, json={"reason": "Another reason"}, headers=headers)
    assert again.status_code == 409
    assert again.json()["message"] == "This tender has already been cancelled"
    assert len(await mail_to(f"{tender.title} has been cancelled")) == 3
    cancels = AuditEvent.action == AuditAction.TENDER_TENDER_CANCEL
    assert await AuditEvent.count().where(cancels) == 1


async def test_a_draft_can_be_cancelled_without_any_release(client, platform):
    officer = await buyer_officer(platform)
    tender_id = await draft_tender(platform, officer)
    await sign_in(client, OFFICER)
    response = await post_form(
        client,
        f"/tenders/{tender_id}/cancel",
        {"reason": REASON},
        page=f"/tenders/{tender_id}/cancel",
    )
    assert response.status_code == 303
    row = await Tender.select(Tender.status).where(Tender.id == tender_id).first()
    assert row["status"] == "cancelled"
    assert await TenderRelease.count().where(TenderRelease.tender == tender_id) == 0


async def test_a_cancelled_tender_takes_no_questions_interest_or_extension(client, platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    await addenda.cancel_tender(platform, officer, str(tender.id), {"reason": REASON})
    await provider_user(platform)
    headers = await bearer(client, PROVIDER)
    question = await client.post(
        f"/api/v1/opportunities/{tender.id}/questions", json={"question": QUESTION}, headers=headers
    )
    assert question.status_code == 409
    assert question.json()["message"] == (
        "This tender has been cancelled, so questions can no longer be asked"
    )
    interest = await client.post(f"/api/v1/opportunities/{tender.id}/interest", headers=headers)
    assert interest.status_code == 409
    extend = await client.post(
        f"/api/v1/tenders/{tender.id}/extend",
        json={"submission_deadline": LATER.isoformat()},
        headers=await bearer(client, OFFICER),
    )
    assert extend.status_code == 409
    assert extend.json()["message"] == (
        "This tender has been cancelled, so you cannot extend its deadline"
    )
