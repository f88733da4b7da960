"""Exports of a lot's evaluation: CSV per table and a workbook of three sheets, with the
figures of the results page, for the council's officers and the lot's moderator only, each
download written to the audit log."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import httpx
import openpyxl
import pytest

from app.clock import FixedClock
from app.errors import InvalidTransition, NotPermitted
from app.platform import Platform
from app.tables import AuditEvent
from app.vocabulary import AuditAction
from evaluation import scoring
from evaluation.services import exports, moderation, results
from evaluation.services.scores import ScoreInput
from tests.conftest import buyer_officer, html, sign_in
from tests.evaluation.factories import (
    Evaluation,
    agree_everything,
    default_mark,
    evaluation,
    score_everything,
)
from tests.evaluation.test_moderation_pages import base, low_on_the_second_bid, signed_in

EXPORTS = ("scores.csv", "consensus.csv", "results.csv", "results.xlsx")


async def signed_off(platform: Platform, clock: FixedClock) -> Evaluation:
    setup = await evaluation(platform, clock)
    amy, ben = setup.evaluators
    await score_everything(platform, setup, amy)
    await score_everything(platform, setup, ben, low_on_the_second_bid)
    await agree_everything(platform, setup)
    return setup


def read_csv(response: httpx.Response) -> list[list[str]]:
    assert response.content.startswith(b"\xef\xbb\xbf"), "a byte order mark, for Excel"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


async def exported() -> list[dict]:
    """The audit log's export events, oldest first."""
    rows = (
        await AuditEvent.select(AuditEvent.body)
        .where(AuditEvent.action == str(AuditAction.EVALUATION_RESULTS_EXPORT))
        .order_by(AuditEvent.seq)
    )
    return [json.loads(row["body"]) for row in rows]


async def test_the_results_csv_has_the_figures_of_the_results_page(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await signed_off(platform, clock)
    found = await results.lot_results(setup.officer, setup.tender.id, setup.lot.id)
    await sign_in(client, setup.officer.email)
    response = await client.get(f"{base(setup)}/exports/results.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith(
        'attachment; filename="SCC-2026-041-lot-1-results.csv"'
    )
    header, *rows = read_csv(response)
    assert header == [
        "Rank",
        "Bid",
        "Quality (60 points)",
        "Price (40 points)",
        "Quality score",
        "Price score",
        "Social value score",
        "Total score (of 100)",
        "Basket cost",
        "Awarded",
        "Exclusions",
        "Price flags",
        "Explanation",
    ]
    assert [row[:10] for row in rows] == [
        ["1", "Cedar Support", "60.00", "40.00", "60.00", "40.00", "0.00", "100.00",
         "£75,400.00", "Yes"],
        ["2", "Birch Homes", "48.00", "36.25", "48.00", "36.25", "0.00", "84.25",
         "£83,200.00", "Yes"],
        ["3", "Ashby Care", "36.00", "38.67", "36.00", "38.67", "0.00", "74.67",
         "£78,000.00", "Yes"],
    ]  # fmt: skip
    # The same figures the results page shows, from the service, as ``points`` rounds them.
    page = await client.get(f"{base(setup)}/results")
    totals = [
        " ".join(td.text_content().split())
        for td in html(page).xpath('//*[@data-testid="ranked"]/td[@data-testid="total"]')
    ]
    assert [row[7] for row in rows] == totals
    assert [row[7] for row in rows] == [str(scoring.points(r.total)) for r in found.results]
    assert [row[8] for row in rows] == [scoring.pounds(r.basket_pence) for r in found.results]
    assert rows[1][11] == (
        "Above the reference price: Support worker, daytime at £16.00 against £15.87"
    )
    assert rows[0][12] == "".join(f"{s}. " for s in found.results[0].explanation).strip()


async def test_the_scores_and_consensus_csv_have_every_mark_and_reason(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await signed_off(platform, clock)
    await sign_in(client, setup.moderator.email)
    scores = read_csv(await client.get(f"{base(setup)}/exports/scores.csv"))
    assert scores[0] == [
        "Bid",
        "Question number",
        "Question",
        "Evaluator",
        "Mark",
        "Reason",
        "Passage quoted from the bid",
        "Submitted at (UK time)",
    ]
    assert len(scores) == 1 + 3 * 2 * 2
    assert scores[8] == [
        "Birch Homes",
        "2",
        "How will you keep children safe?",
        "Ben Hart",
        "1",
        "Ben Hart: reason for 2",
        "",
        "2026-12-11 12:00:00",
    ]
    assert scores[5][4] == "Pass", "marks other than scores in words"

    consensus = read_csv(await client.get(f"{base(setup)}/exports/consensus.csv"))
    assert consensus[0] == [
        "Bid",
        "Question number",
        "Question",
        "Mark from Amy Evans",
        "Mark from Ben Hart",
        "Range",
        "Flag",
        "Consensus mark",
        "Reason for the consensus",
        "Moderator",
        "Decided at (UK time)",
    ]
    assert consensus[4] == [
        "Birch Homes",
        "2",
        "How will you keep children safe?",
        "4",
        "1",
        "1 to 4",
        "Scores range from 1 to 4",
        "4",
        "Agreed at moderation",
        "Mo Reid",
        "2026-12-11 12:00:00",
    ]
    assert len(consensus) == 1 + 3 * 2


async def test_the_workbook_has_three_sheets_with_numbers_as_numbers(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await signed_off(platform, clock)
    found = await results.lot_results(setup.officer, setup.tender.id, setup.lot.id)
    await sign_in(client, setup.officer.email)
    response = await client.get(f"{base(setup)}/exports/results.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"] == exports.XLSX_TYPE
    assert 'filename="SCC-2026-041-lot-1-results.xlsx"' in response.headers["content-disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Scores", "Consensus", "Results"]
    sheet = workbook["Results"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert [row[0] for row in rows] == [1, 2, 3]
    for row, result in zip(rows, found.results, strict=True):
        assert row[1] == result.name
        assert isinstance(row[7], int | float)
        # Numbers, and the same figures the page shows once rounded the same way.
        assert Decimal(str(row[7])) == scoring.points(result.total)
        assert [Decimal(str(v)) for v in row[2:4]] == [
            scoring.points(s.score) for s in result.sections
        ]
        assert Decimal(str(row[8])) == Decimal(result.basket_pence) / 100
    assert sheet["H2"].number_format == "0.00"
    assert sheet["I2"].number_format == exports.XLSX_POUNDS_FORMAT
    scores = workbook["Scores"]
    assert scores.max_row == 1 + 12
    assert [c.value for c in scores[9]][:5] == [
        "Birch Homes",
        2,
        "How will you keep children safe?",
        "Ben Hart",
        1,
    ]
    assert workbook["Consensus"].max_row == 1 + 6


async def test_text_that_looks_like_a_formula_is_exported_as_text(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock)
    for evaluator in setup.evaluators:
        await score_everything(platform, setup, evaluator)
    formula = '=HYPERLINK("https://evil.example","Click")'
    await moderation.record(
        platform,
        setup.moderator,
        setup.tender.id,
        setup.lot.id,
        setup.bid_ids[0],
        {q.id: ScoreInput(default_mark(q, 0), formula) for q in setup.questions},
    )
    await sign_in(client, setup.moderator.email)
    consensus = read_csv(await client.get(f"{base(setup)}/exports/consensus.csv"))
    assert consensus[1][8] == f"'{formula}"
    tables = exports.to_xlsx(
        [exports.Table("Consensus", ("Reason",), ((formula,), ("+1",), ("-2",)))]
    )
    sheet = openpyxl.load_workbook(io.BytesIO(tables))["Consensus"]
    assert [(c.value, c.data_type) for c in sheet["A"][1:]] == [
        (formula, "s"),
        ("+1", "s"),
        ("-2", "s"),
    ]


async def test_scores_and_consensus_export_what_the_grid_shows_before_everyone_submits(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock)
    amy, ben = setup.evaluators
    await score_everything(platform, setup, amy)
    await score_everything(platform, setup, ben, submit=False)
    await sign_in(client, setup.officer.email)
    scores = read_csv(await client.get(f"{base(setup)}/exports/scores.csv"))
    assert {row[3] for row in scores[1:]} == {"Amy Evans"}, "Ben's drafts are his own"
    refused = await client.get(f"{base(setup)}/exports/results.csv")
    assert refused.status_code == 409
    assert "signs off" in refused.text
    with pytest.raises(InvalidTransition):
        await exports.results_xlsx(platform, setup.officer, setup.tender.id, setup.lot.id)
    assert [row["details"]["export"] for row in await exported()] == ["scores.csv"]


async def test_exports_are_refused_to_evaluators_and_to_other_councils(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await signed_off(platform, clock)
    other = await buyer_officer(
        platform, email="sam@stoke.example", organisation="Stoke-on-Trent City Council"
    )
    for email, status in (
        (setup.evaluators[0].email, 403),
        (other.email, 404),
        (setup.providers[0].email, 404),
    ):
        async with signed_in(client, email) as browser:
            for name in EXPORTS:
                response = await browser.get(f"{base(setup)}/exports/{name}")
                assert response.status_code == status, (email, name)
                assert "Cedar Support" not in response.text
    for export in (
        exports.scores_csv,
        exports.consensus_csv,
        exports.results_csv,
        exports.results_xlsx,
    ):
        with pytest.raises(NotPermitted):
            await export(platform, setup.evaluators[1], setup.tender.id, setup.lot.id)
    assert await exported() == []


async def test_every_export_is_written_to_the_audit_log(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    setup = await signed_off(platform, clock)
    await sign_in(client, setup.moderator.email)
    for name in EXPORTS:
        assert (await client.get(f"{base(setup)}/exports/{name}")).status_code == 200
    events = await exported()
    assert [row["details"] for row in events] == [
        {"lot": str(setup.lot.id), "export": name} for name in EXPORTS
    ]
    assert {row["actor_id"] for row in events} == {str(setup.moderator.id)}
