"""The award decision (rule 11): the award report of a moderated tender is kept as it was
made, and an officer on none of the tender's panels approves its recommendation with
reasons, against the digest of the report they read."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import timedelta

import pytest

from app.clock import FixedClock
from app.errors import Conflict, Invalid, InvalidTransition, NotFound, NotPermitted
from app.platform import Platform
from app.vocabulary import AuditAction
from evaluation.services import awards, panels
from tenders.services.views import load_tender
from tenders.vocabulary import TenderStatus
from tests.conftest import buyer_officer
from tests.evaluation.factories import (
    Evaluation,
    agree_everything,
    colleague,
    declare_none,
    evaluation,
    score_everything,
)
from tests.evaluation.test_scores import events


@pytest.fixture
async def moderated(platform: Platform, clock: FixedClock) -> Evaluation:
    """Signed off, with an officer of the council (Olu Ade) as the lot's moderator."""
    setup = await evaluation(platform, clock)
    olu = await colleague(platform, setup.officer, "Olu Ade", role="officer")
    amy, ben = setup.evaluators
    await panels.assign(
        platform,
        setup.officer,
        setup.tender.id,
        setup.lot.id,
        evaluators=[amy.id, ben.id],
        moderator=olu.id,
    )
    await declare_none(platform, olu, setup.tender.id, setup.lot.id)
    setup = replace(setup, moderator=olu)
    await score_everything(platform, setup, amy)
    await score_everything(platform, setup, ben)
    await agree_everything(platform, setup)
    return setup


async def stored_bytes(platform: Platform, sha256: str) -> bytes:
    return b"".join([chunk async for chunk in platform.files.read(sha256)])


async def test_the_report_is_kept_as_made_and_its_production_audited(
    platform: Platform, moderated: Evaluation
) -> None:
    made = await awards.make_report(platform, moderated.officer, moderated.tender.id)
    pdf = await stored_bytes(platform, made.sha256)
    assert pdf.startswith(b"%PDF-")
    assert hashlib.sha256(pdf).hexdigest() == made.sha256
    assert made.size == len(pdf)
    assert made.filename == f"award-report-{moderated.tender.reference}.pdf"
    assert await awards.reports(moderated.officer, moderated.tender.id) == [made]
    [audited] = await events(AuditAction.EVALUATION_AWARD_REPORT)
    assert audited["details"] == {"report": str(made.id), "sha256": made.sha256}


async def test_an_officer_off_the_panels_approves_against_the_report_read(
    platform: Platform, clock: FixedClock, moderated: Evaluation
) -> None:
    made = await awards.make_report(platform, moderated.officer, moderated.tender.id)
    clock.advance(timedelta(hours=2))
    decided = await awards.approve(
        platform,
        moderated.officer,
        moderated.tender.id,
        report_sha256=made.sha256,
        reasons="The recommended bids offer the best value, as the report shows.",
    )
    assert (decided.report_sha256, decided.approved_by) == (
        made.sha256,
        moderated.officer.name,
    )
    assert await awards.decision(moderated.officer, moderated.tender.id) == decided
    tender = await load_tender(moderated.tender.id)
    assert tender is not None
    assert tender.stored_status is TenderStatus.AWARD_APPROVED
    [approved] = await events(AuditAction.EVALUATION_AWARD_APPROVE)
    assert approved["details"]["sha256"] == made.sha256
    assert approved["actor_id"] == str(moderated.officer.id)

    # The same approval posted again (a double click) finds the one made.
    assert (
        await awards.approve(
            platform,
            moderated.officer,
            moderated.tender.id,
            report_sha256=made.sha256,
            reasons="The recommended bids offer the best value, as the report shows.",
        )
        == decided
    )
    assert len(await events(AuditAction.EVALUATION_AWARD_APPROVE)) == 1
    ola = await colleague(platform, moderated.officer, "Ola Bright", role="officer")
    with pytest.raises(Conflict) as again:
        await awards.approve(
            platform, ola, moderated.tender.id, report_sha256=made.sha256, reasons="Again"
        )
    assert again.value.message.startswith(f"{moderated.officer.name} approved this award at")


async def test_a_panel_member_may_not_approve_the_award(
    platform: Platform, moderated: Evaluation
) -> None:
    made = await awards.make_report(platform, moderated.officer, moderated.tender.id)
    with pytest.raises(NotPermitted) as refused:
        await awards.approve(
            platform,
            moderated.moderator,
            moderated.tender.id,
            report_sha256=made.sha256,
            reasons="I moderated it, so I know it is right",
        )
    assert refused.value.message.startswith("You sit on the panel for lot 1")
    with pytest.raises(NotPermitted):
        await awards.approve(
            platform,
            moderated.evaluators[0],
            moderated.tender.id,
            report_sha256=made.sha256,
            reasons="An evaluator is not an officer",
        )
    assert await awards.decision(moderated.officer, moderated.tender.id) is None


async def test_approval_needs_reasons_and_the_latest_report(
    platform: Platform, clock: FixedClock, moderated: Evaluation
) -> None:
    officer, tender_id = moderated.officer, moderated.tender.id
    with pytest.raises(InvalidTransition, match="Produce the award report"):
        await awards.approve(platform, officer, tender_id, report_sha256="0" * 64, reasons="Yes")
    first = await awards.make_report(platform, officer, tender_id)
    with pytest.raises(Invalid) as refused:
        await awards.approve(platform, officer, tender_id, report_sha256=first.sha256, reasons=" ")
    assert refused.value.field_errors == {"reasons": "Give the reasons for the decision"}
    clock.advance(timedelta(days=1))
    second = await awards.make_report(platform, officer, tender_id)
    assert second.sha256 != first.sha256, "the report says when it was made"
    with pytest.raises(Conflict, match="A newer award report was produced"):
        await awards.approve(
            platform, officer, tender_id, report_sha256=first.sha256, reasons="Best value"
        )
    await awards.approve(platform, officer, tender_id, report_sha256=second.sha256, reasons="Ok")


async def test_no_report_nor_approval_before_moderation_nor_for_another_council(
    platform: Platform, clock: FixedClock
) -> None:
    setup = await evaluation(platform, clock)
    with pytest.raises(InvalidTransition):
        await awards.make_report(platform, setup.officer, setup.tender.id)
    with pytest.raises(InvalidTransition, match="signed off"):
        await awards.approve(
            platform, setup.officer, setup.tender.id, report_sha256="0" * 64, reasons="Early"
        )
    other = await buyer_officer(
        platform, "sam.cole@derbyshire.example", "Derbyshire County Council"
    )
    with pytest.raises(NotFound):
        await awards.reports(other, setup.tender.id)
    with pytest.raises(NotFound):
        await awards.approve(
            platform, other, setup.tender.id, report_sha256="0" * 64, reasons="Not mine"
        )
