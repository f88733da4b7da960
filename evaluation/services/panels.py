"""Evaluation panels and conflicts of interest.

An officer of the tender's council forms each lot's panel from the council's own people:
evaluators, who score the lot's bids, and at most one moderator, who agrees the consensus
and so does not score the lot. Once the bids are opened, every member of a lot's panel
declares against each named bidder of the lot "no conflict" or a conflict with its
description (rule 7). The moderator declares too: the moderator reads every bid and every
evaluator's score. A member who has not declared, or who declared a conflict, is kept out
of the lot's bids (``require_cleared``). The declarations form the tender's conflicts
record.

A lot is the business of the council's officers and of its own panel: anyone else, a member
of another lot's panel included, is told it is not found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from app import database
from app.accounts import CurrentUser
from app.errors import Invalid, InvalidTransition, NotFound, NotPermitted
from app.paging import Page, page_number
from app.platform import Platform
from app.tables import User
from app.templating import london_time
from app.vocabulary import BUYER_ROLES, AuditAction, Role
from evaluation.tables import ConflictDeclaration, PanelMember, SignOff
from evaluation.vocabulary import Clearance, PanelRole
from tenders.services import events
from tenders.services.bids import parse_id, parse_lot_ids, plain_text
from tenders.services.opening import (
    SEALED,
    council_tender,
    current_submissions,
    require_opened,
)
from tenders.services.views import LotView, TenderView, as_uuid
from tenders.tables import Submission
from tenders.vocabulary import TenderStatus

#: Enough for a paragraph on who knows whom, and how.
MAX_DESCRIPTION = 2000
DECLARE_FIRST = "Declare any conflicts of interest before you read the bids"
CONFLICTED = (
    "You declared a conflict with a bidder of this lot, so you cannot score it. "
    "The procurement officer can reassign the lot"
)
NOT_ON_PANEL = "Only the members of this lot's panel can do that"
FROM_COUNCIL = "Choose {} from your council's evaluators and officers"
OTHER_BIDDER = "Declare against the bidders of this lot only"


@dataclass(frozen=True)
class Member:
    user_id: UUID
    name: str
    email: str
    #: At the council: an officer or an evaluator.
    role: Role


@dataclass(frozen=True)
class LotPanel:
    lot_id: UUID
    lot_number: int
    lot_name: str
    #: By name.
    evaluators: tuple[Member, ...]
    moderator: Member | None


@dataclass(frozen=True)
class Seat:
    """A lot on whose panel someone sits."""

    tender_id: UUID
    tender_title: str
    tender_reference: str
    #: As stored: ``closed`` follows from the clock.
    tender_status: TenderStatus
    lot_id: UUID
    lot_number: int
    lot_name: str
    role: PanelRole


@dataclass(frozen=True)
class Bidder:
    """A bid for the lot, as its sealed submission that counts."""

    organisation_id: UUID
    name: str
    bid_id: UUID
    submission_id: UUID
    #: The final submission's: the earlier wins a tie.
    received_at: datetime


@dataclass(frozen=True)
class Cleared:
    """A lot whose bids the actor may read, and the actor's seat on its panel."""

    tender: TenderView
    lot: LotView
    role: PanelRole


@dataclass(frozen=True)
class DeclarationRecord:
    """One line of a tender's conflicts record."""

    lot_id: UUID
    lot_number: int
    lot_name: str
    evaluator_id: UUID
    evaluator_name: str
    organisation_id: UUID
    organisation_name: str
    conflict: bool
    description: str
    first_declared_at: datetime
    #: Later than ``first_declared_at`` when a conflict was declared after "no conflict".
    declared_at: datetime


def member_key(lot_id: UUID, user_id: UUID) -> str:
    return f"{lot_id}:{user_id}"


def declaration_key(lot_id: UUID, evaluator_id: UUID, organisation_id: UUID) -> str:
    return f"{lot_id}:{evaluator_id}:{organisation_id}"


def _require_officer(actor: CurrentUser) -> None:
    if not actor.is_officer:
        raise NotPermitted()


async def _council_lot(
    actor: CurrentUser, tender_id: str | UUID, lot_id: str | UUID
) -> tuple[TenderView, LotView]:
    tender = await council_tender(actor, tender_id)
    wanted = parse_id(lot_id)
    lot = next((lot for lot in tender.lots if lot.id == wanted), None)
    if lot is None:
        raise NotFound()
    return tender, lot


async def seat_role(lot_id: UUID, user_id: UUID, *, hold: bool = False) -> PanelRole | None:
    """The person's role on the lot's panel, if any. With ``hold``, inside a write
    transaction, the seat stays as read until commit (PostgreSQL; SQLite writers already
    take turns).

    Holding takes a share of the lot's row first: ``assign`` locks the lot's row and then
    its seats, and what the member then writes refers to the lot (its foreign key shares
    the row anyway), so taking them in the other order would deadlock beside it."""
    query = PanelMember.select(PanelMember.role).where(
        PanelMember.key == member_key(lot_id, user_id)
    )
    if hold and not database.is_sqlite():
        await database.fetch("SELECT id FROM lot WHERE id = {} FOR KEY SHARE", lot_id)
        query = query.lock_rows()
    rows = await query
    return PanelRole(rows[0]["role"]) if rows else None


async def visible_lot(
    actor: CurrentUser, tender_id: str | UUID, lot_id: str | UUID
) -> tuple[TenderView, LotView, PanelRole | None]:
    """A lot of the actor's council that the actor may know of, with the actor's seat on
    its panel: the council's officers see every lot, anyone else only their own."""
    tender, lot = await _council_lot(actor, tender_id, lot_id)
    role = await seat_role(lot.id, actor.id)
    if role is None and not actor.is_officer:
        raise NotFound()
    return tender, lot, role


# Panels -------------------------------------------------------------------------------


def _parse_people(values: Sequence[UUID | str]) -> list[UUID] | None:
    """The ids in the order given, each once; None when one is not an id at all."""
    people: list[UUID] = []
    for value in values:
        try:
            person = as_uuid(value)
        except ValueError:
            return None
        if person not in people:
            people.append(person)
    return people


async def _chosen_panel(
    officer: CurrentUser, evaluators: Sequence[UUID | str], moderator: UUID | str | None
) -> dict[UUID, PanelRole]:
    """Each person chosen with their role. Raises ``Invalid`` (``evaluators``,
    ``moderator``)."""
    evaluator_ids = _parse_people(evaluators)
    moderator_ids = _parse_people([moderator] if moderator else [])
    chosen = [*(evaluator_ids or []), *(moderator_ids or [])]
    rows = (
        await User.select(User.id).where(
            User.id.is_in(chosen),
            User.organisation == officer.organisation_id,
            User.role.is_in(list(BUYER_ROLES)),
        )
        if chosen
        else []
    )
    eligible = {as_uuid(row["id"]) for row in rows}
    errors: dict[str, str] = {}
    if evaluator_ids is None or not eligible.issuperset(evaluator_ids):
        errors["evaluators"] = FROM_COUNCIL.format("evaluators")
    elif not evaluator_ids:
        errors["evaluators"] = "Choose at least one evaluator"
    if moderator_ids is None or not eligible.issuperset(moderator_ids):
        errors["moderator"] = FROM_COUNCIL.format("a moderator")
    elif evaluator_ids and set(moderator_ids) & set(evaluator_ids):
        errors["moderator"] = "The moderator cannot also score this lot"
    if errors or evaluator_ids is None or moderator_ids is None:
        raise Invalid(errors)
    return {
        **dict.fromkeys(evaluator_ids, PanelRole.EVALUATOR),
        **dict.fromkeys(moderator_ids, PanelRole.MODERATOR),
    }


async def candidates(officer: CurrentUser) -> list[Member]:
    """Everyone at the officer's council who may sit on a panel, by name.

    Raises ``NotPermitted`` (not a council's officer)."""
    if not (officer.is_buyer and officer.is_officer):
        raise NotPermitted()
    rows = (
        await User.select(User.id, User.name, User.email, User.role)
        .where(
            User.organisation == officer.organisation_id,
            User.role.is_in(list(BUYER_ROLES)),
        )
        .order_by(User.name)
    )
    return [
        Member(as_uuid(row["id"]), row["name"], row["email"], Role(row["role"])) for row in rows
    ]


async def _lot_panels(tender: TenderView, lot_ids: Sequence[UUID]) -> list[LotPanel]:
    rows = (
        await PanelMember.select(
            PanelMember.lot,
            PanelMember.role,
            PanelMember.user.id.as_alias("user_id"),
            PanelMember.user.name.as_alias("name"),
            PanelMember.user.email.as_alias("email"),
            PanelMember.user.role.as_alias("user_role"),
        )
        .where(PanelMember.tender == tender.id)
        .order_by(PanelMember.user.name)
    )
    panels = []
    for lot in tender.lots:
        if lot.id not in lot_ids:
            continue
        seats = [
            (
                PanelRole(row["role"]),
                Member(as_uuid(row["user_id"]), row["name"], row["email"], Role(row["user_role"])),
            )
            for row in rows
            if as_uuid(row["lot"]) == lot.id
        ]
        panels.append(
            LotPanel(
                lot.id,
                lot.number,
                lot.name,
                tuple(member for role, member in seats if role is PanelRole.EVALUATOR),
                next((member for role, member in seats if role is PanelRole.MODERATOR), None),
            )
        )
    return panels


async def assign(
    platform: Platform,
    officer: CurrentUser,
    tender_id: str | UUID,
    lot_id: str | UUID,
    *,
    evaluators: Sequence[UUID | str],
    moderator: UUID | str | None,
) -> LotPanel:
    """Make the lot's panel exactly the evaluators and moderator given: people left out
    leave it, and each arrival, departure and change of role is audited. The same panel
    again changes nothing.

    Raises ``NotFound`` (not a lot of the officer's council), ``NotPermitted`` (not an
    officer), ``InvalidTransition`` (a draft or cancelled tender) and ``Invalid``
    (``evaluators``, ``moderator``).
    """
    async with database.write_transaction():
        tender, lot = await _council_lot(officer, tender_id, lot_id)
        _require_officer(officer)
        if tender.stored_status is TenderStatus.DRAFT:
            raise InvalidTransition("Publish the tender before you form its panels")
        if tender.stored_status is TenderStatus.CANCELLED:
            raise InvalidTransition("This tender is cancelled: its panels cannot change")
        wanted = await _chosen_panel(officer, evaluators, moderator)
        if not database.is_sqlite():
            # One officer at a time changes a lot's panel, so it never has two moderators;
            # and not while its moderator signs it off (see ``seat_role``).
            await database.fetch("SELECT id FROM lot WHERE id = {} FOR UPDATE", lot.id)
        if await SignOff.exists().where(SignOff.lot == lot.id):
            raise InvalidTransition(
                "This lot's consensus has been signed off: its panel cannot change"
            )
        current = {
            as_uuid(row["user"]): PanelRole(row["role"])
            for row in await PanelMember.select(PanelMember.user, PanelMember.role).where(
                PanelMember.lot == lot.id
            )
        }
        now = platform.clock.now()
        for person in sorted(current.keys() - wanted.keys(), key=str):
            await PanelMember.delete().where(PanelMember.key == member_key(lot.id, person))
            await events.record(
                platform,
                officer,
                AuditAction.EVALUATION_PANEL_REMOVE,
                tender.id,
                {"lot": lot.id, "user": person, "role": current[person]},
            )
        for person, role in sorted(wanted.items(), key=lambda item: str(item[0])):
            before = current.get(person)
            if before is role:
                continue
            details: dict[str, Any] = {"lot": lot.id, "user": person, "role": role}
            if before is None:
                await PanelMember.insert(
                    PanelMember(
                        id=uuid4(),
                        tender=tender.id,
                        lot=lot.id,
                        user=person,
                        role=role,
                        assigned_by=officer.id,
                        assigned_at=now,
                        key=member_key(lot.id, person),
                    )
                )
            else:
                await PanelMember.update(
                    {
                        PanelMember.role: role,
                        PanelMember.assigned_by: officer.id,
                        PanelMember.assigned_at: now,
                    }
                ).where(PanelMember.key == member_key(lot.id, person))
                details["previous_role"] = before
            await events.record(
                platform, officer, AuditAction.EVALUATION_PANEL_ASSIGN, tender.id, details
            )
        return (await _lot_panels(tender, [lot.id]))[0]


async def panel(officer: CurrentUser, tender_id: str | UUID) -> list[LotPanel]:
    """Every lot's panel, in lot order, for the council's officers.

    Raises ``NotFound`` (not a tender of the actor's council) and ``NotPermitted`` (not an
    officer).
    """
    tender = await council_tender(officer, tender_id)
    _require_officer(officer)
    return await _lot_panels(tender, [lot.id for lot in tender.lots])


SEATS_PAGE_SIZE = 20
# The seats whose work may not be over first: a panel's work ends when its tender is
# awarded or cancelled.
_SEATS_SQL = (
    "SELECT tender.id AS tender_id, tender.title AS tender_title,"
    " tender.reference AS tender_reference, tender.status AS tender_status,"
    " lot.id AS lot_id, lot.number AS lot_number, lot.name AS lot_name, panel_member.role"
    " FROM panel_member JOIN tender ON tender.id = panel_member.tender"
    " JOIN lot ON lot.id = panel_member.lot"
    ' WHERE panel_member."user" = {}'
    " ORDER BY CASE WHEN tender.status IN ({}, {}) THEN 1 ELSE 0 END,"
    " tender.reference, tender.id, lot.number LIMIT {} OFFSET {}"
)


async def my_lots(actor: CurrentUser, page: int = 1) -> Page[Seat]:
    """The lots on whose panels the actor sits, ``SEATS_PAGE_SIZE`` a page: those of
    tenders not yet awarded or cancelled first, then by tender reference and lot number."""
    total = await PanelMember.count().where(PanelMember.user == actor.id)
    number = page_number(page, total, SEATS_PAGE_SIZE)
    rows = await database.fetch(
        _SEATS_SQL,
        actor.id,
        TenderStatus.AWARDED.value,
        TenderStatus.CANCELLED.value,
        SEATS_PAGE_SIZE,
        (number - 1) * SEATS_PAGE_SIZE,
    )
    seats = [
        Seat(
            as_uuid(row["tender_id"]),
            row["tender_title"],
            row["tender_reference"],
            TenderStatus(row["tender_status"]),
            as_uuid(row["lot_id"]),
            row["lot_number"],
            row["lot_name"],
            PanelRole(row["role"]),
        )
        for row in rows
    ]
    return Page(seats, number, total, SEATS_PAGE_SIZE)


# Bidders and conflicts of interest ----------------------------------------------------


async def lot_bidders(tender_id: UUID, lot_id: UUID) -> list[Bidder]:
    """The lot's bids by the bidder's name, with no check of who asks."""
    rows = await current_submissions(
        tender_id,
        Submission.id,
        Submission.bid,
        Submission.received_at,
        Submission.lots,
        Submission.bid.organisation.id.as_alias("organisation_id"),
        Submission.bid.organisation.name.as_alias("organisation_name"),
    )
    bidders = [
        Bidder(
            as_uuid(row["organisation_id"]),
            row["organisation_name"],
            as_uuid(row["bid"]),
            as_uuid(row["id"]),
            row["received_at"],
        )
        for row in rows
        if lot_id in parse_lot_ids(row["lots"])
    ]
    return sorted(bidders, key=lambda b: (b.name.casefold(), str(b.organisation_id)))


async def bidders(actor: CurrentUser, tender_id: str | UUID, lot_id: str | UUID) -> list[Bidder]:
    """The organisations bidding for the lot, by name, once the bids are opened: for the
    lot's panel and the council's officers.

    Raises ``NotFound`` (not a lot the actor may know of) and ``NotPermitted`` (before
    opening: even the bidders' names are sealed).
    """
    tender, lot, _ = await visible_lot(actor, tender_id, lot_id)
    require_opened(tender)
    return await lot_bidders(tender.id, lot.id)


def _cleaned_declarations(
    declarations: Mapping[UUID | str, tuple[bool, str]], bidders: Sequence[Bidder]
) -> dict[UUID, tuple[bool, str]]:
    """Each bidder's declaration, cleaned. Raises ``Invalid`` keyed ``org-<id>`` for a
    bidder left out (or an organisation that is not a bidder) and ``description-<id>``."""
    errors: dict[str, str] = {}
    given: dict[UUID, tuple[bool, str]] = {}
    for key, (conflict, description) in declarations.items():
        try:
            organisation = as_uuid(key)
        except ValueError:
            errors[f"org-{key}"] = OTHER_BIDDER
            continue
        given[organisation] = (bool(conflict), plain_text(description) if conflict else "")
    names = {bidder.organisation_id: bidder.name for bidder in bidders}
    for organisation in given.keys() - names.keys():
        errors[f"org-{organisation}"] = OTHER_BIDDER
    for organisation, name in names.items():
        entry = given.get(organisation)
        if entry is None:
            errors[f"org-{organisation}"] = (
                f"Select whether you have a conflict of interest with {name}"
            )
        elif entry[0] and not entry[1]:
            errors[f"description-{organisation}"] = (
                f"Describe your conflict of interest with {name}"
            )
        elif len(entry[1]) > MAX_DESCRIPTION:
            errors[f"description-{organisation}"] = (
                f"The description must be {MAX_DESCRIPTION} characters or fewer"
            )
    if errors:
        raise Invalid(errors)
    return given


async def declare(
    platform: Platform,
    member: CurrentUser,
    tender_id: str | UUID,
    lot_id: str | UUID,
    declarations: Mapping[UUID | str, tuple[bool, str]],
) -> None:
    """A panel member's declarations against every bidder of the lot at once, by
    organisation id: (conflict, description). "No conflict" may later become a conflict
    (a late discovery); a declared conflict stands as declared. Declaring the same again
    changes nothing.

    Raises ``NotFound`` (not a lot the member may know of), ``NotPermitted`` (not on the
    lot's panel, or before opening) and ``Invalid`` (``org-<id>`` for a bidder left out or
    a declared conflict withdrawn, ``description-<id>``).
    """
    tender, lot, role = await visible_lot(member, tender_id, lot_id)
    if role is None:
        raise NotPermitted(NOT_ON_PANEL)
    require_opened(tender)
    bidding = await lot_bidders(tender.id, lot.id)
    given = _cleaned_declarations(declarations, bidding)
    async with database.write_transaction():
        # Held until commit: the member's declarations are written one post at a time,
        # and not while the officer takes the member off the panel.
        if await seat_role(lot.id, member.id, hold=True) is None:
            raise NotPermitted(NOT_ON_PANEL)
        stored = {
            as_uuid(row["organisation"]): row
            for row in await ConflictDeclaration.select().where(
                ConflictDeclaration.lot == lot.id, ConflictDeclaration.evaluator == member.id
            )
        }
        errors: dict[str, str] = {}
        changes: list[tuple[Bidder, bool, str]] = []
        for bidder in bidding:
            conflict, description = given[bidder.organisation_id]
            before = stored.get(bidder.organisation_id)
            if before is None or (conflict and not before["conflict"]):
                changes.append((bidder, conflict, description))
            elif before["conflict"] and not conflict:
                errors[f"org-{bidder.organisation_id}"] = (
                    f"You declared a conflict of interest with {bidder.name}: it cannot be "
                    "withdrawn. The procurement officer can reassign the lot"
                )
            elif before["conflict"] and description != before["description"]:
                errors[f"description-{bidder.organisation_id}"] = (
                    f"You declared this conflict of interest at "
                    f"{london_time(before['declared_at'])}: it cannot be changed"
                )
        if errors:
            raise Invalid(errors)
        now = platform.clock.now()
        for bidder, conflict, description in changes:
            revised = bidder.organisation_id in stored
            if revised:
                await ConflictDeclaration.update(
                    {
                        ConflictDeclaration.conflict: conflict,
                        ConflictDeclaration.description: description,
                        ConflictDeclaration.declared_at: now,
                    }
                ).where(
                    ConflictDeclaration.key
                    == declaration_key(lot.id, member.id, bidder.organisation_id)
                )
            else:
                await ConflictDeclaration.insert(
                    ConflictDeclaration(
                        id=uuid4(),
                        tender=tender.id,
                        lot=lot.id,
                        evaluator=member.id,
                        organisation=bidder.organisation_id,
                        conflict=conflict,
                        description=description,
                        first_declared_at=now,
                        declared_at=now,
                        key=declaration_key(lot.id, member.id, bidder.organisation_id),
                    )
                )
            await events.record(
                platform,
                member,
                AuditAction.EVALUATION_CONFLICT_DECLARE,
                tender.id,
                {
                    "lot": lot.id,
                    "organisation": bidder.organisation_id,
                    "role": role,
                    "conflict": conflict,
                    "description": description,
                    "revised": revised,
                },
            )


async def conflicts_record(officer: CurrentUser, tender_id: str | UUID) -> list[DeclarationRecord]:
    """Every declaration made on the tender, by lot, evaluator and bidder, for the
    council's officers; those of people since taken off a panel included.

    Raises ``NotFound`` (not a tender of the actor's council) and ``NotPermitted`` (not an
    officer).
    """
    tender = await council_tender(officer, tender_id)
    _require_officer(officer)
    rows = await ConflictDeclaration.select(
        ConflictDeclaration.all_columns(),
        ConflictDeclaration.evaluator.name.as_alias("evaluator_name"),
        ConflictDeclaration.organisation.name.as_alias("organisation_name"),
    ).where(ConflictDeclaration.tender == tender.id)
    lots = {lot.id: lot for lot in tender.lots}
    records = []
    for row in rows:
        lot = lots[as_uuid(row["lot"])]
        records.append(
            DeclarationRecord(
                lot.id,
                lot.number,
                lot.name,
                as_uuid(row["evaluator"]),
                row["evaluator_name"],
                as_uuid(row["organisation"]),
                row["organisation_name"],
                row["conflict"],
                row["description"],
                row["first_declared_at"],
                row["declared_at"],
            )
        )
    return sorted(
        records,
        key=lambda r: (r.lot_number, r.evaluator_name, str(r.evaluator_id), r.organisation_name),
    )


@dataclass(frozen=True)
class Declared:
    """A member's own declaration against one bidder."""

    conflict: bool
    description: str
    declared_at: datetime


@dataclass(frozen=True)
class Standing:
    """Where a panel member stands with a lot's bids, and what they declared."""

    tender: TenderView
    lot: LotView
    role: PanelRole
    clearance: Clearance
    #: The lot's bidders, once opened (empty before).
    bidders: tuple[Bidder, ...]
    #: The member's declarations by bidder organisation id.
    declarations: Mapping[UUID, Declared]

    @property
    def conflicted_with(self) -> list[str]:
        """The bidders the member declared a conflict with, by name."""
        return [
            bidder.name
            for bidder in self.bidders
            if (found := self.declarations.get(bidder.organisation_id)) and found.conflict
        ]


async def standing(actor: CurrentUser, tender_id: str | UUID, lot_id: str | UUID) -> Standing:
    """Where the actor, a member of the lot's panel, stands with its bids: sealed, to
    declare, conflicted or cleared (rule 7), and their own declarations.

    Raises ``NotFound`` (not a lot the actor may know of) and ``NotPermitted`` (not on the
    lot's panel).
    """
    tender, lot, role = await visible_lot(actor, tender_id, lot_id)
    if role is None:
        raise NotPermitted(NOT_ON_PANEL)
    if tender.stored_status is TenderStatus.CANCELLED:
        return Standing(tender, lot, role, Clearance.CANCELLED, (), {})
    if not tender.stored_status.bids_opened:
        return Standing(tender, lot, role, Clearance.SEALED, (), {})
    rows = await ConflictDeclaration.select(
        ConflictDeclaration.organisation,
        ConflictDeclaration.conflict,
        ConflictDeclaration.description,
        ConflictDeclaration.declared_at,
    ).where(ConflictDeclaration.lot == lot.id, ConflictDeclaration.evaluator == actor.id)
    declarations = {
        as_uuid(row["organisation"]): Declared(
            row["conflict"], row["description"], row["declared_at"]
        )
        for row in rows
    }
    bidding = tuple(await lot_bidders(tender.id, lot.id))
    if any(found.conflict for found in declarations.values()):
        clearance = Clearance.CONFLICTED
    elif any(b.organisation_id not in declarations for b in bidding):
        clearance = Clearance.DECLARE
    else:
        clearance = Clearance.CLEARED
    return Standing(tender, lot, role, clearance, bidding, declarations)


async def require_cleared(actor: CurrentUser, tender_id: str | UUID, lot_id: str | UUID) -> Cleared:
    """The lot and the actor's role on its panel, once they may read its bids: opened, and
    a declaration against every bidder with no conflict among them (rule 7).

    Raises ``NotFound`` (not a lot the actor may know of) and ``NotPermitted`` (not on the
    lot's panel, before opening or cancelled, declarations missing, or a conflict declared).
    """
    found = await standing(actor, tender_id, lot_id)
    if found.clearance is Clearance.CONFLICTED:
        raise NotPermitted(CONFLICTED)
    if found.clearance is Clearance.DECLARE:
        raise NotPermitted(DECLARE_FIRST)
    if found.clearance is Clearance.CANCELLED:
        raise NotPermitted("This tender was cancelled")
    if found.clearance is Clearance.SEALED:
        raise NotPermitted(SEALED)
    return Cleared(found.tender, found.lot, found.role)
