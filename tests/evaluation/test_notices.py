"""Notices of the award (rules 12 and 13): issued once the award is approved, kept as PDFs,
emailed to every user of each bidder with its own two attached; the standstill begins that
day and the award is confirmed once it is over, or at once where none applies."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from app import mail
from app.clock import FixedClock
from app.errors import InvalidTransition, NotFound, NotPermitted
from app.mail import DeliveryReport
from app.platform import Platform
from app.settings import Settings
from app.tables import OutboxMessage
from app.vocabulary import AuditAction
from evaluation.services import awards, notices
from evaluation.tables import Notice
from evaluation.vocabulary import NoticeKind
from tenders.services.views import load_tender
from tenders.tables import Tender
from tenders.vocabulary import TenderStatus
from tests.app.test_mail import (
    attached_files,
    free_port,
    server_back_delivers_each_once,
    with_smtp,
)
from tests.conftest import buyer_officer, provider_user
from tests.evaluation.factories import (
    Evaluation,
    agree_everything,
    evaluation,
    score_everything,
)
from tests.evaluation.test_scores import events

#: Tuesday 22 December 2026, 10am in London (GMT): eight working days end on 5 January.
BEFORE_CHRISTMAS = datetime(2026, 12, 22, 10, 0, tzinfo=UTC)


@pytest.fixture
async def approved(platform: Platform, clock: FixedClock) -> Evaluation:
    setup = await evaluation(platform, clock)
    for evaluator in setup.evaluators:
        await score_everything(platform, setup, evaluator)
    await agree_everything(platform, setup)
    made = await awards.make_report(platform, setup.officer, setup.tender.id)
    await awards.approve(
        platform,
        setup.officer,
        setup.tender.id,
        report_sha256=made.sha256,
        reasons="The best value bids, as the report shows.",
    )
    return setup


async def status(setup: Evaluation) -> TenderStatus:
    tender = await load_tender(setup.tender.id)
    assert tender is not None
    return tender.stored_status


async def test_notices_go_to_every_bidder_with_its_own_pdfs_and_the_standstill_begins(
    platform: Platform, clock: FixedClock, approved: Evaluation
) -> None:
    clock.instant = BEFORE_CHRISTMAS
    issued = await notices.issue(platform, approved.officer, approved.tender.id)
    assert issued.issued_at == BEFORE_CHRISTMAS
    assert issued.last_day == date(2027, 1, 5)
    assert issued.confirmable_from == date(2027, 1, 6)

    rows = await Notice.select().where(Notice.tender == approved.tender.id)
    kinds = sorted((row["kind"], str(row["organisation"])) for row in rows)
    expected = [(NoticeKind.AWARD_NOTICE, "None")] + [
        (kind, str(provider.organisation_id))
        for kind in (NoticeKind.ASSESSMENT_SUMMARY, NoticeKind.DECISION_LETTER)
        for provider in approved.providers
    ]
    assert kinds == sorted(expected)
    for row in rows:
        pdf = b"".join([chunk async for chunk in platform.files.read(row["sha256"])])
        assert pdf.startswith(b"%PDF-")

    mails = await OutboxMessage.select().where(
        OutboxMessage.subject == f"Decision on {approved.tender.title}"
    )
    assert sorted(m["recipient"] for m in mails) == sorted(p.email for p in approved.providers)
    for message in mails:
        attached = json.loads(message["attachments"])
        provider = next(p for p in approved.providers if p.email == message["recipient"])
        own = {
            row["sha256"]
            for row in rows
            if str(row["organisation"]) == str(provider.organisation_id)
        }
        assert {a["sha256"] for a in attached} == own
        assert "Tuesday 5 January 2027" in message["body"]
    [audited] = await events(AuditAction.EVALUATION_NOTICE_ISSUE)
    assert audited["details"]["standstill_last_day"] == "2027-01-05"
    assert len(audited["details"]["notices"]) == 7

    # Issuing again changes nothing: no second notice, no second email.
    assert await notices.issue(platform, approved.officer, approved.tender.id) == issued
    assert await Notice.count().where(Notice.tender == approved.tender.id) == 7
    assert len(
        await OutboxMessage.select().where(
            OutboxMessage.subject == f"Decision on {approved.tender.title}"
        )
    ) == len(approved.providers)


async def test_the_award_is_confirmed_on_the_day_after_the_standstill_not_before(
    platform: Platform, clock: FixedClock, approved: Evaluation
) -> None:
    clock.instant = BEFORE_CHRISTMAS
    await notices.issue(platform, approved.officer, approved.tender.id)
    clock.instant = datetime(2027, 1, 5, 23, 30, tzinfo=UTC)
    with pytest.raises(InvalidTransition) as early:
        await notices.confirm(platform, approved.officer, approved.tender.id)
    assert early.value.message == (
        "The standstill ends at midnight at the end of Tuesday 5 January 2027: "
        "the award can be confirmed from Wednesday 6 January 2027"
    )
    assert await status(approved) is TenderStatus.AWARD_APPROVED

    clock.instant = datetime(2027, 1, 6, 9, 0, tzinfo=UTC)
    confirmed = await notices.confirm(platform, approved.officer, approved.tender.id)
    assert confirmed.confirmed_at == clock.instant
    assert await status(approved) is TenderStatus.AWARDED
    [audited] = await events(AuditAction.TENDER_TENDER_AWARD)
    assert audited["details"] == {"standstill_last_day": "2027-01-05"}
    assert await notices.confirm(platform, approved.officer, approved.tender.id) == confirmed


async def test_without_a_standstill_the_award_is_confirmed_at_once(
    platform: Platform, clock: FixedClock, approved: Evaluation
) -> None:
    await Tender.update({Tender.standstill_applies: False}).where(Tender.id == approved.tender.id)
    clock.instant = BEFORE_CHRISTMAS
    issued = await notices.issue(platform, approved.officer, approved.tender.id)
    assert issued.last_day is None
    await notices.confirm(platform, approved.officer, approved.tender.id)
    assert await status(approved) is TenderStatus.AWARDED


async def test_nothing_is_issued_or_confirmed_before_approval_nor_by_others(
    platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock)
    with pytest.raises(InvalidTransition, match="once the award is approved"):
        await notices.issue(platform, setup.officer, setup.tender.id)
    with pytest.raises(InvalidTransition, match="Issue the notices"):
        await notices.confirm(platform, setup.officer, setup.tender.id)
    with pytest.raises(NotPermitted):
        await notices.issue(platform, setup.evaluators[0], setup.tender.id)
    other = await buyer_officer(
        platform, "sam.cole@derbyshire.example", "Derbyshire County Council"
    )
    with pytest.raises(NotFound):
        await notices.issue(platform, other, setup.tender.id)


async def test_each_bidder_downloads_its_own_notices_and_nobody_elses(
    platform: Platform, clock: FixedClock, approved: Evaluation
) -> None:
    clock.instant = BEFORE_CHRISTMAS
    await notices.issue(platform, approved.officer, approved.tender.id)
    ashby, birch, _ = approved.providers
    own = await notices.notice_files(ashby, approved.tender.id)
    assert sorted((n.kind, n.organisation_id) for n in own) == sorted(
        [
            (NoticeKind.ASSESSMENT_SUMMARY, ashby.organisation_id),
            (NoticeKind.DECISION_LETTER, ashby.organisation_id),
            (NoticeKind.AWARD_NOTICE, None),
        ]
    )
    assert birch.organisation_id not in {n.organisation_id for n in own}
    assert len(await notices.notice_files(approved.officer, approved.tender.id)) == 7
    stranger = await provider_user(platform, "ade@lichfield-care.example", "Lichfield Homecare")
    public = await notices.notice_files(stranger, approved.tender.id)
    assert [n.kind for n in public] == [NoticeKind.AWARD_NOTICE]
    with pytest.raises(NotPermitted):
        await notices.notice_files(approved.evaluators[0], approved.tender.id)


async def test_with_the_smtp_server_down_no_notice_is_lost_and_each_goes_once_when_it_is_back(
    settings: Settings, clock: FixedClock, approved: Evaluation
) -> None:
    port = free_port()  # nothing listens here yet
    platform = with_smtp(settings, clock, port)
    clock.instant = BEFORE_CHRISTMAS
    await notices.issue(platform, approved.officer, approved.tender.id)
    # Every email the setup queued waits too (registrations, panel seats), the notices' among
    # them.
    waiting = await OutboxMessage.count()
    assert await mail.deliver_due(platform) == DeliveryReport(deferred=waiting)

    mailbox = await server_back_delivers_each_once(platform, clock, port, count=waiting)
    decisions = [
        m for m in mailbox.messages if m["Subject"] == f"Decision on {approved.tender.title}"
    ]
    assert sorted(str(m["To"]) for m in decisions) == sorted(p.email for p in approved.providers)
    for message in decisions:
        provider = next(p for p in approved.providers if p.email == str(message["To"]))
        own = await notices.notice_files(provider, approved.tender.id)
        expected = sorted(
            [
                b"".join([chunk async for chunk in platform.files.read(n.sha256)])
                for n in own
                if n.organisation_id == provider.organisation_id
            ]
        )
        assert sorted(content for _, _, content in attached_files(message)) == expected
