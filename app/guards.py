"""Coarse role checks on routes; services check the object itself."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from app.errors import NotPermitted
from app.sessions import require_user


def officers_only(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Signed in (else ``NotSignedIn``) as a buyer's procurement officer."""
    user = require_user(connection)
    if not (user.is_buyer and user.is_officer):
        raise NotPermitted()


def colleague_managers(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Signed in (else ``NotSignedIn``) as a buyer's officer or a provider's user."""
    if not require_user(connection).manages_colleagues:
        raise NotPermitted()
