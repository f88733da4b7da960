"""Reading a multipart form with one file as it streams in, the file going straight into
the store: memory stays flat however large the upload.

Litestar's own form parsing buffers the whole body before the handler runs, and its CSRF
middleware reads the body to find the token (a handler that then streams it hangs). So
an upload route opts out of the middleware (``opt={"exclude_from_csrf": True}``) and
``read_multipart`` checks the token itself, from a ``_csrf_token`` field that must come
before the file: no byte of a forged upload reaches the store.
"""

from __future__ import annotations

import hmac
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from collections.abc import Set as AbstractSet
from contextlib import aclosing
from dataclasses import dataclass

from litestar import Request
from litestar.exceptions import PermissionDeniedException
from litestar.middleware.csrf import CSRF_SECRET_LENGTH, generate_csrf_hash
from litestar.utils.scope.state import ScopeState
from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header

from app.errors import DomainError, TooLarge
from app.files import FileStore, StoredFile, size_message

CSRF_FIELD = "_csrf_token"
#: Room in the body for the boundaries, part headers and the small fields beside the file.
FORM_OVERHEAD = 1024 * 1024
FIELD_MAX_BYTES = 64 * 1024
MAX_PARTS = 50
MALFORMED = "The form could not be read. Go back and try again"


@dataclass(frozen=True)
class UploadForm:
    #: The text fields, the CSRF token left out. A repeated name keeps its last value.
    fields: dict[str, str]
    #: None when the form was sent without a file chosen.
    file: StoredFile | None


async def read_multipart(
    request: Request,
    *,
    file_field: str,
    store: FileStore,
    max_bytes: int,
    allowed: Mapping[str, AbstractSet[str]],
    csrf_secret_check: Callable[[str], bool] | None,
    too_large: str | None = None,
) -> UploadForm:
    """Parse the request's ``multipart/form-data`` body as it arrives, storing the one
    file sent as ``file_field``. ``csrf_secret_check`` is given the ``_csrf_token`` field
    (``csrf_check(request)``); None only where no cookie authenticates the request.

    Raises ``PermissionDeniedException`` (403) when the token is missing, wrong or comes
    after the file; ``TooLarge`` (413) when the body announces or reaches more than
    ``max_bytes`` and the form's overhead (saying ``too_large``, or what ``size_message``
    says), or a field is too long; the store's ``Invalid``
    for a file of the wrong type or an empty one; ``DomainError`` (400) for a body that
    is not a complete multipart form.
    """
    keep_csrf_token_for_templates(request)
    media_type, options = request.content_type
    boundary = options.get("boundary")
    if media_type != "multipart/form-data" or not boundary:
        raise DomainError(MALFORMED)
    limit = max_bytes + FORM_OVERHEAD
    too_large = too_large or size_message(max_bytes)
    if (request.content_length or 0) > limit:
        raise TooLarge({file_field: too_large})

    parts = _Parts(request.stream(), boundary.encode("latin-1"), limit, file_field, too_large)
    fields: dict[str, str] = {}
    stored: StoredFile | None = None
    trusted = csrf_secret_check is None
    count = 0
    while (part := await parts.next_part()) is not None:
        count += 1
        if count > MAX_PARTS:
            raise TooLarge({part.name: "The form has too many fields"})
        if part.name == file_field:
            if not trusted:
                raise PermissionDeniedException("CSRF token verification failed")
            if stored is not None:
                raise DomainError(MALFORMED)
            async with aclosing(parts.data()) as chunks:
                if not part.filename:
                    # A browser sends an empty part when no file was chosen.
                    async for _ in chunks:
                        pass
                    continue
                stored = await store.save(
                    chunks,
                    filename=part.filename,
                    max_bytes=max_bytes,
                    allowed=allowed,
                    field=file_field,
                    too_large=too_large,
                )
        elif part.filename is not None:
            raise DomainError(MALFORMED)
        else:
            value = await parts.text(part.name)
            if part.name == CSRF_FIELD:
                if csrf_secret_check is not None and not csrf_secret_check(value):
                    raise PermissionDeniedException("CSRF token verification failed")
                trusted = True
            else:
                fields[part.name] = value
    if not trusted:
        raise PermissionDeniedException("CSRF token verification failed")
    return UploadForm(fields, stored)


def csrf_token_matches(request: Request, token: str, secret: str) -> bool:
    """Litestar's CSRF middleware check, for routes excluded from it: the token from the
    form and the one in the CSRF cookie both carry a valid HMAC of the same value."""
    config = request.app.csrf_config
    assert config is not None, "the application has no CSRF configuration"
    cookie = request.cookies.get(config.cookie_name)
    if cookie is None:
        return False
    from_form, from_cookie = _csrf_value(token, secret), _csrf_value(cookie, secret)
    return (
        from_form is not None
        and from_cookie is not None
        and hmac.compare_digest(from_form, from_cookie)
    )


def csrf_check(request: Request) -> Callable[[str], bool]:
    """The check ``read_multipart`` needs, with the application's CSRF secret."""
    config = request.app.csrf_config
    assert config is not None, "the application has no CSRF configuration"
    return lambda token: csrf_token_matches(request, token, config.secret)


def _csrf_value(token: str, secret: str) -> str | None:
    # The same split as litestar.middleware.csrf (a method there, so not importable).
    value, signature = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:]
    if len(value) < CSRF_SECRET_LENGTH or not signature:
        return None
    expected = generate_csrf_hash(token=value, secret=secret)
    return value if hmac.compare_digest(signature, expected) else None


def keep_csrf_token_for_templates(request: Request) -> None:
    """The middleware hands templates the token; on an excluded route, do as it does for
    a GET, so that a form shown again after an error still carries it."""
    config = request.app.csrf_config
    if config is not None and (cookie := request.cookies.get(config.cookie_name)):
        ScopeState.from_scope(request.scope).csrf_token = cookie


@dataclass(frozen=True)
class _Part:
    name: str
    #: None for a text field; "" for a file input left empty.
    filename: str | None


class _PartEnd:
    pass


_END = _PartEnd()


class _Parts:
    """Pulls the parser's events from the body only when the reader asks for more, so the
    store's pace sets the socket's and at most one body chunk waits in memory."""

    def __init__(
        self, body: AsyncIterator[bytes], boundary: bytes, limit: int, field: str, too_large: str
    ) -> None:
        self._body = body
        self._limit = limit
        self._too_large = TooLarge({field: too_large})
        self._received = 0
        self._finished = False
        self._events: deque[_Part | bytes | _PartEnd] = deque()
        self._headers: dict[bytes, bytes] = {}
        self._header_name = bytearray()
        self._header_value = bytearray()
        try:
            self._parser = MultipartParser(
                boundary,
                callbacks={
                    "on_part_begin": self._headers.clear,
                    "on_header_field": self._on_header_field,
                    "on_header_value": self._on_header_value,
                    "on_header_end": self._on_header_end,
                    "on_headers_finished": self._on_headers_finished,
                    "on_part_data": self._on_part_data,
                    "on_part_end": lambda: self._events.append(_END),
                    "on_end": self._on_end,
                },
            )
        except FormParserError as error:
            raise DomainError(MALFORMED) from error

    async def next_part(self) -> _Part | None:
        event = await self._next()
        if event is None:
            return None
        if not isinstance(event, _Part):
            raise DomainError(MALFORMED)
        return event

    async def data(self) -> AsyncIterator[bytes]:
        """The current part's bytes; raises rather than end early on a truncated body, so
        that half a file is never stored."""
        while True:
            event = await self._next()
            if isinstance(event, bytes):
                yield event
            elif event is _END:
                return
            else:
                raise DomainError(MALFORMED)

    async def text(self, name: str) -> str:
        value = bytearray()
        async for chunk in self.data():
            value += chunk
            if len(value) > FIELD_MAX_BYTES:
                raise TooLarge({name: "The form is too large"})
        return value.decode("utf-8", errors="replace")

    async def _next(self) -> _Part | bytes | _PartEnd | None:
        while not self._events:
            if self._finished:
                return None
            chunk = await anext(self._body, None)
            if chunk is None:
                raise DomainError(MALFORMED)
            self._received += len(chunk)
            if self._received > self._limit:
                raise self._too_large
            try:
                self._parser.write(chunk)
            except FormParserError as error:
                raise DomainError(MALFORMED) from error
        return self._events.popleft()

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[bytes(self._header_name).lower()] = bytes(self._header_value).strip()
        self._header_name.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get(b"content-disposition"))
        name = options.get(b"name")
        if disposition != b"form-data" or name is None:
            raise DomainError(MALFORMED)
        filename = options.get(b"filename")
        self._events.append(
            _Part(
                name.decode("utf-8", errors="replace"),
                None if filename is None else filename.decode("utf-8", errors="replace"),
            )
        )

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if end > start:
            # Most of a file comes as whole body chunks: those are passed on without a copy.
            self._events.append(data if start == 0 and end == len(data) else data[start:end])

    def _on_end(self) -> None:
        self._finished = True
