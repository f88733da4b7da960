"""Who is asking: the session middleware, the cookie, and dependencies for handlers.

The middleware reads the session cookie (pages) or the bearer token (``/api``), checks it
against the database, and renews the cookie so an active session does not go idle.
"""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app import accounts
from app.accounts import CurrentUser, Session
from app.errors import NotSignedIn
from app.platform import Platform
from app.tokens import Scope as TokenScope

SESSION_COOKIE = "__Host-caretender-session"
_SKIP = ("/static/", "/healthz", "/schema")


def host_cookie(key: str, value: str, max_age: int | None) -> Cookie:
    """A ``__Host-`` cookie: this host only, HTTPS only, out of reach of scripts."""
    return Cookie(
        key=key, value=value, path="/", secure=True, httponly=True, samesite="lax", max_age=max_age
    )


def session_cookie(platform: Platform, token: str) -> Cookie:
    return host_cookie(SESSION_COOKIE, token, platform.settings.sessions.absolute_hours * 3600)


def cleared_session_cookie() -> Cookie:
    return host_cookie(SESSION_COOKIE, "", max_age=0)


def _token(connection: ASGIConnection, api: bool) -> str | None:
    if api:
        scheme, _, token = connection.headers.get("authorization", "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return connection.cookies.get(SESSION_COOKIE) or None


def session_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_SKIP):
            await app(scope, receive, send)
            return
        connection: ASGIConnection = ASGIConnection(scope)
        platform: Platform = scope["litestar_app"].state.platform
        api = scope["path"].startswith("/api/")
        session = None
        if token := _token(connection, api):
            scope_kind = TokenScope.API if api else TokenScope.WEB
            session = await accounts.authenticate(platform, token, scope_kind)
        scope.setdefault("state", {})["session"] = session
        await app(scope, receive, send)

    return middleware


async def renew_session_cookie(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook: slide the idle timeout of a page session still in use."""
    if message["type"] != "http.response.start" or scope["path"].startswith("/api/"):
        return
    session = scope.get("state", {}).get("session")
    headers = MutableScopeHeaders.from_message(message)
    if session is None or not session.renewed_token:
        return
    # A handler that signed the user in or out has set the session cookie itself; other
    # cookies (a flash message, the CSRF token) must not stop the session sliding.
    if any(value.startswith(f"{SESSION_COOKIE}=") for value in headers.getall("set-cookie", [])):
        return
    platform: Platform = scope["litestar_app"].state.platform
    cookie = session_cookie(platform, session.renewed_token)
    headers.add("set-cookie", cookie.to_header(header=""))


def current_session(connection: ASGIConnection) -> Session | None:
    return connection.scope.get("state", {}).get("session")


def require_user(connection: ASGIConnection) -> CurrentUser:
    session = current_session(connection)
    if session is None:
        raise NotSignedIn()
    return session.user
