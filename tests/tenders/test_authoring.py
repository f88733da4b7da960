"""Officers build tenders and publish them; what publication freezes stays frozen."""

from __future__ import annotations

import pytest

from app.errors import Invalid, InvalidTransition, NotFound, NotPermitted
from tenders.services import authoring
from tenders.vocabulary import TenderStatus
from tests.conftest import buyer_officer, evaluator, provider_user
from tests.tenders.factories import DEADLINE, details, draft_tender, published_tender


async def test_an_officer_builds_and_publishes_a_three_lot_tender(platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer, lots=3)
    assert tender.stored_status is TenderStatus.PUBLISHED
    assert [lot.name for lot in tender.lots] == ["Complex care", "Overnight", "Nursing"]
    assert tender.lots[1].districts == ("Newcastle-under-Lyme", "Staffordshire Moorlands")
    assert tender.submission_deadline == DEADLINE
    assert sum(section.weight for section in tender.sections) == 100


async def test_a_provider_cannot_create_a_tender(platform):
    provider = await provider_user(platform)
    with pytest.raises(NotPermitted):
        await authoring.create_tender(platform, provider, details())


async def test_an_evaluator_cannot_create_a_tender(platform):
    officer = await buyer_officer(platform)
    with pytest.raises(NotPermitted):
        await authoring.create_tender(platform, await evaluator(platform, officer), details())


async def test_another_councils_officer_cannot_find_the_tender(platform):
    officer = await buyer_officer(platform)
    tender_id = await draft_tender(platform, officer)
    other = await buyer_officer(platform, "ravi@tamworth.example", "Tamworth Borough Council")
    with pytest.raises(NotFound):
        await authoring.update_tender(platform, other, str(tender_id), details(title="Mine now"))
    with pytest.raises(NotFound):
        await authoring.publish(platform, other, str(tender_id))


async def test_publishing_an_incomplete_tender_lists_every_problem(platform):
    officer = await buyer_officer(platform)
    tender_id = await authoring.create_tender(platform, officer, details())
    await authoring.add_lot(
        platform,
        officer,
        str(tender_id),
        {"name": "Overnight", "service_type": "overnight", "districts": ["Tamworth"]},
    )
    await authoring.add_section(
        platform, officer, str(tender_id), {"name": "Quality", "weight": "60"}
    )
    with pytest.raises(Invalid) as refused:
        await authoring.publish(platform, officer, str(tender_id))
    assert refused.value.field_errors == {
        "sections": "Section weights must add up to 100 (they add up to 60)",
        "lot-1-questions": "Lot 1 (Overnight) has no questions",
        "section-1-questions": "Section 1 (Quality) has no questions",
    }


async def test_outcome_tests_beside_weighted_questions_are_refused_at_publication(platform):
    # Outcome tests carry no weight: beside weighted questions they would count for nothing.
    officer = await buyer_officer(platform)
    tender_id = await draft_tender(platform, officer)
    tender = await authoring.own_tender(officer, tender_id)
    quality = tender.sections[0]
    await authoring.add_outcome_tests(
        platform, officer, str(tender_id), {"section": str(quality.id)}
    )
    with pytest.raises(Invalid) as refused:
        await authoring.publish(platform, officer, str(tender_id))
    assert refused.value.field_errors == {
        "section-1-outcome-tests": "Section 1 (Quality) has weighted questions and outcome "
        "tests: put the outcome tests in a section of their own, where they count equally"
    }


async def test_changing_lots_after_publication_is_refused_with_the_reason(platform):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    with pytest.raises(InvalidTransition) as refused:
        await authoring.add_lot(
            platform,
            officer,
            str(tender.id),
            {"name": "Extra", "service_type": "nursing", "districts": ["Tamworth"]},
        )
    assert "can no longer change" in refused.value.message
    assert refused.value.status_code == 409


async def test_a_deadline_on_a_bank_holiday_needs_confirming(platform):
    officer = await buyer_officer(platform)
    tender_id = await draft_tender(platform, officer)
    await authoring.update_tender(
        platform,
        officer,
        str(tender_id),
        details(
            **{
                "submission_deadline-day": "28",
                "submission_deadline-month": "12",
                "submission_deadline-year": "2026",
            }
        ),
    )
    with pytest.raises(Invalid) as refused:
        await authoring.publish(platform, officer, str(tender_id))
    assert refused.value.field_errors == {
        "confirm": "The deadline is on a bank holiday (Boxing Day (observed)). "
        "Confirm that you want to publish it anyway"
    }
    published = await authoring.publish(platform, officer, str(tender_id), confirmed=True)
    assert published.stored_status is TenderStatus.PUBLISHED
