"""JSON API: officers form each lot's evaluation panel and read the tender's conflicts
record; panel members find their seats, see a lot's bidders once the bids are opened and
declare any conflicts of interest against them (rule 7).

A tender or lot is the business of its council's officers and of the lot's own panel:
anyone else (a provider, another council, a member of another lot's panel) is told it is
not found.
"""

from __future__ import annotations

from litestar import Controller, get, put
from litestar.params import FromPath, FromQuery, JSONBody

from app.api_docs import BEARER, SIGNED_IN_ERRORS, error_responses
from app.dependencies import USER, PlatformDep, UserDep
from app.errors import Invalid
from app.guards import council_users_only, officers_only
from evaluation.api.schemas import (
    BidderOut,
    ConflictDeclaration,
    DeclarationsRequest,
    LotPanel,
    PanelMember,
    PanelRequest,
    PanelSeat,
    PanelSeatPage,
    bidder,
    renamed,
    utc,
)
from evaluation.services import panels


def _member(member: panels.Member) -> PanelMember:
    return PanelMember(member.user_id, member.name, member.email)


def _panel(panel: panels.LotPanel) -> LotPanel:
    return LotPanel(
        lot_id=panel.lot_id,
        lot_number=panel.lot_number,
        lot_name=panel.lot_name,
        evaluators=[_member(m) for m in panel.evaluators],
        moderator=_member(panel.moderator) if panel.moderator else None,
    )


def _declaration(record: panels.DeclarationRecord) -> ConflictDeclaration:
    return ConflictDeclaration(
        lot_id=record.lot_id,
        lot_number=record.lot_number,
        lot_name=record.lot_name,
        evaluator_id=record.evaluator_id,
        evaluator_name=record.evaluator_name,
        organisation_id=record.organisation_id,
        organisation_name=record.organisation_name,
        conflict=record.conflict,
        description=record.description,
        first_declared_at=utc(record.first_declared_at),
        declared_at=utc(record.declared_at),
    )


def _seat(seat: panels.Seat) -> PanelSeat:
    return PanelSeat(
        tender_id=seat.tender_id,
        tender_title=seat.tender_title,
        tender_reference=seat.tender_reference,
        tender_status=seat.tender_status,
        lot_id=seat.lot_id,
        lot_number=seat.lot_number,
        lot_name=seat.lot_name,
        role=seat.role,
    )


class PanelApi(Controller):
    path = "/tenders/{tender_id:str}"
    tags = ["evaluation: panels"]
    security = BEARER
    guards = [officers_only]
    dependencies = {"user": USER}

    @get(
        "/panels",
        summary="List the lots' panels",
        description="Every lot's panel, in lot order: its evaluators by name and its "
        "moderator (officers of the tender's council; 403 for anyone else there).",
        responses=error_responses(*SIGNED_IN_ERRORS, 404),
    )
    async def list_panels(self, user: UserDep, tender_id: FromPath[str]) -> list[LotPanel]:
        return [_panel(panel) for panel in await panels.panel(user, tender_id)]

    @put(
        "/lots/{lot_id:str}/panel",
        summary="Form a lot's panel",
        description="Make the lot's panel exactly the evaluators and moderator given, from "
        "the council's own evaluators and officers; people left out leave it. The moderator "
        "agrees the consensus and so does not score. The same panel again changes nothing. "
        "400 on `evaluators` or `moderator`; 409 for a draft or cancelled tender, or once "
        "the lot is signed off.",
        responses=error_responses(*SIGNED_IN_ERRORS, 404, 409),
    )
    async def assign(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        lot_id: FromPath[str],
        data: JSONBody[PanelRequest],
    ) -> LotPanel:
        panel = await panels.assign(
            platform,
            user,
            tender_id,
            lot_id,
            evaluators=data.evaluators,
            moderator=data.moderator,
        )
        return _panel(panel)

    @get(
        "/conflicts",
        summary="Read the conflicts record",
        description="Every declaration of interest made on the tender, by lot, panel member "
        "and bidder, those of people since taken off a panel included (officers of the "
        "tender's council).",
        responses=error_responses(*SIGNED_IN_ERRORS, 404),
    )
    async def conflicts(self, user: UserDep, tender_id: FromPath[str]) -> list[ConflictDeclaration]:
        return [_declaration(record) for record in await panels.conflicts_record(user, tender_id)]


class PanelMemberApi(Controller):
    path = "/evaluations"
    tags = ["evaluation: panels"]
    security = BEARER
    guards = [council_users_only]
    dependencies = {"user": USER}

    @get(
        "/",
        summary="List my panel seats",
        description="The lots on whose panels you sit, as evaluator or moderator, 20 a page: "
        "those of tenders not yet awarded or cancelled first, then by tender reference and "
        "lot number. A page past the last gives the last. For the councils' users: 403 for "
        "a provider.",
        responses=error_responses(*SIGNED_IN_ERRORS),
    )
    async def seats(self, user: UserDep, page: FromQuery[int] = 1) -> PanelSeatPage:
        listing = await panels.my_lots(user, page)
        return PanelSeatPage(
            items=[_seat(seat) for seat in listing.items],
            page=listing.number,
            pages=listing.pages,
            total=listing.total,
        )

    @get(
        "/{tender_id:str}/lots/{lot_id:str}/bidders",
        summary="List a lot's bidders",
        description="The organisations bidding for the lot, by name, to declare against: for "
        "the lot's panel and the council's officers, once the bids are opened (403 before: "
        "even the bidders' names are sealed).",
        responses=error_responses(*SIGNED_IN_ERRORS, 404),
    )
    async def bidders(
        self, user: UserDep, tender_id: FromPath[str], lot_id: FromPath[str]
    ) -> list[BidderOut]:
        return [bidder(bid) for bid in await panels.bidders(user, tender_id, lot_id)]

    @put(
        "/{tender_id:str}/lots/{lot_id:str}/declarations",
        status_code=204,
        summary="Declare conflicts of interest",
        description="Declare, against every bidder of the lot at once, no conflict or a "
        "conflict with its description (members of the lot's panel, once the bids are "
        "opened). Until you have, the lot's bids stay closed to you; with a conflict, for "
        "good (the officer can reassign the lot). No conflict may later become a conflict; "
        "a conflict stands as declared. Declaring the same again changes nothing. 400 on "
        "`declarations[i].organisation`, `declarations[i].conflict` or "
        "`declarations[i].description`, and on `declarations` for bidders left out.",
        responses=error_responses(*SIGNED_IN_ERRORS, 404),
    )
    async def declare(
        self,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        lot_id: FromPath[str],
        data: JSONBody[DeclarationsRequest],
    ) -> None:
        places: dict[str, int] = {}
        for place, entry in enumerate(data.declarations):
            if str(entry.organisation) in places:
                raise Invalid(
                    {f"declarations[{place}].organisation": "Declare against each bidder once"}
                )
            places[str(entry.organisation)] = place
        try:
            await panels.declare(
                platform,
                user,
                tender_id,
                lot_id,
                {e.organisation: (e.conflict, e.description) for e in data.declarations},
            )
        except Invalid as error:
            names: dict[str, str] = {}
            for organisation, place in places.items():
                refused = error.field_errors.get(f"org-{organisation}")
                part = "organisation" if refused == panels.OTHER_BIDDER else "conflict"
                names[f"org-{organisation}"] = f"declarations[{place}].{part}"
                names[f"description-{organisation}"] = f"declarations[{place}].description"
            raise renamed(error, names, "declarations") from error


CONTROLLERS: list[type[Controller]] = [PanelApi, PanelMemberApi]
