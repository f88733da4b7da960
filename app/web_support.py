"""Helpers for HTML controllers: rendering with the common context, form errors in the
GOV.UK pattern, and post-redirect-get with a one-off message."""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, Iterable, Mapping
from typing import Any
from urllib.parse import quote, unquote

from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.response import Redirect, Stream, Template

from app.errors import Invalid
from app.files import LocalFileStore
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


_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9 ._()\-]")


def content_disposition(original_name: str) -> str:
    """``attachment``, always: a plain ASCII name for every browser, the original name too
    (RFC 6266) for those that read it."""
    plain = _UNSAFE_IN_FILENAME.sub("_", original_name).strip(" .") or "document"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(original_name)}"


def file_download(
    store: LocalFileStore, sha256: str, *, original_name: str, content_type: str, size: int
) -> Stream:
    """A stored file as a download: never shown inline, its type not sniffed."""
    return stream_download(
        store.read(sha256), original_name=original_name, content_type=content_type, size=size
    )


def stream_download(
    chunks: AsyncIterable[bytes], *, original_name: str, content_type: str, size: int
) -> Stream:
    """Bytes as a download, as ``file_download``."""
    return Stream(
        chunks,
        media_type=content_type,
        headers={
            "Content-Disposition": content_disposition(original_name),
            "Content-Length": str(size),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-cache",
        },
    )


def sealed_file_download(store: LocalFileStore, evidence: Mapping[str, Any]) -> Stream:
    """An evidence file as a sealed bid names it ({sha256, name, type, size})."""
    return file_download(
        store,
        evidence["sha256"],
        original_name=evidence["name"],
        content_type=evidence["type"],
        size=evidence["size"],
    )


def pdf_download(pdf: bytes, filename: str) -> Response:
    """A PDF the platform made, as a download under a name it chose."""
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-cache",
        },
    )
