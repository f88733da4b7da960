"""Pages: a panel member's evaluations: the lots they sit on, the declaration of conflicts
of interest against the named bidders (rule 7), and blind individual scoring (rule 8):
reading each bid beside its questions, a mark and its reason for every question, and
submitting the lot's scores, which locks them.

Every read of a bid or of one of its files is audited by the service. A member who has
not declared yet is sent to the declaration; a member who declared a conflict is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Stream, Template

from app.accounts import CurrentUser
from app.dependencies import PLATFORM, USER, PlatformDep, UserDep
from app.errors import Invalid, NotPermitted
from app.guards import council_users_only
from app.templating import london_time
from app.web_support import (
    form_data,
    render,
    render_invalid,
    sealed_file_download,
    see_other,
)
from evaluation import marks
from evaluation.services import panels, scores
from evaluation.services.panels import Bidder
from evaluation.services.scores import Reading, ScoreInput, ScoreView, Sheet
from evaluation.vocabulary import Clearance, PanelRole
from tenders.services.views import LotView, QuestionView, TenderView

#: What "Save and go to the next bid" sends as ``action`` ("Save scores" sends "save").
NEXT = "next"
SCORE_FIELDS = ("mark", "rationale", "quote")


def _lot_path(tender_id: Any, lot_id: Any) -> str:
    return f"/evaluations/{tender_id}/lots/{lot_id}"


def _bid_path(tender_id: Any, lot_id: Any, bid_id: Any) -> str:
    return f"{_lot_path(tender_id, lot_id)}/bids/{bid_id}"


def _to_declaration(error: NotPermitted, tender_id: str, lot_id: str) -> Response:
    """Someone who has not declared yet is sent to the declaration; any other refusal
    stands."""
    if error.message == panels.DECLARE_FIRST:
        return see_other(f"{_lot_path(tender_id, lot_id)}/conflicts")
    raise error


@dataclass(frozen=True)
class LotState:
    """A lot as one member of its panel meets it."""

    tender: TenderView
    lot: LotView
    role: PanelRole
    clearance: Clearance
    #: An evaluator's scores, once cleared.
    sheet: Sheet | None
    #: The member's own declarations, by bidder organisation id.
    declarations: Mapping[UUID, panels.Declared]


async def _lot_state(user: CurrentUser, tender_id: Any, lot_id: Any) -> LotState:
    """Raises ``NotFound`` (not a lot the user may know of) and ``NotPermitted`` (not on
    its panel)."""
    found = await panels.standing(user, tender_id, lot_id)
    sheet = (
        await scores.sheet(user, found.tender.id, found.lot.id)
        if found.role is PanelRole.EVALUATOR and found.clearance is Clearance.CLEARED
        else None
    )
    return LotState(found.tender, found.lot, found.role, found.clearance, sheet, found.declarations)


def _next_step(state: LotState) -> str:
    """What the member does next, in a few words, for the list of their evaluations."""
    if state.clearance is Clearance.CANCELLED:
        return "Nothing: the tender was cancelled"
    if state.clearance is Clearance.SEALED:
        return "Wait for an officer to open the bids"
    if state.clearance is Clearance.DECLARE:
        return "Declare any conflicts of interest"
    if state.clearance is Clearance.CONFLICTED:
        return "Nothing: you declared a conflict of interest"
    if state.role is PanelRole.MODERATOR:
        return "Moderate the evaluators' scores"
    assert state.sheet is not None
    if state.sheet.submitted_at is not None:
        return f"Nothing: you submitted your scores at {london_time(state.sheet.submitted_at)}"
    total = len(state.sheet.bids) * len(state.sheet.questions)
    return f"Score the bids: {len(state.sheet.scores)} of {total} scores given"


def _bid_rows(tender_id: UUID, lot_id: UUID, sheet: Sheet) -> list[dict[str, Any]]:
    total = len(sheet.questions)
    return [
        {
            "bid": bid,
            "href": _bid_path(tender_id, lot_id, bid.bid_id),
            "scored": sheet.scored(bid),
            "total": total,
        }
        for bid in sheet.bids
    ]


def _missing_links(sheet: Sheet) -> dict[str, dict[str, str]]:
    """Each bid and question still unscored, linking to the question on the bid's page,
    by the key of the service's error for it."""
    return {
        scores.missing_key(bid, question): {
            "text": scores.missing_message(bid, question),
            "href": f"{_bid_path(sheet.tender.id, sheet.lot.id, bid.bid_id)}"
            f"#question-{question.id}",
        }
        for bid, question in sheet.missing
    }


def _submit_context(sheet: Sheet) -> dict[str, Any]:
    tender, lot = sheet.tender, sheet.lot
    return {
        "tender": tender,
        "lot": lot,
        "sheet": sheet,
        "role": PanelRole.EVALUATOR,
        "missing": list(_missing_links(sheet).values()),
        "lot_path": _lot_path(tender.id, lot.id),
    }


# The reading and scoring page ---------------------------------------------------------


def _score_line(question: QuestionView, score: ScoreView) -> dict[str, str]:
    return {
        "name": score.evaluator_name,
        "mark": marks.label(question.kind, score.mark),
        "rationale": score.rationale,
        "quote": score.quote,
    }


def _own_values(reading: Reading) -> dict[str, str]:
    values: dict[str, str] = {}
    for question in reading.sheet.questions:
        score = reading.sheet.scores.get((reading.bid.submission_id, question.id))
        if score is not None:
            values[f"mark-{question.id}"] = score.mark
            values[f"rationale-{question.id}"] = score.rationale
            values[f"quote-{question.id}"] = score.quote
    return values


def _reading_context(reading: Reading) -> dict[str, Any]:
    sheet, bid = reading.sheet, reading.bid
    tender, lot = sheet.tender, sheet.lot
    sections = {section.id: section.name for section in tender.sections}
    questions = []
    for question in sheet.questions:
        own = sheet.scores.get((bid.submission_id, question.id))
        questions.append(
            {
                "question": question,
                "section": sections.get(question.section_id, ""),
                "answer": reading.answers.get(question.id),
                "choices": marks.CHOICES[question.kind],
                "own": _score_line(question, own) if own else None,
                "others": [_score_line(question, s) for s in reading.others.get(question.id, ())],
            }
        )
    return {
        "tender": tender,
        "lot": lot,
        "bid": bid,
        "sheet": sheet,
        "questions": questions,
        "locked": sheet.submitted_at is not None,
        "place": sheet.bids.index(bid) + 1,
        "previous": reading.previous,
        "next": reading.next,
        "lot_path": _lot_path(tender.id, lot.id),
        "bid_path": _bid_path(tender.id, lot.id, bid.bid_id),
    }


def _entries(sheet: Sheet, form: Mapping[str, str]) -> dict[UUID, ScoreInput]:
    """What was entered for each question on the form (a question the form left out
    entirely is left as it is)."""
    return {
        question.id: ScoreInput(*(form.get(f"{field}-{question.id}", "") for field in SCORE_FIELDS))
        for question in sheet.questions
        if any(f"{field}-{question.id}" in form for field in SCORE_FIELDS)
    }


def _field_order(sheet: Sheet) -> list[str]:
    return [f"{field}-{question.id}" for question in sheet.questions for field in SCORE_FIELDS]


# Declarations -------------------------------------------------------------------------


def _declarations(form: Mapping[str, str]) -> dict[str, tuple[bool, str]]:
    """Each bidder answered on the form, by organisation id: (conflict, description). A
    bidder left unanswered is left out, for the service to ask about."""
    answered = {
        name.removeprefix("org-"): value
        for name, value in form.items()
        if name.startswith("org-") and value in ("yes", "no")
    }
    return {
        organisation: (value == "yes", form.get(f"description-{organisation}", ""))
        for organisation, value in answered.items()
    }


async def _declaration_context(user: CurrentUser, tender_id: str, lot_id: str) -> dict[str, Any]:
    """Raises as ``panels.bidders`` (before opening, even the bidders' names are sealed)."""
    state = await _lot_state(user, tender_id, lot_id)
    bidders = await panels.bidders(user, state.tender.id, state.lot.id)
    return {
        "state": state,
        "tender": state.tender,
        "lot": state.lot,
        "role": state.role,
        "bidders": bidders,
        "lot_path": _lot_path(state.tender.id, state.lot.id),
    }


def _declaration_order(bidders: Sequence[Bidder]) -> list[str]:
    return [
        f"{field}-{bidder.organisation_id}"
        for bidder in bidders
        for field in ("org", "description")
    ]


class EvaluationPages(Controller):
    path = "/evaluations"
    include_in_schema = False
    guards = [council_users_only]
    dependencies = {"platform": PLATFORM, "user": USER}

    @get("/")
    async def evaluations(
        self, request: Request, user: UserDep, page: FromQuery[int] = 1
    ) -> Template:
        listing = await panels.my_lots(user, page)
        seats = []
        for seat in listing.items:
            state = await _lot_state(user, seat.tender_id, seat.lot_id)
            seats.append(
                {
                    "seat": seat,
                    "next_step": _next_step(state),
                    "href": _lot_path(seat.tender_id, seat.lot_id),
                }
            )
        return render(
            request,
            "evaluation/scoring/evaluations.html",
            {"seats": seats, "listing": listing},
        )

    @get("/{tender_id:str}/lots/{lot_id:str}")
    async def lot(
        self, request: Request, user: UserDep, tender_id: FromPath[str], lot_id: FromPath[str]
    ) -> Template:
        state = await _lot_state(user, tender_id, lot_id)
        rows = _bid_rows(state.tender.id, state.lot.id, state.sheet) if state.sheet else []
        return render(
            request,
            "evaluation/scoring/lot.html",
            {
                "state": state,
                "tender": state.tender,
                "lot": state.lot,
                "role": state.role,
                "rows": rows,
                "lot_path": _lot_path(state.tender.id, state.lot.id),
            },
        )

    # Conflicts of interest -------------------------------------------------------------

    @get("/{tender_id:str}/lots/{lot_id:str}/conflicts")
    async def declaration_form(
        self, request: Request, user: UserDep, tender_id: FromPath[str], lot_id: FromPath[str]
    ) -> Template:
        context = await _declaration_context(user, tender_id, lot_id)
        # What was declared, so that a conflict found later can still be declared.
        values = {}
        for organisation, declared in context["state"].declarations.items():
            values[f"org-{organisation}"] = "yes" if declared.conflict else "no"
            values[f"description-{organisation}"] = declared.description
        return render(request, "evaluation/scoring/conflicts.html", {**context, "values": values})

    @post("/{tender_id:str}/lots/{lot_id:str}/conflicts")
    async def declare(
        self,
        request: Request,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        lot_id: FromPath[str],
    ) -> Response:
        form = await form_data(request)
        declarations = _declarations(form)
        try:
            await panels.declare(platform, user, tender_id, lot_id, declarations)
        except Invalid as error:
            context = await _declaration_context(user, tender_id, lot_id)
            return render_invalid(
                request,
                "evaluation/scoring/conflicts.html",
                error,
                _declaration_order(context["bidders"]),
                form,
                context,
            )
        if any(conflict for conflict, _ in declarations.values()):
            message = (
                "Your declaration is recorded. As you have a conflict of interest, you "
                "cannot take part in this lot: the procurement officer can reassign it"
            )
        else:
            message = "Your declaration is recorded: you have no conflict of interest"
        return see_other(_lot_path(tender_id, lot_id), flash=message)

    # Reading and scoring a bid --------------------------------------------------------

    @get("/{tender_id:str}/lots/{lot_id:str}/bids/{bid_id:str}")
    async def bid(
        self,
        request: Request,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        lot_id: FromPath[str],
        bid_id: FromPath[str],
    ) -> Response:
        try:
            reading = await scores.read_bid(platform, user, tender_id, lot_id, bid_id)
        except NotPermitted as error:
            return _to_declaration(error, tender_id, lot_id)
        return render(
            request,
            "evaluation/scoring/bid.html",
            {**_reading_context(reading), "values": _own_values(reading)},
        )

    @post("/{tender_id:str}/lots/{lot_id:str}/bids/{bid_id:str}")
    async def save(
        self,
        request: Request,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        lot_id: FromPath[str],
        bid_id: FromPath[str],
    ) -> Response:
        form = await form_data(request)
        try:
            sheet = await scores.sheet(user, tender_id, lot_id)
        except NotPermitted as error:
            return _to_declaration(error, tender_id, lot_id)
        try:
            saved = await scores.save(
                platform, user, tender_id, lot_id, bid_id, _entries(sheet, form)
            )
        except Invalid as error:
            # The bid is shown again with the entries kept: that is another read.
            reading = await scores.read_bid(platform, user, tender_id, lot_id, bid_id)
            return render_invalid(
                request,
                "evaluation/scoring/bid.html",
                error,
                _field_order(sheet),
                form,
                _reading_context(reading),
            )
        tender, lot = saved.tender.id, saved.lot.id
        place = [b.bid_id for b in saved.bids].index(UUID(bid_id))
        name = saved.bids[place].name
        if form.get("action") != NEXT:
            return see_other(
                _bid_path(tender, lot, saved.bids[place].bid_id),
                flash=f"Your scores for {name} are saved",
            )
        if place + 1 < len(saved.bids):
            return see_other(
                _bid_path(tender, lot, saved.bids[place + 1].bid_id),
                flash=f"Your scores for {name} are saved",
            )
        return see_other(
            f"{_lot_path(tender, lot)}/submit",
            flash=f"Your scores for {name} are saved. That was the last bid",
        )

    @get("/{tender_id:str}/lots/{lot_id:str}/bids/{bid_id:str}/files/{sha256:str}")
    async def file(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        lot_id: FromPath[str],
        bid_id: FromPath[str],
        sha256: FromPath[str],
    ) -> Stream:
        evidence = await scores.evidence(platform, user, tender_id, lot_id, bid_id, sha256)
        return sealed_file_download(platform.files, evidence)

    # Submitting the lot's scores ------------------------------------------------------

    @get("/{tender_id:str}/lots/{lot_id:str}/submit")
    async def check(
        self, request: Request, user: UserDep, tender_id: FromPath[str], lot_id: FromPath[str]
    ) -> Response:
        try:
            sheet = await scores.sheet(user, tender_id, lot_id)
        except NotPermitted as error:
            return _to_declaration(error, tender_id, lot_id)
        return render(request, "evaluation/scoring/submit.html", _submit_context(sheet))

    @post("/{tender_id:str}/lots/{lot_id:str}/submit")
    async def submit(
        self,
        request: Request,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        lot_id: FromPath[str],
    ) -> Response:
        try:
            sheet = await scores.submit(platform, user, tender_id, lot_id)
        except Invalid as error:
            sheet = await scores.sheet(user, tender_id, lot_id)
            summary = [
                {**link, "text": error.field_errors.get(key, link["text"])}
                for key, link in _missing_links(sheet).items()
            ]
            return render(
                request,
                "evaluation/scoring/submit.html",
                {**_submit_context(sheet), "errors": {"summary": summary, "fields": {}}},
                status_code=400,
            )
        except NotPermitted as error:
            return _to_declaration(error, tender_id, lot_id)
        assert sheet.submitted_at is not None
        return see_other(
            _lot_path(sheet.tender.id, sheet.lot.id),
            flash=f"Your scores for lot {sheet.lot.number} are submitted at "
            f"{london_time(sheet.submitted_at)}. They are locked",
        )


CONTROLLERS: list[type[Controller]] = [EvaluationPages]
