"""The results pages (rule 10): the ranking computed from the signed-off consensus and the
sealed prices, each bid's explanation, exclusions and price flags apart, and the evaluation
matrix of outcome tests; nothing before the moderator signs off."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from app.clock import FixedClock
from app.platform import Platform
from evaluation import scoring
from evaluation.services import results
from tenders.services import authoring
from tenders.services.views import QuestionView
from tenders.vocabulary import QuestionKind
from tests.conftest import buyer_officer, html, sign_in, title
from tests.evaluation.factories import (
    Evaluation,
    agree_everything,
    default_mark,
    evaluation,
    evaluation_of,
    score_everything,
)
from tests.evaluation.test_moderation_pages import base, signed_in, words
from tests.tenders.factories import draft_tender


async def signed_off(
    platform: Platform,
    clock: FixedClock,
    mark: Callable[[QuestionView, int], str] = default_mark,
) -> Evaluation:
    """Scored by both evaluators and agreed with ``mark``, signed off."""
    setup = await evaluation(platform, clock)
    for evaluator in setup.evaluators:
        await score_everything(platform, setup, evaluator, mark)
    await agree_everything(platform, setup, mark)
    return setup


def ashby_fails_the_gate(question: QuestionView, place: int) -> str:
    if question.kind is QuestionKind.PASS_FAIL and place == 0:
        return "fail"
    return default_mark(question, place)


async def test_the_results_rank_the_bids_with_their_explanations(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await signed_off(platform, clock)
    found = await results.lot_results(setup.officer, setup.tender.id, setup.lot.id)
    await sign_in(client, setup.officer.email)
    page = await client.get(f"{base(setup)}/results")
    assert page.status_code == 200
    assert title(page).startswith("Results: lot 1, ")
    ranking = html(page).xpath('//table[@data-testid="ranking"]')[0]
    assert words(ranking.find("caption")) == "Ranked bids"
    assert [words(th) for th in ranking.xpath(".//thead//th[@scope='col']")] == [
        "Rank",
        "Bid",
        "Quality (of 60)",
        "Price (of 40)",
        "Total (of 100)",
        "Awarded",
    ]
    rows = [
        [words(cell) for cell in row.xpath("./td|./th")]
        for row in ranking.xpath(".//tr[@data-testid='ranked']")
    ]
    # Cedar: the best marks and the lowest basket; Ashby's £15.00 against Cedar's £14.50.
    assert rows == [
        ["1st", "Cedar Support", "60.00", "40.00", "100.00", "Yes"],
        ["2nd", "Birch Homes", "48.00", "36.25", "84.25", "Yes"],
        ["3rd", "Ashby Care", "36.00", "38.67", "74.67", "Yes"],
    ]
    # The page shows the service's figures, as ``scoring.points`` rounds them.
    assert rows == [
        [
            scoring.ordinal(r.rank),
            r.name,
            *(str(scoring.points(s.score)) for s in r.sections),
            str(scoring.points(r.total)),
            "Yes" if r.awarded else "No",
        ]
        for r in found.results
    ]
    explained = {
        box.get("data-bid"): [words(li) for li in box.xpath(".//li")]
        for box in html(page).xpath('//*[@data-testid="explanation"]')
    }
    for result in found.results:
        assert explained[str(result.bid_id)] == list(result.explanation)
    assert (
        "Ranked 1st of 3; awarded (the lot awards 3 providers)" in explained[str(setup.bid_ids[2])]
    )
    flags = [words(li) for li in html(page).xpath('//*[@data-testid="price-flags"]/li')]
    assert flags == [
        "Birch Homes: Above the reference price: Support worker, daytime at £16.00 against £15.87"
    ]
    assert not html(page).xpath('//*[@data-testid="excluded"]')
    exports = html(page).xpath('//*[@data-testid="exports"]//a/@href')
    assert sorted(exports) == sorted(
        f"{base(setup)}/exports/{name}"
        for name in ("scores.csv", "consensus.csv", "results.csv", "results.xlsx")
    )


async def test_excluded_bids_are_shown_apart_with_their_reasons(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await signed_off(platform, clock, ashby_fails_the_gate)
    await sign_in(client, setup.moderator.email)
    page = await client.get(f"{base(setup)}/results")
    assert page.status_code == 200
    ranked = [
        words(row.xpath("./th")[0])
        for row in html(page).xpath('//table[@data-testid="ranking"]//tr[@data-testid="ranked"]')
    ]
    assert ranked == ["Cedar Support", "Birch Homes"]
    excluded = html(page).xpath('//table[@data-testid="excluded"]/tbody/tr')
    assert [[words(c) for c in row.xpath("./th|./td")] for row in excluded] == [
        ["Ashby Care", "Failed question 1 (a pass or fail question)"]
    ]
    explanation = html(page).xpath(
        f'//*[@data-testid="explanation"][@data-bid="{setup.bid_ids[0]}"]//li'
    )
    assert words(explanation[-1]) == "Not ranked or awarded, because the bid is excluded"
    assert html(page).xpath('//*[@data-testid="exports"]'), "the moderator may export"


async def test_before_sign_off_the_results_page_says_they_come_with_it(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock)
    for evaluator in setup.evaluators:
        await score_everything(platform, setup, evaluator)
    await agree_everything(platform, setup, sign_off=False)
    await sign_in(client, setup.officer.email)
    for page in ("results", "matrix"):
        response = await client.get(f"{base(setup)}/{page}")
        assert response.status_code == 409, page
        assert title(response).startswith("The results are not ready yet")
        message = words(html(response).xpath('//*[@data-testid="message"]')[0])
        assert message == (
            "The results are computed once the moderator signs off the lot's consensus."
        )
        assert "Cedar Support" not in response.text


async def test_evaluators_of_the_lot_read_the_results_without_the_exports(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await signed_off(platform, clock)
    await sign_in(client, setup.evaluators[0].email)
    page = await client.get(f"{base(setup)}/results")
    assert page.status_code == 200
    assert "Cedar Support" in page.text
    assert not html(page).xpath('//*[@data-testid="exports"]')


async def test_a_provider_and_another_council_are_told_the_results_are_not_found(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await signed_off(platform, clock)
    other = await buyer_officer(
        platform, email="sam@stoke.example", organisation="Stoke-on-Trent City Council"
    )
    for email in (other.email, setup.providers[2].email):
        async with signed_in(client, email) as browser:
            for page in ("results", "matrix"):
                response = await browser.get(f"{base(setup)}/{page}")
                assert response.status_code == 404, (email, page)
                assert "100.00" not in response.text


async def test_the_matrix_without_outcome_tests_says_so(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await signed_off(platform, clock)
    await sign_in(client, setup.officer.email)
    page = await client.get(f"{base(setup)}/matrix")
    assert page.status_code == 200
    assert words(html(page).xpath('//*[@data-testid="no-outcome-tests"]')[0]).startswith(
        "This lot has no outcome tests"
    )
    results_page = await client.get(f"{base(setup)}/results")
    assert not html(results_page).xpath('//a[@data-testid="matrix-link"]')


# The evaluation matrix --------------------------------------------------------------------


async def outcome_evaluation(platform: Platform, clock: FixedClock) -> Evaluation:
    """As ``evaluation()``, for a tender whose lot has the councils' outcome tests in an
    Outcomes section of their own (Quality 50, Price 40, Outcomes 10)."""
    officer = await buyer_officer(platform)
    tender_id = str(await draft_tender(platform, officer, lots=1))
    quality, _ = (await authoring.own_tender(officer, tender_id)).sections
    await authoring.update_section(
        platform, officer, tender_id, str(quality.id), {"name": "Quality", "weight": "50"}
    )
    outcomes = await authoring.add_section(
        platform, officer, tender_id, {"name": "Outcomes", "weight": "10"}
    )
    await authoring.add_outcome_tests(platform, officer, tender_id, {"section": str(outcomes)})
    tender = await authoring.publish(platform, officer, tender_id)
    return await evaluation_of(platform, clock, officer, tender)


def outcome_by_place(question: QuestionView, place: int) -> str:
    """Yes from Ashby, Partially from Birch, No from Cedar on every outcome test."""
    if question.kind is QuestionKind.OUTCOME_TEST:
        return ("yes", "partially", "no")[place]
    return default_mark(question, place)


async def test_the_matrix_shows_the_consensus_on_each_outcome_test_in_words(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await outcome_evaluation(platform, clock)
    for evaluator in setup.evaluators:
        await score_everything(platform, setup, evaluator, outcome_by_place)
    await agree_everything(platform, setup, outcome_by_place)
    found = await results.lot_results(setup.officer, setup.tender.id, setup.lot.id)
    groups = found.matrix()
    assert len(groups) == 5
    await sign_in(client, setup.moderator.email)
    page = await client.get(f"{base(setup)}/matrix")
    assert page.status_code == 200
    table = html(page).xpath('//table[@data-testid="matrix"]')[0]
    assert words(table.find("caption")) == "Outcome tests for lot 1, by bid"
    assert [words(th) for th in table.xpath(".//thead//th[@scope='col']")] == [
        "Outcome test",
        "Ashby Care",
        "Birch Homes",
        "Cedar Support",
    ]
    bodies = table.xpath(".//tbody[@data-testid='outcome']")
    assert [words(body.xpath(".//th[@scope='rowgroup']")[0]) for body in bodies] == [
        outcome for outcome, _ in groups
    ]
    for body, (_, questions) in zip(bodies, groups, strict=True):
        rows = body.xpath(".//tr[@data-testid='test']")
        assert [words(row.xpath("./th[@scope='row']")[0]) for row in rows] == [
            f"{q.number}. {q.text}" for q in questions
        ]
        for row in rows:
            assert [words(td) for td in row.xpath("./td")] == ["Yes", "Partially", "No"]
            assert all("govuk-tag" in tag.get("class") for tag in row.xpath("./td/strong"))
    results_page = await client.get(f"{base(setup)}/results")
    assert html(results_page).xpath('//a[@data-testid="matrix-link"]/@href') == [
        f"{base(setup)}/matrix"
    ]
    assert [
        words(th) for th in html(results_page).xpath("//table[@data-testid='ranking']//thead//th")
    ] == [
        "Rank",
        "Bid",
        "Quality (of 50)",
        "Price (of 40)",
        "Outcomes (of 10)",
        "Total (of 100)",
        "Awarded",
    ]


async def test_a_consensus_can_be_recorded_for_outcome_tests_through_the_form(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await outcome_evaluation(platform, clock)
    for evaluator in setup.evaluators:
        await score_everything(platform, setup, evaluator, outcome_by_place)
    await sign_in(client, setup.moderator.email)
    path = f"{base(setup)}/moderation/bids/{setup.bid_ids[1]}"
    form = await client.get(path)
    test = next(q for q in setup.questions if q.kind is QuestionKind.OUTCOME_TEST)
    radios = html(form).xpath(f'//input[@name="mark-{test.id}"]')
    assert [radio.get("value") for radio in radios] == ["yes", "partially", "no"]
    assert [
        words(label) for label in html(form).xpath(f'//label[@for="{radios[0].get("id")}"]')
    ] == ["Yes"]
