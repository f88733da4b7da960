"""Facts of the domain the platform runs on, copied from the commissioning papers in
``shared/domain`` (a fresh clone has no ``shared/``): service types, the county's districts,
complexity bands, reference prices and the councils' outcome tests."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tenders.vocabulary import ComplexityBand, PriceUnit, ServiceType

#: The county's eight districts and boroughs.
DISTRICTS = (
    "Cannock Chase",
    "East Staffordshire",
    "Lichfield",
    "Newcastle-under-Lyme",
    "South Staffordshire",
    "Stafford",
    "Staffordshire Moorlands",
    "Tamworth",
)
#: How commissioners group them.
DISTRICT_GROUPS = {
    "North": ("Newcastle-under-Lyme", "Staffordshire Moorlands"),
    "South": (
        "Cannock Chase",
        "East Staffordshire",
        "Lichfield",
        "South Staffordshire",
        "Stafford",
        "Tamworth",
    ),
}


def expand_districts(chosen: Iterable[str]) -> tuple[str, ...]:
    """District names, with each group ("North", "South") replaced by its members, in the
    county's order; names that are neither are dropped."""
    names = set(chosen)
    for group, members in DISTRICT_GROUPS.items():
        if group in names:
            names |= set(members)
    return tuple(name for name in DISTRICTS if name in names)


#: Supported-living weekly cost per placement by band (average, low, high), in pounds.
BAND_WEEKLY_COSTS = {
    ComplexityBand.HIGHLY_COMPLEX: (2846, 1101, 3272),
    ComplexityBand.COMPLEX: (983, 310, 3553),
    ComplexityBand.LESS_COMPLEX: (331, 25, 599),
}

#: Reference prices in pence used to judge whether a bid is reasonable (two bands each).
REFERENCE_PRICES = {
    PriceUnit.HOUR_DAYTIME: (1472, 1587),
    PriceUnit.SLEEP_IN_NIGHT: (8160, 9102),
}

#: Services where CQC registration is the minimum standard before appointment.
REGULATED_SERVICES = frozenset(
    {
        ServiceType.SUPPORTED_LIVING,
        ServiceType.HOME_CARE,
        ServiceType.LIVE_IN_CARE,
        ServiceType.NURSING,
        ServiceType.COMPLEX_CARE,
    }
)


#: Outcome-test answers and what each means (the councils' options-appraisal scale).
OUTCOME_SCALE = {
    "Yes": "Strong delivery against the test",
    "Partially": "Partial delivery against the test",
    "No": "No or minimal delivery against the test",
}


@dataclass(frozen=True)
class OutcomeTest:
    number: int
    outcome: str
    text: str


#: 15 tests under 5 outcomes, as a panel of three professionals scored them.
OUTCOME_TESTS = (
    OutcomeTest(
        1,
        "Enables delivery of statutory duties and responsibilities",
        "Promotes individual wellbeing, supports the provision of information and advice, and the identification of services, facilities, and resources already available within the community, which could be used to meet needs.",
    ),
    OutcomeTest(
        2,
        "Enables delivery of statutory duties and responsibilities",
        "Enables a flexible support system for all families where support can be increased or decreased as and when required.",
    ),
    OutcomeTest(
        3,
        "Enables delivery of statutory duties and responsibilities",
        "Supports all stakeholders (the NHS, adult social care and children's services) to meet their statutory duties to children and young people with disabilities, in assessment and support planning, particularly in preparing for adulthood.",
    ),
    OutcomeTest(
        4,
        "Supports the delivery of the children's system transformation principles",
        "Encourages market stimulation to ensure capacity and choice within local organisations meets demand.",
    ),
    OutcomeTest(
        5,
        "Supports the delivery of the children's system transformation principles",
        "Is flexible and local (children stay within their localities), works better for the child, their family and all practitioners, and is designed against demand and co-produced with families.",
    ),
    OutcomeTest(
        6,
        "Supports the delivery of the children's system transformation principles",
        "Encourages effective cost management whilst delivering high quality care.",
    ),
    OutcomeTest(
        7,
        "Financially sustainable and value for money",
        "Is cost-effective and financially sustainable in the long term.",
    ),
    OutcomeTest(
        8,
        "Financially sustainable and value for money",
        "Delivers process and financial efficiencies to drive performance improvements.",
    ),
    OutcomeTest(
        9,
        "Financially sustainable and value for money",
        "Utilises local community support and allows families to connect with others in their local area, both for support and to make the best use of existing community resources.",
    ),
    OutcomeTest(
        10,
        "Offers social value by supporting individual and community resilience",
        "Provides a safe and high-quality system of support that is flexible and equitable across the county.",
    ),
    OutcomeTest(
        11,
        "Offers social value by supporting individual and community resilience",
        "Offers opportunities for new entrants into the local care market, increasing the preventative offer and reducing the need for more costly services, especially avoidable admission to local authority care.",
    ),
    OutcomeTest(
        12,
        "Offers social value by supporting individual and community resilience",
        "Delivers innovation and creativity to work in more modern, effective and lower cost ways.",
    ),
    OutcomeTest(
        13,
        "Manages operational and reputational risk",
        "Supports the council's and NHS agendas, encourages people to take responsibility for their own health and wellbeing and to plan for their future, so that support continues for those who most need it.",
    ),
    OutcomeTest(
        14,
        "Manages operational and reputational risk",
        "Considers the outcome of engagement with parents, carers and other stakeholders, whilst delivering value for money for residents.",
    ),
    OutcomeTest(
        15,
        "Manages operational and reputational risk",
        "Supports the council's strategic priorities: better paid local jobs, healthy and independent living, access to employment, education and training, and families and children supported to look after themselves and stay safe and well.",
    ),
)
