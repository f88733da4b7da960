"""The moderation pages (rule 9): the grid of every evaluator's marks with divergent ones
flagged in words, the moderator's consensus form for each bid, and the sign-off; officers
read the grid, evaluators of the lot and anyone outside the council do not."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from lxml.html import HtmlElement

from app.clock import FixedClock
from app.platform import Platform
from app.tables import AuditEvent
from app.vocabulary import AuditAction
from evaluation.services import moderation
from evaluation.services.scores import ScoreInput
from tenders.services.views import QuestionView
from tenders.vocabulary import QuestionKind
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
from tests.evaluation.factories import (
    Evaluation,
    agree_everything,
    default_mark,
    evaluation,
    score_everything,
)
from tests.tenders.bid_factories import ANSWER


@asynccontextmanager
async def signed_in(client: httpx.AsyncClient, email: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser of its own, signed in as the person with this email."""
    async with httpx.AsyncClient(
        transport=client._transport, base_url=str(client.base_url)
    ) as browser:
        await sign_in(browser, email)
        yield browser


def low_on_the_second_bid(question: QuestionView, place: int) -> str:
    """Ben's marks: 1 on the scale for Birch Homes, where Amy gives 4."""
    if question.kind is QuestionKind.SCALE and place == 1:
        return "1"
    return default_mark(question, place)


async def scored(platform: Platform, clock: FixedClock) -> Evaluation:
    """Both evaluators have submitted, and diverge on Birch Homes' scored question."""
    setup = await evaluation(platform, clock)
    amy, ben = setup.evaluators
    await score_everything(platform, setup, amy)
    await score_everything(platform, setup, ben, low_on_the_second_bid)
    return setup


def base(setup: Evaluation) -> str:
    return f"/evaluations/{setup.tender.id}/lots/{setup.lot.id}"


def words(element: HtmlElement) -> str:
    return " ".join(element.text_content().split())


def bid_table(page: httpx.Response, bid_id: object) -> HtmlElement:
    tables = html(page).xpath(f'//table[@data-testid="bid-grid"][@data-bid="{bid_id}"]')
    assert len(tables) == 1, bid_id
    return tables[0]


def cell(page: httpx.Response, bid_id: object, question: QuestionView) -> HtmlElement:
    rows = bid_table(page, bid_id).xpath(f'.//tr[@data-question="{question.id}"]')
    assert len(rows) == 1
    return rows[0]


def consensus_form(setup: Evaluation, place: int, reason: str = "Agreed") -> dict[str, str]:
    """The moderator's form for the bid in ``place``: the default marks, with reasons."""
    form: dict[str, str] = {}
    for question in setup.questions:
        form[f"mark-{question.id}"] = default_mark(question, place)
        form[f"rationale-{question.id}"] = f"{reason}: question {question.number}"
    return form


async def test_the_moderator_records_the_consensus_and_signs_off_through_the_pages(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await scored(platform, clock)
    await sign_in(client, setup.moderator.email)
    grid = await client.get(f"{base(setup)}/moderation")
    assert grid.status_code == 200
    links = html(grid).xpath('//a[@data-testid="record"]/@href')
    # The bidders by name: Ashby, Birch and Cedar, as they submitted.
    assert links == [f"{base(setup)}/moderation/bids/{bid_id}" for bid_id in setup.bid_ids]
    assert "Sign off the consensus" not in grid.text, "not before every mark has a consensus"

    for place, bid_id in enumerate(setup.bid_ids):
        path = f"{base(setup)}/moderation/bids/{bid_id}"
        form = await client.get(path)
        assert form.status_code == 200
        page = html(form)
        birch = place == 1
        flags = [words(flag) for flag in page.xpath('//*[@data-testid="flag"]')]
        assert flags == (["Scores diverge: Scores range from 1 to 4"] if birch else [])
        assert "Amy Evans: reason for 2" in form.text
        # The bid's own answers beside the marks, each read audited.
        assert ANSWER in words(page.xpath('//*[@data-testid="answer"]')[1])
        saved = await post_form(client, path, consensus_form(setup, place), page=path)
        assert saved.status_code == 303, saved.text
        assert saved.headers["location"] == f"{base(setup)}/moderation#bid-{bid_id}"
        back = await client.get(saved.headers["location"])
        assert (
            flash(back)
            == f"The consensus for {setup.providers[place].organisation_name} has been saved"
        )

    grid = await client.get(f"{base(setup)}/moderation")
    counts = [words(li) for li in html(grid).xpath('//*[@data-testid="counts"]/li')]
    assert counts == [
        "Consensus recorded for 6 of 6 marks",
        "1 mark is flagged because the evaluators' scores diverge",
    ]
    second = setup.questions[1]
    agreed = words(cell(grid, setup.bid_ids[1], second).xpath('.//*[@data-testid="consensus"]')[0])
    assert agreed.startswith("4 good Agreed: question 2 Mo Reid, ")

    confirm = await client.get(f"{base(setup)}/sign-off")
    assert confirm.status_code == 200
    assert "Sign off the consensus for this lot" in confirm.text
    signed = await post_form(client, f"{base(setup)}/sign-off", {}, page=f"{base(setup)}/sign-off")
    assert signed.status_code == 303
    assert signed.headers["location"] == f"{base(setup)}/results"
    results = await client.get(signed.headers["location"])
    assert results.status_code == 200
    assert flash(results) == "You signed off the consensus for lot 1. These are its results"
    assert (
        await AuditEvent.count().where(
            AuditEvent.action == str(AuditAction.EVALUATION_LOT_SIGN_OFF)
        )
        == 1
    )
    reads = await AuditEvent.select(AuditEvent.body).where(
        AuditEvent.action == str(AuditAction.BID_CONTENT_READ)
    )
    # Each page the moderator opened (post_form opens it again for its token).
    read = [json.loads(r["body"]) for r in reads]
    assert {r["object_id"] for r in read if r["actor_id"] == str(setup.moderator.id)} == {
        str(bid_id) for bid_id in setup.bid_ids
    }


async def test_divergent_scores_are_flagged_on_the_grid_in_words(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await scored(platform, clock)
    await sign_in(client, setup.moderator.email)
    grid = await client.get(f"{base(setup)}/moderation")
    first, second = setup.questions
    flagged = cell(grid, setup.bid_ids[1], second)
    assert words(flagged.xpath('.//*[@data-testid="range"]')[0]) == (
        "1 to 4 Scores diverge: Scores range from 1 to 4"
    )
    tag = flagged.xpath('.//*[@data-testid="flag"]/strong')[0]
    assert "govuk-tag" in tag.get("class")
    assert tag.text_content() == "Scores diverge"
    marks = words(flagged.xpath('.//*[@data-testid="scores"]')[0])
    assert (
        marks == "Amy Evans: 4 good Amy Evans: reason for 2 Ben Hart: 1 poor Ben Hart: reason for 2"
    )
    assert not cell(grid, setup.bid_ids[0], second).xpath('.//*[@data-testid="flag"]')
    assert not cell(grid, setup.bid_ids[1], first).xpath('.//*[@data-testid="flag"]')
    assert words(cell(grid, setup.bid_ids[1], first).xpath('.//*[@data-testid="range"]')[0]) == (
        "2 Pass"
    )
    tables = html(grid).xpath('//table[@data-testid="bid-grid"]')
    assert [words(t.find("caption")) for t in tables] == [
        "Marks for Ashby Care, by question",
        "Marks for Birch Homes, by question",
        "Marks for Cedar Support, by question",
    ]
    assert all(t.xpath(".//thead//th[@scope='col']") for t in tables)
    assert all(len(t.xpath(".//tbody//th[@scope='row']")) == 2 for t in tables)


async def test_officers_read_the_grid_and_may_not_record_the_consensus(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await scored(platform, clock)
    await sign_in(client, setup.officer.email)
    grid = await client.get(f"{base(setup)}/moderation")
    assert grid.status_code == 200
    assert "Scores diverge" in grid.text
    assert not html(grid).xpath('//a[@data-testid="record"]')
    path = f"{base(setup)}/moderation/bids/{setup.bid_ids[0]}"
    assert (await client.get(path)).status_code == 403
    refused = await post_form(
        client, path, consensus_form(setup, 0), page=f"{base(setup)}/moderation"
    )
    assert refused.status_code == 403
    assert await moderation_count() == 0


async def moderation_count() -> int:
    return await AuditEvent.count().where(
        AuditEvent.action == str(AuditAction.EVALUATION_CONSENSUS_RECORD)
    )


async def test_an_evaluator_of_the_lot_is_refused_the_grid(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await scored(platform, clock)
    await sign_in(client, setup.evaluators[0].email)
    for path in (
        f"{base(setup)}/moderation",
        f"{base(setup)}/moderation/bids/{setup.bid_ids[0]}",
        f"{base(setup)}/sign-off",
    ):
        response = await client.get(path)
        assert response.status_code == 403, path
        assert "Ben Hart: reason for 2" not in response.text


async def test_a_provider_and_another_council_are_told_the_lot_is_not_found(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await scored(platform, clock)
    other = await buyer_officer(
        platform, email="sam@stoke.example", organisation="Stoke-on-Trent City Council"
    )
    outsider = await provider_user(platform)
    for email in (other.email, outsider.email, setup.providers[0].email):
        async with signed_in(client, email) as browser:
            for path in (
                f"{base(setup)}/moderation",
                f"{base(setup)}/moderation/bids/{setup.bid_ids[0]}",
                f"{base(setup)}/sign-off",
            ):
                response = await browser.get(path)
                assert response.status_code == 404, (email, path)
                assert "Amy Evans" not in response.text


async def test_consensus_before_every_evaluator_submitted_is_refused_with_the_reason(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock)
    amy, ben = setup.evaluators
    await score_everything(platform, setup, amy)
    await score_everything(platform, setup, ben, submit=False)
    await sign_in(client, setup.moderator.email)
    grid = await client.get(f"{base(setup)}/moderation")
    assert grid.status_code == 200
    assert words(html(grid).xpath('//*[@data-testid="waiting"]')[0]) == (
        "Consensus can be recorded once every evaluator has submitted their scores. "
        "Waiting for: Ben Hart."
    )
    assert "Ben Hart: reason" not in grid.text, "an evaluator's drafts are their own"
    assert not html(grid).xpath('//a[@data-testid="record"]')
    path = f"{base(setup)}/moderation/bids/{setup.bid_ids[0]}"
    shown = await client.get(path)
    assert shown.status_code == 409
    assert "Waiting for: Ben Hart" in shown.text
    refused = await post_form(
        client, path, consensus_form(setup, 0), page=f"{base(setup)}/moderation"
    )
    assert refused.status_code == 409
    assert (
        "Consensus can be recorded once every evaluator has submitted their scores. "
        "Waiting for: Ben Hart" in " ".join(html(refused).text_content().split())
    )
    assert await moderation_count() == 0


async def test_consensus_without_a_reason_is_refused_with_the_fields_message(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await scored(platform, clock)
    await sign_in(client, setup.moderator.email)
    path = f"{base(setup)}/moderation/bids/{setup.bid_ids[1]}"
    first, second = setup.questions
    form = {
        f"mark-{first.id}": "pass",
        f"rationale-{first.id}": "Registered, as the evidence shows",
        f"mark-{second.id}": "3",
        f"rationale-{second.id}": "  ",
    }
    refused = await post_form(client, path, form, page=path)
    assert_form_refused(
        refused,
        f"rationale-{second.id}",
        "Give the reason for the consensus for question 2",
        {f"mark-{second.id}": "3", f"mark-{first.id}": "pass"},
    )
    page = html(refused)
    assert page.get_element_by_id(f"rationale-{first.id}").text_content() == (
        "Registered, as the evidence shows"
    )
    assert "Scores diverge: Scores range from 1 to 4" in words(page)
    assert await moderation_count() == 0


async def test_after_sign_off_the_consensus_cannot_change(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await scored(platform, clock)
    await agree_everything(platform, setup)
    await sign_in(client, setup.moderator.email)
    grid = await client.get(f"{base(setup)}/moderation")
    assert "Mo Reid signed off the consensus at" in words(html(grid))
    assert not html(grid).xpath('//a[@data-testid="record"]')
    path = f"{base(setup)}/moderation/bids/{setup.bid_ids[0]}"
    assert (await client.get(path)).status_code == 409
    changed = consensus_form(setup, 0, "Changed our minds")
    refused = await post_form(client, path, changed, page=f"{base(setup)}/moderation")
    assert refused.status_code == 409
    message = words(html(refused))
    assert "The lot's consensus was signed off at" in message
    assert "it cannot change" in message
    assert "Changed our minds" not in (await client.get(f"{base(setup)}/moderation")).text


async def test_sign_off_lists_the_marks_still_without_a_consensus(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await scored(platform, clock)
    first, second = setup.questions
    await moderation.record(
        platform,
        setup.moderator,
        setup.tender.id,
        setup.lot.id,
        setup.bid_ids[0],
        {q.id: ScoreInput(default_mark(q, 0), "Agreed") for q in setup.questions},
    )
    await sign_in(client, setup.moderator.email)
    confirm = await client.get(f"{base(setup)}/sign-off")
    assert confirm.status_code == 200
    missing = html(confirm).xpath('//*[@data-testid="missing"]/li/a')
    assert [words(a) for a in missing] == [
        "Question 1 for Birch Homes",
        "Question 2 for Birch Homes",
        "Question 1 for Cedar Support",
        "Question 2 for Cedar Support",
    ]
    assert missing[0].get("href") == (
        f"{base(setup)}/moderation/bids/{setup.bid_ids[1]}#question-{first.id}"
    )
    assert "Sign off the consensus for this lot" not in confirm.text
    # A form from before: the service refuses, naming each mark left.
    refused = await post_form(
        client, f"{base(setup)}/sign-off", {}, page=f"{base(setup)}/moderation"
    )
    assert refused.status_code == 400
    assert title(refused).startswith("Error: ")
    summary = html(refused).xpath('//*[contains(@class, "govuk-error-summary")]//li/a')
    assert [link.get("href") for link in summary][:1] == [
        f"#bid-{setup.bid_ids[1]}-question-{first.id}"
    ]
    assert [words(link) for link in summary][:1] == [
        "Record the consensus for question 1 for Birch Homes"
    ]
    assert (
        html(refused).get_element_by_id(f"bid-{setup.bid_ids[1]}-question-{second.id}") is not None
    )
    assert await moderation.signed_off(setup.lot.id) is None
