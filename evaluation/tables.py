"""Piccolo tables of evaluation: panels, conflicts of interest, scores, consensus,
sign-off, and the award report and decision."""

from __future__ import annotations

from piccolo.columns import (
    UUID,
    BigInt,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from app.tables import Organisation, User
from evaluation.vocabulary import LotOutcome, NoticeKind, PanelRole
from tenders.tables import Lot, Question, Submission, Tender


class PanelMember(Table):
    """A person's seat on a lot's panel: an evaluator or the lot's moderator."""

    id = UUID(primary_key=True)
    tender = ForeignKey(references=Tender, null=False, index=True, on_delete=OnDelete.restrict)
    lot = ForeignKey(references=Lot, null=False, index=True, on_delete=OnDelete.restrict)
    user = ForeignKey(references=User, null=False, index=True, on_delete=OnDelete.restrict)
    role = Varchar(length=20, choices=PanelRole)
    assigned_by = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict)
    assigned_at = Timestamptz()
    #: "<lot id>:<user id>": one seat per person per lot (a portable unique constraint;
    #: SQLite migrations cannot add a constraint over two columns).
    key = Varchar(length=80, unique=True)


class ConflictDeclaration(Table):
    """A panel member's declaration against one bidder of a lot: the conflicts record.

    Kept when the member leaves the panel: the record is of what was declared, and when.
    """

    id = UUID(primary_key=True)
    tender = ForeignKey(references=Tender, null=False, index=True, on_delete=OnDelete.restrict)
    lot = ForeignKey(references=Lot, null=False, on_delete=OnDelete.restrict)
    evaluator = ForeignKey(references=User, null=False, index=True, on_delete=OnDelete.restrict)
    #: The bidder.
    organisation = ForeignKey(references=Organisation, null=False, on_delete=OnDelete.restrict)
    conflict = Boolean()
    #: The conflict in the member's words; empty when there is none.
    description = Text(default="")
    #: When the declaration first was made.
    first_declared_at = Timestamptz()
    #: When it was last changed: later than the first only when a conflict was found after
    #: "no conflict" had been declared.
    declared_at = Timestamptz()
    #: "<lot id>:<evaluator id>:<organisation id>".
    key = Varchar(length=120, unique=True)


class Score(Table):
    """An evaluator's own mark for one question of one bid in a lot, with its reason."""

    id = UUID(primary_key=True)
    tender = ForeignKey(references=Tender, null=False, index=True, on_delete=OnDelete.restrict)
    lot = ForeignKey(references=Lot, null=False, index=True, on_delete=OnDelete.restrict)
    #: The sealed version of the bid that was read.
    submission = ForeignKey(references=Submission, null=False, on_delete=OnDelete.restrict)
    question = ForeignKey(references=Question, null=False, on_delete=OnDelete.restrict)
    evaluator = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict)
    #: "0" to "5", "yes", "partially" or "no", "pass" or "fail", as the question's kind has.
    mark = Varchar(length=10)
    rationale = Text()
    #: The passage of the answer that supports the mark, in the evaluator's choice.
    quote = Text(default="")
    updated_at = Timestamptz()
    #: "<lot id>:<submission id>:<question id>:<evaluator id>".
    key = Varchar(length=160, unique=True)


class ScoreSheet(Table):
    """An evaluator's scores for a lot, submitted: from then on they are locked."""

    id = UUID(primary_key=True)
    tender = ForeignKey(references=Tender, null=False, index=True, on_delete=OnDelete.restrict)
    lot = ForeignKey(references=Lot, null=False, index=True, on_delete=OnDelete.restrict)
    evaluator = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict)
    submitted_at = Timestamptz()
    #: "<lot id>:<evaluator id>".
    key = Varchar(length=80, unique=True)


class Consensus(Table):
    """The moderator's agreed mark for one question of one bid, with its reason; the
    evaluators' own scores stay beside it."""

    id = UUID(primary_key=True)
    tender = ForeignKey(references=Tender, null=False, index=True, on_delete=OnDelete.restrict)
    lot = ForeignKey(references=Lot, null=False, index=True, on_delete=OnDelete.restrict)
    submission = ForeignKey(references=Submission, null=False, on_delete=OnDelete.restrict)
    question = ForeignKey(references=Question, null=False, on_delete=OnDelete.restrict)
    mark = Varchar(length=10)
    rationale = Text()
    moderator = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict)
    decided_at = Timestamptz()
    #: "<lot id>:<submission id>:<question id>".
    key = Varchar(length=120, unique=True)


class SignOff(Table):
    """A lot's consensus, signed off by its moderator: the lot's results stand on it."""

    id = UUID(primary_key=True)
    tender = ForeignKey(references=Tender, null=False, index=True, on_delete=OnDelete.restrict)
    lot = ForeignKey(references=Lot, null=False, unique=True, on_delete=OnDelete.restrict)
    signed_off_by = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict)
    signed_off_at = Timestamptz()


class AwardReport(Table):
    """An award report as it was put to the decision maker: its PDF, kept in the file store
    under its SHA-256, the digest the approval is recorded against."""

    id = UUID(primary_key=True)
    tender = ForeignKey(references=Tender, null=False, index=True, on_delete=OnDelete.restrict)
    sha256 = Varchar(length=64)
    size = BigInt()
    made_by = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict)
    made_at = Timestamptz()
    #: "<tender id>:<the form's key>": a repeated post (double click, retry) finds the
    #: report the first one made. Not a unique column (SQLite cannot add one): reports are
    #: made one at a time, each holding the tender's row.
    request_key = Varchar(length=120, null=True, default=None, index=True)


class AwardDecision(Table):
    """The decision to award a tender as its award report recommends: one per tender, by an
    officer who is not on any of its panels (rule 11)."""

    id = UUID(primary_key=True)
    tender = ForeignKey(references=Tender, null=False, unique=True, on_delete=OnDelete.restrict)
    report = ForeignKey(references=AwardReport, null=False, on_delete=OnDelete.restrict)
    #: The report's digest, as the decision maker was shown it.
    report_sha256 = Varchar(length=64)
    reasons = Text()
    approved_by = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict)
    approved_at = Timestamptz()
    #: When the notices went to the bidders: the standstill begins with that day.
    notices_issued_at = Timestamptz(null=True, default=None)
    #: The standstill's last day (Europe/London); none where no standstill applies.
    standstill_last_day = Date(null=True, default=None)
    confirmed_at = Timestamptz(null=True, default=None)
    confirmed_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.restrict)


class Notice(Table):
    """A notice of the award as issued: a bidder's assessment summary or decision letter,
    or the public award notice; its PDF in the file store under its SHA-256."""

    id = UUID(primary_key=True)
    tender = ForeignKey(references=Tender, null=False, index=True, on_delete=OnDelete.restrict)
    #: The bidder it is for; none for the public award notice.
    organisation = ForeignKey(
        references=Organisation, null=True, default=None, on_delete=OnDelete.restrict
    )
    kind = Varchar(length=30, choices=NoticeKind)
    sha256 = Varchar(length=64)
    size = BigInt()
    issued_at = Timestamptz()
    #: "<tender id>:<organisation id or public>:<kind>": each notice once.
    key = Varchar(length=120, unique=True)


class BidOutcome(Table):
    """What became of a bid for one lot when the award was confirmed: successful,
    unsuccessful or excluded (with the reasons), as the results then stood."""

    id = UUID(primary_key=True)
    tender = ForeignKey(references=Tender, null=False, index=True, on_delete=OnDelete.restrict)
    lot = ForeignKey(references=Lot, null=False, on_delete=OnDelete.restrict)
    #: The bidder.
    organisation = ForeignKey(
        references=Organisation, null=False, index=True, on_delete=OnDelete.restrict
    )
    #: The sealed version of the bid that was evaluated.
    submission = ForeignKey(references=Submission, null=False, on_delete=OnDelete.restrict)
    outcome = Varchar(length=20, choices=LotOutcome)
    #: 1 for the best; none when excluded.
    rank = Integer(null=True, default=None)
    #: Why the bid was excluded, one reason a line; empty otherwise.
    reasons = Text(default="")
    decided_at = Timestamptz()
    #: "<lot id>:<organisation id>".
    key = Varchar(length=80, unique=True)
