"""Piccolo tables of tenders: lots, criteria, price schedules, documents, interest,
clarifications and the releases published as open data."""

from __future__ import annotations

from piccolo.columns import (
    UUID,
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from app.tables import Organisation, User
from tenders.vocabulary import (
    AwardMode,
    BidStatus,
    ComplexityBand,
    Declaration,
    DocumentKind,
    PriceUnit,
    Procedure,
    QuestionKind,
    SectionKind,
    ServiceType,
    TenderStatus,
)


class Tender(Table):
    id = UUID(primary_key=True)
    buyer = ForeignKey(references=Organisation, null=False, index=True, on_delete=OnDelete.restrict)
    title = Varchar(length=200)
    reference = Varchar(length=50)
    description = Text()
    procedure = Varchar(length=30, choices=Procedure, default=Procedure.OPEN)
    #: Stored status; ``closed`` is derived from the deadline (``tenders.lifecycle``).
    status = Varchar(length=20, choices=TenderStatus, default=TenderStatus.DRAFT, index=True)
    contract_months = Integer(null=True, default=None)
    estimated_value_pence = BigInt(null=True, default=None)
    submission_deadline = Timestamptz(null=True, default=None, index=True)
    clarification_deadline = Timestamptz(null=True, default=None)
    standstill_applies = Boolean(default=True)
    standstill_days = Integer(default=8)
    abnormally_low_percent = Integer(default=70)
    exclude_above_reference = Boolean(default=False)
    #: The most lots one bidder may win; none means no limit.
    max_lots_per_bidder = Integer(null=True, default=None)
    created_at = Timestamptz()
    published_at = Timestamptz(null=True, default=None, index=True)
    cancelled_at = Timestamptz(null=True, default=None)
    cancel_reason = Text(null=True, default=None)
    #: Raised by every change, so that two officers editing at once get a conflict.
    version = Integer(default=1)
    #: Opening needs a second officer to confirm it.
    opening_needs_two_officers = Boolean(default=False)
    opening_requested_by = ForeignKey(
        references=User, null=True, default=None, on_delete=OnDelete.restrict
    )
    opening_requested_at = Timestamptz(null=True, default=None)
    opened_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.restrict)
    opened_at = Timestamptz(null=True, default=None)


class Lot(Table):
    id = UUID(primary_key=True)
    tender = ForeignKey(references=Tender, null=False, index=True, on_delete=OnDelete.cascade)
    number = Integer()
    name = Varchar(length=200)
    service_type = Varchar(length=30, choices=ServiceType, index=True)
    #: District names joined by "|", in the county's order.
    districts = Text(default="")
    complexity_band = Varchar(length=20, choices=ComplexityBand, null=True, default=None)
    award_mode = Varchar(length=20, choices=AwardMode, default=AwardMode.ONE)
    #: With ``AwardMode.NUMBER``: how many providers the lot appoints.
    providers_to_award = Integer(null=True, default=None)


class Section(Table):
    id = UUID(primary_key=True)
    tender = ForeignKey(references=Tender, null=False, index=True, on_delete=OnDelete.cascade)
    number = Integer()
    name = Varchar(length=200)
    kind = Varchar(length=20, choices=SectionKind, default=SectionKind.QUALITY)
    #: Percent of the whole evaluation; a tender's sections sum to 100.
    weight = Integer()


class Question(Table):
    id = UUID(primary_key=True)
    tender = ForeignKey(references=Tender, null=False, index=True, on_delete=OnDelete.cascade)
    section = ForeignKey(references=Section, null=False, on_delete=OnDelete.cascade)
    #: The lot the question belongs to; none means every lot.
    lot = ForeignKey(references=Lot, null=True, default=None, on_delete=OnDelete.cascade)
    number = Integer()
    kind = Varchar(length=20, choices=QuestionKind)
    text = Text()
    guidance = Text(default="")
    word_limit = Integer(null=True, default=None)
    #: Weight within its section (scale questions).
    weight = Integer(default=0)
    #: A scale score below this excludes the bid.
    minimum_score = Integer(null=True, default=None)
    #: For outcome tests: the outcome the test is grouped under.
    outcome = Varchar(length=200, null=True, default=None)


class PriceItem(Table):
    id = UUID(primary_key=True)
    lot = ForeignKey(references=Lot, null=False, index=True, on_delete=OnDelete.cascade)
    number = Integer()
    description = Varchar(length=200)
    unit = Varchar(length=30, choices=PriceUnit)
    #: How many units the tender expects (the basket each bid is priced on).
    volume = Integer()
    reference_price_pence = Integer(null=True, default=None)
    minimum_call_minutes = Integer(null=True, default=None)


class TenderDocument(Table):
    id = UUID(primary_key=True)
    tender = ForeignKey(references=Tender, null=False, index=True, on_delete=OnDelete.cascade)
    kind = Varchar(length=20, choices=DocumentKind)
    title = Varchar(length=200)
    #: The file store's digest: the only name the file has on disk.
    sha256 = Varchar(length=64)
    #: As uploaded, shown to people only.
    original_name = Varchar(length=255)
    content_type = Varchar(length=100)
    size = BigInt()
    added_at = Timestamptz()
    #: Added after publication.
    addendum = Boolean(default=False)


class Interest(Table):
    """A provider organisation following a tender, to be told of every change."""

    tender = ForeignKey(references=Tender, null=False, index=True, on_delete=OnDelete.cascade)
    organisation = ForeignKey(
        references=Organisation, null=False, index=True, on_delete=OnDelete.restrict
    )
    registered_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    registered_at = Timestamptz()
    #: "<tender id>:<organisation id>": one interest each (a portable unique constraint;
    #: SQLite migrations cannot add a constraint over two columns).
    key = Varchar(length=80, unique=True)


class Clarification(Table):
    id = UUID(primary_key=True)
    tender = ForeignKey(references=Tender, null=False, index=True, on_delete=OnDelete.cascade)
    #: A provider's question; empty for a clarification the officer publishes unasked.
    question = Text(default="")
    #: Kept for the record, never shown beside the published answer.
    asked_by = ForeignKey(
        references=Organisation, null=True, default=None, on_delete=OnDelete.restrict
    )
    asked_at = Timestamptz(null=True, default=None)
    answer = Text(null=True, default=None)
    published_at = Timestamptz(null=True, default=None, index=True)


class TenderRelease(Table):
    """Each published state of a tender as an OCDS release, kept for its history."""

    tender = ForeignKey(references=Tender, null=False, index=True, on_delete=OnDelete.cascade)
    release_id = Varchar(length=100, unique=True)
    date = Timestamptz()
    tag = Varchar(length=30)
    #: The lot whose award the release records; none for the tender's own releases.
    lot = ForeignKey(references=Lot, null=True, default=None, on_delete=OnDelete.cascade)
    #: The release as canonical JSON.
    data = Text()


class Bid(Table):
    """A provider organisation's working copy of its bid for a tender: one each."""

    id = UUID(primary_key=True)
    tender = ForeignKey(references=Tender, null=False, index=True, on_delete=OnDelete.restrict)
    organisation = ForeignKey(
        references=Organisation, null=False, index=True, on_delete=OnDelete.restrict
    )
    status = Varchar(length=20, choices=BidStatus, default=BidStatus.DRAFT)
    #: The chosen lots' ids joined by "|", in lot order.
    lots = Text(default="")
    created_at = Timestamptz()
    created_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    updated_at = Timestamptz()
    #: The latest change to anything in the working copy, for "changes not yet submitted".
    changed_at = Timestamptz()
    #: Raised by a change of lots, so that two people choosing at once get a conflict.
    version = Integer(default=1)
    #: Raised by every change to the content: a submission sealed from an older revision
    #: is sealed again.
    revision = Integer(default=1)
    withdrawn_at = Timestamptz(null=True, default=None)
    withdraw_reason = Text(null=True, default=None)
    #: "<tender id>:<organisation id>".
    key = Varchar(length=80, unique=True)


class Answer(Table):
    """An answer to one question for one lot of a bid."""

    id = UUID(primary_key=True)
    bid = ForeignKey(references=Bid, null=False, index=True, on_delete=OnDelete.cascade)
    lot = ForeignKey(references=Lot, null=False, on_delete=OnDelete.restrict)
    question = ForeignKey(references=Question, null=False, on_delete=OnDelete.restrict)
    text = Text(default="")
    declaration = Varchar(length=10, choices=Declaration, null=True, default=None)
    updated_at = Timestamptz()
    updated_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    version = Integer(default=1)
    #: "<bid id>:<lot id>:<question id>".
    key = Varchar(length=120, unique=True)


class BidPrice(Table):
    """A bid's unit price for one item of a lot's price schedule."""

    id = UUID(primary_key=True)
    bid = ForeignKey(references=Bid, null=False, index=True, on_delete=OnDelete.cascade)
    price_item = ForeignKey(references=PriceItem, null=False, on_delete=OnDelete.restrict)
    unit_price_pence = Integer(null=True, default=None)
    updated_at = Timestamptz()
    updated_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    version = Integer(default=1)
    #: "<bid id>:<price item id>".
    key = Varchar(length=80, unique=True)


class Evidence(Table):
    """A file a provider attached to an answer, kept in the content-addressed store."""

    id = UUID(primary_key=True)
    bid = ForeignKey(references=Bid, null=False, index=True, on_delete=OnDelete.cascade)
    lot = ForeignKey(references=Lot, null=False, on_delete=OnDelete.restrict)
    question = ForeignKey(references=Question, null=False, on_delete=OnDelete.restrict)
    #: The file store's digest: the only name the file has on disk.
    sha256 = Varchar(length=64)
    #: As uploaded, shown to people only.
    original_name = Varchar(length=255)
    content_type = Varchar(length=100)
    size = BigInt()
    uploaded_at = Timestamptz()
    uploaded_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)


class Submission(Table):
    """A sealed version of a bid: what was received, when, and its SHA-256 digest."""

    id = UUID(primary_key=True)
    bid = ForeignKey(references=Bid, null=False, index=True, on_delete=OnDelete.restrict)
    tender = ForeignKey(references=Tender, null=False, index=True, on_delete=OnDelete.restrict)
    #: 1 for the first submission, then one more for each resubmission.
    number = Integer()
    received_at = Timestamptz()
    submitted_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    #: The sealed content as canonical JSON: answers, prices and the digests of its files.
    content = Text()
    digest = Varchar(length=64)
    #: The lots bid for, their ids joined by "|".
    lots = Text()
    superseded_at = Timestamptz(null=True, default=None)
    withdrawn_at = Timestamptz(null=True, default=None)
    #: From the form that submitted it: a repeated post finds this one, not a second.
    request_key = Varchar(length=80, unique=True)
