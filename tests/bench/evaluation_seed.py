"""A lot evaluated to the end, inserted as rows in bulk: a tender of one lot, moderated,
with many sealed bids, each scored by every evaluator and agreed by the moderator.

Through the services a bid's evaluation takes a write transaction per score saved, per
consensus recorded and per declaration; 200 bids of 40 questions would take far longer
than what a benchmark then measures. These rows are what those services would have
written: the council's officer, five evaluators and a moderator on the lot's panel, each
cleared of conflicts against every bidder; per bidder an organisation, its user, a
submitted bid and its one sealed submission (the canonical JSON of
``tenders.services.bids.sealed_content``, answers of about 300 words, and its digest); every
evaluator's scores with reasons and submitted score sheets; the consensus for every bid and
question, and the lot's sign-off. Left out, as the results never read them: the bids'
working copies (answers and prices), the audit log and the mail outbox.

The marks come from a seeded ``random.Random``: each bid has a strength the evaluators'
marks scatter around, the consensus is their median, and a few bids fail a pass or fail
question or score below a minimum, so some are excluded. Beside the rows it returns what
the results should follow from, built from the same figures and not read back: the lot's
rules and every bid's entry. Call inside a process whose engine is the database to fill.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from app import database
from app.accounts import CurrentUser
from app.tables import Organisation, User
from app.vocabulary import OrganisationKind, Role
from evaluation import marks
from evaluation.scoring import (
    AwardRule,
    BidEntry,
    LotRules,
    Outcome,
    PriceLine,
    QuestionRule,
    SectionRule,
)
from evaluation.tables import (
    ConflictDeclaration,
    Consensus,
    PanelMember,
    Score,
    ScoreSheet,
    SignOff,
)
from evaluation.vocabulary import PanelRole
from tenders import sealing
from tenders.domain_data import OUTCOME_TESTS
from tenders.tables import Bid, Lot, PriceItem, Question, Section, Submission, Tender
from tenders.vocabulary import (
    AwardMode,
    BidStatus,
    ComplexityBand,
    Declaration,
    PriceUnit,
    QuestionKind,
    SectionKind,
    ServiceType,
    TenderStatus,
)
from tests.bench.bids_seed import insert_rows

PROVIDERS_TO_AWARD = 3
ANSWER_WORDS = 300
#: (number, name, kind, weight), in section order.
SECTIONS = (
    (1, "Quality", SectionKind.QUALITY, 40),
    (2, "Price", SectionKind.PRICE, 30),
    (3, "Social value", SectionKind.SOCIAL_VALUE, 10),
    (4, "Outcomes", SectionKind.QUALITY, 20),
)
GATES = (
    "Are you registered with the Care Quality Commission for the regulated activities "
    "this lot needs?",
    "Do you hold employer's liability insurance of at least £10 million and public "
    "liability insurance of at least £5 million?",
)
#: (question, weight within Quality, minimum score).
QUALITY = (
    ("How will you keep children and young people safe from harm?", 8, 2),
    ("How will you recruit, vet and keep enough suitably skilled staff?", 8, 2),
    ("How will you manage medication safely?", 6, 2),
    ("How will you respond to incidents, concerns and complaints?", 6, 2),
    ("How will you support positive behaviour without restrictive practice?", 6, None),
    ("How will you train and supervise your staff?", 6, None),
    ("How will you involve children and their families in planning support?", 5, None),
    ("How will you support transitions into adult services?", 5, None),
    ("How will you work with health, education and social care partners?", 5, None),
    ("How will you start the service safely within four weeks of award?", 5, None),
    ("How will you cover staff absence and emergencies?", 5, None),
    ("How will you measure and report outcomes for each child?", 5, None),
    ("How will you support children with complex health needs?", 4, None),
    ("How will you meet the communication needs of each child?", 4, None),
    ("How will you support children to take part in their community?", 4, None),
    ("How will you keep records and protect personal data?", 4, None),
    ("How will you manage risk while promoting independence?", 4, None),
    ("How will you support children's emotional wellbeing?", 4, None),
    ("How will you manage the contract and meet with commissioners?", 3, None),
    ("How will you keep improving the quality of your service?", 3, None),
)
SOCIAL_VALUE = (
    ("How will you create jobs and training for local people?", 40),
    ("How will you reduce the environmental impact of delivering the service?", 30),
    ("How will you support local voluntary and community organisations?", 30),
)
#: (description, unit, volume a year, reference price in pence).
PRICE_ITEMS = (
    ("Support worker, daytime", PriceUnit.HOUR_DAYTIME, 52_000, 1587),
    ("Sleep-in night", PriceUnit.SLEEP_IN_NIGHT, 3_650, 9102),
    ("Placement, complex, per week", PriceUnit.WEEK_COMPLEX, 520, 98_300),
)
PLACES = (
    "Ashby", "Biddulph", "Burntwood", "Cannock", "Cheadle", "Codsall", "Eccleshall",
    "Gnosall", "Hednesford", "Kidsgrove", "Leek", "Lichfield", "Penkridge", "Perton",
    "Rugeley", "Stafford", "Stone", "Tamworth", "Uttoxeter", "Wombourne",
)  # fmt: skip
TRADES = (
    "Care", "Support", "Homecare", "Care Partners", "Community Support", "Living",
    "Family Support", "Care Services", "Outreach", "Children's Services",
    "Supported Living", "Respite",
)  # fmt: skip
QUESTIONS = len(GATES) + len(QUALITY) + len(SOCIAL_VALUE) + len(OUTCOME_TESTS)
EVALUATORS = ("Amy Evans", "Ben Hart", "Chloe Price", "Dev Patel", "Erin Walsh")
#: Sentences answers are made of: a provider writes much the same thing many times over.
SENTENCES = (
    "Every member of staff completes safeguarding training at level three before working "
    "alone with a child, and refreshes it every year.",
    "Our registered manager reviews each support plan with the child and their family at "
    "least every three months, and sooner when needs change.",
    "We recruit locally through schools, colleges and community groups, which keeps staff "
    "turnover below the sector average.",
    "Each child has a named key worker and a consistent team of no more than six support "
    "workers who know them well.",
    "Concerns are reported to the designated safeguarding lead on the same day and to the "
    "local authority within one working day.",
    "We use positive behaviour support plans written with families, clinicians and "
    "schools, and we review every incident within a week.",
    "Medication is administered only by staff assessed as competent, and records are "
    "audited weekly by a senior worker.",
    "Our on-call manager is available day and night, so staff always have someone "
    "experienced to turn to.",
    "We measure outcomes with goals each child sets, and we report progress to "
    "commissioners every quarter.",
    "Families tell us what matters to them through regular visits, surveys and a parent "
    "forum that meets every two months.",
    "We work closely with health visitors, community nurses, social workers and special "
    "educational needs coordinators.",
    "New staff shadow experienced colleagues for at least two weeks and complete the Care "
    "Certificate within twelve weeks.",
    "Supervision takes place every six weeks, with an annual appraisal that sets each "
    "worker's learning for the year.",
    "We plan transitions to adult services from the age of fourteen, with the young "
    "person at the centre of every meeting.",
    "Our business continuity plan covers staff shortages, severe weather and the loss of "
    "our office or systems.",
    "Records are kept on an electronic care planning system with role-based access and "
    "daily encrypted back-ups.",
    "We encourage children to take part in clubs, sport and volunteering close to where they live.",
    "Communication passports describe how each child communicates, and staff learn "
    "Makaton where a child uses it.",
    "Complaints are acknowledged within two working days and answered in full within "
    "twenty, and we learn from each one.",
    "Risk assessments balance safety with independence and are agreed with the child and "
    "their family.",
    "Our quality team audits every service twice a year and publishes an improvement plan "
    "that families can read.",
    "We pay at least the real Living Wage and offer paid training, which helps us keep "
    "experienced staff.",
    "Staff use electric pool cars and plan visits by area, which cuts travel time and emissions.",
    "We buy from local suppliers wherever we can and support two community groups in each "
    "district we serve.",
    "Mobilisation is led by an experienced manager with a week-by-week plan shared with "
    "commissioners from the day of award.",
)


@dataclass(frozen=True)
class SeededEvaluation:
    tender_id: UUID
    lot_id: UUID
    officer: CurrentUser
    #: What the lot's results follow from, built from the seed's figures.
    rules: LotRules
    #: Every bid's consensus marks and sealed prices, as the results should read them.
    entries: tuple[BidEntry, ...]
    #: Rows inserted, by table.
    rows: dict[str, int]
    #: The sealed contents' size in bytes, together.
    content_bytes: int


@dataclass(frozen=True)
class _Question:
    id: UUID
    number: int
    section: int
    kind: QuestionKind
    text: str
    weight: int = 0
    minimum_score: int | None = None
    outcome: str | None = None


def _questions() -> list[_Question]:
    questions = [_Question(uuid4(), 0, 1, QuestionKind.PASS_FAIL, text) for text in GATES] + [
        _Question(uuid4(), 0, 1, QuestionKind.SCALE, text, weight, minimum)
        for text, weight, minimum in QUALITY
    ]
    questions += [
        _Question(uuid4(), 0, 3, QuestionKind.SCALE, text, weight) for text, weight in SOCIAL_VALUE
    ]
    questions += [
        _Question(uuid4(), 0, 4, QuestionKind.OUTCOME_TEST, test.text, outcome=test.outcome)
        for test in OUTCOME_TESTS
    ]
    return [replace(q, number=number) for number, q in enumerate(questions, start=1)]


def _answer_text(rng: random.Random, name: str) -> str:
    words = 0
    chosen = [f"At {name} this is how we work."]
    while words < ANSWER_WORDS:
        sentence = rng.choice(SENTENCES)
        chosen.append(sentence)
        words += len(sentence.split())
    return " ".join(chosen)


_OUTCOME_ORDER = (Outcome.NO, Outcome.PARTIALLY, Outcome.YES)


def _evaluators_marks(
    rng: random.Random, question: _Question, strength: float, fails_gate: bool
) -> list[str]:
    """Each evaluator's mark, scattered around the bid's strength (0 to 5)."""
    given = []
    for _ in EVALUATORS:
        level = strength + rng.gauss(0, 0.8)
        if question.kind is QuestionKind.PASS_FAIL:
            # Now and then one evaluator doubts a gate the others pass: a divergent cell.
            given.append("fail" if fails_gate or rng.random() < 0.02 else "pass")
        elif question.kind is QuestionKind.SCALE:
            given.append(str(min(5, max(0, round(level)))))
        else:
            given.append(_OUTCOME_ORDER[(level >= 2.2) + (level >= 3.5)].value)
    return given


def _consensus(question: _Question, given: list[str]) -> str:
    """The moderator's mark: the evaluators' median."""
    if question.kind is QuestionKind.PASS_FAIL:
        return "fail" if given.count("fail") > len(given) // 2 else "pass"
    if question.kind is QuestionKind.SCALE:
        return sorted(given, key=int)[len(given) // 2]
    return sorted(given, key=lambda mark: _OUTCOME_ORDER.index(Outcome(mark)))[len(given) // 2]


def _rationale(question: _Question, mark: str) -> str:
    label = marks.label(question.kind, mark)
    return (
        f"Marked {label}: the answer to question {question.number} was weighed against the "
        "guidance, and the evidence given for each point was checked."
    )


async def evaluated_lot(bidders: int, seed: int = 20260101) -> SeededEvaluation:
    """One tender of one lot, moderated, with ``bidders`` sealed bids scored by five
    evaluators and agreed by a moderator, the consensus signed off."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    deadline = now - timedelta(days=21)
    opened_at = deadline + timedelta(hours=2)
    buyer_id, tender_id, lot_id = uuid4(), uuid4(), uuid4()
    council = "Staffordshire County Council"

    people: list[User] = []

    def council_user(name: str, role: Role) -> User:
        user = User(
            id=uuid4(),
            organisation=buyer_id,
            email=f"{name.lower().replace(' ', '.')}@staffordshire.example",
            name=name,
            role=role,
            # Nobody signs in: no hash has to verify.
            password_hash="unused",
            created_at=now - timedelta(days=90),
        )
        people.append(user)
        return user

    officer = council_user("Priya Shah", Role.OFFICER)
    evaluators = [council_user(name, Role.EVALUATOR) for name in EVALUATORS]
    moderator = council_user("Mo Reid", Role.EVALUATOR)

    section_ids = {number: uuid4() for number, *_ in SECTIONS}
    sections = [
        Section(
            id=section_ids[number],
            tender=tender_id,
            number=number,
            name=name,
            kind=kind,
            weight=weight,
        )
        for number, name, kind, weight in SECTIONS
    ]
    questions = _questions()
    question_rows = [
        Question(
            id=q.id,
            tender=tender_id,
            section=section_ids[q.section],
            number=q.number,
            kind=q.kind,
            text=q.text,
            guidance="" if q.kind is QuestionKind.OUTCOME_TEST else "Say what you do, and how.",
            word_limit=None if q.kind is QuestionKind.PASS_FAIL else 500,
            weight=q.weight,
            minimum_score=q.minimum_score,
            outcome=q.outcome,
        )
        for q in questions
    ]
    items = [
        PriceItem(
            id=uuid4(),
            lot=lot_id,
            number=number,
            description=description,
            unit=unit,
            volume=volume,
            reference_price_pence=reference,
            minimum_call_minutes=60 if unit is PriceUnit.HOUR_DAYTIME else None,
        )
        for number, (description, unit, volume, reference) in enumerate(PRICE_ITEMS, start=1)
    ]

    names = [f"{place} {trade} Ltd" for place in PLACES for trade in TRADES]
    if bidders > len(names):
        raise ValueError(f"at most {len(names)} bidders have a name")
    rng.shuffle(names)
    members = [*((e, PanelRole.EVALUATOR) for e in evaluators), (moderator, PanelRole.MODERATOR)]

    organisations: list[Organisation] = []
    users: list[User] = []
    bids: list[Bid] = []
    submissions: list[Submission] = []
    declarations: list[ConflictDeclaration] = []
    scores: list[Score] = []
    consensus: list[Consensus] = []
    entries: list[BidEntry] = []
    content_bytes = 0
    for name in names[:bidders]:
        organisation_id, user_id, bid_id, submission_id = uuid4(), uuid4(), uuid4(), uuid4()
        received_at = deadline - timedelta(seconds=rng.randrange(1, 3600))
        strength = rng.uniform(1.6, 4.9)
        failed_gate = rng.randrange(len(GATES)) if rng.random() < 0.03 else None
        organisations.append(
            Organisation(
                id=organisation_id,
                name=name,
                kind=OrganisationKind.PROVIDER,
                cqc_provider_id=f"1-{rng.randrange(10**8, 10**9)}",
                created_at=now - timedelta(days=60),
            )
        )
        slug = name.lower().replace("'", "").replace(" ", "-").removesuffix("-ltd")
        users.append(
            User(
                id=user_id,
                organisation=organisation_id,
                email=f"bids@{slug}.example",
                name=f"Bid writer at {name}",
                role=Role.PROVIDER,
                password_hash="unused",
                created_at=now - timedelta(days=60),
            )
        )
        bids.append(
            Bid(
                id=bid_id,
                tender=tender_id,
                organisation=organisation_id,
                status=BidStatus.SUBMITTED,
                lots=str(lot_id),
                created_at=deadline - timedelta(days=10),
                created_by=user_id,
                updated_at=received_at,
                changed_at=received_at,
                key=f"{tender_id}:{organisation_id}",
            )
        )

        answers = []
        bid_marks: dict[UUID, int | str] = {}
        for place, q in enumerate(questions):
            gate = q.kind is QuestionKind.PASS_FAIL
            fails = gate and failed_gate == place
            answers.append(
                {
                    "question": str(q.id),
                    "number": q.number,
                    "text": "" if gate else _answer_text(rng, name),
                    "declaration": (Declaration.NO if fails else Declaration.YES).value
                    if gate
                    else None,
                    "evidence": [],
                }
            )
            given = _evaluators_marks(rng, q, strength, fails)
            agreed = _consensus(q, given)
            bid_marks[q.id] = marks.for_scoring(q.kind, agreed)
            for evaluator, mark in zip(evaluators, given, strict=True):
                scores.append(
                    Score(
                        id=uuid4(),
                        tender=tender_id,
                        lot=lot_id,
                        submission=submission_id,
                        question=q.id,
                        evaluator=evaluator.id,
                        mark=mark,
                        rationale=_rationale(q, mark),
                        updated_at=opened_at + timedelta(days=2),
                        key=f"{lot_id}:{submission_id}:{q.id}:{evaluator.id}",
                    )
                )
            consensus.append(
                Consensus(
                    id=uuid4(),
                    tender=tender_id,
                    lot=lot_id,
                    submission=submission_id,
                    question=q.id,
                    mark=agreed,
                    rationale=_rationale(q, agreed),
                    moderator=moderator.id,
                    decided_at=opened_at + timedelta(days=7),
                    key=f"{lot_id}:{submission_id}:{q.id}",
                )
            )
        unit_prices = {
            item.id: round(item.reference_price_pence * rng.uniform(0.66, 1.08)) for item in items
        }
        prices = [
            {
                "item": str(item.id),
                "number": item.number,
                "unit_price_pence": unit_prices[item.id],
                "volume": item.volume,
            }
            for item in items
        ]
        content = {
            "tender": str(tender_id),
            "bid": str(bid_id),
            "organisation": str(organisation_id),
            "lots": [{"lot": str(lot_id), "number": 1, "answers": answers, "prices": prices}],
        }
        sealed = sealing.canonical(content)
        content_bytes += len(sealed)
        submissions.append(
            Submission(
                id=submission_id,
                bid=bid_id,
                tender=tender_id,
                number=1,
                received_at=received_at,
                submitted_by=user_id,
                content=sealed.decode(),
                digest=sealing.digest(content),
                lots=str(lot_id),
                request_key=f"{bid_id}:{uuid4().hex}",
            )
        )
        declarations.extend(
            ConflictDeclaration(
                id=uuid4(),
                tender=tender_id,
                lot=lot_id,
                evaluator=member.id,
                organisation=organisation_id,
                conflict=False,
                description="",
                first_declared_at=opened_at + timedelta(hours=3),
                declared_at=opened_at + timedelta(hours=3),
                key=f"{lot_id}:{member.id}:{organisation_id}",
            )
            for member, _ in members
        )
        entries.append(BidEntry(bid_id, name, received_at, bid_marks, unit_prices))

    panel = [
        PanelMember(
            id=uuid4(),
            tender=tender_id,
            lot=lot_id,
            user=member.id,
            role=role,
            assigned_by=officer.id,
            assigned_at=opened_at + timedelta(hours=1),
            key=f"{lot_id}:{member.id}",
        )
        for member, role in members
    ]
    sheets = [
        ScoreSheet(
            id=uuid4(),
            tender=tender_id,
            lot=lot_id,
            evaluator=evaluator.id,
            submitted_at=opened_at + timedelta(days=3),
            key=f"{lot_id}:{evaluator.id}",
        )
        for evaluator in evaluators
    ]
    async with database.write_transaction():
        await Organisation.insert(
            Organisation(id=buyer_id, name=council, kind=OrganisationKind.BUYER, created_at=now)
        )
        await insert_rows(User, people)
        await Tender.insert(
            Tender(
                id=tender_id,
                buyer=buyer_id,
                title="Children's complex care framework",
                reference="BEN-2026-RESULTS",
                description="Complex care and overnight support for children and young people.",
                status=TenderStatus.MODERATED,
                contract_months=36,
                estimated_value_pence=1_450_000_000,
                submission_deadline=deadline,
                clarification_deadline=deadline - timedelta(days=7),
                created_at=deadline - timedelta(days=45),
                published_at=deadline - timedelta(days=35),
                opened_by=officer.id,
                opened_at=opened_at,
            )
        )
        await Lot.insert(
            Lot(
                id=lot_id,
                tender=tender_id,
                number=1,
                name="Complex care, county-wide",
                service_type=ServiceType.COMPLEX_CARE,
                districts="North|South",
                complexity_band=ComplexityBand.COMPLEX,
                award_mode=AwardMode.NUMBER,
                providers_to_award=PROVIDERS_TO_AWARD,
            )
        )
        await insert_rows(Section, sections)
        await insert_rows(Question, question_rows)
        await insert_rows(PriceItem, items)
        await insert_rows(Organisation, organisations)
        await insert_rows(User, users)
        await insert_rows(Bid, bids)
        await insert_rows(Submission, submissions)
        await insert_rows(PanelMember, panel)
        await insert_rows(ConflictDeclaration, declarations)
        await insert_rows(Score, scores)
        await insert_rows(ScoreSheet, sheets)
        await insert_rows(Consensus, consensus)
        await SignOff.insert(
            SignOff(
                id=uuid4(),
                tender=tender_id,
                lot=lot_id,
                signed_off_by=moderator.id,
                signed_off_at=opened_at + timedelta(days=8),
            )
        )

    rules = LotRules(
        sections=[SectionRule(*section) for section in SECTIONS],
        questions=[
            QuestionRule(q.id, q.number, q.section, q.kind, q.weight, q.minimum_score)
            for q in questions
        ],
        price_lines=[
            PriceLine(item.id, item.number, item.description, item.volume, reference)
            for item, (*_, reference) in zip(items, PRICE_ITEMS, strict=True)
        ],
        award=AwardRule(AwardMode.NUMBER, PROVIDERS_TO_AWARD),
    )
    return SeededEvaluation(
        tender_id,
        lot_id,
        CurrentUser(
            id=officer.id,
            email=officer.email,
            name=officer.name,
            role=Role.OFFICER,
            organisation_id=buyer_id,
            organisation_name=council,
            organisation_kind=OrganisationKind.BUYER,
            session_epoch=0,
        ),
        rules,
        tuple(entries),
        {
            "organisation": 1 + len(organisations),
            "app_user": len(people) + len(users),
            "question": len(question_rows),
            "bid": len(bids),
            "submission": len(submissions),
            "panel_member": len(panel),
            "conflict_declaration": len(declarations),
            "score": len(scores),
            "score_sheet": len(sheets),
            "consensus": len(consensus),
            "sign_off": 1,
        },
        content_bytes,
    )
