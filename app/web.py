"""HTML pages for people: home, registration, sign-in, account and colleagues."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from app import accounts
from app.dependencies import PLATFORM, USER, PlatformDep, UserDep, client_address
from app.errors import Invalid
from app.guards import colleague_managers, officers_only
from app.sessions import (
    cleared_session_cookie,
    current_session,
    session_cookie,
)
from app.tokens import Scope
from app.vocabulary import BUYER_ROLES
from app.web_support import form_data, render, render_invalid, safe_next, see_other

REGISTER_FIELDS = ["organisation_name", "cqc_provider_id", "contact_name", "email", "password"]
SIGN_IN_FIELDS = ["email", "password"]
PASSWORD_FIELDS = ["current_password", "new_password"]
COLLEAGUE_FIELDS = ["name", "email", "role", "password"]


class PublicPages(Controller):
    include_in_schema = False

    @get("/")
    async def home(self, request: Request) -> Template:
        return render(request, "home.html")

    @get("/accessibility")
    async def accessibility(self, request: Request) -> Template:
        return render(request, "accessibility.html")

    @get("/healthz", include_in_schema=True, tags=["operations"])
    async def healthz(self) -> dict[str, str]:
        """For load balancers: the process is up and serving."""
        return {"status": "ok"}


class SignInPages(Controller):
    include_in_schema = False
    dependencies = {"platform": PLATFORM}

    @get("/register")
    async def register_form(self, request: Request) -> Template:
        return render(request, "accounts/register.html", {"values": {}})

    @post("/register")
    async def register(self, request: Request, platform: PlatformDep) -> Response:
        values = await form_data(request)
        try:
            user = await accounts.register_provider(platform, values)
        except Invalid as error:
            return render_invalid(request, "accounts/register.html", error, REGISTER_FIELDS, values)
        token = accounts.issue_token(platform, user, Scope.WEB)
        return see_other(
            "/account",
            flash=f"{user.organisation_name} is registered and you are signed in",
            cookies=[session_cookie(platform, token.value)],
        )

    @get("/sign-in")
    async def sign_in_form(
        self, request: Request, next_: Annotated[str | None, QueryParameter(name="next")] = None
    ) -> Template:
        return render(request, "accounts/sign_in.html", {"values": {}, "next": safe_next(next_)})

    @post("/sign-in")
    async def sign_in(self, request: Request, platform: PlatformDep) -> Response:
        values = await form_data(request)
        target = safe_next(values.get("next"))
        try:
            _, token = await accounts.sign_in(platform, values, client_address(request), Scope.WEB)
        except Invalid as error:
            return render_invalid(
                request, "accounts/sign_in.html", error, SIGN_IN_FIELDS, values, {"next": target}
            )
        return see_other(target, cookies=[session_cookie(platform, token.value)])

    @post("/sign-out")
    async def sign_out(self, request: Request, platform: PlatformDep) -> Redirect:
        if session := current_session(request):
            await accounts.sign_out(platform, session)
        return see_other(
            "/sign-in", flash="You have signed out", cookies=[cleared_session_cookie()]
        )


class AccountPages(Controller):
    path = "/account"
    include_in_schema = False
    dependencies = {
        "platform": PLATFORM,
        "user": USER,
    }

    @get("/")
    async def account(self, request: Request, user: UserDep) -> Template:
        return render(request, "accounts/account.html")

    @get("/password")
    async def password_form(self, request: Request, user: UserDep) -> Template:
        return render(request, "accounts/change_password.html")

    @post("/password")
    async def change_password(
        self,
        request: Request,
        platform: PlatformDep,
        user: UserDep,
    ) -> Response:
        values = await form_data(request)
        try:
            user = await accounts.change_password(platform, user, values)
        except Invalid as error:
            return render_invalid(
                request, "accounts/change_password.html", error, PASSWORD_FIELDS, values
            )
        # Every other session has just ended; this one carries on with a new cookie.
        token = accounts.issue_token(platform, user, Scope.WEB)
        return see_other(
            "/account",
            flash="Your password has been changed. You have been signed out on other devices",
            cookies=[session_cookie(platform, token.value)],
        )

    @post("/sign-out-everywhere")
    async def sign_out_everywhere(self, platform: PlatformDep, user: UserDep) -> Redirect:
        await accounts.sign_out_everywhere(platform, user)
        return see_other(
            "/sign-in",
            flash="You have signed out on every device",
            cookies=[cleared_session_cookie()],
        )


class ColleaguePages(Controller):
    path = "/organisation/users"
    include_in_schema = False
    guards = [colleague_managers]
    dependencies = {
        "platform": PLATFORM,
        "user": USER,
    }

    @get("/")
    async def list_users(
        self,
        request: Request,
        platform: PlatformDep,
        user: UserDep,
        page: FromQuery[int] = 1,
    ) -> Template:
        listing = await accounts.list_colleagues(platform, user, page)
        return render(request, "organisation/users.html", {"listing": listing})

    @get("/new")
    async def new_user_form(self, request: Request, user: UserDep) -> Template:
        return render(request, "organisation/user_new.html", _role_context({}))

    @post("/new")
    async def add_user(
        self,
        request: Request,
        platform: PlatformDep,
        user: UserDep,
    ) -> Response:
        values = await form_data(request)
        try:
            added = await accounts.add_colleague(platform, user, values)
        except Invalid as error:
            return render_invalid(
                request,
                "organisation/user_new.html",
                error,
                COLLEAGUE_FIELDS,
                values,
                _role_context(values),
            )
        return see_other(
            "/organisation/users",
            flash=f"{added.name} has been added as {added.role.label.lower()}",
        )

    # A user's page is for changing their role: only a council's users have a choice.
    @get("/{user_id:str}", guards=[officers_only])
    async def user_page(
        self,
        request: Request,
        platform: PlatformDep,
        user: UserDep,
        user_id: FromPath[str],
    ) -> Template:
        colleague = await accounts.get_colleague(platform, user, user_id)
        return render(
            request,
            "organisation/user.html",
            {"colleague": colleague, **_role_context({"role": colleague.role})},
        )

    @post("/{user_id:str}", guards=[officers_only])
    async def change_role(
        self,
        request: Request,
        platform: PlatformDep,
        user: UserDep,
        user_id: FromPath[str],
    ) -> Response:
        values = await form_data(request)
        try:
            changed = await accounts.change_role(platform, user, user_id, values)
        except Invalid as error:
            colleague = await accounts.get_colleague(platform, user, user_id)
            return render_invalid(
                request,
                "organisation/user.html",
                error,
                ["role"],
                values,
                {"colleague": colleague, **_role_context(values)},
            )
        return see_other(
            "/organisation/users",
            flash=f"{changed.name} is now {changed.role.label.lower()}",
        )


def _role_context(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "values": values,
        "roles": [{"value": str(role), "text": role.label} for role in BUYER_ROLES],
    }


WEB_CONTROLLERS = [PublicPages, SignInPages, AccountPages, ColleaguePages]
