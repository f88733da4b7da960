"""Vocabularies of tenders, shared by tables, services, templates and the API."""

from __future__ import annotations

from enum import StrEnum


class Labelled(StrEnum):
    """A stored value with the words people see."""

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class TenderStatus(Labelled):
    """Stored statuses. ``closed`` is never stored: it follows from the clock."""

    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"
    #: Bids unsealed by an officer after the deadline.
    OPENED = "opened"
    #: An evaluator has saved the first score.
    EVALUATING = "evaluating"
    #: Every lot with bids has its consensus signed off by its moderator.
    MODERATED = "moderated"
    #: An officer not on the panel approved the award report's recommendation.
    AWARD_APPROVED = "award_approved"
    #: The award is confirmed, after the standstill where it applies.
    AWARDED = "awarded"
    CANCELLED = "cancelled"

    @property
    def bids_opened(self) -> bool:
        """Past the opening: the bids are unsealed, and the tender is closed for good."""
        return self in _BIDS_OPENED


_BIDS_OPENED = frozenset(
    {
        TenderStatus.OPENED,
        TenderStatus.EVALUATING,
        TenderStatus.MODERATED,
        TenderStatus.AWARD_APPROVED,
        TenderStatus.AWARDED,
    }
)


class Procedure(Labelled):
    OPEN = "open"

    @property
    def label(self) -> str:
        return {Procedure.OPEN: "Open competition"}[self]


class ServiceType(Labelled):
    SUPPORTED_LIVING = "supported_living"
    HOME_CARE = "home_care"
    LIVE_IN_CARE = "live_in_care"
    RESPITE = "respite"
    DAY_OPPORTUNITIES = "day_opportunities"
    SHARED_LIVES = "shared_lives"
    ADVOCACY = "advocacy"
    LIFE_SKILLS = "life_skills"
    COMMUNITY_SUPPORT = "community_support"
    COMPLEX_CARE = "complex_care"
    OVERNIGHT = "overnight"
    NURSING = "nursing"
    EMERGENCY_CARE = "emergency_care"

    @property
    def label(self) -> str:
        return {
            ServiceType.SHARED_LIVES: "Shared Lives",
            ServiceType.LIFE_SKILLS: "Life skills and independence",
        }.get(self, super().label)


class ComplexityBand(Labelled):
    HIGHLY_COMPLEX = "highly_complex"
    COMPLEX = "complex"
    LESS_COMPLEX = "less_complex"


class AwardMode(Labelled):
    """How many providers a lot awards: a block contract, a framework, a dynamic market."""

    ONE = "one"
    NUMBER = "number"
    ALL_THAT_PASS = "all_that_pass"

    @property
    def label(self) -> str:
        return {
            AwardMode.ONE: "One provider",
            AwardMode.NUMBER: "A set number of providers",
            AwardMode.ALL_THAT_PASS: "Every provider that passes",
        }[self]


class SectionKind(Labelled):
    QUALITY = "quality"
    PRICE = "price"
    SOCIAL_VALUE = "social_value"


class QuestionKind(Labelled):
    PASS_FAIL = "pass_fail"
    SCALE = "scale"
    OUTCOME_TEST = "outcome_test"

    @property
    def label(self) -> str:
        return {
            QuestionKind.PASS_FAIL: "Pass or fail",
            QuestionKind.SCALE: "Scored 0 to 5",
            QuestionKind.OUTCOME_TEST: "Outcome test (Yes, Partially or No)",
        }[self]


class PriceUnit(Labelled):
    HOUR_DAYTIME = "hour_daytime"
    SLEEP_IN_NIGHT = "sleep_in_night"
    WEEK_HIGHLY_COMPLEX = "week_highly_complex"
    WEEK_COMPLEX = "week_complex"
    WEEK_LESS_COMPLEX = "week_less_complex"

    @property
    def label(self) -> str:
        return {
            PriceUnit.HOUR_DAYTIME: "per hour, daytime",
            PriceUnit.SLEEP_IN_NIGHT: "per sleep-in night",
            PriceUnit.WEEK_HIGHLY_COMPLEX: "per week, highly complex",
            PriceUnit.WEEK_COMPLEX: "per week, complex",
            PriceUnit.WEEK_LESS_COMPLEX: "per week, less complex",
        }[self]


class DocumentKind(Labelled):
    SPECIFICATION = "specification"
    TERMS = "terms"
    ADDENDUM = "addendum"
    OTHER = "other"


class BidStatus(Labelled):
    """A bid's working copy: never submitted, submitted (perhaps with later changes not yet
    resubmitted), or withdrawn."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {
            BidStatus.DRAFT: "Not submitted",
            BidStatus.SUBMITTED: "Submitted",
            BidStatus.WITHDRAWN: "Withdrawn",
        }[self]


class Declaration(Labelled):
    """A provider's answer to a pass or fail question."""

    YES = "yes"
    NO = "no"
