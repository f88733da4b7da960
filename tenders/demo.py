"""Demo tenders modelled on the councils' papers (README command 1): a children's
community support framework, a supported-living block contract lotted by district group
and complexity band, a draft, and a tender that has closed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, time, timedelta
from uuid import UUID

from app.accounts import CurrentUser
from app.clock import LONDON, FixedClock
from app.platform import Platform
from tenders import domain_data
from tenders.lifecycle import bank_holiday
from tenders.services import authoring
from tenders.vocabulary import PriceUnit

HOUR_LOW, HOUR_HIGH = domain_data.REFERENCE_PRICES[PriceUnit.HOUR_DAYTIME]
NIGHT_LOW, NIGHT_HIGH = domain_data.REFERENCE_PRICES[PriceUnit.SLEEP_IN_NIGHT]


def _pounds(pence: int) -> str:
    return f"£{pence // 100}.{pence % 100:02d}"


def _when(name: str, moment: datetime) -> dict[str, str]:
    local = moment.astimezone(LONDON)
    return {
        f"{name}-day": str(local.day),
        f"{name}-month": str(local.month),
        f"{name}-year": str(local.year),
        f"{name}-time": local.strftime("%H:%M"),
    }


def weekday_noon(start: datetime, days: int) -> datetime:
    """Noon, London time, on the first working day at least ``days`` after ``start``."""
    day = (start.astimezone(LONDON) + timedelta(days=days)).date()
    while day.weekday() >= 5 or bank_holiday(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(12, 0), tzinfo=LONDON)


def details(
    title: str, reference: str, description: str, months: str, value: str, closes: datetime
) -> dict[str, str]:
    """A tender's details form, its questions closing a week before its bids."""
    return {
        "title": title,
        "reference": reference,
        "description": description,
        "contract_months": months,
        "estimated_value": value,
        **_when("submission_deadline", closes),
        **_when("clarification_deadline", closes - timedelta(days=7)),
    }


async def build_tender(
    platform: Platform,
    officer: CurrentUser,
    details: Mapping[str, str],
    lots: Sequence[Mapping[str, object]],
    prices: Sequence[Mapping[str, str]],
    *,
    outcome_tests: bool,
    publish: bool,
) -> UUID:
    """A tender as an officer builds it: lots, sections (Quality, Price, Social value, and
    Outcomes with the councils' outcome tests), questions and prices; perhaps published."""
    tender_id = str(await authoring.create_tender(platform, officer, details))
    for lot in lots:
        await authoring.add_lot(platform, officer, tender_id, lot)
    # Outcome tests count equally in a section of their own, beside the weighted questions.
    quality = str(
        await authoring.add_section(
            platform,
            officer,
            tender_id,
            {"name": "Quality", "kind": "quality", "weight": "40" if outcome_tests else "60"},
        )
    )
    await authoring.add_section(
        platform, officer, tender_id, {"name": "Price", "kind": "price", "weight": "30"}
    )
    social = str(
        await authoring.add_section(
            platform,
            officer,
            tender_id,
            {"name": "Social value", "kind": "social_value", "weight": "10"},
        )
    )
    for question in (
        {
            "section": quality,
            "kind": "pass_fail",
            "text": "Are you registered with the Care Quality Commission for the regulated "
            "activities this lot needs, with a rating of Good or Outstanding (or not yet rated)?",
        },
        {
            "section": quality,
            "kind": "scale",
            "text": "Describe how you will deliver strengths-based, least restrictive support "
            "that helps people do more for themselves.",
            "guidance": "Give examples from services you run now. Say how you review support "
            "plans and reduce one-to-one hours safely.",
            "word_limit": "750",
            "weight": "60",
            "minimum_score": "2",
        },
        {
            "section": quality,
            "kind": "scale",
            "text": "How will you recruit and keep staff locally, and cover short-notice absence?",
            "word_limit": "500",
            "weight": "40",
            "minimum_score": "2",
        },
        {
            "section": social,
            "kind": "scale",
            "text": "What will you do for the communities where you deliver this service?",
            "word_limit": "500",
            "weight": "100",
        },
    ):
        await authoring.add_question(platform, officer, tender_id, question)
    if outcome_tests:
        outcomes = await authoring.add_section(
            platform, officer, tender_id, {"name": "Outcomes", "kind": "quality", "weight": "20"}
        )
        await authoring.add_outcome_tests(platform, officer, tender_id, {"section": str(outcomes)})
    tender = await authoring.own_tender(officer, tender_id)
    for lot in tender.lots:
        for item in prices:
            await authoring.add_price_item(platform, officer, tender_id, str(lot.id), item)
    if publish:
        await authoring.publish(platform, officer, tender_id)
    return UUID(tender_id)


async def load(platform: Platform, officer: CurrentUser) -> None:
    now = platform.clock.now()
    deadline = weekday_noon(now, 24)

    children = [
        {
            "name": name,
            "service_type": service,
            "districts": ["North", "South"],
            "award_mode": "number",
            "providers_to_award": "6",
        }
        for name, service in (
            ("Life skills and independence short breaks", "life_skills"),
            ("Complex care", "complex_care"),
            ("Overnight", "overnight"),
            ("Nursing", "nursing"),
            ("Emergency care", "emergency_care"),
        )
    ]
    await build_tender(
        platform,
        officer,
        details(
            "Children's community support framework",
            "SCC-CCS-2026-01",
            "Community support for disabled children and young people and their families: "
            "life skills and independence short breaks, complex care, overnight support, "
            "nursing, and emergency care at short notice to keep families together.",
            "36",
            "£2,850,000",
            deadline,
        ),
        children,
        [
            {
                "description": "Support worker, daytime",
                "unit": "hour_daytime",
                "volume": "5200",
                "reference_price": _pounds(HOUR_HIGH),
                "minimum_call_minutes": "60",
            },
            {
                "description": "Sleep-in night",
                "unit": "sleep_in_night",
                "volume": "150",
                "reference_price": _pounds(NIGHT_HIGH),
            },
        ],
        outcome_tests=True,
        publish=True,
    )
    supported = [
        {
            "name": f"{group}: {band.replace('_', ' ')}",
            "service_type": "supported_living",
            "districts": [group],
            "complexity_band": band,
            "award_mode": "number",
            "providers_to_award": "3" if band == "highly_complex" else "10",
        }
        for group in ("North", "South")
        for band in ("highly_complex", "complex", "less_complex")
    ]
    await build_tender(
        platform,
        officer,
        details(
            "Supported living block contracts",
            "SCC-SL-2026-02",
            "Block contracts for supported living across the county, lotted by district group "
            "and complexity band. About 416 placements with 53 providers today, £23.4m a year.",
            "60",
            "£23,400,000",
            weekday_noon(now, 28),
        ),
        supported,
        [
            {
                "description": "Support, daytime (standard)",
                "unit": "hour_daytime",
                "volume": "20000",
                "reference_price": _pounds(HOUR_LOW),
            },
            {
                "description": "Support, daytime (enhanced)",
                "unit": "hour_daytime",
                "volume": "8000",
                "reference_price": _pounds(HOUR_HIGH),
            },
            {
                "description": "Sleep-in night (standard)",
                "unit": "sleep_in_night",
                "volume": "365",
                "reference_price": _pounds(NIGHT_LOW),
            },
            {
                "description": "Sleep-in night (waking support)",
                "unit": "sleep_in_night",
                "volume": "120",
                "reference_price": _pounds(NIGHT_HIGH),
            },
        ],
        outcome_tests=False,
        publish=True,
    )
    await build_tender(
        platform,
        officer,
        details(
            "Home care in Tamworth",
            "SCC-HC-2027-01",
            "Draft: domiciliary care for adults in Tamworth, with minimum call lengths.",
            "24",
            "£1,200,000",
            weekday_noon(now, 45),
        ),
        [
            {
                "name": "Tamworth home care",
                "service_type": "home_care",
                "districts": ["Tamworth"],
                "award_mode": "all_that_pass",
            }
        ],
        [
            {
                "description": "Home care visit, daytime",
                "unit": "hour_daytime",
                "volume": "30000",
                "reference_price": "£18.66",
                "minimum_call_minutes": "30",
            }
        ],
        outcome_tests=False,
        publish=False,
    )
    # A tender that has already closed: built and published six weeks ago.
    past = FixedClock(now - timedelta(days=42))
    await build_tender(
        replace(platform, clock=past),
        officer,
        details(
            "Shared Lives respite",
            "SCC-SLR-2026-03",
            "Respite in Shared Lives carers' homes across the south of the county.",
            "24",
            "£400,000",
            weekday_noon(past.now(), 21),
        ),
        [
            {
                "name": "Shared Lives respite (South)",
                "service_type": "shared_lives",
                "districts": ["South"],
                "award_mode": "all_that_pass",
            }
        ],
        [
            {
                "description": "Respite night",
                "unit": "sleep_in_night",
                "volume": "400",
                "reference_price": _pounds(NIGHT_LOW),
            }
        ],
        outcome_tests=False,
        publish=True,
    )
