"""Demo organisations and people, drawn from the domain brief (a county council buying
care from local providers). Every password is printed by ``caretender demo``."""

from __future__ import annotations

from dataclasses import dataclass

from app.vocabulary import Role

COUNCIL = "Staffordshire County Council"


@dataclass(frozen=True)
class DemoUser:
    name: str
    email: str
    role: Role
    password: str


COUNCIL_OFFICER = DemoUser(
    "Priya Shah", "priya.shah@staffordshire.example", Role.OFFICER, "officer-demo-passphrase"
)
#: An officer who moderates the demo home care tender, so may not approve its award.
COUNCIL_MODERATING_OFFICER = DemoUser(
    "Daniel Hughes", "daniel.hughes@staffordshire.example", Role.OFFICER, "officer-demo-two"
)
COUNCIL_EVALUATORS = (
    DemoUser(
        "Tom Barker", "tom.barker@staffordshire.example", Role.EVALUATOR, "evaluator-demo-one"
    ),
    DemoUser(
        "Aisha Okafor", "aisha.okafor@staffordshire.example", Role.EVALUATOR, "evaluator-demo-two"
    ),
    DemoUser(
        "Gareth Lloyd", "gareth.lloyd@staffordshire.example", Role.EVALUATOR, "evaluator-demo-three"
    ),
)


@dataclass(frozen=True)
class DemoProvider:
    organisation: str
    cqc_provider_id: str
    user: DemoUser


PROVIDERS = (
    DemoProvider(
        "Moorlands Supported Living CIC",
        "1-101234567",
        DemoUser("Helen Mills", "helen@moorlands-care.example", Role.PROVIDER, "provider-demo-one"),
    ),
    DemoProvider(
        "Trent Valley Home Care Ltd",
        "1-102345678",
        DemoUser("Sam Patel", "sam@trentvalley-care.example", Role.PROVIDER, "provider-demo-two"),
    ),
    DemoProvider(
        "Cannock Chase Family Support",
        "",
        DemoUser("Jo Evans", "jo@cannock-family.example", Role.PROVIDER, "provider-demo-three"),
    ),
)
