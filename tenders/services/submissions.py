"""Submitting a bid: the deadline checked inside the committing transaction, the content
sealed with its SHA-256 digest, a receipt; resubmission and withdrawal before the deadline.
"""

from __future__ import annotations

import asyncio
import re
import weakref
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID, uuid4

from app import database, mail, pdf
from app.accounts import CurrentUser
from app.errors import Invalid, NotFound
from app.platform import Platform
from app.validation import clean
from app.vocabulary import AuditAction
from tenders import sealing
from tenders.bid_rules import Problem
from tenders.services.bids import (
    SELECT_SUBMISSIONS,
    BidView,
    SubmissionView,
    editable,
    lock_bid,
    own_bid,
    parse_id,
    record,
    require_open,
    sealed_content,
    submission_view,
)
from tenders.tables import Bid, Submission
from tenders.vocabulary import BidStatus, TenderStatus

#: What a request key may be: a form's hidden field or an API client's Idempotency-Key.
REQUEST_KEY_PATTERN = "^[A-Za-z0-9_-]{8,40}$"
_REQUEST_KEY = re.compile(REQUEST_KEY_PATTERN)
MAX_REASON = 2000
#: Submissions one server process works on at once; the rest wait their turn in order.
#: In a rush before a deadline, a hundred submissions begun together and interleaved
#: would all finish late; taken in turn, each finishes as soon as it can (and the
#: process gets through more of them a second).
SUBMITTING_AT_ONCE = 8
_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


class NotReady(Invalid):
    """The bid has problems to fix before it can be submitted: each with its page."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__({p.field: p.message for p in reversed(problems)})
        self.problems = problems
        self.message = (
            "Your bid cannot be submitted yet: "
            + f"{len(problems)} {'thing needs' if len(problems) == 1 else 'things need'} fixing"
        )


# Raw SQL inside the lock: every submission runs these, and building them with Piccolo
# costs more than running them.
#: Inside the lock, in one query: a submission already made with the request key, and
#: the bid's revision, its tender's status and deadline and its last submission's number.
_STATE_SQL = (
    "SELECT bid.revision, tender.status, tender.submission_deadline,"
    " (SELECT max(number) FROM submission WHERE submission.bid = bid.id) AS last_number,"
    " EXISTS (SELECT 1 FROM submission WHERE request_key = {}) AS done"
    " FROM bid JOIN tender ON tender.id = bid.tender WHERE bid.id = {}"
)

# The writes, raw for the same reason: the previous submission superseded, the bid marked.
_SUPERSEDE_SQL = (
    "UPDATE submission SET superseded_at = {}"
    " WHERE bid = {} AND superseded_at IS NULL AND withdrawn_at IS NULL"
)
_SUBMITTED_SQL = (
    "UPDATE bid SET status = {}, withdrawn_at = NULL, withdraw_reason = NULL, updated_at = {}"
    " WHERE id = {}"
)


def new_request_key() -> str:
    """For a submit form: a repeated post of the same form finds the same submission."""
    return uuid4().hex


async def submit(
    platform: Platform, actor: CurrentUser, bid_id: str | UUID, request_key: str
) -> SubmissionView:
    """Seal the bid as it stands and record it as received now: the clock is read inside
    the transaction, once it holds the write lock, and the deadline checked against it.

    The bid is read and sealed before the write lock is taken, so that providers racing
    a deadline wait on each other only for the writes; inside, one query checks that
    nothing changed meanwhile (if something did, the bid is sealed again there).

    A post with a request key already used returns that submission. Raises
    ``DeadlinePassed`` at or after the deadline, ``NotReady`` listing every problem,
    ``Invalid`` for a malformed request key.
    """
    if not _REQUEST_KEY.fullmatch(request_key or ""):
        raise Invalid({"request_key": "The form could not be read. Go back and try again"})
    # One semaphore per event loop: an asyncio primitive may only be awaited on one.
    turn = _turns.setdefault(asyncio.get_running_loop(), asyncio.Semaphore(SUBMITTING_AT_ONCE))
    async with turn:
        return await _submit(platform, actor, bid_id, request_key)


async def _submit(
    platform: Platform, actor: CurrentUser, bid_id: str | UUID, request_key: str
) -> SubmissionView:
    bid = await own_bid(actor, bid_id)
    key = f"{bid.id}:{request_key}"
    if done := await _submitted_with(key):
        return done  # a retry of a post that was received, even after the deadline
    require_open(bid.tender, platform.clock.now())  # before listing problems of a late bid
    subject = f"Bid received: {bid.tender.title}"
    mail.check_headers(platform, to=actor.email, subject=subject)
    sealed = _seal(bid)
    async with database.write_transaction():
        await lock_bid(bid.id)
        now = platform.clock.now()
        rows = await database.fetch(_STATE_SQL, key, bid.id)
        state = rows[0]
        if state["done"] and (done := await _submitted_with(key)):
            return done  # the same post, received while this one waited for the lock
        require_open(
            replace(
                bid.tender,
                stored_status=TenderStatus(state["status"]),
                submission_deadline=state["submission_deadline"],
            ),
            now,
        )
        if state["revision"] != bid.revision:
            bid = await editable(actor, bid.id, now)
            sealed = _seal(bid)
        content, digest = sealed
        number = (state["last_number"] or 0) + 1
        submission_id = uuid4()
        lots = "|".join(str(lot_id) for lot_id in bid.lot_ids)
        await database.fetch(_SUPERSEDE_SQL, now, bid.id)
        await database.insert(
            Submission,
            {
                "id": submission_id,
                "bid": bid.id,
                "tender": bid.tender.id,
                "number": number,
                "received_at": now,
                "submitted_by": actor.id,
                "content": content,
                "digest": digest,
                "lots": lots,
                "request_key": key,
            },
        )
        await database.fetch(_SUBMITTED_SQL, BidStatus.SUBMITTED.value, now, bid.id)
        await mail.enqueue(
            platform,
            to=actor.email,
            subject=subject,
            template="mail/bid_submitted.txt",
            context={
                "name": actor.name,
                "organisation": actor.organisation_name,
                "tender_title": bid.tender.title,
                "tender_reference": bid.tender.reference,
                "council": bid.tender.buyer_name,
                "received_at": now,
                "deadline": bid.tender.submission_deadline,
                "submission_id": submission_id,
                "digest": digest,
                "number": number,
            },
            link_path=f"/bids/{bid.id}/submissions/{submission_id}",
            organisation_id=actor.organisation_id,
            headers_checked=True,
        )
        # Last: on PostgreSQL the audit log's append lock is then held only to the commit.
        await record(
            platform,
            actor,
            AuditAction.BID_BID_SUBMIT,
            bid,
            {"submission": submission_id, "number": number, "digest": digest, "lots": lots},
        )
    return SubmissionView(submission_id, bid.id, number, now, digest, bid.lot_ids, None, None)


async def _submitted_with(key: str) -> SubmissionView | None:
    rows = await database.fetch(SELECT_SUBMISSIONS + " FROM submission WHERE request_key = {}", key)
    return submission_view(rows[0]) if rows else None


def _seal(bid: BidView) -> tuple[str, str]:
    """The bid's sealed content as canonical JSON, and its digest. Raises ``NotReady``."""
    if problems := bid.problems():
        raise NotReady(problems)
    sealed = sealed_content(bid)
    return sealing.canonical(sealed).decode(), sealing.digest(sealed)


async def withdraw(platform: Platform, actor: CurrentUser, bid_id: str | UUID, reason: str) -> None:
    """Withdraw a submitted bid before the deadline, with a reason. The council will not
    evaluate it; the provider may submit again before the deadline. Withdrawing twice is
    withdrawing once. Raises ``Invalid`` (field ``reason``) and ``DeadlinePassed``."""
    reason = clean(reason)
    if not reason:
        raise Invalid({"reason": "Enter why you are withdrawing your bid"})
    if len(reason) > MAX_REASON:
        raise Invalid({"reason": f"The reason must be {MAX_REASON:,} characters or fewer"})
    async with database.write_transaction():
        now = platform.clock.now()
        bid = await editable(actor, bid_id, now)
        if bid.status is BidStatus.WITHDRAWN:
            return
        current = bid.current_submission
        if current is None:
            raise Invalid(
                {"reason": "This bid has not been submitted, so there is nothing to withdraw"}
            )
        await Submission.update({Submission.withdrawn_at: now}).where(Submission.id == current.id)
        await Bid.update(
            {
                Bid.status: BidStatus.WITHDRAWN,
                Bid.withdrawn_at: now,
                Bid.withdraw_reason: reason,
                Bid.updated_at: now,
            }
        ).where(Bid.id == bid.id)
        await record(
            platform,
            actor,
            AuditAction.BID_BID_WITHDRAW,
            bid,
            {"submission": current.id, "reason": reason},
        )
        await mail.enqueue(
            platform,
            to=actor.email,
            subject=f"Bid withdrawn: {bid.tender.title}",
            template="mail/bid_withdrawn.txt",
            context={
                "name": actor.name,
                "organisation": actor.organisation_name,
                "tender_title": bid.tender.title,
                "tender_reference": bid.tender.reference,
                "withdrawn_at": now,
                "deadline": bid.tender.submission_deadline,
                "reason": reason,
            },
            link_path=f"/bids/{bid.id}",
            organisation_id=actor.organisation_id,
        )


@dataclass(frozen=True)
class Receipt:
    submission: SubmissionView
    tender_title: str
    tender_reference: str
    council: str
    organisation: str
    deadline: datetime
    #: The lots bid for, as "Lot 1: Name".
    lots: tuple[str, ...]


async def receipt(actor: CurrentUser, bid_id: str | UUID, submission_id: str | UUID) -> Receipt:
    """The receipt of one of the organisation's submissions, current or not."""
    bid = await own_bid(actor, bid_id)
    wanted = parse_id(submission_id)
    found = next((s for s in bid.submissions if s.id == wanted), None)
    if found is None:
        raise NotFound()
    assert bid.tender.submission_deadline is not None
    return Receipt(
        submission=found,
        tender_title=bid.tender.title,
        tender_reference=bid.tender.reference,
        council=bid.tender.buyer_name,
        organisation=bid.organisation_name,
        deadline=bid.tender.submission_deadline,
        lots=tuple(
            f"Lot {lot.number}: {lot.name}" for lot in bid.tender.lots if lot.id in found.lot_ids
        ),
    )


async def receipt_pdf(actor: CurrentUser, bid_id: str | UUID, submission_id: str | UUID) -> bytes:
    """The receipt as a PDF/A: the same bytes each time it is asked for."""
    found = await receipt(actor, bid_id, submission_id)
    return await pdf.render_pdf(
        "pdf/bid_receipt.html",
        {"receipt": found},
        title=f"Bid receipt: {found.tender_title}",
        created=found.submission.received_at,
    )
