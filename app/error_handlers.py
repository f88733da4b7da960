"""The one place where errors become responses: JSON under /api, GOV.UK pages elsewhere."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from app.errors import DomainError, Invalid, NotSignedIn, TooManyAttempts
from app.web_support import render

logger = logging.getLogger("caretender")

#: Plain words for each status: the error page's heading, and the message of JSON errors.
MESSAGES = {
    400: "There is a problem with what was sent",
    401: "Sign in to continue",
    403: "You do not have permission to see this page",
    404: "Page not found",
    405: "Page not found",
    409: "That could not be done",
    413: "The file or form is too large",
    429: "Too many attempts",
    500: "Sorry, there is a problem with the service",
}


#: The message of a request body that could not be read at all (not JSON, or cut short).
UNREADABLE_BODY = "The body could not be read: send JSON as the API's schema describes"


def _is_api(request: Request) -> bool:
    """Machine-readable paths get JSON errors: the API and the open data."""
    return request.url.path.startswith(("/api/", "/ocds/"))


#: What some errors carry beside their message, by attribute, and its name in the JSON:
#: the edits that conflicted (a bid's ``EditConflict.items``) and every problem stopping a
#: submission (``NotReady.problems``: fuller than ``errors``, as two lots share fields).
API_DETAILS = {"items": "conflicts", "problems": "problems"}


def _json(
    status: int,
    message: str,
    errors: dict[str, str] | None = None,
    headers=None,
    details: dict[str, Any] | None = None,
) -> Response:
    content: dict[str, Any] = {"status": status, "message": message}
    if errors:
        content["errors"] = errors
    content.update(details or {})
    return Response(content, status_code=status, media_type=MediaType.JSON, headers=headers)


def _page(request: Request, status: int, message: str, headers=None) -> Response:
    template = render(
        request,
        "errors/error.html",
        {
            "status": status,
            "heading": MESSAGES.get(status, "There is a problem"),
            "message": message,
        },
        status_code=status,
    )
    if headers:
        template.headers.update(headers)
    return template


def domain_error(request: Request, error: DomainError) -> Response:
    headers = (
        {"Retry-After": str(error.retry_after)} if isinstance(error, TooManyAttempts) else None
    )
    if _is_api(request):
        errors = error.field_errors if isinstance(error, Invalid) else None
        if isinstance(error, NotSignedIn):
            headers = {"WWW-Authenticate": 'Bearer realm="caretender"'}
        details = {
            name: value
            for attribute, name in API_DETAILS.items()
            if (value := getattr(error, attribute, None)) is not None
        }
        return _json(error.status_code, error.message, errors, headers, details)
    if isinstance(error, NotSignedIn):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(f"/sign-in?next={quote(target)}", status_code=303)
    return _page(request, error.status_code, error.message, headers)


def http_error(request: Request, error: HTTPException) -> Response:
    status = error.status_code
    if status >= 500:
        return server_error(request, error)
    message = MESSAGES.get(status, error.detail)
    if status == 403 and "csrf" in str(error.detail).lower():
        message = "Your form could not be sent. Go back, refresh the page and try again"
    if _is_api(request):
        errors = None
        if status == 400:
            extra = error.extra if isinstance(error, ValidationException) else None
            errors = {
                str(item.get("key") or "body"): str(item.get("message"))
                for item in (extra if isinstance(extra, list) else [])
                if isinstance(item, dict)
            } or {"body": UNREADABLE_BODY}  # not JSON at all: no field to name
        return _json(status, message, errors, error.headers)
    return _page(request, status, message, error.headers)


def server_error(request: Request, error: Exception) -> Response:
    logger.exception("Unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    status = HTTP_500_INTERNAL_SERVER_ERROR
    if _is_api(request):
        return _json(status, MESSAGES[status])
    return _page(request, status, MESSAGES[status])


EXCEPTION_HANDLERS = {
    DomainError: domain_error,
    HTTPException: http_error,
    HTTP_500_INTERNAL_SERVER_ERROR: server_error,
}
