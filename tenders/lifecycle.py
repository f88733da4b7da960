"""Pure rules of a tender's life: its status at an instant, the words for its deadline,
and what stops it being published. No I/O: the callers pass in what they loaded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache

import holidays

from app.clock import LONDON
from app.templating import london_time
from tenders.vocabulary import AwardMode, QuestionKind, SectionKind, TenderStatus


def effective_status(
    status: TenderStatus, deadline: datetime | None, now: datetime
) -> TenderStatus:
    """A published tender is closed from the instant ``now >= deadline``, job or no job."""
    if status is TenderStatus.PUBLISHED and deadline is not None and now >= deadline:
        return TenderStatus.CLOSED
    return status


def accepts_questions(
    status: TenderStatus, clarification_deadline: datetime | None, now: datetime
) -> bool:
    return (
        status is TenderStatus.PUBLISHED
        and clarification_deadline is not None
        and now < clarification_deadline
    )


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def countdown(deadline: datetime, now: datetime) -> str:
    """ "Closes in 3 days, at 12:00pm on Friday 4 December 2026", or "Closed at ..."."""
    when = london_time(deadline)
    if now >= deadline:
        return f"Closed at {when}"
    local_days = (deadline.astimezone(LONDON).date() - now.astimezone(LONDON).date()).days
    if local_days == 0:
        hours = int((deadline - now).total_seconds() // 3600)
        if hours == 0:
            minutes = max(1, int((deadline - now).total_seconds() // 60))
            return f"Closes in {_plural(minutes, 'minute')}, at {when}"
        return f"Closes in {_plural(hours, 'hour')}, at {when}"
    if local_days == 1:
        return f"Closes tomorrow, at {when}"
    return f"Closes in {_plural(local_days, 'day')}, at {when}"


@cache
def _bank_holidays(year: int) -> holidays.HolidayBase:
    # England and Wales share their bank holidays; Scotland and Northern Ireland differ.
    return holidays.country_holidays("GB", subdiv="ENG", years=year)


def bank_holiday(day: date) -> str | None:
    """The name of the England and Wales bank holiday on ``day``, if it is one."""
    return _bank_holidays(day.year).get(day)


def deadline_warning(deadline: datetime) -> str | None:
    """Why a deadline on this day is unkind to small providers, if it is."""
    local = deadline.astimezone(LONDON).date()
    if name := bank_holiday(local):
        return f"The deadline is on a bank holiday ({name})"
    if local.weekday() >= 5:
        return f"The deadline is on a {local:%A}"
    return None


# What publication needs -------------------------------------------------------------


@dataclass(frozen=True)
class LotPlan:
    number: int
    name: str
    award_mode: AwardMode
    providers_to_award: int | None
    price_items: int


@dataclass(frozen=True)
class SectionPlan:
    number: int
    name: str
    kind: SectionKind
    weight: int


@dataclass(frozen=True)
class QuestionPlan:
    number: int
    section_number: int
    #: None: the question applies to every lot.
    lot_number: int | None
    kind: QuestionKind
    weight: int


@dataclass(frozen=True)
class TenderPlan:
    """Everything publication checks, as plain values."""

    title: str
    reference: str
    description: str
    submission_deadline: datetime | None
    clarification_deadline: datetime | None
    lots: Sequence[LotPlan] = field(default_factory=tuple)
    sections: Sequence[SectionPlan] = field(default_factory=tuple)
    questions: Sequence[QuestionPlan] = field(default_factory=tuple)
    documents: int = 0


def deadline_problems(
    submission: datetime | None, clarification: datetime | None, now: datetime
) -> dict[str, str]:
    problems: dict[str, str] = {}
    if submission is None:
        problems["submission_deadline"] = "Enter the submission deadline"
    elif submission <= now:
        problems["submission_deadline"] = "The submission deadline must be in the future"
    if clarification is None:
        problems["clarification_deadline"] = "Enter the deadline for clarification questions"
    elif clarification <= now:
        problems["clarification_deadline"] = (
            "The deadline for clarification questions must be in the future"
        )
    elif submission is not None and clarification >= submission:
        problems["clarification_deadline"] = (
            "The deadline for clarification questions must be before the submission deadline"
        )
    return problems


def publication_problems(plan: TenderPlan, now: datetime) -> dict[str, str]:
    """Every reason the tender cannot be published yet, keyed by where to fix it."""
    problems: dict[str, str] = {}
    for name, value, message in (
        ("title", plan.title, "Enter a title"),
        ("reference", plan.reference, "Enter the tender's reference"),
        ("description", plan.description, "Enter a description of what you are buying"),
    ):
        if not value.strip():
            problems[name] = message
    problems |= deadline_problems(plan.submission_deadline, plan.clarification_deadline, now)
    if not plan.lots:
        problems["lots"] = "Add at least one lot"
    if not plan.sections:
        problems["sections"] = "Add the evaluation sections and their weights"
    elif (total := sum(section.weight for section in plan.sections)) != 100:
        problems["sections"] = f"Section weights must add up to 100 (they add up to {total})"
    price_sections = [s for s in plan.sections if s.kind is SectionKind.PRICE]
    for lot in plan.lots:
        questions = [q for q in plan.questions if q.lot_number in (None, lot.number)]
        if not questions:
            problems[f"lot-{lot.number}-questions"] = (
                f"Lot {lot.number} ({lot.name}) has no questions"
            )
        if price_sections and lot.price_items == 0:
            problems[f"lot-{lot.number}-prices"] = (
                f"Lot {lot.number} ({lot.name}) has no items in its price schedule"
            )
        if lot.award_mode is AwardMode.NUMBER and not lot.providers_to_award:
            problems[f"lot-{lot.number}-award"] = (
                f"Lot {lot.number} ({lot.name}): enter how many providers it will appoint"
            )
    for section in plan.sections:
        scale = [
            q
            for q in plan.questions
            if q.section_number == section.number and q.kind is QuestionKind.SCALE
        ]
        if scale and (total := sum(q.weight for q in scale)) != 100:
            problems[f"section-{section.number}-weights"] = (
                f"Question weights in section {section.number} ({section.name}) must add up to "
                f"100 (they add up to {total})"
            )
        elif scale and any(
            q.section_number == section.number and q.kind is QuestionKind.OUTCOME_TEST
            for q in plan.questions
        ):
            # Outcome tests carry no weight, so beside weighted questions they would count
            # for nothing; in a section of their own they count equally.
            problems[f"section-{section.number}-outcome-tests"] = (
                f"Section {section.number} ({section.name}) has weighted questions and outcome "
                "tests: put the outcome tests in a section of their own, where they count "
                "equally"
            )
        if (
            section.kind is not SectionKind.PRICE
            and section.weight
            and not any(q.section_number == section.number for q in plan.questions)
        ):
            problems[f"section-{section.number}-questions"] = (
                f"Section {section.number} ({section.name}) has no questions"
            )
    return problems


def can_edit_frozen_parts(status: TenderStatus) -> bool:
    """Lots, criteria, weights and price schedules are frozen at publication."""
    return status is TenderStatus.DRAFT
