"""A lot's evaluation as files councils keep and open in their spreadsheets: the
individual scores, the consensus beside them, and the results, as CSV (one file per table)
or one workbook of three sheets.

The exports are for the council's officers and the lot's moderator, who see the same on
the moderation grid and the results page; an evaluator of the lot is refused, as on the
grid. The results are exported once the moderator has signed the lot off. Figures read as
the pages show them (scores to two decimal places, money in pounds); in the workbook they
are numbers. Every export is written to the audit log (rule 14).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from uuid import UUID

import anyio
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font

from app import database
from app.accounts import CurrentUser
from app.clock import LONDON
from app.errors import NotPermitted
from app.platform import Platform
from app.vocabulary import AuditAction
from evaluation import marks
from evaluation.scoring import BidResult, FlagKind, PriceFlag, points, pounds
from evaluation.services import moderation, results
from evaluation.services.moderation import Grid
from evaluation.services.panels import DeclarationRecord, visible_lot
from evaluation.services.results import LotResults
from evaluation.vocabulary import PanelRole
from tenders.services import events
from tenders.services.views import LotView, TenderView
from tenders.vocabulary import QuestionKind

#: UTF-8, which the response adds as its charset.
CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: How times read in the files: UK time, in an order spreadsheets sort.
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
XLSX_TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
XLSX_POINTS_FORMAT = "0.00"
XLSX_POUNDS_FORMAT = '"£"#,##0.00'
#: A spreadsheet takes a cell that begins with one of these for a formula (OWASP's CSV
#: injection): text from bidders and evaluators must never run as one.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Wider columns than this wrap their text instead.
MAX_COLUMN_WIDTH = 60


class ExportKind(StrEnum):
    """Each export, by the name its file ends with."""

    SCORES_CSV = "scores.csv"
    CONSENSUS_CSV = "consensus.csv"
    RESULTS_CSV = "results.csv"
    RESULTS_XLSX = "results.xlsx"


@dataclass(frozen=True)
class Pounds:
    """Money in a cell: "£82,940.00" in a CSV file, a number in a workbook."""

    pence: int


Value = str | int | Decimal | Pounds | datetime | None


@dataclass(frozen=True)
class Table:
    #: The workbook's sheet name.
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Value, ...], ...]


@dataclass(frozen=True)
class Export:
    filename: str
    content_type: str
    content: bytes


# Tables ---------------------------------------------------------------------------------


def mark_value(kind: QuestionKind, mark: str) -> int | str:
    """A mark in a cell: a score as a number, the others in words ("Partially", "Pass")."""
    return int(mark) if kind is QuestionKind.SCALE else marks.label(kind, mark)


def scores_table(grid: Grid) -> Table:
    """Every evaluator's submitted score, by bid, question and evaluator."""
    submitted = {e.user_id: e.submitted_at for e in grid.evaluators}
    rows = tuple(
        (
            bid.name,
            question.number,
            question.text,
            score.evaluator_name,
            mark_value(question.kind, score.mark),
            score.rationale,
            score.quote,
            submitted.get(score.evaluator_id),
        )
        for bid in grid.bids
        for question in grid.questions
        for score in grid.cell(bid, question).scores
    )
    return Table(
        "Scores",
        (
            "Bid",
            "Question number",
            "Question",
            "Evaluator",
            "Mark",
            "Reason",
            "Passage quoted from the bid",
            "Submitted at (UK time)",
        ),
        rows,
    )


def consensus_table(grid: Grid) -> Table:
    """Each bid's question with every evaluator's mark, their range and flag, and the
    consensus the moderator recorded."""
    rows = []
    for bid in grid.bids:
        for question in grid.questions:
            cell = grid.cell(bid, question)
            given = {score.evaluator_id: score.mark for score in cell.scores}
            agreed = cell.consensus
            rows.append(
                (
                    bid.name,
                    question.number,
                    question.text,
                    *(
                        mark_value(question.kind, given[e.user_id]) if e.user_id in given else None
                        for e in grid.evaluators
                    ),
                    cell.spread,
                    cell.flag or "",
                    mark_value(question.kind, agreed.mark) if agreed else None,
                    agreed.rationale if agreed else "",
                    agreed.moderator_name if agreed else "",
                    agreed.decided_at if agreed else None,
                )
            )
    return Table(
        "Consensus",
        (
            "Bid",
            "Question number",
            "Question",
            *(f"Mark from {e.name}" for e in grid.evaluators),
            "Range",
            "Flag",
            "Consensus mark",
            "Reason for the consensus",
            "Moderator",
            "Decided at (UK time)",
        ),
        tuple(rows),
    )


def conflicts_table(records: Sequence[DeclarationRecord]) -> Table:
    """The conflicts record: every declaration, by lot, panel member and bidder."""
    return Table(
        "Conflicts",
        (
            "Lot",
            "Panel member",
            "Bidder",
            "Conflict",
            "Description",
            "First declared at (UK time)",
            "Last declared at (UK time)",
        ),
        tuple(
            (
                f"Lot {r.lot_number}: {r.lot_name}",
                r.evaluator_name,
                r.organisation_name,
                "Yes" if r.conflict else "No",
                r.description,
                r.first_declared_at,
                r.declared_at,
            )
            for r in records
        ),
    )


def flag_words(flag: PriceFlag, abnormally_low_percent: int) -> str:
    """A price flag in words, for the officer to look into."""
    unit, reference = pounds(flag.unit_price_pence), pounds(flag.reference_pence)
    if flag.kind is FlagKind.ABNORMALLY_LOW:
        return (
            f"Abnormally low: {flag.description} at {unit} is below "
            f"{abnormally_low_percent}% of the reference price of {reference}"
        )
    return f"Above the reference price: {flag.description} at {unit} against {reference}"


def _points(value: Fraction | None) -> Decimal | None:
    return None if value is None else points(value)


def results_table(lot_results: LotResults) -> Table:
    """The ranked bids, then the excluded ones, with every figure of their results."""
    sections = lot_results.results[0].sections if lot_results.results else ()
    low = lot_results.tender.abnormally_low_percent
    rows = tuple(
        (
            result.rank,
            result.name,
            *(_points(section.score) for section in result.sections),
            points(result.quality),
            _points(result.price),
            points(result.social_value),
            _points(result.total),
            Pounds(result.basket_pence),
            "Yes" if result.awarded else "No",
            "; ".join(result.exclusions),
            "; ".join(flag_words(flag, low) for flag in result.flags),
            explanation_text(result),
        )
        for result in lot_results.results
    )
    return Table(
        "Results",
        (
            "Rank",
            "Bid",
            *(f"{s.name} ({s.weight} points)" for s in sections),
            "Quality score",
            "Price score",
            "Social value score",
            "Total score (of 100)",
            "Basket cost",
            "Awarded",
            "Exclusions",
            "Price flags",
            "Explanation",
        ),
        rows,
    )


def explanation_text(result: BidResult) -> str:
    return "".join(f"{sentence}. " for sentence in result.explanation).strip()


# Files ----------------------------------------------------------------------------------


def _text(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_START) else value


def _csv_cell(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, Pounds):
        return pounds(value.pence)
    if isinstance(value, datetime):
        return value.astimezone(LONDON).strftime(TIME_FORMAT)
    return str(value)


def to_csv(table: Table) -> bytes:
    """The table as CSV, UTF-8 with a byte order mark so that Excel reads its "£" right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_text(header) for header in table.headers])
    writer.writerows([_csv_cell(value) for value in row] for row in table.rows)
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """The tables as a workbook, one sheet each: numbers as numbers, times as times."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables:
        sheet = workbook.create_sheet(table.title)
        sheet.append(list(table.headers))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.data_type = "s"
        for row in table.rows:
            sheet.append([_xlsx_value(value) for value in row])
        for row_cells, row in zip(sheet.iter_rows(min_row=2), table.rows, strict=True):
            for cell, value in zip(row_cells, row, strict=True):
                _xlsx_style(cell, value)
        sheet.freeze_panes = "A2"
        for place, header in enumerate(table.headers):
            widest = max(
                [len(header), *(len(_csv_cell(row[place])) for row in table.rows)], default=10
            )
            letter = sheet.cell(1, place + 1).column_letter
            sheet.column_dimensions[letter].width = min(widest + 2, MAX_COLUMN_WIDTH)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_value(value: Value) -> object:
    if isinstance(value, Pounds):
        return Decimal(value.pence).scaleb(-2)
    if isinstance(value, datetime):
        # Excel has no time zones: the UK time the pages show.
        return value.astimezone(LONDON).replace(tzinfo=None)
    return value


def _xlsx_style(cell: Cell, value: Value) -> None:
    if isinstance(value, str):
        # Text, even when it begins with "=": never a formula.
        cell.data_type = "s"
        if len(value) > MAX_COLUMN_WIDTH:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    elif isinstance(value, Pounds):
        cell.number_format = XLSX_POUNDS_FORMAT
    elif isinstance(value, Decimal):
        cell.number_format = XLSX_POINTS_FORMAT
    elif isinstance(value, datetime):
        cell.number_format = XLSX_TIME_FORMAT


def filename(tender: TenderView, lot: LotView, kind: ExportKind) -> str:
    """ "SCC-2026-041-lot-1-results.xlsx"."""
    reference = re.sub(r"[^A-Za-z0-9]+", "-", tender.reference).strip("-") or "tender"
    return f"{reference}-lot-{lot.number}-{kind}"


# Who may export, and the exports --------------------------------------------------------


def may_export(actor: CurrentUser, role: PanelRole | None) -> bool:
    """Whether the exports are the actor's, given their seat on the lot's panel: the lot's
    moderator, or an officer of the council who is not on the panel. (The exports check
    for themselves; this is for the pages' links.)"""
    return role is PanelRole.MODERATOR or (role is None and actor.is_officer)


async def _results(actor: CurrentUser, tender_id: str | UUID, lot_id: str | UUID) -> LotResults:
    _, _, role = await visible_lot(actor, tender_id, lot_id)
    if role is PanelRole.EVALUATOR:
        raise NotPermitted(moderation.NOT_FOR_EVALUATORS)
    return await results.lot_results(actor, tender_id, lot_id)


async def _audited(
    platform: Platform,
    actor: CurrentUser,
    tender: TenderView,
    lot: LotView,
    kind: ExportKind,
    content: bytes,
) -> Export:
    async with database.write_transaction():
        await events.record(
            platform,
            actor,
            AuditAction.EVALUATION_RESULTS_EXPORT,
            tender.id,
            {"lot": lot.id, "export": str(kind)},
        )
    content_type = XLSX_TYPE if kind is ExportKind.RESULTS_XLSX else CSV_TYPE
    return Export(filename(tender, lot, kind), content_type, content)


async def scores_csv(
    platform: Platform, actor: CurrentUser, tender_id: str | UUID, lot_id: str | UUID
) -> Export:
    """The individual scores the grid shows (those submitted), as CSV.

    Raises as ``moderation.grid``: ``NotFound`` and ``NotPermitted`` (an evaluator of the
    lot, a moderator not cleared, or before opening).
    """
    grid = await moderation.grid(actor, tender_id, lot_id)
    content = to_csv(scores_table(grid))
    return await _audited(platform, actor, grid.tender, grid.lot, ExportKind.SCORES_CSV, content)


async def consensus_csv(
    platform: Platform, actor: CurrentUser, tender_id: str | UUID, lot_id: str | UUID
) -> Export:
    """The consensus beside the evaluators' marks, as the grid shows it, as CSV.

    Raises as ``scores_csv``.
    """
    grid = await moderation.grid(actor, tender_id, lot_id)
    content = to_csv(consensus_table(grid))
    return await _audited(platform, actor, grid.tender, grid.lot, ExportKind.CONSENSUS_CSV, content)


async def results_csv(
    platform: Platform, actor: CurrentUser, tender_id: str | UUID, lot_id: str | UUID
) -> Export:
    """The lot's results as CSV, once signed off.

    Raises as ``results.lot_results`` (``NotFound``, ``NotPermitted``, and
    ``InvalidTransition`` before sign-off), and ``NotPermitted`` for an evaluator of the lot.
    """
    found = await _results(actor, tender_id, lot_id)
    content = to_csv(results_table(found))
    return await _audited(platform, actor, found.tender, found.lot, ExportKind.RESULTS_CSV, content)


async def results_xlsx(
    platform: Platform, actor: CurrentUser, tender_id: str | UUID, lot_id: str | UUID
) -> Export:
    """A workbook of the scores, the consensus and the results, once signed off.

    Raises as ``results_csv``.
    """
    found = await _results(actor, tender_id, lot_id)
    grid = await moderation.grid(actor, tender_id, lot_id)
    # openpyxl builds the workbook in Python, tens of thousands of cells for a large lot:
    # in a worker thread, so the event loop serves everyone else meanwhile.
    tables = [scores_table(grid), consensus_table(grid), results_table(found)]
    content = await anyio.to_thread.run_sync(to_xlsx, tables)
    return await _audited(
        platform, actor, found.tender, found.lot, ExportKind.RESULTS_XLSX, content
    )
