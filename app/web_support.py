"""Helpers for HTML controllers: rendering with the common context, form errors in the
GOV.UK pattern, and post-redirect-get with a one-off message."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, unquote

from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from app.errors import Invalid
from app.sessions import current_session, host_cookie

FLASH_COOKIE = "__Host-caretender-flash"


def form_errors(error: Invalid, order: Iterable[str]) -> dict[str, Any]:
    """The error summary (in the form's field order) and each field's ``errorMessage``."""
    fields = error.field_errors
    ordered = [name for name in order if name in fields] + [
        name for name in fields if name not in order
    ]
    return {
        "summary": [{"text": fields[name], "href": f"#{name}"} for name in ordered],
        "fields": {name: {"text": fields[name]} for name in ordered},
    }


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    cookies: list[Cookie] | None = None,
) -> Template:
    session = current_session(request)
    flash = request.cookies.get(FLASH_COOKIE)
    cookies = list(cookies or [])
    if flash:
        cookies.append(_flash_cookie("", max_age=0))
    return Template(
        template_name=template,
        context={
            "user": session.user if session else None,
            "flash": unquote(flash) if flash else None,
            "errors": None,
            **(context or {}),
        },
        status_code=status_code,
        cookies=cookies,
    )


def render_invalid(
    request: Request,
    template: str,
    error: Invalid,
    order: Iterable[str],
    values: Mapping[str, Any],
    context: Mapping[str, Any] | None = None,
) -> Template:
    """Re-render a form with status 400, the values kept and every error shown."""
    kept = {name: value for name, value in values.items() if "password" not in name}
    return render(
        request,
        template,
        {**(context or {}), "errors": form_errors(error, order), "values": kept},
        status_code=400,
    )


def _flash_cookie(message: str, max_age: int | None = None) -> Cookie:
    return host_cookie(FLASH_COOKIE, quote(message), max_age)


def see_other(
    path: str, *, flash: str | None = None, cookies: list[Cookie] | None = None
) -> Redirect:
    """Post-redirect-get, with an optional message for the next page."""
    cookies = list(cookies or [])
    if flash:
        cookies.append(_flash_cookie(flash))
    return Redirect(path=path, status_code=303, cookies=cookies)


def safe_next(value: str | None, default: str = "/account") -> str:
    """Only a path on this site: never ``//elsewhere`` or ``https://elsewhere``."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return default


async def form_data(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}
