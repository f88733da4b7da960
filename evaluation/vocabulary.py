"""Vocabularies of evaluation, shared by tables, services, templates and the API."""

from __future__ import annotations

from enum import StrEnum

from tenders.vocabulary import Labelled


class PanelRole(StrEnum):
    """A person's seat on one lot's panel (panel roles are per tender and lot)."""

    #: Scores the lot's bids, blind to the other evaluators.
    EVALUATOR = "evaluator"
    #: Sees every evaluator's scores and agrees the consensus; does not score the lot.
    MODERATOR = "moderator"

    @property
    def label(self) -> str:
        return {PanelRole.EVALUATOR: "Evaluator", PanelRole.MODERATOR: "Moderator"}[self]


class Clearance(StrEnum):
    """Where a panel member stands with a lot's bids (rule 7)."""

    #: Not yet opened: nobody reads the bids.
    SEALED = "sealed"
    #: The tender was cancelled.
    CANCELLED = "cancelled"
    #: Opened, and the member has not yet declared against every bidder.
    DECLARE = "declare"
    #: The member declared a conflict with a bidder: kept out of the lot's bids.
    CONFLICTED = "conflicted"
    #: Declared no conflict with any bidder: may read the bids.
    CLEARED = "cleared"


class NoticeKind(StrEnum):
    """The notices of an award decision (Procurement Act 2023 s50)."""

    ASSESSMENT_SUMMARY = "assessment_summary"
    DECISION_LETTER = "decision_letter"
    AWARD_NOTICE = "award_notice"

    @property
    def label(self) -> str:
        return {
            NoticeKind.ASSESSMENT_SUMMARY: "Assessment summary",
            NoticeKind.DECISION_LETTER: "Decision letter",
            NoticeKind.AWARD_NOTICE: "Award notice",
        }[self]


class LotOutcome(Labelled):
    """What became of one bid for one lot."""

    SUCCESSFUL = "successful"
    UNSUCCESSFUL = "unsuccessful"
    EXCLUDED = "excluded"
