"""The people and the tenders the authorisation matrix asks about: one tender of council A
in each state of its lifecycle, all in one database, each where it should be at the
clock's final instant (``FINAL``).

Provider A bids on every tender that takes bids; provider B has no bid on any of them (it
is another provider organisation, signed in, that merely reads the opportunities). Lot 1
of each published tender has a panel of council A: an evaluator cleared of conflicts, an
evaluator who declared a conflict with provider A, and a moderator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from uuid import UUID, uuid4

from app.accounts import CurrentUser
from app.clock import LONDON, FixedClock
from app.files import DOCUMENT_TYPES
from app.platform import Platform
from evaluation.services import awards, moderation, notices, panels, scores
from evaluation.services.scores import ScoreInput
from evaluation.tables import Notice
from tenders.services import addenda, authoring, bids, clarifications, opening, submissions
from tenders.services.bids import AnswerEntry
from tenders.services.views import LotView, QuestionView, TenderView
from tenders.tables import Clarification
from tenders.vocabulary import QuestionKind
from tests.app.test_files import pdf_bytes
from tests.conftest import buyer_officer, evaluator, provider_user
from tests.evaluation.factories import declare_none
from tests.tenders.bid_factories import complete_bid
from tests.tenders.factories import DEADLINE, draft_tender, london_parts, published_tender
from tests.tenders.test_sealed_routes import (
    ANSWER,
    FILE_NAME,
    FILE_TEXT,
    PRICE_PENCE,
    _stream,
    marks,
)

#: The notices of the awarded tender go out here; its standstill ends on 5 January.
ISSUED = datetime(2026, 12, 22, 10, 0, tzinfo=UTC)
#: The final instant: the awarded tender's award is confirmed, the approved tender's
#: notices are issued (its standstill runs to mid January), and the published tender's
#: deadline, extended, is weeks away.
FINAL = datetime(2027, 1, 6, 9, 0, tzinfo=UTC)
EXTENDED = datetime(2027, 2, 12, 12, 0, tzinfo=LONDON)
EXTENDED_CLARIFICATIONS = datetime(2027, 2, 5, 12, 0, tzinfo=LONDON)
#: Every document of every tender carries this, so a permitted download shows it.
DOCUMENT_TEXT = "ADDENDUM-MARKER"
QUESTION = "Do you accept staff transferred under TUPE?"


class State(Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"
    OPENED = "opened"
    MODERATED = "moderated"
    APPROVED = "award approved"
    AWARDED = "awarded"


class Actor(Enum):
    VISITOR = "a visitor"
    #: Bids on every tender that takes bids.
    PROVIDER_A = "provider A"
    #: Another provider organisation, with no bid on any of them.
    PROVIDER_B = "provider B"
    OFFICER_A = "an officer of council A"
    OFFICER_B = "an officer of council B"
    #: On lot 1's panel, cleared of conflicts once the bids are opened.
    EVALUATOR = "lot 1's evaluator"
    #: On lot 1's panel, declared a conflict with provider A once opened (stood down from
    #: the panel before moderation: a conflicted evaluator can never submit scores, and
    #: moderation waits for every evaluator on the panel).
    CONFLICTED = "lot 1's conflicted evaluator"
    MODERATOR = "lot 1's moderator"


async def people(platform: Platform) -> dict[Actor, CurrentUser]:
    officer = await buyer_officer(platform)
    return {
        Actor.PROVIDER_A: await provider_user(platform),
        Actor.PROVIDER_B: await provider_user(
            platform, "ade@lichfield-care.example", "Lichfield Homecare"
        ),
        Actor.OFFICER_A: officer,
        Actor.OFFICER_B: await buyer_officer(
            platform, "sam.cole@derbyshire.example", "Derbyshire County Council"
        ),
        Actor.EVALUATOR: await evaluator(platform, officer),
        Actor.CONFLICTED: await evaluator(platform, officer, "kim.lowe@staffordshire.example"),
        Actor.MODERATOR: await evaluator(platform, officer, "ruth.okoro@staffordshire.example"),
    }


@dataclass
class World:
    """One tender in one state, and the ids of what it holds. An id the state has no
    object for (no bid in a draft, no notice before issue) is a fresh one nobody reaches."""

    state: State
    tender: TenderView
    users: Mapping[Actor, CurrentUser]
    bid_id: UUID = field(default_factory=uuid4)
    submission_id: UUID = field(default_factory=uuid4)
    evidence_id: UUID = field(default_factory=uuid4)
    sha256: str = "0" * 64
    document_id: UUID = field(default_factory=uuid4)
    clarification_id: UUID = field(default_factory=uuid4)
    #: Provider A's own notice (its decision letter).
    notice_id: UUID = field(default_factory=uuid4)
    report_id: UUID = field(default_factory=uuid4)
    #: In the draft, a lot, a question and a price item its officer may remove.
    spare_lot_id: UUID | None = None
    spare_question_id: UUID | None = None

    @property
    def lot(self) -> LotView:
        return self.tender.lots[0]

    @property
    def questions(self) -> list[QuestionView]:
        return self.tender.questions_for(self.lot)

    @property
    def scored(self) -> QuestionView:
        return next(q for q in self.questions if q.kind is QuestionKind.SCALE)

    @property
    def section_id(self) -> UUID:
        return self.scored.section_id

    @property
    def question_id(self) -> UUID:
        return self.scored.id

    @property
    def provider(self) -> CurrentUser:
        return self.users[Actor.PROVIDER_A]

    @property
    def officer(self) -> CurrentUser:
        return self.users[Actor.OFFICER_A]

    def params(self) -> dict[str, str]:
        """How each path parameter of a tender's routes is filled."""
        spare_lot = next((lot for lot in self.tender.lots if lot.id == self.spare_lot_id), None)
        return {
            "tender_id": str(self.tender.id),
            "lot_id": str(self.lot.id),
            "bid_id": str(self.bid_id),
            "section_id": str(self.section_id),
            "question_id": str(self.question_id),
            "item_id": str(self.lot.price_items[0].id),
            "evidence_id": str(self.evidence_id),
            "submission_id": str(self.submission_id),
            "sha256": self.sha256,
            "document_id": str(self.document_id),
            "clarification_id": str(self.clarification_id),
            "notice_id": str(self.notice_id),
            "report_file": f"{self.report_id}.pdf",
            "spare_lot_id": str(self.spare_lot_id or self.lot.id),
            "spare_item_id": str((spare_lot or self.lot).price_items[0].id),
            "spare_question_id": str(self.spare_question_id or self.question_id),
        }


async def add_document(platform: Platform, world: World) -> None:
    stored = await platform.files.save(
        _stream(pdf_bytes(DOCUMENT_TEXT)),
        filename="addendum.pdf",
        max_bytes=1_000_000,
        allowed=DOCUMENT_TYPES,
    )
    document = await addenda.add_document(
        platform,
        world.officer,
        str(world.tender.id),
        {"title": "Addendum 1", "kind": "specification"},
        stored,
    )
    world.document_id = document.id


async def draft_world(platform: Platform, users: Mapping[Actor, CurrentUser]) -> World:
    """A draft of two lots (the second spare) and a spare question, with a document."""
    officer = users[Actor.OFFICER_A]
    tender_id = await draft_tender(platform, officer, lots=2)
    tender = await authoring.own_tender(officer, tender_id)
    spare_question = await authoring.add_question(
        platform,
        officer,
        str(tender_id),
        {
            "section": str(tender.questions_for(tender.lots[0])[0].section_id),
            "kind": "pass_fail",
            "text": "Do you hold public liability insurance?",
        },
    )
    world = World(
        State.DRAFT,
        await authoring.own_tender(officer, tender_id),
        users,
        spare_lot_id=tender.lots[1].id,
        spare_question_id=spare_question,
    )
    await add_document(platform, world)
    return world


async def bidding_world(
    platform: Platform, users: Mapping[Actor, CurrentUser], state: State
) -> World:
    """Published, with a clarification question from provider A awaiting its answer, an
    addendum, provider A's submitted bid carrying the sealed markers, and lot 1's panel."""
    officer, provider = users[Actor.OFFICER_A], users[Actor.PROVIDER_A]
    tender = await published_tender(platform, officer, lots=1)
    world = World(state, tender, users)
    await clarifications.ask_question(platform, provider, str(tender.id), {"question": QUESTION})
    row = await Clarification.select(Clarification.id).where(Clarification.tender == tender.id)
    world.clarification_id = row[0]["id"]
    await add_document(platform, world)
    if state is State.PUBLISHED:
        world.tender = await addenda.extend_deadline(
            platform,
            officer,
            str(tender.id),
            {
                **london_parts("submission_deadline", EXTENDED),
                **london_parts("clarification_deadline", EXTENDED_CLARIFICATIONS),
            },
        )
    world.bid_id = await complete_bid(platform, provider, tender, unit_price_pence=PRICE_PENCE)
    await bids.save_answers(
        platform,
        provider,
        world.bid_id,
        world.lot.id,
        [AnswerEntry(world.question_id, ANSWER, None, 1)],
    )
    stored = await platform.files.save(
        _stream(pdf_bytes(FILE_TEXT)),
        filename=FILE_NAME,
        max_bytes=1_000_000,
        allowed=DOCUMENT_TYPES,
    )
    world.sha256 = stored.sha256
    world.evidence_id = await bids.add_evidence(
        platform,
        provider,
        world.bid_id,
        world.lot.id,
        world.question_id,
        stored,
        max_bid_bytes=25_000_000,
    )
    receipt = await submissions.submit(
        platform, provider, world.bid_id, submissions.new_request_key()
    )
    world.submission_id = receipt.id
    await seat_panel(platform, world, conflicted=True)
    return world


async def seat_panel(platform: Platform, world: World, *, conflicted: bool) -> None:
    members = [world.users[Actor.EVALUATOR].id]
    if conflicted:
        members.append(world.users[Actor.CONFLICTED].id)
    await panels.assign(
        platform,
        world.officer,
        world.tender.id,
        world.lot.id,
        evaluators=members,
        moderator=world.users[Actor.MODERATOR].id,
    )


async def open_and_declare(platform: Platform, world: World) -> None:
    """Opened; the evaluator and the moderator declare no conflict, the conflicted
    evaluator a conflict with provider A."""
    assert (await opening.open_bids(platform, world.officer, world.tender.id)).opened
    for actor in (Actor.EVALUATOR, Actor.MODERATOR):
        await declare_none(platform, world.users[actor], world.tender.id, world.lot.id)
    await panels.declare(
        platform,
        world.users[Actor.CONFLICTED],
        world.tender.id,
        world.lot.id,
        {world.provider.organisation_id: (True, "I was a trustee of provider A until 2025")},
    )


async def moderate(platform: Platform, world: World) -> None:
    """The evaluator scores and submits; the conflicted evaluator is stood down from the
    panel (moderation waits for every evaluator on it); the moderator agrees and signs
    off."""
    evaluator = world.users[Actor.EVALUATOR]
    given = {q.id: ScoreInput(marks(q), "Seen in the answer") for q in world.questions}
    await scores.save(platform, evaluator, world.tender.id, world.lot.id, world.bid_id, given)
    await scores.submit(platform, evaluator, world.tender.id, world.lot.id)
    await seat_panel(platform, world, conflicted=False)
    moderator = world.users[Actor.MODERATOR]
    agreed = {q.id: ScoreInput(marks(q), "Agreed") for q in world.questions}
    await moderation.record(
        platform, moderator, world.tender.id, world.lot.id, world.bid_id, agreed
    )
    await moderation.sign_off(platform, moderator, world.tender.id, world.lot.id)


async def approve(platform: Platform, world: World) -> None:
    made = await awards.make_report(platform, world.officer, world.tender.id)
    world.report_id = made.id
    await awards.approve(
        platform, world.officer, world.tender.id, report_sha256=made.sha256, reasons="Best value"
    )


async def issue(platform: Platform, world: World) -> None:
    await notices.issue(platform, world.officer, world.tender.id)
    own = await Notice.select(Notice.id).where(
        Notice.tender == world.tender.id, Notice.organisation == world.provider.organisation_id
    )
    world.notice_id = own[0]["id"]


async def build_worlds(
    platform: Platform, clock: FixedClock, users: Mapping[Actor, CurrentUser]
) -> dict[State, World]:
    """Every state's tender, moving the clock through the lifecycle; it ends at ``FINAL``."""
    worlds = {State.DRAFT: await draft_world(platform, users)}
    for state in list(State)[1:]:
        worlds[state] = await bidding_world(platform, users, state)
    clock.instant = DEADLINE
    after_opening = list(State)[list(State).index(State.OPENED) :]
    for state in after_opening:
        await open_and_declare(platform, worlds[state])
    for state in after_opening[1:]:
        await moderate(platform, worlds[state])
    for state in (State.APPROVED, State.AWARDED):
        await approve(platform, worlds[state])
    clock.instant = ISSUED
    await issue(platform, worlds[State.AWARDED])
    clock.instant = FINAL
    await notices.confirm(platform, worlds[State.AWARDED].officer, worlds[State.AWARDED].tender.id)
    await issue(platform, worlds[State.APPROVED])
    for world in worlds.values():
        world.tender = await authoring.own_tender(world.officer, world.tender.id)
    return worlds
