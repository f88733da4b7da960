"""Panels and conflicts of interest: an officer forms each lot's panel from the council's own
evaluators and officers, one moderator who does not score; once the bids are opened every
member declares against every named bidder of the lot, and a member who has not declared,
or who declared a conflict, is kept out of the lot's bids. The declarations form the
tender's conflicts record; every change is audited."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from app.accounts import CurrentUser
from app.audit import verify
from app.clock import FixedClock
from app.errors import Invalid, InvalidTransition, NotFound, NotPermitted
from app.platform import Platform
from app.tables import AuditEvent
from app.vocabulary import AuditAction
from evaluation.services import panels
from evaluation.services.panels import CONFLICTED, DECLARE_FIRST, NOT_ON_PANEL
from evaluation.tables import ConflictDeclaration, PanelMember
from evaluation.vocabulary import Clearance, PanelRole
from tenders.services import addenda, bids, opening, submissions
from tenders.services.opening import SEALED
from tenders.services.views import TenderView
from tenders.vocabulary import TenderStatus
from tests.conftest import buyer_officer, provider_user
from tests.evaluation.factories import colleague, open_tender
from tests.tenders.bid_factories import submitted_bid
from tests.tenders.factories import DEADLINE, draft_tender, published_tender


async def events(action: AuditAction) -> list[dict[str, Any]]:
    rows = (
        await AuditEvent.select().where(AuditEvent.action == str(action)).order_by(AuditEvent.seq)
    )
    return [json.loads(row["body"]) for row in rows]


@pytest.fixture
async def officer(platform: Platform) -> CurrentUser:
    return await buyer_officer(platform)


@pytest.fixture
async def tender(platform: Platform, officer: CurrentUser) -> TenderView:
    return await published_tender(platform, officer, lots=2)


@pytest.fixture
async def amy(platform: Platform, officer: CurrentUser) -> CurrentUser:
    return await colleague(platform, officer, "Amy Evans")


@pytest.fixture
async def ben(platform: Platform, officer: CurrentUser) -> CurrentUser:
    return await colleague(platform, officer, "Ben Hart")


@pytest.fixture
async def mo(platform: Platform, officer: CurrentUser) -> CurrentUser:
    return await colleague(platform, officer, "Mo Reid")


@pytest.fixture
async def other_council(platform: Platform) -> CurrentUser:
    return await buyer_officer(platform, "sam.cole@derbyshire.example", "Derbyshire County Council")


@pytest.fixture
async def provider(platform: Platform) -> CurrentUser:
    return await provider_user(platform)


@pytest.fixture
async def lichfield(platform: Platform) -> CurrentUser:
    return await provider_user(platform, "ade@lichfield-care.example", "Lichfield Homecare")


@pytest.fixture
async def seated(
    platform: Platform,
    officer: CurrentUser,
    tender: TenderView,
    amy: CurrentUser,
    ben: CurrentUser,
    mo: CurrentUser,
) -> None:
    """Amy and Mo on lot 1 (evaluator, moderator); Ben evaluates lot 2."""
    first, second = tender.lots
    await panels.assign(
        platform, officer, tender.id, first.id, evaluators=[amy.id], moderator=mo.id
    )
    await panels.assign(
        platform, officer, tender.id, second.id, evaluators=[ben.id], moderator=None
    )


@pytest.fixture
async def opened(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    tender: TenderView,
    provider: CurrentUser,
    lichfield: CurrentUser,
    seated: None,
) -> None:
    """Moorlands bids for both lots, Lichfield for lot 1 only; then the bids are opened."""
    await submitted_bid(platform, provider, tender)
    await submitted_bid(platform, lichfield, tender, lots=1)
    await open_tender(platform, clock, officer, tender.id)


async def resubmit_for_one_lot(
    platform: Platform, provider: CurrentUser, bid_id: UUID, lot_id: UUID
) -> None:
    bid = await bids.own_bid(provider, bid_id)
    await bids.choose_lots(platform, provider, bid_id, [str(lot_id)], bid.version)
    await submissions.submit(platform, provider, bid_id, submissions.new_request_key())


def no_conflict_with(*bidders: CurrentUser) -> dict[UUID, tuple[bool, str]]:
    return {bidder.organisation_id: (False, "") for bidder in bidders}


# Forming panels -----------------------------------------------------------------------------


async def test_officer_forms_a_lots_panel_and_each_arrival_is_audited(
    platform: Platform,
    officer: CurrentUser,
    tender: TenderView,
    amy: CurrentUser,
    ben: CurrentUser,
    mo: CurrentUser,
) -> None:
    lot = tender.lots[0]

    formed = await panels.assign(
        platform, officer, tender.id, str(lot.id), evaluators=[str(ben.id), amy.id], moderator=mo.id
    )

    assert [m.name for m in formed.evaluators] == ["Amy Evans", "Ben Hart"]
    assert formed.moderator == panels.Member(mo.id, "Mo Reid", mo.email, mo.role)
    assert await panels.panel(officer, tender.id) == [
        formed,
        panels.LotPanel(tender.lots[1].id, 2, tender.lots[1].name, (), None),
    ]
    assigned = await events(AuditAction.EVALUATION_PANEL_ASSIGN)
    assert sorted((e["details"]["user"], e["details"]["role"]) for e in assigned) == sorted(
        [(str(amy.id), "evaluator"), (str(ben.id), "evaluator"), (str(mo.id), "moderator")]
    )
    assert {(e["object_id"], e["details"]["lot"], e["actor_id"]) for e in assigned} == {
        (str(tender.id), str(lot.id), str(officer.id))
    }


async def test_panels_formed_at_once_leave_one_of_them_whole(
    platform: Platform,
    officer: CurrentUser,
    tender: TenderView,
    amy: CurrentUser,
    ben: CurrentUser,
    mo: CurrentUser,
) -> None:
    lot = tender.lots[0]

    await asyncio.gather(
        panels.assign(platform, officer, tender.id, lot.id, evaluators=[amy.id], moderator=mo.id),
        panels.assign(platform, officer, tender.id, lot.id, evaluators=[mo.id], moderator=ben.id),
    )

    [formed] = [p for p in await panels.panel(officer, tender.id) if p.lot_id == lot.id]
    assert (formed.evaluators, formed.moderator) in [
        (
            (panels.Member(amy.id, amy.name, amy.email, amy.role),),
            panels.Member(mo.id, mo.name, mo.email, mo.role),
        ),
        (
            (panels.Member(mo.id, mo.name, mo.email, mo.role),),
            panels.Member(ben.id, ben.name, ben.email, ben.role),
        ),
    ]


async def test_officer_may_sit_on_a_panel(
    platform: Platform, officer: CurrentUser, tender: TenderView, amy: CurrentUser
) -> None:
    formed = await panels.assign(
        platform, officer, tender.id, tender.lots[0].id, evaluators=[officer.id], moderator=amy.id
    )
    assert [m.user_id for m in formed.evaluators] == [officer.id]


async def test_assigning_replaces_the_panel_and_audits_every_change(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    tender: TenderView,
    amy: CurrentUser,
    ben: CurrentUser,
    mo: CurrentUser,
) -> None:
    lot = tender.lots[0]
    await panels.assign(
        platform, officer, tender.id, lot.id, evaluators=[amy.id, ben.id], moderator=mo.id
    )
    clock.advance(timedelta(hours=1))
    cy = await colleague(platform, officer, "Cy Lowe")

    # Mo leaves, Ben moves from scoring to moderating, Cy arrives, Amy stays.
    formed = await panels.assign(
        platform, officer, tender.id, lot.id, evaluators=[amy.id, cy.id], moderator=ben.id
    )

    assert [m.name for m in formed.evaluators] == ["Amy Evans", "Cy Lowe"]
    assert formed.moderator == panels.Member(ben.id, "Ben Hart", ben.email, ben.role)
    removed = await events(AuditAction.EVALUATION_PANEL_REMOVE)
    assert [(e["details"]["user"], e["details"]["role"]) for e in removed] == [
        (str(mo.id), "moderator")
    ]
    later = [
        e["details"]
        for e in await events(AuditAction.EVALUATION_PANEL_ASSIGN)
        if e["occurred_at"] == clock.instant.isoformat()
    ]
    assert sorted((d["user"], d["role"], d.get("previous_role")) for d in later) == sorted(
        [(str(ben.id), "moderator", "evaluator"), (str(cy.id), "evaluator", None)]
    )
    assert await PanelMember.count().where(PanelMember.lot == lot.id) == 3


async def test_assigning_the_same_panel_again_writes_nothing(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    tender: TenderView,
    amy: CurrentUser,
    ben: CurrentUser,
    mo: CurrentUser,
) -> None:
    lot = tender.lots[0]
    first = await panels.assign(
        platform, officer, tender.id, lot.id, evaluators=[amy.id, ben.id], moderator=mo.id
    )
    rows = await PanelMember.select().order_by(PanelMember.key)
    audited = await AuditEvent.count()
    clock.advance(timedelta(minutes=5))

    again = await panels.assign(
        platform, officer, tender.id, lot.id, evaluators=[ben.id, amy.id, ben.id], moderator=mo.id
    )

    assert again == first
    assert await PanelMember.select().order_by(PanelMember.key) == rows
    assert await AuditEvent.count() == audited


async def test_only_the_councils_officers_form_panels(
    platform: Platform,
    officer: CurrentUser,
    tender: TenderView,
    amy: CurrentUser,
    other_council: CurrentUser,
    provider: CurrentUser,
) -> None:
    lot = tender.lots[0]
    with pytest.raises(NotPermitted):
        await panels.assign(platform, amy, tender.id, lot.id, evaluators=[amy.id], moderator=None)
    for outsider in (other_council, provider):
        with pytest.raises(NotFound):
            await panels.assign(
                platform, outsider, tender.id, lot.id, evaluators=[amy.id], moderator=None
            )
    with pytest.raises(NotPermitted):
        await panels.panel(amy, tender.id)
    for outsider in (other_council, provider):
        with pytest.raises(NotFound):
            await panels.panel(outsider, tender.id)
    assert await PanelMember.count() == 0
    assert await events(AuditAction.EVALUATION_PANEL_ASSIGN) == []


async def test_a_lot_of_another_tender_is_not_found(
    platform: Platform, officer: CurrentUser, tender: TenderView, amy: CurrentUser
) -> None:
    other = await published_tender(platform, officer, lots=1, title="Home care")
    for lot_id in (other.lots[0].id, uuid4(), "not-an-id"):
        with pytest.raises(NotFound):
            await panels.assign(
                platform, officer, tender.id, lot_id, evaluators=[amy.id], moderator=None
            )


async def test_panels_are_formed_only_for_published_tenders(
    platform: Platform, officer: CurrentUser, tender: TenderView, amy: CurrentUser
) -> None:
    draft_id = await draft_tender(platform, officer, lots=1)
    draft = await opening.council_tender(officer, draft_id)
    with pytest.raises(InvalidTransition) as refused:
        await panels.assign(
            platform, officer, draft_id, draft.lots[0].id, evaluators=[amy.id], moderator=None
        )
    assert refused.value.message == "Publish the tender before you form its panels"

    await addenda.cancel_tender(platform, officer, str(tender.id), {"reason": "Budget withdrawn"})
    with pytest.raises(InvalidTransition) as refused:
        await panels.assign(
            platform, officer, tender.id, tender.lots[0].id, evaluators=[amy.id], moderator=None
        )
    assert refused.value.message == "This tender is cancelled: its panels cannot change"
    assert await PanelMember.count() == 0


@pytest.mark.parametrize("who", ["other council", "provider", "unknown", "not an id"])
async def test_panel_members_come_from_the_officers_own_council(
    platform: Platform,
    officer: CurrentUser,
    tender: TenderView,
    amy: CurrentUser,
    other_council: CurrentUser,
    provider: CurrentUser,
    who: str,
) -> None:
    stranger = {
        "other council": str(other_council.id),
        "provider": str(provider.id),
        "unknown": str(uuid4()),
        "not an id": "amy",
    }[who]
    lot = tender.lots[0]

    with pytest.raises(Invalid) as refused:
        await panels.assign(
            platform, officer, tender.id, lot.id, evaluators=[amy.id, stranger], moderator=None
        )
    assert refused.value.field_errors == {
        "evaluators": "Choose evaluators from your council's evaluators and officers"
    }
    with pytest.raises(Invalid) as refused:
        await panels.assign(
            platform, officer, tender.id, lot.id, evaluators=[amy.id], moderator=stranger
        )
    assert refused.value.field_errors == {
        "moderator": "Choose a moderator from your council's evaluators and officers"
    }
    assert await PanelMember.count() == 0


async def test_a_panel_needs_an_evaluator(
    platform: Platform, officer: CurrentUser, tender: TenderView, mo: CurrentUser
) -> None:
    with pytest.raises(Invalid) as refused:
        await panels.assign(
            platform, officer, tender.id, tender.lots[0].id, evaluators=[], moderator=mo.id
        )
    assert refused.value.field_errors == {"evaluators": "Choose at least one evaluator"}


async def test_the_moderator_cannot_also_score_the_lot(
    platform: Platform, officer: CurrentUser, tender: TenderView, amy: CurrentUser, mo: CurrentUser
) -> None:
    with pytest.raises(Invalid) as refused:
        await panels.assign(
            platform,
            officer,
            tender.id,
            tender.lots[0].id,
            evaluators=[amy.id, mo.id],
            moderator=mo.id,
        )
    assert refused.value.field_errors == {"moderator": "The moderator cannot also score this lot"}
    assert await PanelMember.count() == 0


async def test_a_member_sees_the_lots_where_they_sit(
    tender: TenderView,
    amy: CurrentUser,
    ben: CurrentUser,
    mo: CurrentUser,
    officer: CurrentUser,
    seated: None,
) -> None:
    first, second = tender.lots
    [seat] = (await panels.my_lots(mo)).items
    assert seat == panels.Seat(
        tender.id,
        tender.title,
        tender.reference,
        tender.stored_status,
        first.id,
        1,
        first.name,
        PanelRole.MODERATOR,
    )
    assert [(s.lot_id, s.role) for s in (await panels.my_lots(amy)).items] == [
        (first.id, PanelRole.EVALUATOR)
    ]
    assert [(s.lot_id, s.role) for s in (await panels.my_lots(ben)).items] == [
        (second.id, PanelRole.EVALUATOR)
    ]
    assert (await panels.my_lots(officer)).items == []


async def test_a_members_seats_come_a_page_at_a_time_the_work_still_to_do_first(
    platform: Platform,
    officer: CurrentUser,
    tender: TenderView,
    amy: CurrentUser,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(panels, "SEATS_PAGE_SIZE", 3)
    later = await published_tender(platform, officer, lots=2, title="Overnight support")
    for each in (tender, later):
        for lot in each.lots:
            await panels.assign(
                platform, officer, each.id, lot.id, evaluators=[amy.id], moderator=None
            )
    seats = [seat for page in (1, 2) for seat in (await panels.my_lots(amy, page)).items]
    by_reference = sorted((tender, later), key=lambda t: (t.reference, str(t.id)))
    assert [(s.tender_id, s.lot_number) for s in seats] == [
        (each.id, lot.number) for each in by_reference for lot in each.lots
    ]

    # Once a tender is cancelled, its seats follow those with work still to do.
    await addenda.cancel_tender(platform, officer, str(tender.id), {"reason": "Funding withdrawn"})
    first = await panels.my_lots(amy)
    assert (first.number, first.pages, first.total) == (1, 2, 4)
    assert [(s.tender_id, s.lot_number) for s in first.items] == [
        (later.id, 1),
        (later.id, 2),
        (tender.id, 1),
    ]
    last = await panels.my_lots(amy, 7)  # past the last: the last
    assert last.number == 2
    assert [(s.tender_id, s.lot_number, s.tender_status) for s in last.items] == [
        (tender.id, 2, TenderStatus.CANCELLED)
    ]


# Bidders --------------------------------------------------------------------------------------


async def test_bidders_are_sealed_until_opening(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    tender: TenderView,
    amy: CurrentUser,
    provider: CurrentUser,
    seated: None,
) -> None:
    await submitted_bid(platform, provider, tender)
    lot = tender.lots[0]
    for when in (DEADLINE - timedelta(days=1), DEADLINE + timedelta(hours=1)):
        clock.instant = when
        for actor in (officer, amy):
            with pytest.raises(NotPermitted) as refused:
                await panels.bidders(actor, tender.id, lot.id)
            assert refused.value.message == SEALED
        with pytest.raises(NotPermitted) as refused:
            await panels.declare(platform, amy, tender.id, lot.id, no_conflict_with(provider))
        assert refused.value.message == SEALED
        with pytest.raises(NotPermitted) as refused:
            await panels.require_cleared(amy, tender.id, lot.id)
        assert refused.value.message == SEALED
    assert await ConflictDeclaration.count() == 0


async def test_bidders_of_a_lot_are_its_current_submissions(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    tender: TenderView,
    provider: CurrentUser,
    lichfield: CurrentUser,
    seated: None,
) -> None:
    first, second = tender.lots
    await submitted_bid(platform, provider, tender)
    # Lichfield bids for both lots, then resubmits for lot 2 alone.
    bid_id, _ = await submitted_bid(platform, lichfield, tender)
    await resubmit_for_one_lot(platform, lichfield, bid_id, second.id)
    # Ashby submits and withdraws; Draft Care never submits.
    ashby = await provider_user(platform, "jo@ashby-care.example", "Ashby Care")
    ashby_bid, _ = await submitted_bid(platform, ashby, tender)
    await submissions.withdraw(platform, ashby, ashby_bid, "We cannot staff it")
    await open_tender(platform, clock, officer, tender.id)

    (only,) = await panels.bidders(officer, tender.id, first.id)
    assert (only.organisation_id, only.name) == (
        provider.organisation_id,
        "Moorlands Supported Living CIC",
    )
    assert [b.name for b in await panels.bidders(officer, tender.id, second.id)] == [
        "Lichfield Homecare",
        "Moorlands Supported Living CIC",
    ]


async def test_bidders_are_for_the_lots_panel_and_the_officers(
    platform: Platform,
    officer: CurrentUser,
    tender: TenderView,
    amy: CurrentUser,
    ben: CurrentUser,
    mo: CurrentUser,
    other_council: CurrentUser,
    provider: CurrentUser,
    opened: None,
) -> None:
    first = tender.lots[0]
    names = ["Lichfield Homecare", "Moorlands Supported Living CIC"]
    for actor in (officer, amy, mo):
        assert [b.name for b in await panels.bidders(actor, tender.id, first.id)] == names
    idle = await colleague(platform, officer, "Ida Cole")
    # Ben evaluates lot 2: lot 1 is not his business.
    for actor in (ben, idle, other_council, provider):
        with pytest.raises(NotFound):
            await panels.bidders(actor, tender.id, first.id)


# Declaring conflicts of interest --------------------------------------------------------------


async def test_an_evaluator_declares_against_every_bidder_and_is_cleared(
    platform: Platform,
    clock: FixedClock,
    tender: TenderView,
    amy: CurrentUser,
    provider: CurrentUser,
    lichfield: CurrentUser,
    opened: None,
) -> None:
    lot = tender.lots[0]
    with pytest.raises(NotPermitted) as refused:
        await panels.require_cleared(amy, tender.id, lot.id)
    assert refused.value.message == DECLARE_FIRST

    await panels.declare(
        platform,
        amy,
        tender.id,
        lot.id,
        {str(k): v for k, v in no_conflict_with(provider, lichfield).items()},
    )

    assert (await panels.require_cleared(amy, tender.id, lot.id)).role is PanelRole.EVALUATOR
    declared = await events(AuditAction.EVALUATION_CONFLICT_DECLARE)
    assert sorted(e["details"]["organisation"] for e in declared) == sorted(
        [str(provider.organisation_id), str(lichfield.organisation_id)]
    )
    assert all(e["details"]["conflict"] is False and e["actor_id"] == str(amy.id) for e in declared)


async def test_the_moderator_declares_too(
    platform: Platform,
    tender: TenderView,
    mo: CurrentUser,
    provider: CurrentUser,
    lichfield: CurrentUser,
    opened: None,
) -> None:
    lot = tender.lots[0]
    with pytest.raises(NotPermitted) as refused:
        await panels.require_cleared(mo, tender.id, lot.id)
    assert refused.value.message == DECLARE_FIRST
    await panels.declare(platform, mo, tender.id, lot.id, no_conflict_with(provider, lichfield))
    assert (await panels.require_cleared(mo, tender.id, lot.id)).role is PanelRole.MODERATOR


async def test_a_declaration_must_cover_every_bidder(
    platform: Platform,
    tender: TenderView,
    amy: CurrentUser,
    provider: CurrentUser,
    lichfield: CurrentUser,
    other_council: CurrentUser,
    opened: None,
) -> None:
    lot = tender.lots[0]
    lichfield_org = lichfield.organisation_id

    with pytest.raises(Invalid) as refused:
        await panels.declare(platform, amy, tender.id, lot.id, no_conflict_with(provider))
    assert refused.value.field_errors == {
        f"org-{lichfield_org}": (
            "Select whether you have a conflict of interest with Lichfield Homecare"
        )
    }
    with pytest.raises(Invalid) as refused:
        await panels.declare(
            platform,
            amy,
            tender.id,
            lot.id,
            {**no_conflict_with(provider, lichfield, other_council), "nobody": (False, "")},
        )
    assert refused.value.field_errors == {
        f"org-{other_council.organisation_id}": "Declare against the bidders of this lot only",
        "org-nobody": "Declare against the bidders of this lot only",
    }
    assert await ConflictDeclaration.count() == 0
    assert await events(AuditAction.EVALUATION_CONFLICT_DECLARE) == []


async def test_a_conflict_needs_a_description(
    platform: Platform,
    tender: TenderView,
    amy: CurrentUser,
    provider: CurrentUser,
    lichfield: CurrentUser,
    opened: None,
) -> None:
    lot = tender.lots[0]
    moorlands, lichfield_org = provider.organisation_id, lichfield.organisation_id

    with pytest.raises(Invalid) as refused:
        await panels.declare(
            platform,
            amy,
            tender.id,
            lot.id,
            {moorlands: (True, "   "), lichfield_org: (True, "x" * 2001)},
        )

    assert refused.value.field_errors == {
        f"description-{moorlands}": (
            "Describe your conflict of interest with Moorlands Supported Living CIC"
        ),
        f"description-{lichfield_org}": "The description must be 2000 characters or fewer",
    }
    assert await ConflictDeclaration.count() == 0


async def test_a_conflicted_evaluator_is_kept_out_of_the_lot(
    platform: Platform,
    tender: TenderView,
    amy: CurrentUser,
    provider: CurrentUser,
    lichfield: CurrentUser,
    opened: None,
) -> None:
    lot = tender.lots[0]
    await panels.declare(
        platform,
        amy,
        tender.id,
        lot.id,
        {
            provider.organisation_id: (True, "My sister manages their Stafford office."),
            lichfield.organisation_id: (False, "ignored when there is no conflict"),
        },
    )

    with pytest.raises(NotPermitted) as refused:
        await panels.require_cleared(amy, tender.id, lot.id)
    assert refused.value.message == CONFLICTED
    rows = await ConflictDeclaration.select(
        ConflictDeclaration.organisation,
        ConflictDeclaration.conflict,
        ConflictDeclaration.description,
    )
    assert sorted(
        (str(r["organisation"]), r["conflict"], r["description"]) for r in rows
    ) == sorted(
        [
            (str(provider.organisation_id), True, "My sister manages their Stafford office."),
            (str(lichfield.organisation_id), False, ""),
        ]
    )


async def test_no_conflict_may_later_become_a_conflict(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    tender: TenderView,
    amy: CurrentUser,
    provider: CurrentUser,
    lichfield: CurrentUser,
    opened: None,
) -> None:
    lot = tender.lots[0]
    await panels.declare(platform, amy, tender.id, lot.id, no_conflict_with(provider, lichfield))
    first_time = clock.instant
    clock.advance(timedelta(days=1))

    await panels.declare(
        platform,
        amy,
        tender.id,
        lot.id,
        {
            provider.organisation_id: (False, ""),
            lichfield.organisation_id: (True, "I found I worked for them in 2023."),
        },
    )

    record = {r.organisation_name: r for r in await panels.conflicts_record(officer, tender.id)}
    late = record["Lichfield Homecare"]
    assert (late.conflict, late.first_declared_at, late.declared_at) == (
        True,
        first_time,
        clock.instant,
    )
    unchanged = record["Moorlands Supported Living CIC"]
    assert (unchanged.conflict, unchanged.declared_at) == (False, first_time)
    declared = await events(AuditAction.EVALUATION_CONFLICT_DECLARE)
    assert len(declared) == 3
    assert declared[-1]["details"] == {
        "lot": str(lot.id),
        "organisation": str(lichfield.organisation_id),
        "role": "evaluator",
        "conflict": True,
        "description": "I found I worked for them in 2023.",
        "revised": True,
    }
    with pytest.raises(NotPermitted) as refused:
        await panels.require_cleared(amy, tender.id, lot.id)
    assert refused.value.message == CONFLICTED


async def test_a_declared_conflict_stands(
    platform: Platform,
    tender: TenderView,
    amy: CurrentUser,
    provider: CurrentUser,
    lichfield: CurrentUser,
    opened: None,
) -> None:
    lot = tender.lots[0]
    moorlands, lichfield_org = provider.organisation_id, lichfield.organisation_id
    conflicted = {moorlands: (True, "A former employer."), lichfield_org: (False, "")}
    await panels.declare(platform, amy, tender.id, lot.id, conflicted)
    stored = await ConflictDeclaration.select().order_by(ConflictDeclaration.key)

    with pytest.raises(Invalid) as refused:
        await panels.declare(
            platform, amy, tender.id, lot.id, no_conflict_with(provider, lichfield)
        )
    assert refused.value.field_errors == {
        f"org-{moorlands}": (
            "You declared a conflict of interest with Moorlands Supported Living CIC: it cannot "
            "be withdrawn. The procurement officer can reassign the lot"
        )
    }
    with pytest.raises(Invalid) as refused:
        await panels.declare(
            platform,
            amy,
            tender.id,
            lot.id,
            {moorlands: (True, "Only a friend."), lichfield_org: (True, "Newly found.")},
        )
    assert list(refused.value.field_errors) == [f"description-{moorlands}"]
    assert refused.value.field_errors[f"description-{moorlands}"].endswith(": it cannot be changed")
    # Nothing was written, not even the new conflict that was allowed.
    assert await ConflictDeclaration.select().order_by(ConflictDeclaration.key) == stored
    assert len(await events(AuditAction.EVALUATION_CONFLICT_DECLARE)) == 2


async def test_declaring_the_same_again_writes_nothing(
    platform: Platform,
    clock: FixedClock,
    tender: TenderView,
    amy: CurrentUser,
    provider: CurrentUser,
    lichfield: CurrentUser,
    opened: None,
) -> None:
    lot = tender.lots[0]
    declared = {
        provider.organisation_id: (True, "A former employer."),
        lichfield.organisation_id: (False, ""),
    }
    await panels.declare(platform, amy, tender.id, lot.id, declared)
    stored = await ConflictDeclaration.select().order_by(ConflictDeclaration.key)
    audited = await AuditEvent.count()
    clock.advance(timedelta(minutes=1))

    await panels.declare(platform, amy, tender.id, lot.id, declared)

    assert await ConflictDeclaration.select().order_by(ConflictDeclaration.key) == stored
    assert await AuditEvent.count() == audited


async def test_the_same_declarations_posted_at_once_are_written_once(
    platform: Platform,
    tender: TenderView,
    amy: CurrentUser,
    provider: CurrentUser,
    lichfield: CurrentUser,
    opened: None,
) -> None:
    lot = tender.lots[0]
    declared = no_conflict_with(provider, lichfield)

    await asyncio.gather(
        *(panels.declare(platform, amy, tender.id, lot.id, declared) for _ in range(3))
    )

    assert await ConflictDeclaration.count() == 2
    assert len(await events(AuditAction.EVALUATION_CONFLICT_DECLARE)) == 2


async def test_only_the_lots_panel_declares(
    platform: Platform,
    officer: CurrentUser,
    tender: TenderView,
    ben: CurrentUser,
    other_council: CurrentUser,
    provider: CurrentUser,
    lichfield: CurrentUser,
    opened: None,
) -> None:
    lot = tender.lots[0]
    declared = no_conflict_with(provider, lichfield)
    with pytest.raises(NotPermitted) as refused:
        await panels.declare(platform, officer, tender.id, lot.id, declared)
    assert refused.value.message == NOT_ON_PANEL
    with pytest.raises(NotPermitted) as refused:
        await panels.require_cleared(officer, tender.id, lot.id)
    assert refused.value.message == NOT_ON_PANEL
    for outsider in (ben, other_council, provider):
        with pytest.raises(NotFound):
            await panels.declare(platform, outsider, tender.id, lot.id, declared)
        with pytest.raises(NotFound):
            await panels.require_cleared(outsider, tender.id, lot.id)
    assert await ConflictDeclaration.count() == 0


async def test_a_member_taken_off_the_panel_can_no_longer_declare(
    platform: Platform,
    officer: CurrentUser,
    tender: TenderView,
    amy: CurrentUser,
    ben: CurrentUser,
    provider: CurrentUser,
    lichfield: CurrentUser,
    opened: None,
) -> None:
    lot = tender.lots[0]
    await panels.declare(
        platform,
        amy,
        tender.id,
        lot.id,
        {
            provider.organisation_id: (True, "A former employer."),
            lichfield.organisation_id: (False, ""),
        },
    )
    # The officer reassigns the lot: Ben replaces Amy.
    await panels.assign(platform, officer, tender.id, lot.id, evaluators=[ben.id], moderator=None)

    with pytest.raises(NotFound):
        await panels.declare(
            platform, amy, tender.id, lot.id, no_conflict_with(provider, lichfield)
        )
    # Her declarations stay in the record.
    assert [
        (r.evaluator_name, r.organisation_name, r.conflict)
        for r in await panels.conflicts_record(officer, tender.id)
    ] == [
        ("Amy Evans", "Lichfield Homecare", False),
        ("Amy Evans", "Moorlands Supported Living CIC", True),
    ]


# The conflicts record -------------------------------------------------------------------------


async def test_the_conflicts_record_lists_every_declaration_for_the_officers(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    tender: TenderView,
    amy: CurrentUser,
    ben: CurrentUser,
    mo: CurrentUser,
    other_council: CurrentUser,
    provider: CurrentUser,
    lichfield: CurrentUser,
    opened: None,
) -> None:
    first, second = tender.lots
    await panels.declare(platform, mo, tender.id, first.id, no_conflict_with(provider, lichfield))
    clock.advance(timedelta(minutes=10))
    await panels.declare(
        platform,
        amy,
        tender.id,
        first.id,
        {provider.organisation_id: (False, ""), lichfield.organisation_id: (True, "My cousin.")},
    )
    await panels.declare(platform, ben, tender.id, second.id, no_conflict_with(provider))

    record = await panels.conflicts_record(officer, tender.id)

    assert [
        (
            r.lot_number,
            r.evaluator_name,
            r.organisation_name,
            r.conflict,
            r.description,
            r.declared_at,
        )
        for r in record
    ] == [
        (1, "Amy Evans", "Lichfield Homecare", True, "My cousin.", clock.instant),
        (1, "Amy Evans", "Moorlands Supported Living CIC", False, "", clock.instant),
        (1, "Mo Reid", "Lichfield Homecare", False, "", DEADLINE),
        (1, "Mo Reid", "Moorlands Supported Living CIC", False, "", DEADLINE),
        (2, "Ben Hart", "Moorlands Supported Living CIC", False, "", clock.instant),
    ]
    with pytest.raises(NotPermitted):
        await panels.conflicts_record(amy, tender.id)
    for outsider in (other_council, provider):
        with pytest.raises(NotFound):
            await panels.conflicts_record(outsider, tender.id)
    assert (await verify(platform)).ok


async def test_the_officer_chooses_a_panel_from_the_councils_own_people(
    platform: Platform, officer: CurrentUser, amy: CurrentUser, other_council: CurrentUser
) -> None:
    people = await panels.candidates(officer)
    assert [(p.name, p.role) for p in people] == [
        ("Amy Evans", "evaluator"),
        (officer.name, "officer"),
    ]
    with pytest.raises(NotPermitted):
        await panels.candidates(amy)


async def test_a_member_reads_back_where_they_stand_and_what_they_declared(
    platform: Platform,
    clock: FixedClock,
    officer: CurrentUser,
    tender: TenderView,
    provider: CurrentUser,
    lichfield: CurrentUser,
    amy: CurrentUser,
    mo: CurrentUser,
    seated: None,
) -> None:
    lot = tender.lots[0]
    sealed = await panels.standing(amy, tender.id, lot.id)
    assert (sealed.clearance, sealed.bidders, sealed.declarations) == (Clearance.SEALED, (), {})
    await submitted_bid(platform, provider, tender)
    await submitted_bid(platform, lichfield, tender, lots=1)
    await open_tender(platform, clock, officer, tender.id)
    assert (await panels.standing(amy, tender.id, lot.id)).clearance is Clearance.DECLARE

    await panels.declare(
        platform,
        amy,
        tender.id,
        lot.id,
        {
            provider.organisation_id: (False, ""),
            lichfield.organisation_id: (True, "My sister manages it"),
        },
    )
    found = await panels.standing(amy, tender.id, lot.id)
    assert found.clearance is Clearance.CONFLICTED
    assert found.conflicted_with == ["Lichfield Homecare"]
    assert found.declarations[lichfield.organisation_id].description == "My sister manages it"
    assert not found.declarations[provider.organisation_id].conflict
    # The moderator stands apart: not yet declared.
    assert (await panels.standing(mo, tender.id, lot.id)).clearance is Clearance.DECLARE
    with pytest.raises(NotPermitted):
        await panels.standing(officer, tender.id, lot.id)
