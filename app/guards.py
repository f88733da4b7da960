"""Coarse role checks on routes; services check the object itself.

A user of the other side (a provider on the council's evaluation pages, a council's user on
a provider's bid pages) is refused by role (403) a list of those pages, and told an object
of them is not found (404): whether it exists is none of their business.
"""

from __future__ import annotations

from typing import NoReturn

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from app.errors import NotFound, NotPermitted
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


def council_users_only(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Signed in (else ``NotSignedIn``) as a user of a buyer organisation: evaluation is
    the council's own business."""
    if not require_user(connection).is_buyer:
        _refuse_the_other_side(connection)


def providers_only(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Signed in (else ``NotSignedIn``) as a provider's user: bids are sealed from the
    council until opening, and never the council's on these pages."""
    if require_user(connection).is_buyer:
        _refuse_the_other_side(connection)


def _refuse_the_other_side(connection: ASGIConnection) -> NoReturn:
    """A list (a path without parameters) is refused; an object is not found."""
    if connection.path_params:
        raise NotFound()
    raise NotPermitted()
