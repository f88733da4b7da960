"""The file store: content-addressed by SHA-256, written while the upload streams, checked
for size and type (by magic bytes) before anything can refer to a file.

``FileStore`` is the interface the rest of the platform uses, so that an S3-compatible
object store can replace ``LocalFileStore`` without the callers noticing. Nothing in the
store's paths comes from the user: files live at ``sha256/ab/cd/<digest>``.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
import socket
import time
import unicodedata
import zipfile
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from io import FileIO
from pathlib import Path
from typing import Protocol

import anyio
import anyio.to_thread
import puremagic

from app.errors import Invalid, NotFound, TooLarge

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PNG = "image/png"
JPEG = "image/jpeg"

#: What tender documents and bid evidence may be: extension → the types its contents may be.
DOCUMENT_TYPES: Mapping[str, frozenset[str]] = {
    "pdf": frozenset({PDF}),
    "docx": frozenset({DOCX}),
    "xlsx": frozenset({XLSX}),
    "png": frozenset({PNG}),
    "jpg": frozenset({JPEG}),
    "jpeg": frozenset({JPEG}),
}

#: How the messages name each extension.
_TYPE_NAMES = {
    "pdf": "PDF",
    "docx": "Word document",
    "xlsx": "Excel spreadsheet",
    "png": "PNG",
    "jpg": "JPEG",
    "jpeg": "JPEG",
}

#: Word and Excel files are ZIP archives, and magic bytes only say "ZIP": the archive must
#: hold the parts that make it the one or the other.
_ZIP_PARTS = {DOCX: "word/", XLSX: "xl/"}

#: Uploads arrive in small chunks; hash and write them in batches of this size, one thread
#: hop each. Two such buffers per upload in progress.
WRITE_BATCH = 1024 * 1024
READ_CHUNK = 256 * 1024
MAX_NAME_LENGTH = 150
#: A partial upload untouched this long is abandoned, whoever wrote it.
STALE_UPLOAD_SECONDS = 24 * 3600
_HOST = socket.gethostname().replace("-", "_")
_DIGEST = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    #: The MIME type its contents were checked to be.
    content_type: str
    #: Lower case, without the dot.
    extension: str
    #: The name it was uploaded with, for display only: never part of a path.
    original_name: str


class FileStore(Protocol):
    async def save(
        self,
        chunks: AsyncIterable[bytes],
        *,
        filename: str,
        max_bytes: int,
        allowed: Mapping[str, AbstractSet[str]],
        field: str = "file",
        too_large: str | None = None,
    ) -> StoredFile:
        """Store the file streamed in ``chunks``, refusing it unless its extension is one
        of ``allowed``, its contents are of a type allowed for that extension, and it is
        not empty nor larger than ``max_bytes``. A refused or interrupted upload leaves
        nothing behind.

        Raises ``Invalid`` ({field: message}) for a wrong type or an empty file, and
        ``TooLarge`` (also {field: message}: ``too_large``, or what ``size_message``
        says) as soon as the file passes ``max_bytes``.
        """
        ...

    async def exists(self, sha256: str) -> bool: ...

    def read(self, sha256: str) -> AsyncIterator[bytes]:
        """The stored bytes, in chunks. Raises ``NotFound`` for a malformed digest."""
        ...


def display_name(filename: str) -> str:
    """The last part of a browser-sent name, without control characters, and short
    enough to show; the extension survives shortening."""
    name = unicodedata.normalize("NFC", re.split(r"[/\\]", filename)[-1])
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip(" .")
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: MAX_NAME_LENGTH - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:MAX_NAME_LENGTH]
    return name or "file"


def type_message(allowed: Mapping[str, AbstractSet[str]]) -> str:
    names = list(dict.fromkeys(_TYPE_NAMES.get(ext, ext.upper()) for ext in allowed))
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return f"The selected file must be a {listed}"


def size_text(size_bytes: int) -> str:
    """A limit in words: "50 MB" where it is a whole number of them, else bytes."""
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size_bytes >= size and size_bytes % size == 0:
            return f"{size_bytes // size:,} {unit}"
    return f"{size_bytes:,} bytes"


def size_message(max_bytes: int) -> str:
    return f"The selected file must be smaller than {size_text(max_bytes)}"


class LocalFileStore:
    """Files in a folder (``CARETENDER_FILES_DIR``), shared by every worker."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"

    def open_path(self, sha256: str) -> Path:
        """Where a file with this digest is (or would be). Local store only: serve it
        with ``Content-Disposition: attachment``."""
        if not _DIGEST.fullmatch(sha256):
            raise NotFound()
        return self.root / "sha256" / sha256[:2] / sha256[2:4] / sha256

    async def exists(self, sha256: str) -> bool:
        return await anyio.to_thread.run_sync(self.open_path(sha256).is_file)

    async def read(self, sha256: str) -> AsyncIterator[bytes]:
        async with await anyio.open_file(self.open_path(sha256), "rb") as stored:
            while chunk := await stored.read(READ_CHUNK):
                yield chunk

    async def save(
        self,
        chunks: AsyncIterable[bytes],
        *,
        filename: str,
        max_bytes: int,
        allowed: Mapping[str, AbstractSet[str]],
        field: str = "file",
        too_large: str | None = None,
    ) -> StoredFile:
        original_name = display_name(filename)
        _, dot, extension = original_name.rpartition(".")
        extension = extension.lower() if dot else ""
        if extension not in allowed:
            raise Invalid({field: type_message(allowed)})

        # Named for its machine and process, so that a restart can tell its dead ones.
        temporary = self._tmp / f"{_HOST}-{os.getpid()}-{secrets.token_hex(16)}"
        out = await anyio.to_thread.run_sync(_create, temporary)
        writer = _Writer(out)
        try:
            size = 0
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge({field: too_large or size_message(max_bytes)})
                await writer.add(chunk)
            await writer.finish()
            await anyio.to_thread.run_sync(_close_durably, out)
            if size == 0:
                raise Invalid({field: "The selected file is empty"})
            found = await anyio.to_thread.run_sync(_content_types, temporary)
            acceptable = sorted(found & allowed[extension])
            if not acceptable:
                raise Invalid(
                    {field: f"The file's contents do not match its .{extension} extension"}
                )
            sha256 = writer.digest.hexdigest()
            await anyio.to_thread.run_sync(_move_into_place, temporary, self.open_path(sha256))
        except BaseException:
            # Shielded: a cancelled upload must still take its partial file with it.
            with anyio.CancelScope(shield=True):
                await writer.settle(check=False)
                await anyio.to_thread.run_sync(_discard, out, temporary)
            raise
        return StoredFile(sha256, size, acceptable[0], extension, original_name)

    def sweep(self, *, older_than: float = STALE_UPLOAD_SECONDS) -> int:
        """Remove partial uploads a killed process left behind: this machine's whose
        process is gone, and anyone's older than ``older_than`` seconds (the folder may be
        shared by other machines' workers). Returns how many went."""
        if not self._tmp.is_dir():
            return 0
        removed = 0
        now = time.time()
        for path in self._tmp.iterdir():
            host, _, rest = path.name.partition("-")
            pid = rest.partition("-")[0]
            dead = host == _HOST and pid.isdigit() and not _alive(int(pid))
            try:
                stale = now - path.stat().st_mtime > older_than
            except FileNotFoundError:
                continue
            if dead or stale:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _create(path: Path) -> FileIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Unbuffered: the batches are large, and a BufferedWriter copies a memoryview piecemeal.
    return FileIO(path, "xb")


class _Writer:
    """Hashes and writes an upload a batch at a time in a worker thread (which lets go of
    the GIL) while the next batch arrives.

    The chunks are copied into two buffers used in turn rather than kept until written: a
    chunk freed at once leaves its memory warm for the next one, and fresh memory for every
    chunk (page faults) costs more than the copy."""

    def __init__(self, out: FileIO) -> None:
        self.digest = hashlib.sha256()
        self._out = out
        self._buffers = (bytearray(WRITE_BATCH), bytearray(WRITE_BATCH))
        self._filling = 0
        self._filled = 0
        self._pending: asyncio.Future[None] | None = None

    async def add(self, chunk: bytes) -> None:
        view = memoryview(chunk)
        while view:
            taken = min(len(view), WRITE_BATCH - self._filled)
            self._buffers[self._filling][self._filled : self._filled + taken] = view[:taken]
            self._filled += taken
            view = view[taken:]
            if self._filled == WRITE_BATCH:
                await self._hand_over()

    async def finish(self) -> None:
        if self._filled:
            await self._hand_over()
        await self.settle()

    async def settle(self, *, check: bool = True) -> None:
        """Wait for the batch in the thread, and raise its error if ``check``. Its future
        is never cancelled: a cancelled upload must not close the file, nor refill the
        buffer, under a thread still at work."""
        if (pending := self._pending) is None:
            return
        await asyncio.wait([pending])
        self._pending = None
        error = pending.exception()
        if check and error is not None:
            raise error

    async def _hand_over(self) -> None:
        await self.settle()  # the other buffer's batch: that buffer is filled next
        batch = memoryview(self._buffers[self._filling])[: self._filled]
        self._pending = asyncio.get_running_loop().run_in_executor(
            None, _write, self._out, self.digest, batch
        )
        self._filling, self._filled = 1 - self._filling, 0


def _write(out: FileIO, digest: hashlib._Hash, batch: memoryview) -> None:
    digest.update(batch)
    start = out.tell()
    left = batch
    while left:
        left = left[out.write(left) :]
    # Linux starts writing this batch to the disk now, so that the fsync before the upload
    # is acknowledged has little left to wait for. (It also drops any page already clean,
    # as _close_durably does: Python has no sync_file_range, which would only start it.)
    os.posix_fadvise(out.fileno(), start, len(batch), os.POSIX_FADV_DONTNEED)


def _close_durably(out: FileIO) -> None:
    """On disk before any row refers to it: a power cut must not leave a short file at a
    digest's address, which every later upload of the same bytes would then point to."""
    os.fsync(out.fileno())
    # Its pages are clean now: let them go. An upload is seldom read back soon, and memory
    # freed at once is reused warm by the next one (in a VM, memory left untouched for a
    # while can be several times slower to write into).
    os.posix_fadvise(out.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    out.close()


def _discard(out: FileIO, path: Path) -> None:
    out.close()
    path.unlink(missing_ok=True)


def _move_into_place(temporary: Path, final: Path) -> None:
    if final.exists():
        # The same bytes are already stored: one file, however often it is uploaded.
        temporary.unlink()
        return
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(temporary, final)
    folder = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself, durable
    finally:
        os.close(folder)


def _content_types(path: Path) -> set[str]:
    """The MIME types the file's magic bytes say it is. Never told the file's name:
    puremagic would otherwise fall back on guessing from the extension."""
    with path.open("rb") as stored:
        try:
            found = {match.mime_type for match in puremagic.magic_stream(stored) if match.mime_type}
        except puremagic.PureError:
            return set()
    for zip_type, folder in _ZIP_PARTS.items():
        if zip_type in found and not _zip_has(path, folder):
            found.discard(zip_type)
    return found


def _zip_has(path: Path, folder: str) -> bool:
    """Only the archive's directory is read: nothing is decompressed."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
    return "[Content_Types].xml" in names and any(name.startswith(folder) for name in names)
