"""Tenders for tests, made through the same services officers use."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from app.accounts import CurrentUser
from app.clock import LONDON
from app.platform import Platform
from tenders.services import authoring
from tenders.services.views import TenderView
from tests.conftest import START

LOT_NAMES = ("Complex care", "Overnight", "Nursing", "Emergency care", "Life skills")
LOT_SERVICES = ("complex_care", "overnight", "nursing", "emergency_care", "life_skills")


def london_parts(name: str, when: datetime) -> dict[str, str]:
    """A datetime as the GOV.UK date and time fields an officer fills in."""
    local = when.astimezone(LONDON)
    return {
        f"{name}-day": str(local.day),
        f"{name}-month": str(local.month),
        f"{name}-year": str(local.year),
        f"{name}-time": local.strftime("%H:%M"),
    }


#: A Friday at noon, London time, three weeks after the suite's start.
DEADLINE = datetime(2026, 12, 11, 12, 0, tzinfo=LONDON)
CLARIFICATION_DEADLINE = DEADLINE - timedelta(days=7)


def details(**overrides: str) -> dict[str, str]:
    form = {
        "title": "Children's community support framework",
        "reference": "SCC-2026-041",
        "description": "Short breaks, complex care, overnight, nursing and emergency care.",
        "contract_months": "36",
        "estimated_value": "£2,850,000",
        **london_parts("submission_deadline", DEADLINE),
        **london_parts("clarification_deadline", CLARIFICATION_DEADLINE),
    }
    return {**form, **overrides}


async def draft_tender(
    platform: Platform, officer: CurrentUser, *, lots: int = 3, title: str | None = None
) -> UUID:
    """A complete draft: lots, a quality and a price section, questions and prices."""
    tender_id = await authoring.create_tender(
        platform, officer, details(**({"title": title} if title else {}))
    )
    for n in range(lots):
        await authoring.add_lot(
            platform,
            officer,
            str(tender_id),
            {
                "name": LOT_NAMES[n % 5],
                "service_type": LOT_SERVICES[n % 5],
                "districts": ["North"] if n % 2 else ["South"],
                "complexity_band": "complex",
                "award_mode": "number",
                "providers_to_award": "3",
            },
        )
    quality = await authoring.add_section(
        platform, officer, str(tender_id), {"name": "Quality", "kind": "quality", "weight": "60"}
    )
    await authoring.add_section(
        platform, officer, str(tender_id), {"name": "Price", "kind": "price", "weight": "40"}
    )
    await authoring.add_question(
        platform,
        officer,
        str(tender_id),
        {"section": str(quality), "kind": "pass_fail", "text": "Are you registered with CQC?"},
    )
    await authoring.add_question(
        platform,
        officer,
        str(tender_id),
        {
            "section": str(quality),
            "kind": "scale",
            "text": "How will you keep children safe?",
            "word_limit": "500",
            "weight": "100",
            "minimum_score": "2",
        },
    )
    tender = await authoring.own_tender(officer, tender_id)
    for lot in tender.lots:
        await authoring.add_price_item(
            platform,
            officer,
            str(tender_id),
            str(lot.id),
            {
                "description": "Support worker, daytime",
                "unit": "hour_daytime",
                "volume": "5200",
                "reference_price": "£15.87",
                "minimum_call_minutes": "60",
            },
        )
    return tender_id


async def published_tender(
    platform: Platform, officer: CurrentUser, *, lots: int = 3, title: str | None = None
) -> TenderView:
    tender_id = await draft_tender(platform, officer, lots=lots, title=title)
    return await authoring.publish(platform, officer, str(tender_id))


assert START < CLARIFICATION_DEADLINE
