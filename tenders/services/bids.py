"""Providers' bids: the working copy a provider organisation drafts (lots, answers,
declarations, prices, evidence), checked, then sealed by submission.

Only users of the bidding organisation reach a bid here; anyone else is told it is not
found. A bid changes only while its tender is open (published, before the deadline).
Every save names the version it was made from: a save from an older version than the one
stored is a conflict unless it says the same (a repeated post), never an overwrite.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import nh3

from app import audit, database
from app.accounts import CurrentUser
from app.errors import Conflict, DeadlinePassed, Invalid, NotFound, NotPermitted
from app.files import StoredFile, size_text
from app.paging import Page, page_number
from app.platform import Platform
from app.templating import london_time
from app.validation import clean, pence
from app.vocabulary import AuditAction
from tenders.bid_rules import Answered, Problem, bid_problems, lots_problem
from tenders.lifecycle import effective_status
from tenders.services.views import LotView, TenderView, as_uuid, load_tender
from tenders.tables import Answer, Bid, BidPrice, Evidence, Submission
from tenders.vocabulary import BidStatus, Declaration, QuestionKind, TenderStatus

#: Longer than any word limit a council sets; a limit on what one field may hold.
MAX_ANSWER = 100_000
#: Evidence files one bid may hold.
MAX_FILES_PER_BID = 100
#: £1,000,000: no unit of care costs more; a bigger figure is a typing slip.
MAX_UNIT_PRICE_PENCE = 100_000_000


def parse_id(value: str | UUID) -> UUID:
    try:
        return as_uuid(value)
    except ValueError:
        raise NotFound() from None


def plain_text(value: object) -> str:
    """An answer as plain text with its paragraphs: line ends made one kind, markup pasted
    from a word processor or sent by an integration removed (nh3), control characters
    dropped. Stored as text; every page and PDF escapes it when it shows it."""
    text = str(value or "").replace("\r\n", "\n").replace("\r", "\n")
    if "<" in text:
        # nh3 returns HTML: with no tags allowed, markup goes and "<", "&" come back escaped.
        text = html.unescape(nh3.clean(text, tags=set(), strip_comments=True))
    text = "".join(ch for ch in text if ch in "\n\t" or ch.isprintable())
    return text.strip()[:MAX_ANSWER]


# Views --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerView:
    lot_id: UUID
    question_id: UUID
    text: str
    declaration: Declaration | None
    version: int
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class PriceView:
    item_id: UUID
    unit_price_pence: int | None
    version: int
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class EvidenceView:
    id: UUID
    lot_id: UUID
    question_id: UUID
    sha256: str
    original_name: str
    content_type: str
    size: int
    uploaded_at: datetime


@dataclass(frozen=True)
class SubmissionView:
    id: UUID
    bid_id: UUID
    number: int
    received_at: datetime
    digest: str
    lot_ids: tuple[UUID, ...]
    superseded_at: datetime | None
    withdrawn_at: datetime | None

    @property
    def current(self) -> bool:
        return self.superseded_at is None and self.withdrawn_at is None


@dataclass(frozen=True)
class BidView:
    id: UUID
    tender: TenderView
    organisation_id: UUID
    organisation_name: str
    status: BidStatus
    lot_ids: tuple[UUID, ...]
    version: int
    #: Raised by every change to the content.
    revision: int
    changed_at: datetime
    withdrawn_at: datetime | None
    withdraw_reason: str | None
    answers: Mapping[tuple[UUID, UUID], AnswerView]
    prices: Mapping[UUID, PriceView]
    evidence: tuple[EvidenceView, ...]
    #: Newest first.
    submissions: tuple[SubmissionView, ...] = field(default_factory=tuple)

    @property
    def lots(self) -> list[LotView]:
        return [lot for lot in self.tender.lots if lot.id in self.lot_ids]

    @property
    def current_submission(self) -> SubmissionView | None:
        return next((s for s in self.submissions if s.current), None)

    @property
    def changed_since_submission(self) -> bool:
        current = self.current_submission
        return current is not None and self.changed_at > current.received_at

    def evidence_for(self, lot_id: UUID, question_id: UUID) -> list[EvidenceView]:
        return [e for e in self.evidence if e.lot_id == lot_id and e.question_id == question_id]

    def problems(self) -> list[Problem]:
        return bid_problems(
            self.tender,
            self.lot_ids,
            {key: Answered(a.text, a.declaration) for key, a in self.answers.items()},
            {item: p.unit_price_pence for item, p in self.prices.items()},
        )

    def open(self, now: datetime) -> bool:
        return self.tender.status(now) is TenderStatus.PUBLISHED


def bid_key(tender_id: UUID, organisation_id: UUID) -> str:
    return f"{tender_id}:{organisation_id}"


def parse_lot_ids(value: str) -> tuple[UUID, ...]:
    """Lot ids as a bid or a submission stores them, joined by a bar."""
    return tuple(UUID(part) for part in value.split("|") if part)


_SUBMISSION_COLUMNS = (
    Submission.id,
    Submission.bid,
    Submission.number,
    Submission.received_at,
    Submission.digest,
    Submission.lots,
    Submission.superseded_at,
    Submission.withdrawn_at,
)

# Raw queries: a bid is loaded for every bid page and every submission, and building
# these with Piccolo costs more than running them.
_BID_SQL = (
    "SELECT bid.*, organisation.name AS organisation_name FROM bid"
    " JOIN organisation ON organisation.id = bid.organisation WHERE bid.id = {}"
)
_ANSWERS_SQL = (
    "SELECT answer.*, app_user.name AS updated_by_name FROM answer"
    " LEFT JOIN app_user ON app_user.id = answer.updated_by WHERE answer.bid = {}"
)
_PRICES_SQL = (
    "SELECT bid_price.*, app_user.name AS updated_by_name FROM bid_price"
    " LEFT JOIN app_user ON app_user.id = bid_price.updated_by WHERE bid_price.bid = {}"
)
_EVIDENCE_SQL = "SELECT * FROM evidence WHERE bid = {} ORDER BY uploaded_at"
#: The columns ``submission_view`` reads, as raw SQL.
SELECT_SUBMISSIONS = "SELECT " + ", ".join(
    column._meta.db_column_name for column in _SUBMISSION_COLUMNS
)
_SUBMISSIONS_SQL = SELECT_SUBMISSIONS + " FROM submission WHERE bid = {} ORDER BY number DESC"


async def load_bid(bid_id: UUID, tender: TenderView | None = None) -> BidView | None:
    """A bid with everything in it, read in one transaction by the caller or by itself."""
    rows = await database.fetch(_BID_SQL, bid_id)
    if not rows:
        return None
    row = rows[0]
    tender = tender or await load_tender(as_uuid(row["tender"]))
    assert tender is not None
    answers = await database.fetch(_ANSWERS_SQL, bid_id)
    prices = await database.fetch(_PRICES_SQL, bid_id)
    evidence = await database.fetch(_EVIDENCE_SQL, bid_id)
    submissions = await database.fetch(_SUBMISSIONS_SQL, bid_id)
    return BidView(
        id=as_uuid(row["id"]),
        tender=tender,
        organisation_id=as_uuid(row["organisation"]),
        organisation_name=row["organisation_name"],
        status=BidStatus(row["status"]),
        lot_ids=parse_lot_ids(row["lots"]),
        version=row["version"],
        revision=row["revision"],
        changed_at=row["changed_at"],
        withdrawn_at=row["withdrawn_at"],
        withdraw_reason=row["withdraw_reason"],
        answers={
            (as_uuid(a["lot"]), as_uuid(a["question"])): AnswerView(
                as_uuid(a["lot"]),
                as_uuid(a["question"]),
                a["text"],
                Declaration(a["declaration"]) if a["declaration"] else None,
                a["version"],
                a["updated_at"],
                a["updated_by_name"] or "",
            )
            for a in answers
        },
        prices={
            as_uuid(p["price_item"]): PriceView(
                as_uuid(p["price_item"]),
                p["unit_price_pence"],
                p["version"],
                p["updated_at"],
                p["updated_by_name"] or "",
            )
            for p in prices
        },
        evidence=tuple(
            EvidenceView(
                as_uuid(e["id"]),
                as_uuid(e["lot"]),
                as_uuid(e["question"]),
                e["sha256"],
                e["original_name"],
                e["content_type"],
                e["size"],
                e["uploaded_at"],
            )
            for e in evidence
        ),
        submissions=tuple(submission_view(s) for s in submissions),
    )


def submission_view(row: Mapping[str, Any]) -> SubmissionView:
    return SubmissionView(
        id=as_uuid(row["id"]),
        bid_id=as_uuid(row["bid"]),
        number=row["number"],
        received_at=row["received_at"],
        digest=row["digest"],
        lot_ids=parse_lot_ids(row["lots"]),
        superseded_at=row["superseded_at"],
        withdrawn_at=row["withdrawn_at"],
    )


def _require_provider(actor: CurrentUser) -> None:
    if actor.is_buyer:
        raise NotPermitted("Only providers can bid")


async def own_bid(actor: CurrentUser, bid_id: str | UUID) -> BidView:
    """The bid, if the actor's organisation made it; otherwise, for anyone else (the
    council's people included: rule 2), not found (rule 4)."""
    if actor.is_buyer:
        raise NotFound()
    async with database.engine().transaction():
        bid = await load_bid(parse_id(bid_id))
    if bid is None or bid.organisation_id != actor.organisation_id:
        raise NotFound()
    return bid


def _closed_message(tender: TenderView, now: datetime) -> str:
    status = tender.status(now)
    if status is TenderStatus.CANCELLED:
        return "This tender has been cancelled, so bids can no longer change"
    assert tender.submission_deadline is not None
    return (
        f"The deadline for this tender was {london_time(tender.submission_deadline)}. "
        "Bids can no longer be changed, submitted or withdrawn"
    )


def require_open(tender: TenderView, now: datetime) -> None:
    if tender.status(now) is not TenderStatus.PUBLISHED:
        raise DeadlinePassed(_closed_message(tender, now))


async def _changed(bid_id: UUID, now: datetime) -> None:
    await Bid.update(
        {Bid.changed_at: now, Bid.updated_at: now, Bid.revision: Bid.revision + 1}
    ).where(Bid.id == bid_id)


async def record(
    platform: Platform,
    actor: CurrentUser,
    action: AuditAction,
    bid: BidView | UUID,
    details: Mapping[str, Any] | None = None,
) -> None:
    await audit.record(
        platform,
        action,
        actor_id=actor.id,
        organisation_id=actor.organisation_id,
        object_type="bid",
        object_id=bid.id if isinstance(bid, BidView) else bid,
        details=details,
    )


async def editable(actor: CurrentUser, bid_id: str | UUID, now: datetime) -> BidView:
    """Inside a write transaction: the actor's bid, re-read, while its tender is open at
    ``now``, read from the clock once the transaction holds the write lock."""
    wanted = parse_id(bid_id)
    await lock_bid(wanted)
    bid = await load_bid(wanted)
    if bid is None or actor.is_buyer or bid.organisation_id != actor.organisation_id:
        raise NotFound()
    require_open(bid.tender, now)
    return bid


async def lock_bid(bid_id: UUID) -> None:
    """Inside a write transaction: one writer per bid at a time, so that a version read
    is still the version when the write lands. SQLite's write lock already does this."""
    if not database.is_sqlite():
        await Bid.raw("SELECT id FROM bid WHERE id = {} FOR UPDATE", bid_id)


# Starting and choosing lots -----------------------------------------------------------


async def start_bid(platform: Platform, actor: CurrentUser, tender_id: str | UUID) -> UUID:
    """The organisation's bid for an open tender, made now if it has none. Starting twice
    finds the same bid."""
    _require_provider(actor)
    wanted = parse_id(tender_id)
    async with database.write_transaction():
        now = platform.clock.now()
        tender = await load_tender(wanted)
        if tender is None or tender.stored_status is TenderStatus.DRAFT:
            raise NotFound()
        require_open(tender, now)
        key = bid_key(tender.id, actor.organisation_id)
        inserted = (
            await Bid.insert(
                Bid(
                    id=uuid4(),
                    tender=tender.id,
                    organisation=actor.organisation_id,
                    # A tender of one lot needs no choice.
                    lots=str(tender.lots[0].id) if len(tender.lots) == 1 else "",
                    created_at=now,
                    created_by=actor.id,
                    updated_at=now,
                    changed_at=now,
                    key=key,
                )
            )
            .on_conflict(target=Bid.key, action="DO NOTHING")
            .returning(Bid.id)
        )
        if inserted:
            bid_id = as_uuid(inserted[0]["id"])
            await record(platform, actor, AuditAction.BID_BID_START, bid_id, {"tender": tender.id})
            return bid_id
        existing = await Bid.select(Bid.id).where(Bid.key == key).first()
        assert existing is not None
        return as_uuid(existing["id"])


async def bid_for_tender(actor: CurrentUser, tender_id: UUID) -> BidView | None:
    """The actor's organisation's bid for a tender, if it has started one."""
    if actor.is_buyer:
        return None
    row = await Bid.select(Bid.id).where(Bid.key == bid_key(tender_id, actor.organisation_id))
    return await own_bid(actor, row[0]["id"]) if row else None


@dataclass(frozen=True)
class BidLine:
    """A bid as the organisation's list of bids shows it."""

    id: UUID
    tender_id: UUID
    tender_title: str
    tender_reference: str
    buyer_name: str
    tender_status: TenderStatus
    submission_deadline: datetime | None
    status: BidStatus
    lot_ids: tuple[UUID, ...]
    changed_at: datetime
    current_submission_id: UUID | None
    current_received_at: datetime | None

    def open(self, now: datetime) -> bool:
        status = effective_status(self.tender_status, self.submission_deadline, now)
        return status is TenderStatus.PUBLISHED

    @property
    def changed_since_submission(self) -> bool:
        received = self.current_received_at
        return received is not None and self.changed_at > received


BIDS_PAGE_SIZE = 20
# One query a page, however many bids: the list needs none of their content.
_BID_LINES_SQL = (
    "SELECT bid.id, bid.status, bid.lots, bid.changed_at, tender.id AS tender_id,"
    " tender.title AS tender_title, tender.reference AS tender_reference,"
    " tender.status AS tender_status, tender.submission_deadline,"
    " buyer.name AS buyer_name, submission.id AS submission_id, submission.received_at"
    " FROM bid JOIN tender ON tender.id = bid.tender"
    " JOIN organisation AS buyer ON buyer.id = tender.buyer"
    " LEFT JOIN submission ON submission.bid = bid.id"
    " AND submission.superseded_at IS NULL AND submission.withdrawn_at IS NULL"
    " WHERE bid.organisation = {} ORDER BY bid.updated_at DESC, bid.id LIMIT {} OFFSET {}"
)


async def my_bids(actor: CurrentUser, page: int = 1) -> Page[BidLine]:
    """The organisation's bids, the latest change first, ``BIDS_PAGE_SIZE`` a page.
    Raises ``NotPermitted`` for a council's user."""
    _require_provider(actor)
    total = await Bid.count().where(Bid.organisation == actor.organisation_id)
    number = page_number(page, total, BIDS_PAGE_SIZE)
    rows = await database.fetch(
        _BID_LINES_SQL, actor.organisation_id, BIDS_PAGE_SIZE, (number - 1) * BIDS_PAGE_SIZE
    )
    lines = [
        BidLine(
            id=as_uuid(row["id"]),
            tender_id=as_uuid(row["tender_id"]),
            tender_title=row["tender_title"],
            tender_reference=row["tender_reference"],
            buyer_name=row["buyer_name"],
            tender_status=TenderStatus(row["tender_status"]),
            submission_deadline=row["submission_deadline"],
            status=BidStatus(row["status"]),
            lot_ids=parse_lot_ids(row["lots"]),
            changed_at=row["changed_at"],
            current_submission_id=as_uuid(row["submission_id"]) if row["submission_id"] else None,
            current_received_at=row["received_at"],
        )
        for row in rows
    ]
    return Page(lines, number, total, BIDS_PAGE_SIZE)


async def choose_lots(
    platform: Platform,
    actor: CurrentUser,
    bid_id: str | UUID,
    lot_ids: Sequence[str],
    version: int,
) -> None:
    """The lots the bid is for. Answers and prices of a lot left out are kept, in case it
    comes back. Raises ``Invalid`` (field ``lots``) and ``Conflict``."""
    async with database.write_transaction():
        now = platform.clock.now()
        bid = await editable(actor, bid_id, now)
        known = {str(lot.id): lot.id for lot in bid.tender.lots}
        if any(value not in known for value in lot_ids):
            raise Invalid({"lots": "Choose lots from the list"})
        chosen = [lot.id for lot in bid.tender.lots if str(lot.id) in set(lot_ids)]
        if tuple(chosen) == bid.lot_ids:
            return  # the same choice again: a repeated post
        if version != bid.version:
            raise Conflict(
                "Someone else in your organisation changed the lots of this bid while you "
                "were choosing. Check the lots chosen now and choose again"
            )
        if message := lots_problem(bid.tender, chosen):
            raise Invalid({"lots": message})
        await Bid.update(
            {
                Bid.lots: "|".join(str(lot_id) for lot_id in chosen),
                Bid.version: Bid.version + 1,
                Bid.revision: Bid.revision + 1,
                Bid.changed_at: now,
                Bid.updated_at: now,
            }
        ).where(Bid.id == bid.id)
        await record(
            platform, actor, AuditAction.BID_LOTS_CHOOSE, bid, {"lots": [str(i) for i in chosen]}
        )


# Answers and prices -------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerEntry:
    question_id: UUID
    text: str
    declaration: Declaration | None
    #: The version the form showed; 0 for an answer not yet saved.
    version: int


@dataclass(frozen=True)
class PriceEntry:
    item_id: UUID
    unit_price_pence: int | None
    version: int


@dataclass(frozen=True)
class EditConflictItem:
    """A field someone else saved while this person was editing it."""

    field: str
    label: str
    #: What is saved now, who saved it and when.
    theirs: str
    by: str
    at: datetime
    #: What this person sent, not saved.
    yours: str
    #: The version to send to save "yours" over "theirs" on purpose.
    version: int


class EditConflict(Conflict):
    """Some fields were saved by someone else meanwhile; the rest of the form was saved."""

    def __init__(self, items: Sequence[EditConflictItem]) -> None:
        names = ", ".join(item.label for item in items)
        super().__init__(
            f"Someone else in your organisation saved {names} while you were editing. "
            "Your other changes were saved"
        )
        self.items = tuple(items)


def answer_entries(
    bid: BidView, lot_id: UUID, section_id: UUID, form: Mapping[str, Any]
) -> list[AnswerEntry]:
    """The answers a section's form sends: ``answer-<question id>``,
    ``declaration-<question id>`` and ``version-<question id>`` for each question.
    Raises ``Invalid`` for a declaration that is neither yes nor no."""
    lot = next((lot for lot in bid.tender.lots if lot.id == lot_id), None)
    if lot is None or lot.id not in bid.lot_ids:
        raise NotFound()
    questions = [q for q in bid.tender.questions_for(lot) if q.section_id == section_id]
    if not questions:
        raise NotFound()
    entries: list[AnswerEntry] = []
    problems: dict[str, str] = {}
    for question in questions:
        key = str(question.id)
        if f"version-{key}" not in form:
            continue  # not on the form that was sent
        declaration = None
        if question.kind is QuestionKind.PASS_FAIL and (
            raw := clean(form.get(f"declaration-{key}"))
        ):
            try:
                declaration = Declaration(raw)
            except ValueError:
                problems[f"declaration-{key}"] = f"Answer yes or no to question {question.number}"
        entries.append(
            AnswerEntry(
                question.id,
                plain_text(form.get(f"answer-{key}")),
                declaration,
                _version(form.get(f"version-{key}")),
            )
        )
    if problems:
        raise Invalid(problems)
    return entries


def _version(value: object) -> int:
    try:
        return max(0, int(str(value)))
    except ValueError:
        return 0


async def save_answers(
    platform: Platform,
    actor: CurrentUser,
    bid_id: str | UUID,
    lot_id: str | UUID,
    entries: Sequence[AnswerEntry],
) -> int:
    """Save a lot's answers; returns how many changed. Raises ``EditConflict`` naming
    each answer saved by someone else since the form was shown (the rest are saved)."""
    wanted_lot = parse_id(lot_id)
    conflicts: list[EditConflictItem] = []
    changed = 0
    async with database.write_transaction():
        now = platform.clock.now()
        bid = await editable(actor, bid_id, now)
        lot = next((lot for lot in bid.lots if lot.id == wanted_lot), None)
        if lot is None:
            raise NotFound()
        questions = {q.id: q for q in bid.tender.questions_for(lot)}
        if any(entry.question_id not in questions for entry in entries):
            raise NotFound()
        for entry in entries:
            question = questions[entry.question_id]
            if entry.declaration is not None and question.kind is not QuestionKind.PASS_FAIL:
                raise Invalid(
                    {"declaration": f"Question {question.number} is not a yes or no question"}
                )
        for entry in entries:
            question = questions[entry.question_id]
            stored = bid.answers.get((lot.id, question.id))
            same = stored is not None and (stored.text, stored.declaration) == (
                entry.text,
                entry.declaration,
            )
            if same or (stored is None and not entry.text and entry.declaration is None):
                continue  # nothing new: a repeated post, or an untouched empty field
            current = stored.version if stored else 0
            # Never saved: nothing to conflict with, whatever version the form carried.
            if stored is not None and entry.version != current:
                conflicts.append(
                    EditConflictItem(
                        field=f"answer-{question.id}",
                        label=f"your answer to question {question.number}",
                        theirs=_shown(stored.text, stored.declaration),
                        by=stored.updated_by,
                        at=stored.updated_at,
                        yours=_shown(entry.text, entry.declaration),
                        version=stored.version,
                    )
                )
                continue
            values = {
                Answer.text: entry.text,
                Answer.declaration: entry.declaration,
                Answer.updated_at: now,
                Answer.updated_by: actor.id,
            }
            if stored is None:
                await Answer.insert(
                    Answer(
                        id=uuid4(),
                        bid=bid.id,
                        lot=lot.id,
                        question=question.id,
                        text=entry.text,
                        declaration=entry.declaration,
                        updated_at=now,
                        updated_by=actor.id,
                        key=f"{bid.id}:{lot.id}:{question.id}",
                    )
                )
            else:
                await Answer.update({**values, Answer.version: Answer.version + 1}).where(
                    Answer.key == f"{bid.id}:{lot.id}:{question.id}"
                )
            changed += 1
            await record(
                platform,
                actor,
                AuditAction.BID_ANSWER_SAVE,
                bid,
                {"lot": lot.id, "question": question.id, "version": current + 1},
            )
        if changed:
            await _changed(bid.id, now)
    if conflicts:
        raise EditConflict(conflicts)
    return changed


def _shown(text: str, declaration: Declaration | None) -> str:
    prefix = f"{declaration.label}. " if declaration else ""
    return prefix + text


def price_entries(bid: BidView, lot_id: UUID, form: Mapping[str, Any]) -> list[PriceEntry]:
    """The prices a lot's form sends (``price-<item id>`` in pounds and pence, with
    ``version-<item id>``). Raises ``Invalid`` for anything that is not an amount."""
    lot = next((lot for lot in bid.lots if lot.id == lot_id), None)
    if lot is None:
        raise NotFound()
    entries: list[PriceEntry] = []
    problems: dict[str, str] = {}
    for item in lot.price_items:
        key = str(item.id)
        if f"version-{key}" not in form:
            continue
        raw = clean(form.get(f"price-{key}"))
        amount = pence(raw.lstrip("£")) if raw else None
        if raw and amount is None:
            problems[f"price-{key}"] = (
                f"Enter the price for {item.description} in pounds and pence, like 15.87"
            )
        elif amount is not None and amount > MAX_UNIT_PRICE_PENCE:
            problems[f"price-{key}"] = (
                f"The price for {item.description} must be £1,000,000 or less"
            )
        entries.append(PriceEntry(item.id, amount, _version(form.get(f"version-{key}"))))
    if problems:
        raise Invalid(problems)
    return entries


async def save_prices(
    platform: Platform,
    actor: CurrentUser,
    bid_id: str | UUID,
    lot_id: str | UUID,
    entries: Sequence[PriceEntry],
) -> int:
    """Save a lot's unit prices; returns how many changed. Raises ``EditConflict`` as
    ``save_answers`` does."""
    wanted_lot = parse_id(lot_id)
    conflicts: list[EditConflictItem] = []
    changed = 0
    async with database.write_transaction():
        now = platform.clock.now()
        bid = await editable(actor, bid_id, now)
        lot = next((lot for lot in bid.lots if lot.id == wanted_lot), None)
        if lot is None:
            raise NotFound()
        items = {item.id: item for item in lot.price_items}
        for entry in entries:
            item = items.get(entry.item_id)
            if item is None:
                raise NotFound()
            stored = bid.prices.get(item.id)
            if (stored.unit_price_pence if stored else None) == entry.unit_price_pence:
                continue
            current = stored.version if stored else 0
            if stored is not None and entry.version != current:
                conflicts.append(
                    EditConflictItem(
                        field=f"price-{item.id}",
                        label=f"the price for {item.description}",
                        theirs=_money(stored.unit_price_pence),
                        by=stored.updated_by,
                        at=stored.updated_at,
                        yours=_money(entry.unit_price_pence),
                        version=stored.version,
                    )
                )
                continue
            key = f"{bid.id}:{item.id}"
            if stored is None:
                await BidPrice.insert(
                    BidPrice(
                        id=uuid4(),
                        bid=bid.id,
                        price_item=item.id,
                        unit_price_pence=entry.unit_price_pence,
                        updated_at=now,
                        updated_by=actor.id,
                        key=key,
                    )
                )
            else:
                await BidPrice.update(
                    {
                        BidPrice.unit_price_pence: entry.unit_price_pence,
                        BidPrice.updated_at: now,
                        BidPrice.updated_by: actor.id,
                        BidPrice.version: BidPrice.version + 1,
                    }
                ).where(BidPrice.key == key)
            changed += 1
            await record(
                platform,
                actor,
                AuditAction.BID_PRICE_SAVE,
                bid,
                {"item": item.id, "unit_price_pence": entry.unit_price_pence},
            )
        if changed:
            await _changed(bid.id, now)
    if conflicts:
        raise EditConflict(conflicts)
    return changed


def _money(amount: int | None) -> str:
    if amount is None:
        return "(no price)"
    return f"£{amount // 100:,}.{amount % 100:02d}"


# Evidence -----------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadRoom:
    """How large the next file of a bid may be, and what to say of one larger."""

    max_bytes: int
    #: None: the per-file limit, which the store words itself.
    too_large: str | None = None


def _bid_full(max_bid_bytes: int) -> str:
    return (
        f"The files of a bid can add up to {size_text(max_bid_bytes)} at most. "
        "Remove a file or make this one smaller"
    )


async def check_evidence_target(
    platform: Platform,
    actor: CurrentUser,
    bid_id: str | UUID,
    lot_id: str,
    question_id: str,
    *,
    max_file_bytes: int,
    max_bid_bytes: int,
) -> UploadRoom:
    """Before an upload streams in: the bid is the actor's, open, the question is one of a
    chosen lot's, and the bid has room for another file; the room is the size the upload
    may reach. Raises as ``add_evidence`` would, so no byte is stored in vain."""
    bid = await own_bid(actor, bid_id)
    require_open(bid.tender, platform.clock.now())
    _target(bid, lot_id, question_id)
    if len(bid.evidence) >= MAX_FILES_PER_BID:
        raise Invalid(
            {"file": f"A bid can have {MAX_FILES_PER_BID} files at most. Remove one first"}
        )
    left = max_bid_bytes - sum(e.size for e in bid.evidence)
    if left <= 0:
        raise Invalid({"file": _bid_full(max_bid_bytes)})
    if left < max_file_bytes:
        return UploadRoom(left, _bid_full(max_bid_bytes))
    return UploadRoom(max_file_bytes)


def _target(bid: BidView, lot_id: str | UUID, question_id: str | UUID) -> tuple[UUID, UUID]:
    lot = next((lot for lot in bid.lots if str(lot.id) == str(lot_id)), None)
    if lot is None:
        raise NotFound()
    question = next(
        (q for q in bid.tender.questions_for(lot) if str(q.id) == str(question_id)), None
    )
    if question is None:
        raise NotFound()
    return lot.id, question.id


async def add_evidence(
    platform: Platform,
    actor: CurrentUser,
    bid_id: str | UUID,
    lot_id: str | UUID,
    question_id: str | UUID,
    stored: StoredFile,
    *,
    max_bid_bytes: int,
) -> UUID:
    """Attach a stored file to an answer. The same file sent twice to the same answer is
    kept once. Raises ``Invalid`` (field ``file``) past the bid's limits."""
    async with database.write_transaction():
        now = platform.clock.now()
        bid = await editable(actor, bid_id, now)
        lot, question = _target(bid, lot_id, question_id)
        same = next((e for e in bid.evidence_for(lot, question) if e.sha256 == stored.sha256), None)
        if same is not None:
            return same.id  # a repeated upload
        if len(bid.evidence) >= MAX_FILES_PER_BID:
            raise Invalid(
                {"file": f"A bid can have {MAX_FILES_PER_BID} files at most. Remove one first"}
            )
        if sum(e.size for e in bid.evidence) + stored.size > max_bid_bytes:
            raise Invalid({"file": _bid_full(max_bid_bytes)})
        evidence_id = uuid4()
        await Evidence.insert(
            Evidence(
                id=evidence_id,
                bid=bid.id,
                lot=lot,
                question=question,
                sha256=stored.sha256,
                original_name=stored.original_name,
                content_type=stored.content_type,
                size=stored.size,
                uploaded_at=now,
                uploaded_by=actor.id,
            )
        )
        await _changed(bid.id, now)
        await record(
            platform,
            actor,
            AuditAction.BID_EVIDENCE_ADD,
            bid,
            {"evidence": evidence_id, "sha256": stored.sha256, "size": stored.size},
        )
    return evidence_id


async def remove_evidence(
    platform: Platform, actor: CurrentUser, bid_id: str | UUID, evidence_id: str | UUID
) -> None:
    """Take a file off the working copy. The stored file stays: a sealed submission may
    refer to it. Removing it twice is removing it once."""
    async with database.write_transaction():
        now = platform.clock.now()
        bid = await editable(actor, bid_id, now)
        wanted = parse_id(evidence_id)
        if not any(e.id == wanted for e in bid.evidence):
            return
        await Evidence.delete().where(Evidence.id == wanted)
        await _changed(bid.id, now)
        await record(platform, actor, AuditAction.BID_EVIDENCE_REMOVE, bid, {"evidence": wanted})


# Sealed content -------------------------------------------------------------------------


def sealed_content(bid: BidView) -> dict[str, Any]:
    """What a submission seals: the chosen lots with every answer, declaration, price and
    file digest, as plain JSON values in a fixed order."""
    lots = []
    for lot in bid.lots:
        answers = []
        for question in bid.tender.questions_for(lot):
            answer = bid.answers.get((lot.id, question.id))
            answers.append(
                {
                    "question": str(question.id),
                    "number": question.number,
                    "text": answer.text if answer else "",
                    "declaration": str(answer.declaration)
                    if answer and answer.declaration
                    else None,
                    "evidence": [
                        {
                            "sha256": e.sha256,
                            "name": e.original_name,
                            "type": e.content_type,
                            "size": e.size,
                        }
                        for e in bid.evidence_for(lot.id, question.id)
                    ],
                }
            )
        prices = [
            {
                "item": str(item.id),
                "number": item.number,
                "unit_price_pence": bid.prices[item.id].unit_price_pence
                if item.id in bid.prices
                else None,
                "volume": item.volume,
            }
            for item in lot.price_items
        ]
        lots.append(
            {"lot": str(lot.id), "number": lot.number, "answers": answers, "prices": prices}
        )
    return {
        "tender": str(bid.tender.id),
        "bid": str(bid.id),
        "organisation": str(bid.organisation_id),
        "lots": lots,
    }


async def own_evidence(
    actor: CurrentUser, bid_id: str | UUID, evidence_id: str | UUID
) -> EvidenceView:
    """An evidence file of the organisation's own bid, to download."""
    bid = await own_bid(actor, bid_id)
    wanted = parse_id(evidence_id)
    found = next((e for e in bid.evidence if e.id == wanted), None)
    if found is None:
        raise NotFound()
    return found
