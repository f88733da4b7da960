"""The JSON API under /api/v1, for integrations and scripts. Bearer tokens only."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, Router, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from app import accounts
from app.accounts import UserSummary
from app.api_docs import BEARER, SIGNED_IN_ERRORS, error_responses
from app.dependencies import PLATFORM, USER, PlatformDep, UserDep, client_address
from app.guards import colleague_managers, officers_only
from app.schemas import (
    Colleague,
    ColleaguePage,
    ColleagueRequest,
    Me,
    RegistrationRequest,
    RoleRequest,
    TokenRequest,
    TokenResponse,
)
from app.tokens import Scope
from evaluation.api import API_CONTROLLERS as EVALUATION_API_CONTROLLERS
from tenders.api import API_CONTROLLERS as TENDER_API_CONTROLLERS


def _colleague(summary: UserSummary) -> Colleague:
    return Colleague(summary.id, summary.name, summary.email, str(summary.role))


def _me(user: UserDep) -> Me:
    return Me(
        id=user.id,
        name=user.name,
        email=user.email,
        role=str(user.role),
        organisation_id=user.organisation_id,
        organisation_name=user.organisation_name,
        organisation_kind=str(user.organisation_kind),
    )


class AccountApi(Controller):
    tags = ["accounts"]

    @post("/tokens", status_code=201, responses=error_responses(400, 429))
    async def create_token(
        self, request: Request, platform: PlatformDep, data: JSONBody[TokenRequest]
    ) -> TokenResponse:
        """Exchange an email and password for a bearer token (rate limited)."""
        _, token = await accounts.sign_in(
            platform, msgspec.structs.asdict(data), client_address(request), Scope.API
        )
        return TokenResponse(token=token.value, token_type="Bearer", expires_at=token.expires_at)

    @post("/registrations", status_code=201, responses=error_responses(400))
    async def register(self, platform: PlatformDep, data: JSONBody[RegistrationRequest]) -> Me:
        """Register a provider organisation and its first user."""
        return _me(await accounts.register_provider(platform, msgspec.structs.asdict(data)))

    @get("/me", security=BEARER, dependencies={"user": USER}, responses=error_responses(401))
    async def me(self, user: UserDep) -> Me:
        """The signed-in user and their organisation."""
        return _me(user)


class ColleagueApi(Controller):
    path = "/organisation/users"
    tags = ["organisation"]
    guards = [colleague_managers]
    security = BEARER
    dependencies = {"user": USER}

    # The descriptions are the OpenAPI document's: Litestar does not publish docstrings.
    @get(
        "/",
        description="Users of your own organisation, 25 a page. For procurement officers "
        "and provider users.",
        responses=error_responses(*SIGNED_IN_ERRORS),
    )
    async def list_users(
        self,
        platform: PlatformDep,
        user: UserDep,
        page: FromQuery[int] = 1,
    ) -> ColleaguePage:
        listing = await accounts.list_colleagues(platform, user, page)
        return ColleaguePage(
            items=[_colleague(item) for item in listing.items],
            page=listing.number,
            pages=listing.pages,
            total=listing.total,
        )

    @post(
        "/",
        status_code=201,
        description="Add a colleague to your own organisation, with a first password. A "
        "procurement officer gives the role: `officer` or `evaluator`. At a provider "
        "organisation every user is a provider user: leave the role out or send `provider`; "
        "any other role is refused on the `role` field.",
        responses=error_responses(*SIGNED_IN_ERRORS),
    )
    async def add_user(
        self,
        platform: PlatformDep,
        user: UserDep,
        data: JSONBody[ColleagueRequest],
    ) -> Colleague:
        return _colleague(
            await accounts.add_colleague(platform, user, msgspec.structs.asdict(data))
        )

    @get(
        "/{user_id:str}",
        description="A user of your own organisation; another organisation's users are not found.",
        responses=error_responses(*SIGNED_IN_ERRORS, 404),
    )
    async def get_user(
        self,
        platform: PlatformDep,
        user: UserDep,
        user_id: FromPath[str],
    ) -> Colleague:
        return _colleague(await accounts.get_colleague(platform, user, user_id))

    @patch(
        "/{user_id:str}",
        guards=[officers_only],
        description="Change a colleague's role (procurement officers only); an organisation "
        "keeps at least one officer.",
        responses=error_responses(*SIGNED_IN_ERRORS, 404),
    )
    async def change_role(
        self,
        platform: PlatformDep,
        user: UserDep,
        user_id: FromPath[str],
        data: JSONBody[RoleRequest],
    ) -> Colleague:
        return _colleague(
            await accounts.change_role(platform, user, user_id, msgspec.structs.asdict(data))
        )


api_router = Router(
    path="/api/v1",
    route_handlers=[AccountApi, ColleagueApi, *TENDER_API_CONTROLLERS, *EVALUATION_API_CONTROLLERS],
    dependencies={"platform": PLATFORM},
)
