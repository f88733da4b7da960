"""The mail outbox, delivered to a real SMTP server (aiosmtpd) or as .eml files: nothing
lost while the server is down, nothing sent twice."""

from __future__ import annotations

import asyncio
import email
import email.policy
import email.utils
import hashlib
import json
import socket
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import replace
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from app import database, mail
from app.clock import FixedClock
from app.files import PDF as PDF_TYPE
from app.mail import Attachment, DeliveryReport
from app.platform import Platform
from app.settings import Settings
from app.tables import AuditEvent, OutboxMessage
from app.vocabulary import AuditAction, MailStatus
from tests.app.test_cli import run
from tests.conftest import START

SUBJECT = "Moorlands Supported Living CIC is registered on caretender"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
#: Every byte value, line breaks and a lone dot line among them: what SMTP could mangle.
BINARY_TAIL = bytes(range(256)) + b"\r\n.\r\n" + b"\n.\n"


class Mailbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        #: Each message as it came over the wire (lines end CRLF).
        self.raw: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        self.raw.append(envelope.content)
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        return sorted(str(message["Message-ID"]) for message in self.messages)


class RefusingMailbox(Mailbox):
    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        return "550 5.1.1 No such mailbox"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_smtp(handler: Mailbox, port: int) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def smtp_port(mailbox: Mailbox) -> Iterator[int]:
    port = free_port()
    controller = serve_smtp(mailbox, port)
    yield port
    controller.stop()


def with_smtp(settings: Settings, clock: FixedClock, port: int) -> Platform:
    return Platform(replace(settings, smtp_url=f"smtp://127.0.0.1:{port}"), clock)


@pytest.fixture
def smtp_platform(settings: Settings, clock: FixedClock, smtp_port: int) -> Platform:
    return with_smtp(replace(settings, base_url="https://caretender.example"), clock, smtp_port)


async def queue(
    platform: Platform,
    to: str = "helen@moorlands-care.example",
    attachments: Sequence[Attachment] = (),
) -> str:
    async with database.write_transaction():
        return await mail.enqueue(
            platform,
            to=to,
            subject=SUBJECT,
            template="mail/provider_registered.txt",
            context={"name": "Helen Mills", "organisation": "Moorlands Supported Living CIC"},
            link_path="/sign-in",
            attachments=attachments,
        )


async def stored_pdf(platform: Platform, content: bytes) -> str:
    """A PDF put in the file store as an upload is; returns its digest."""

    async def chunks() -> AsyncIterator[bytes]:
        yield content

    stored = await platform.files.save(
        chunks(),
        filename="notice.pdf",
        max_bytes=len(content),
        allowed={"pdf": frozenset({PDF_TYPE})},
    )
    return stored.sha256


async def award_pdfs(
    platform: Platform, bidder: str = "Moorlands"
) -> list[tuple[Attachment, bytes]]:
    """An assessment summary and a decision letter, in the file store."""
    made = []
    for filename in (f"Assessment summary {bidder} (résumé).pdf", f"Decision letter {bidder}.pdf"):
        content = PDF + filename.encode() + BINARY_TAIL
        attachment = Attachment(await stored_pdf(platform, content), filename, PDF_TYPE)
        made.append((attachment, content))
    return made


def attached_files(message: EmailMessage) -> list[tuple[str | None, str, bytes]]:
    return [
        (part.get_filename(), part.get_content_type(), part.get_content())
        for part in message.iter_attachments()
    ]


async def server_back_delivers_each_once(
    platform: Platform, clock: FixedClock, port: int, *, count: int
) -> Mailbox:
    """Start the server that was down, and check that the next due pass sends all
    ``count`` messages and later passes nothing."""
    mailbox = Mailbox()
    controller = serve_smtp(mailbox, port)
    try:
        clock.advance(timedelta(seconds=60))
        assert await mail.deliver_due(platform) == DeliveryReport(sent=count)
        clock.advance(timedelta(hours=2))
        assert await mail.deliver_due(platform) == DeliveryReport()
    finally:
        controller.stop()
    return mailbox


async def outbox() -> list[dict[str, Any]]:
    return await OutboxMessage.select().order_by(OutboxMessage.id)


async def audit_details(action: AuditAction) -> list[dict[str, Any]]:
    rows = await AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.seq)
    return [json.loads(row["body"]) for row in rows]


async def test_mail_queued_in_a_transaction_that_rolls_back_is_never_sent(smtp_platform, mailbox):
    async def registration_that_fails() -> None:
        async with database.write_transaction():
            await queue(smtp_platform)
            raise RuntimeError("the registration failed after queueing its email")

    with pytest.raises(RuntimeError):
        await registration_that_fails()

    assert await OutboxMessage.count() == 0
    assert await mail.deliver_due(smtp_platform) == DeliveryReport()
    assert mailbox.messages == []


async def test_a_message_is_delivered_once_with_its_headers_plain_body_and_link(
    smtp_platform, mailbox, clock
):
    message_id = await queue(smtp_platform)
    clock.advance(timedelta(seconds=5))

    assert await mail.deliver_due(smtp_platform) == DeliveryReport(sent=1)
    assert await mail.deliver_due(smtp_platform) == DeliveryReport()

    [message] = mailbox.messages
    assert message["From"] == "caretender <no-reply@caretender.invalid>"
    assert message["To"] == "helen@moorlands-care.example"
    assert message["Subject"] == SUBJECT
    assert message["Message-ID"] == message_id
    assert message_id.startswith("<")
    assert message_id.endswith("@caretender>")
    assert email.utils.parsedate_to_datetime(message["Date"]) == START
    assert message.get_content_type() == "text/plain"
    body = message.get_content().replace("\r\n", "\n")  # lines end CRLF on the wire
    assert body.startswith("Dear Helen Mills,\n")
    assert "Moorlands Supported Living CIC is now registered" in body
    assert "\nhttps://caretender.example/sign-in\n" in body
    [row] = await outbox()
    assert row["status"] == MailStatus.SENT
    assert row["sent_at"] == START + timedelta(seconds=5)
    assert row["attempts"] == 1
    [event] = await audit_details(AuditAction.MAIL_MESSAGE_SEND)
    assert event["object_id"] == message_id
    assert event["details"] == {"to": "helen@moorlands-care.example", "subject": SUBJECT}


async def test_without_an_smtp_server_mail_is_written_as_eml_files_under_var_mail(
    platform, settings
):
    message_id = await queue(platform)

    assert await mail.deliver_due(platform) == DeliveryReport(sent=1)

    written = sorted((settings.var_dir / "mail").iterdir())
    assert written == [settings.var_dir / "mail" / f"{message_id.strip('<>')}.eml"]
    message = email.message_from_bytes(written[0].read_bytes(), policy=email.policy.default)
    assert message["Message-ID"] == message_id
    assert message["To"] == "helen@moorlands-care.example"
    assert message["Subject"] == SUBJECT
    assert message["From"] == settings.mail_from
    assert email.utils.parsedate_to_datetime(message["Date"]) == START
    assert "http://127.0.0.1:8000/sign-in" in message.get_content()
    assert [row["status"] for row in await outbox()] == [MailStatus.SENT]


async def test_smtp_server_down_loses_nothing_and_once_back_sends_each_message_once(
    settings, clock
):
    port = free_port()  # nothing listens here yet
    platform = with_smtp(settings, clock, port)
    sent = sorted([await queue(platform, f"provider{n}@example.org") for n in range(3)])

    assert await mail.deliver_due(platform) == DeliveryReport(deferred=3)
    for row in await outbox():
        assert row["status"] == MailStatus.PENDING
        assert row["attempts"] == 1
        assert row["next_attempt_at"] == START + timedelta(seconds=30)
        assert "ConnectionRefusedError" in row["last_error"]
        assert row["claim_token"] is None
    assert await mail.deliver_due(platform) == DeliveryReport(), "not due before the backoff"

    clock.advance(timedelta(seconds=30))
    assert await mail.deliver_due(platform) == DeliveryReport(deferred=3)
    assert {row["next_attempt_at"] for row in await outbox()} == {
        START + timedelta(seconds=30 + 60)
    }

    mailbox = await server_back_delivers_each_once(platform, clock, port, count=3)
    assert mailbox.message_ids() == sent
    assert {row["status"] for row in await outbox()} == {MailStatus.SENT}
    assert len(await audit_details(AuditAction.MAIL_MESSAGE_SEND)) == 3


async def test_a_claim_left_by_a_worker_that_died_is_taken_over_and_delivered_once(
    smtp_platform, mailbox, clock
):
    message_id = await queue(smtp_platform)
    await mail._claim(smtp_platform, batch=20)  # ...and the worker dies

    clock.advance(mail.ABANDONED_AFTER - timedelta(seconds=1))
    assert await mail.deliver_due(smtp_platform) == DeliveryReport(), "the claim is still live"
    clock.advance(timedelta(seconds=2))
    assert await mail.deliver_due(smtp_platform) == DeliveryReport(sent=1)
    assert await mail.deliver_due(smtp_platform) == DeliveryReport()

    assert mailbox.message_ids() == [message_id]
    [row] = await outbox()
    assert row["attempts"] == 2
    [event] = await audit_details(AuditAction.MAIL_MESSAGE_SEND)
    assert "repeat_after_interruption" not in event["details"]


async def test_an_eml_written_by_a_worker_that_died_before_recording_it_is_not_written_again(
    platform, settings, clock
):
    message_id = await queue(platform)
    token, [row] = await mail._claim(platform, batch=20)
    assert await mail._start_sending(platform, token, row)
    path = mail.eml_path(settings, message_id)
    mail._write_eml(path, mail._email(settings, row))  # ...and the worker dies
    written = path.stat().st_mtime_ns

    clock.advance(mail.ABANDONED_AFTER + timedelta(seconds=1))
    assert await mail.deliver_due(platform) == DeliveryReport(sent=1)

    assert path.stat().st_mtime_ns == written
    assert list(path.parent.iterdir()) == [path]
    assert [row["status"] for row in await outbox()] == [MailStatus.SENT]


async def test_smtp_mail_interrupted_after_hand_over_goes_again_identical_and_is_noted(
    smtp_platform, mailbox, clock
):
    """The one window the module docstring names: the server accepted, the worker died
    before recording it. The repeat carries the same Message-ID and Date."""
    message_id = await queue(smtp_platform)
    token, [row] = await mail._claim(smtp_platform, batch=20)
    assert await mail._start_sending(smtp_platform, token, row)
    server = mail.smtp_server(smtp_platform.settings.smtp_url)
    await asyncio.to_thread(mail._send_smtp, server, mail._email(smtp_platform.settings, row))

    clock.advance(mail.ABANDONED_AFTER + timedelta(seconds=1))
    assert await mail.deliver_due(smtp_platform) == DeliveryReport(sent=1)

    first, repeat = mailbox.messages
    assert first["Message-ID"] == repeat["Message-ID"] == message_id
    assert first["Date"] == repeat["Date"]
    assert first.get_content() == repeat.get_content()
    [event] = await audit_details(AuditAction.MAIL_MESSAGE_SEND)
    assert event["details"]["repeat_after_interruption"] is True


async def test_workers_running_at_once_never_send_a_message_twice(smtp_platform, mailbox):
    queued = sorted([await queue(smtp_platform, f"provider{n}@example.org") for n in range(12)])

    reports = await asyncio.gather(*(mail.deliver_due(smtp_platform, batch=5) for _ in range(3)))
    rest = await mail.deliver_all_due(smtp_platform, batch=5)

    assert sum(report.sent for report in reports) + rest.sent == 12
    assert mailbox.message_ids() == queued
    assert len(await audit_details(AuditAction.MAIL_MESSAGE_SEND)) == 12


async def test_after_the_last_attempt_a_message_is_marked_failed_and_kept(settings, clock):
    platform = with_smtp(settings, clock, free_port())
    message_id = await queue(platform)

    for _ in range(mail.MAX_ATTEMPTS - 1):
        assert await mail.deliver_due(platform) == DeliveryReport(deferred=1)
        clock.advance(mail.LONGEST_RETRY_AFTER)
    assert await mail.deliver_due(platform) == DeliveryReport(failed=1)
    clock.advance(timedelta(days=7))
    assert await mail.deliver_due(platform) == DeliveryReport()

    [row] = await outbox()
    assert row["status"] == MailStatus.FAILED
    assert row["attempts"] == mail.MAX_ATTEMPTS
    assert "ConnectionRefusedError" in row["last_error"]
    [event] = await audit_details(AuditAction.MAIL_MESSAGE_FAIL)
    assert event["object_id"] == message_id
    assert event["details"]["attempts"] == mail.MAX_ATTEMPTS


async def test_a_recipient_the_server_refuses_outright_fails_at_once(settings, clock):
    refusing = RefusingMailbox()
    port = free_port()
    controller = serve_smtp(refusing, port)
    try:
        platform = with_smtp(settings, clock, port)
        await queue(platform, "nobody@example.org")
        assert await mail.deliver_due(platform) == DeliveryReport(failed=1)
    finally:
        controller.stop()
    [row] = await outbox()
    assert row["status"] == MailStatus.FAILED
    assert "550" in row["last_error"]
    assert refusing.messages == []


async def test_a_subject_with_a_line_break_is_refused_when_queued(platform):
    with pytest.raises(ValueError, match="linefeed"):
        async with database.write_transaction():
            await mail.enqueue(
                platform,
                to="helen@moorlands-care.example",
                subject="Hello\nBcc: everyone@example.org",
                template="mail/provider_registered.txt",
                context={"name": "Helen Mills", "organisation": "Moorlands"},
                link_path=None,
            )
    assert await OutboxMessage.count() == 0


def test_smtp_urls_name_the_server_tls_and_credentials():
    plain = mail.smtp_server("smtp://mail.example.org")
    assert (plain.host, plain.port, plain.starttls, plain.implicit_tls) == (
        "mail.example.org",
        25,
        False,
        False,
    )
    secure = mail.smtp_server("smtp+starttls://caretender%40council.example:p%2Fss@relay:2525")
    assert (secure.port, secure.starttls, secure.username, secure.password) == (
        2525,
        True,
        "caretender@council.example",
        "p/ss",
    )
    assert mail.smtp_server("smtps://relay").port == 465
    with pytest.raises(ValueError, match="CARETENDER_SMTP_URL"):
        mail.smtp_server("http://relay")


async def test_the_in_process_worker_delivers_mail_while_the_app_runs(settings):
    platform = Platform(replace(settings, mail_worker_interval=0.05))
    async with mail.background_worker(platform):
        await queue(platform)
        for _ in range(200):
            if await OutboxMessage.count().where(OutboxMessage.status == MailStatus.SENT):
                break
            await asyncio.sleep(0.05)
    assert [row["status"] for row in await outbox()] == [MailStatus.SENT]


async def test_worker_once_delivers_the_pending_mail_and_exits(settings, tmp_path: Path):
    platform = Platform(settings)  # the system clock, as the worker process has
    message_id = await queue(platform)

    result = run("worker", "--once", tmp_path=tmp_path)  # no CARETENDER_SMTP_URL: .eml files

    assert result.returncode == 0, result.stderr
    assert "Mail: 1 sent, 0 to retry, 0 failed." in result.stdout
    assert (tmp_path / "mail" / f"{message_id.strip('<>')}.eml").exists()
    assert [row["status"] for row in await outbox()] == [MailStatus.SENT]


# The platform fixture is only read, so one per test serves every example.
@hypothesis_settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(subject=st.text(max_size=40), to=st.sampled_from(["helen@moorlands-care.example", "a\nb"]))
def test_checking_headers_before_the_lock_refuses_exactly_what_building_the_email_refuses(
    platform: Platform, subject: str, to: str
) -> None:
    """``check_headers`` stands in for the header checks ``enqueue`` then skips."""
    row = {
        "recipient": to,
        "subject": subject,
        "created_at": START,
        "message_id": "<check@caretender>",
        "body": "",
    }
    try:
        mail._email(platform.settings, row)
    except ValueError:
        with pytest.raises(ValueError, match="linefeed"):
            mail.check_headers(platform, to=to, subject=subject)
    else:
        mail.check_headers(platform, to=to, subject=subject)


# Attachments ----------------------------------------------------------------------------


async def test_a_message_with_two_pdfs_arrives_with_both_named_typed_and_byte_identical(
    smtp_platform, mailbox, clock
):
    pdfs = await award_pdfs(smtp_platform)
    message_id = await queue(smtp_platform, attachments=[attachment for attachment, _ in pdfs])

    assert await mail.deliver_due(smtp_platform) == DeliveryReport(sent=1)
    assert await mail.deliver_due(smtp_platform) == DeliveryReport()

    [message] = mailbox.messages
    assert message["Message-ID"] == message_id
    assert message.get_content_type() == "multipart/mixed"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    assert body.get_content().startswith("Dear Helen Mills,")
    assert attached_files(message) == [
        ("Assessment summary Moorlands (résumé).pdf", "application/pdf", pdfs[0][1]),
        ("Decision letter Moorlands.pdf", "application/pdf", pdfs[1][1]),
    ]
    [event] = await audit_details(AuditAction.MAIL_MESSAGE_SEND)
    assert event["details"]["attachments"] == [
        {
            "sha256": hashlib.sha256(content).hexdigest(),
            "filename": a.filename,
            "content_type": a.content_type,
        }
        for a, content in pdfs
    ]


async def test_a_message_without_attachments_goes_byte_for_byte_as_plain_text(
    smtp_platform, mailbox
):
    message_id = await queue(smtp_platform)
    [row] = await outbox()
    assert row["attachments"] == "[]"

    assert await mail.deliver_due(smtp_platform) == DeliveryReport(sent=1)

    # The plain message as the outbox built it before attachments existed.
    plain = EmailMessage()
    plain["From"] = smtp_platform.settings.mail_from
    plain["To"] = "helen@moorlands-care.example"
    plain["Subject"] = SUBJECT
    plain["Date"] = email.utils.format_datetime(START)
    plain["Message-ID"] = message_id
    plain.set_content(row["body"])
    assert mailbox.raw == [plain.as_bytes(policy=plain.policy.clone(linesep="\r\n"))]


async def test_smtp_server_down_loses_no_attachment_and_once_back_sends_each_message_once(
    settings, clock
):
    port = free_port()  # nothing listens here yet
    platform = with_smtp(settings, clock, port)
    sent = {}
    for bidder in ("Moorlands", "Brightwater", "Oakfield"):
        pdfs = await award_pdfs(platform, bidder)
        message_id = await queue(
            platform, f"{bidder.lower()}@example.org", [attachment for attachment, _ in pdfs]
        )
        sent[message_id] = [(a.filename, a.content_type, content) for a, content in pdfs]

    assert await mail.deliver_due(platform) == DeliveryReport(deferred=3)
    clock.advance(timedelta(seconds=30))
    assert await mail.deliver_due(platform) == DeliveryReport(deferred=3)
    assert {row["status"] for row in await outbox()} == {MailStatus.PENDING}

    mailbox = await server_back_delivers_each_once(platform, clock, port, count=3)
    assert mailbox.message_ids() == sorted(sent)
    for message in mailbox.messages:
        assert attached_files(message) == sent[message["Message-ID"]]
    assert {row["status"] for row in await outbox()} == {MailStatus.SENT}


async def test_a_message_with_attachments_interrupted_after_hand_over_goes_again_identical(
    smtp_platform, mailbox, clock
):
    pdfs = await award_pdfs(smtp_platform)
    await queue(smtp_platform, attachments=[attachment for attachment, _ in pdfs])
    token, [row] = await mail._claim(smtp_platform, batch=20)
    assert await mail._start_sending(smtp_platform, token, row)
    server = mail.smtp_server(smtp_platform.settings.smtp_url)
    message = mail._email(smtp_platform.settings, row, pdfs)
    await asyncio.to_thread(mail._send_smtp, server, message)  # ...and the worker dies

    clock.advance(mail.ABANDONED_AFTER + timedelta(seconds=1))
    assert await mail.deliver_due(smtp_platform) == DeliveryReport(sent=1)

    first, repeat = mailbox.raw
    assert first == repeat


async def test_an_attachment_missing_from_the_workers_file_store_waits_for_the_next_attempt(
    smtp_platform, mailbox, clock, tmp_path
):
    pdfs = await award_pdfs(smtp_platform)
    await queue(smtp_platform, attachments=[attachment for attachment, _ in pdfs])
    misconfigured = Platform(
        replace(smtp_platform.settings, files_dir=tmp_path / "elsewhere"), clock
    )

    assert await mail.deliver_due(misconfigured) == DeliveryReport(deferred=1)
    [row] = await outbox()
    assert "FileNotFoundError" in row["last_error"]
    assert mailbox.messages == []

    clock.advance(mail.FIRST_RETRY_AFTER)
    assert await mail.deliver_due(smtp_platform) == DeliveryReport(sent=1)
    [message] = mailbox.messages
    assert [content for _, _, content in attached_files(message)] == [c for _, c in pdfs]


@pytest.mark.parametrize(
    ("filename", "content_type", "refusal"),
    [
        ("notice.pdf\r\nBcc: everyone@example.org", PDF_TYPE, "safe in a header"),
        ("notice.pdf\nContent-Type: text/html", PDF_TYPE, "safe in a header"),
        ("notice\u2028Bcc: everyone@example.org.pdf", PDF_TYPE, "safe in a header"),
        ("../../notices/notice.pdf", PDF_TYPE, "safe in a header"),
        ("C:\\notices\\notice.pdf", PDF_TYPE, "safe in a header"),
        (" notice.pdf", PDF_TYPE, "safe in a header"),
        ("notice.html", "text/html", "may not be of type"),
        ("notice.pdf", "application/octet-stream", "may not be of type"),
        ("notice.docx", PDF_TYPE, "must be named .pdf"),
        ("notice", PDF_TYPE, "must be named .pdf"),
    ],
)
async def test_enqueue_refuses_an_attachment_named_or_typed_unsafely(
    platform, filename, content_type, refusal
):
    sha256 = await stored_pdf(platform, PDF)
    with pytest.raises(ValueError, match=refusal):
        await queue(platform, attachments=[Attachment(sha256, filename, content_type)])
    assert await OutboxMessage.count() == 0


async def test_any_text_made_an_attachment_filename_is_accepted(platform):
    sha256 = await stored_pdf(platform, PDF)
    name = mail.attachment_filename("award-notice-CT/2026/014-A\\B Care\r\n.pdf")
    assert name == "award-notice-CT-2026-014-A-B Care.pdf"

    await queue(platform, attachments=[Attachment(sha256, name, PDF_TYPE)])
    assert await OutboxMessage.count() == 1


@hypothesis_settings(max_examples=500, deadline=None)
@given(text=st.text(max_size=300))
def test_attachment_filenames_made_of_any_text_pass_the_checks_of_enqueue(text: str) -> None:
    name = mail.attachment_filename(f"x{text}.pdf")
    assert name.endswith(".pdf")
    mail._check_attachments([Attachment("0" * 64, name, PDF_TYPE)])


async def test_enqueue_refuses_an_attachment_not_in_the_file_store(platform):
    missing = hashlib.sha256(PDF + b"never stored").hexdigest()
    with pytest.raises(ValueError, match=r"No file \w+ in the file store"):
        await queue(platform, attachments=[Attachment(missing, "notice.pdf", PDF_TYPE)])
    with pytest.raises(ValueError, match="64 lower-case hex digits"):
        await queue(platform, attachments=[Attachment("../" * 21 + "x", "notice.pdf", PDF_TYPE)])
    upper = hashlib.sha256(PDF).hexdigest().upper()
    with pytest.raises(ValueError, match="64 lower-case hex digits"):
        await queue(platform, attachments=[Attachment(upper, "notice.pdf", PDF_TYPE)])
    assert await OutboxMessage.count() == 0


async def test_enqueue_refuses_attachments_larger_than_the_limit_together(platform):
    half = await stored_pdf(platform, PDF.ljust(mail.MAX_ATTACHMENTS_BYTES // 2 + 1, b"0"))
    attachment = Attachment(half, "evidence.pdf", PDF_TYPE)

    with pytest.raises(ValueError, match="larger than 10 MB together"):
        await queue(platform, attachments=[attachment, attachment])
    assert await OutboxMessage.count() == 0
    await queue(platform, attachments=[attachment])
    assert await OutboxMessage.count() == 1
