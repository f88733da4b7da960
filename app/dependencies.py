"""Dependencies shared by the page and API controllers."""

from __future__ import annotations

from litestar import Request
from litestar.di import NamedDependency, Provide

from app.accounts import CurrentUser
from app.platform import Platform
from app.sessions import require_user


def provide_platform(request: Request) -> Platform:
    return request.app.state.platform


def provide_user(request: Request) -> CurrentUser:
    """The signed-in user; ``NotSignedIn`` (a redirect, or 401 on the API) otherwise."""
    return require_user(request)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


PLATFORM = Provide(provide_platform, sync_to_thread=False)
USER = Provide(provide_user, sync_to_thread=False)

#: Handler parameter types naming the two dependencies above.
PlatformDep = NamedDependency[Platform]
UserDep = NamedDependency[CurrentUser]
