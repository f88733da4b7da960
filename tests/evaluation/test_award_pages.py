"""The award page (rule 11): an officer produces the award report of a moderated tender and
downloads it as it was kept, and an officer on none of the tender's panels approves the
award with reasons against the latest report's digest; a panel member is told they may not,
and refused; before moderation the page says what must happen first. The award is the
business of the council's officers: evaluators are refused, anyone else finds nothing."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from datetime import timedelta
from uuid import uuid4

import httpx
import pytest

from app.clock import FixedClock
from app.errors import NotFound, NotPermitted
from app.platform import Platform
from app.templating import london_time
from app.vocabulary import AuditAction
from evaluation.services import awards, panels
from evaluation.services.award_report import NOT_FOR_EVALUATORS
from evaluation.tables import AwardDecision, AwardReport
from tenders.services.views import load_tender
from tenders.vocabulary import TenderStatus
from tests.conftest import (
    assert_form_refused,
    buyer_officer,
    csrf_token,
    flash,
    html,
    post_form,
    sign_in,
    title,
)
from tests.evaluation import test_awards
from tests.evaluation.factories import (
    Evaluation,
    agree_everything,
    colleague,
    declare_none,
    evaluation,
    score_everything,
)
from tests.evaluation.test_moderation_pages import signed_in, words
from tests.evaluation.test_scores import events

#: Signed off, with an officer of the council (Olu Ade) as the lot's moderator.
moderated = test_awards.moderated

REASONS = "The recommended bids offer the best value for money, as the report shows."
OTHER_COUNCIL = ("sam.cole@derbyshire.example", "Derbyshire County Council")


def award_url(setup: Evaluation) -> str:
    return f"/tenders/{setup.tender.id}/award"


def download_url(setup: Evaluation, report: awards.StoredReport) -> str:
    return f"{award_url(setup)}/reports/{report.id}.pdf"


async def post_on_award(
    client: httpx.AsyncClient, setup: Evaluation, action: str, data: dict[str, str] | None = None
) -> httpx.Response:
    """Post one of the award page's forms, with the CSRF token from a page the person may
    see (the award page itself may refuse them)."""
    return await post_form(client, f"{award_url(setup)}/{action}", data or {}, page="/account")


def message(response: httpx.Response) -> str:
    """The error page's message."""
    return words(html(response).xpath("//main//h1/following-sibling::p")[0])


def shown_digests(response: httpx.Response) -> list[str]:
    return [words(code) for code in html(response).xpath('//*[@data-testid="digest"]')]


# The officer's journey --------------------------------------------------------------------


async def test_an_officer_produces_the_report_downloads_it_and_approves_the_award(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock, moderated: Evaluation
) -> None:
    await sign_in(client, moderated.officer.email)
    tender_page = await client.get(f"/tenders/{moderated.tender.id}")
    assert award_url(moderated) in html(tender_page).xpath(
        '//*[@data-testid="evaluation-links"]//a/@href'
    )
    page = await client.get(award_url(moderated))
    assert page.status_code == 200
    assert title(page).startswith(f"Award: {moderated.tender.title}")
    assert words(html(page).xpath('//*[@data-testid="no-reports"]')[0]) == (
        "No award report has been produced yet."
    )
    assert words(html(page).xpath('//*[@data-testid="approval-waiting"]')[0]).startswith(
        "Produce the award report and read it"
    )
    assert not html(page).xpath(f'//form[@action="{award_url(moderated)}/approve"]')

    produced = await post_form(
        client, f"{award_url(moderated)}/reports", {}, page=award_url(moderated)
    )
    assert produced.status_code == 303
    assert produced.headers["location"] == f"{award_url(moderated)}#reports"
    page = await client.get(award_url(moderated))
    made_at = london_time(clock.now())
    assert flash(page) == f"The award report has been produced at {made_at}"
    [report] = await awards.reports(moderated.officer, moderated.tender.id)
    [row] = html(page).xpath('//tr[@data-testid="report"]')
    cells = [words(cell) for cell in row.xpath("./td")]
    assert cells[:3] == [f"{moderated.officer.name} Latest", made_at, report.sha256]
    assert re.fullmatch("[0-9a-f]{64}", shown_digests(page)[0])

    [link] = row.xpath(".//a/@href")
    assert link == download_url(moderated, report)
    download = await client.get(link)
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith(
        f'attachment; filename="award-report-{moderated.tender.reference}.pdf"'
    )
    assert download.content.startswith(b"%PDF")
    # Each download is audited: the report holds every bid's scores.
    [read] = await events(AuditAction.EVALUATION_AWARD_REPORT_READ)
    assert read["actor_id"] == str(moderated.officer.id)
    assert read["details"] == {"report": str(report.id), "sha256": report.sha256}
    assert hashlib.sha256(download.content).hexdigest() == shown_digests(page)[0]

    [form] = html(page).xpath(f'//form[@action="{award_url(moderated)}/approve"]')
    assert form.xpath('.//input[@name="report_sha256"]/@value') == [report.sha256]
    assert form.xpath('.//input[@name="report_sha256"]/@type') == ["hidden"]
    assert words(form.xpath('.//label[@for="reasons"]')[0]) == "Reasons for the decision"
    assert form.xpath('.//textarea[@name="reasons"]')
    assert words(form.xpath(".//button")[0]) == "Approve the award"

    clock.advance(timedelta(minutes=20))
    approved = await post_form(
        client,
        f"{award_url(moderated)}/approve",
        {"report_sha256": report.sha256, "reasons": REASONS},
        page=award_url(moderated),
    )
    assert approved.status_code == 303
    tender = await load_tender(moderated.tender.id)
    assert tender is not None
    assert tender.stored_status is TenderStatus.AWARD_APPROVED

    page = await client.get(approved.headers["location"])
    assert flash(page) == "You approved the award. The tender is now award approved"
    decision = {
        words(row.xpath("./dt")[0]): words(row.xpath("./dd")[0])
        for row in html(page).xpath('//*[@data-testid="decision"]/div')
    }
    assert decision == {
        "Approved by": moderated.officer.name,
        "Approved at": london_time(clock.now()),
        "Reasons": REASONS,
        "Against the award report with SHA-256": report.sha256,
    }
    assert "Award approved" in words(html(page).xpath('//*[@data-testid="status"]')[0])
    # The next step is the notices: no more reports, no second approval.
    forms = html(page).xpath('//form[contains(@action, "/award/")]/@action')
    assert forms == [f"{award_url(moderated)}/notices"]
    # Still there to read, as made.
    assert shown_digests(page) == [report.sha256]
    tender_page = await client.get(f"/tenders/{moderated.tender.id}")
    assert award_url(moderated) in html(tender_page).xpath("//a/@href")


async def test_the_reports_are_listed_latest_first_and_only_the_latest_is_approved(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock, moderated: Evaluation
) -> None:
    first = await awards.make_report(platform, moderated.officer, moderated.tender.id)
    clock.advance(timedelta(days=1))
    second = await awards.make_report(platform, moderated.officer, moderated.tender.id)
    await sign_in(client, moderated.officer.email)
    page = await client.get(award_url(moderated))
    assert shown_digests(page) == [second.sha256, first.sha256]
    assert html(page).xpath('//input[@name="report_sha256"]/@value') == [second.sha256]

    older = await post_form(
        client,
        f"{award_url(moderated)}/approve",
        {"report_sha256": first.sha256, "reasons": REASONS},
        page=award_url(moderated),
    )
    assert older.status_code == 409
    assert message(older) == (
        f"A newer award report was produced at {london_time(second.made_at)}: read it before "
        "approving."
    )
    assert await AwardDecision.count() == 0
    # The older report still downloads as it was made.
    download = await client.get(download_url(moderated, first))
    assert hashlib.sha256(download.content).hexdigest() == first.sha256


async def test_the_report_form_posted_twice_makes_one_report(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock, moderated: Evaluation
) -> None:
    await sign_in(client, moderated.officer.email)
    page = await client.get(award_url(moderated))
    form = f'//form[@action="{award_url(moderated)}/reports"]'
    [key] = html(page).xpath(f'{form}//input[@name="request_key"]/@value')
    token = await csrf_token(client, award_url(moderated))
    for _ in range(2):  # a double click, or a retry after a lost response
        again = await client.post(
            f"{award_url(moderated)}/reports", data={"_csrf_token": token, "request_key": key}
        )
        assert again.status_code == 303
        clock.advance(timedelta(seconds=1))
    assert await AwardReport.count() == 1
    # The page offers a fresh form, which makes another report.
    page = await client.get(award_url(moderated))
    [fresh] = html(page).xpath(f'{form}//input[@name="request_key"]/@value')
    assert fresh != key
    made = await client.post(
        f"{award_url(moderated)}/reports", data={"_csrf_token": token, "request_key": fresh}
    )
    assert made.status_code == 303
    assert await AwardReport.count() == 2
    bad = await client.post(
        f"{award_url(moderated)}/reports", data={"_csrf_token": token, "request_key": "<script>"}
    )
    assert bad.status_code == 400
    assert await AwardReport.count() == 2


# Refusals ---------------------------------------------------------------------------------


async def test_a_panel_member_is_told_they_cannot_approve_and_is_refused(
    client: httpx.AsyncClient, platform: Platform, moderated: Evaluation
) -> None:
    report = await awards.make_report(platform, moderated.officer, moderated.tender.id)
    await sign_in(client, moderated.moderator.email)
    page = await client.get(award_url(moderated))
    assert page.status_code == 200
    refused = words(html(page).xpath('//*[@data-testid="approval-refused"]')[0])
    assert "You cannot approve this award. You sit on the panel for lot 1" in refused
    assert not html(page).xpath('//textarea[@name="reasons"]')
    assert shown_digests(page) == [report.sha256], "the moderator reads the report"

    attempt = await post_on_award(
        client, moderated, "approve", {"report_sha256": report.sha256, "reasons": REASONS}
    )
    assert attempt.status_code == 403
    assert message(attempt).startswith("You sit on the panel for lot 1: the award is approved")
    assert await awards.decision(moderated.officer, moderated.tender.id) is None


async def test_approval_without_reasons_is_refused_with_the_field_message(
    client: httpx.AsyncClient, platform: Platform, moderated: Evaluation
) -> None:
    report = await awards.make_report(platform, moderated.officer, moderated.tender.id)
    await sign_in(client, moderated.officer.email)
    missing = await post_on_award(
        client, moderated, "approve", {"report_sha256": report.sha256, "reasons": "  "}
    )
    assert_form_refused(
        missing, "reasons", "Give the reasons for the decision", {"report_sha256": report.sha256}
    )
    too_long = "Best value. " * 500
    long = await post_on_award(
        client, moderated, "approve", {"report_sha256": report.sha256, "reasons": too_long}
    )
    assert_form_refused(
        long,
        "reasons",
        f"The reasons must be {awards.MAX_REASONS:,} characters or fewer",
        {"report_sha256": report.sha256},
    )
    assert html(long).xpath('//textarea[@name="reasons"]')[0].text.strip() == too_long.strip()
    assert await AwardDecision.count() == 0


async def test_before_moderation_the_page_says_what_comes_first_and_the_posts_are_refused(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock)
    await sign_in(client, setup.officer.email)
    page = await client.get(award_url(setup))
    assert page.status_code == 200
    assert words(html(page).xpath('//*[@data-testid="waiting"]')[0]) == (
        "The award report can be produced once the moderator has signed off every lot with "
        "bids (this tender is at the stage: opened)."
    )
    assert not html(page).xpath('//form[contains(@action, "/award/")]')
    tender_page = await client.get(f"/tenders/{setup.tender.id}")
    assert award_url(setup) not in html(tender_page).xpath("//a/@href")

    produce = await post_on_award(client, setup, "reports")
    assert produce.status_code == 409
    assert message(produce).startswith("The award report can be produced once the moderator")
    approve = await post_on_award(
        client, setup, "approve", {"report_sha256": "0" * 64, "reasons": REASONS}
    )
    assert approve.status_code == 409
    assert message(approve).startswith("The award can be approved once every lot with bids")
    assert (await AwardReport.count(), await AwardDecision.count()) == (0, 0)


async def test_evaluators_and_providers_are_refused_and_other_councils_find_no_award(
    client: httpx.AsyncClient, platform: Platform, moderated: Evaluation
) -> None:
    report = await awards.make_report(platform, moderated.officer, moderated.tender.id)
    other = await buyer_officer(platform, *OTHER_COUNCIL)
    for person, status in (
        (moderated.evaluators[0], 403),
        (other, 404),
        (moderated.providers[0], 403),
    ):
        async with signed_in(client, person.email) as browser:
            for response in (
                await browser.get(award_url(moderated)),
                await browser.get(download_url(moderated, report)),
                await post_on_award(browser, moderated, "reports"),
                await post_on_award(
                    browser,
                    moderated,
                    "approve",
                    {"report_sha256": report.sha256, "reasons": REASONS},
                ),
            ):
                assert response.status_code == status, (person.email, response.request.url)
                assert report.sha256 not in response.text
    assert (await AwardReport.count(), await AwardDecision.count()) == (1, 0)


async def test_a_post_without_the_csrf_token_is_refused(
    client: httpx.AsyncClient, platform: Platform, moderated: Evaluation
) -> None:
    report = await awards.make_report(platform, moderated.officer, moderated.tender.id)
    await sign_in(client, moderated.officer.email)
    await csrf_token(client, award_url(moderated))
    for action, data in (
        ("reports", {}),
        ("approve", {"report_sha256": report.sha256, "reasons": REASONS}),
    ):
        response = await client.post(f"{award_url(moderated)}/{action}", data=data)
        assert response.status_code == 403, action
    assert (await AwardReport.count(), await AwardDecision.count()) == (1, 0)


async def test_only_a_report_of_the_tender_downloads(
    client: httpx.AsyncClient, platform: Platform, moderated: Evaluation
) -> None:
    report = await awards.make_report(platform, moderated.officer, moderated.tender.id)
    await sign_in(client, moderated.officer.email)
    for path in (
        f"{award_url(moderated)}/reports/{uuid4()}.pdf",
        f"{award_url(moderated)}/reports/{report.id}",
        f"{award_url(moderated)}/reports/{report.id}.pdf.pdf",
        f"{award_url(moderated)}/reports/not-an-id.pdf",
        f"/tenders/{uuid4()}/award/reports/{report.id}.pdf",
    ):
        assert (await client.get(path)).status_code == 404, path


# The reads behind the page ----------------------------------------------------------------


async def test_the_standing_says_what_each_officer_may_do(
    platform: Platform, clock: FixedClock, moderated: Evaluation
) -> None:
    officer, tender_id = moderated.officer, moderated.tender.id
    before = await awards.standing(officer, tender_id)
    assert (before.reports, before.decision, before.waiting_for) == ([], None, None)
    assert (before.may_produce, before.may_approve) == (True, False)
    made = await awards.make_report(platform, officer, tender_id)
    ready = await awards.standing(officer, tender_id)
    assert (ready.latest, ready.may_approve, ready.approval_refused) == (made, True, None)
    seated = await awards.standing(moderated.moderator, tender_id)
    assert seated.approval_refused is not None
    assert seated.approval_refused.startswith("You sit on the panel for lot 1")
    assert (seated.may_produce, seated.may_approve, seated.report_refused) == (True, False, None)
    decided = await awards.approve(
        platform, officer, tender_id, report_sha256=made.sha256, reasons=REASONS
    )
    after = await awards.standing(officer, tender_id)
    assert (after.decision, after.may_produce, after.may_approve) == (decided, False, False)
    with pytest.raises(NotPermitted):
        await awards.standing(moderated.evaluators[0], tender_id)
    with pytest.raises(NotFound):
        await awards.standing(moderated.providers[0], tender_id)


async def test_an_officer_who_evaluates_a_lot_may_not_read_the_reports(
    platform: Platform, clock: FixedClock
) -> None:
    """As the report itself is not produced for them: it shows every evaluator's scores."""
    setup = await evaluation(platform, clock)
    eve = await colleague(platform, setup.officer, "Eve Stone", role="officer")
    amy, ben = setup.evaluators
    await panels.assign(
        platform,
        setup.officer,
        setup.tender.id,
        setup.lot.id,
        evaluators=[amy.id, ben.id, eve.id],
        moderator=setup.moderator.id,
    )
    await declare_none(platform, eve, setup.tender.id, setup.lot.id)
    for evaluator in (amy, ben, eve):
        await score_everything(platform, setup, evaluator)
    await agree_everything(platform, setup)
    made = await awards.make_report(platform, setup.officer, setup.tender.id)

    assert await awards.report(setup.officer, setup.tender.id, made.id) == made
    with pytest.raises(NotPermitted) as refused:
        await awards.report(eve, setup.tender.id, made.id)
    assert refused.value.message == NOT_FOR_EVALUATORS
    standing = await awards.standing(eve, setup.tender.id)
    assert standing.report_refused == NOT_FOR_EVALUATORS
    assert standing.approval_refused is not None
    assert not standing.may_produce
    assert not standing.may_approve
    with pytest.raises(NotFound):
        await awards.report(setup.officer, setup.tender.id, uuid4())


# The decision record ----------------------------------------------------------------------


async def test_the_officer_downloads_the_decision_record_once_the_award_is_approved(
    client: httpx.AsyncClient, platform: Platform, moderated: Evaluation
) -> None:
    record_url = f"{award_url(moderated)}/decision-record"
    await sign_in(client, moderated.officer.email)
    page = await client.get(award_url(moderated))
    assert not html(page).xpath('//*[@data-testid="decision-record"]')
    early = await client.get(record_url)
    assert early.status_code == 409
    assert "once the award is approved" in early.text

    report = await awards.make_report(platform, moderated.officer, moderated.tender.id)
    await awards.approve(
        platform,
        moderated.officer,
        moderated.tender.id,
        report_sha256=report.sha256,
        reasons=REASONS,
    )
    page = await client.get(award_url(moderated))
    [link] = html(page).xpath('//a[@data-testid="decision-record"]/@href')
    assert link == record_url
    response = await client.get(link)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith("attachment")
    assert int(response.headers["content-length"]) == len(response.content)
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert "manifest.sha256" in archive.namelist()
        assert archive.read("award/award-report.pdf") == (
            b"".join([chunk async for chunk in platform.files.read(report.sha256)])
        )


async def test_the_decision_record_is_refused_to_evaluators_and_providers_and_unknown_to_others(
    client: httpx.AsyncClient, platform: Platform, moderated: Evaluation
) -> None:
    report = await awards.make_report(platform, moderated.officer, moderated.tender.id)
    await awards.approve(
        platform,
        moderated.officer,
        moderated.tender.id,
        report_sha256=report.sha256,
        reasons=REASONS,
    )
    other = await buyer_officer(platform, *OTHER_COUNCIL)
    for person, status in (
        (moderated.evaluators[0], 403),
        (other, 404),
        (moderated.providers[0], 403),
    ):
        async with signed_in(client, person.email) as browser:
            response = await browser.get(f"{award_url(moderated)}/decision-record")
            assert response.status_code == status, person.email
            assert "PK" not in response.text[:2]
