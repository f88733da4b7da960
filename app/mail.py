"""The mail outbox: email is queued in the database with the change that causes it, and a
worker delivers it over SMTP, or in development writes it as ``.eml`` files under
``var/mail/``.

Nothing is lost: a message is a row committed in the caller's transaction, so it exists
exactly when the change does, and it stays pending through any number of failed attempts
(backing off from 30 seconds to an hour) until the server takes it; after the last attempt
it is marked failed and kept.

Nothing is sent twice, as far as a sender can promise it:

- Workers claim due rows atomically (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, a
  conditional update under the write lock on SQLite), each claim with its own token. Before
  handing a message over, the worker commits ``sending_started_at`` on condition that it
  still holds the claim, so a worker that stalled past ``ABANDONED_AFTER`` and lost its claim
  to another never sends.
- Once the server has accepted a message, its row is marked sent, with its audit event, in
  one transaction.
- The worker checks before sending again a message whose last claim was abandoned. A
  ``.eml`` file is written under a temporary name and renamed, so if it exists it is whole,
  and it is never written twice. An SMTP server cannot be asked whether it accepted a
  message; so the one window left is a worker dying (or losing the database) after the
  server's acceptance and before the commit, a few milliseconds. The row then shows
  ``sending_started_at`` under an abandoned claim, and the message goes again, identical:
  the same Message-ID and Date, by which receiving systems recognise a repeat; the audit
  event says it was a repeat.

A message may carry attachments: files already in the file store, named by digest in its
row and read from the store at each attempt (files are never deleted). They are checked
when queued: the file exists, its name is safe in a header, its type is one the platform
stores, and together they are not too large to send.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import logging
import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import timedelta
from email.message import EmailMessage
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from uuid import UUID, uuid4

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from piccolo.columns.combination import And

from app import audit, database
from app.files import DOCUMENT_TYPES, LocalFileStore, display_name, size_text
from app.platform import Platform
from app.settings import Settings
from app.tables import OutboxMessage
from app.templating import TEMPLATES_DIR, london_time
from app.vocabulary import AuditAction, MailStatus

logger = logging.getLogger("caretender.mail")

#: A claim this old was left by a worker that died; another worker may take the message.
ABANDONED_AFTER = timedelta(minutes=10)
FIRST_RETRY_AFTER = timedelta(seconds=30)
LONGEST_RETRY_AFTER = timedelta(hours=1)
#: With the backoff above, about 14 hours of trying before a message is marked failed.
MAX_ATTEMPTS = 20
#: Seconds smtplib waits on each network operation.
SMTP_TIMEOUT = 30.0
_SMTP_SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
#: The attachments of one message together, as stored: base64 makes them a third larger on
#: the wire, and many servers refuse messages over 20 or 25 MB.
MAX_ATTACHMENTS_BYTES = 10 * 1024 * 1024
#: What may be attached: the types the file store holds, each with the extensions a mail
#: client opens it by.
ATTACHMENT_TYPES: Mapping[str, frozenset[str]] = {
    content_type: frozenset(ext for ext, types in DOCUMENT_TYPES.items() if content_type in types)
    for content_type in sorted(set().union(*DOCUMENT_TYPES.values()))
}
_DIGEST = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Attachment:
    """A file of the file store, sent as ``filename`` of type ``content_type``."""

    sha256: str
    filename: str
    content_type: str


@dataclass(frozen=True)
class DeliveryReport:
    """What a pass of the worker did with the messages it claimed."""

    sent: int = 0
    #: Failed this time, to be tried again after a delay.
    deferred: int = 0
    #: Failed for the last time, or refused outright by the server.
    failed: int = 0

    @property
    def claimed(self) -> int:
        return self.sent + self.deferred + self.failed

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(
            self.sent + other.sent, self.deferred + other.deferred, self.failed + other.failed
        )


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    starttls: bool
    implicit_tls: bool
    username: str | None
    password: str | None


def smtp_server(url: str) -> SmtpServer:
    """``smtp://host:port``, ``smtp+starttls://user:password@host:587`` or ``smtps://...``.

    Raises ``ValueError`` for anything else.
    """
    parts = urlsplit(url)
    if parts.scheme not in _SMTP_SCHEMES or not parts.hostname:
        raise ValueError(
            "CARETENDER_SMTP_URL must look like smtp://host:port, "
            "smtp+starttls://user:password@host:port or smtps://user:password@host:port"
        )
    return SmtpServer(
        host=parts.hostname,
        port=parts.port or _SMTP_SCHEMES[parts.scheme],
        starttls=parts.scheme == "smtp+starttls",
        implicit_tls=parts.scheme == "smtps",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


@cache
def _templates() -> Environment:
    """Plain-text templates: escaping HTML would put ``&amp;`` into people's email."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["london_time"] = london_time
    return environment


async def enqueue(
    platform: Platform,
    *,
    to: str,
    subject: str,
    template: str,
    context: Mapping[str, Any],
    link_path: str | None,
    organisation_id: UUID | None = None,
    headers_checked: bool = False,
    attachments: Sequence[Attachment] = (),
) -> str:
    """Queue an email; call inside ``database.write_transaction()``, so that it is sent if
    and only if the change that caused it commits. Returns its Message-ID.

    ``template`` is a plain-text template such as ``"mail/provider_registered.txt"``,
    rendered now with ``context`` and ``link``: the full address of ``link_path``.
    ``organisation_id`` is the recipient's organisation, for the audit log.
    ``attachments`` are sent after the body, in order.
    Raises ``ValueError`` for a header that cannot be sent (a line break in the subject),
    unless ``check_headers`` has already passed them (outside a busy transaction); and for
    an attachment that is not in the file store, has a type not in ``ATTACHMENT_TYPES`` or
    an extension that does not match it, a digest that is not 64 lower-case hex digits, or
    a file name that is not safe in a header (``files.display_name`` would change it); or
    for attachments together larger than ``MAX_ATTACHMENTS_BYTES``.
    """
    _check_attachments(attachments)
    link = platform.settings.base_url.rstrip("/") + link_path if link_path else None
    body = _templates().get_template(template).render({**context, "link": link})
    now = platform.clock.now()
    row = {
        "message_id": f"<{uuid4()}@caretender>",
        "recipient": to,
        "subject": subject,
        "body": body,
        "organisation_id": str(organisation_id) if organisation_id else None,
        "status": MailStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "created_at": now,
        "attachments": json.dumps([asdict(attachment) for attachment in attachments]),
    }
    if not headers_checked:
        _email(platform.settings, row)  # refuse now what could never be sent
    if attachments:
        await _check_stored(platform.files, attachments)
    await database.insert(OutboxMessage, row)
    return row["message_id"]


async def deliver_due(platform: Platform, *, batch: int = 20) -> DeliveryReport:
    """Claim up to ``batch`` due messages and deliver them, one at a time.

    Raises ``ValueError`` for a malformed ``CARETENDER_SMTP_URL``, before claiming anything.
    """
    server = smtp_server(platform.settings.smtp_url) if platform.settings.smtp_url else None
    token, rows = await _claim(platform, batch)
    report = DeliveryReport()
    for row in rows:
        report += await _deliver(platform, server, token, row)
    return report


async def deliver_all_due(platform: Platform, *, batch: int = 20) -> DeliveryReport:
    """Deliver passes until one finds fewer than ``batch`` messages due."""
    report = DeliveryReport()
    while True:
        done = await deliver_due(platform, batch=batch)
        report += done
        if done.claimed < batch:
            return report


async def run_worker(platform: Platform, stop: asyncio.Event, interval: float = 5.0) -> None:
    """Deliver due mail every ``interval`` seconds until ``stop`` is set.

    An error (the database unreachable, say) is logged and the next pass tries again.
    """
    while not stop.is_set():
        try:
            report = await deliver_all_due(platform)
        except Exception:
            logger.exception("Mail delivery failed; trying again in %s seconds", interval)
        else:
            if report.claimed:
                logger.info(
                    "Mail: %d sent, %d to retry, %d failed",
                    report.sent,
                    report.deferred,
                    report.failed,
                )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


@asynccontextmanager
async def background_worker(platform: Platform) -> AsyncIterator[None]:
    """Deliver mail from this process while the block runs, when
    ``settings.mail_worker_interval`` asks for it (by default on SQLite)."""
    interval = platform.settings.mail_worker_interval
    if interval <= 0:
        yield
        return
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(platform, stop, interval))
    try:
        yield
    finally:
        stop.set()
        await worker


def eml_path(settings: Settings, message_id: str) -> Path:
    """Where the development sink writes a message: named for its Message-ID."""
    name = re.sub(r"[^A-Za-z0-9@._-]", "_", message_id.strip("<>"))
    return settings.var_dir / "mail" / f"{name}.eml"


# Claiming and recording -----------------------------------------------------------------


async def _claim(platform: Platform, batch: int) -> tuple[str, list[dict[str, Any]]]:
    now = platform.clock.now()
    token = str(uuid4())
    due = (
        (OutboxMessage.status == MailStatus.PENDING)
        & (OutboxMessage.next_attempt_at <= now)
        & (OutboxMessage.claimed_at.is_null() | (OutboxMessage.claimed_at < now - ABANDONED_AFTER))
    )
    async with database.write_transaction():
        candidates = (
            OutboxMessage.select(OutboxMessage.id)
            .where(due)
            .order_by(OutboxMessage.next_attempt_at)
            .limit(batch)
        )
        if not database.is_sqlite():
            # Rows another worker is claiming are passed over, not waited for.
            candidates = candidates.lock_rows("UPDATE", skip_locked=True)
        ids = [row["id"] for row in await candidates]
        if not ids:
            return token, []
        # The conditions again: on SQLite this conditional update is what makes the claim.
        await OutboxMessage.update(
            {
                OutboxMessage.claim_token: token,
                OutboxMessage.claimed_at: now,
                OutboxMessage.attempts: OutboxMessage.attempts + 1,
            }
        ).where(OutboxMessage.id.is_in(ids) & due)
        rows = await (
            OutboxMessage.select()
            .where(OutboxMessage.claim_token == token)
            .order_by(OutboxMessage.next_attempt_at)
        )
    return token, rows


def _held(row: Mapping[str, Any], token: str) -> And:
    return (OutboxMessage.id == row["id"]) & (OutboxMessage.claim_token == token)


async def _start_sending(platform: Platform, token: str, row: Mapping[str, Any]) -> bool:
    """Commit that this attempt is handing the message over; False if the claim was lost."""
    async with database.write_transaction():
        updated = (
            await OutboxMessage.update({OutboxMessage.sending_started_at: platform.clock.now()})
            .where(_held(row, token))
            .returning(OutboxMessage.id)
        )
    return bool(updated)


async def _deliver(
    platform: Platform, server: SmtpServer | None, token: str, row: dict[str, Any]
) -> DeliveryReport:
    repeat = row["sending_started_at"] is not None
    if not await _start_sending(platform, token, row):
        logger.warning("Mail %s: claim taken over by another worker", row["message_id"])
        return DeliveryReport()
    try:
        message = _email(platform.settings, row, await _read_attachments(platform.files, row))
        if server is None:
            await asyncio.to_thread(
                _write_eml, eml_path(platform.settings, row["message_id"]), message
            )
        else:
            await asyncio.to_thread(_send_smtp, server, message)
    except (smtplib.SMTPException, OSError) as error:
        return await _record_failure(platform, token, row, error)
    await _record_sent(platform, token, row, repeat=repeat and server is not None)
    return DeliveryReport(sent=1)


async def _record_sent(
    platform: Platform, token: str, row: Mapping[str, Any], *, repeat: bool
) -> None:
    async with database.write_transaction():
        updated = (
            await OutboxMessage.update(
                {
                    OutboxMessage.status: MailStatus.SENT,
                    OutboxMessage.sent_at: platform.clock.now(),
                    OutboxMessage.claim_token: None,
                    OutboxMessage.claimed_at: None,
                    OutboxMessage.last_error: "",
                }
            )
            .where(_held(row, token))
            .returning(OutboxMessage.id)
        )
        if not updated:
            # Only after a stall longer than ABANDONED_AFTER mid-send: nothing to do but say.
            logger.warning("Mail %s: sent after its claim was lost", row["message_id"])
            return
        details: dict[str, Any] = {"to": row["recipient"], "subject": row["subject"]}
        if attached := json.loads(row["attachments"]):
            details["attachments"] = attached
        await audit.record(
            platform,
            AuditAction.MAIL_MESSAGE_SEND,
            actor_id=None,
            organisation_id=_organisation(row),
            object_type="mail_message",
            object_id=row["message_id"],
            details={**details, "repeat_after_interruption": True} if repeat else details,
        )


async def _record_failure(
    platform: Platform, token: str, row: Mapping[str, Any], error: Exception
) -> DeliveryReport:
    now = platform.clock.now()
    attempts = row["attempts"]
    give_up = attempts >= MAX_ATTEMPTS or _refused_outright(error)
    reason = f"{type(error).__name__}: {error}"[:1000]
    delay = min(FIRST_RETRY_AFTER * 2 ** (attempts - 1), LONGEST_RETRY_AFTER)
    async with database.write_transaction():
        updated = (
            await OutboxMessage.update(
                {
                    OutboxMessage.status: MailStatus.FAILED if give_up else MailStatus.PENDING,
                    OutboxMessage.next_attempt_at: now + delay,
                    OutboxMessage.last_error: reason,
                    OutboxMessage.claim_token: None,
                    OutboxMessage.claimed_at: None,
                    # This attempt's outcome is known: the server did not take the message.
                    OutboxMessage.sending_started_at: None,
                }
            )
            .where(_held(row, token))
            .returning(OutboxMessage.id)
        )
        if updated and give_up:
            await audit.record(
                platform,
                AuditAction.MAIL_MESSAGE_FAIL,
                actor_id=None,
                organisation_id=_organisation(row),
                object_type="mail_message",
                object_id=row["message_id"],
                details={
                    "to": row["recipient"],
                    "subject": row["subject"],
                    "attempts": attempts,
                    "error": reason,
                },
            )
    logger.warning("Mail %s, attempt %d: %s", row["message_id"], attempts, reason)
    return DeliveryReport(failed=1) if give_up else DeliveryReport(deferred=1)


def _refused_outright(error: Exception) -> bool:
    """A permanent (5xx) refusal: trying again would get the same answer."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and 500 <= error.smtp_code < 600


def _organisation(row: Mapping[str, Any]) -> UUID | None:
    return UUID(row["organisation_id"]) if row["organisation_id"] else None


# Attachments ----------------------------------------------------------------------------


def attachment_filename(text: str) -> str:
    """A file name ``enqueue`` accepts, made of any text (a tender's reference such as
    ``CT/2026/014``, a provider's name): folder separators become hyphens, control
    characters go, and a long name is shortened keeping its extension."""
    name = re.sub(r"[/\\]", "-", text)
    name = re.sub(r"[\u2028\u2029]", " ", name)  # line breaks, but not control characters
    # A second pass can find what the first left (a shortened name ending in a space).
    while (shown := display_name(name)) != name:
        name = shown
    return name


def _check_attachments(attachments: Iterable[Attachment]) -> None:
    for attachment in attachments:
        if not _DIGEST.fullmatch(attachment.sha256):
            raise ValueError(
                f"An attachment's SHA-256 must be 64 lower-case hex digits: {attachment.sha256!r}"
            )
        filename = attachment.filename
        if display_name(filename) != filename or len(filename.splitlines()) > 1:
            # No line breaks or other control characters, no folders, no leading or trailing
            # dots and spaces, not too long: what the platform shows of any file's name.
            raise ValueError(f"An attachment's file name must be safe in a header: {filename!r}")
        extensions = ATTACHMENT_TYPES.get(attachment.content_type)
        if extensions is None:
            raise ValueError(f"An attachment may not be of type {attachment.content_type!r}")
        _, dot, extension = filename.rpartition(".")
        if not dot or extension.lower() not in extensions:
            raise ValueError(
                f"An attachment of type {attachment.content_type} must be named "
                f"{' or '.join(sorted('.' + ext for ext in extensions))}: {filename!r}"
            )


async def _check_stored(store: LocalFileStore, attachments: Sequence[Attachment]) -> None:
    """One thread hop however many: ``enqueue`` may run under the write lock."""
    paths = [store.open_path(attachment.sha256) for attachment in attachments]
    sizes = await asyncio.to_thread(_sizes, paths)
    for attachment, size in zip(attachments, sizes, strict=True):
        if size is None:
            raise ValueError(f"No file {attachment.sha256} in the file store to attach")
    if sum(size or 0 for size in sizes) > MAX_ATTACHMENTS_BYTES:
        raise ValueError(
            f"Attachments may not be larger than {size_text(MAX_ATTACHMENTS_BYTES)} together"
        )


def _sizes(paths: Iterable[Path]) -> list[int | None]:
    sizes: list[int | None] = []
    for path in paths:
        try:
            sizes.append(path.stat().st_size)
        except FileNotFoundError:
            sizes.append(None)
    return sizes


async def _read_attachments(
    store: LocalFileStore, row: Mapping[str, Any]
) -> list[tuple[Attachment, bytes]]:
    """Each attachment whole: they are small (``MAX_ATTACHMENTS_BYTES``). A file missing
    at this attempt (a worker given the wrong ``CARETENDER_FILES_DIR``) raises ``OSError``,
    and the message waits for the next."""
    attached = []
    for item in json.loads(row["attachments"]):
        attachment = Attachment(**item)
        content = b"".join([chunk async for chunk in store.read(attachment.sha256)])
        attached.append((attachment, content))
    return attached


# Handing over (in a thread: these block) -------------------------------------------------


def check_headers(platform: Platform, *, to: str, subject: str) -> None:
    """What ``enqueue`` checks of a message's headers, for a caller to do before it takes
    the write lock. Raises ``ValueError`` as ``enqueue`` would."""
    # The one refusal of email's header policy that our values can meet, without its
    # header registry, which costs a millisecond a message.
    for value in (platform.settings.mail_from, to, subject):
        if len(value.splitlines()) > 1:
            raise ValueError("Header values may not contain linefeed or carriage return characters")


def _email(
    settings: Settings,
    row: Mapping[str, Any],
    attached: Sequence[tuple[Attachment, bytes]] = (),
) -> EmailMessage:
    """The message exactly as on every attempt: its Date is when it was queued. Without
    attachments it is plain text; with them, multipart/mixed (the body, then each file)."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = row["recipient"]
    message["Subject"] = row["subject"]
    message["Date"] = email.utils.format_datetime(row["created_at"])
    message["Message-ID"] = row["message_id"]
    message.set_content(row["body"])
    for attachment, content in attached:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    if attached:
        # Not the random boundary the generator would choose: a repeat stays identical. No
        # part can hold it: files go as base64, which has no "_", and the body was written
        # before the Message-ID was made.
        message.set_boundary("=_" + re.sub(r"[^A-Za-z0-9]", "_", row["message_id"]))
    return message


def _write_eml(path: Path, message: EmailMessage) -> None:
    """Write the file whole or not at all, and never twice."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(message.as_bytes())
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _send_smtp(server: SmtpServer, message: EmailMessage) -> None:
    context = ssl.create_default_context()
    connection = (
        smtplib.SMTP_SSL(server.host, server.port, timeout=SMTP_TIMEOUT, context=context)
        if server.implicit_tls
        else smtplib.SMTP(server.host, server.port, timeout=SMTP_TIMEOUT)
    )
    with connection as smtp:
        if server.starttls:
            smtp.starttls(context=context)
        if server.username:
            smtp.login(server.username, server.password or "")
        smtp.send_message(message)
