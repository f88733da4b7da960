"""A published tender with many complete bids, inserted as rows in bulk.

Through the services (``tests.tenders.bid_factories.complete_bid``) a complete bid takes a
dozen write transactions; a thousand of them would take longer than what a benchmark then
measures. These rows are what those services would have written: one published tender
shaped like ``tests.tenders.factories.published_tender`` (a quality and a price section,
a pass or fail and a scored question, one price item a lot), and per provider an
organisation, its user and a draft bid for every lot with every question answered and
every item priced. Call inside a process whose engine is the database to fill.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from piccolo.table import Table

from app import database
from app.accounts import CurrentUser
from app.tables import Organisation, User
from app.vocabulary import OrganisationKind, Role
from tenders.tables import Answer, Bid, BidPrice, Lot, PriceItem, Question, Section, Tender
from tenders.vocabulary import (
    AwardMode,
    BidStatus,
    ComplexityBand,
    Declaration,
    PriceUnit,
    QuestionKind,
    SectionKind,
    TenderStatus,
)

ANSWER = "We keep children safe with trained staff, safer recruitment and clear reporting."
LOTS = (("Complex care", "complex_care", "South"), ("Overnight", "overnight", "North"))
#: Rows per INSERT: well under SQLite's 32,766 and asyncpg's 32,767 bound values.
CHUNK = 500


@dataclass(frozen=True)
class SeededBid:
    bid_id: UUID
    provider: CurrentUser


@dataclass(frozen=True)
class Seeded:
    tender_id: UUID
    deadline: datetime
    bids: tuple[SeededBid, ...]


async def insert_rows(table: type[Table], rows: Sequence[Table]) -> None:
    """Insert ``rows`` into ``table``, CHUNK rows an INSERT."""
    for start in range(0, len(rows), CHUNK):
        await table.insert(*rows[start : start + CHUNK])


async def tender_with_complete_bids(providers: int, *, open_for: timedelta) -> Seeded:
    """One published tender of two lots, its deadline ``open_for`` from now, and
    ``providers`` provider organisations, each with a complete bid for both lots."""
    now = datetime.now(UTC).replace(microsecond=0)
    deadline = now + open_for
    buyer_id, tender_id = uuid4(), uuid4()
    lots = [
        Lot(
            id=uuid4(),
            tender=tender_id,
            number=number,
            name=name,
            service_type=service,
            districts=district,
            complexity_band=ComplexityBand.COMPLEX,
            award_mode=AwardMode.NUMBER,
            providers_to_award=3,
        )
        for number, (name, service, district) in enumerate(LOTS, start=1)
    ]
    quality, price = uuid4(), uuid4()
    sections = [
        Section(
            id=quality,
            tender=tender_id,
            number=1,
            name="Quality",
            kind=SectionKind.QUALITY,
            weight=60,
        ),
        Section(
            id=price, tender=tender_id, number=2, name="Price", kind=SectionKind.PRICE, weight=40
        ),
    ]
    questions = [
        Question(
            id=uuid4(),
            tender=tender_id,
            section=quality,
            number=1,
            kind=QuestionKind.PASS_FAIL,
            text="Are you registered with CQC?",
        ),
        Question(
            id=uuid4(),
            tender=tender_id,
            section=quality,
            number=2,
            kind=QuestionKind.SCALE,
            text="How will you keep children safe?",
            word_limit=500,
            weight=100,
            minimum_score=2,
        ),
    ]
    items = [
        PriceItem(
            id=uuid4(),
            lot=lot.id,
            number=1,
            description="Support worker, daytime",
            unit=PriceUnit.HOUR_DAYTIME,
            volume=5200,
            reference_price_pence=1587,
            minimum_call_minutes=60,
        )
        for lot in lots
    ]
    chosen = "|".join(str(lot.id) for lot in lots)

    organisations: list[Organisation] = []
    users: list[User] = []
    bids: list[Bid] = []
    answers: list[Answer] = []
    prices: list[BidPrice] = []
    seeded: list[SeededBid] = []
    for n in range(providers):
        organisation_id, user_id, bid_id = uuid4(), uuid4(), uuid4()
        name = f"Bench Care {n:04d} Ltd"
        email = f"bids{n:04d}@bench-care.example"
        organisations.append(
            Organisation(
                id=organisation_id, name=name, kind=OrganisationKind.PROVIDER, created_at=now
            )
        )
        users.append(
            User(
                id=user_id,
                organisation=organisation_id,
                email=email,
                name=f"Bid Writer {n:04d}",
                role=Role.PROVIDER,
                # Nobody signs in: no hash has to verify.
                password_hash="unused",
                created_at=now,
            )
        )
        bids.append(
            Bid(
                id=bid_id,
                tender=tender_id,
                organisation=organisation_id,
                status=BidStatus.DRAFT,
                lots=chosen,
                created_at=now,
                created_by=user_id,
                updated_at=now,
                changed_at=now,
                key=f"{tender_id}:{organisation_id}",
            )
        )
        for lot in lots:
            for question in questions:
                pass_fail = question.kind is QuestionKind.PASS_FAIL
                answers.append(
                    Answer(
                        id=uuid4(),
                        bid=bid_id,
                        lot=lot.id,
                        question=question.id,
                        text="" if pass_fail else ANSWER,
                        declaration=Declaration.YES if pass_fail else None,
                        updated_at=now,
                        updated_by=user_id,
                        key=f"{bid_id}:{lot.id}:{question.id}",
                    )
                )
        for item in items:
            prices.append(
                BidPrice(
                    id=uuid4(),
                    bid=bid_id,
                    price_item=item.id,
                    unit_price_pence=1550 + n % 100,
                    updated_at=now,
                    updated_by=user_id,
                    key=f"{bid_id}:{item.id}",
                )
            )
        seeded.append(
            SeededBid(
                bid_id,
                CurrentUser(
                    id=user_id,
                    email=email,
                    name=f"Bid Writer {n:04d}",
                    role=Role.PROVIDER,
                    organisation_id=organisation_id,
                    organisation_name=name,
                    organisation_kind=OrganisationKind.PROVIDER,
                    session_epoch=0,
                ),
            )
        )

    async with database.write_transaction():
        await Organisation.insert(
            Organisation(
                id=buyer_id,
                name="Staffordshire County Council",
                kind=OrganisationKind.BUYER,
                created_at=now,
            )
        )
        await Tender.insert(
            Tender(
                id=tender_id,
                buyer=buyer_id,
                title="Children's community support framework",
                reference="BEN-2026-RUSH",
                description="Complex care and overnight support for children.",
                status=TenderStatus.PUBLISHED,
                contract_months=36,
                estimated_value_pence=285_000_000,
                submission_deadline=deadline,
                clarification_deadline=deadline - timedelta(days=7),
                created_at=now - timedelta(days=30),
                published_at=now - timedelta(days=28),
            )
        )
        await insert_rows(Lot, lots)
        await insert_rows(Section, sections)
        await insert_rows(Question, questions)
        await insert_rows(PriceItem, items)
        await insert_rows(Organisation, organisations)
        await insert_rows(User, users)
        await insert_rows(Bid, bids)
        await insert_rows(Answer, answers)
        await insert_rows(BidPrice, prices)
    return Seeded(tender_id, deadline, tuple(seeded))
