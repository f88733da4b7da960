"""The file store keeps each content once, under its SHA-256, and only after checking its
size and its type by magic bytes; nothing of a refused or interrupted upload remains."""

from __future__ import annotations

import asyncio
import hashlib
import io
import random
import struct
import tempfile
import tracemalloc
import zipfile
import zlib
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import files
from app.errors import Invalid, NotFound, TooLarge
from app.files import DOCUMENT_TYPES, LocalFileStore, display_name

TYPE_MESSAGE = "The selected file must be a PDF, Word document, Excel spreadsheet, PNG or JPEG"

# Real, minimal files of each allowed type ----------------------------------------------


def png_bytes(tail: bytes = b"") -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1 by 1 pixel, 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
        + tail
    )


def pdf_bytes(text: str = "Service specification") -> bytes:
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def jpeg_bytes() -> bytes:
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


def _zip(parts: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    return _zip(
        {
            "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/'
            '2006/content-types"/>',
            "_rels/.rels": "<Relationships/>",
            "word/document.xml": "<w:document/>",
        }
    )


def xlsx_bytes() -> bytes:
    return _zip(
        {
            "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/'
            '2006/content-types"/>',
            "_rels/.rels": "<Relationships/>",
            "xl/workbook.xml": "<workbook/>",
        }
    )


# Helpers -------------------------------------------------------------------------------


async def chunked(data: bytes, sizes: Iterable[int] = ()) -> AsyncIterator[bytes]:
    """``data`` in chunks of the given sizes (the rest in 64 KiB chunks)."""
    position = 0
    for size in sizes:
        yield data[position : position + size]
        position += size
    while position < len(data):
        yield data[position : position + 65536]
        position += 65536


def files_under(root: Path) -> list[Path]:
    return sorted(path.relative_to(root) for path in root.rglob("*") if path.is_file())


@pytest.fixture
def store(tmp_path: Path) -> LocalFileStore:
    return LocalFileStore(tmp_path / "files")


async def save(store: LocalFileStore, data: bytes, filename: str, max_bytes: int = 1024**2):
    return await store.save(
        chunked(data), filename=filename, max_bytes=max_bytes, allowed=DOCUMENT_TYPES
    )


# What is stored ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "data", "content_type"),
    [
        ("Service specification.pdf", pdf_bytes(), "application/pdf"),
        ("site-plan.PNG", png_bytes(), "image/png"),
        ("kitchen.jpg", jpeg_bytes(), "image/jpeg"),
        ("kitchen.jpeg", jpeg_bytes(), "image/jpeg"),
        (
            "method statement.docx",
            docx_bytes(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "price schedule.xlsx",
            xlsx_bytes(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ],
)
async def test_an_allowed_file_is_stored_under_its_digest_and_nothing_else(
    store, filename, data, content_type
):
    stored = await save(store, data, filename)

    digest = hashlib.sha256(data).hexdigest()
    assert stored.sha256 == digest
    assert stored.size == len(data)
    assert stored.content_type == content_type
    assert stored.extension == filename.rpartition(".")[2].lower()
    assert stored.original_name == filename
    assert files_under(store.root) == [Path("sha256", digest[:2], digest[2:4], digest)]
    assert store.open_path(digest).read_bytes() == data
    assert await store.exists(digest)
    assert b"".join([chunk async for chunk in store.read(digest)]) == data


async def test_the_same_content_uploaded_twice_is_one_file(store):
    first = await save(store, pdf_bytes(), "tender.pdf")
    second = await save(store, pdf_bytes(), "a copy of the tender.pdf")

    assert first.sha256 == second.sha256
    assert second.original_name == "a copy of the tender.pdf"
    assert len(files_under(store.root)) == 1


async def test_a_file_not_yet_stored_does_not_exist(store):
    assert not await store.exists(hashlib.sha256(b"never uploaded").hexdigest())


@pytest.mark.parametrize("digest", ["../../etc/passwd", "ABC", "a" * 63, "A" * 64, "g" * 64])
def test_only_a_sha256_hex_digest_names_a_stored_file(store, digest):
    with pytest.raises(NotFound):
        store.open_path(digest)


# What is refused -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 60),
        ("page.html", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
        ("notes.txt", b"plain words"),
        ("no extension", pdf_bytes()),
        ("archive.zip", docx_bytes()),
    ],
)
async def test_a_file_of_a_type_not_allowed_is_refused(store, filename, data):
    with pytest.raises(Invalid) as refused:
        await save(store, data, filename)

    assert refused.value.field_errors == {"file": TYPE_MESSAGE}
    assert files_under(store.root) == []


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("tender.pdf", png_bytes()),
        ("photo.png", pdf_bytes()),
        ("photo.jpg", png_bytes()),
        ("tender.pdf", b"<html>not a pdf</html>"),
        ("method statement.docx", xlsx_bytes()),
        ("price schedule.xlsx", docx_bytes()),
        ("method statement.docx", _zip({"readme.txt": "a plain zip"})),
        ("method statement.docx", b"PK\x03\x04" + b"\x00" * 100),
    ],
)
async def test_a_file_whose_contents_do_not_match_its_extension_is_refused(store, filename, data):
    with pytest.raises(Invalid) as refused:
        await save(store, data, filename)

    extension = filename.rpartition(".")[2]
    assert refused.value.field_errors == {
        "file": f"The file's contents do not match its .{extension} extension"
    }
    assert files_under(store.root) == []


async def test_an_empty_file_is_refused(store):
    with pytest.raises(Invalid) as refused:
        await save(store, b"", "tender.pdf")

    assert refused.value.field_errors == {"file": "The selected file is empty"}
    assert files_under(store.root) == []


async def test_a_file_over_the_limit_is_refused_with_413_as_soon_as_it_passes_it(store):
    read = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal read
        yield png_bytes()
        while True:
            read += 65536
            yield bytes(65536)

    with pytest.raises(TooLarge) as refused:
        await store.save(
            endless(), filename="plan.png", max_bytes=50 * 1024**2, allowed=DOCUMENT_TYPES
        )

    assert refused.value.status_code == 413
    assert refused.value.field_errors == {"file": "The selected file must be smaller than 50 MB"}
    assert read <= 50 * 1024**2 + 65536
    assert files_under(store.root) == []


async def test_a_file_of_exactly_the_limit_is_stored(store):
    data = png_bytes(tail=bytes(1024**2 - len(png_bytes())))
    stored = await save(store, data, "plan.png", max_bytes=1024**2)
    assert stored.size == 1024**2


async def test_an_upload_that_fails_mid_stream_leaves_no_file(store):
    async def broken() -> AsyncIterator[bytes]:
        yield pdf_bytes()
        yield bytes(3 * 1024**2)
        raise ConnectionResetError("the client went away")

    with pytest.raises(ConnectionResetError):
        await store.save(broken(), filename="tender.pdf", max_bytes=10**9, allowed=DOCUMENT_TYPES)

    assert files_under(store.root) == []


async def test_a_cancelled_upload_leaves_no_file(store):
    halfway = asyncio.Event()

    async def stalled() -> AsyncIterator[bytes]:
        yield pdf_bytes()
        yield bytes(3 * 1024**2)
        halfway.set()
        await asyncio.Event().wait()
        yield b"never"

    upload = asyncio.create_task(
        store.save(stalled(), filename="tender.pdf", max_bytes=10**9, allowed=DOCUMENT_TYPES)
    )
    await halfway.wait()
    assert files_under(store.root) != []
    upload.cancel()
    with pytest.raises(asyncio.CancelledError):
        await upload

    assert files_under(store.root) == []


async def test_memory_stays_flat_while_a_large_file_streams_in(store):
    size = 100 * 1024**2
    block = bytes(65536)

    async def large() -> AsyncIterator[bytes]:
        yield png_bytes()
        for _ in range(size // len(block)):
            yield block

    tracemalloc.start()
    try:
        stored = await store.save(
            large(), filename="scan.png", max_bytes=2 * size, allowed=DOCUMENT_TYPES
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert stored.size == size + len(png_bytes())
    assert peak < 10 * 1024**2, f"peak {peak / 1024**2:.1f} MB"


async def test_a_file_of_many_batches_is_stored_byte_for_byte_however_its_chunks_fall(store):
    # Chunks of a size that divides nothing: batches end mid-chunk, and the last is short.
    data = png_bytes(tail=random.Random(5).randbytes(5 * files.WRITE_BATCH + 12345))
    stored = await store.save(
        chunked(data, [70001] * (len(data) // 70001)),
        filename="scan.png",
        max_bytes=len(data),
        allowed=DOCUMENT_TYPES,
    )

    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert store.open_path(stored.sha256).read_bytes() == data


@settings(max_examples=40, deadline=None)
@given(
    tail=st.binary(max_size=3 * 65536),
    sizes=st.lists(st.integers(min_value=0, max_value=70000), max_size=12),
)
def test_the_stored_bytes_and_digest_are_those_sent_however_they_are_chunked(tail, sizes):
    data = png_bytes(tail)

    async def scenario(root: Path) -> None:
        store = LocalFileStore(root)
        stored = await store.save(
            chunked(data, sizes), filename="a.png", max_bytes=len(data), allowed=DOCUMENT_TYPES
        )
        assert stored.sha256 == hashlib.sha256(data).hexdigest()
        assert stored.size == len(data)
        assert store.open_path(stored.sha256).read_bytes() == data
        assert files_under(root) == [store.open_path(stored.sha256).relative_to(root)]

    with tempfile.TemporaryDirectory() as root:
        asyncio.run(scenario(Path(root)))


# The name kept for display -------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\helen\\Documents\\Policy.docx", "Policy.docx"),
        ("report\x00.pdf\n", "report.pdf"),
        ("...", "file"),
        ("", "file"),
        ("a" * 300 + ".xlsx", "a" * 145 + ".xlsx"),
    ],
)
def test_the_original_name_is_kept_for_display_without_path_or_control_characters(sent, kept):
    assert display_name(sent) == kept


def test_the_sweep_removes_partial_uploads_of_dead_processes_and_stale_ones(
    tmp_path: Path,
) -> None:
    import os
    import time

    store = files.LocalFileStore(tmp_path)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    dead_pid = 2**22 + 1  # above the largest pid Linux hands out: no such process
    mine = tmp / f"{files._HOST}-{os.getpid()}-aa"
    dead = tmp / f"{files._HOST}-{dead_pid}-bb"
    elsewhere = tmp / "another_machine-123-cc"
    old_elsewhere = tmp / "another_machine-456-dd"
    for path in (mine, dead, elsewhere, old_elsewhere):
        path.write_bytes(b"part of an upload")
    day_ago = time.time() - files.STALE_UPLOAD_SECONDS - 60
    os.utime(old_elsewhere, (day_ago, day_ago))

    assert store.sweep() == 2
    assert sorted(p.name for p in tmp.iterdir()) == sorted([mine.name, elsewhere.name])
