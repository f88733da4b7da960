"""Pages: a provider's bid, from starting it on the tender page to the receipt: choosing
lots, answering each section, evidence files, prices, checking, submitting, withdrawing.

Only the users of the bidding organisation reach a bid; anyone else, the council's people
included, is told it is not found (rules 2 and 4). Every save is a post that may be sent
twice with the effect of once, and a save that meets someone else's keeps both versions
in front of the user (rule 15).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Stream, Template

from app.accounts import CurrentUser
from app.dependencies import PLATFORM, USER, PlatformDep, UserDep
from app.errors import Conflict, DeadlinePassed, Invalid, NotFound
from app.files import DOCUMENT_TYPES, type_message
from app.guards import providers_only
from app.platform import Platform
from app.settings import Settings
from app.uploads import csrf_check, keep_csrf_token_for_templates, read_multipart
from app.web_support import (
    file_download,
    form_data,
    form_errors,
    render,
    render_invalid,
    see_other,
)
from tenders.bid_rules import (
    Answered,
    Problem,
    answer_problem,
    price_advice,
    price_problem,
    prices_page,
    word_count,
)
from tenders.services import bids, submissions
from tenders.services.bids import MAX_FILES_PER_BID, BidView, EditConflict, EditConflictItem
from tenders.services.views import LotView, QuestionView, SectionView
from tenders.vocabulary import Declaration, QuestionKind

COMPLETED = "Completed"
IN_PROGRESS = "In progress"
NOT_STARTED = "Not yet started"
#: Words of an answer shown on the check page before "Change".
PREVIEW_WORDS = 40
#: A section's "Save and add files" buttons send ``action=files:<question id>``.
FILES_ACTION = "files:"


def closed_page(request: Request, error: DeadlinePassed) -> Response:
    """Any change after the deadline (or after cancellation): what happened and when."""
    bid_id = request.path_params.get("bid_id")
    return render(
        request,
        "bids/closed.html",
        {"message": error.message, "bid_path": _base(bid_id) if bid_id else None},
        status_code=error.status_code,
    )


def _base(bid_id: UUID | str) -> str:
    return f"/bids/{bid_id}"


def _evidence_path(bid_id: UUID, lot_id: UUID, question_id: UUID) -> str:
    return f"{_base(bid_id)}/lots/{lot_id}/questions/{question_id}/evidence"


def _with_status(template: Template, status_code: int) -> Template:
    template.status_code = status_code
    return template


# Shaping a bid for its pages ---------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One section of a lot, with the questions of it that apply to the lot."""

    section: SectionView
    questions: tuple[QuestionView, ...]


def _parts(bid: BidView, lot: LotView) -> list[Part]:
    questions = bid.tender.questions_for(lot)
    parts = [
        Part(section, tuple(q for q in questions if q.section_id == section.id))
        for section in bid.tender.sections
    ]
    return [part for part in parts if part.questions]


def _chosen_lot(bid: BidView, lot_id: str) -> LotView:
    lot = next((lot for lot in bid.lots if str(lot.id) == lot_id), None)
    if lot is None:
        raise NotFound()
    return lot


def _part(bid: BidView, lot: LotView, section_id: str) -> Part:
    part = next((p for p in _parts(bid, lot) if str(p.section.id) == section_id), None)
    if part is None:
        raise NotFound()
    return part


def _answered(bid: BidView, lot: LotView, question: QuestionView) -> Answered | None:
    answer = bid.answers.get((lot.id, question.id))
    return Answered(answer.text, answer.declaration) if answer else None


def _section_status(bid: BidView, lot: LotView, part: Part) -> str:
    answers = [_answered(bid, lot, q) for q in part.questions]
    if not any(a and (a.text or a.declaration) for a in answers):
        return NOT_STARTED
    if all(answer_problem(q, a) is None for q, a in zip(part.questions, answers, strict=True)):
        return COMPLETED
    return IN_PROGRESS


def _prices_status(bid: BidView, lot: LotView) -> str:
    prices = [bid.prices.get(item.id) for item in lot.price_items]
    if not any(p and p.unit_price_pence is not None for p in prices):
        return NOT_STARTED
    if all(
        price_problem(item, p.unit_price_pence if p else None) is None
        for item, p in zip(lot.price_items, prices, strict=True)
    ):
        return COMPLETED
    return IN_PROGRESS


def _pages(bid: BidView) -> list[str]:
    """The bid's pages in the order "Save and continue" walks them, relative to the bid."""
    pages: list[str] = []
    for lot in bid.lots:
        pages += [f"lots/{lot.id}/sections/{part.section.id}" for part in _parts(bid, lot)]
        if lot.price_items:
            pages.append(prices_page(lot))
    return pages


def _next_page(bid: BidView, page: str) -> str:
    pages = _pages(bid)
    following = pages[pages.index(page) + 1] if page in pages[:-1] else "check"
    return f"{_base(bid.id)}/{following}"


def _overrun(question: QuestionView, text: str) -> str | None:
    """Why a saved answer is too long, if it is: it is kept, and the page says so."""
    if question.word_limit is None or word_count(text) <= question.word_limit:
        return None
    # Only the length is in question here, so a declaration is taken as given.
    return answer_problem(question, Answered(text, Declaration.YES))


def _pounds_and_pence(pence: int | None) -> str:
    """A price as the form shows it, beside its £ prefix."""
    return "" if pence is None else f"{pence // 100:,}.{pence % 100:02d}"


def _truncated(text: str, words: int = PREVIEW_WORDS) -> str:
    parts = text.split()
    return text if len(parts) <= words else " ".join(parts[:words]) + " …"


# Contexts ----------------------------------------------------------------------------


def _overview_context(bid: BidView, now: datetime) -> dict[str, Any]:
    lots = []
    for lot in bid.lots:
        tasks = [
            {
                "title": {"text": part.section.name},
                "href": f"{_base(bid.id)}/lots/{lot.id}/sections/{part.section.id}",
                "status": _status(_section_status(bid, lot, part)),
            }
            for part in _parts(bid, lot)
        ]
        if lot.price_items:
            tasks.append(
                {
                    "title": {"text": "Prices"},
                    "href": f"{_base(bid.id)}/{prices_page(lot)}",
                    "status": _status(_prices_status(bid, lot)),
                }
            )
        lots.append({"lot": lot, "tasks": tasks})
    return {
        "bid": bid,
        "now": now,
        "editable": bid.open(now),
        "lots_status": _status(COMPLETED if bid.lot_ids else NOT_STARTED),
        "lots": lots,
        "problems": bid.problems(),
    }


def _status(text: str) -> dict[str, Any]:
    if text == COMPLETED:
        return {"text": text}
    colour = "govuk-tag--blue" if text == NOT_STARTED else "govuk-tag--light-blue"
    return {"tag": {"text": text, "classes": colour}}


def _section_values(bid: BidView, lot: LotView, part: Part) -> dict[str, str]:
    values: dict[str, str] = {}
    for question in part.questions:
        answer = bid.answers.get((lot.id, question.id))
        values[f"answer-{question.id}"] = answer.text if answer else ""
        values[f"declaration-{question.id}"] = (
            str(answer.declaration) if answer and answer.declaration else ""
        )
        values[f"version-{question.id}"] = str(answer.version if answer else 0)
    return values


def _conflict_errors(
    items: Sequence[EditConflictItem], fields: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    messages = {
        item.field: f"{item.by or 'Someone else'} saved {item.label} while you were editing. "
        "Check both versions: save again to keep yours"
        for item in items
    }
    return {
        "summary": [{"text": text, "href": f"#{name}"} for name, text in messages.items()],
        "fields": {**(fields or {}), **{name: {"text": text} for name, text in messages.items()}},
    }


def _section_context(
    bid: BidView,
    lot: LotView,
    part: Part,
    now: datetime,
    values: Mapping[str, str],
    errors: dict[str, Any] | None = None,
    conflicts: Sequence[EditConflictItem] = (),
) -> dict[str, Any]:
    """The section's page; the length of each saved answer checked, so that an answer over
    its word limit (saved all the same) says so beside it."""
    summary = list(errors["summary"]) if errors else []
    fields = dict(errors["fields"]) if errors else {}
    for question in part.questions:
        answer = bid.answers.get((lot.id, question.id))
        name = f"answer-{question.id}"
        if answer and name not in fields and (message := _overrun(question, answer.text)):
            summary.append({"text": message, "href": f"#{name}"})
            fields[name] = {"text": message}
    questions = [
        {
            "question": question,
            "files": len(bid.evidence_for(lot.id, question.id)),
            "evidence_path": _evidence_path(bid.id, lot.id, question.id),
            "saved": bid.answers.get((lot.id, question.id)),
        }
        for question in part.questions
    ]
    return {
        "bid": bid,
        "lot": lot,
        "part": part,
        "questions": questions,
        "now": now,
        "editable": bid.open(now),
        "values": values,
        "errors": {"summary": summary, "fields": fields} if summary else None,
        "conflicts": {item.field: item for item in conflicts},
    }


def _price_values(bid: BidView, lot: LotView) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in lot.price_items:
        price = bid.prices.get(item.id)
        values[f"price-{item.id}"] = _pounds_and_pence(price.unit_price_pence if price else None)
        values[f"version-{item.id}"] = str(price.version if price else 0)
    return values


def _prices_context(
    bid: BidView,
    lot: LotView,
    now: datetime,
    values: Mapping[str, str],
    errors: dict[str, Any] | None = None,
    conflicts: Sequence[EditConflictItem] = (),
) -> dict[str, Any]:
    items = []
    for item in lot.price_items:
        price = bid.prices.get(item.id)
        saved = price.unit_price_pence if price else None
        items.append(
            {
                "item": item,
                "saved": saved,
                "advice": price_advice(
                    saved, item.reference_price_pence, bid.tender.abnormally_low_percent
                ),
            }
        )
    return {
        "bid": bid,
        "lot": lot,
        "items": items,
        "now": now,
        "editable": bid.open(now),
        "values": values,
        "errors": errors,
        "conflicts": {item.field: item for item in conflicts},
    }


def _evidence_context(
    settings: Settings, bid: BidView, lot: LotView, question: QuestionView, now: datetime
) -> dict[str, Any]:
    limit_mb = settings.evidence_max_bytes // (1024 * 1024)
    return {
        "bid": bid,
        "lot": lot,
        "question": question,
        "files": bid.evidence_for(lot.id, question.id),
        "section_path": f"{_base(bid.id)}/lots/{lot.id}/sections/{question.section_id}",
        "section_name": next(s.name for s in bid.tender.sections if s.id == question.section_id),
        "editable": bid.open(now),
        "room": len(bid.evidence) < MAX_FILES_PER_BID,
        "max_files": MAX_FILES_PER_BID,
        "file_hint": f"{type_message(DOCUMENT_TYPES).replace('The selected file', 'It')}. "
        f"It must be {limit_mb:,} MB or smaller.",
        "now": now,
        "values": {},
    }


def _check_context(bid: BidView, now: datetime) -> dict[str, Any]:
    lots = []
    for lot in bid.lots:
        parts = []
        for part in _parts(bid, lot):
            rows = []
            for question in part.questions:
                answer = bid.answers.get((lot.id, question.id))
                rows.append(
                    {
                        "question": question,
                        "declaration": answer.declaration if answer else None,
                        "text": _truncated(answer.text) if answer else "",
                        "files": bid.evidence_for(lot.id, question.id),
                        "href": f"{_base(bid.id)}/lots/{lot.id}/sections/{part.section.id}"
                        f"#{_field(question)}",
                    }
                )
            parts.append({"section": part.section, "rows": rows})
        prices = [
            {
                "item": item,
                "pence": bid.prices[item.id].unit_price_pence if item.id in bid.prices else None,
                "href": f"{_base(bid.id)}/{prices_page(lot)}#price-{item.id}",
            }
            for item in lot.price_items
        ]
        lots.append({"lot": lot, "parts": parts, "prices": prices})
    problems = bid.problems()
    return {
        "bid": bid,
        "now": now,
        "editable": bid.open(now),
        "lots": lots,
        "problems": _problem_links(bid.id, problems),
        "request_key": submissions.new_request_key(),
    }


def _problem_links(bid_id: UUID, problems: Sequence[Problem]) -> list[dict[str, str]]:
    """Each problem, linking to its field on its page, as an error summary lists them."""
    return [{"text": p.message, "href": f"{_base(bid_id)}/{p.href}"} for p in problems]


def _field(question: QuestionView) -> str:
    """The field a problem with this question's answer is shown on."""
    kind = "declaration" if question.kind is QuestionKind.PASS_FAIL else "answer"
    return f"{kind}-{question.id}"


# Controllers --------------------------------------------------------------------------


class BidStart(Controller):
    """The tender page's "Start a bid": one bid per organisation and tender."""

    include_in_schema = False
    dependencies = {"platform": PLATFORM, "user": USER}
    exception_handlers = {DeadlinePassed: closed_page}

    @post("/opportunities/{tender_id:str}/bid")
    async def start(
        self, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Response:
        bid_id = await bids.start_bid(platform, user, tender_id)
        return see_other(_base(bid_id))


class BidPages(Controller):
    path = "/bids"
    include_in_schema = False
    guards = [providers_only]
    dependencies = {"platform": PLATFORM, "user": USER}
    exception_handlers = {DeadlinePassed: closed_page}

    @get("/")
    async def my_bids(
        self, request: Request, platform: PlatformDep, user: UserDep, page: FromQuery[int] = 1
    ) -> Template:
        return render(
            request,
            "bids/list.html",
            {"listing": await bids.my_bids(user, page), "now": platform.clock.now()},
        )

    @get("/{bid_id:str}")
    async def overview(
        self, request: Request, platform: PlatformDep, user: UserDep, bid_id: FromPath[str]
    ) -> Template:
        bid = await bids.own_bid(user, bid_id)
        return render(request, "bids/overview.html", _overview_context(bid, platform.clock.now()))

    # Lots ---------------------------------------------------------------------------

    @get("/{bid_id:str}/lots")
    async def lots_form(
        self, request: Request, platform: PlatformDep, user: UserDep, bid_id: FromPath[str]
    ) -> Template:
        bid = await bids.own_bid(user, bid_id)
        return render(request, "bids/lots.html", _lots_context(bid, platform.clock.now()))

    @post("/{bid_id:str}/lots")
    async def choose_lots(
        self, request: Request, platform: PlatformDep, user: UserDep, bid_id: FromPath[str]
    ) -> Response:
        form = await request.form()
        chosen = [value for value in form.getall("lots", []) if isinstance(value, str)]
        version = form.get("version")
        try:
            await bids.choose_lots(
                platform, user, bid_id, chosen, int(version) if str(version).isdigit() else 0
            )
        except Invalid as error:
            bid = await bids.own_bid(user, bid_id)
            return render_invalid(
                request,
                "bids/lots.html",
                error,
                ["lots"],
                {"lots": chosen, "version": str(version)},
                _lots_context(bid, platform.clock.now()),
            )
        except Conflict as error:
            # Show the lots chosen now, with the newer version, and say why nothing changed.
            bid = await bids.own_bid(user, bid_id)
            context = _lots_context(bid, platform.clock.now())
            context["errors"] = {
                "summary": [{"text": error.message, "href": "#lots"}],
                "fields": {"lots": {"text": error.message}},
            }
            return render(request, "bids/lots.html", context, status_code=409)
        return see_other(_base(bid_id), flash="The lots you are bidding for have been saved")

    # Answers ------------------------------------------------------------------------

    @get("/{bid_id:str}/lots/{lot_id:str}/sections/{section_id:str}")
    async def section_form(
        self,
        request: Request,
        platform: PlatformDep,
        user: UserDep,
        bid_id: FromPath[str],
        lot_id: FromPath[str],
        section_id: FromPath[str],
    ) -> Template:
        bid = await bids.own_bid(user, bid_id)
        lot = _chosen_lot(bid, lot_id)
        part = _part(bid, lot, section_id)
        values = _section_values(bid, lot, part)
        context = _section_context(bid, lot, part, platform.clock.now(), values)
        return render(request, "bids/section.html", context)

    @post("/{bid_id:str}/lots/{lot_id:str}/sections/{section_id:str}")
    async def save_section(
        self,
        request: Request,
        platform: PlatformDep,
        user: UserDep,
        bid_id: FromPath[str],
        lot_id: FromPath[str],
        section_id: FromPath[str],
    ) -> Response:
        values = await form_data(request)
        bid = await bids.own_bid(user, bid_id)
        lot = _chosen_lot(bid, lot_id)
        part = _part(bid, lot, section_id)
        action = values.get("action", "")
        files_for: QuestionView | None = None
        if action.startswith(FILES_ACTION):
            wanted = action.removeprefix(FILES_ACTION)
            files_for = next((q for q in part.questions if str(q.id) == wanted), None)
            if files_for is None:
                # Only an old or altered form names another page's question: nothing is
                # saved, and what was typed is shown again to be sent from this page.
                message = "Choose a question in this section to add files to"
                errors = {"summary": [{"text": message}], "fields": {}}
                context = _section_context(bid, lot, part, platform.clock.now(), values, errors)
                return render(request, "bids/section.html", context, status_code=400)
        try:
            entries = bids.answer_entries(bid, lot.id, part.section.id, values)
            changed = await bids.save_answers(platform, user, bid.id, lot.id, entries)
        except EditConflict as error:
            return await _section_conflict(
                request, platform, user, bid_id, lot, part, values, error
            )
        except Invalid as error:
            errors = form_errors(error, [_field(q) for q in part.questions])
            context = _section_context(bid, lot, part, platform.clock.now(), values, errors)
            return render(request, "bids/section.html", context, status_code=400)
        if files_for is not None:
            # Saved, so on to the files even past a word limit: this page flags it on return.
            return see_other(
                _evidence_path(bid.id, lot.id, files_for.id),
                flash="Your answers have been saved" if changed else None,
            )
        page = f"lots/{lot.id}/sections/{part.section.id}"
        if action == "later":
            return see_other(_base(bid.id), flash="Your answers have been saved")
        saved = await bids.own_bid(user, bid.id)
        too_long = any(
            _overrun(q, a.text)
            for q in part.questions
            if (a := saved.answers.get((lot.id, q.id))) is not None
        )
        if changed and too_long:
            # Saved, and nothing lost: but the writer sees the word limits before going on.
            return see_other(f"{_base(bid.id)}/{page}", flash="Your answers have been saved")
        return see_other(_next_page(saved, page))

    # Prices -------------------------------------------------------------------------

    @get("/{bid_id:str}/lots/{lot_id:str}/prices")
    async def prices_form(
        self,
        request: Request,
        platform: PlatformDep,
        user: UserDep,
        bid_id: FromPath[str],
        lot_id: FromPath[str],
    ) -> Template:
        bid = await bids.own_bid(user, bid_id)
        lot = _chosen_lot(bid, lot_id)
        context = _prices_context(bid, lot, platform.clock.now(), _price_values(bid, lot))
        return render(request, "bids/prices.html", context)

    @post("/{bid_id:str}/lots/{lot_id:str}/prices")
    async def save_prices(
        self,
        request: Request,
        platform: PlatformDep,
        user: UserDep,
        bid_id: FromPath[str],
        lot_id: FromPath[str],
    ) -> Response:
        values = await form_data(request)
        bid = await bids.own_bid(user, bid_id)
        lot = _chosen_lot(bid, lot_id)
        order = [f"price-{item.id}" for item in lot.price_items]
        try:
            entries = bids.price_entries(bid, lot.id, values)
            changed = await bids.save_prices(platform, user, bid.id, lot.id, entries)
        except EditConflict as error:
            fresh = await bids.own_bid(user, bid_id)
            kept = {
                **values,
                **{
                    f"version-{item.id}": str(fresh.prices[item.id].version)
                    for item in lot.price_items
                    if item.id in fresh.prices
                },
                **{
                    f"version-{c.field.removeprefix('price-')}": str(c.version) for c in error.items
                },
            }
            context = _prices_context(
                fresh, lot, platform.clock.now(), kept, _conflict_errors(error.items), error.items
            )
            return render(request, "bids/prices.html", context, status_code=409)
        except Invalid as error:
            context = _prices_context(
                bid, lot, platform.clock.now(), values, form_errors(error, order)
            )
            return render(request, "bids/prices.html", context, status_code=400)
        if values.get("action") == "later":
            return see_other(_base(bid.id), flash="Your prices have been saved")
        saved = await bids.own_bid(user, bid.id)
        advised = any(
            price_advice(
                saved.prices[item.id].unit_price_pence,
                item.reference_price_pence,
                saved.tender.abnormally_low_percent,
            )
            for item in lot.price_items
            if item.id in saved.prices
        )
        if changed and advised:
            # Advice, not an error: shown once beside the prices just saved.
            return see_other(
                f"{_base(bid.id)}/{prices_page(lot)}",
                flash="Your prices have been saved. Check the advice beside them",
            )
        return see_other(_next_page(saved, prices_page(lot)))

    # Evidence -----------------------------------------------------------------------

    @get("/{bid_id:str}/lots/{lot_id:str}/questions/{question_id:str}/evidence")
    async def evidence(
        self,
        request: Request,
        platform: PlatformDep,
        user: UserDep,
        bid_id: FromPath[str],
        lot_id: FromPath[str],
        question_id: FromPath[str],
    ) -> Template:
        bid = await bids.own_bid(user, bid_id)
        lot, question = _question(bid, lot_id, question_id)
        context = _evidence_context(platform.settings, bid, lot, question, platform.clock.now())
        return render(request, "bids/evidence.html", context)

    @post(
        "/{bid_id:str}/lots/{lot_id:str}/questions/{question_id:str}/evidence",
        # The upload streams into the store; the reader checks the CSRF token itself.
        opt={"exclude_from_csrf": True},
        # read_multipart enforces the configured evidence limit as the body streams in.
        request_max_body_size=None,
    )
    async def upload(
        self,
        request: Request,
        platform: PlatformDep,
        user: UserDep,
        bid_id: FromPath[str],
        lot_id: FromPath[str],
        question_id: FromPath[str],
    ) -> Response:
        try:
            # Before a byte is stored: the bid is this organisation's, open, with room.
            room = await bids.check_evidence_target(
                platform,
                user,
                bid_id,
                lot_id,
                question_id,
                max_file_bytes=platform.settings.evidence_max_bytes,
                max_bid_bytes=platform.settings.bid_max_bytes,
            )
            upload = await read_multipart(
                request,
                file_field="file",
                store=platform.files,
                max_bytes=room.max_bytes,
                allowed=DOCUMENT_TYPES,
                csrf_secret_check=csrf_check(request),
                too_large=room.too_large,
            )
            if upload.file is None:
                raise Invalid({"file": "Select a file"})
            await bids.add_evidence(
                platform,
                user,
                bid_id,
                lot_id,
                question_id,
                upload.file,
                max_bid_bytes=platform.settings.bid_max_bytes,
            )
        except Invalid as error:
            # The page is shown again on this route, which the CSRF middleware skips.
            keep_csrf_token_for_templates(request)
            bid = await bids.own_bid(user, bid_id)
            lot, question = _question(bid, lot_id, question_id)
            context = _evidence_context(platform.settings, bid, lot, question, platform.clock.now())
            return _with_status(
                render_invalid(request, "bids/evidence.html", error, ["file"], {}, context),
                error.status_code,
            )
        return see_other(
            request.url.path, flash=f"{upload.file.original_name} has been added to your answer"
        )

    @post("/{bid_id:str}/evidence/{evidence_id:str}/remove")
    async def remove_evidence(
        self,
        platform: PlatformDep,
        user: UserDep,
        bid_id: FromPath[str],
        evidence_id: FromPath[str],
    ) -> Response:
        bid = await bids.own_bid(user, bid_id)
        found = next((e for e in bid.evidence if str(e.id) == evidence_id), None)
        if found is None:
            # Removed already (a repeated post): nothing more to do.
            return see_other(_base(bid.id))
        await bids.remove_evidence(platform, user, bid.id, found.id)
        return see_other(
            _evidence_path(bid.id, found.lot_id, found.question_id),
            flash=f"{found.original_name} has been removed",
        )

    @get("/{bid_id:str}/evidence/{evidence_id:str}")
    async def download(
        self,
        platform: PlatformDep,
        user: UserDep,
        bid_id: FromPath[str],
        evidence_id: FromPath[str],
    ) -> Stream:
        evidence = await bids.own_evidence(user, bid_id, evidence_id)
        return file_download(
            platform.files,
            evidence.sha256,
            original_name=evidence.original_name,
            content_type=evidence.content_type,
            size=evidence.size,
        )

    # Checking and submitting --------------------------------------------------------

    @get("/{bid_id:str}/check")
    async def check(
        self, request: Request, platform: PlatformDep, user: UserDep, bid_id: FromPath[str]
    ) -> Template:
        bid = await bids.own_bid(user, bid_id)
        return render(request, "bids/check.html", _check_context(bid, platform.clock.now()))

    @post("/{bid_id:str}/submit")
    async def submit(
        self, request: Request, platform: PlatformDep, user: UserDep, bid_id: FromPath[str]
    ) -> Response:
        values = await form_data(request)
        try:
            submission = await submissions.submit(
                platform, user, bid_id, values.get("request_key", "")
            )
        except submissions.NotReady as error:
            bid = await bids.own_bid(user, bid_id)
            context = _check_context(bid, platform.clock.now())
            context["errors"] = {"summary": _problem_links(bid.id, error.problems), "fields": {}}
            return render(request, "bids/check.html", context, status_code=400)
        return see_other(f"{_base(submission.bid_id)}/submissions/{submission.id}")

    @get("/{bid_id:str}/submissions/{submission_id:str}")
    async def receipt(
        self, request: Request, user: UserDep, bid_id: FromPath[str], submission_id: FromPath[str]
    ) -> Template:
        receipt = await submissions.receipt(user, bid_id, submission_id)
        return render(
            request,
            "bids/receipt.html",
            {
                "receipt": receipt,
                "submission": receipt.submission,
                "bid_path": _base(receipt.submission.bid_id),
            },
        )

    # Withdrawing --------------------------------------------------------------------

    @get("/{bid_id:str}/withdraw")
    async def withdraw_form(
        self, request: Request, platform: PlatformDep, user: UserDep, bid_id: FromPath[str]
    ) -> Template:
        bid = await bids.own_bid(user, bid_id)
        return render(
            request,
            "bids/withdraw.html",
            {"bid": bid, "now": platform.clock.now(), "values": {}},
        )

    @post("/{bid_id:str}/withdraw")
    async def withdraw(
        self, request: Request, platform: PlatformDep, user: UserDep, bid_id: FromPath[str]
    ) -> Response:
        values = await form_data(request)
        try:
            await submissions.withdraw(platform, user, bid_id, values.get("reason", ""))
        except Invalid as error:
            bid = await bids.own_bid(user, bid_id)
            return render_invalid(
                request,
                "bids/withdraw.html",
                error,
                ["reason"],
                values,
                {"bid": bid, "now": platform.clock.now()},
            )
        return see_other(
            _base(bid_id),
            flash="Your bid has been withdrawn. The council will not evaluate it unless you "
            "submit it again before the deadline",
        )


def _lots_context(bid: BidView, now: datetime) -> dict[str, Any]:
    return {
        "bid": bid,
        "now": now,
        "editable": bid.open(now),
        "values": {"lots": [str(lot_id) for lot_id in bid.lot_ids], "version": str(bid.version)},
    }


def _question(bid: BidView, lot_id: str, question_id: str) -> tuple[LotView, QuestionView]:
    lot = _chosen_lot(bid, lot_id)
    question = next((q for q in bid.tender.questions_for(lot) if str(q.id) == question_id), None)
    if question is None:
        raise NotFound()
    return lot, question


async def _section_conflict(
    request: Request,
    platform: Platform,
    user: CurrentUser,
    bid_id: str,
    lot: LotView,
    part: Part,
    values: Mapping[str, str],
    error: EditConflict,
) -> Template:
    """Someone else saved some of these answers meanwhile; the rest are saved. Both
    versions side by side, what this person typed kept in the form, and the newer version
    in the hidden field, so that saving again keeps this person's version on purpose."""
    fresh = await bids.own_bid(user, bid_id)
    versions = {
        f"version-{question.id}": str(answer.version)
        for question in part.questions
        if (answer := fresh.answers.get((lot.id, question.id))) is not None
    }
    for item in error.items:
        versions[f"version-{item.field.removeprefix('answer-')}"] = str(item.version)
    context = _section_context(
        fresh,
        lot,
        part,
        platform.clock.now(),
        {**values, **versions},
        _conflict_errors(error.items),
        error.items,
    )
    return render(request, "bids/section.html", context, status_code=409)


CONTROLLERS: list[type[Controller]] = [BidStart, BidPages]
