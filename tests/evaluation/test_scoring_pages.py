"""A panel member's pages: their evaluations, the declaration of conflicts of interest
before any bid is shown (rule 7), then reading each bid beside its questions and scoring it
blind, with a reason for every mark, and submitting the lot's scores, which locks them and
shows the other evaluators' (rule 8). Every read is audited; nobody outside the lot's
cleared panel reaches a bid."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from itertools import pairwise
from typing import Any

import httpx
import pytest

from app.clock import FixedClock
from app.platform import Platform
from app.tables import AuditEvent
from app.vocabulary import AuditAction
from evaluation.services import panels, scores
from evaluation.services.scores import ScoreInput
from evaluation.tables import ConflictDeclaration, Score, ScoreSheet
from tenders.services import bids, submissions
from tenders.vocabulary import QuestionKind
from tests.app.test_files import pdf_bytes
from tests.conftest import (
    START,
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
    colleague,
    declare_none,
    default_mark,
    evaluation,
    open_tender,
    score_everything,
)
from tests.tenders.bid_factories import ANSWER, complete_bid, submitted_bid
from tests.tenders.factories import published_tender

LOCKED_AT = "You submitted your scores for this lot at 12:00pm on Friday 11 December 2026"


@asynccontextmanager
async def browser(client: httpx.AsyncClient, email: str) -> AsyncIterator[httpx.AsyncClient]:
    """Another browser on the same server, signed in as ``email``."""
    async with httpx.AsyncClient(
        transport=client._transport, base_url=str(client.base_url)
    ) as someone:
        await sign_in(someone, email)
        yield someone


def words(element: Any) -> str:
    return " ".join(element.text_content().split())


def page_text(response: httpx.Response) -> str:
    return words(html(response))


async def reads() -> list[dict[str, Any]]:
    rows = (
        await AuditEvent.select(AuditEvent.body)
        .where(AuditEvent.action == str(AuditAction.BID_CONTENT_READ))
        .order_by(AuditEvent.seq)
    )
    return [json.loads(row["body"]) for row in rows]


def token(response: httpx.Response) -> dict[str, str]:
    """The CSRF field of the page's forms, to send one as a browser does."""
    return {"_csrf_token": html(response).xpath('//main//input[@name="_csrf_token"]/@value')[0]}


def lot_path(setup: Evaluation) -> str:
    return f"/evaluations/{setup.tender.id}/lots/{setup.lot.id}"


def bid_path(setup: Evaluation, place: int) -> str:
    return f"{lot_path(setup)}/bids/{setup.bid_ids[place]}"


def scale_question(setup: Evaluation):
    return next(q for q in setup.questions if q.kind is QuestionKind.SCALE)


def score_form(
    setup: Evaluation,
    place: int,
    *,
    action: str = "save",
    mark: Callable = default_mark,
    reason: str = "Amy's reason",
) -> dict[str, str]:
    """Every question of the bid in ``place`` scored, as the form sends it."""
    form = {"action": action}
    for question in setup.questions:
        form[f"mark-{question.id}"] = mark(question, place)
        form[f"rationale-{question.id}"] = f"{reason} for question {question.number}"
        form[f"quote-{question.id}"] = ""
    return form


async def declare_on_the_page(client: httpx.AsyncClient, setup: Evaluation, **answers: str):
    """Declare through the form: "no" for every bidder, unless ``answers`` (by bidder
    name) says otherwise."""
    page = f"{lot_path(setup)}/conflicts"
    form: dict[str, str] = {}
    for bidder in await panels.lot_bidders(setup.tender.id, setup.lot.id):
        form[f"org-{bidder.organisation_id}"] = answers.get(bidder.name, "no")
        form[f"description-{bidder.organisation_id}"] = answers.get(f"{bidder.name} why", "")
    return await post_form(client, page, form, page=page)


# Your evaluations -------------------------------------------------------------------------


async def test_your_evaluations_lists_each_lot_with_the_role_and_what_to_do_next(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock, declare=False)
    amy = setup.evaluators[0]

    async def rows(email: str) -> list[list[str]]:
        async with browser(client, email) as someone:
            response = await someone.get("/evaluations")
            assert response.status_code == 200
            assert title(response).startswith("Your evaluations")
            return [
                [words(cell) for cell in row.xpath("./td")]
                for row in html(response).xpath('//*[@data-testid="evaluations"]/tbody/tr')
            ]

    tender = "Children's community support framework SCC-2026-041"
    assert await rows(amy.email) == [
        [tender, "Lot 1: Complex care", "Evaluator", "Declare any conflicts of interest"]
    ]
    assert await rows(setup.moderator.email) == [
        [tender, "Lot 1: Complex care", "Moderator", "Declare any conflicts of interest"]
    ]
    await declare_none(platform, amy, setup.tender.id, setup.lot.id)
    await score_everything(platform, setup, amy, submit=False)
    assert (await rows(amy.email))[0][3] == "Score the bids: 6 of 6 scores given"
    await scores.submit(platform, amy, setup.tender.id, setup.lot.id)
    assert (await rows(amy.email))[0][3] == (
        "Nothing: you submitted your scores at 12:00pm on Friday 11 December 2026"
    )

    async with browser(client, setup.officer.email) as officer:
        empty = await officer.get("/evaluations")
        assert "You are not on the evaluation panel of any lot" in page_text(empty)
    async with browser(client, setup.providers[0].email) as provider:
        # Refused by role: a provider sits on no council's panel.
        assert (await provider.get("/evaluations")).status_code == 403


async def test_your_evaluations_come_a_page_at_a_time(
    client: httpx.AsyncClient,
    platform: Platform,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(panels, "SEATS_PAGE_SIZE", 1)
    setup = await evaluation(platform, clock)
    amy = setup.evaluators[0]
    evaluating, clock.instant = clock.instant, START  # published before the first closed
    other = await published_tender(platform, setup.officer, lots=1, title="Overnight support")
    clock.instant = evaluating
    await panels.assign(
        platform, setup.officer, other.id, other.lots[0].id, evaluators=[amy.id], moderator=None
    )
    first_tender, second_tender = sorted(
        (setup.tender, other), key=lambda t: (t.reference, str(t.id))
    )

    async with browser(client, amy.email) as someone:
        first = await someone.get("/evaluations")
        assert "2 lots" in page_text(first)
        [row] = html(first).xpath('//*[@data-testid="evaluations"]/tbody/tr')
        assert first_tender.title in words(row)
        nav = html(first).xpath('//nav[@aria-label="Pages of your evaluations"]')
        assert nav
        assert nav[0].xpath('.//a[@href="?page=2"]')
        second = await someone.get("/evaluations?page=2")
        [row] = html(second).xpath('//*[@data-testid="evaluations"]/tbody/tr')
        assert second_tender.title in words(row)


# Conflicts of interest ------------------------------------------------------------------


async def test_an_undeclared_member_is_sent_to_the_declaration_before_any_bid(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock, declare=False)
    amy = setup.evaluators[0]
    await sign_in(client, amy.email)

    home = await client.get(lot_path(setup))
    assert home.status_code == 200
    assert html(home).xpath(f'//a[@href="{lot_path(setup)}/conflicts"]')
    assert not html(home).xpath('//*[@data-testid="bids"]')
    for page in (bid_path(setup, 0), f"{lot_path(setup)}/submit"):
        sent = await client.get(page)
        assert sent.status_code == 303, page
        assert sent.headers["location"] == f"{lot_path(setup)}/conflicts"
    assert await reads() == []

    form = await client.get(f"{lot_path(setup)}/conflicts")
    assert form.status_code == 200
    page = html(form)
    legends = [words(legend) for legend in page.xpath("//fieldset/legend")]
    assert legends == [
        f"Do you have a conflict of interest with {name}?"
        for name in ("Ashby Care", "Birch Homes", "Cedar Support")
    ]
    # Each bidder's description box follows its choices, shown with or without JavaScript:
    # not a conditional reveal, whose aria-expanded ARIA does not allow on a radio.
    assert not page.xpath('//*[contains(@class, "govuk-radios__conditional")]')
    assert [
        textarea.get("id")
        for textarea in page.xpath(
            "//fieldset/ancestor::div[1]/following-sibling::div[1]//textarea"
        )
    ] == [f"description-{provider.organisation_id}" for provider in setup.providers]

    # A description beside "No conflict" is ignored.
    declared = await declare_on_the_page(client, setup, **{"Ashby Care why": "Typed, then no"})
    assert declared.status_code == 303
    assert declared.headers["location"] == lot_path(setup)
    home = await client.get(lot_path(setup))
    assert flash(home) == "Your declaration is recorded: you have no conflict of interest"
    bids_listed = [
        [words(cell) for cell in row.xpath("./td")]
        for row in html(home).xpath('//*[@data-testid="bids"]/tbody/tr')
    ]
    assert bids_listed == [
        [f"{name}: read and score the bid", "0 of 2", "Not started"]
        for name in ("Ashby Care", "Birch Homes", "Cedar Support")
    ]
    stored = await ConflictDeclaration.select(
        ConflictDeclaration.conflict, ConflictDeclaration.description
    )
    assert stored == [{"conflict": False, "description": ""}] * 3

    again = await client.get(f"{lot_path(setup)}/conflicts")
    assert html(again).xpath('//input[@value="no"][@checked]/@name') == [
        f"org-{provider.organisation_id}" for provider in setup.providers
    ]


async def test_a_declaration_needs_each_bidder_answered_and_a_conflict_described(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock, declare=False)
    ashby, birch, cedar = (p.organisation_id for p in setup.providers)
    await sign_in(client, setup.evaluators[0].email)
    page = f"{lot_path(setup)}/conflicts"
    response = await post_form(
        client,
        page,
        {f"org-{ashby}": "yes", f"description-{ashby}": "  ", f"org-{cedar}": "no"},
        page=page,
    )
    assert_form_refused(
        response,
        f"description-{ashby}",
        "Describe your conflict of interest with Ashby Care",
        {f"org-{ashby}": "yes", f"org-{cedar}": "no"},
    )
    links = html(response).xpath('//*[contains(@class, "govuk-error-summary")]//a/@href')
    assert links == [f"#description-{ashby}", f"#org-{birch}"]
    assert await ConflictDeclaration.count() == 0


async def test_a_member_who_declares_a_conflict_cannot_read_the_bids(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock, declare=False)
    await sign_in(client, setup.evaluators[0].email)
    declared = await declare_on_the_page(
        client, setup, **{"Birch Homes": "yes", "Birch Homes why": "I was a director there."}
    )
    assert declared.status_code == 303
    home = await client.get(lot_path(setup))
    assert flash(home).startswith("Your declaration is recorded. As you have a conflict")
    assert "you cannot read its bids" in page_text(home)
    refused = await client.get(bid_path(setup, 0))
    assert refused.status_code == 403
    assert panels.CONFLICTED in page_text(refused)
    assert ANSWER not in refused.text
    assert (await client.get(f"{bid_path(setup, 0)}/files/{'0' * 64}")).status_code == 403
    assert await reads() == []


async def test_scoring_before_the_bids_are_opened_is_refused(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    provider = await provider_user(platform)
    bid_id, _ = await submitted_bid(platform, provider, tender)
    amy = await colleague(platform, officer, "Amy Evans")
    lot = tender.lots[0]
    await panels.assign(platform, officer, tender.id, lot.id, evaluators=[amy.id], moderator=None)
    await sign_in(client, amy.email)
    base = f"/evaluations/{tender.id}/lots/{lot.id}"

    home = await client.get(base)
    assert home.status_code == 200
    assert "The bids are sealed" in page_text(home)
    for page in (f"{base}/bids/{bid_id}", f"{base}/conflicts", f"{base}/submit"):
        response = await client.get(page)
        assert response.status_code == 403, page
        assert "Bids are sealed until an officer opens them" in page_text(response)
        assert provider.organisation_name not in response.text, "even the names are sealed"
    question = tender.questions_for(lot)[0]
    posted = await post_form(
        client,
        f"{base}/bids/{bid_id}",
        {f"mark-{question.id}": "pass", f"rationale-{question.id}": "Registered"},
        page=base,
    )
    assert posted.status_code == 403
    assert await Score.count() == 0
    assert await reads() == []


# Who reaches a lot's bids ---------------------------------------------------------------


async def test_people_outside_the_lots_panel_are_told_it_is_not_found(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=2)
    lot1, lot2 = tender.lots
    first_only = await provider_user(platform, "jo@ashby-care.example", "Ashby Care")
    both = await provider_user(platform, "li@birch-homes.example", "Birch Homes")
    first_only_bid, _ = await submitted_bid(platform, first_only, tender, lots=1)
    both_bid, _ = await submitted_bid(platform, both, tender, lots=2)
    amy = await colleague(platform, officer, "Amy Evans")
    ben = await colleague(platform, officer, "Ben Hart")
    await panels.assign(platform, officer, tender.id, lot1.id, evaluators=[amy.id], moderator=None)
    await panels.assign(platform, officer, tender.id, lot2.id, evaluators=[ben.id], moderator=None)
    await open_tender(platform, clock, officer, tender.id)
    await declare_none(platform, amy, tender.id, lot1.id)
    await declare_none(platform, ben, tender.id, lot2.id)
    other_council = await buyer_officer(
        platform, "sam.cole@derbyshire.example", "Derbyshire County Council"
    )

    def lot(lot_id: Any) -> str:
        return f"/evaluations/{tender.id}/lots/{lot_id}"

    lot1_pages = [
        lot(lot1.id),
        f"{lot(lot1.id)}/conflicts",
        f"{lot(lot1.id)}/submit",
        f"{lot(lot1.id)}/bids/{first_only_bid}",
        f"{lot(lot1.id)}/bids/{first_only_bid}/files/{'0' * 64}",
    ]
    refusals = [
        (first_only.email, lot1_pages),
        (other_council.email, lot1_pages),
        # An evaluator of lot 1 opening lot 2 and its bid.
        (amy.email, [lot(lot2.id), f"{lot(lot2.id)}/bids/{both_bid}"]),
        # A bid that is not for the lot.
        (ben.email, [f"{lot(lot2.id)}/bids/{first_only_bid}"]),
    ]
    for email, pages in refusals:
        async with browser(client, email) as someone:
            for page in pages:
                response = await someone.get(page)
                assert response.status_code == 404, (email, page)
                assert ANSWER not in response.text
    async with browser(client, first_only.email) as provider:
        question = tender.questions_for(lot1)[0]
        posted = await post_form(
            provider,
            f"{lot(lot1.id)}/bids/{first_only_bid}",
            {f"mark-{question.id}": "pass", f"rationale-{question.id}": "Mine"},
            page="/account",
        )
        assert posted.status_code == 404
    assert await reads() == []
    assert await Score.count() == 0


async def test_the_moderator_is_offered_moderation_and_does_not_score(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock)
    await sign_in(client, setup.moderator.email)
    home = await client.get(lot_path(setup))
    assert home.status_code == 200
    links = html(home).xpath("//main//a/@href")
    assert f"{lot_path(setup)}/moderation" in links
    assert f"{lot_path(setup)}/results" in links
    refused = await client.get(bid_path(setup, 0))
    assert refused.status_code == 403
    assert scores.MODERATOR_DOES_NOT_SCORE in page_text(refused)


# Reading and scoring ----------------------------------------------------------------------


async def test_reading_a_bid_shows_each_answer_beside_its_question_and_is_audited(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock)
    amy, ben = setup.evaluators
    scale = scale_question(setup)
    await scores.save(
        platform,
        ben,
        setup.tender.id,
        setup.lot.id,
        setup.bid_ids[0],
        {scale.id: ScoreInput("1", "BEN-DRAFT-REASON")},
    )
    await sign_in(client, amy.email)
    response = await client.get(bid_path(setup, 0))
    assert response.status_code == 200
    assert title(response).startswith("Bid from Ashby Care: lot 1")
    page = html(response)
    assert "BEN-DRAFT-REASON" not in response.text, "blind until Amy submits"

    headings = [int(h.tag[1]) for h in page.xpath("//main//*[self::h1 or self::h2 or self::h3]")]
    assert headings[0] == 1
    assert all(later - earlier <= 1 for earlier, later in pairwise(headings))

    sections = page.xpath('//*[@data-testid="question"]')
    assert len(sections) == len(setup.questions) == 2
    by_kind = dict(zip((q.kind for q in setup.questions), sections, strict=True))
    gate = by_kind[QuestionKind.PASS_FAIL]
    assert "Ashby Care answered: Yes" in words(gate.xpath('.//*[@data-testid="answer"]')[0])
    assert words(gate.xpath('.//*[@data-testid="question-text"]')[0]) == (
        "Are you registered with CQC?"
    )
    scored = by_kind[QuestionKind.SCALE]
    assert ANSWER in words(scored.xpath('.//*[@data-testid="answer"]')[0])
    assert [
        words(label) for label in scored.xpath(f'.//input[@name="mark-{scale.id}"]/../label')
    ] == [
        "0 unacceptable",
        "1 poor",
        "2 weak",
        "3 satisfactory",
        "4 good",
        "5 excellent",
    ]
    assert [words(x) for x in gate.xpath(".//input[@type='radio']/../label")] == ["Pass", "Fail"]
    for question in setup.questions:
        fieldset = page.xpath(f'//*[@id="question-{question.id}"]/..//fieldset')[0]
        assert words(fieldset.xpath("./legend")[0]) == f"Your score for question {question.number}"
        assert page.xpath(f'//label[@for="rationale-{question.id}"]')
        assert page.xpath(f'//textarea[@name="quote-{question.id}"]')
    buttons = [words(b) for b in page.xpath("//main//form//button")]
    assert buttons == ["Save scores", "Save and go to the next bid"]
    assert page.xpath('//a[@rel="next"]/@href') == [bid_path(setup, 1)]
    assert not page.xpath('//a[@rel="prev"]')

    ashby = (await panels.lot_bidders(setup.tender.id, setup.lot.id))[0]
    assert [(read["object_id"], read["details"]) for read in await reads()] == [
        (
            str(ashby.bid_id),
            {
                "submission": str(ashby.submission_id),
                "lot": str(setup.lot.id),
                "role": "evaluator",
            },
        )
    ]


async def test_evidence_files_download_as_attachments_and_each_is_audited(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=1)
    lot = tender.lots[0]
    provider = await provider_user(platform)
    bid_id = await complete_bid(platform, provider, tender)
    scale = next(q for q in tender.questions_for(lot) if q.kind is QuestionKind.SCALE)
    content = pdf_bytes("Safeguarding policy")

    async def chunks() -> AsyncIterator[bytes]:
        yield content

    stored = await platform.files.save(
        chunks(), filename="policy.pdf", max_bytes=1_000_000, allowed={"pdf": {"application/pdf"}}
    )
    await bids.add_evidence(
        platform, provider, bid_id, lot.id, scale.id, stored, max_bid_bytes=25_000_000
    )
    await submissions.submit(platform, provider, bid_id, submissions.new_request_key())
    amy = await colleague(platform, officer, "Amy Evans")
    await panels.assign(platform, officer, tender.id, lot.id, evaluators=[amy.id], moderator=None)
    await open_tender(platform, clock, officer, tender.id)
    await declare_none(platform, amy, tender.id, lot.id)
    await sign_in(client, amy.email)
    base = f"/evaluations/{tender.id}/lots/{lot.id}/bids/{bid_id}"

    page = html(await client.get(base))
    links = page.xpath('//*[@data-testid="evidence"]//a')
    assert [(words(a), a.get("href")) for a in links] == [
        ("policy.pdf", f"{base}/files/{stored.sha256}")
    ]
    download = await client.get(f"{base}/files/{stored.sha256}")
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["content-disposition"].startswith('attachment; filename="policy.pdf"')
    assert download.headers["x-content-type-options"] == "nosniff"
    audited = await reads()
    assert len(audited) == 2
    assert audited[1]["details"]["file"] == stored.sha256
    assert (await client.get(f"{base}/files/{'0' * 64}")).status_code == 404


async def test_saving_scores_comes_back_with_a_message_and_a_repeat_changes_nothing(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock)
    await sign_in(client, setup.evaluators[0].email)
    first = bid_path(setup, 0)
    form = score_form(setup, 0)
    saved = await post_form(client, first, form, page=first)
    assert saved.status_code == 303
    assert saved.headers["location"] == first
    shown = await client.get(first)
    assert flash(shown) == "Your scores for Ashby Care are saved"
    page = html(shown)
    for question in setup.questions:
        checked = page.xpath(f'//input[@name="mark-{question.id}"][@checked]/@value')
        assert checked == [default_mark(question, 0)]
        assert page.xpath(f'string(//textarea[@name="rationale-{question.id}"])').strip() == (
            f"Amy's reason for question {question.number}"
        )

    again = await post_form(client, first, form, page=first)
    assert again.status_code == 303
    saves = await AuditEvent.count().where(
        AuditEvent.action == str(AuditAction.EVALUATION_SCORE_SAVE)
    )
    assert saves == 1, "the same scores again change nothing"

    onwards = await post_form(client, first, score_form(setup, 0, action="next"), page=first)
    assert onwards.headers["location"] == bid_path(setup, 1)
    last = bid_path(setup, 2)
    finished = await post_form(client, last, score_form(setup, 2, action="next"), page=last)
    assert finished.headers["location"] == f"{lot_path(setup)}/submit"
    assert await Score.count() == 4


async def test_a_mark_without_a_reason_is_refused_with_what_was_entered_kept(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock)
    await sign_in(client, setup.evaluators[0].email)
    scale = scale_question(setup)
    first = bid_path(setup, 0)
    passage = "safer recruitment"
    response = await post_form(
        client,
        first,
        {f"mark-{scale.id}": "3", f"rationale-{scale.id}": " ", f"quote-{scale.id}": passage},
        page=first,
    )
    assert_form_refused(
        response,
        f"rationale-{scale.id}",
        f"Give the reason for your mark for question {scale.number}",
        {f"mark-{scale.id}": "3"},
    )
    assert html(response).xpath(f'string(//textarea[@name="quote-{scale.id}"])') == passage
    assert ANSWER in response.text, "the bid is shown again beside the form"
    assert await Score.count() == 0


async def test_changing_scores_after_submitting_them_is_refused(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock)
    amy = setup.evaluators[0]
    await score_everything(platform, setup, amy)
    await sign_in(client, amy.email)
    first = bid_path(setup, 0)
    page = html(await client.get(first))
    assert not page.xpath("//form//textarea"), "read-only once submitted"
    assert LOCKED_AT in words(page.xpath('//*[@data-testid="locked"]')[0])
    changed = await post_form(client, first, score_form(setup, 0, reason="Changed"), page=first)
    assert changed.status_code == 409
    assert f"{LOCKED_AT}: they cannot be changed" in page_text(changed)
    assert await Score.count().where(Score.rationale.like("Changed%")) == 0


async def test_forms_sent_without_the_csrf_token_change_nothing(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock, declare=False)
    await sign_in(client, setup.evaluators[0].email)
    organisation = setup.providers[0].organisation_id
    declared = await client.post(f"{lot_path(setup)}/conflicts", data={f"org-{organisation}": "no"})
    assert declared.status_code == 403
    assert await ConflictDeclaration.count() == 0
    await declare_none(platform, setup.evaluators[0], setup.tender.id, setup.lot.id)
    scored = await client.post(bid_path(setup, 0), data=score_form(setup, 0))
    assert scored.status_code == 403
    submitted = await client.post(f"{lot_path(setup)}/submit", data={})
    assert submitted.status_code == 403
    assert await Score.count() == 0
    assert await ScoreSheet.count() == 0


# Submitting -------------------------------------------------------------------------------


async def test_submitting_lists_what_is_left_then_locks_the_scores(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock, bidders=2)
    amy = setup.evaluators[0]
    await sign_in(client, amy.email)
    first = bid_path(setup, 0)
    await post_form(client, first, score_form(setup, 0), page=first)
    check_page = f"{lot_path(setup)}/submit"

    check = await client.get(check_page)
    assert check.status_code == 200
    left = [(words(a), a.get("href")) for a in html(check).xpath('//*[@data-testid="missing"]//a')]
    assert left == [
        (f"Score question {q.number} for Birch Homes", f"{bid_path(setup, 1)}#question-{q.id}")
        for q in setup.questions
    ]
    assert not html(check).xpath("//main//form//button")
    refused = await post_form(client, check_page, {}, page=check_page)
    assert refused.status_code == 400
    assert title(refused).startswith("Error: ")
    summary = html(refused).xpath('//*[contains(@class, "govuk-error-summary")]//a')
    assert [(words(a), a.get("href")) for a in summary] == left
    assert await ScoreSheet.count() == 0

    await score_everything(platform, setup, amy, submit=False)
    confirm = html(await client.get(check_page))
    assert [words(b) for b in confirm.xpath("//main//form//button")] == [
        "Submit my scores for this lot"
    ]
    assert "they are locked" in words(confirm)
    submitted = await post_form(client, check_page, {}, page=check_page)
    assert submitted.status_code == 303
    assert submitted.headers["location"] == lot_path(setup)
    home = await client.get(lot_path(setup))
    assert flash(home) == (
        "Your scores for lot 1 are submitted at 12:00pm on Friday 11 December 2026. They are locked"
    )
    assert f"{LOCKED_AT}. They are locked" in words(
        html(home).xpath('//*[@data-testid="next-step"]')[0]
    )
    again = await post_form(client, check_page, {}, page=lot_path(setup))
    assert again.status_code == 303, "a repeated submission changes nothing"
    assert await ScoreSheet.count() == 1


async def test_declare_score_every_bid_submit_then_see_the_other_evaluators_scores(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock, declare=False)
    amy, ben = setup.evaluators
    await declare_none(platform, ben, setup.tender.id, setup.lot.id)
    await score_everything(platform, setup, ben)
    await sign_in(client, amy.email)

    home = await client.get(lot_path(setup))
    assert html(home).xpath(f'//a[@href="{lot_path(setup)}/conflicts"]')
    assert (await declare_on_the_page(client, setup)).status_code == 303

    following = bid_path(setup, 0)
    for place in range(len(setup.bid_ids)):
        assert following == bid_path(setup, place)
        reading = await client.get(following)
        assert "Ben Hart: reason for" not in reading.text, "blind until Amy submits"
        saved = await client.post(
            following, data={**score_form(setup, place, action="next"), **token(reading)}
        )
        assert saved.status_code == 303
        following = saved.headers["location"]
    assert following == f"{lot_path(setup)}/submit"
    submitted = await post_form(client, following, {}, page=following)
    assert submitted.status_code == 303

    scale = scale_question(setup)
    after = html(await client.get(bid_path(setup, 0)))
    assert not after.xpath("//form//input[@type='radio']")
    section = after.xpath(f'//*[@id="question-{scale.id}"]/..')[0]
    own = words(section.xpath('.//*[@data-testid="own-score"]')[0])
    assert own == f"3 satisfactory Amy's reason for question {scale.number}"
    others = [words(li) for li in section.xpath('.//*[@data-testid="other-score"]')]
    assert others == [f"Ben Hart 3 satisfactory Ben Hart: reason for {scale.number}"]
    assert await ScoreSheet.count() == 2
    assert len(await reads()) == len(setup.bid_ids) + 1
