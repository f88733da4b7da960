"""An upload streams through the app into the store: the CSRF token is checked before any
byte of the file is stored, and a refused or broken upload leaves nothing behind."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import asdict
from pathlib import Path

import httpx
import pytest
from litestar import Request, Response, post
from litestar.template.base import csrf_token as template_csrf_token

from app.errors import Invalid
from app.files import DOCUMENT_TYPES, LocalFileStore
from app.uploads import FORM_OVERHEAD, csrf_check, read_multipart
from tests.app.test_files import (
    TYPE_MESSAGE,
    docx_bytes,
    files_under,
    jpeg_bytes,
    pdf_bytes,
    png_bytes,
    xlsx_bytes,
)
from tests.conftest import csrf_token, html

LIMIT = 1024**2
Part = tuple[str, str | None, bytes]


@post(
    "/test-upload",
    opt={"exclude_from_csrf": True},
    request_max_body_size=LIMIT + FORM_OVERHEAD,
    include_in_schema=False,
)
async def upload(request: Request) -> dict:
    store = LocalFileStore(request.app.state.platform.settings.files_dir)
    form = await read_multipart(
        request,
        file_field="document",
        store=store,
        max_bytes=LIMIT,
        allowed=DOCUMENT_TYPES,
        csrf_secret_check=csrf_check(request),
    )
    return {"fields": form.fields, "file": form.file and asdict(form.file)}


@post("/test-upload-form", opt={"exclude_from_csrf": True}, include_in_schema=False)
async def upload_form(request: Request) -> Response:
    """As an HTML controller does: a refused upload shows the form again."""
    try:
        await upload.fn(request)
    except Invalid as error:
        token = template_csrf_token({"request": request})
        return Response({"errors": error.field_errors, "csrf_token": token}, status_code=400)
    return Response({}, status_code=201)


@pytest.fixture
async def uploads(app, client) -> httpx.AsyncClient:
    app.register(upload)
    app.register(upload_form)
    return client


@pytest.fixture
def files_dir(settings) -> Path:
    return settings.files_dir


def multipart(parts: list[Part], boundary: str | None = None) -> tuple[bytes, dict[str, str]]:
    """A multipart body with the parts in exactly this order (a filename of None makes a
    text field)."""
    boundary = boundary or secrets.token_hex(12)
    body = bytearray()
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            body += b"Content-Type: application/octet-stream\r\n"
        body += b"\r\n" + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return bytes(body), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


async def send(client: httpx.AsyncClient, parts: list[Part]) -> httpx.Response:
    body, headers = multipart(parts)
    return await client.post("/test-upload", content=body, headers=headers)


async def token(client: httpx.AsyncClient) -> Part:
    return ("_csrf_token", None, (await csrf_token(client)).encode())


def text(response: httpx.Response) -> str:
    return " ".join(html(response).text_content().split())


# Stored --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("Service specification.pdf", pdf_bytes()),
        ("site plan.png", png_bytes()),
        ("kitchen.jpeg", jpeg_bytes()),
        ("method statement.docx", docx_bytes()),
        ("price schedule.xlsx", xlsx_bytes()),
    ],
)
async def test_an_uploaded_file_is_stored_under_its_digest(uploads, files_dir, filename, data):
    response = await send(
        uploads,
        [
            await token(uploads),
            ("title", None, "Specification for Lot 1 (Bromsgrove café)".encode()),
            ("document", filename, data),
        ],
    )

    assert response.status_code == 201, response.text
    stored = response.json()["file"]
    assert stored["original_name"] == filename
    assert stored["size"] == len(data)
    assert response.json()["fields"] == {"title": "Specification for Lot 1 (Bromsgrove café)"}
    digest = stored["sha256"]
    assert files_under(files_dir) == [Path("sha256", digest[:2], digest[2:4], digest)]
    assert (files_dir / "sha256" / digest[:2] / digest[2:4] / digest).read_bytes() == data


async def test_the_same_file_uploaded_twice_is_stored_once(uploads, files_dir):
    for name in ("tender.pdf", "tender (1).pdf"):
        response = await send(uploads, [await token(uploads), ("document", name, pdf_bytes())])
        assert response.status_code == 201, response.text

    assert len(files_under(files_dir)) == 1


async def test_a_form_sent_without_choosing_a_file_has_no_file(uploads, files_dir):
    response = await send(
        uploads, [await token(uploads), ("title", None, b"Draft"), ("document", "", b"")]
    )

    assert response.status_code == 201, response.text
    assert response.json() == {"fields": {"title": "Draft"}, "file": None}
    assert files_under(files_dir) == []


async def test_a_large_upload_streams_in_small_chunks(uploads, files_dir):
    data = png_bytes(tail=bytes(LIMIT - len(png_bytes())))
    body, headers = multipart([await token(uploads), ("document", "scan.png", data)])

    async def in_chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    response = await uploads.post("/test-upload", content=in_chunks(), headers=headers)

    assert response.status_code == 201, response.text
    assert response.json()["file"]["size"] == LIMIT


# Refused -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("tender.pdf", png_bytes(), "The file's contents do not match its .pdf extension"),
        ("setup.exe", b"MZ\x90\x00" + bytes(60), TYPE_MESSAGE),
        ("page.html", b"<html><script>alert(1)</script></html>", TYPE_MESSAGE),
        ("tender.pdf", b"", "The selected file is empty"),
    ],
)
async def test_a_file_of_the_wrong_type_is_refused_and_not_stored(
    uploads, files_dir, filename, data, message
):
    response = await send(uploads, [await token(uploads), ("document", filename, data)])

    assert response.status_code == 400
    assert message in text(response)
    assert files_under(files_dir) == []


async def test_a_file_over_the_limit_is_refused_with_413_and_not_stored(uploads, files_dir):
    data = png_bytes(tail=bytes(LIMIT))
    response = await send(uploads, [await token(uploads), ("document", "scan.png", data)])

    assert response.status_code == 413
    assert "The selected file must be smaller than 1 MB" in text(response)
    assert files_under(files_dir) == []


async def test_a_body_announced_as_too_large_is_refused_before_it_is_read(uploads, files_dir):
    sent = 0
    body, headers = multipart(
        [await token(uploads), ("document", "scan.png", png_bytes(tail=bytes(2 * LIMIT)))]
    )

    async def counted() -> AsyncIterator[bytes]:
        nonlocal sent
        for start in range(0, len(body), 65536):
            sent += 65536
            yield body[start : start + 65536]

    response = await uploads.post(
        "/test-upload",
        content=counted(),
        headers={**headers, "Content-Length": str(len(body))},
    )

    assert response.status_code == 413
    assert sent <= 65536
    assert files_under(files_dir) == []


async def test_an_overlong_text_field_is_refused_with_413(uploads, files_dir):
    response = await send(uploads, [await token(uploads), ("title", None, b"x" * 70000)])

    assert response.status_code == 413
    assert files_under(files_dir) == []


@pytest.mark.parametrize(
    "rest",
    [
        b"--abc\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--abc--\r\n",
        b'--abc\r\nContent-Disposition: form-data; name="document"; filename="a.pdf"\r\n'
        b"\r\n%PDF-1.4 and the body stops here",
        b"--abc\r\nnot a header line at all\r\n\r\n",
        b"",
    ],
)
async def test_a_malformed_or_truncated_form_is_refused_and_nothing_stored(
    uploads, files_dir, rest
):
    csrf = (await csrf_token(uploads)).encode()
    first = b'--abc\r\nContent-Disposition: form-data; name="_csrf_token"\r\n\r\n'
    response = await uploads.post(
        "/test-upload",
        content=first + csrf + b"\r\n" + rest,
        headers={"Content-Type": "multipart/form-data; boundary=abc"},
    )

    assert response.status_code == 400
    assert files_under(files_dir) == []


async def test_a_form_that_is_not_multipart_is_refused(uploads):
    response = await uploads.post(
        "/test-upload", data={"_csrf_token": await csrf_token(uploads), "title": "Draft"}
    )
    assert response.status_code == 400


# The CSRF token ------------------------------------------------------------------------


async def test_an_upload_without_a_csrf_token_is_refused_and_not_stored(uploads, files_dir):
    await csrf_token(uploads)
    response = await send(uploads, [("document", "tender.pdf", pdf_bytes())])

    assert response.status_code == 403
    assert "Your form could not be sent" in text(response)
    assert files_under(files_dir) == []


async def test_an_upload_with_a_wrong_csrf_token_is_refused_and_not_stored(uploads, files_dir):
    genuine = await csrf_token(uploads)
    forged = genuine[:-4] + ("0000" if not genuine.endswith("0000") else "1111")
    response = await send(
        uploads, [("_csrf_token", None, forged.encode()), ("document", "tender.pdf", pdf_bytes())]
    )

    assert response.status_code == 403
    assert files_under(files_dir) == []


async def test_a_csrf_token_without_its_cookie_is_refused(uploads, files_dir):
    genuine = await token(uploads)
    uploads.cookies.clear()
    response = await send(uploads, [genuine, ("document", "tender.pdf", pdf_bytes())])

    assert response.status_code == 403
    assert files_under(files_dir) == []


async def test_a_csrf_token_after_the_file_is_refused_and_nothing_stored(uploads, files_dir):
    response = await send(uploads, [("document", "tender.pdf", pdf_bytes()), await token(uploads)])

    assert response.status_code == 403
    assert files_under(files_dir) == []


async def test_a_form_without_a_file_still_needs_the_csrf_token(uploads):
    await csrf_token(uploads)
    response = await send(uploads, [("title", None, b"Draft")])
    assert response.status_code == 403


async def test_a_form_shown_again_after_a_refused_upload_carries_a_working_token(uploads):
    body, headers = multipart([await token(uploads), ("document", "big.png", bytes(2 * LIMIT))])
    refused = await uploads.post("/test-upload-form", content=body, headers=headers)

    assert refused.status_code == 400
    assert refused.json()["errors"] == {"document": "The selected file must be smaller than 1 MB"}
    again = ("_csrf_token", None, refused.json()["csrf_token"].encode())
    body, headers = multipart([again, ("document", "plan.png", png_bytes())])
    response = await uploads.post("/test-upload-form", content=body, headers=headers)
    assert response.status_code == 201


# Interrupted uploads -------------------------------------------------------------------


async def test_an_upload_broken_off_mid_stream_leaves_nothing(uploads, files_dir):
    body, headers = multipart([await token(uploads), ("document", "scan.png", png_bytes())])
    head = body[: body.index(b"\x89PNG") + 8]

    async def broken() -> AsyncIterator[bytes]:
        yield head
        yield bytes(300_000)
        raise ConnectionResetError("the network went away")

    response = await uploads.post("/test-upload", content=broken(), headers=headers)

    assert response.status_code == 500
    assert files_under(files_dir) == []


async def test_a_client_that_disconnects_mid_upload_leaves_nothing(app, uploads, files_dir):
    body, headers = multipart([await token(uploads), ("document", "scan.png", png_bytes())])
    head = body[: body.index(b"\x89PNG") + 8]
    cookie = "; ".join(f"{name}={value}" for name, value in uploads.cookies.items())
    messages = [
        {"type": "http.request", "body": head, "more_body": True},
        {"type": "http.request", "body": bytes(300_000), "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict] = []

    async def receive() -> dict:
        return messages.pop(0)

    async def send_(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "https",
        "path": "/test-upload",
        "raw_path": b"/test-upload",
        "root_path": "",
        "query_string": b"",
        "server": ("testserver", 443),
        "client": ("127.0.0.1", 50000),
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", headers["Content-Type"].encode()),
            (b"cookie", cookie.encode()),
        ],
        "state": {},
    }
    await app(scope, receive, send_)

    assert messages == []
    assert files_under(files_dir) == []
